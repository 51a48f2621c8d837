"""The paper's analysis for the structures at hand: per-head statistics, head ranking, contacts.

Every front end (PyMOL, ChimeraX, the command line) asks these functions, so
"which heads of this model look at contacts / at this ligand's binding site,
here" has one answer everywhere. Attention comes from
:func:`protattn.lm.inference.chain_attention` (windowed, cached) and is consumed
one chain at a time; the statistics keep counts only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import numpy as np

from ..analysis.results import HeadStatistics
from ..analysis.statistics import HeadStatsAccumulator
from ..analysis.tally import Tally
from ..compute.backend import get_model
from ..errors import ProtattnError, StructureError
from ..lm.cache import AttentionCache, CacheWarning, cache_key
from ..lm.contract import Model
from ..lm.counts import DEFAULT_DEFINITION, DEFAULT_MIN_ARCS, DEFINITIONS, ChainCounter
from ..lm.inference import chain_attention_key, chain_counts
from ..lm.masks import PropertyMask
from ..structure.dssp import secondary_structure
from ..structure.model import Chain, ResidueId, Structure
from ..structure.properties import AMINO_ACIDS, contact_map, observed_pairs
from ..structure.sites import LIGAND_KINDS, binding_sites, site_mask
from .checks import check_min_separation, check_threshold

__all__ = [
    "SS_CLASSES",
    "PAPER_MAX_RESIDUES",
    "DEFAULT_PROPERTIES",
    "property_names",
    "chain_properties",
    "head_statistics",
    "ChainProgress",
    "clear_counts",
    "unknown_only_note",
]

#: The paper's four secondary-structure classes, by the one-letter code of
#: :func:`protattn.structure.dssp.secondary_structure`.
SS_CLASSES = {"helix": "H", "strand": "E", "turn_bend": "T", "other": "C"}

#: The paper's code cuts every sequence to 512 tokens, two of them special tokens.
PAPER_MAX_RESIDUES = 510

#: Properties analysed when none are named.
DEFAULT_PROPERTIES = ("contact", "binding_site", *SS_CLASSES, *(f"aa:{aa}" for aa in AMINO_ACIDS))


def property_names(names: str | Sequence[str] | None) -> tuple[str, ...]:
    """Validate property names: ``contact``, ``binding_site`` (or ``binding_site:CODE`` for
    one ligand), ``helix``, ``strand``, ``turn_bend``, ``other``, ``aa:X``, ``selection``
    (residues the user names), or ``all`` (every one but ``selection``)."""
    if names is None or names == "all" or list(names) == ["all"]:
        return DEFAULT_PROPERTIES
    if isinstance(names, str):
        names = [n for n in names.replace(",", " ").split() if n]
    out = []
    for name in names:
        ok = (
            name in ("contact", "binding_site", "selection")
            or name in SS_CLASSES
            or (name.startswith("aa:") and name[3:] in AMINO_ACIDS and len(name) == 4)
            or (name.startswith("binding_site:") and len(name) > 13)
        )
        if not ok:
            raise ProtattnError(
                f"unknown property {name!r}; choose from contact, binding_site, "
                "binding_site:<ligand code>, helix, strand, turn_bend, other, aa:<one letter>, "
                "selection (residues you name), or all"
            )
        out.append(name)
    return tuple(out)


def chain_properties(
    structure: Structure,
    chain: Chain,
    properties: Sequence[str],
    min_separation: int = 6,
    contact_cutoff: float = 8.0,
    site_cutoff: float = 4.0,
    site_kinds: Sequence[str] = ("ligand",),
    selection: Collection[ResidueId] | None = None,
) -> dict[str, PropertyMask]:
    """The property masks of one chain, each with the pairs it is judged on.

    - ``contact`` (a pair property): Cβ–Cβ < ``contact_cutoff``; judged on pairs of
      observed residues with ``|i - j| >= min_separation``.
    - ``binding_site`` (of the attended residue): within ``site_cutoff`` Å of a
      ligand of ``site_kinds`` (``binding_site:CODE``: of ligands named CODE);
      judged on pairs whose attended residue is observed.
    - secondary-structure classes (of the attended residue): judged likewise.
    - ``aa:X`` (of the attended residue): judged on every pair.
    - ``selection`` (of the attended residue): one of the residues of ``selection``
      (an active site, an epitope, a motif); judged on every pair.
    """
    n = len(chain)
    observed = chain.observed
    both = observed_pairs(chain)
    sep = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) >= min_separation
    attended_known = np.broadcast_to(observed[None, :], (n, n))
    masks: dict[str, PropertyMask] = {}
    sites = None
    ss = None
    for name in properties:
        if name == "contact":
            masks[name] = PropertyMask.pair(
                contact_map(chain, contact_cutoff, min_separation), valid=both & sep
            )
        elif name.startswith("binding_site"):
            if sites is None:
                sites = binding_sites(structure, site_cutoff, kinds=tuple(site_kinds))
            code = name.partition(":")[2]
            chosen = [
                s for s in sites if not code or (s.ligand is not None and s.ligand.name == code)
            ]
            masks[name] = PropertyMask.residue(site_mask(chain, chosen), valid=attended_known)
        elif name in SS_CLASSES:
            if ss is None:
                ss = np.array(list(secondary_structure(chain, structure)))
            masks[name] = PropertyMask.residue(ss == SS_CLASSES[name], valid=attended_known)
        elif name == "selection":
            if selection is None:
                raise ProtattnError(
                    "the property selection needs residues: name them (--residues H:95-102, "
                    "or a selection in PyMOL or ChimeraX)"
                )
            masks[name] = PropertyMask.residue(
                np.array([rid is not None and rid in selection for rid in chain.residue_ids])
            )
        else:
            masks[name] = PropertyMask.residue(
                np.array([aa == name[3:] for aa in chain.sequence], dtype=bool)
            )
    return masks


@dataclasses.dataclass(frozen=True)
class ChainProgress:
    """Where :func:`head_statistics` is: chains done of ``total``, the rate and time left.

    Attributes
    ----------
    done, total : int
    name : str
        The chain just counted (``"1hpv A"``).
    seconds : float
        Since the first chain started.
    """

    done: int
    total: int
    name: str
    seconds: float

    @property
    def rate(self) -> float:
        """Chains per second so far."""
        return self.done / self.seconds if self.seconds > 0 else math.inf

    @property
    def eta(self) -> float:
        """Seconds left at this rate."""
        return (self.total - self.done) / self.rate if self.rate > 0 else math.inf

    def text(self) -> str:
        """``"3 of 12 chains, 1.2 chains/s, about 8 s left"``."""
        left = "" if self.done == self.total else f", about {self.eta:.0f} s left"
        return f"{self.done} of {self.total} chains, {self.rate:.2g} chains/s{left}"


def _progress(total: int, quiet: bool):
    if quiet:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with transformers
        return None
    return tqdm(total=total, unit="chain", file=sys.stderr, desc="attention")


def head_statistics(
    structures: Iterable[Structure],
    model: str | Model = "antiberty",
    properties: str | Sequence[str] | None = None,
    chains: Sequence[str] | None = None,
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    min_separation: int = 6,
    site_kinds: Sequence[str] = ("ligand",),
    window: int | None = None,
    stride: int | None = None,
    device: str | None = None,
    quiet: bool = True,
    on_chain: Callable[[Structure, Chain], None] | None = None,
    definition: str = DEFAULT_DEFINITION,
    dtype: str | None = None,
    progress: Callable[[ChainProgress], None] | None = None,
    selection: Collection[ResidueId] | None = None,
) -> HeadStatistics:
    """Per-head agreement of attention with structural properties over a set of structures.

    Counts are summed over every chain of every structure (as the paper did
    over its datasets) before shares, intervals and tests are computed.
    Under the paper's definition a chain longer than the model's input is cut,
    as the paper's code cuts it, to its first :data:`PAPER_MAX_RESIDUES` residues
    (or the model's own limit, if smaller), and its properties with it.

    Parameters
    ----------
    structures : iterable of Structure
    model : str or Model
        A name for :func:`protattn.compute.backend.get_model`, or a model it returned.
    properties : str or sequence of str, optional
        See :func:`property_names`; default all.
    chains : sequence of str, optional
        Chain ids to use in every structure (default: all protein chains).
    threshold : float
        High-confidence attention θ (the paper's 0.3): arcs with ``a_ij ≥ θ``
        (paper) or ``a_ij > θ`` (judged) count.
    min_arcs : int
        Heads with too few high-confidence arcs over the set are flagged: 100 or
        fewer (paper), fewer than 100 (judged).
    min_separation : int
        Minimum ``|i - j|`` for contact pairs (6, as in contact prediction).
    site_kinds : sequence of str
        Which HETATM groups make binding sites (``ligand``, ``ion``, ``glycan``, ``additive``).
    window, stride : int, optional
        Windows for long chains (see :func:`protattn.lm.inference.chain_attention`).
    device : str, optional
    quiet : bool
        No progress bar on standard error.
    on_chain : callable, optional
        Called with each (structure, chain) before it is analysed.
    progress : callable, optional
        Called with a :class:`ChainProgress` after each chain (how a host shows
        progress in its own way; ``quiet=False`` draws a bar on standard error).
    definition : {"paper", "judged"}
        The paper's own counting (default) or share and background judged on the
        same pairs; see :mod:`protattn.analysis.statistics`.
    dtype : {"float32", "float16", "bfloat16"}, optional
        The model's precision when it is loaded here by name; half precision on a GPU
        only (θ is still decided on float32 values).
    selection : collection of ResidueId, optional
        The residues of the property ``selection``
        (:class:`~protattn.structure.selection.ResidueSelection`); with it, only the
        chains holding one of them are counted (the question is about attention within
        those chains, and a chain without them would only dilute the background).

    Each chain's counts come from one streamed pass of the model (every layer
    counted as it is computed, then dropped; :func:`protattn.lm.inference.chain_counts`),
    on the model's float32 weights, and are kept for the session and in the disk
    cache beside the run's compact attention, so asking again (another property
    set aside) never re-runs the model. They are summed in a
    :class:`~protattn.analysis.tally.Tally`, as a survey sums them: the same counts
    in any order of the structures.

    Returns
    -------
    HeadStatistics

    Raises
    ------
    ProtattnError
        For an unknown property, site kind or definition, or windows asked for
        under the paper's definition (which truncates instead).
    """
    if definition not in DEFINITIONS:
        raise ProtattnError(
            f"unknown definition {definition!r}; choose from "
            f"{', '.join(DEFINITIONS)} (paper: the paper's own counting)"
        )
    paper = definition == "paper"
    if paper and (window is not None or stride is not None):
        raise ProtattnError(
            "the paper's definition cuts long chains to the model's input, as "
            "the paper's code does, and uses no windows; give definition "
            "judged to analyse long chains in windows"
        )
    threshold = check_threshold(threshold, "θ (threshold)")
    min_separation = check_min_separation(min_separation)
    names = property_names(properties)
    unknown = sorted(set(site_kinds) - set(LIGAND_KINDS))
    if unknown:
        raise ProtattnError(
            f"unknown site kind {', '.join(unknown)}; choose from {', '.join(LIGAND_KINDS)}"
        )
    lm = get_model(model, device, dtype) if isinstance(model, str) else model
    structures = list(structures)
    todo = [(s, c) for s in structures for c in s.chains if chains is None or c.id in chains]
    if "selection" in names:
        if not selection:
            raise ProtattnError(
                "the property selection needs residues: name them (--residues H:95-102, "
                "or a selection in PyMOL or ChimeraX)"
            )
        todo = [(s, c) for s, c in todo if any(r in selection for r in c.residue_ids if r)]
        if not todo:
            raise StructureError(
                "none of the selected residues is in a protein chain analysed here; select "
                "residues of the structures' protein chains"
            )
    if not todo:
        raise StructureError(
            "none of the structures has a protein chain to analyse"
            + (f" among chains {', '.join(chains)}" if chains else "")
        )
    accumulator = HeadStatsAccumulator(lm.n_layers, lm.n_heads, threshold, definition)
    tally = Tally(lm.n_layers, lm.n_heads, threshold)
    limit = min(PAPER_MAX_RESIDUES, lm.max_residues or PAPER_MAX_RESIDUES)
    truncated = []
    notes = [unknown_only_note(f"{s.name} {c.id}") for s, c in todo if set(c.sequence) <= {"X"}]
    bar = _progress(len(todo), quiet)
    started = time.perf_counter()
    for done, (structure, chain) in enumerate(todo, 1):
        if on_chain is not None:
            on_chain(structure, chain)
        masks = chain_properties(
            structure, chain, names, min_separation, site_kinds=site_kinds, selection=selection
        )
        sequence = chain.sequence
        if paper and len(sequence) > limit:
            truncated.append(f"{structure.name} {chain.id}: {len(sequence)} → {limit}")
            sequence = sequence[:limit]
            masks = {name: mask.truncated(limit) for name, mask in masks.items()}
        tally.add(definition, _count_chain(accumulator, lm, sequence, masks, window, stride))
        if bar is not None:
            bar.update(1)
        if progress is not None:
            name = f"{structure.name} {chain.id}"
            progress(ChainProgress(done, len(todo), name, time.perf_counter() - started))
    if bar is not None:
        bar.close()
    result = tally.statistics(definition, min_arcs=min_arcs)
    return dataclasses.replace(result, truncated=tuple(truncated), notes=tuple(notes))


def unknown_only_note(chain: str) -> str:
    """The warning for a chain of unknown residues only (the model sees X...X)."""
    return (
        f"chain {chain} has only unknown residues (X): the model sees no sequence, so "
        "its attention says nothing about this chain; check the residue names"
    )


_COUNTS: OrderedDict[str, ChainCounter] = OrderedDict()
_COUNTS_KEPT = 1024  # per-chain counts are small: (layers, heads) arrays per property
_COUNTS_LOCK = threading.Lock()


def clear_counts() -> None:
    """Forget the per-chain counts :func:`head_statistics` keeps for the session."""
    with _COUNTS_LOCK:
        _COUNTS.clear()


def _digest(masks: Mapping[str, PropertyMask]) -> str:
    """A fingerprint of a chain's property masks (values, judged pairs, background)."""
    digest = hashlib.sha256()
    for name, mask in masks.items():
        digest.update(f"{name}\0{mask.kind}\0".encode())
        for part in (mask, mask.background_from):
            for array in (
                None if part is None else part.values,
                None if part is None else part.valid,
            ):
                digest.update(
                    b"-"
                    if array is None
                    else np.packbits(np.ascontiguousarray(array)).tobytes()
                    + str(array.shape).encode()
                )
    return digest.hexdigest()


def _counts_key(attention_key: str, accumulator: HeadStatsAccumulator, digest: str) -> str:
    """The cache key of one chain's counts (filed beside its compact attention)."""
    return cache_key(
        "counts",
        None,
        attention_key,
        {
            "definition": accumulator.definition,
            "threshold": accumulator.threshold,
            "shape": [accumulator.n_layers, accumulator.n_heads],
            "masks": digest,
        },
    )


def _count_chain(
    accumulator: HeadStatsAccumulator,
    lm: Model,
    sequence: str,
    masks: dict[str, PropertyMask],
    window: int | None,
    stride: int | None,
) -> ChainCounter:
    """One chain's closed counter (counted for ``accumulator``'s size, θ and definition):
    remembered, from the disk cache, or from one streamed pass."""
    attention_key = chain_attention_key(lm, sequence, window, stride)
    key = _counts_key(attention_key, accumulator, _digest(masks))
    with _COUNTS_LOCK:
        counter = _COUNTS.get(key)
        if counter is not None:
            _COUNTS.move_to_end(key)
    store = AttentionCache()
    if counter is None:
        found = store.get(key)
        if found is not None and "counts" in found:
            try:
                counter = ChainCounter.from_message(accumulator, json.loads(str(found["counts"])))
            except (KeyError, TypeError, ValueError):
                counter = None  # another version's counts: count again
    if counter is None:
        message = chain_counts(
            lm,
            sequence,
            accumulator.definition,
            accumulator.threshold,
            masks,
            window,
            stride,
            store,
        )
        counter = ChainCounter.from_message(accumulator, message)
        try:
            store.put(
                key,
                {"counts": np.array(json.dumps(message))},
                {"model_id": lm.model_id, "length": len(sequence), "of": attention_key},
            )
        except OSError as e:
            warnings.warn(
                f"counts not cached in {store.directory}: {e}", CacheWarning, stacklevel=3
            )
    with _COUNTS_LOCK:
        _COUNTS[key] = counter
        while len(_COUNTS) > _COUNTS_KEPT:
            _COUNTS.popitem(last=False)
    return counter
