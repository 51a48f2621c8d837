"""Per-head statistics: counts worked by hand, intervals and tests against statsmodels.

Every expected count, share and rate below is worked out by hand from the small
matrices written here (the arithmetic is in the comments); statsmodels is the
reference for the Wilson interval and the two-proportion z-test.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import math
import tracemalloc

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import protattn.analysis.statistics as statistics_module
from protattn.analysis.intervals import two_proportion_z, wilson_interval
from protattn.analysis.results import ROW_FIELDS, HeadStatistics
from protattn.analysis.statistics import HeadStatsAccumulator
from protattn.lm.masks import PropertyMask

# One head over four residues; rows attend (i), columns are attended (j).
# Arcs (> 0.3): (0,0) 0.5, (1,1) 0.4, (1,3) 0.5, (2,1) 0.35, (3,1) 0.75  -> 5 arcs;
# (2,0) is exactly 0.3: a tie, not an arc. Every row sums to 1, so Σα = 4.
A = [
    [0.5, 0.2, 0.25, 0.05],
    [0.1, 0.4, 0.0, 0.5],
    [0.3, 0.35, 0.2, 0.15],
    [0.0, 0.75, 0.125, 0.125],
]

# A pair property: 8 of the 16 pairs.
CONTACT_PAIRS = [(0, 1), (1, 0), (1, 3), (3, 1), (2, 3), (3, 2), (0, 2), (2, 0)]
# A residue property of the attended residue: residue 1 only.
RESIDUE_1 = [False, True, False, False]


def _one_head(matrix, dtype=np.float32) -> np.ndarray:
    return np.asarray(matrix, dtype=dtype)[None, None]


def _pair_mask(n, pairs) -> np.ndarray:
    m = np.zeros((n, n), dtype=bool)
    for i, j in pairs:
        m[i, j] = True
    return m


def _stats(
    attention, properties, min_arcs=0, alpha=0.05, threshold=0.3, definition="judged"
) -> HeadStatistics:
    acc = HeadStatsAccumulator(attention.shape[0], attention.shape[1], threshold, definition)
    acc.add(attention, properties)
    return acc.result(min_arcs=min_arcs, alpha=alpha)


def test_doctests():
    failed, attempted = doctest.testmod(statistics_module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


# ------------------------------------------------------------------ hand-counted


@pytest.mark.parametrize(
    "dtype, rel", [(np.float16, 2e-3), (np.float32, 1e-6), (np.float64, 1e-12)]
)
def test_pair_property_by_hand(dtype, rel):
    s = _stats(_one_head(A, dtype), {"contact": PropertyMask.pair(_pair_mask(4, CONTACT_PAIRS))})
    c = s["contact"]
    assert c.n_arcs.shape == (1, 1) and c.n_arcs.dtype == np.int64
    assert c.n_arcs[0, 0] == 5
    assert c.hits[0, 0] == 2  # (1,3) and (3,1)
    assert c.share[0, 0] == pytest.approx(2 / 5)
    # Σ contact·α = .2 + .1 + .5 + .75 + .15 + .125 + .25 + .3 = 2.375 over Σα = 4
    assert c.weighted_share[0, 0] == pytest.approx(2.375 / 4, rel=rel)
    assert c.attention_mass[0, 0] == pytest.approx(4.0, rel=rel)
    assert c.background == 0.5 and c.background_hits == 8 and c.background_pairs == 16


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_ties_at_threshold_are_not_arcs(dtype):
    tie = dtype(0.3)
    above = np.nextafter(tie, dtype(1))
    att = _one_head([[tie, tie], [above, tie]], dtype)
    s = _stats(att, {"all": PropertyMask.residue([True, True])})
    assert s["all"].n_arcs[0, 0] == 1 and s["all"].hits[0, 0] == 1
    # another threshold: 0.5 is exact in every precision
    att = _one_head([[0.5, 0.5], [0.5, 0.25]], dtype)
    assert (
        _stats(att, {"all": PropertyMask.residue([True, True])}, threshold=0.5)["all"].n_arcs[0, 0]
        == 0
    )
    assert (
        _stats(att, {"all": PropertyMask.residue([True, True])}, threshold=0.25)["all"].n_arcs[0, 0]
        == 3
    )


def test_residue_property_counts_the_attended_residue():
    s = _stats(_one_head(A), {"r1": PropertyMask.residue(RESIDUE_1)})
    r = s["r1"]
    assert r.n_arcs[0, 0] == 5
    # arcs attending j = 1: (1,1), (2,1), (3,1); by the attending i it would be 2
    assert r.hits[0, 0] == 3
    assert r.share[0, 0] == pytest.approx(3 / 5)
    # column 1: .2 + .4 + .35 + .75 = 1.7 of 4
    assert r.weighted_share[0, 0] == pytest.approx(1.7 / 4, rel=1e-6)
    # every pair (i, 1): 4 of 16
    assert r.background == 0.25 and r.background_pairs == 16


def test_residue_property_equals_the_same_property_written_as_pairs():
    rng = np.random.default_rng(3)
    att = rng.random((2, 3, 9, 9)).astype(np.float32) * 0.6
    g = rng.random(9) < 0.4
    valid = rng.random((9, 9)) < 0.7
    s = _stats(
        att,
        {
            "res": PropertyMask.residue(g, valid),
            "pair": PropertyMask.pair(np.broadcast_to(g[None, :], (9, 9)), valid),
        },
    )
    for name in ("n_arcs", "hits", "background_hits", "background_pairs"):
        assert np.array_equal(getattr(s["res"], name), getattr(s["pair"], name))
    np.testing.assert_allclose(s["res"].weighted_share, s["pair"].weighted_share, rtol=1e-12)


def test_valid_mask_restricts_the_pairs():
    observed = np.array([True, True, True, False])
    valid = observed[:, None] & observed[None, :]  # residue 3 unobserved: 3 x 3 block
    s = _stats(_one_head(A), {"r1": PropertyMask.residue(RESIDUE_1, valid)})
    r = s["r1"]
    # arcs in the block: (0,0), (1,1), (2,1); on j = 1: (1,1), (2,1)
    assert r.n_arcs[0, 0] == 3 and r.hits[0, 0] == 2
    # block mass .95 + .5 + .85 = 2.3; its column 1: .2 + .4 + .35 = .95
    assert r.weighted_share[0, 0] == pytest.approx(0.95 / 2.3, rel=1e-6)
    assert r.background_pairs == 9 and r.background_hits == 3


def test_each_property_has_its_own_mask_and_background():
    separated = np.abs(np.subtract.outer(np.arange(4), np.arange(4))) >= 2
    observed = np.array([True, True, True, False])
    s = _stats(
        _one_head(A),
        {
            "contact": PropertyMask.pair(_pair_mask(4, CONTACT_PAIRS), valid=separated),
            "r1": PropertyMask.residue(RESIDUE_1, valid=observed[:, None] & observed[None, :]),
            "r1_all": PropertyMask.residue(RESIDUE_1),
        },
    )
    c = s["contact"]
    # |i-j| >= 2: (0,2) (0,3) (1,3) (2,0) (3,0) (3,1); contacts among them: 4
    assert (c.background_pairs, c.background_hits) == (6, 4)
    assert c.background == pytest.approx(4 / 6)
    # arcs there: (1,3) .5, (3,1) .75, both contacts
    assert (c.n_arcs[0, 0], c.hits[0, 0]) == (2, 2)
    # mass .25 + .05 + .5 + .3 + 0 + .75 = 1.85; on contacts 1.8
    assert c.weighted_share[0, 0] == pytest.approx(1.8 / 1.85, rel=1e-6)
    assert s["r1"].background == pytest.approx(3 / 9)
    assert s["r1_all"].background == 0.25
    assert s.properties == ("contact", "r1", "r1_all")


@pytest.mark.parametrize(
    "dtype, rel", [(np.float16, 2e-3), (np.float32, 1e-6), (np.float64, 1e-12)]
)
@pytest.mark.parametrize("missing", [np.nan, np.inf])
def test_nan_pairs_are_never_counted(dtype, rel, missing):
    att = _one_head(A, dtype)
    att[0, 0, 1, 3] = missing  # was an arc (0.5)
    att[0, 0, 3, 0] = missing  # was 0.0
    s = _stats(att, {"r1": PropertyMask.residue(RESIDUE_1)})
    r = s["r1"]
    # arcs left: (0,0), (1,1), (2,1), (3,1); on j = 1: 3
    assert (r.n_arcs[0, 0], r.hits[0, 0]) == (4, 3)
    # mass 4 - .5 - 0 = 3.5; column 1 untouched: 1.7
    assert r.weighted_share[0, 0] == pytest.approx(1.7 / 3.5, rel=rel)
    assert (r.background_pairs, r.background_hits) == (14, 4)


def test_a_pair_uncovered_in_any_head_is_dropped_for_every_head():
    att = np.stack([_one_head(A)[0, 0], _one_head(A)[0, 0]])[None]  # 1 layer, 2 heads
    att[0, 1, 1, 3] = np.nan
    s = _stats(att, {"r1": PropertyMask.residue(RESIDUE_1)})
    assert s["r1"].n_arcs.tolist() == [[4, 4]]
    assert s["r1"].background_pairs == 15


def test_two_chains_are_summed_before_the_share():
    # chain 2: arcs (0,0) .6, (0,1) .4, (1,2) .6, (2,0) .9 -> 4; on j = 0: 2
    b = [[0.6, 0.4, 0.0], [0.2, 0.2, 0.6], [0.9, 0.05, 0.05]]
    acc = HeadStatsAccumulator(1, 1, definition="judged")
    acc.add(_one_head(A), {"p": PropertyMask.residue(RESIDUE_1)})
    acc.add(_one_head(b), {"p": PropertyMask.residue([True, False, False])})
    s = acc.result(min_arcs=0)
    p = s["p"]
    assert (p.n_arcs[0, 0], p.hits[0, 0]) == (5 + 4, 3 + 2)
    assert p.share[0, 0] == pytest.approx(5 / 9)  # not the mean of 3/5 and 2/4
    # on: 1.7 + (.6 + .2 + .9); mass: 4 + 3
    assert p.weighted_share[0, 0] == pytest.approx(3.4 / 7, rel=1e-6)
    # background: 4 of 16 and 3 of 9
    assert (p.background_hits, p.background_pairs) == (7, 25)
    assert s.n_chains == 2 and p.n_chains == 2


def test_a_property_missing_from_a_chain_gets_no_counts_from_it():
    acc = HeadStatsAccumulator(1, 1, definition="judged")
    acc.add(_one_head(A), {"p": PropertyMask.residue(RESIDUE_1)})
    acc.add(_one_head(A), {"q": PropertyMask.residue(RESIDUE_1)})
    s = acc.result(min_arcs=0)
    assert s.properties == ("p", "q")
    assert s["p"].n_arcs[0, 0] == 5 and s["q"].n_arcs[0, 0] == 5
    assert s["p"].n_chains == 1 and s.n_chains == 2


def test_empty_and_one_residue_chains():
    acc = HeadStatsAccumulator(2, 1, definition="judged")
    acc.add(np.zeros((2, 1, 0, 0), np.float16), {"p": PropertyMask.residue(np.zeros(0, bool))})
    s = acc.result(min_arcs=1)
    p = s["p"]
    assert p.n_arcs.tolist() == [[0], [0]] and np.isnan(p.share).all()
    assert np.isnan(p.weighted_share).all() and not p.enough_arcs.any()
    assert p.background_pairs == 0 and math.isnan(p.background)
    assert np.isnan(s.layer_profile("p")).all() and math.isnan(s.center_of_gravity("p"))
    json.loads(s.to_json())  # still valid JSON

    one = np.array([[[[1.0]]], [[[0.2]]]], np.float32)  # layer 1 self-arc; layer 2 none
    acc.add(
        one,
        {"p": PropertyMask.residue([True]), "far": PropertyMask.pair([[True]], valid=[[False]])},
    )  # |i-j| >= 6: none
    s = acc.result(min_arcs=1)
    assert s["p"].n_arcs.tolist() == [[1], [0]] and s["p"].hits.tolist() == [[1], [0]]
    assert s["p"].share[0, 0] == 1.0 and np.isnan(s["p"].share[1, 0])
    assert s["p"].background == 1.0 and s["p"].background_pairs == 1
    assert s["far"].n_arcs.tolist() == [[0], [0]] and s["far"].background_pairs == 0
    assert np.isnan(s["far"].z).all()


def test_a_head_without_arcs_has_no_share_and_is_flagged():
    quiet = np.full((4, 4), 0.25)
    att = np.stack([np.asarray(A), quiet])[None].astype(np.float32)  # 1 layer, 2 heads
    s = _stats(att, {"r1": PropertyMask.residue(RESIDUE_1)}, min_arcs=1)
    r = s["r1"]
    assert r.n_arcs[0, 1] == 0 and r.hits[0, 1] == 0
    for name in ("share", "ci_low", "ci_high", "z", "p_value"):
        assert np.isnan(getattr(r, name)[0, 1]), name
    assert r.weighted_share[0, 1] == pytest.approx(0.25)  # defined without arcs
    assert r.enough_arcs.tolist() == [[True, False]]
    row = s.ranking("r1", min_arcs_only=False)[-1]
    assert row["layer_head"] == "1-2" and row["share"] is None and row["z"] is None


@pytest.mark.parametrize(
    "min_arcs, enough", [(0, True), (4, True), (5, True), (6, False), (100, False)]
)
def test_min_arcs_flags_heads(min_arcs, enough):
    s = _stats(_one_head(A), {"r1": PropertyMask.residue(RESIDUE_1)}, min_arcs=min_arcs)
    assert s["r1"].enough_arcs[0, 0] == enough  # 5 arcs
    assert s.min_arcs == min_arcs
    assert math.isfinite(s["r1"].share[0, 0])  # flagged, never dropped
    assert len(s.ranking("r1")) == (1 if enough else 0)
    assert len(s.ranking("r1", min_arcs_only=False)) == 1


def test_default_min_arcs_is_100_and_threshold_03():
    acc = HeadStatsAccumulator(1, 1, definition="judged")
    assert acc.threshold == 0.3
    acc.add(_one_head(A), {"r1": PropertyMask.residue(RESIDUE_1)})
    s = acc.result()
    assert s.min_arcs == 100 and not s["r1"].enough_arcs[0, 0] and s.alpha == 0.05


# ------------------------------------------------------------- interval and test


def test_wilson_interval_matches_statsmodels():
    rng = np.random.default_rng(7)
    n = np.concatenate([np.arange(1, 201), rng.integers(1, 5000, size=400)])
    hits = (rng.random(n.size) * (n + 1)).astype(int).clip(0, n)
    hits[:100] = 0
    hits[100:200] = n[100:200]
    for alpha in (0.05, 0.01, 0.05 / 144, 0.05 / 660, 0.3):
        low, high = wilson_interval(hits, n, alpha)
        ref_low, ref_high = proportion_confint(hits, n, alpha=alpha, method="wilson")
        np.testing.assert_allclose(low, ref_low, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(high, ref_high, rtol=1e-9, atol=1e-12)
        assert low.min() >= 0.0 and high.max() <= 1.0  # rounding never leaves [0, 1]
    low, high = wilson_interval(3, 10, 0.05)
    assert isinstance(low, float)
    assert (low, high) == pytest.approx(proportion_confint(3, 10, alpha=0.05, method="wilson"))


def test_wilson_interval_by_hand_and_edges():
    # z = 1.959964; n = 10, p = 0: centre = (z²/20)/(1 + z²/10), half the same -> (0, 2·centre)
    z = 1.959963984540054
    centre = (z * z / 20) / (1 + z * z / 10)
    low, high = wilson_interval(0, 10, 0.05)
    assert low == pytest.approx(0.0, abs=1e-15) and high == pytest.approx(2 * centre)
    low, high = wilson_interval([0, 5], [0, 10])
    assert np.isnan(low[0]) and np.isnan(high[0]) and low[1] < 0.5 < high[1]
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(1, 10, alpha=0.0)


def test_two_proportion_z_matches_statsmodels():
    rng = np.random.default_rng(11)
    n1 = rng.integers(1, 3000, size=300)
    n2 = rng.integers(1, 300000, size=300)
    h1 = (rng.random(300) * (n1 + 1)).astype(int).clip(0, n1)
    h2 = (rng.random(300) * (n2 + 1)).astype(int).clip(0, n2)
    h1[:10] = 0
    h1[10:20] = n1[10:20]
    z, p = two_proportion_z(h1, n1, h2, n2)
    for k in range(300):
        ref_z, ref_p = proportions_ztest([h1[k], h2[k]], [n1[k], n2[k]])
        assert z[k] == pytest.approx(ref_z, rel=1e-9, abs=1e-12)
        assert p[k] == pytest.approx(ref_p, rel=1e-7, abs=1e-300)


def test_two_proportion_z_by_hand_and_undefined_cases():
    # 30/50 against 20/100: pooled 50/150 = 1/3; var = (1/3)(2/3)(1/50 + 1/100) = 1/150
    z, p = two_proportion_z(30, 50, 20, 100)
    assert z == pytest.approx((0.6 - 0.2) / math.sqrt(1 / 150))
    assert p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert two_proportion_z(5, 10, 5, 10) == (0.0, 1.0)
    z, p = two_proportion_z([0, 3, 4, 1], [0, 5, 4, 5], [1, 7, 9, 0], [3, 0, 9, 10])
    assert np.isnan(z[:3]).all() and np.isnan(p[:3]).all()  # empty, empty, zero variance
    assert math.isfinite(z[3])


def test_head_statistics_match_statsmodels_with_bonferroni():
    rng = np.random.default_rng(5)
    n_layers, n_heads, n = 3, 4, 30
    acc = HeadStatsAccumulator(n_layers, n_heads, definition="judged")
    chains = []
    for length in (n, 17):
        att = (rng.random((n_layers, n_heads, length, length)) ** 3).astype(np.float32)
        g = rng.random(length) < 0.3
        valid = rng.random((length, length)) < 0.8
        acc.add(att, {"g": PropertyMask.residue(g, valid)})
        chains.append((att, g, valid))
    s = acc.result(min_arcs=40, alpha=0.05)
    assert s.alpha_per_head == pytest.approx(0.05 / 12)
    g_stats = s["g"]
    # a plain reference count, head by head
    bg_hits = sum(int((valid & g[None, :]).sum()) for _, g, valid in chains)
    bg_pairs = sum(int(valid.sum()) for _, _, valid in chains)
    assert (g_stats.background_hits, g_stats.background_pairs) == (bg_hits, bg_pairs)
    for layer in range(n_layers):
        for head in range(n_heads):
            arcs = sum(
                int(((att[layer, head] > np.float32(0.3)) & valid).sum())
                for att, _, valid in chains
            )
            hits = sum(
                int(((att[layer, head] > np.float32(0.3)) & valid & g[None, :]).sum())
                for att, g, valid in chains
            )
            assert (g_stats.n_arcs[layer, head], g_stats.hits[layer, head]) == (arcs, hits)
            low, high = proportion_confint(hits, arcs, alpha=0.05 / 12, method="wilson")
            assert g_stats.ci_low[layer, head] == pytest.approx(low, rel=1e-9)
            assert g_stats.ci_high[layer, head] == pytest.approx(high, rel=1e-9)
            z, p = proportions_ztest([hits, bg_hits], [arcs, bg_pairs])
            assert g_stats.z[layer, head] == pytest.approx(z, rel=1e-9)
            assert g_stats.p_value[layer, head] == pytest.approx(p, rel=1e-7)
            assert g_stats.enough_arcs[layer, head] == (arcs >= 40)
    # a wider family makes wider intervals
    wide = acc.result(alpha=0.01)["g"]
    assert (wide.ci_low <= g_stats.ci_low).all() and (wide.ci_high >= g_stats.ci_high).all()


# ------------------------------------------------------------ layers and ranking

# 2 layers x 2 heads over 2 residues; the property is "the attended residue is 0".
#   1-1 [[1, 0], [1, 0]]       arcs (0,0) (1,0): 2, hits 2, share 1,  weighted 2/2 = 1
#   1-2 [[0, 1], [0, 1]]       arcs (0,1) (1,1): 2, hits 0, share 0,  weighted 0
#   2-1 [[.5, .5], [.5, .5]]   arcs all 4,       hits 2, share .5, weighted 1/2
#   2-2 [[.25, .75], [.25, .75]] arcs (0,1) (1,1): 2, hits 0, share 0, weighted .5/2 = .25
LAYERED = np.array(
    [
        [[[1, 0], [1, 0]], [[0, 1], [0, 1]]],
        [[[0.5, 0.5], [0.5, 0.5]], [[0.25, 0.75], [0.25, 0.75]]],
    ],
    dtype=np.float32,
)


def _layered(min_arcs=0) -> HeadStatistics:
    return _stats(LAYERED, {"r0": PropertyMask.residue([True, False])}, min_arcs=min_arcs)


def test_layered_counts_by_hand():
    s = _layered()
    assert s["r0"].n_arcs.tolist() == [[2, 2], [4, 2]]
    assert s["r0"].hits.tolist() == [[2, 0], [2, 0]]
    np.testing.assert_allclose(s["r0"].share, [[1, 0], [0.5, 0]])
    np.testing.assert_allclose(s["r0"].weighted_share, [[1, 0], [0.5, 0.25]])


def test_layer_profile_and_center_of_gravity_by_hand():
    s = _layered()
    np.testing.assert_allclose(s.layer_profile("r0"), [0.5, 0.25])  # (1+0)/2, (.5+0)/2
    np.testing.assert_allclose(s.layer_profile("r0", weighted=True), [0.5, 0.375])
    # weights .5 and .375: (1·.5 + 2·.375) / .875
    assert s.center_of_gravity("r0") == pytest.approx(1.25 / 0.875)
    assert s.center_of_gravity("r0", weighted=False) == pytest.approx((0.5 + 0.5) / 0.75)
    # only 2-1 has 3 or more arcs
    s3 = _layered(min_arcs=3)
    profile = s3.layer_profile("r0", min_arcs_only=True)
    assert np.isnan(profile[0]) and profile[1] == pytest.approx(0.5)


def test_layer_profile_skips_heads_without_arcs():
    att = LAYERED.copy()
    att[1, 1] = 0.25  # 2-2 has no arcs now: share NaN
    s = _stats(att, {"r0": PropertyMask.residue([True, False])})
    np.testing.assert_allclose(s.layer_profile("r0"), [0.5, 0.5])
    # its weighted share (.5/1) still counts: layer 2 = (.5 + .5)/2
    np.testing.assert_allclose(s.layer_profile("r0", weighted=True), [0.5, 0.5])
    assert s.center_of_gravity("r0") == pytest.approx(1.5)


def test_ranking_order_and_one_based_labels():
    s = _layered()
    rows = s.ranking("r0")
    assert [r["layer_head"] for r in rows] == ["1-1", "2-1", "1-2", "2-2"]  # ties: lower layer
    assert [(r["layer"], r["head"]) for r in rows] == [(1, 1), (2, 1), (1, 2), (2, 2)]
    assert rows[0]["share"] == 1.0 and rows[0]["n_arcs"] == 2 and rows[0]["property"] == "r0"
    by_weight = [r["layer_head"] for r in s.ranking("r0", by="weighted_share")]
    assert by_weight == ["1-1", "2-1", "2-2", "1-2"]
    by_arcs = [r["layer_head"] for r in s.ranking("r0", by="n_arcs")]
    assert by_arcs == ["2-1", "1-1", "1-2", "2-2"]
    assert [r["layer_head"] for r in _layered(min_arcs=3).ranking("r0")] == ["2-1"]
    assert set(rows[0]) == set(ROW_FIELDS)
    with pytest.raises(ValueError, match="share"):
        s.ranking("r0", by="nonsense")
    with pytest.raises(KeyError, match="r0"):
        s["nonsense"]


def test_ranking_puts_undefined_last():
    att = LAYERED.copy()
    att[0, 0] = 0.1  # 1-1 has no arcs
    rows = _stats(att, {"r0": PropertyMask.residue([True, False])}).ranking(
        "r0", min_arcs_only=False
    )
    assert [r["layer_head"] for r in rows] == ["2-1", "1-2", "2-2", "1-1"]
    assert rows[-1]["share"] is None


# ---------------------------------------------------------------------- output


def _two_properties() -> HeadStatistics:
    s = _stats(
        np.concatenate([LAYERED, LAYERED[::-1]], axis=1),  # 2 layers x 4 heads
        {
            "r0": PropertyMask.residue([True, False]),
            "pair": PropertyMask.pair([[False, True], [False, False]]),
        },
        min_arcs=3,
    )
    return s


def test_rows_are_json_ready_and_complete():
    s = _two_properties()
    rows = s.rows()
    assert len(rows) == 2 * 2 * 4
    assert [(r["property"], r["layer_head"]) for r in rows[:5]] == [
        ("r0", "1-1"),
        ("r0", "1-2"),
        ("r0", "1-3"),
        ("r0", "1-4"),
        ("r0", "2-1"),
    ]
    for r in rows:
        assert tuple(r) == ROW_FIELDS
        for key, value in r.items():
            assert value is None or type(value) in (int, float, bool, str), key
            assert not (isinstance(value, float) and math.isnan(value))
    assert rows[0]["share"] == 1.0 and rows[0]["background"] == 0.5
    assert rows[1]["share"] == 0.0 and rows[1]["enough_arcs"] is False


def test_json_round_trip():
    s = _two_properties()
    doc = json.loads(s.to_json())
    assert doc["rows"] == s.rows()
    assert (doc["n_layers"], doc["n_heads"], doc["threshold"], doc["min_arcs"]) == (2, 4, 0.3, 3)
    assert doc["alpha_per_head"] == pytest.approx(0.05 / 8)
    assert doc["properties"]["r0"]["background_pairs"] == 4
    assert doc["properties"]["r0"]["layer_profile"] == pytest.approx(s.layer_profile("r0").tolist())
    assert doc["properties"]["r0"]["center_of_gravity"] == pytest.approx(
        s.center_of_gravity("r0"), rel=1e-5
    )


def test_csv_round_trip():
    s = _two_properties()
    out = io.StringIO()
    s.to_csv(out)
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(read) == len(s.rows())
    for got, want in zip(read, s.rows()):
        assert tuple(got) == ROW_FIELDS
        for key, value in want.items():
            if value is None:
                assert got[key] == ""
            elif isinstance(value, bool):
                assert got[key] == str(value)
            elif isinstance(value, float):
                assert float(got[key]) == value
            else:
                assert got[key] == str(value)


# ------------------------------------------------------------ checks and memory


def test_inputs_are_checked():
    acc = HeadStatsAccumulator(1, 1, definition="judged")
    with pytest.raises(ValueError, match=r"\(1, 1, L, L\)"):
        acc.add(np.zeros((2, 1, 3, 3), np.float32), {})
    with pytest.raises(ValueError):
        acc.add(np.zeros((1, 1, 3, 4), np.float32), {})
    with pytest.raises(TypeError):
        acc.add(np.zeros((1, 1, 3, 3), np.int64), {})
    with pytest.raises(ValueError, match="'p'.*4.*3"):
        acc.add(np.zeros((1, 1, 3, 3), np.float32), {"p": PropertyMask.residue([1, 0, 0, 1])})
    with pytest.raises(TypeError):
        PropertyMask.residue([0.5, 1.0])
    with pytest.raises(ValueError):
        PropertyMask.pair([True, False])
    with pytest.raises(ValueError):
        PropertyMask.residue([[True]])
    with pytest.raises(ValueError):
        PropertyMask.residue([True, False], valid=np.ones((3, 3), bool))
    with pytest.raises(ValueError):
        acc.result(min_arcs=-1)
    with pytest.raises(ValueError):
        acc.result(alpha=1.5)
    assert acc.n_chains == 0  # nothing was added by the failed calls
    assert PropertyMask.pair(np.eye(2, dtype=int)).kind == "pair"


def _peak_of_add(n_layers: int, n: int = 300) -> tuple[int, int]:
    rng = np.random.default_rng(0)
    att = rng.random((n_layers, 4, n, n), dtype=np.float32).astype(np.float16)
    att[:, :, 0, -1] = np.nan
    separated = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) >= 6
    props = {
        "contact": PropertyMask.pair(rng.random((n, n)) < 0.05, valid=separated),
        "site": PropertyMask.residue(rng.random(n) < 0.1),
        "helix": PropertyMask.residue(rng.random(n) < 0.3, valid=separated),
    }
    acc = HeadStatsAccumulator(n_layers, 4, definition="judged")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        acc.add(att, props)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert acc.result()["site"].n_arcs.sum() > 0
    return peak, att.nbytes


def test_add_reads_attention_one_head_at_a_time():
    peak4, nbytes4 = _peak_of_add(4)
    peak8, _ = _peak_of_add(8)
    # a few (L, L) buffers (float64 of one head: 0.72 MB); a float32 copy of the whole
    # (4, 4, 300, 300) input would be 5.8 MB, a float64 one 11.5 MB
    assert peak4 < 4_500_000
    assert peak4 < 2 * nbytes4
    # and it does not grow with the number of layers (a whole-array copy would double)
    assert peak8 < peak4 + 500_000
