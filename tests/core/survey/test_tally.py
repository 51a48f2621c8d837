"""Tallies merge exactly in any order, survive a file, and refuse what does not fit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from protattn.analysis.statistics import HeadStatsAccumulator
from protattn.analysis.tally import MASS_SCALE, Tally
from protattn.lm.masks import PropertyMask

RNG = np.random.default_rng(3)


def _chain(definition: str, n: int, seed: int):
    """One random chain's closed counter (2 layers x 3 heads) and its inputs."""
    rng = np.random.default_rng(seed)
    attention = rng.dirichlet(np.ones(n) * 0.3, size=(2, 3, n)).astype(np.float32)
    masks = {
        "site": PropertyMask.residue(rng.random(n) < 0.2),
        "pair": PropertyMask.pair(rng.random((n, n)) < 0.1),
    }
    accumulator = HeadStatsAccumulator(2, 3, 0.3, definition)
    return accumulator.count(attention, masks), attention, masks


@pytest.fixture(scope="module")
def chains():
    return [_chain(d, 8 + 3 * i, i) for i in range(6) for d in ("paper", "judged")]


def _tally(counters) -> Tally:
    tally = Tally(2, 3, 0.3)
    for counter, _, _ in counters:
        tally.add(counter.spec.definition, counter)
    return tally


def test_merges_are_exact_whatever_the_order_and_grouping(chains):
    whole = _tally(chains)
    for order in itertools.islice(itertools.permutations(range(len(chains))), 0, 720, 97):
        parts = [_tally([chains[i] for i in order[k : k + 5]]) for k in range(0, len(order), 5)]
        assert Tally.merged(parts) == whole
        assert Tally.merged(reversed(parts)) == whole
    assert whole.n_chains("paper") == whole.n_chains("judged") == 6


@pytest.mark.parametrize("definition", ["paper", "judged"])
def test_statistics_equal_the_accumulators_of_the_same_chains(chains, definition):
    accumulator = HeadStatsAccumulator(2, 3, 0.3, definition)
    for counter, attention, masks in chains:
        if counter.spec.definition == definition:
            accumulator.add(attention, masks)
    expected = accumulator.result(min_arcs=3)
    got = _tally(chains).statistics(definition, min_arcs=3)
    assert got.properties == expected.properties and got.n_chains == expected.n_chains == 6
    for prop in expected.properties:
        e, g = expected[prop], got[prop]
        np.testing.assert_array_equal(g.n_arcs, e.n_arcs)
        np.testing.assert_array_equal(g.hits, e.hits)
        np.testing.assert_array_equal(g.enough_arcs, e.enough_arcs)
        np.testing.assert_array_equal(g.share, e.share)
        np.testing.assert_array_equal(g.ci_low, e.ci_low)
        assert (g.background_hits, g.background_pairs) == (e.background_hits, e.background_pairs)
        # fixed point: each chain's mass is rounded to 2^-32
        np.testing.assert_allclose(g.attention_mass, e.attention_mass, rtol=0, atol=6 / MASS_SCALE)
        np.testing.assert_allclose(g.weighted_share, e.weighted_share, rtol=1e-9)
        assert (g.n_arcs > 0).any() and (g.hits > 0).any()  # not an empty comparison


def test_a_tally_survives_its_file_and_a_damaged_file_says_so(chains, tmp_path):
    tally = _tally(chains)
    path = tally.save(tmp_path / "t.npz")
    assert Tally.load(path) == tally
    assert not list(tmp_path.glob(".*.tmp"))
    data = path.read_bytes()
    for damaged in (data[: len(data) // 2], b"", b"PK\x03\x04" + data[4:40]):
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match="not a readable tally|not a tally"):
            Tally.load(path)


def test_tallies_of_another_model_or_threshold_do_not_merge(chains):
    tally = _tally(chains)
    with pytest.raises(ValueError, match="cannot join"):
        tally.merge(Tally(2, 4, 0.3))
    with pytest.raises(ValueError, match="cannot join"):
        tally.merge(Tally(2, 3, 0.2))
    counter = chains[0][0]
    with pytest.raises(ValueError, match="counted under"):
        Tally(2, 3, 0.3).add("judged" if counter.spec.definition == "paper" else "paper", counter)


def test_a_merge_that_would_overflow_is_refused(chains):
    tally = _tally(chains[:2])
    big = _tally(chains[:2])
    sums = next(iter(big._sums["paper"].values()))
    sums.mass[...] = 2**62
    before = Tally.merged([tally])
    with pytest.raises(OverflowError, match="overflow"):
        tally.merge(big)
    assert tally == before  # nothing of a refused merge was added
