"""The ``diff`` request: what attention does differently for a mutant, or for another head.

:func:`compare` runs a chain and its mutant (:mod:`protattn.structure.mutations`:
mutations in the structure's own numbering, or a second sequence) through the same
requests as ``pairs`` and ``scores`` (both runs cached as usual) and answers:

- the pairs gained (above the threshold, or among the top k, for the mutant only),
  lost (for the wild type only) and kept, each with its weight in both;
- the change of attention each residue receives, mutant minus wild type;
- what to draw: gained and lost pairs in two colours (the ends of the diverging
  ``enrichment`` palette: red gained, blue lost), radius growing with the change of
  weight, and residues coloured by the change on that diverging scale, centred at 0.

:func:`compare_heads` asks the same of two heads on one sequence (pairs only in the
second head count as gained), and :func:`head_changes` ranks every head by how much
its agreement with contacts and binding sites changes with the mutation, the
structure's masks the same for both sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..analysis.pairs import Pair, symmetrize
from ..analysis.results import HeadStatistics
from ..analysis.statistics import HeadStatsAccumulator
from ..analysis.tally import Tally
from ..compute.backend import get_model
from ..errors import ProtattnError
from ..lm.counts import DEFAULT_DEFINITION, DEFINITIONS, ChainCounter
from ..lm.heads import HeadSpec, parse_layer_head
from ..lm.inference import chain_counts, head_maps
from ..lm.masks import PropertyMask
from ..palettes import DIVERGING, RGBA, hex_color
from ..scene import Key, PseudoBond, ResidueColor, Scene, parse_radius, residue_scene
from ..structure.model import Chain, ResidueId, Structure
from ..structure.mutations import Mutant, Mutation, mutant_of
from ..structure.sites import LIGAND_KINDS, SITE_CUTOFF, binding_sites, site_mask
from ..words import plural
from .checks import check_min_separation, check_threshold, check_top_k
from .pairs import compute_pairs, compute_scores
from .stats import PAPER_MAX_RESIDUES, SS_CLASSES, chain_properties

__all__ = [
    "GAINED_COLOR",
    "LOST_COLOR",
    "PairChange",
    "DiffScene",
    "DiffResult",
    "compare",
    "compare_heads",
    "HeadChange",
    "HeadChanges",
    "head_changes",
    "interface_mask",
    "ROW_FIELDS",
    "STRUCTURE_PROPERTIES",
]

#: Pairs only the second run has (the mutant's, or the second head's): the red end of
#: the diverging palette, as residues that receive more attention are.
GAINED_COLOR: RGBA = (*DIVERGING.colors[-1], 1.0)
#: Pairs only the first run has (the wild type's, or the first head's): its blue end.
LOST_COLOR: RGBA = (*DIVERGING.colors[0], 1.0)
_COLOR_NAMES = {GAINED_COLOR: "red", LOST_COLOR: "blue"}


@dataclass(frozen=True)
class PairChange:
    """A residue pair selected in one run or both, with its weight in each.

    Attributes
    ----------
    status : {"gained", "lost", "kept"}
        Selected in the second run only, the first only, or both.
    i, j : int
        0-based sequence positions, ``i < j`` (``i == j`` at separation 0).
    residue_i, residue_j : ResidueId or None
    aa_i, aa_j : str
        Residues of the first run's sequence (the wild type).
    mutant_i, mutant_j : str
        Residues of the second run's sequence (the same for two heads).
    before, after : float
        Symmetrised weight in the first and in the second run, whether selected or not.
    distance : float or None
        Cβ–Cβ distance (Å), None where a residue is not observed.
    contact : bool or None

    Examples
    --------
    >>> from protattn.structure.model import ResidueId
    >>> p = PairChange("gained", 0, 5, ResidueId("B", 1), ResidueId("B", 6), "Q", "E", "Q", "A",
    ...                0.05, 0.2, 7.5, True)
    >>> p.label(), round(p.change, 2)
    ('B:1 Q - B:6 E>A', 0.15)
    """

    status: str
    i: int
    j: int
    residue_i: ResidueId | None
    residue_j: ResidueId | None
    aa_i: str
    aa_j: str
    mutant_i: str
    mutant_j: str
    before: float
    after: float
    distance: float | None
    contact: bool | None

    @property
    def change(self) -> float:
        """``after - before``."""
        return self.after - self.before

    def label(self) -> str:
        """``"B:101 Y>A - B:33 G"``: the pair as tables name it."""
        return f"{_residue(self.residue_i, self.i, self.aa_i, self.mutant_i)} - " + _residue(
            self.residue_j, self.j, self.aa_j, self.mutant_j
        )

    def as_row(self) -> dict[str, object]:
        """A flat, CSV-ready record (1-based positions, residue ids as text)."""
        return {
            "what": self.status,
            "pos_i": self.i + 1,
            "pos_j": self.j + 1,
            "residue_i": "" if self.residue_i is None else str(self.residue_i),
            "residue_j": "" if self.residue_j is None else str(self.residue_j),
            "aa_i": self.aa_i,
            "aa_j": self.aa_j,
            "mutant_i": self.mutant_i,
            "mutant_j": self.mutant_j,
            "before": round(self.before, 6),
            "after": round(self.after, 6),
            "change": round(self.change, 6),
            "cb_distance": None if self.distance is None else round(self.distance, 3),
            "contact": self.contact,
        }


def _residue(rid: ResidueId | None, k: int, aa: str, mutant: str) -> str:
    where = str(rid) if rid is not None else f"#{k + 1}"
    return f"{where} {aa}" + (f">{mutant}" if mutant != aa else "")


@dataclass(frozen=True)
class DiffScene(Scene):
    """A :class:`~protattn.scene.Scene` of changes: pairs in classes, residues centred at 0.

    Pairs are coloured by class (``classes``: gained, lost), their weight the change
    ``after - before`` and their radius growing with its size from 0 to ``vmax``;
    residues are coloured on a diverging palette over ``vmin = -vmax`` to ``vmax``.
    Its key, title and scale in words say so; rescaled (a scale shared by
    structures), classes keep their colours and residue scales stay centred at 0.

    What the colours measure is the scene's ``label`` (its key's heading).

    Attributes
    ----------
    classes : tuple of (str, RGBA)
        The pairs' classes and colours; empty for residue colours.
    """

    classes: tuple[tuple[str, RGBA], ...] = ()

    def rescaled(self, vmin: float, vmax: float, basis: str = "") -> DiffScene:
        if not self.classes:
            m = max(abs(float(vmin)), abs(float(vmax)))
            scene = super().rescaled(-m, m, basis)
            assert isinstance(scene, DiffScene)
            return scene
        hi = max(abs(float(vmin)), abs(float(vmax)))
        bonds = tuple(
            replace(b, radius=_bond_radius(self.radius, b.weight, hi)) for b in self.bonds
        )
        return replace(self, bonds=bonds, vmin=0.0, vmax=hi, basis=basis)

    def key(self, stops: int = 3) -> Key:
        if not (self.classes and self.bonds):
            return super().key(stops)
        radii: tuple[tuple[str, float], ...] = ()
        if self.radius is not None:
            radii = tuple(
                (f"{v:.3g}", _bond_radius(self.radius, v, self.vmax))
                for v in np.linspace(0.0, self.vmax, stops)
            )
        return Key(self.classes, radii, self.scale_text(), self.title(), None, 0.0, self.vmax)

    def scale_text(self) -> str:
        where = (
            "fixed"
            if self.fixed
            else (f"the range over {self.basis}" if self.basis else "the drawn values' range")
        )
        if not self.classes:
            return (
                f"colour {self.vmin:.3g} to {self.vmax:.3g}, centred at 0 "
                f"({self.palette.name}, {where})"
            )
        if not self.bonds:
            return "no pair drawn"
        names = ", ".join(
            f"{_COLOR_NAMES.get(rgba, hex_color(rgba))} {k}" for k, rgba in self.classes
        )
        text = f"colour: {names}"
        if self.radius is not None:
            lo, hi = self.radius
            text += (
                f"; radius {lo:.3g} A"
                if lo == hi
                else f"; radius {lo:.3g}-{hi:.3g} A for a change of weight of 0-{self.vmax:.3g} "
                f"({where})"
            )
        return text


def _bond_radius(radius: tuple[float, float] | None, change: float, top: float) -> float:
    """Radius of a pair whose weight changed by ``change`` on the scale 0-``top``."""
    if radius is None:
        return 0.0
    t = min(abs(change) / top, 1.0) if top > 0 else 1.0
    return float(radius[0] + t * (radius[1] - radius[0]))


@dataclass(frozen=True, eq=False)
class DiffResult:
    """What changes between two runs over one chain: a mutant's, or two heads'.

    Attributes
    ----------
    model : str
    chain : str
        The chain's id.
    first, second : str
        What was compared, for log lines: ``"wild type"`` and ``"B:Y101A"``, or two heads.
    heads : (HeadSpec, HeadSpec)
        The head of each run (the same one for a mutant).
    selection : str
        How pairs were selected: ``"weight > 0.1"`` or ``"the 30 strongest"``.
    gained, lost, kept : tuple of PairChange
        Pairs selected in the second run only, the first only, both: by the size of
        the change, largest first.
    received_before, received_after : numpy.ndarray
        Attention each residue receives in each run (column sum / L, as
        :func:`protattn.compute_scores`), ``shape=(L,), dtype=float``.
    scene : DiffScene
        The gained and lost pairs (two colours).
    residues : DiffScene
        Residues coloured by :attr:`received` (diverging, centred at 0).
    residue_ids : tuple of (ResidueId or None)
        The chain's, one per position.
    sequences : (str, str)
        The sequence of each run (the same one for two heads).
    mutant : Mutant or None
        The mutant compared; None for two heads.
    notes : tuple of str
    """

    model: str
    chain: str
    first: str
    second: str
    heads: tuple[HeadSpec, HeadSpec]
    selection: str
    gained: tuple[PairChange, ...]
    lost: tuple[PairChange, ...]
    kept: tuple[PairChange, ...]
    received_before: np.ndarray = field(repr=False)
    received_after: np.ndarray = field(repr=False)
    residue_ids: tuple[ResidueId | None, ...] = field(repr=False)
    scene: DiffScene = field(repr=False)
    residues: DiffScene = field(repr=False)
    sequences: tuple[str, str] = field(repr=False, default=("", ""))
    mutant: Mutant | None = None
    notes: tuple[str, ...] = ()

    @property
    def received(self) -> np.ndarray:
        """Change of attention received, second minus first, ``shape=(L,), dtype=float``."""
        return self.received_after - self.received_before

    @property
    def scenes(self) -> tuple[DiffScene, DiffScene]:
        """The pairs' scene and the residues' scene, for a host that draws both."""
        return (self.scene, self.residues)

    def _what(self) -> str:
        if self.mutant is not None:
            return f"{self.model} {self.heads[0]}, chain {self.chain}, {self.second}"
        return f"{self.model} chain {self.chain}, {self.heads[0]} versus {self.heads[1]}"

    def _words(self) -> tuple[str, str, str]:
        if self.mutant is not None:
            return "gained", "lost", "kept"
        return f"only in {self.heads[1]}", f"only in {self.heads[0]}", "in both"

    def most_changed(self, n: int = 5) -> list[tuple[int, float]]:
        """The ``n`` positions whose attention received changes most: (position, change)."""
        change = self.received
        order = np.lexsort((np.arange(len(change)), -np.abs(change)))
        return [(int(k), float(change[k])) for k in order[:n] if change[k] != 0]

    def _position(self, k: int) -> str:
        rid = self.residue_ids[k]
        return str(rid) if rid is not None else f"#{k + 1}"

    def summary(self) -> str:
        """One line for a log."""
        gained, lost, kept = self._words()
        top = self.most_changed(2)
        moved = (
            "; attention received changes most at "
            + ", ".join(f"{self._position(k)} ({v:+.3g})" for k, v in top)
            if top
            else "; attention received unchanged"
        )
        line = (
            f"{self._what()}: {plural(len(self.gained), 'pair')} {gained}, {len(self.lost)} "
            f"{lost}, {len(self.kept)} {kept} ({self.selection}){moved}"
        )
        if self.scene.bonds:
            line += f"; {self.scene.scale_text()}"
        return "; ".join([line, *self.notes])

    def table(self, pairs: int | None = 20, kept: int = 5, residues: int = 10) -> list[str]:
        """Text lines: the gained and lost pairs, the kept pairs that change most, then the
        residues whose attention received changes most.

        Parameters
        ----------
        pairs : int, optional
            Gained (and lost) pairs listed, largest change first; None: all.
        kept : int
            Kept pairs listed, largest change first.
        residues : int
            Residues listed, largest change first.
        """
        gained, lost, both = self._words()
        a, b = ("wild type", "mutant") if self.mutant is not None else (self.first, self.second)
        groups = ((gained, self.gained), (lost, self.lost), (both, self.kept))
        limits = (pairs, pairs, kept)
        shown = [
            (name, group[:n] if n is not None else group, group)
            for (name, group), n in zip(groups, limits)
        ]
        width = max([len(p.label()) for _, some, _ in shown for p in some] + [4])
        lines = [f"{'':<14}{'pair':<{width}}  {a:>10} {b:>10} {'change':>8}  contact"]
        for name, some, group in shown:
            for p in some:
                contact = {True: "yes", False: "no", None: "?"}[p.contact]
                lines.append(
                    f"{name:<14}{p.label():<{width}}  {p.before:>10.3f} {p.after:>10.3f} "
                    f"{p.change:>+8.3f}  {contact}"
                )
            if len(group) > len(some):
                lines.append(f"{name:<14}... and {len(group) - len(some)} more")
        if not (self.gained or self.lost):
            lines.append(f"{'':<14}no pair {gained} or {lost}")
        lines.append("")
        lines.append(f"attention received, change {b} - {a} (largest first):")
        lines.append(f"  {'residue':<10} {'aa':<4} {a:>10} {b:>10} {'change':>9}")
        top = self.most_changed(residues)
        first, second = self.sequences
        for k, v in top:
            what = first[k] if first[k] == second[k] else f"{first[k]}>{second[k]}"
            lines.append(
                f"  {self._position(k):<10} {what:<4} {self.received_before[k]:>10.4f} "
                f"{self.received_after[k]:>10.4f} {v:>+9.4f}"
            )
        if not top:
            lines.append("  no residue's attention received changes")
        return lines

    def rows(self) -> list[dict[str, object]]:
        """Every pair (gained, lost, kept) and every residue, as CSV-ready records."""
        out = [p.as_row() for p in (*self.gained, *self.lost, *self.kept)]
        for k, rid in enumerate(self.residue_ids):
            out.append(
                {
                    "what": "residue",
                    "pos_i": k + 1,
                    "residue_i": "" if rid is None else str(rid),
                    "before": round(float(self.received_before[k]), 6),
                    "after": round(float(self.received_after[k]), 6),
                    "change": round(float(self.received[k]), 6),
                }
            )
        return out


#: The columns of :meth:`DiffResult.rows`, in order.
ROW_FIELDS = (
    "what",
    "pos_i",
    "pos_j",
    "residue_i",
    "residue_j",
    "aa_i",
    "aa_j",
    "mutant_i",
    "mutant_j",
    "before",
    "after",
    "change",
    "cb_distance",
    "contact",
)


@dataclass(frozen=True)
class _Run:
    """One run's selected pairs, symmetrised whole map and residue scores."""

    pairs: dict[tuple[int, int], Pair]
    weights: np.ndarray
    received: np.ndarray
    notes: tuple[str, ...]


def _run(
    lm_name: str,
    chain: Chain,
    spec: HeadSpec,
    options: dict,
    symmetrize_by: str,
) -> _Run:
    """Pairs (as ``protattn pairs`` selects them), the whole map and residue scores of one run."""
    lm = get_model(lm_name, options["device"], options["dtype"])
    # the whole map first: its pass also files the compact attention the pairs and
    # scores below are read from, so each sequence runs once
    full = head_maps(lm, chain.sequence, [spec], options["window"], options["stride"])[spec]
    weights = symmetrize(full.astype(float), symmetrize_by)
    pairs = compute_pairs([chain], spec, model=lm_name, symmetrize=symmetrize_by, **options)
    scores = compute_scores(
        [chain],
        spec,
        model=lm_name,
        device=options["device"],
        window=options["window"],
        stride=options["stride"],
        dtype=options["dtype"],
    )
    return _Run(
        {(p.i, p.j): p for p in pairs.pairs},
        weights,
        np.asarray(scores.scores[chain.id], dtype=float),
        pairs.notes,
    )


def _changes(
    first: _Run, second: _Run, wild: str, mutant: str
) -> tuple[tuple[PairChange, ...], tuple[PairChange, ...], tuple[PairChange, ...]]:
    """Gained, lost and kept pairs, each largest change first."""

    def change(status: str, key: tuple[int, int]) -> PairChange:
        p = second.pairs.get(key) or first.pairs[key]
        i, j = key
        before = first.pairs[key].weight if key in first.pairs else float(first.weights[i, j])
        after = second.pairs[key].weight if key in second.pairs else float(second.weights[i, j])
        return PairChange(
            status,
            i,
            j,
            p.residue_i,
            p.residue_j,
            wild[i],
            wild[j],
            mutant[i],
            mutant[j],
            float(before),
            float(after),
            p.distance,
            p.contact,
        )

    def ordered(pairs: list[PairChange]) -> tuple[PairChange, ...]:
        return tuple(sorted(pairs, key=lambda c: (-abs(c.change), c.i, c.j)))

    a, b = set(first.pairs), set(second.pairs)
    return (
        ordered([change("gained", k) for k in b - a]),
        ordered([change("lost", k) for k in a - b]),
        ordered([change("kept", k) for k in a & b]),
    )


def _scenes(
    chain: Chain,
    gained: Sequence[PairChange],
    lost: Sequence[PairChange],
    received: np.ndarray,
    radius: tuple[float, float],
    names: tuple[str, str, str],
) -> tuple[DiffScene, DiffScene]:
    """The pairs' scene (gained and lost in two colours) and the residues' (centred at 0)."""
    drawn = [
        (c, color)
        for pairs, color in ((gained, GAINED_COLOR), (lost, LOST_COLOR))
        for c in pairs
        if c.residue_i is not None and c.residue_j is not None
    ]
    top = max((abs(c.change) for c, _ in drawn), default=0.0)
    bonds = tuple(
        PseudoBond(
            c.residue_i,
            c.residue_j,
            c.change,
            color,
            _bond_radius(radius, c.change, top),
            c.contact,
        )
        for c, color in drawn
        if c.residue_i is not None and c.residue_j is not None
    )
    pairs_scene = DiffScene(
        bonds=bonds,
        skipped=len(gained) + len(lost) - len(bonds),
        vmin=0.0,
        vmax=top,
        palette=DIVERGING,
        radius=radius,
        label=f"change of attention weight, {names[2]}",
        classes=((names[0], GAINED_COLOR), (names[1], LOST_COLOR)),
    )
    shown = received[chain.observed]
    m = float(np.max(np.abs(shown))) if shown.size else 0.0
    m = m if m > 0 else 1e-6  # no change: every residue at the scale's middle
    plain = residue_scene(chain, received, DIVERGING, -m, m)
    residues = DiffScene(
        residues=tuple(ResidueColor(r.residue, r.value, r.rgba) for r in plain.residues),
        skipped=plain.skipped,
        vmin=-m,
        vmax=m,
        palette=DIVERGING,
        label=f"change of attention received, {names[2]}",
    )
    return pairs_scene, residues


def _selection(threshold: float, top_k: int | None) -> str:
    return f"weight > {threshold:g}" if top_k is None else f"the {top_k} strongest"


def _options(
    threshold: float,
    top_k: int | str | None,
    min_separation: int,
    symmetrize_by: str,
    chain: Chain,
    radius: tuple[float, float] | float | str,
    device: str | None,
    dtype: str | None,
    window: int | None,
    stride: int | None,
) -> tuple[dict, tuple[float, float]]:
    """Every argument checked before a model loads; the options of both runs."""
    if symmetrize_by not in ("max", "mean"):
        raise ProtattnError(f"symmetrize must be 'max' or 'mean', not {symmetrize_by!r}")
    try:
        radii = parse_radius(radius)
    except ValueError as e:
        raise ProtattnError(str(e)) from None
    options = {
        "threshold": check_threshold(threshold),
        "top_k": check_top_k(top_k),
        "min_separation": check_min_separation(min_separation, [len(chain)]),
        "device": device,
        "dtype": dtype,
        "window": window,
        "stride": stride,
    }
    return options, radii


def compare(
    chain: Chain,
    mutant: str | Sequence[Mutation] | Mutant,
    layer_head: str | HeadSpec,
    model: str = "antiberty",
    threshold: float = 0.1,
    top_k: int | str | None = None,
    min_separation: int = 1,
    symmetrize: str = "max",
    radius: tuple[float, float] | float | str = (0.05, 0.3),
    device: str | None = None,
    dtype: str | None = None,
    window: int | None = None,
    stride: int | None = None,
) -> DiffResult:
    """What one head does differently for a mutant of ``chain``.

    Parameters
    ----------
    chain : Chain
        The wild type, as the structure has it.
    mutant : str or sequence of Mutation or Mutant
        Mutations in the structure's numbering (``"B:Y101A,B:D100A"``), a second
        sequence as long as the chain, or either read already
        (:func:`protattn.structure.mutations.mutant_of`).
    layer_head : str or HeadSpec
        ``"7-1"``, ``"7-mean"`` or ``"7-max"``.
    model : str
    threshold, top_k, min_separation, symmetrize
        How each run's pairs are selected, as :func:`protattn.compute_pairs` does.
    radius : (float, float) or float or str
        Radii (Å) of the smallest and the largest change of weight drawn.
    device, dtype, window, stride
        As :func:`protattn.compute_pairs` takes them.

    Returns
    -------
    DiffResult
        Pairs gained, lost and kept; the change of attention received,
        ``shape=(L,)``; the scenes.

    Raises
    ------
    MutationError
        For a mutation that does not fit the chain (an unknown residue number, a
        wrong wild type), or a second sequence of another length.
    ProtattnError
        For any other argument, before a model loads.
    """
    changed = mutant_of(chain, mutant)
    options, radii = _options(
        threshold, top_k, min_separation, symmetrize, chain, radius, device, dtype, window, stride
    )
    lm = get_model(model, device, dtype)
    spec = parse_layer_head(layer_head, lm.n_layers, lm.n_heads)
    wild = _run(model, chain, spec, options, symmetrize)
    other = _run(model, changed.chain, spec, options, symmetrize)
    gained, lost, kept = _changes(wild, other, chain.sequence, changed.sequence)
    received = other.received - wild.received
    scene, residues = _scenes(
        chain, gained, lost, received, radii, ("gained", "lost", "mutant - wild type")
    )
    notes = tuple(dict.fromkeys((*wild.notes, *other.notes)))
    return DiffResult(
        lm.name,
        chain.id,
        "wild type",
        changed.describe(),
        (spec, spec),
        _selection(options["threshold"], options["top_k"]),
        gained,
        lost,
        kept,
        wild.received,
        other.received,
        chain.residue_ids,
        scene,
        residues,
        (chain.sequence, changed.sequence),
        changed,
        notes,
    )


def compare_heads(
    chain: Chain,
    head_a: str | HeadSpec,
    head_b: str | HeadSpec,
    model: str = "antiberty",
    threshold: float = 0.1,
    top_k: int | str | None = None,
    min_separation: int = 1,
    symmetrize: str = "max",
    radius: tuple[float, float] | float | str = (0.05, 0.3),
    device: str | None = None,
    dtype: str | None = None,
    window: int | None = None,
    stride: int | None = None,
) -> DiffResult:
    """Two heads on one sequence: pairs only in ``head_a`` (lost), only in ``head_b``
    (gained), in both (kept); attention received, ``head_b`` minus ``head_a``.

    Parameters
    ----------
    chain : Chain
    head_a, head_b : str or HeadSpec
    model, threshold, top_k, min_separation, symmetrize, radius, device, dtype, window, stride
        As for :func:`compare`.

    Returns
    -------
    DiffResult
        With ``mutant`` None; "gained" reads "only in ``head_b``".
    """
    options, radii = _options(
        threshold, top_k, min_separation, symmetrize, chain, radius, device, dtype, window, stride
    )
    lm = get_model(model, device, dtype)
    a = parse_layer_head(head_a, lm.n_layers, lm.n_heads)
    b = parse_layer_head(head_b, lm.n_layers, lm.n_heads)
    first = _run(model, chain, a, options, symmetrize)
    second = first if a == b else _run(model, chain, b, options, symmetrize)
    gained, lost, kept = _changes(first, second, chain.sequence, chain.sequence)
    received = second.received - first.received
    scene, residues = _scenes(
        chain, gained, lost, received, radii, (f"only in {b}", f"only in {a}", f"{b} - {a}")
    )
    return DiffResult(
        lm.name,
        chain.id,
        str(a),
        str(b),
        (a, b),
        _selection(options["threshold"], options["top_k"]),
        gained,
        lost,
        kept,
        first.received,
        second.received,
        chain.residue_ids,
        scene,
        residues,
        (chain.sequence, chain.sequence),
        None,
        first.notes,
    )


# ------------------------------------------------------------------ per-head agreement


def interface_mask(
    structure: Structure, chain: Chain, partners: Sequence[str], cutoff: float = SITE_CUTOFF
) -> np.ndarray:
    """Residues of ``chain`` with a heavy atom within ``cutoff`` Å of a partner chain's.

    With the antigen as partner, an antibody chain's paratope.

    Parameters
    ----------
    structure : Structure
    chain : Chain
    partners : sequence of str
        Chain ids of ``structure`` (:class:`~protattn.errors.ChainError` naming the
        choices for one it lacks); ``chain`` itself is refused.
    cutoff : float

    Returns
    -------
    numpy.ndarray
        ``shape=(L,), dtype=bool``; False where a residue is not observed.
    """
    if chain.id in partners:
        raise ProtattnError(
            f"chain {chain.id} cannot be its own partner; give the chains it binds "
            "(an antibody chain's antigen)"
        )
    atoms = [
        np.asarray(list(a.values()), dtype=float).reshape(-1, 3)
        for p in partners
        for a in structure.chain(p).atoms
        if a
    ]
    out = np.zeros(len(chain), dtype=bool)
    if not atoms:
        return out
    other = np.concatenate(atoms)
    lo, hi = other.min(axis=0) - cutoff, other.max(axis=0) + cutoff
    for k, residue in enumerate(chain.atoms):
        if not residue:
            continue
        xyz = np.asarray(list(residue.values()), dtype=float).reshape(-1, 3)
        xyz = xyz[((xyz >= lo) & (xyz <= hi)).all(axis=1)]
        if len(xyz):
            d2 = ((xyz[:, None, :] - other[None, :, :]) ** 2).sum(axis=-1)
            out[k] = bool((d2 <= cutoff * cutoff).any())
    return out


@dataclass(frozen=True)
class HeadChange:
    """How one head's agreement with one property changes: wild type, then mutant.

    Attributes
    ----------
    layer, head : int
        1-based.
    prop : str
    before, after : float
        Share of the head's high-confidence arcs on the property (NaN without arcs).
    arcs_before, arcs_after : int
        Its high-confidence arcs.
    background : float
        The property's background rate (the same for both: the structure's masks).
    """

    layer: int
    head: int
    prop: str
    before: float
    after: float
    arcs_before: int
    arcs_after: int
    background: float

    @property
    def layer_head(self) -> str:
        return f"{self.layer}-{self.head}"

    @property
    def change(self) -> float:
        """``after - before`` (NaN where either has no arcs)."""
        return self.after - self.before


@dataclass(frozen=True, eq=False)
class HeadChanges:
    """Every head's change of agreement with each property, largest change first.

    Attributes
    ----------
    model : str
    chain : str
    mutant : str
        The mutations, as :meth:`Mutant.describe` says them.
    properties : tuple of str
    threshold : float
        θ of the high-confidence arcs.
    min_arcs : int
        Heads with fewer arcs in either sequence are not ranked.
    rows : tuple of HeadChange
        Per property (in order), ranked heads by ``|change|``, largest first.
    definition : {"paper", "judged"}
        How arcs were counted: ``a_ij >= θ`` (paper) or ``a_ij > θ`` (judged).
    before, after : HeadStatistics
        The statistics of the wild type and of the mutant.
    notes : tuple of str
    """

    model: str
    chain: str
    mutant: str
    properties: tuple[str, ...]
    threshold: float
    min_arcs: int
    rows: tuple[HeadChange, ...]
    definition: str
    before: HeadStatistics = field(repr=False)
    after: HeadStatistics = field(repr=False)
    notes: tuple[str, ...] = ()

    def ranked(self, prop: str) -> list[HeadChange]:
        """The ranked heads of one property."""
        return [r for r in self.rows if r.prop == prop]

    @property
    def arcs(self) -> str:
        """What a high-confidence arc is, in words: ``"a_ij >= 0.3"``."""
        return f"a_ij {'>=' if self.definition == 'paper' else '>'} {self.threshold:g}"

    def summary(self) -> str:
        """One line for a log: the head that changes most for each property."""
        parts = []
        for prop in self.properties:
            rows = self.ranked(prop)
            parts.append(
                f"{prop}: {rows[0].layer_head} {rows[0].before:.3f} -> {rows[0].after:.3f}"
                if rows
                else f"{prop}: no head with {self.min_arcs}+ arcs"
            )
        return "; ".join(
            [
                f"{self.model} chain {self.chain}, {self.mutant}: heads whose agreement "
                f"changes most (share of arcs {self.arcs}) - " + ", ".join(parts),
                *self.notes,
            ]
        )

    def table(self, top: int | None = 10) -> list[str]:
        """Text lines: for each property, the ``top`` heads that change most (None: all)."""
        lines = []
        for prop in self.properties:
            rows = self.ranked(prop)
            background = rows[0].background if rows else float("nan")
            lines.append(
                f"{prop} (background {background:.3f}): share of high-confidence arcs "
                f"({self.arcs}), wild type -> mutant"
            )
            lines.append(f"  {'head':<7}{'wild type':>10}{'mutant':>9}{'change':>9}{'arcs':>12}")
            for r in rows[:top] if top else rows:
                lines.append(
                    f"  {r.layer_head:<7}{r.before:>10.3f}{r.after:>9.3f}{r.change:>+9.3f}"
                    f"{f'{r.arcs_before}->{r.arcs_after}':>12}"
                )
            if not rows:
                lines.append(f"  no head has {self.min_arcs} or more arcs in both sequences")
        return lines


#: Properties :func:`head_changes` judges: the structure's own, the same for both sequences.
STRUCTURE_PROPERTIES = ("contact", "binding_site", "interface", *SS_CLASSES)


def _check_properties(names: Sequence[str]) -> tuple[str, ...]:
    out = []
    for name in names:
        if name not in STRUCTURE_PROPERTIES and not (
            name.startswith("binding_site:") and len(name) > 13
        ):
            raise ProtattnError(
                f"{name!r} is not a property of the structure; a mutant is judged on the "
                f"wild type's own: {', '.join(STRUCTURE_PROPERTIES)} or binding_site:<ligand "
                "code> (amino acids change with the sequence)"
            )
        out.append(name)
    return tuple(out)


def _statistics(
    lm,
    sequence: str,
    masks: dict[str, PropertyMask],
    threshold: float,
    definition: str,
    min_arcs: int,
    window: int | None,
    stride: int | None,
) -> HeadStatistics:
    """One chain's per-head statistics: one streamed pass of the model, counted."""
    accumulator = HeadStatsAccumulator(lm.n_layers, lm.n_heads, threshold, definition)
    message = chain_counts(lm, sequence, definition, threshold, masks, window, stride)
    tally = Tally(lm.n_layers, lm.n_heads, threshold)
    tally.add(definition, ChainCounter.from_message(accumulator, message))
    return tally.statistics(definition, min_arcs=min_arcs)


def head_changes(
    structure: Structure,
    chain: Chain | str,
    mutant: str | Sequence[Mutation] | Mutant,
    model: str = "antiberty",
    properties: Sequence[str] | None = None,
    partners: Sequence[str] = (),
    threshold: float = 0.3,
    min_arcs: int = 20,
    min_separation: int = 6,
    site_kinds: Sequence[str] = ("ligand",),
    definition: str = DEFAULT_DEFINITION,
    device: str | None = None,
    dtype: str | None = None,
    window: int | None = None,
    stride: int | None = None,
) -> HeadChanges:
    """Every head's change of agreement with the structure, wild type to mutant.

    Both sequences are counted against the same masks, the wild type's structure's
    (:func:`protattn.api.stats.chain_properties`): what changes is attention only.

    Parameters
    ----------
    structure : Structure
    chain : Chain or str
        The chain mutated, or its id.
    mutant : str or sequence of Mutation or Mutant
        As :func:`compare` takes it.
    model : str
    properties : sequence of str, optional
        Of :data:`STRUCTURE_PROPERTIES` or ``binding_site:CODE``. By default
        ``contact``, ``binding_site`` where a ligand of ``site_kinds`` touches the
        chain, and ``interface`` with ``partners``.
    partners : sequence of str
        Chains whose atoms within 4 Å make the ``interface`` property (for an
        antibody chain: the antigen, making it the paratope).
    threshold : float
        θ of the high-confidence arcs (the paper's 0.3).
    min_arcs : int
        Heads with fewer arcs in either sequence are not ranked (a share of few arcs
        changes a lot by chance).
    min_separation : int
        For contacts.
    site_kinds : sequence of str
    definition : {"paper", "judged"}
    device, dtype, window, stride
        As :func:`protattn.api.stats.head_statistics` takes them.

    Returns
    -------
    HeadChanges
    """
    threshold = check_threshold(threshold, "θ (threshold)")
    min_separation = check_min_separation(min_separation)
    if definition not in DEFINITIONS:
        raise ProtattnError(
            f"unknown definition {definition!r}; choose from {', '.join(DEFINITIONS)}"
        )
    unknown = sorted(set(site_kinds) - set(LIGAND_KINDS))
    if unknown:
        raise ProtattnError(
            f"unknown site kind {', '.join(unknown)}; choose from {', '.join(LIGAND_KINDS)}"
        )
    wild = structure.chain(chain) if isinstance(chain, str) else chain
    changed = mutant_of(wild, mutant)
    partners = tuple(partners)
    for p in partners:
        structure.chain(p)  # a chain it lacks: the choices
    notes: list[str] = []
    if properties is None:
        touched = any(
            site_mask(wild, [s]).any() for s in binding_sites(structure, kinds=tuple(site_kinds))
        )
        names: tuple[str, ...] = ("contact",) + (("binding_site",) if touched else ())
        if partners:
            names += ("interface",)
        if not touched:
            notes.append(
                f"no {'/'.join(site_kinds)} touches chain {wild.id}: no binding site judged"
                + (
                    ""
                    if partners
                    else "; give partner chains (an antibody's antigen) for the interface"
                )
            )
    else:
        names = _check_properties(properties)
    if "interface" in names and not partners:
        raise ProtattnError("the interface property needs partner chains (e.g. the antigen)")
    lm = get_model(model, device, dtype)
    plain = [n for n in names if n != "interface"]
    masks = chain_properties(structure, wild, plain, min_separation, site_kinds=site_kinds)
    if "interface" in names:
        attended = np.broadcast_to(wild.observed[None, :], (len(wild), len(wild)))
        masks["interface"] = PropertyMask.residue(
            interface_mask(structure, wild, partners), valid=attended
        )
    masks = {n: masks[n] for n in names}
    wt, mt = wild.sequence, changed.sequence
    limit = min(PAPER_MAX_RESIDUES, lm.max_residues or PAPER_MAX_RESIDUES)
    if definition == "paper" and len(wt) > limit:
        notes.append(
            f"chain {wild.id} cut to its first {limit} residues, as the paper's code cuts it"
        )
        wt, mt = wt[:limit], mt[:limit]
        masks = {n: m.truncated(limit) for n, m in masks.items()}
    before = _statistics(lm, wt, masks, threshold, definition, min_arcs, window, stride)
    after = _statistics(lm, mt, masks, threshold, definition, min_arcs, window, stride)
    rows: list[HeadChange] = []
    for name in names:
        b, a = before[name], after[name]
        ranked = []
        for layer in range(lm.n_layers):
            for head in range(lm.n_heads):
                arcs = int(b.n_arcs[layer, head]), int(a.n_arcs[layer, head])
                if min(arcs) < max(min_arcs, 1):
                    continue
                ranked.append(
                    HeadChange(
                        layer + 1,
                        head + 1,
                        name,
                        float(b.share[layer, head]),
                        float(a.share[layer, head]),
                        *arcs,
                        float(b.background),
                    )
                )
        ranked.sort(key=lambda r: (-abs(r.change), r.layer, r.head))
        rows.extend(ranked)
    return HeadChanges(
        lm.name,
        wild.id,
        changed.describe(),
        names,
        threshold,
        min_arcs,
        tuple(rows),
        definition,
        before,
        after,
        tuple(notes),
    )
