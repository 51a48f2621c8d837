"""Attention between amino acids, and how it compares with the BLOSUM62 substitution matrix.

The paper's amino-acid analysis (Vig et al., ICLR 2021, section 4.4; its code
``report_aa_correlations.py`` in salesforce/provis) asks, per head, which share of
its high-confidence attention (arcs ``a_ij ≥ θ``, θ = 0.3) lands on each amino acid;
gives each amino acid the vector of those shares over every head with more than
100 arcs; correlates the vectors of every two amino acids (Pearson r: the
*attention similarity* of the two); and compares that 20 × 20 similarity with
BLOSUM62 by the Pearson r of the 190 distinct pairs (the lower triangle, diagonal
left out).

:class:`AminoAcidCounts` keeps what that needs and one thing more, as integer
counts that add exactly over chains: for every head the arcs from each amino acid
to each amino acid (``shape=(layers, heads, 20, 20)``), and all of its arcs
(to any residue, an unknown one included: the paper's denominator). Summed over the
source amino acid they give the paper's shares; kept apart they give a *per-head*
similarity, between the attention profiles of the source amino acids over the
targets, whose correlation with BLOSUM62 says which single head treats amino acids
most as evolution substitutes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..structure.properties import AMINO_ACIDS

__all__ = [
    "AminoAcidCounts",
    "blosum62",
    "lower_pairs_correlation",
    "one_hot",
    "pearson_matrix",
]


def one_hot(sequence: str) -> np.ndarray:
    """Amino acid of each position, ``shape=(L, 20), dtype=float32``, in :data:`AMINO_ACIDS`
    order; a row of zeros for anything else (``X``, ``U``, …).

    Examples
    --------
    >>> one_hot("AXC").sum(axis=1).tolist(), int(one_hot("AXC")[2].argmax())
    ([1.0, 0.0, 1.0], 1)
    """
    codes = np.frombuffer(sequence.upper().encode("ascii"), dtype=np.uint8)
    table = np.full(256, -1, dtype=np.int64)
    table[np.frombuffer(AMINO_ACIDS.encode("ascii"), dtype=np.uint8)] = np.arange(20)
    index = table[codes]
    out = np.zeros((len(sequence), 20), dtype=np.float32)
    known = index >= 0
    out[np.flatnonzero(known), index[known]] = 1.0
    return out


@cache
def blosum62() -> np.ndarray:
    """BLOSUM62 over the twenty amino acids in :data:`AMINO_ACIDS` order,
    ``shape=(20, 20), dtype=float64`` (Biopython's copy of Henikoff & Henikoff, 1992).

    Examples
    --------
    >>> b = blosum62(); float(b[0, 0]), float(b[AMINO_ACIDS.index("W"), AMINO_ACIDS.index("W")])
    (4.0, 11.0)
    """
    from Bio.Align import substitution_matrices

    matrix = substitution_matrices.load("BLOSUM62")
    return np.array([[matrix[a, b] for b in AMINO_ACIDS] for a in AMINO_ACIDS], dtype=float)


def pearson_matrix(vectors: np.ndarray) -> np.ndarray:
    """Pearson r between every two rows, ``shape=(n, n)``; NaN on the diagonal and for a
    row that does not vary (or has fewer than two finite values in common with the other).

    Parameters
    ----------
    vectors : numpy.ndarray
        ``shape=(n, m)``; NaN entries are left out pair by pair.

    Examples
    --------
    >>> r = pearson_matrix(np.array([[1.0, 2, 3], [2, 4, 7], [3, 2, 1]]))
    >>> np.round(r, 3).tolist()
    [[nan, 0.993, -1.0], [0.993, nan, -0.993], [-1.0, -0.993, nan]]
    """
    n = len(vectors)
    out = np.full((n, n), np.nan)
    finite = np.isfinite(vectors)
    for a in range(n):
        for b in range(a):
            both = finite[a] & finite[b]
            x, y = vectors[a, both], vectors[b, both]
            if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
                continue
            out[a, b] = out[b, a] = float(np.corrcoef(x, y)[0, 1])
    return out


def lower_pairs_correlation(similarity: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """Pearson r of two square matrices over their distinct pairs (the lower triangle,
    diagonal left out, as the paper's code compares attention similarity with BLOSUM62),
    and the number of pairs it used (those finite in both).

    Returns
    -------
    (float, int)
        r is NaN for fewer than 3 pairs or no variation.

    Examples
    --------
    >>> s = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], float)
    >>> lower_pairs_correlation(s, 2 * s + 1)
    (1.0, 3)
    """
    rows, columns = np.tril_indices(len(similarity), k=-1)
    x, y = similarity[rows, columns], reference[rows, columns]
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, int(len(x))
    return float(np.corrcoef(x, y)[0, 1]), int(len(x))


@dataclass(frozen=True, eq=False)
class AminoAcidCounts:
    """High-confidence arcs of every head between amino acids, summed over chains.

    Attributes
    ----------
    pairs : numpy.ndarray
        ``shape=(layers, heads, 20, 20), dtype=int64``: arcs ``a_ij ≥ threshold`` from a
        residue of amino acid ``[.., a, :]`` to one of ``[.., :, b]`` (query to key).
    targets : numpy.ndarray
        ``shape=(layers, heads, 20), dtype=int64``: arcs to each amino acid from any
        residue (the paper's numerator: an unknown query residue included).
    arcs : numpy.ndarray
        ``shape=(layers, heads), dtype=int64``: every arc of the head, an unknown or
        non-standard residue at either end included (the paper's denominator).
    residues : numpy.ndarray
        ``shape=(20,), dtype=int64``: residues of each amino acid analysed.
    threshold : float
    n_chains : int
    """

    pairs: np.ndarray
    targets: np.ndarray
    arcs: np.ndarray
    residues: np.ndarray
    threshold: float
    n_chains: int

    @classmethod
    def empty(cls, n_layers: int, n_heads: int, threshold: float) -> AminoAcidCounts:
        """No chain counted yet."""
        return cls(
            np.zeros((n_layers, n_heads, 20, 20), dtype=np.int64),
            np.zeros((n_layers, n_heads, 20), dtype=np.int64),
            np.zeros((n_layers, n_heads), dtype=np.int64),
            np.zeros(20, dtype=np.int64),
            float(threshold),
            0,
        )

    @classmethod
    def of_chain(
        cls, layers: list[np.ndarray] | np.ndarray, sequence: str, threshold: float
    ) -> AminoAcidCounts:
        """The counts of one chain.

        Parameters
        ----------
        layers : sequence of numpy.ndarray
            One ``shape=(heads, L, L)`` array per layer (NaN, where no window held a
            pair, is never an arc).
        sequence : str
            The chain's residues, ``L`` of them.
        threshold : float
            An arc is a weight of at least this (the paper's ``≥``).

        Examples
        --------
        >>> a = np.zeros((1, 1, 3, 3), np.float32); a[0, 0, 0, 2] = 0.9; a[0, 0, 1, 2] = 0.5
        >>> c = AminoAcidCounts.of_chain(a, "AXC", 0.3)
        >>> int(c.pairs[0, 0, 0, 1]), int(c.arcs[0, 0])   # A→C once; the X→C arc counts in all
        (1, 2)
        """
        hot = one_hot(sequence)
        pairs, targets, arcs = [], [], []
        for layer in layers:
            with np.errstate(invalid="ignore"):
                high = (np.asarray(layer) >= threshold).astype(np.float32)
            arcs.append(high.sum(axis=(1, 2)))
            received = high.sum(axis=1)  # (heads, L): arcs to each residue
            targets.append(received @ hot)
            pairs.append(np.einsum("ia,hij,jb->hab", hot, high, hot, optimize=True))
        return cls(
            np.rint(np.stack(pairs)).astype(np.int64),
            np.rint(np.stack(targets)).astype(np.int64),
            np.rint(np.stack(arcs)).astype(np.int64),
            np.rint(hot.sum(axis=0)).astype(np.int64),
            float(threshold),
            1,
        )

    def __add__(self, other: AminoAcidCounts) -> AminoAcidCounts:
        if self.pairs.shape != other.pairs.shape or self.threshold != other.threshold:
            raise ValueError(
                "amino-acid counts of different models or thresholds do not add: "
                f"{self.pairs.shape[:2]} at θ = {self.threshold:g} and "
                f"{other.pairs.shape[:2]} at θ = {other.threshold:g}"
            )
        return AminoAcidCounts(
            self.pairs + other.pairs,
            self.targets + other.targets,
            self.arcs + other.arcs,
            self.residues + other.residues,
            self.threshold,
            self.n_chains + other.n_chains,
        )

    # ------------------------------------------------------------ the paper's analysis

    def enough(self, min_arcs: int = 100) -> np.ndarray:
        """Heads with at least ``min_arcs`` arcs (the paper's ``min_total=100``),
        ``shape=(layers, heads), dtype=bool``."""
        return self.arcs >= min_arcs

    def target_shares(self) -> np.ndarray:
        """Share of each head's arcs landing on each amino acid, ``shape=(layers, heads, 20)``;
        NaN for a head with no arc. The paper's per-head amino-acid profile."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.targets / self.arcs[..., None]

    def similarity(self, min_arcs: int = 100) -> np.ndarray:
        """The paper's attention similarity: Pearson r between two amino acids' shares over
        the heads with enough arcs, ``shape=(20, 20)``, NaN on the diagonal."""
        shares = self.target_shares()[self.enough(min_arcs)]  # (heads kept, 20)
        return pearson_matrix(shares.T)

    def blosum_correlation(self, min_arcs: int = 100) -> tuple[float, int]:
        """Pearson r of :meth:`similarity` with BLOSUM62 over the distinct pairs, and the
        number of pairs."""
        return lower_pairs_correlation(self.similarity(min_arcs), blosum62())

    # ------------------------------------------------------------ per head

    def head_similarity(self, layer: int, head: int, min_source_arcs: int = 20) -> np.ndarray:
        """One head's similarity between amino acids: Pearson r between the profiles over
        the 20 targets of the arcs *from* each amino acid, ``shape=(20, 20)``.

        Parameters
        ----------
        layer, head : int
            0-based.
        min_source_arcs : int
            An amino acid with fewer arcs from it has no profile (its row is NaN).
        """
        counts = self.pairs[layer, head].astype(float)
        total = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            profiles = counts / total[:, None]
        profiles[total < min_source_arcs] = np.nan
        return pearson_matrix(profiles)

    def head_blosum(self, min_source_arcs: int = 20, min_pairs: int = 45) -> np.ndarray:
        """Per head, the Pearson r of :meth:`head_similarity` with BLOSUM62,
        ``shape=(layers, heads)``; NaN where fewer than ``min_pairs`` pairs of amino
        acids both have a profile (45: ten amino acids)."""
        n_layers, n_heads = self.arcs.shape
        out = np.full((n_layers, n_heads), np.nan)
        reference = blosum62()
        for layer in range(n_layers):
            for head in range(n_heads):
                r, used = lower_pairs_correlation(
                    self.head_similarity(layer, head, min_source_arcs), reference
                )
                if used >= min_pairs:
                    out[layer, head] = r
        return out

    def best_heads(self, k: int = 5, **options: int) -> list[tuple[str, float]]:
        """The ``k`` heads whose own similarity is closest to BLOSUM62:
        ``("layer-head", r)``, 1-based, highest r first."""
        r = self.head_blosum(**options)
        order = [int(i) for i in np.argsort(np.nan_to_num(-r, nan=np.inf), axis=None)]
        heads = r.shape[1]
        found = [(f"{i // heads + 1}-{i % heads + 1}", float(r.flat[i])) for i in order]
        return [one for one in found if math.isfinite(one[1])][:k]

    # ------------------------------------------------------------ storage

    def arrays(self) -> dict[str, np.ndarray]:
        """Its arrays by name (for an ``.npz`` file)."""
        return {
            "pairs": self.pairs,
            "targets": self.targets,
            "arcs": self.arcs,
            "residues": self.residues,
            "threshold": np.asarray(self.threshold, dtype=np.float64),
            "n_chains": np.asarray(self.n_chains, dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> AminoAcidCounts:
        """The counts :meth:`arrays` wrote."""
        return cls(
            np.asarray(arrays["pairs"], dtype=np.int64),
            np.asarray(arrays["targets"], dtype=np.int64),
            np.asarray(arrays["arcs"], dtype=np.int64),
            np.asarray(arrays["residues"], dtype=np.int64),
            float(arrays["threshold"]),
            int(arrays["n_chains"]),
        )
