"""compute_pairs / compute_scores on a real structure with the real AntiBERTy."""

from __future__ import annotations

import numpy as np
import pytest

import protattn
import protattn.api
from protattn import (
    Chain,
    LayerHeadError,
    ModelError,
    SequenceTooLongError,
    StructureError,
    compute_pairs,
    compute_scores,
)
from protattn.errors import ProtattnError

HEAD = "4-mean"


@pytest.fixture(scope="module")
def hiv_protease(shared_dir, load_structure):
    """HIV-1 protease (1HPX): two chains of 99 residues."""
    structure = load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")
    return [structure.chain("A"), structure.chain("B")]


@pytest.fixture(scope="module")
def head_maps(antiberty, hiv_protease):
    """Each chain's map of HEAD, straight from the model (layer 4, mean over heads).

    The model's float32 weights, which protattn's answers are decided on.
    """
    return {c.id: antiberty.attention(c.sequence)[3].mean(axis=0) for c in hiv_protease}


def _upper(sym, min_separation=1):
    n = len(sym)
    return {(i, j): float(sym[i, j]) for i in range(n) for j in range(i + min_separation, n)}


def test_compute_pairs_threshold(hiv_protease, head_maps, antiberty):
    sym = {c: np.maximum(m, m.T) for c, m in head_maps.items()}
    threshold = float(np.quantile(list(_upper(sym["A"]).values()), 0.99))
    result = compute_pairs(hiv_protease, HEAD, threshold=threshold)
    assert result.model == "antiberty" and str(result.head) == HEAD

    expected = {
        (c, i, j) for c, s in sym.items() for (i, j), w in _upper(s).items() if w > threshold
    }
    assert {(p.chain, p.i, p.j) for p in result.pairs} == expected
    assert {p.chain for p in result.pairs} == {"A", "B"}
    for p in result.pairs:
        assert p.weight > threshold
        assert p.weight == pytest.approx(sym[p.chain][p.i, p.j], abs=1e-6)
    weights = [p.weight for p in result.pairs]
    assert weights == sorted(weights, reverse=True)
    # 1HPX has every residue observed: all pairs are drawn, none skipped
    assert len(result.scene.bonds) == len(result.pairs) and result.scene.skipped == 0
    assert str(len(result.pairs)) in result.summary()


def test_compute_pairs_top_k_per_chain(hiv_protease, head_maps):
    result = compute_pairs(hiv_protease, HEAD, top_k=5, min_separation=6, symmetrize="mean")
    for chain_id, m in head_maps.items():
        mine = [p for p in result.pairs if p.chain == chain_id]
        assert len(mine) == 5
        upper = _upper(0.5 * (m + m.T), min_separation=6)
        best = sorted(upper.values(), reverse=True)[:5]
        np.testing.assert_allclose([p.weight for p in mine], best, atol=1e-6)
        assert all(p.j - p.i >= 6 for p in mine)
    weights = [p.weight for p in result.pairs]
    assert weights == sorted(weights, reverse=True)


def test_compute_scores(hiv_protease, head_maps):
    result = compute_scores(hiv_protease, HEAD)
    for chain in hiv_protease:
        m = head_maps[chain.id]
        np.testing.assert_allclose(result.scores[chain.id], m.sum(axis=0) / len(m), atol=1e-6)
    everything = np.concatenate([result.scores[c.id] for c in hiv_protease])
    assert result.scene.vmin == pytest.approx(everything.min())
    assert result.scene.vmax == pytest.approx(everything.max())
    assert len(result.scene.residues) == sum(len(c) for c in hiv_protease)
    assert result.scene.residues[0].residue == hiv_protease[0].residue_ids[0]
    assert result.scene.residues[-1].residue == hiv_protease[1].residue_ids[-1]


@pytest.fixture
def model_must_not_run(monkeypatch):
    """Make running the model (or computing attention) fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the model ran before the request was checked")

    monkeypatch.setattr(protattn.api.pairs, "compact_attention", refuse)


@pytest.mark.parametrize("head", ["9-1", "1-9", "0-1", "seven-one"])
def test_bad_layer_head_is_refused_before_running(hiv_protease, model_must_not_run, head):
    with pytest.raises(LayerHeadError):
        compute_pairs(hiv_protease, head)
    with pytest.raises(LayerHeadError):
        compute_scores(hiv_protease, head)


def test_bad_windows_are_refused_before_any_chain_runs(hiv_protease, model_must_not_run):
    for compute in (compute_pairs, compute_scores):
        with pytest.raises(ModelError, match="limit of 510"):
            compute(hiv_protease, HEAD, window=600)
        with pytest.raises(ModelError, match="stride 80 is larger than the window 50"):
            compute(hiv_protease, HEAD, window=50, stride=80)
        with pytest.raises(ModelError, match="cannot be combined"):
            compute(hiv_protease, HEAD, window=50, concatenate=True)


def test_concatenated_chains_too_long_are_refused_before_running(model_must_not_run):
    n = 300
    chains = [Chain(c, "A" * n, (None,) * n, np.full((n, 4, 3), np.nan), (None,) * n) for c in "XY"]
    with pytest.raises(SequenceTooLongError, match="601 residues"):
        compute_pairs(chains, HEAD, concatenate=True)


def test_no_chains_is_refused_before_loading_a_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded for an empty request")

    monkeypatch.setattr(protattn.api.pairs, "get_model", refuse)
    with pytest.raises(StructureError) as err:
        compute_pairs([], HEAD)
    assert "chain" in str(err.value)
    with pytest.raises(StructureError):
        compute_scores([], HEAD)


def test_bad_symmetrize(hiv_protease):
    with pytest.raises(ProtattnError, match="symmetrize"):
        compute_pairs(hiv_protease, HEAD, symmetrize="min")


def test_within_restricts_what_is_drawn_not_what_the_model_sees(hiv_protease, head_maps):
    chain_a = hiv_protease[0]
    within = {r for r in chain_a.residue_ids[10:60] if r is not None}
    inside = compute_pairs(hiv_protease, HEAD, top_k=40, within=within)
    # top-k counts pairs inside the selection only: the 40 strongest of positions 10-59
    sym = np.maximum(head_maps["A"], head_maps["A"].T)
    candidates = sorted((-sym[i, j], i, j) for i in range(10, 60) for j in range(i + 1, 60))
    assert [(p.chain, p.i, p.j) for p in inside.pairs] == [
        ("A", i, j) for _, i, j in candidates[:40]
    ]

    scores = compute_scores(hiv_protease, HEAD, within=within)
    m = head_maps["A"]
    np.testing.assert_allclose(scores.scores["A"], m.sum(axis=0) / len(m), atol=1e-6)
    assert [r.residue for r in scores.scene.residues] == [
        r for r in chain_a.residue_ids if r in within
    ]
    shown = scores.scores["A"][10:60]
    assert scores.scene.vmin == pytest.approx(shown.min())
    assert scores.scene.vmax == pytest.approx(shown.max())


@pytest.mark.parametrize("kwargs", [{"value_range": "0.3,0.1"}, {"radius": "-1"}])
def test_bad_scales_are_refused_before_running(hiv_protease, model_must_not_run, kwargs):
    with pytest.raises(protattn.ProtattnError, match="range|radius"):
        compute_pairs(hiv_protease, HEAD, **kwargs)


def test_a_fixed_range_draws_a_pair_alike_at_any_threshold(hiv_protease):
    # the strongest pair of chain A, drawn among many pairs and among few
    many = compute_pairs(hiv_protease[:1], HEAD, threshold=0.05, value_range="full")
    strongest = max(many.scene.bonds, key=lambda b: b.weight)
    few = compute_pairs(
        hiv_protease[:1], HEAD, threshold=strongest.weight - 1e-6, value_range="full"
    )
    same = next(b for b in few.scene.bonds if (b.a, b.b) == (strongest.a, strongest.b))
    assert (same.rgba, same.radius) == (strongest.rgba, strongest.radius)
    assert "colour 0-1 (attention, fixed)" in few.summary()
    # the summary always states the scale, fixed or not
    assert "the drawn values' range" in compute_pairs(hiv_protease[:1], HEAD).summary()


def test_scores_on_a_fixed_range(hiv_protease):
    result = compute_scores(hiv_protease, HEAD, value_range="0,2")
    assert (result.scene.vmin, result.scene.vmax, result.scene.fixed) == (0.0, 2.0, True)
    assert "colour 0-2 (attention, fixed)" in result.summary()
