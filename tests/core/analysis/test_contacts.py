"""Contact prediction: ESM's features (symmetrise, APC), precision at L/k, the ESM contact head.

Precision cases are small enough to count by hand; a plain re-implementation of ESM's
``compute_precisions`` (its contact-prediction notebook) checks the general case.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import require

from protattn import LayerHeadError, ModelError
from protattn.analysis.contacts import (
    apc,
    esm_contact_probabilities,
    symmetrize_sum,
    unsupervised_contacts,
)
from protattn.analysis.precision import (
    ContactPrecision,
    PredictedPair,
    contact_precision,
    predicted_pairs,
)

# ------------------------------------------------------------------------ features


def _esm_apc_loops(x):
    """ESM's apc, written out pair by pair for one (L, L) map."""
    n = x.shape[0]
    total = sum(x[a, b] for a in range(n) for b in range(n))
    out = np.empty_like(x)
    for i in range(n):
        for j in range(n):
            out[i, j] = x[i, j] - sum(x[i, :]) * sum(x[:, j]) / total
    return out


def test_symmetrize_sum_and_apc_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(symmetrize_sum(x), [[2.0, 5.0], [5.0, 8.0]])
    # row sums 3, 7; column sums 4, 6; total 10
    np.testing.assert_allclose(apc(x), [[1 - 1.2, 2 - 1.8], [3 - 2.8, 4 - 4.2]])
    # a map that is its own average product has nothing left
    np.testing.assert_allclose(apc(np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])), 0, atol=1e-12)


def test_apc_matches_esm_formula_on_batches():
    rng = np.random.default_rng(0)
    maps = rng.random((3, 2, 7, 7))
    features = apc(symmetrize_sum(maps))
    assert features.shape == maps.shape
    for index in np.ndindex(3, 2):
        m = maps[index]
        np.testing.assert_allclose(features[index], _esm_apc_loops(m + m.T), rtol=1e-12)


def test_apc_matches_transformers_esm():
    torch = require("torch")
    esm = require("transformers.models.esm.modeling_esm")
    maps = np.random.default_rng(1).random((2, 3, 9, 9))
    expected = esm.average_product_correct(esm.symmetrize(torch.from_numpy(maps))).numpy()
    np.testing.assert_allclose(apc(symmetrize_sum(maps)), expected, rtol=1e-12)


# ------------------------------------------------------------------------ precision by hand

SHORT_PAIRS = [(0, 6), (0, 7), (0, 8), (0, 9), (1, 7), (1, 8), (1, 9), (2, 8), (2, 9), (3, 9)]


def _ten_residues():
    """L = 10: the ten pairs with separation >= 6 scored 10..1 in SHORT_PAIRS order."""
    scores = np.zeros((10, 10))
    contacts = np.zeros((10, 10), dtype=bool)
    for rank, (i, j) in enumerate(SHORT_PAIRS):
        scores[i, j] = 10 - rank
    for i, j in [(0, 6), (0, 8), (0, 9), (3, 9)]:
        contacts[i, j] = contacts[j, i] = True
    scores[0, 1] = scores[2, 4] = 100.0  # separation < 6: never counted
    contacts[0, 1] = True
    scores[9, 3] = 1000.0  # lower triangle: never read
    return scores, contacts


def test_precision_by_hand():
    scores, contacts = _ten_residues()
    result = contact_precision(scores, contacts)
    assert isinstance(result, ContactPrecision)
    assert result.length == 10 and result.k == {"L": 10, "L/2": 5, "L/5": 2}
    # ranked truth: T F T T F F F F F T
    assert result["short"] == pytest.approx({"L": 4 / 10, "L/2": 3 / 5, "L/5": 1 / 2})
    assert result["all"] == result["short"]
    assert result["medium"] == result["long"] == {"L": 0.0, "L/2": 0.0, "L/5": 0.0}
    assert result.true_positives["short"] == {"L": 4, "L/2": 3, "L/5": 1}
    assert result.candidates == {"short": 10, "medium": 0, "long": 0, "all": 10}
    assert result.contacts == {"short": 4, "medium": 0, "long": 0, "all": 4}
    hits = np.cumsum([1, 0, 1, 1, 0, 0, 0, 0, 0, 1])
    assert result.auc["short"] == pytest.approx(np.mean(hits / np.arange(1, 11)))
    # a plain dict of band to label to precision, JSON-ready as it is
    assert isinstance(result, dict) and set(result) == {"short", "medium", "long", "all"}
    assert json.loads(json.dumps(result)) == {band: dict(v) for band, v in result.items()}
    rows = result.rows()
    assert len(rows) == 12
    assert {
        "band": "short",
        "top": "L/2",
        "k": 5,
        "precision": 0.6,
        "true_positives": 3,
        "candidates": 10,
        "contacts": 4,
        "auc": result.auc["short"],
        "length": 10,
    } in rows


def test_precision_bands_by_separation():
    n = 30
    rng = np.random.default_rng(2)
    scores = -rng.random((n, n))  # no ties, all below the contacts
    contacts = np.zeros((n, n), dtype=bool)
    for rank, (i, j) in enumerate([(0, 6), (0, 12), (0, 24), (0, 29), (3, 14), (2, 25)]):
        contacts[i, j] = True
        scores[i, j] = 10 - rank
    scores[3, 14], contacts[3, 14] = 5.0, False  # separation 11: a confident false short pair
    scores[2, 25], contacts[2, 25] = 4.0, False  # separation 23: a false medium pair
    result = contact_precision(scores, contacts)
    assert result.k == {"L": 30, "L/2": 15, "L/5": 6}
    assert result["short"]["L/5"] == pytest.approx(1 / 6)  # (0, 6) then (3, 14)
    assert result["medium"]["L/5"] == pytest.approx(1 / 6)  # (0, 12) then (2, 25)
    assert result["long"]["L/5"] == pytest.approx(2 / 6)  # (0, 24), (0, 29)
    assert result["all"]["L/5"] == pytest.approx(4 / 6)
    # separations 6-11 | 12-23 | >= 24 partition "all"
    counts = [sum((n - d) for d in range(lo, hi + 1)) for lo, hi in [(6, 11), (12, 23), (24, 29)]]
    assert [result.candidates[b] for b in ("short", "medium", "long")] == counts
    assert result.candidates["all"] == sum(counts)
    # the local band needs min_separation 3
    local = contact_precision(scores, contacts, min_separation=3, bands=("local", "all"))
    assert local.candidates["local"] == sum(n - d for d in (3, 4, 5))
    assert local.candidates["all"] == result.candidates["all"] + local.candidates["local"]


def test_ties_are_broken_by_position():
    scores = np.ones((10, 10))
    contacts = np.zeros((10, 10), dtype=bool)
    contacts[3, 9] = True  # the last tied pair
    result = contact_precision(scores, contacts, ks=(1, 10))
    assert result["all"] == {"1": 0.0, "10": 0.1}
    contacts[0, 6] = True  # the first tied pair
    assert contact_precision(scores, contacts, ks=(1,))["all"]["1"] == 1.0
    assert [(p.i, p.j) for p in predicted_pairs(scores, contacts)] == SHORT_PAIRS


def test_nan_scores_are_left_out_but_l_stays():
    scores, contacts = _ten_residues()
    scores[0, 6] = np.nan  # the best pair (a contact) is not covered by any window
    result = contact_precision(scores, contacts)
    assert result.length == 10 and result.candidates["all"] == 9
    # ranked truth: F T T F F F F F T
    assert result["all"] == pytest.approx({"L": 3 / 10, "L/2": 2 / 5, "L/5": 1 / 2})


def test_invalid_residues_are_left_out_and_shrink_l():
    scores, contacts = _ten_residues()
    valid = np.ones(10, dtype=bool)
    valid[8] = False  # unobserved: pairs (0, 8), (1, 8), (2, 8) go
    result = contact_precision(scores, contacts, valid=valid)
    assert result.length == 9 and result.k == {"L": 9, "L/2": 4, "L/5": 1}
    assert result.candidates["all"] == 7
    # ranked truth: T F T F F F T
    assert result["all"] == pytest.approx({"L": 3 / 9, "L/2": 2 / 4, "L/5": 1.0})
    assert contact_precision(scores, contacts, valid=valid, length=20).k["L/5"] == 4
    # the same residues as a pair mask (features.observed_pairs) give the same result
    pairs = contact_precision(scores, contacts, valid=valid[:, None] & valid[None, :])
    assert pairs == result and pairs.length == 9 and pairs.candidates == result.candidates
    # a pair mask can also leave out single pairs: (0, 6) goes, L stays 10
    single = np.ones((10, 10), dtype=bool)
    single[0, 6] = False
    assert contact_precision(scores, contacts, valid=single)["all"] == pytest.approx(
        {"L": 3 / 10, "L/2": 2 / 5, "L/5": 1 / 2}
    )


@pytest.mark.parametrize(
    "n, k",
    [
        (14, {"L": 14, "L/2": 7, "L/5": 2}),
        (4, {"L": 4, "L/2": 2, "L/5": 1}),
        (1, {"L": 1, "L/2": 1, "L/5": 1}),
    ],
)
def test_k_is_floored_and_at_least_one(n, k):
    result = contact_precision(np.zeros((n, n)), np.zeros((n, n), dtype=bool))
    assert result.k == k
    assert result["all"] == {"L": 0.0, "L/2": 0.0, "L/5": 0.0}


def test_fewer_candidates_than_k_count_as_false():
    # L = 8: only (0, 6), (0, 7), (1, 7) have separation >= 6; all three are contacts
    contacts = np.zeros((8, 8), dtype=bool)
    contacts[[0, 0, 1], [6, 7, 7]] = True
    result = contact_precision(np.ones((8, 8)), contacts)
    assert result["all"] == pytest.approx({"L": 3 / 8, "L/2": 3 / 4, "L/5": 1.0})


def test_bad_arguments():
    scores, contacts = _ten_residues()
    with pytest.raises(ValueError, match="band"):
        contact_precision(scores, contacts, bands=("far",))
    with pytest.raises(ValueError, match="L/2"):
        contact_precision(scores, contacts, ks=("half",))
    with pytest.raises(ValueError, match="shape"):
        contact_precision(scores, contacts[:5])
    with pytest.raises(ValueError, match="valid"):
        contact_precision(scores, contacts, valid=np.ones(3, dtype=bool))


def _esm_compute_precisions(predictions, targets, minsep, maxsep, length):
    """ESM's compute_precisions (contact-prediction notebook), in numpy, for one map."""
    n = predictions.shape[0]
    sep = np.arange(n)[None, :] - np.arange(n)[:, None]
    valid = (sep >= minsep) & (targets >= 0)
    if maxsep is not None:
        valid &= sep < maxsep
    predictions = np.where(valid, predictions, -np.inf)
    x, y = np.triu_indices(n, minsep)
    order = np.argsort(-predictions[x, y], kind="stable")[:length]
    cumulative = np.cumsum(targets[x, y][order])
    gather = (np.arange(0.1, 1.1, 0.1) * length).astype(int) - 1
    binned = cumulative[gather] / (gather + 1)
    return {"AUC": binned.mean(), "P@L": binned[9], "P@L2": binned[4], "P@L5": binned[1]}


def test_precision_matches_esm_compute_precisions():
    rng = np.random.default_rng(3)
    n = 120
    scores = rng.random((n, n))
    scores = scores + scores.T
    contacts = rng.random((n, n)) < 0.08
    contacts = contacts | contacts.T
    result = contact_precision(scores, contacts)
    for band, (minsep, maxsep) in {
        "short": (6, 12),
        "medium": (12, 24),
        "long": (24, None),
        "all": (6, None),
    }.items():
        expected = _esm_compute_precisions(scores, contacts.astype(float), minsep, maxsep, n)
        assert result.candidates[band] >= n  # ESM pads otherwise
        assert result[band]["L"] == pytest.approx(expected["P@L"])
        assert result[band]["L/2"] == pytest.approx(expected["P@L2"])
        assert result[band]["L/5"] == pytest.approx(expected["P@L5"])
        assert result.auc[band] == pytest.approx(expected["AUC"])


def test_predicted_pairs_mark_true_and_false_contacts():
    scores, contacts = _ten_residues()
    pairs = predicted_pairs(scores, contacts)
    assert len(pairs) == 10 and all(isinstance(p, PredictedPair) for p in pairs)
    assert pairs[0] == (0, 6, 10.0, True) and pairs[1] == (0, 7, 9.0, False)
    assert [(p.i, p.j) for p in pairs] == SHORT_PAIRS
    assert (
        sum(p.is_contact for p in pairs)
        == contact_precision(scores, contacts).true_positives["all"]["L"]
    )
    assert [p[:2] for p in predicted_pairs(scores, contacts, top="L/5")] == [(0, 6), (0, 7)]
    assert [p.is_contact for p in predicted_pairs(scores, top=3)] == [None] * 3
    assert len(predicted_pairs(scores, contacts, top=50)) == 10  # all there are


# ------------------------------------------------------------------------ unsupervised


def _matching_contacts(n, rng):
    """A symmetric contact map with separations >= 6 and a few contacts per residue."""
    contacts = np.zeros((n, n), dtype=bool)
    for _ in range(n):
        i, j = sorted(rng.choice(n, 2, replace=False))
        if j - i >= 6:
            contacts[i, j] = contacts[j, i] = True
    return contacts


def test_unsupervised_head_that_encodes_contacts_is_perfect():
    rng = np.random.default_rng(4)
    n = 48
    contacts = _matching_contacts(n, rng)
    attention = rng.random((3, 4, n, n)).astype(np.float32) * 0.1
    attention[1, 2] = contacts * 0.5  # head 2-3 attends exactly to contacts
    scores = unsupervised_contacts(attention, heads=[(2, 3)])
    assert scores.shape == (n, n)
    np.testing.assert_allclose(scores, scores.T)
    result = contact_precision(scores, contacts)
    n_true = int(np.triu(contacts).sum())
    assert n_true >= result.k["L/5"]
    for band in ("short", "medium", "long", "all"):
        in_band = result.contacts[band]
        for label, k in result.k.items():
            assert result[band][label] == pytest.approx(min(in_band, k) / k)
    assert result["all"]["L/5"] == 1.0
    # the text and HeadSpec forms name the same head
    np.testing.assert_array_equal(unsupervised_contacts(attention, heads=["2-3"]), scores)


def test_unsupervised_averages_each_heads_features():
    rng = np.random.default_rng(5)
    attention = rng.random((3, 2, 12, 12))
    features = apc(symmetrize_sum(attention))
    np.testing.assert_allclose(unsupervised_contacts(attention), features.mean(axis=(0, 1)))
    chosen = unsupervised_contacts(attention, heads=[(1, 2), (3, 1), (1, 2)])  # dupes once
    np.testing.assert_allclose(chosen, (features[0, 1] + features[2, 0]) / 2)


def test_unsupervised_keeps_uncovered_pairs_nan(tmp_path):
    rng = np.random.default_rng(6)
    n = 20
    attention = rng.random((2, 2, n, n)).astype(np.float32)
    attention[:, :, :5, 15:] = np.nan  # a window pair never seen together
    attention[:, :, 15:, :5] = np.nan
    path = tmp_path / "attention.npy"
    np.save(path, attention)
    scores = unsupervised_contacts(np.load(path, mmap_mode="r"))
    uncovered = np.isnan(attention[0, 0])
    np.testing.assert_array_equal(np.isnan(scores), uncovered)
    filled = np.where(uncovered, 0.0, attention.astype(np.float64))
    expected = apc(symmetrize_sum(filled)).mean(axis=(0, 1))
    np.testing.assert_allclose(scores[~uncovered], expected[~uncovered], rtol=1e-6)


@pytest.mark.parametrize(
    "heads, match",
    [
        ([(3, 1)], "layers 1-2"),
        ([(1, 5)], "heads 1-2"),
        (["1-mean"], "single heads"),
        ([], "no heads"),
        ([7], "not understood"),
    ],
)
def test_unsupervised_refuses_bad_heads(heads, match):
    with pytest.raises(LayerHeadError, match=match):
        unsupervised_contacts(np.zeros((2, 2, 8, 8)), heads=heads)


# ------------------------------------------------------------------------ ESM's contact head

SEQUENCE = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"


@pytest.fixture(scope="module")
def tiny_esm(tmp_path_factory):
    """A tiny random ESM model with a (random, but spread out) contact head, saved and loaded."""
    torch = require("torch")
    transformers = require("transformers")
    import protattn

    directory = tmp_path_factory.mktemp("tiny_esm_contacts")
    residues = "LAGVESIKRDTPNQFYMHCWXBUZO"
    vocab = ["<cls>", "<pad>", "<eos>", "<unk>", *residues, ".", "-", "<null_1>", "<mask>"]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = transformers.EsmTokenizer(str(directory / "vocab.txt"))
    config = transformers.EsmConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        position_embedding_type="rotary",
        pad_token_id=1,
        mask_token_id=len(vocab) - 1,
    )
    torch.manual_seed(0)
    model = transformers.EsmModel(config, add_pooling_layer=False)
    with torch.no_grad():  # large weights, so that the probabilities spread over [0, 1]
        model.contact_head.regression.weight.normal_(0.0, 300.0)
        model.contact_head.regression.bias.fill_(-0.5)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return protattn.load_model(str(directory), device="cpu")


def test_esm_contact_head_equals_predict_contacts(tiny_esm):
    import torch

    probabilities = esm_contact_probabilities(tiny_esm, SEQUENCE)
    n = len(SEQUENCE)
    assert probabilities.shape == (n, n)
    np.testing.assert_allclose(probabilities, probabilities.T, atol=1e-12)
    assert (probabilities >= 0).all() and (probabilities <= 1).all()
    assert probabilities.std() > 0.01  # not a constant (a random head gives about 0.05)

    ids, (residues,) = tiny_esm.tokenize([SEQUENCE])
    tokens = tiny_esm.tokenizer.convert_ids_to_tokens(ids)
    assert tokens[0] == "<cls>" and tokens[-1] == "<eos>"  # what predict_contacts strips
    assert list(residues) == list(range(1, n + 1))
    with torch.inference_mode():
        expected = tiny_esm.model.predict_contacts(
            torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)
        )
    np.testing.assert_allclose(probabilities, expected[0].numpy(), atol=3e-5)


def test_contact_head_refused_for_other_families(antiberty):
    with pytest.raises(
        ModelError, match=r"antiberty has no contact head \(only ESM models have one\).*method apc"
    ):
        esm_contact_probabilities(antiberty, "EVQLVESGGGLVQPGGSLRLSCAAS")
