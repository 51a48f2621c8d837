"""Probing by layer on synthetic arrays, where the right answer is known."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from protattn.analysis.probing import (
    ChainExamples,
    ProbeResult,
    candidate_pairs,
    pair_features,
    probe_layers,
    residue_examples,
    split_chains,
    top_k_hits,
    training_pairs,
)
from protattn.errors import ProtattnError


def _ss_chain(name: str, rng: np.random.Generator, n: int = 80) -> ChainExamples:
    """Layer 0 holds the class (one-hot plus noise); layer 1 only noise."""
    y = rng.integers(0, 4, n)
    known = np.eye(4)[y] + 0.05 * rng.normal(size=(n, 4))
    noise = rng.normal(size=(n, 4))
    return ChainExamples(name, np.stack([known, noise]).astype(np.float32), y)


def _site_chain(name: str, rng: np.random.Generator, n: int = 200) -> ChainExamples:
    """Binary labels, 10% positive; layer 0 separates them, layer 1 is noise."""
    y = (rng.random(n) < 0.1).astype(int)
    y[0] = 1
    known = (y[:, None] * 3.0 + 0.1 * rng.normal(size=(n, 2))).astype(np.float32)
    noise = rng.normal(size=(n, 2)).astype(np.float32)
    return ChainExamples(name, np.stack([known, noise]), y, k=round(n / 20))


def test_a_separable_feature_gives_accuracy_1_and_noise_near_chance():
    rng = np.random.default_rng(1)
    train = [_ss_chain(f"t{k}", rng) for k in range(6)]
    test = [_ss_chain(f"v{k}", rng) for k in range(4)]
    probe = probe_layers("secondary_structure", train, test, resamples=200)
    separable, noise = probe.layers
    assert separable.layer == 0 and noise.layer == 1
    assert separable.value == 1.0
    assert abs(noise.value - 0.25) < 0.12  # four balanced classes: chance is 1/4
    assert 0.15 < probe.baseline < 0.40  # the majority class's share
    assert probe.best is separable
    assert separable.n_test_examples == 4 * 80 and separable.n_train_chains == 6


def test_precision_at_k_is_pooled_over_chains_by_brute_force():
    rng = np.random.default_rng(2)
    train = [_site_chain(f"t{k}", rng) for k in range(5)]
    test = [_site_chain(f"v{k}", rng, n=n) for k, n in enumerate((100, 160, 240))]
    probe = probe_layers("binding_site", train, test, resamples=200)
    assert probe.layers[0].value == 1.0  # separable: every top-k residue is a site
    # brute force for the noise layer: refit the same probe, rank, count
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([c.features[1] for c in train])
    y = np.concatenate([c.labels for c in train])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    hits = 0
    for chain in test:
        p = model.predict_proba(chain.features[1])[:, 1]
        best = sorted(range(len(p)), key=lambda i: (-p[i], i))[: chain.k]
        hits += sum(chain.labels[i] for i in best)
    assert probe.layers[1].value == pytest.approx(hits / sum(c.k for c in test))
    rate = sum(c.labels.mean() * c.k for c in test) / sum(c.k for c in test)
    assert probe.baseline == pytest.approx(rate)


def test_mean_over_chains_is_the_mean_of_per_chain_values():
    rng = np.random.default_rng(3)
    train = [_site_chain(f"t{k}", rng) for k in range(4)]
    test = [_site_chain(f"v{k}", rng, n=n) for k, n in enumerate((100, 300))]
    pooled = probe_layers("binding_site", train, test, average="pooled", resamples=50)
    mean = probe_layers("binding_site", train, test, average="mean", resamples=50)
    assert pooled.layers[0].value == mean.layers[0].value == 1.0
    assert np.isfinite(mean.layers[1].value)


def test_intervals_contain_the_estimate_and_are_seeded():
    rng = np.random.default_rng(4)
    train = [_ss_chain(f"t{k}", rng) for k in range(5)]
    test = [_ss_chain(f"v{k}", rng, n=n) for k, n in enumerate((40, 60, 80, 100, 120))]
    first = probe_layers("secondary_structure", train, test, seed=7, resamples=300)
    again = probe_layers("secondary_structure", train, test, seed=7, resamples=300)
    for s in first.layers:
        assert s.low <= s.value <= s.high
    assert first == again


def test_top_k_hits_by_brute_force():
    rng = np.random.default_rng(5)
    for _ in range(50):
        scores = rng.random(30)
        labels = rng.integers(0, 2, 30)
        k = int(rng.integers(0, 31))
        best = sorted(range(30), key=lambda i: -scores[i])[:k]
        assert top_k_hits(scores, labels, k) == sum(labels[i] for i in best)


def test_the_split_never_puts_a_chain_or_a_sequence_on_both_sides():
    keys = ["A", "B", "A", "C", "D", "E", "B", "F"]
    for seed, held_out in itertools.product(range(20), (0.1, 0.25, 0.5, 0.9)):
        train, test = split_chains(keys, held_out, seed)
        assert sorted([*train, *test]) == list(range(len(keys)))
        assert not {keys[k] for k in train} & {keys[k] for k in test}
        assert len(train) and len(test)
    assert [a.tolist() for a in split_chains(keys, 0.25, 3)] == [
        a.tolist() for a in split_chains(keys, 0.25, 3)
    ]


@pytest.mark.parametrize(
    ("keys", "held_out", "message"),
    [
        (["A"], 0.25, "at least 2 different chains"),
        (["A", "A"], 0.25, "identical sequences"),
        (["A", "B"], 0.0, "above 0 and below 1"),
        (["A", "B"], 1.0, "above 0 and below 1"),
    ],
)
def test_a_split_that_cannot_be_made_is_refused(keys, held_out, message):
    with pytest.raises(ProtattnError, match=message):
        split_chains(keys, held_out)


def test_bad_probe_inputs_are_refused():
    rng = np.random.default_rng(6)
    chain = _ss_chain("a", rng)
    with pytest.raises(ProtattnError, match="unknown task"):
        probe_layers("helix", [chain], [chain])
    with pytest.raises(ProtattnError, match="at least 1 training and 1 test chain"):
        probe_layers("secondary_structure", [chain], [])
    with pytest.raises(ProtattnError, match="unknown average"):
        probe_layers("secondary_structure", [chain], [chain], average="median")
    other = ChainExamples("b", np.zeros((3, 5, 4), np.float32), np.zeros(5, int))
    with pytest.raises(ProtattnError, match="differ in"):
        probe_layers("secondary_structure", [chain], [other])
    with pytest.raises(ProtattnError, match="do not match"):
        ChainExamples("c", np.zeros((2, 5, 4), np.float32), np.zeros(4, int))


def test_one_class_in_training_fits_nothing_and_says_so():
    rng = np.random.default_rng(7)
    empty = [
        ChainExamples(f"t{k}", rng.normal(size=(2, 50, 2)).astype(np.float32), np.zeros(50, int), 3)
        for k in range(3)
    ]
    probe = probe_layers("binding_site", empty, [_site_chain("v", rng)], resamples=20)
    assert np.isnan(probe.values).all()
    assert probe.best is None
    assert "nothing to learn" in probe.notes[0]


def test_contact_features_and_training_pairs():
    rng = np.random.default_rng(8)
    n, heads = 20, 3
    attention = rng.random((2, heads, n, n))
    valid = np.ones(n, bool)
    valid[4] = False
    pairs = candidate_pairs(valid, 6)
    expected = [[i, j] for i in range(n) for j in range(i + 6, n) if valid[i] and valid[j]]
    assert pairs.tolist() == expected
    features = pair_features(attention, pairs)
    assert features.shape == (2, len(pairs), 2 * heads)
    i, j = pairs[7]
    assert np.allclose(features[1, 7], [*attention[1, :, i, j], *attention[1, :, j, i]])

    contacts = np.zeros((n, n), bool)
    for a, b in [(0, 8), (2, 15), (4, 12), (1, 3)]:  # (4, 12) unobserved, (1, 3) too close
        contacts[a, b] = contacts[b, a] = True
    chosen, labels = training_pairs(contacts, valid, 6, negatives=2, rng=rng)
    assert labels.sum() == 2 and len(labels) == 6
    assert {tuple(p) for p in chosen[labels == 1]} == {(0, 8), (2, 15)}
    assert all(j - i >= 6 and valid[i] and valid[j] for i, j in chosen)


def test_residue_examples_drop_unknown_residues():
    states = np.arange(2 * 4 * 3, dtype=float).reshape(2, 4, 3)
    features, labels = residue_examples(states, np.array([2, -1, 0, 3]))
    assert features.shape == (2, 3, 3) and features.dtype == np.float32
    assert labels.tolist() == [2, 0, 3]
    assert np.array_equal(features[1, 1], states[1, 2])
    with pytest.raises(ProtattnError, match="do not match"):
        residue_examples(states, np.zeros(5, int))


def test_result_rows_and_table():
    rng = np.random.default_rng(9)
    train = [_ss_chain(f"t{k}", rng) for k in range(3)]
    test = [_ss_chain(f"v{k}", rng) for k in range(2)]
    probe = probe_layers("secondary_structure", train, test, resamples=50)
    result = ProbeResult((probe,), ("t0", "t1", "t2"), ("v0", "v1"), model="m")
    rows = result.to_rows()
    assert [r["layer"] for r in rows] == [0, 1]
    assert rows[0]["metric"] == "accuracy (4 classes)" and rows[0]["value"] == 1.0
    lines = result.table()
    assert lines[0].startswith("m: probes trained on 3 chains, tested on 2")
    assert any(line.split()[:2] == ["0", "1.000"] for line in lines)
    assert result.task("secondary_structure") is probe
    with pytest.raises(ProtattnError, match="no task 'contact'"):
        result.task("contact")
