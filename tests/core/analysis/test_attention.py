"""Layer-head parsing, symmetrising, pair selection, residue scores and contacts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from protattn import HeadSpec, LayerHeadError, parse_layer_head, residue_scores, select_pairs
from protattn.analysis.pairs import chain_pairs, symmetrize
from protattn.structure.properties import CONTACT_CUTOFF

# ------------------------------------------------------------------- layer-head


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7-1", HeadSpec(7, 1)),
        ("7-mean", HeadSpec(7, aggregate="mean")),
        ("8-max", HeadSpec(8, aggregate="max")),
        (" 3 - 2 ", HeadSpec(3, 2)),
        ("1-8", HeadSpec(1, 8)),
        ("2-MEAN", HeadSpec(2, aggregate="mean")),
    ],
)
def test_parse_layer_head_valid(text, expected):
    assert parse_layer_head(text, 8, 8) == expected


@pytest.mark.parametrize("text", ["13-1", "1-9", "x-y", "0-1", "", "9-mean", "1-0", "7", "7-1-2"])
def test_parse_layer_head_invalid_names_the_valid_range(text):
    with pytest.raises(LayerHeadError) as err:
        parse_layer_head(text, 8, 8)
    assert "1-8" in str(err.value)


def test_parse_layer_head_says_which_range_is_exceeded():
    with pytest.raises(LayerHeadError) as err:
        parse_layer_head("13-1", 12, 4)
    assert "layers 1-12" in str(err.value) and "13" in str(err.value)
    with pytest.raises(LayerHeadError) as err:
        parse_layer_head("12-5", 12, 4)
    assert "heads 1-4" in str(err.value)
    with pytest.raises(LayerHeadError):
        parse_layer_head(HeadSpec(13, 1), 12, 4)
    assert parse_layer_head(HeadSpec(12, 4), 12, 4) == HeadSpec(12, 4)
    assert str(HeadSpec(12, 4)) == "12-4" and str(HeadSpec(3, aggregate="max")) == "3-max"


def test_head_select_is_one_based_and_aggregates_a_layer():
    attention = np.arange(2 * 3 * 4 * 4, dtype=float).reshape(2, 3, 4, 4)
    np.testing.assert_array_equal(HeadSpec(2, 3).select(attention), attention[1, 2])
    np.testing.assert_array_equal(HeadSpec(1, 1).select(attention), attention[0, 0])
    mean = (attention[0, 0] + attention[0, 1] + attention[0, 2]) / 3
    np.testing.assert_allclose(HeadSpec(1, aggregate="mean").select(attention), mean)
    np.testing.assert_array_equal(HeadSpec(1, aggregate="max").select(attention), attention[0, 2])


# ------------------------------------------------------------------- symmetrize

A = np.array(
    [
        [0.0, 0.2, 0.9],
        [0.4, 0.0, 0.1],
        [0.3, 0.5, 0.0],
    ]
)


def test_symmetrize_max():
    expected = np.array(
        [
            [0.0, 0.4, 0.9],
            [0.4, 0.0, 0.5],
            [0.9, 0.5, 0.0],
        ]
    )
    np.testing.assert_allclose(symmetrize(A, "max"), expected)
    np.testing.assert_allclose(symmetrize(A), expected)


def test_symmetrize_mean():
    expected = np.array(
        [
            [0.0, 0.3, 0.6],
            [0.3, 0.0, 0.3],
            [0.6, 0.3, 0.0],
        ]
    )
    np.testing.assert_allclose(symmetrize(A, "mean"), expected)


def test_symmetrize_rejects_unknown_method():
    with pytest.raises(ValueError):
        symmetrize(A, "min")


# ------------------------------------------------------------------- select_pairs


def _symmetric(upper: dict[tuple[int, int], float], n: int, diagonal: float = 0.99) -> np.ndarray:
    w = np.full((n, n), np.nan)
    np.fill_diagonal(w, diagonal)
    for (i, j), v in upper.items():
        w[i, j] = w[j, i] = v
    assert not np.isnan(w).any()
    return w


W = _symmetric(
    {
        (0, 1): 0.5,
        (0, 2): 0.1,
        (0, 3): 0.3,
        (0, 4): 0.05,
        (1, 2): 0.3,
        (1, 3): 0.7,
        (1, 4): 0.3,
        (2, 3): 0.2,
        (2, 4): 0.0,
        (3, 4): 0.15,
    },
    5,
)


def _as_list(result):
    i, j, w = result
    return [(int(a), int(b), round(float(c), 6)) for a, b, c in zip(i, j, w)]


def test_select_pairs_threshold_is_strict_and_ordered():
    got = _as_list(select_pairs(W, threshold=0.1))
    # 0.1 itself is not above the threshold; ties at 0.3 by i, then j; no self-pairs
    assert got == [
        (1, 3, 0.7),
        (0, 1, 0.5),
        (0, 3, 0.3),
        (1, 2, 0.3),
        (1, 4, 0.3),
        (2, 3, 0.2),
        (3, 4, 0.15),
    ]


def test_select_pairs_types():
    i, j, w = select_pairs(W, threshold=0.1)
    assert i.dtype.kind == "i" and j.dtype.kind == "i" and w.dtype.kind == "f"
    assert (i < j).all()


def test_select_pairs_top_k_ignores_threshold():
    assert _as_list(select_pairs(W, top_k=4)) == [
        (1, 3, 0.7),
        (0, 1, 0.5),
        (0, 3, 0.3),
        (1, 2, 0.3),
    ]
    got = _as_list(select_pairs(W, threshold=0.9, top_k=8))
    assert len(got) == 8 and got[-1] == (0, 2, 0.1)
    assert _as_list(select_pairs(W, top_k=100)) == _as_list(select_pairs(W, threshold=-1.0))
    assert len(select_pairs(W, top_k=0)[0]) == 0


def test_select_pairs_min_separation():
    got = _as_list(select_pairs(W, threshold=0.1, min_separation=2))
    assert got == [(1, 3, 0.7), (0, 3, 0.3), (1, 4, 0.3)]
    assert _as_list(select_pairs(W, threshold=-1, min_separation=4)) == [(0, 4, 0.05)]
    assert _as_list(select_pairs(W, threshold=-1, min_separation=5)) == []


def test_select_pairs_rejects_bad_arguments_and_keeps_self_pairs_at_zero():
    with pytest.raises(ValueError):
        select_pairs(W, min_separation=-1)
    with pytest.raises(ValueError):
        select_pairs(W, top_k=-1)
    i, j, _ = select_pairs(W, threshold=0.0, min_separation=0)
    assert any(a == b for a, b in zip(i, j))  # the diagonal, kept at separation 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_select_pairs_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 23
    m = rng.integers(0, 10, size=(n, n)) / 10.0  # many ties
    w = np.maximum(m, m.T)
    brute = sorted(
        ((i, j, w[i, j]) for i, j in itertools.combinations(range(n), 2) if j - i >= 3),
        key=lambda t: (-t[2], t[0], t[1]),
    )
    got = select_pairs(w, threshold=0.45, min_separation=3)
    assert _as_list(got) == [(i, j, round(v, 6)) for i, j, v in brute if v > 0.45]
    got = select_pairs(w, top_k=17, min_separation=3)
    assert _as_list(got) == [(i, j, round(v, 6)) for i, j, v in brute[:17]]


# ------------------------------------------------------------------- residue_scores


def test_residue_scores_are_column_sums_over_length():
    m = np.array(
        [
            [0.5, 0.25, 0.25],
            [0.0, 1.0, 0.0],
            [0.3, 0.3, 0.4],
        ]
    )
    np.testing.assert_allclose(residue_scores(m), [0.8 / 3, 1.55 / 3, 0.65 / 3])
    # row-stochastic maps give scores that average to 1/L
    rng = np.random.default_rng(3)
    r = rng.random((11, 11))
    r /= r.sum(axis=1, keepdims=True)
    assert residue_scores(r).shape == (11,)
    assert np.isclose(residue_scores(r).mean(), 1 / 11)


# ------------------------------------------------------------------- chain_pairs


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _reference_cbs(atoms, chain):
    """Per position: candidate CB positions from the file and whether they are virtual.

    Real CB atoms (every altloc) where present; otherwise an ideal tetrahedral CB from
    N, CA, C (a construction independent of protattn's), accurate to ~0.3 A.
    """
    by_residue: dict[tuple[int, str], list] = {}
    for a in atoms:
        if a.chain == chain.id and a.polymer:
            by_residue.setdefault((a.number, a.icode), []).append(a)
    out = []
    for rid in chain.residue_ids:
        if rid is None:
            out.append(None)
            continue
        residue = by_residue[(rid.number, rid.icode)]
        cbs = [np.array(a.xyz) for a in residue if a.name == "CB"]
        if cbs:
            out.append((cbs, False))
            continue
        n, ca, c = (np.array(next(a.xyz for a in residue if a.name == k)) for k in ("N", "CA", "C"))
        u, v = _unit(n - ca), _unit(c - ca)
        tilt = np.radians(109.47 / 2)
        # L-amino acids: CB on the side of (N - CA) x (C - CA)
        cb = ca + 1.522 * (-np.cos(tilt) * _unit(u + v) + np.sin(tilt) * _unit(np.cross(u, v)))
        out.append(([cb], True))
    return out


def test_chain_pairs_contacts_match_an_independent_cb_distance(
    shared_dir, read_atoms, load_structure
):
    path = shared_dir / "data" / "structures" / "ligand" / "1XDN.pdb"
    chain = load_structure(path).chain("A")
    n = len(chain)
    assert not chain.observed.all()
    rng = np.random.default_rng(11)
    attention = rng.random((n, n)) * 0.5
    pairs = chain_pairs(chain, attention, threshold=-1.0)
    assert len(pairs) == n * (n - 1) // 2

    reference = _reference_cbs(read_atoms(path), chain)
    seen = {True: 0, False: 0, None: 0}
    for p in pairs:
        assert p.chain == "A" and p.i < p.j
        assert p.weight == pytest.approx(max(attention[p.i, p.j], attention[p.j, p.i]))
        assert (p.residue_i, p.residue_j) == (chain.residue_ids[p.i], chain.residue_ids[p.j])
        assert (p.aa_i, p.aa_j) == (chain.sequence[p.i], chain.sequence[p.j])
        seen[p.contact] += 1
        if reference[p.i] is None or reference[p.j] is None:
            assert p.contact is None and p.distance is None
            continue
        (cb_i, virtual_i), (cb_j, virtual_j) = reference[p.i], reference[p.j]
        options = [float(np.linalg.norm(a - b)) for a in cb_i for b in cb_j]
        slack = 0.3 * (virtual_i + virtual_j) + 1e-3
        assert min(options) - slack <= p.distance <= max(options) + slack
        if max(options) + slack < CONTACT_CUTOFF:
            assert p.contact is True
        elif min(options) - slack >= CONTACT_CUTOFF:
            assert p.contact is False
    assert seen[True] > 500 and seen[False] > 10000 and seen[None] > 100
    weights = [p.weight for p in pairs]
    assert weights == sorted(weights, reverse=True)


def test_chain_pairs_mean_top_k_and_min_separation(shared_dir, load_structure):
    chain = load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb").chain("A")
    n = len(chain)
    attention = np.random.default_rng(5).random((n, n))
    pairs = chain_pairs(chain, attention, top_k=25, min_separation=6, symmetrize_by="mean")
    assert len(pairs) == 25
    sym = 0.5 * (attention + attention.T)
    upper = sorted((sym[i, j] for i in range(n) for j in range(i + 6, n)), reverse=True)
    np.testing.assert_allclose([p.weight for p in pairs], upper[:25])
    assert all(p.j - p.i >= 6 for p in pairs)
    row = pairs[0].as_row()
    assert row["pos_i"] == pairs[0].i + 1 and row["residue_i"] == str(pairs[0].residue_i)
    with pytest.raises(ValueError):
        chain_pairs(chain, attention[:-1, :-1])
