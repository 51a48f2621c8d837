"""Amino-acid profiles of a model's heads over a set of chains, against BLOSUM62.

:func:`amino_acid_profiles` counts, for every chain of the structures or sequence
tables given, the high-confidence arcs of every head between amino acids
(:class:`protattn.analysis.aminoacids.AminoAcidCounts`), from the chain's compact
attention (one streamed pass, cached: the weights of at least 0.05 are kept exactly,
so a threshold of 0.05 or more is answered without running the model again). Long
chains are cut to 510 residues, as the paper's code cuts them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..analysis.aminoacids import AminoAcidCounts
from ..compute.backend import get_model
from ..errors import ProtattnError
from ..lm.compact import FLOOR
from ..lm.contract import Model
from ..lm.heads import HeadSpec
from ..lm.inference import compact_attention
from ..structure.properties import AMINO_ACIDS
from ..words import plural
from .checks import check_threshold
from .stats import PAPER_MAX_RESIDUES, ChainProgress

__all__ = ["AminoAcidProfiles", "amino_acid_profiles"]


@dataclass(frozen=True, eq=False)
class AminoAcidProfiles:
    """What :func:`amino_acid_profiles` found.

    Attributes
    ----------
    model : str
    counts : AminoAcidCounts
    min_arcs : int
        Heads with fewer arcs are left out of the paper's similarity (100).
    truncated : tuple of str
        Chains cut to the model's input (``"1abc A: 700 → 510"``).
    rejects : tuple of (str, str)
        Inputs left out, and why.
    """

    model: str
    counts: AminoAcidCounts
    min_arcs: int = 100
    truncated: tuple[str, ...] = ()
    rejects: tuple[tuple[str, str], ...] = ()

    @property
    def similarity(self) -> np.ndarray:
        """The paper's attention similarity between amino acids, ``shape=(20, 20)``."""
        return self.counts.similarity(self.min_arcs)

    @property
    def blosum_r(self) -> tuple[float, int]:
        """Pearson r of :attr:`similarity` with BLOSUM62 over distinct pairs, and the pairs."""
        return self.counts.blosum_correlation(self.min_arcs)

    def summary(self) -> str:
        """One line: chains, heads used, the correlation with BLOSUM62, the best head."""
        r, pairs = self.blosum_r
        used = int(self.counts.enough(self.min_arcs).sum())
        best = self.counts.best_heads(1)
        tail = f"; best single head {best[0][0]} (r = {best[0][1]:.2f})" if best else ""
        shown = "n/a" if math.isnan(r) else f"{r:.2f}"
        return (
            f"{self.model}: {plural(self.counts.n_chains, 'chain')}, θ = "
            f"{self.counts.threshold:g}; attention similarity between amino acids over "
            f"{plural(used, 'head')} with ≥ {self.min_arcs} arcs against BLOSUM62: "
            f"r = {shown} ({pairs} pairs){tail}"
        )

    def table(self, k: int = 5) -> list[str]:
        """Text lines: the summary, the heads closest to BLOSUM62, each amino acid's
        favourite head."""
        lines = [self.summary(), "heads whose own similarity is closest to BLOSUM62:"]
        best = self.counts.best_heads(k)
        lines += [f"  {name:>6}  r = {r:.3f}" for name, r in best] or [
            "  none: no head has 20 arcs or more from each of ten amino acids "
            "(45 pairs); add chains"
        ]
        shares = self.counts.target_shares()
        enough = self.counts.enough(self.min_arcs)
        lines.append("amino acid: the head with the largest share of its arcs on it")
        n_heads = shares.shape[1]
        for a, aa in enumerate(AMINO_ACIDS):
            column = np.where(enough, shares[..., a], np.nan)
            if np.isnan(column).all():
                lines.append(f"  {aa}: no head with enough arcs")
                continue
            i = int(np.nanargmax(column))
            lines.append(
                f"  {aa}: {i // n_heads + 1}-{i % n_heads + 1} "
                f"{100 * column.flat[i]:.1f}% (residues {self.counts.residues[a]:,})"
            )
        return lines

    def rows(self) -> list[dict[str, object]]:
        """One row per head and amino acid: arcs, arcs to it, share, and the head's r
        with BLOSUM62 (for CSV)."""
        shares = self.counts.target_shares()
        r = self.counts.head_blosum()
        enough = self.counts.enough(self.min_arcs)
        out: list[dict[str, object]] = []
        n_layers, n_heads = self.counts.arcs.shape
        for layer in range(n_layers):
            for head in range(n_heads):
                for a, aa in enumerate(AMINO_ACIDS):
                    out.append(
                        {
                            "layer_head": f"{layer + 1}-{head + 1}",
                            "layer": layer + 1,
                            "head": head + 1,
                            "amino_acid": aa,
                            "arcs": int(self.counts.arcs[layer, head]),
                            "arcs_to": int(self.counts.targets[layer, head, a]),
                            "share": float(shares[layer, head, a]),
                            "enough_arcs": bool(enough[layer, head]),
                            "head_blosum_r": float(r[layer, head]),
                        }
                    )
        return out

    def figure(self, path: str | None = None):  # -> matplotlib.figure.Figure
        """The paper's figure: attention similarity beside BLOSUM62, and each head's r."""
        from ..report.aminoacids import amino_acid_figure

        return amino_acid_figure(self, path)


def amino_acid_profiles(
    chains: Iterable[tuple[str, str]],
    model: str | Model = "antiberty",
    threshold: float = 0.3,
    min_arcs: int = 100,
    device: str | None = None,
    dtype: str | None = None,
    progress: Callable[[ChainProgress], None] | None = None,
    rejects: Sequence[tuple[str, str]] = (),
) -> AminoAcidProfiles:
    """Count every head's high-confidence arcs between amino acids over a set of chains.

    Parameters
    ----------
    chains : iterable of (str, str)
        ``(name, sequence)`` of each chain (a structure's chains, a table's rows).
    model : str or Model
    threshold : float
        θ: arcs are weights ``≥ θ`` (the paper's 0.3); at least the compact
        attention's floor (0.05).
    min_arcs : int
        Heads with fewer arcs are left out of the paper's similarity (its 100).
    device, dtype : str, optional
    progress : callable, optional
        Called with a :class:`~protattn.api.stats.ChainProgress` after each chain.
    rejects : sequence of (str, str)
        Inputs already left out by the caller, kept in the result.

    Returns
    -------
    AminoAcidProfiles

    Raises
    ------
    ProtattnError
        For a threshold outside (0, 1] or below the floor, or no chain.
    """
    threshold = check_threshold(threshold, "θ (threshold)")
    if threshold < FLOOR:
        raise ProtattnError(
            f"θ = {threshold:g} is below {FLOOR:g}, the smallest weight protattn keeps of a "
            f"run; give a threshold of at least {FLOOR:g} (the paper's is 0.3)"
        )
    chains = [(name, seq) for name, seq in chains if set(seq.upper()) - {"X"}]
    if not chains:
        raise ProtattnError("no chain with known residues to count; give protein chains")
    lm = get_model(model, device, dtype) if isinstance(model, str) else model
    limit = min(PAPER_MAX_RESIDUES, lm.max_residues or PAPER_MAX_RESIDUES)
    total = AminoAcidCounts.empty(lm.n_layers, lm.n_heads, threshold)
    truncated = []
    started = time.perf_counter()
    for done, (name, sequence) in enumerate(chains, 1):
        if len(sequence) > limit:
            truncated.append(f"{name}: {len(sequence)} → {limit}")
            sequence = sequence[:limit]
        compact = compact_attention(lm, sequence)
        layers = [
            np.stack([compact.head_map(HeadSpec(layer, head)) for head in range(1, lm.n_heads + 1)])
            for layer in range(1, lm.n_layers + 1)
        ]
        total = total + AminoAcidCounts.of_chain(layers, sequence, threshold)
        if progress is not None:
            progress(ChainProgress(done, len(chains), name, time.perf_counter() - started))
    return AminoAcidProfiles(lm.name, total, min_arcs, tuple(truncated), tuple(rejects))
