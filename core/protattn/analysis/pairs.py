"""Attention maps to residue pairs and residue scores.

All functions are pure numpy: attention ``shape=(layers, heads, L, L)`` in,
arrays or :class:`Pair` records out, with sequence positions (0-based) that map
back to residues through :attr:`protattn.structure.model.Chain.residue_ids`.
Layers and heads are written 1-based, as in the paper (``"7-1"``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ..structure.model import Chain, ResidueId
from ..structure.properties import CONTACT_CUTOFF

__all__ = [
    "symmetrize",
    "select_pairs",
    "residue_scores",
    "Pair",
    "chain_pairs",
]

_SYMMETRIZE = ("max", "mean")


def symmetrize(attention_map: np.ndarray, how: str = "max") -> np.ndarray:
    """Symmetric weight of each pair: ``max(a_ij, a_ji)`` (default) or their mean.

    Parameters
    ----------
    attention_map : numpy.ndarray
        ``shape=(L, L)``.
    how : {"max", "mean"}
    """
    if how == "max":
        return np.maximum(attention_map, attention_map.T)
    if how == "mean":
        return 0.5 * (attention_map + attention_map.T)
    raise ValueError(f"symmetrize must be one of {', '.join(_SYMMETRIZE)}, not {how!r}")


def select_pairs(
    weights: np.ndarray,
    threshold: float = 0.1,
    top_k: int | None = None,
    min_separation: int = 1,
    eligible: np.ndarray | None = None,
    segments: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residue pairs ``i < j`` (``i <= j`` at separation 0) of a symmetric map, strongest first.

    Parameters
    ----------
    weights : numpy.ndarray
        Symmetric ``shape=(L, L)`` map (see :func:`symmetrize`).
    threshold : float
        Keep pairs with weight strictly above it (ignored when ``top_k`` is given).
    top_k : int or None
        Keep the ``top_k`` strongest pairs instead.
    min_separation : int
        Keep pairs with ``j - i >= min_separation`` (1 drops self-pairs only; 0
        keeps them).
    eligible : numpy.ndarray, optional
        ``shape=(L,), dtype=bool``: only pairs of eligible positions are considered
        (before ``top_k`` is applied).
    segments : numpy.ndarray, optional
        ``shape=(L,), dtype=int``: the chain of each position when chains were run
        concatenated; ``min_separation`` then applies within a chain only, and
        pairs between chains are always eligible.

    Pairs whose weight is NaN (not covered by any window) are never selected.

    Returns
    -------
    i, j : numpy.ndarray
        ``shape=(n,), dtype=int`` sequence positions, ``i < j`` (or ``i == j``).
    weight : numpy.ndarray
        ``shape=(n,), dtype=float``, in decreasing order (ties by ``i``, then ``j``).
    """
    if min_separation < 0:
        raise ValueError("min_separation must be at least 0 (0 keeps self-pairs)")
    if segments is None:
        i, j = np.triu_indices(weights.shape[0], k=min_separation)
    else:
        i, j = np.triu_indices(weights.shape[0], k=min(min_separation, 1))
        keep = (segments[i] != segments[j]) | (j - i >= min_separation)
        i, j = i[keep], j[keep]
    if eligible is not None:
        both = eligible[i] & eligible[j]
        i, j = i[both], j[both]
    w = weights[i, j].astype(float)
    known = ~np.isnan(w)
    i, j, w = i[known], j[known], w[known]
    if top_k is not None:
        if top_k < 0:
            raise ValueError(f"top_k must be positive, not {top_k}")
        order = np.lexsort((j, i, -w))[:top_k]
    else:
        keep = np.flatnonzero(w > threshold)
        order = keep[np.lexsort((j[keep], i[keep], -w[keep]))]
    return i[order], j[order], w[order]


def residue_scores(attention_map: np.ndarray) -> np.ndarray:
    """Attention each residue receives: column sum over queries divided by L.

    Parameters
    ----------
    attention_map : numpy.ndarray
        ``shape=(L, L)``, rows are queries.

    Returns
    -------
    numpy.ndarray
        ``shape=(L,), dtype=float``. Pairs not covered by a window (NaN) count as 0.
    """
    return np.nansum(attention_map, axis=0) / attention_map.shape[0]


@dataclass(frozen=True)
class Pair:
    """A residue pair with its attention weight and whether it is a 3D contact.

    ``i`` and ``j`` are 0-based sequence positions in their own chains (``chain``
    and ``chain_j``, which differ only for chains run concatenated);
    ``residue_i``/``residue_j`` are ``None`` and ``contact``/``distance`` unknown
    (``None``) where a residue is not observed.
    """

    chain: str
    i: int
    j: int
    residue_i: ResidueId | None
    residue_j: ResidueId | None
    aa_i: str
    aa_j: str
    weight: float
    distance: float | None
    contact: bool | None
    chain_j: str | None = None

    @property
    def inter_chain(self) -> bool:
        return self.chain_j is not None and self.chain_j != self.chain

    def as_row(self) -> dict[str, object]:
        """A flat, JSON-ready record (1-based positions, residue ids as text)."""
        return {
            "chain_i": self.chain,
            "pos_i": self.i + 1,
            "chain_j": self.chain_j or self.chain,
            "pos_j": self.j + 1,
            "residue_i": "" if self.residue_i is None else str(self.residue_i),
            "residue_j": "" if self.residue_j is None else str(self.residue_j),
            "aa_i": self.aa_i,
            "aa_j": self.aa_j,
            "weight": round(self.weight, 6),
            "cb_distance": None if self.distance is None else round(self.distance, 3),
            "contact": self.contact,
            **self._segments(),
        }

    def _segments(self) -> dict[str, str]:
        """``segment_i`` / ``segment_j`` where a residue's segment names its chain."""
        segments = [r.segment for r in (self.residue_i, self.residue_j) if r is not None]
        if not any(segments):
            return {}
        return {
            "segment_i": "" if self.residue_i is None else self.residue_i.segment,
            "segment_j": "" if self.residue_j is None else self.residue_j.segment,
        }


def chain_pairs(
    chain: Chain,
    attention_map: np.ndarray,
    threshold: float = 0.1,
    top_k: int | None = None,
    min_separation: int = 1,
    symmetrize_by: str = "max",
    contact_cutoff: float = CONTACT_CUTOFF,
    within: Collection[ResidueId] | None = None,
    parts: Sequence[Chain] | None = None,
) -> list[Pair]:
    """High-attention residue pairs of one chain, each marked contact or not.

    Parameters
    ----------
    chain : Chain
    attention_map : numpy.ndarray
        One head's (or aggregate's) map, ``shape=(L, L)``, ``L = len(chain)``.
    threshold, top_k, min_separation
        See :func:`select_pairs`.
    symmetrize_by : {"max", "mean"}
    contact_cutoff : float
        Cβ–Cβ distance in Å below which a pair is a contact.
    within : collection of ResidueId, optional
        Consider only pairs with both residues in it (``top_k`` counts these only).
    parts : sequence of Chain, optional
        When ``chain`` is chains run concatenated (:func:`protattn.structure.model.join_chains`),
        the chains it joins: pairs are reported in each chain's own positions,
        ``min_separation`` applies within a chain, and pairs between chains count.

    Returns
    -------
    list of Pair
        Strongest first.
    """
    if attention_map.shape != (len(chain), len(chain)):
        raise ValueError(
            f"attention map {attention_map.shape} does not match chain {chain.id} of {len(chain)}"
        )
    eligible = None if within is None else np.array([r in within for r in chain.residue_ids])
    parts = list(parts) if parts else [chain]
    segments = np.repeat(np.arange(len(parts)), [len(c) for c in parts])
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in parts])])
    i, j, w = select_pairs(
        symmetrize(attention_map, symmetrize_by),
        threshold,
        top_k,
        min_separation,
        eligible,
        segments if len(parts) > 1 else None,
    )
    cb = chain.cb
    dist = np.linalg.norm(cb[i] - cb[j], axis=-1)
    pairs = []
    for a, b, weight, d in zip(i.tolist(), j.tolist(), w.tolist(), dist.tolist()):
        known = not np.isnan(d)
        pa, pb = parts[segments[a]], parts[segments[b]]
        pairs.append(
            Pair(
                pa.id,
                a - int(offsets[segments[a]]),
                b - int(offsets[segments[b]]),
                chain.residue_ids[a],
                chain.residue_ids[b],
                chain.sequence[a],
                chain.sequence[b],
                weight,
                float(d) if known else None,
                bool(d < contact_cutoff) if known else None,
                pb.id if pb is not pa else None,
            )
        )
    return pairs
