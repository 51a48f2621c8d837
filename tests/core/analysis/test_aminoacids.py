"""Amino-acid counts and their comparison with BLOSUM62, against brute force and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import pearsonr

from protattn.analysis.aminoacids import (
    AminoAcidCounts,
    blosum62,
    lower_pairs_correlation,
    one_hot,
    pearson_matrix,
)
from protattn.structure.properties import AMINO_ACIDS


def _brute(layers: np.ndarray, sequence: str, threshold: float):
    n_layers, n_heads, n, _ = layers.shape
    pairs = np.zeros((n_layers, n_heads, 20, 20), dtype=np.int64)
    targets = np.zeros((n_layers, n_heads, 20), dtype=np.int64)
    arcs = np.zeros((n_layers, n_heads), dtype=np.int64)
    for l in range(n_layers):  # noqa: E741
        for h in range(n_heads):
            for i in range(n):
                for j in range(n):
                    if not layers[l, h, i, j] >= threshold:  # NaN is never an arc
                        continue
                    arcs[l, h] += 1
                    if sequence[j] in AMINO_ACIDS:
                        targets[l, h, AMINO_ACIDS.index(sequence[j])] += 1
                        if sequence[i] in AMINO_ACIDS:
                            pairs[
                                l, h, AMINO_ACIDS.index(sequence[i]), AMINO_ACIDS.index(sequence[j])
                            ] += 1
    return pairs, targets, arcs


@pytest.fixture
def random_chain():
    rng = np.random.default_rng(7)
    sequence = "".join(rng.choice(list(AMINO_ACIDS + "XU"), size=23))
    layers = rng.dirichlet(np.ones(23) * 0.3, size=(3, 4, 23)).astype(np.float32)
    layers[1, 2, 3, 5] = np.nan  # a pair no window held
    layers[0, 0, 4, 4] = 0.3  # exactly θ counts (the paper's >=)
    return sequence, layers


def test_counts_equal_brute_force(random_chain):
    sequence, layers = random_chain
    counts = AminoAcidCounts.of_chain(layers, sequence, 0.3)
    pairs, targets, arcs = _brute(layers, sequence, 0.3)
    np.testing.assert_array_equal(counts.pairs, pairs)
    np.testing.assert_array_equal(counts.targets, targets)
    np.testing.assert_array_equal(counts.arcs, arcs)
    assert counts.residues.sum() == sum(aa in AMINO_ACIDS for aa in sequence)
    # an arc from X still counts for its target and in the total
    assert (counts.targets.sum(axis=2) >= counts.pairs.sum(axis=(2, 3))).all()
    assert (counts.arcs >= counts.targets.sum(axis=2)).all()


def test_counts_add_exactly_in_any_order(random_chain):
    sequence, layers = random_chain
    rng = np.random.default_rng(3)
    parts = [
        AminoAcidCounts.of_chain(rng.permutation(layers, axis=3), sequence, 0.3) for _ in range(4)
    ]
    forward = AminoAcidCounts.empty(3, 4, 0.3)
    for part in parts:
        forward = forward + part
    backward = parts[3] + parts[2] + (parts[1] + parts[0])
    for name in ("pairs", "targets", "arcs", "residues"):
        np.testing.assert_array_equal(getattr(forward, name), getattr(backward, name))
    assert forward.n_chains == backward.n_chains == 4
    round_trip = AminoAcidCounts.from_arrays(forward.arrays())
    np.testing.assert_array_equal(round_trip.pairs, forward.pairs)
    assert round_trip.n_chains == 4 and round_trip.threshold == 0.3


def test_counts_of_different_thresholds_do_not_add(random_chain):
    sequence, layers = random_chain
    with pytest.raises(ValueError, match="do not add"):
        AminoAcidCounts.of_chain(layers, sequence, 0.3) + AminoAcidCounts.of_chain(
            layers, sequence, 0.5
        )


def test_one_hot_leaves_unknown_rows_empty():
    hot = one_hot("ACXu")
    assert hot.shape == (4, 20)
    assert hot[0, 0] == 1 and hot[1, 1] == 1 and hot[2].sum() == 0 and hot[3].sum() == 0


def test_blosum62_is_biopythons():
    from Bio.Align import substitution_matrices

    matrix = substitution_matrices.load("BLOSUM62")
    b = blosum62()
    assert b.shape == (20, 20) and (b == b.T).all()
    for a, x in enumerate(AMINO_ACIDS):
        for c, y in enumerate(AMINO_ACIDS):
            assert b[a, c] == matrix[x, y]
    assert b[AMINO_ACIDS.index("W"), AMINO_ACIDS.index("W")] == 11
    assert b[AMINO_ACIDS.index("I"), AMINO_ACIDS.index("V")] == 3


def test_pearson_matrix_equals_scipy():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(6, 9))
    v[2, 4] = np.nan
    r = pearson_matrix(v)
    assert np.isnan(np.diag(r)).all()
    for a in range(6):
        for b in range(a):
            both = np.isfinite(v[a]) & np.isfinite(v[b])
            assert r[a, b] == pytest.approx(pearsonr(v[a, both], v[b, both])[0], abs=1e-12)
            assert r[a, b] == r[b, a]
    flat = v.copy()
    flat[0] = 1.0
    assert np.isnan(pearson_matrix(flat)[0, 1:]).all()  # a constant row has no r


def test_lower_pairs_correlation_uses_the_190_distinct_pairs():
    rng = np.random.default_rng(2)
    s = rng.normal(size=(20, 20))
    s = s + s.T
    np.fill_diagonal(s, 100.0)  # the diagonal must not count
    rows, cols = np.tril_indices(20, -1)
    r, n = lower_pairs_correlation(s, blosum62())
    assert n == 190
    assert r == pytest.approx(pearsonr(s[rows, cols], blosum62()[rows, cols])[0], abs=1e-12)
    s[3, 1] = np.nan
    assert lower_pairs_correlation(s, blosum62())[1] == 189
    assert math.isnan(lower_pairs_correlation(np.zeros((20, 20)), blosum62())[0])


def test_a_head_that_attends_like_blosum_ranks_first():
    """A head whose arcs from each amino acid go to its BLOSUM62 neighbours has the highest r."""
    b = blosum62()
    like = np.exp(b)  # target profile of each source amino acid: its substitution odds
    n_layers, n_heads = 2, 3
    pairs = np.zeros((n_layers, n_heads, 20, 20), dtype=np.int64)
    rng = np.random.default_rng(5)
    pairs[...] = rng.integers(5, 50, size=pairs.shape)
    pairs[1, 2] = np.rint(1000 * like / like.sum(axis=1, keepdims=True)).astype(np.int64)
    counts = AminoAcidCounts(
        pairs, pairs.sum(axis=2), pairs.sum(axis=(2, 3)), np.full(20, 10), 0.3, 1
    )
    best = counts.best_heads(2)
    assert best[0][0] == "2-3" and best[0][1] > 0.4
    assert abs(best[1][1]) < 0.3  # random profiles are not like BLOSUM62
    per_head = counts.head_blosum()
    assert per_head.shape == (2, 3) and np.nanargmax(per_head) == 5


def test_paper_similarity_over_heads_with_enough_arcs():
    rng = np.random.default_rng(4)
    targets = rng.integers(0, 60, size=(2, 4, 20))
    arcs = targets.sum(axis=2) + 10
    arcs[0, 1] = 50  # too few arcs: left out
    counts = AminoAcidCounts(
        np.zeros((2, 4, 20, 20), np.int64), targets, arcs, np.ones(20, np.int64), 0.3, 1
    )
    keep = arcs >= 100
    shares = (targets / arcs[..., None])[keep]  # (heads, 20)
    sim = counts.similarity(100)
    assert sim[0, 1] == pytest.approx(pearsonr(shares[:, 0], shares[:, 1])[0])
    r, n = counts.blosum_correlation(100)
    assert n == 190 and r == pytest.approx(lower_pairs_correlation(sim, blosum62())[0])
