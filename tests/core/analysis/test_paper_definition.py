"""The paper's definition of the per-head statistics, rule by rule, and both definitions
against a brute-force count on real AntiBERTy attention.

The tiny examples are worked by hand (the arithmetic is in the comments); statsmodels
is the reference for the paper's interval (``proportion_confint(method="normal")``) and
its z-test (``proportions_ztest([background, head])``), as the paper's
``report_top_heads.py`` calls them. The brute-force count is written from the
definitions in plain loops over i and j, independently of protattn.analysis.statistics.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import protattn
from protattn.analysis.intervals import wald_interval
from protattn.analysis.statistics import HeadStatsAccumulator
from protattn.api import stats as api_stats
from protattn.errors import ProtattnError
from protattn.lm.counts import DEFAULT_DEFINITION, ChainCounter
from protattn.lm.masks import PropertyMask

# One head over four residues (rows attend, columns are attended).
# Weights >= 0.3: (0,0) 0.5, (1,1) 0.4, (1,3) 0.5, (2,0) 0.3 (a tie), (2,1) 0.35, (3,1) 0.75
A = [
    [0.5, 0.2, 0.25, 0.05],
    [0.1, 0.4, 0.0, 0.5],
    [0.3, 0.35, 0.2, 0.15],
    [0.0, 0.75, 0.125, 0.125],
]


def _one_head(matrix, dtype=np.float32) -> np.ndarray:
    return np.asarray(matrix, dtype=dtype)[None, None]


def _stats(attention, properties, definition="paper", min_arcs=0, threshold=0.3, alpha=0.05):
    acc = HeadStatsAccumulator(attention.shape[0], attention.shape[1], threshold, definition)
    acc.add(attention, properties)
    return acc.result(min_arcs=min_arcs, alpha=alpha)


def test_the_paper_is_the_default():
    assert DEFAULT_DEFINITION == "paper"
    assert HeadStatsAccumulator(1, 1).definition == "paper"
    with pytest.raises(ValueError, match="paper, judged"):
        HeadStatsAccumulator(1, 1, definition="mine")


# ------------------------------------------------------------------ hand-counted rules


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ties_at_theta_count_under_the_paper_not_under_judged(dtype):
    site = PropertyMask.residue([True, False, False, False])  # residue 0: (0,0) and (2,0)
    paper = _stats(_one_head(A, dtype), {"s": site})["s"]
    judged = _stats(_one_head(A, dtype), {"s": site}, "judged")["s"]
    assert (paper.n_arcs[0, 0], paper.hits[0, 0]) == (6, 2)  # (2,0) = 0.3 is an arc
    assert (judged.n_arcs[0, 0], judged.hits[0, 0]) == (5, 1)


def test_theta_is_compared_in_float32_as_torch_does():
    # float32(0.3) is 0.30000001...; the float32 just below it is not an arc, 0.3 itself is
    below = np.nextafter(np.float32(0.3), np.float32(0))
    att = np.array([[[[np.float32(0.3), below], [0.0, 0.0]]]], dtype=np.float32)
    s = _stats(att, {"all": PropertyMask.residue([True, True])})["all"]
    assert s.n_arcs[0, 0] == 1 and s.hits[0, 0] == 1


def test_the_paper_counts_the_diagonal_and_close_pairs_in_the_denominator():
    # contacts judged only at |i-j| >= 2 here; the only contact is (1,3)/(3,1) (0.5, 0.75)
    contact = np.zeros((4, 4), dtype=bool)
    contact[1, 3] = contact[3, 1] = True
    sep = np.abs(np.subtract.outer(np.arange(4), np.arange(4))) >= 2
    mask = {"c": PropertyMask.pair(contact, valid=sep)}
    paper = _stats(_one_head(A), mask)["c"]
    judged = _stats(_one_head(A), mask, "judged")["c"]
    # paper: all 6 arcs count (diagonal (0,0), (1,1); close (2,1); the tie (2,0)), 2 hits
    assert (paper.n_arcs[0, 0], paper.hits[0, 0]) == (6, 2)
    # judged: arcs > 0.3 at |i-j| >= 2: (1,3) and (3,1) only
    assert (judged.n_arcs[0, 0], judged.hits[0, 0]) == (2, 2)
    # the contact background is over the judged pairs in both: (0,2) (0,3) (1,3) and mirrors
    assert paper.background_pairs == judged.background_pairs == 6
    assert paper.background_hits == judged.background_hits == 2


def test_a_contact_outside_its_valid_pairs_is_never_a_hit():
    contact = np.ones((4, 4), dtype=bool)  # "contacts" everywhere ...
    valid = np.zeros((4, 4), dtype=bool)
    valid[1, 3] = True  # ... judged at (1,3) only
    s = _stats(_one_head(A), {"c": PropertyMask.pair(contact, valid=valid)})["c"]
    assert (s.n_arcs[0, 0], s.hits[0, 0], s.background_hits, s.background_pairs) == (6, 1, 1, 1)


def test_unobserved_residues_count_as_arcs_but_never_as_hits():
    # residue 3 unobserved: its site label is False; the judged definition drops column 3
    site = PropertyMask.residue(
        [False, True, False, False], valid=np.broadcast_to([True, True, True, False], (4, 4))
    )
    paper = _stats(_one_head(A), {"s": site})["s"]
    judged = _stats(_one_head(A), {"s": site}, "judged")["s"]
    assert (paper.n_arcs[0, 0], paper.hits[0, 0]) == (6, 3)  # (1,3) counts as an arc
    assert (judged.n_arcs[0, 0], judged.hits[0, 0]) == (4, 3)  # > 0.3, j observed


def test_the_background_of_a_residue_property_is_per_residue():
    # one site residue of four: per residue 1/4; pair-weighted over the judged pairs with
    # column 3 unobserved: 4 of 12 pairs
    site = PropertyMask.residue(
        [False, True, False, False], valid=np.broadcast_to([True, True, True, False], (4, 4))
    )
    paper = _stats(_one_head(A), {"s": site})["s"]
    judged = _stats(_one_head(A), {"s": site}, "judged")["s"]
    assert (paper.background_hits, paper.background_pairs, paper.background) == (1, 4, 0.25)
    assert (judged.background_hits, judged.background_pairs) == (4, 12)


def test_truncation_keeps_the_papers_background_window():
    values = np.array([True, False, False, True, True, False])
    cut = PropertyMask.residue(values).truncated(3)
    # attention covers 3 residues; the paper's background.py counts n + 1 labels (the
    # label array begins with the start token's -1) and pairs among n + 2 residues
    assert len(cut) == 3 and cut.background_from.values.tolist() == [True, False, False, True]
    pairs = PropertyMask.pair(np.eye(6, dtype=bool), valid=~np.eye(6, dtype=bool)).truncated(3)
    assert pairs.values.shape == (3, 3) and pairs.background_from.values.shape == (5, 5)
    att = np.full((1, 1, 3, 3), 1 / 3, dtype=np.float32)
    att[0, 0, :, 0] = 0.5
    att[0, 0, :, 1:] = 0.25
    s = _stats(att, {"s": cut})["s"]
    assert (s.n_arcs[0, 0], s.hits[0, 0]) == (3, 3)  # column 0, a site
    assert (s.background_hits, s.background_pairs) == (2, 4)  # 2 sites in the first 4


def test_min_arcs_is_strict_under_the_paper_and_bonferroni_counts_those_heads():
    rng = np.random.default_rng(3)
    att = rng.random((2, 3, 12, 12)).astype(np.float32)
    att /= att.sum(-1, keepdims=True) / 3  # rows sum to 3: many arcs
    site = PropertyMask.residue(rng.random(12) < 0.4)
    arcs = _stats(att, {"s": site})["s"].n_arcs
    line = int(np.sort(arcs.ravel())[2])  # three heads at or below it
    s = _stats(att, {"s": site}, min_arcs=line)["s"]
    np.testing.assert_array_equal(s.enough_arcs, arcs > line)
    m = int((arcs > line).sum())
    assert s.alpha_per_head == pytest.approx(0.05 / m)
    judged = _stats(att, {"s": site}, "judged", min_arcs=line)["s"]
    np.testing.assert_array_equal(judged.enough_arcs, judged.n_arcs >= line)
    assert judged.alpha_per_head == pytest.approx(0.05 / 6)
    # the paper's interval: Wald at alpha / m, as statsmodels gives it
    for k in np.ndindex(arcs.shape):
        low, high = proportion_confint(int(s.hits[k]), int(s.n_arcs[k]), alpha=0.05 / m)
        assert (s.ci_low[k], s.ci_high[k]) == pytest.approx((low, high), abs=1e-12)
        z, p = proportions_ztest(
            [s.background_hits, int(s.hits[k])], [s.background_pairs, int(s.n_arcs[k])]
        )
        assert (s.z[k], s.p_value[k]) == pytest.approx((z, p), rel=1e-9, abs=1e-300)


def test_wald_interval_by_hand_and_edges():
    low, high = wald_interval(50, 100, 0.05)  # 0.5 ± 1.959964 · 0.05
    assert (low, high) == pytest.approx((0.5 - 0.0979982, 0.5 + 0.0979982), abs=1e-6)
    assert wald_interval(0, 10) == (0.0, 0.0)  # no variance at p = 0
    assert wald_interval(1, 10, 0.05)[0] == 0.0  # clipped at 0
    assert all(math.isnan(v) for v in wald_interval(0, 0))


def test_the_papers_z_is_background_minus_head():
    # head: 3 of 4 arcs on a residue of 4 (background 1/4): above background, so z < 0
    s = _stats(_one_head(A), {"s": PropertyMask.residue([False, True, False, False])})
    assert s["s"].share[0, 0] == 0.5 and s["s"].z[0, 0] < 0
    judged = _stats(
        _one_head(A), {"s": PropertyMask.residue([False, True, False, False])}, "judged"
    )
    assert judged["s"].z[0, 0] > 0
    # ranking by z puts the most enriched head first under both
    assert s.ranking("s", by="z")[0]["layer_head"] == "1-1"


def test_ties_in_a_ranking_go_to_the_higher_layer_then_head_under_the_paper():
    att = np.zeros((2, 2, 2, 2), dtype=np.float32)
    att[..., 0] = 1.0  # every head: both arcs on residue 0
    props = {"s": PropertyMask.residue([True, False])}
    assert [r["layer_head"] for r in _stats(att, props).ranking("s")] == [
        "2-2",
        "2-1",
        "1-2",
        "1-1",
    ]  # sorted((share, layer, head), reverse=True)
    assert [r["layer_head"] for r in _stats(att, props, "judged").ranking("s")] == [
        "1-1",
        "1-2",
        "2-1",
        "2-2",
    ]


def test_layer_profile_and_centre_of_gravity_of_the_paper():
    # layer 1: heads with shares 1 (2 arcs) and 0 (2 arcs); layer 2: 0.5 (2 arcs), none (0 arcs)
    att = np.zeros((2, 2, 2, 2), dtype=np.float32)
    att[0, 0, :, 0] = 1.0
    att[0, 1, :, 1] = 1.0
    att[1, 0, 0, 0] = att[1, 0, 1, 1] = 1.0
    s = _stats(att, {"s": PropertyMask.residue([True, False])}, min_arcs=2)
    # heads with >= 2 arcs (the combined figure's mask, not the rankings' > 2): [0.5, 0.5]
    np.testing.assert_allclose(s.layer_profile("s"), [0.5, 0.5])
    assert not s["s"].enough_arcs.any()  # none has more than 2, for the rankings
    assert s.center_of_gravity("s") == pytest.approx(1.5)  # 1-based; the paper's code: 0.5
    # judged keeps its own default: attention-weighted share of every head
    judged = _stats(att, {"s": PropertyMask.residue([True, False])}, "judged", min_arcs=2)
    assert judged.center_of_gravity("s") == pytest.approx((1 * 0.5 + 2 * 0.5) / 1.0)


def test_every_output_names_its_definition():
    for definition in ("paper", "judged"):
        s = _stats(
            _one_head(A), {"s": PropertyMask.residue([False, True, False, False])}, definition
        )
        assert {r["definition"] for r in s.rows()} == {definition}
        assert f'"definition": "{definition}"' in s.to_json()
        assert definition in s.describe()


# --------------------------------------------- brute force on real AntiBERTy attention


def _brute_force(chain, attention, site, definition, theta=0.3, min_separation=6):
    """Arcs and hits per head for contacts and binding sites, counted pair by pair."""
    n = attention.shape[-1]
    shape = attention.shape[:2]
    observed = chain.observed
    cb = chain.cb
    arcs_c, hits_c, arcs_s, hits_s = (np.zeros(shape, dtype=np.int64) for _ in range(4))
    bg = {"contact": [0, 0], "site": [0, 0]}
    covered = np.isfinite(attention).all(axis=(0, 1))
    t = np.float32(theta)
    for i in range(n):
        for j in range(n):
            a = attention[:, :, i, j]
            judged_contact = bool(observed[i] and observed[j] and abs(i - j) >= min_separation)
            in_contact = judged_contact and float(np.linalg.norm(cb[i] - cb[j])) < 8.0
            if definition == "paper":
                high = a >= t
                arcs_c += high
                arcs_s += high
                hits_c += high & in_contact
                hits_s += high & bool(site[j])
            else:
                high = a > t
                if judged_contact and covered[i, j]:
                    arcs_c += high
                    hits_c += high & in_contact
                    bg["contact"][0] += in_contact
                    bg["contact"][1] += 1
                if observed[j] and covered[i, j]:
                    arcs_s += high
                    hits_s += high & bool(site[j])
                    bg["site"][0] += bool(site[j])
                    bg["site"][1] += 1
    return arcs_c, hits_c, arcs_s, hits_s, bg


@pytest.mark.parametrize("definition", ["paper", "judged"])
def test_both_definitions_equal_a_brute_force_count(
    definition, shared_dir, load_structure, antiberty
):
    files = [
        shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb",
        shared_dir / "data" / "structures" / "antibody" / "1VFB.cif",
    ]
    structures = [load_structure(f) for f in files]
    stats = api_stats.head_statistics(
        structures, antiberty, ["contact", "binding_site"], min_arcs=0, definition=definition
    )
    total = np.zeros((4, 8, 8), dtype=np.int64)
    bg = {"contact": [0, 0], "site": [0, 0]}
    for structure in structures:
        sites = protattn.structure.sites.binding_sites(structure, kinds=("ligand",))
        for chain in structure.chains:
            attention = protattn.chain_attention(antiberty, chain.sequence).attention
            site = protattn.structure.sites.site_mask(chain, sites)
            *counts, chain_bg = _brute_force(chain, attention, site, definition)
            total += np.stack(counts)
            if definition == "paper":  # per residue, and over the judged pairs (by hand)
                n = len(chain)
                for i in range(n):
                    bg["site"][0] += bool(site[i])
                    bg["site"][1] += 1
                    for j in range(n):
                        if chain.observed[i] and chain.observed[j] and abs(i - j) >= 6:
                            bg["contact"][1] += 1
                            distance = float(np.linalg.norm(chain.cb[i] - chain.cb[j]))
                            bg["contact"][0] += distance < 8.0
            else:
                for key in bg:
                    bg[key][0] += chain_bg[key][0]
                    bg[key][1] += chain_bg[key][1]
    contact, site = stats["contact"], stats["binding_site"]
    np.testing.assert_array_equal(contact.n_arcs, total[0])
    np.testing.assert_array_equal(contact.hits, total[1])
    np.testing.assert_array_equal(site.n_arcs, total[2])
    np.testing.assert_array_equal(site.hits, total[3])
    assert [contact.background_hits, contact.background_pairs] == bg["contact"]
    assert [site.background_hits, site.background_pairs] == bg["site"]
    assert total[1].sum() > 0 and total[3].sum() > 0  # real hits, not an empty agreement
    if definition == "paper":  # the paper's denominator also holds arcs the judged one drops
        judged = api_stats.head_statistics(
            structures, antiberty, ["contact"], min_arcs=0, definition="judged"
        )["contact"]
        assert (contact.n_arcs > judged.n_arcs).any() and (contact.n_arcs >= judged.n_arcs).all()


def test_the_paper_cuts_a_long_chain_to_510_residues(shared_dir, load_structure, antiberty):
    structure = load_structure(shared_dir / "data" / "structures" / "ligand" / "1EVE.pdb")
    chain = structure.chain("A")
    assert len(chain) > 510
    stats = api_stats.head_statistics([structure], antiberty, ["binding_site"], min_arcs=0)
    assert stats.truncated == (f"{structure.name} A: {len(chain)} → 510",)
    attention = protattn.chain_attention(antiberty, chain.sequence[:510]).attention
    assert attention.shape[-1] == 510 and not np.isnan(attention).any()
    sites = protattn.structure.sites.site_mask(
        chain, protattn.structure.sites.binding_sites(structure, kinds=("ligand",))
    )
    high = attention >= np.float32(0.3)
    np.testing.assert_array_equal(stats["binding_site"].n_arcs, high.sum(axis=(2, 3)))
    np.testing.assert_array_equal(stats["binding_site"].hits, (high & sites[:510]).sum(axis=(2, 3)))
    s = stats["binding_site"]
    assert (s.background_hits, s.background_pairs) == (int(sites[:511].sum()), 511)
    with pytest.raises(ProtattnError, match="definition judged"):
        api_stats.head_statistics([structure], antiberty, ["binding_site"], window=200)


def test_masks_and_counts_cross_the_worker_protocol_unchanged():
    rng = np.random.default_rng(5)
    pair = PropertyMask.pair(rng.random((7, 7)) < 0.3, valid=rng.random((7, 7)) < 0.8)
    residue = PropertyMask.residue(rng.random(9) < 0.5).truncated(5)
    for mask in (pair, residue):
        back = PropertyMask.from_message(json.loads(json.dumps(mask.to_message())))
        np.testing.assert_array_equal(back.values, mask.values)
        assert (back.valid is None) == (mask.valid is None)
        if mask.valid is not None:
            np.testing.assert_array_equal(back.valid, mask.valid)
        assert (back.background_from is None) == (mask.background_from is None)
    assert len(PropertyMask.from_message(residue.to_message()).background_from) == 6
    with pytest.raises(ValueError, match="needs 1 bytes"):
        PropertyMask.from_message({"values": {"shape": [5], "base64": "AAAA"}})
    with pytest.raises(ValueError, match="not a property mask"):
        PropertyMask.from_message({"valid": None})
    acc = HeadStatsAccumulator(1, 1)
    done = acc.count(_one_head(A), {"s": PropertyMask.residue([False, True, False, False])})
    message = json.loads(json.dumps(done.to_message()))
    again = HeadStatsAccumulator(1, 1)
    again.add_chain(ChainCounter.from_message(again, message))
    a, b = acc.result(min_arcs=0)["s"], again.result(min_arcs=0)["s"]
    assert (a.n_arcs, a.hits, a.background) == (b.n_arcs, b.hits, b.background)
    assert a.attention_mass[0, 0] == b.attention_mass[0, 0]
    with pytest.raises(ValueError, match="not of shape"):
        ChainCounter.from_message(HeadStatsAccumulator(2, 1), message)
