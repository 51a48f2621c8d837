"""The requests every front end makes: chains in, pairs or residue scores and a scene out.

PyMOL, ChimeraX and the command line all call these two functions, so the same
options mean the same thing everywhere. Everything is computed and checked
before a host draws anything: an error leaves the user's session untouched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .attention import CONTACT_CUTOFF, HeadSpec, Pair, chain_pairs, parse_layer_head, residue_scores
from .errors import StructureError
from .models import LanguageModel, load_model
from .scene import Scene, pair_scene, residue_scene, value_range
from .structure import Chain, ResidueId

__all__ = ["PairsResult", "ScoresResult", "chain_attention", "compute_pairs", "compute_scores"]

_ATTENTION_CACHE: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()
_ATTENTION_CACHE_SIZE = 16


def chain_attention(lm: LanguageModel, chain: Chain) -> np.ndarray:
    """Attention ``shape=(layers, heads, L, L)`` for a chain, reused within the process.

    Changing the head, threshold or palette therefore never re-runs the model
    for a chain seen recently.
    """
    key = (lm.name, lm.device, chain.sequence)
    if key in _ATTENTION_CACHE:
        _ATTENTION_CACHE.move_to_end(key)
        return _ATTENTION_CACHE[key]
    attention = lm.attention(chain.sequence)
    _ATTENTION_CACHE[key] = attention
    while len(_ATTENTION_CACHE) > _ATTENTION_CACHE_SIZE:
        _ATTENTION_CACHE.popitem(last=False)
    return attention


def _prepare(chains: Sequence[Chain], layer_head: str | HeadSpec, model: str,
             device: str | None) -> tuple[LanguageModel, HeadSpec]:
    if not chains:
        raise StructureError(
            "no protein chain was selected; select residues of a protein (e.g. 'polymer.protein')"
        )
    lm = load_model(model, device=device)
    spec = parse_layer_head(layer_head, lm.n_layers, lm.n_heads)
    for chain in chains:  # refuse before running anything
        lm._check_length(chain.sequence)
    return lm, spec


@dataclass(frozen=True)
class PairsResult:
    """High-attention pairs of one head over one or more chains, and what to draw."""

    model: str
    head: HeadSpec
    pairs: tuple[Pair, ...]
    scene: Scene

    @property
    def n_contacts(self) -> int:
        return sum(1 for p in self.pairs if p.contact)

    def summary(self) -> str:
        """One line for a log."""
        known = sum(1 for p in self.pairs if p.contact is not None)
        chains = sorted({p.chain for p in self.pairs})
        line = (f"{self.model} {self.head}: {len(self.pairs)} pairs"
                f"{' on chain ' + ','.join(chains) if chains else ''}, "
                f"{self.n_contacts} of {known} in contact (CB-CB < {CONTACT_CUTOFF:g} A)")
        if self.scene.skipped:
            line += f"; {self.scene.skipped} involve unobserved residues and are not drawn"
        return line


@dataclass(frozen=True)
class ScoresResult:
    """Attention received per residue for one head, and the residue colours."""

    model: str
    head: HeadSpec
    scores: dict[str, np.ndarray]
    scene: Scene

    def summary(self) -> str:
        """One line for a log."""
        n = sum(len(s) for s in self.scores.values())
        lo, hi = self.scene.vmin, self.scene.vmax
        return (f"{self.model} {self.head}: attention received coloured on "
                f"{len(self.scene.residues)} of {n} residues (range {lo:.3g}-{hi:.3g})")


def compute_pairs(
    chains: Sequence[Chain],
    layer_head: str | HeadSpec,
    model: str = "antiberty",
    threshold: float = 0.1,
    top_k: int | None = None,
    min_separation: int = 1,
    symmetrize: str = "max",
    palette: str = "attention",
    device: str | None = None,
    within: Collection[ResidueId] | None = None,
) -> PairsResult:
    """High-attention residue pairs of one head (or layer aggregate) for each chain.

    Parameters
    ----------
    chains : sequence of Chain
        Each chain is run through the model on its own.
    layer_head : str or HeadSpec
        ``"7-1"`` (1-based layer and head), ``"7-mean"`` or ``"7-max"``.
    model : str
    threshold : float
        Keep pairs whose symmetrised weight is above it (default 0.1).
    top_k : int, optional
        Keep the ``top_k`` strongest pairs of each chain instead of thresholding.
    min_separation : int
        Minimum ``|i - j|`` in sequence (1: no self-pairs).
    symmetrize : {"max", "mean"}
        How ``a_ij`` and ``a_ji`` are combined.
    palette : str
        Colour palette of the pseudo-bonds (see :data:`protattn.scene.PALETTES`).
    device : str, optional
    within : collection of ResidueId, optional
        Keep only pairs with both residues in it, ``top_k`` counting these only
        (the model still sees whole chains).

    Returns
    -------
    PairsResult
    """
    if symmetrize not in ("max", "mean"):
        raise ValueError(f"symmetrize must be 'max' or 'mean', not {symmetrize!r}")
    lm, spec = _prepare(chains, layer_head, model, device)
    pairs: list[Pair] = []
    for chain in chains:
        head_map = spec.select(chain_attention(lm, chain))
        pairs.extend(chain_pairs(chain, head_map, threshold, top_k, min_separation, symmetrize,
                                 within=within))
    pairs.sort(key=lambda p: -p.weight)
    return PairsResult(lm.name, spec, tuple(pairs), pair_scene(pairs, palette))


def compute_scores(
    chains: Sequence[Chain],
    layer_head: str | HeadSpec,
    model: str = "antiberty",
    palette: str = "white_red",
    device: str | None = None,
    within: Collection[ResidueId] | None = None,
) -> ScoresResult:
    """Attention each residue receives from one head (column sum over queries / L).

    Parameters
    ----------
    chains : sequence of Chain
    layer_head : str or HeadSpec
    model : str
    palette : str
    device : str, optional
    within : collection of ResidueId, optional
        Colour only these residues (the model still sees whole chains).

    Returns
    -------
    ScoresResult
        Scores of every position of every chain; colours span the range of the
        coloured residues.
    """
    lm, spec = _prepare(chains, layer_head, model, device)
    scores = {c.id: residue_scores(spec.select(chain_attention(lm, c))) for c in chains}
    shown = np.array([
        s for c in chains for rid, s in zip(c.residue_ids, scores[c.id])
        if rid is not None and (within is None or rid in within)
    ])
    lo, hi = value_range(shown)
    residues = [
        r for c in chains for r in residue_scene(c, scores[c.id], palette, lo, hi).residues
        if within is None or r.residue in within
    ]
    skipped = sum(len(c) for c in chains) - len(residues)
    scene = Scene(residues=tuple(residues), skipped=skipped, vmin=lo, vmax=hi, palette=palette)
    return ScoresResult(lm.name, spec, scores, scene)
