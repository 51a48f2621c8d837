"""The requests every front end makes: chains in, pairs or residue scores and a scene out.

PyMOL, ChimeraX and the command line all call these two functions, so the same
options mean the same thing everywhere. Everything is computed and checked
before a host draws anything: an error leaves the user's session untouched.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from ..analysis.pairs import Pair, chain_pairs
from ..compute.backend import get_model
from ..errors import ModelError, ProtattnError, StructureError
from ..lm.compact import CompactAttention
from ..lm.contract import Model
from ..lm.heads import HeadSpec, parse_layer_head
from ..lm.inference import compact_attention, head_maps, run_note
from ..palettes import Palette, parse_palette
from ..scene import Scene, pair_scene, parse_radius, parse_range, residue_scene, share_scale
from ..scene import value_range as _value_range
from ..structure.model import Chain, ResidueId, join_chains
from ..structure.properties import CONTACT_CUTOFF
from ..words import plural
from .checks import check_min_separation, check_threshold, check_top_k
from .stats import unknown_only_note

__all__ = [
    "PairsResult",
    "ScoresResult",
    "compute_pairs",
    "compute_scores",
    "on_one_scale",
]


def _prepare(
    chains: Sequence[Chain],
    layer_head: str | HeadSpec,
    model: str,
    device: str | None,
    window: int | None,
    stride: int | None,
    concatenate: bool,
    dtype: str | None = None,
) -> tuple[Model, HeadSpec]:
    """Load the model and check every argument before anything runs."""
    if not chains:
        raise StructureError(
            "no protein chain was selected; select residues of a protein (e.g. 'polymer.protein')"
        )
    lm = get_model(model, device, dtype)
    spec = parse_layer_head(layer_head, lm.n_layers, lm.n_heads)
    if window is not None and window < 1 or stride is not None and stride < 1:
        raise ModelError("window and stride must be positive numbers of residues")
    if window is not None and stride is not None and stride > window:
        raise ModelError(
            f"stride {stride} is larger than the window {window}: residues would "
            f"be left out; use a stride of at most {window}"
        )
    if lm.max_residues is not None and window is not None and window > lm.max_residues:
        raise ModelError(
            f"a window of {window} residues is larger than {lm.name}'s limit of "
            f"{lm.max_residues}; use window={lm.max_residues} or less"
        )
    if concatenate and len(chains) > 1:
        if window is not None:
            raise ModelError(
                "windows and concatenated chains cannot be combined; run long chains one by one"
            )
        lm.check_segments([c.sequence for c in chains])
    return lm, spec


def _runs(
    lm: Model, chains: Sequence[Chain], window: int | None, stride: int | None, concatenate: bool
) -> list[tuple[Chain, list[Chain], CompactAttention]]:
    """(chain as run, the chains it holds, compact attention) for each model input."""
    groups = [list(chains)] if concatenate and len(chains) > 1 else [[c] for c in chains]
    return [
        (
            join_chains(group),
            group,
            compact_attention(lm, [c.sequence for c in group], window, stride),
        )
        for group in groups
    ]


@dataclass(frozen=True)
class PairsResult:
    """High-attention pairs of one head over one or more chains, and what to draw.

    Attributes
    ----------
    model : str
    head : HeadSpec
    pairs : tuple of Pair
        Strongest first.
    scene : Scene
    notes : tuple of str
        How the attention was obtained, where a user should know (windows,
        concatenated chains).
    """

    model: str
    head: HeadSpec
    pairs: tuple[Pair, ...]
    scene: Scene
    notes: tuple[str, ...] = ()

    @property
    def n_contacts(self) -> int:
        return sum(1 for p in self.pairs if p.contact)

    def summary(self) -> str:
        """One line for a log."""
        known = sum(1 for p in self.pairs if p.contact is not None)
        chains = sorted(
            {p.chain for p in self.pairs} | {p.chain_j for p in self.pairs if p.chain_j}
        )
        between = sum(1 for p in self.pairs if p.inter_chain)
        line = (
            f"{self.model} {self.head}: {plural(len(self.pairs), 'pair')}"
            f"{' on chain ' + ','.join(chains) if chains else ''}"
            f"{f' ({between} between chains)' if between else ''}, "
            f"{self.n_contacts} of {known} in contact (CB-CB < {CONTACT_CUTOFF:g} A)"
        )
        if self.scene.skipped:
            n = self.scene.skipped
            verb = (
                "involves an unobserved residue and is"
                if n == 1
                else ("involve unobserved residues and are")
            )
            line += f"; {n} {verb} not drawn"
        if self.scene.bonds:
            line += f"; {self.scene.scale_text()}"
        return "; ".join([line, *self.notes])


@dataclass(frozen=True)
class ScoresResult:
    """Attention received per residue for one head, and the residue colours.

    Attributes
    ----------
    model : str
    head : HeadSpec
    scores : dict of str to numpy.ndarray
        Chain id to scores of every sequence position, ``shape=(L,)``.
    scene : Scene
    notes : tuple of str
    """

    model: str
    head: HeadSpec
    scores: dict[str, np.ndarray]
    scene: Scene
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for a log."""
        n = sum(len(s) for s in self.scores.values())
        return "; ".join(
            [
                f"{self.model} {self.scene.label or f'{self.head}: attention received'} "
                "coloured on "
                f"{len(self.scene.residues)} of {plural(n, 'residue')}",
                self.scene.scale_text(),
                *self.notes,
            ]
        )


def _notes(runs: Sequence[tuple[Chain, list[Chain], CompactAttention]]) -> tuple[str, ...]:
    """What a user should know about the runs: windows, joined chains, unknown residues only."""
    notes = ((joined.id, run_note(run.lengths, run.window_ranges)) for joined, _, run in runs)
    unknown = tuple(
        unknown_only_note(part.id)
        for _, parts, _ in runs
        for part in parts
        if set(part.sequence) <= {"X"}
    )
    return tuple(f"chain {chain}: {note}" for chain, note in notes if note) + unknown


def _scale(
    value_range: tuple[float, float] | str | None,
    radius: tuple[float, float] | float | str = (0.05, 0.3),
    palette: str | Palette = "attention",
) -> tuple[tuple[float, float] | None, Palette]:
    """The fixed scale asked for (None: the values' own) and the palette, checked with the radii."""
    try:
        parse_radius(radius)
        pal = parse_palette(palette)
        fixed = parse_range(value_range)
    except ValueError as e:
        raise ProtattnError(str(e)) from None
    return (fixed if fixed is not None else pal.values), pal


R = TypeVar("R", "PairsResult", "ScoresResult")


def on_one_scale(results: Sequence[R], what: str = "structures") -> list[R]:
    """Results of one command (one per structure) on one colour and radius scale.

    A front end that draws several structures with one command calls this, so a
    colour means the same value on each; results whose range was fixed keep it.

    Parameters
    ----------
    results : sequence of PairsResult or ScoresResult
    what : str
        What the results are, for the log line: ``"the range over 2 structures"``.

    Returns
    -------
    list
        The same results, their scenes rescaled (:func:`protattn.scene.share_scale`).
    """
    drawn = sum(1 for r in results if r.scene.bonds or r.scene.residues)
    scenes = share_scale([r.scene for r in results], f"{drawn} {what}")
    return [replace(r, scene=s) for r, s in zip(results, scenes)]


def compute_pairs(
    chains: Sequence[Chain],
    layer_head: str | HeadSpec,
    model: str = "antiberty",
    threshold: float = 0.1,
    top_k: int | None = None,
    min_separation: int = 1,
    symmetrize: str = "max",
    palette: str | Palette = "attention",
    device: str | None = None,
    within: Collection[ResidueId] | None = None,
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    color_by: str = "weight",
    dtype: str | None = None,
    value_range: tuple[float, float] | str | None = None,
    radius: tuple[float, float] | float | str = (0.05, 0.3),
) -> PairsResult:
    """High-attention residue pairs of one head (or layer aggregate) for each chain.

    Parameters
    ----------
    chains : sequence of Chain
        Each chain is run through the model on its own, unless ``concatenate``.
    layer_head : str or HeadSpec
        ``"7-1"`` (1-based layer and head), ``"7-mean"`` or ``"7-max"``.
    model : str
        Short name, Hugging Face id or directory (see :func:`protattn.load_model`).
    threshold : float
        Keep pairs whose symmetrised weight is above it (default 0.1); in (0, 1]
        (:func:`protattn.api.checks.check_threshold`).
    top_k : int, optional
        Keep the ``top_k`` strongest pairs of each model input (a chain, or the
        concatenated chains) instead of thresholding: at least 1, or None / ``"off"``.
    min_separation : int
        Minimum ``|i - j|`` in sequence within a chain (1: no self-pairs), from 0 and
        below the longest chain; pairs between chains are always kept.
    symmetrize : {"max", "mean"}
        How ``a_ij`` and ``a_ji`` are combined.
    palette : str or Palette
        Colour palette of the pseudo-bonds, a name or a spec
        (:func:`protattn.palettes.parse_palette`).
    device : str, optional
    within : collection of ResidueId, optional
        Keep only pairs with both residues in it, ``top_k`` counting these only
        (the model still sees whole chains).
    window : int, optional
        Run chains longer than this as overlapping windows of this many residues
        (default: windows only for chains longer than the model's limit, at that limit).
    stride : int, optional
        Residues between window starts (default half the window).
    concatenate : bool
        Run all ``chains`` as one input (joined by the family's separator token or a
        poly-G linker, see :mod:`protattn.lm.model`) to expose attention between chains.
    color_by : {"weight", "contact"}
        Colour pairs by weight (``palette``) or green / red for true / false contacts.
    dtype : {"float32", "float16", "bfloat16"}, optional
        The model's precision; half precision on a GPU only (weights are still
        compared with ``threshold`` in float32).
    value_range : (float, float) or str, optional
        A fixed scale of colour and radius (``"full"``: 0 to 1; ``"lo,hi"``), so a
        weight looks the same in every drawing; by default the drawn weights' range
        (:func:`protattn.scene.parse_range`).
    radius : (float, float) or float or str
        Radii (Å) at the scale's ends, or one for every pair
        (:func:`protattn.scene.parse_radius`).

    Returns
    -------
    PairsResult
        Its summary states the scale used (:meth:`protattn.scene.Scene.scale_text`).
    """
    if symmetrize not in ("max", "mean"):
        raise ProtattnError(f"symmetrize must be 'max' or 'mean', not {symmetrize!r}")
    # every argument is checked before a model loads
    threshold = check_threshold(threshold)
    top_k = check_top_k(top_k)
    together = concatenate and len(chains) > 1  # pairs between chains need no separation
    min_separation = check_min_separation(
        min_separation, () if together else [len(c) for c in chains]
    )
    _scale(value_range, radius, palette)
    lm, spec = _prepare(chains, layer_head, model, device, window, stride, concatenate, dtype)
    runs = _runs(lm, chains, window, stride, concatenate)
    pairs: list[Pair] = []
    notes = _notes(runs)
    reran = False
    for joined, parts, run in runs:

        def select(
            need_all: bool,
            joined: Chain = joined,
            parts: list[Chain] = parts,
            run: CompactAttention = run,
        ) -> list[Pair]:
            weights = (
                head_maps(lm, [c.sequence for c in parts], [spec], window, stride)[spec]
                if need_all
                else run.head_map(spec)
            )
            return chain_pairs(
                joined,
                weights,
                threshold,
                top_k,
                min_separation,
                symmetrize,
                within=within,
                parts=parts,
            )

        # below the floor the compact attention keeps no weight: the whole map is needed
        # for a lower threshold, for mean symmetrisation (both weights of a pair) and for
        # top-k when fewer than k pairs reach the floor
        need_all = not run.answers(None if top_k is not None else threshold, symmetrize)
        found = select(need_all)
        if top_k is not None and not need_all and found and found[-1].weight < run.floor:
            need_all = True
            found = select(True)
        reran = reran or need_all
        pairs.extend(found)
    if reran:
        notes += (
            f"weights below {runs[0][2].floor:g} are not cached: head {spec}'s whole "
            "map came from one more pass of the model (kept for the session)",
        )
    pairs.sort(key=lambda p: -p.weight)
    scene = pair_scene(pairs, palette, radius, color_by, value_range)
    return PairsResult(lm.name, spec, tuple(pairs), scene, notes)


def compute_scores(
    chains: Sequence[Chain],
    layer_head: str | HeadSpec,
    model: str = "antiberty",
    palette: str | Palette = "attention",
    device: str | None = None,
    within: Collection[ResidueId] | None = None,
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    dtype: str | None = None,
    value_range: tuple[float, float] | str | None = None,
) -> ScoresResult:
    """Attention each residue receives from one head (column sum over queries / L).

    Parameters
    ----------
    chains : sequence of Chain
    layer_head : str or HeadSpec
    model : str
    palette : str or Palette
        A name or a spec (:func:`protattn.palettes.parse_palette`).
    device : str, optional
    within : collection of ResidueId, optional
        Colour only these residues (the model still sees whole chains).
    window : int, optional
        Run chains longer than this as overlapping windows of this many residues
        (default: windows only for chains longer than the model's limit, at that limit).
    stride : int, optional
        Residues between window starts (default half the window).
    concatenate : bool
        Run all ``chains`` as one input (joined by the family's separator token or a
        poly-G linker, see :mod:`protattn.lm.model`) to expose attention between chains.
    dtype : {"float32", "float16", "bfloat16"}, optional
        The model's precision; half precision on a GPU only.
    value_range : (float, float) or str, optional
        A fixed colour scale (``"lo,hi"``; ``"full"``: 0 to 1); by default the range
        of the coloured residues, shared by all ``chains``.

    Returns
    -------
    ScoresResult
        Scores of every position of every chain; colours span ``value_range`` or the
        range of the coloured residues. With ``concatenate``, ``L`` is the total length and
        queries come from every chain.
    """
    fixed, pal = _scale(value_range, palette=palette)
    lm, spec = _prepare(chains, layer_head, model, device, window, stride, concatenate, dtype)
    runs = _runs(lm, chains, window, stride, concatenate)
    scores: dict[str, np.ndarray] = {}
    for _, parts, run in runs:
        joint = run.scores(spec)
        for part, piece in zip(parts, np.split(joint, np.cumsum([len(c) for c in parts])[:-1])):
            scores[part.id] = piece
    shown = np.array(
        [
            s
            for c in chains
            for rid, s in zip(c.residue_ids, scores[c.id])
            if rid is not None and (within is None or rid in within)
        ]
    )
    lo, hi = fixed if fixed is not None else _value_range(shown)
    residues = [
        r
        for c in chains
        for r in residue_scene(c, scores[c.id], pal, lo, hi).residues
        if within is None or r.residue in within
    ]
    skipped = sum(len(c) for c in chains) - len(residues)
    scene = Scene(
        residues=tuple(residues),
        skipped=skipped,
        vmin=lo,
        vmax=hi,
        palette=pal,
        fixed=fixed is not None,
    )
    return ScoresResult(lm.name, spec, scores, scene, _notes(runs))
