"""Attention as analyses get it, with real AntiBERTy weights: windows, concatenation, cache."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import protattn
from protattn import AttentionCache, chain_attention, compute_pairs
from protattn.lm.inference import clear_memory, compact_attention


@pytest.fixture
def store(tmp_path):
    clear_memory()
    yield AttentionCache(tmp_path / "cache")
    clear_memory()


@pytest.fixture(scope="module")
def protease(shared_dir, load_structure):
    return load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb").chain("A")


def test_a_window_covering_the_chain_reproduces_the_single_pass(antiberty, protease, store):
    single = chain_attention(antiberty, protease.sequence, cache=store)
    whole = chain_attention(antiberty, protease.sequence, window=len(protease), cache=False)
    assert not single.windowed and single.windows == ((0, len(protease)),)
    np.testing.assert_array_equal(whole.attention, single.attention)
    np.testing.assert_array_equal(single.attention, antiberty.attention(protease.sequence))
    assert single.note() == ""


def test_windows_average_where_they_overlap_and_leave_the_rest_uncovered(
    antiberty, protease, store
):
    seq, n = protease.sequence, len(protease)
    result = chain_attention(antiberty, seq, window=60, stride=30, cache=store)
    assert result.windowed and result.windows == ((0, 60), (30, 90), (39, 99))
    # independently: each window run alone, averaged per pair over the windows holding it
    total = np.zeros((8, 8, n, n))
    count = np.zeros((n, n))
    for start, end in result.windows:
        total[:, :, start:end, start:end] += antiberty.attention(seq[start:end])
        count[start:end, start:end] += 1
    with np.errstate(invalid="ignore"):
        expected = (total / count).astype(np.float32)
    covered = count > 0
    np.testing.assert_array_equal(result.covered, covered)
    # equal up to float32 rounding (summed in float32 here, in float64 above)
    np.testing.assert_allclose(
        result.attention[:, :, covered], expected[:, :, covered], rtol=1e-6, atol=1e-7
    )
    assert np.isnan(result.attention[:, :, ~covered]).all()
    assert not covered[0, 60] and covered[0, 59] and covered[39, 98]
    assert "3 overlapping windows of 60 residues" in result.note()
    assert f"{int((~covered).sum()) // 2} pairs" in result.note()


def test_pairs_of_a_windowed_chain_are_only_covered_pairs(protease, store):
    result = compute_pairs([protease], "6-3", top_k=300, window=40, stride=20)
    assert len(result.pairs) == 300
    assert all(p.j - p.i < 40 for p in result.pairs)  # never a pair no window saw together
    assert any("overlapping windows of 40 residues" in n for n in result.notes)
    assert "overlapping windows" in result.summary()


def test_a_chain_longer_than_the_limit_is_windowed_at_the_limit(
    antiberty, shared_dir, load_structure, store
):
    chain = load_structure(shared_dir / "data" / "structures" / "ligand" / "1EVE.pdb").chain("A")
    assert len(chain) == 543 > antiberty.max_residues == 510
    result = chain_attention(antiberty, chain.sequence, cache=store)
    assert result.windows == ((0, 510), (33, 543))
    assert result.covered[0, 509] and not result.covered[0, 510] and result.covered[33, 542]
    assert np.isfinite(result.attention[:, :, result.covered]).all()
    first = antiberty.attention(chain.sequence[:510])
    # residues only the first window holds keep that window's attention exactly
    np.testing.assert_array_equal(result.attention[:, :, :33, :33], first[:, :, :33, :33])


def test_the_disk_cache_serves_later_requests_without_running_the_model(
    antiberty, protease, store, monkeypatch
):
    first = compact_attention(antiberty, protease.sequence, cache=store)
    assert not first.from_cache and len(store.entries()) == 1
    clear_memory()

    def refuse(*args, **kwargs):
        raise AssertionError("the model ran although the attention was cached")

    monkeypatch.setattr(type(antiberty), "forward", refuse)
    again = compact_attention(antiberty, protease.sequence, cache=store)
    assert again.from_cache
    for name, array in first.arrays().items():
        np.testing.assert_array_equal(again.arrays()[name], array)
    # another window setting is another entry: the model would have to run
    with pytest.raises(AssertionError, match="model ran"):
        compact_attention(antiberty, protease.sequence, window=50, cache=store)
    # the dense array is never on disk: it needs the model
    with pytest.raises(AssertionError, match="model ran"):
        chain_attention(antiberty, protease.sequence, cache=store)


def test_a_damaged_cache_entry_is_recomputed(antiberty, protease, store):
    first = compact_attention(antiberty, protease.sequence, cache=store)
    (entry,) = store.entries()
    data = entry.path.read_bytes()
    entry.path.write_bytes(data[: len(data) // 2])
    clear_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = compact_attention(antiberty, protease.sequence, cache=store)
    assert not again.from_cache and caught
    np.testing.assert_array_equal(again.values, first.values)
    assert len(store.entries()) == 1


def test_concatenated_chains_map_back_to_each_chain(antiberty, shared_dir, load_structure, store):
    structure = load_structure(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif")
    light, heavy = structure.chain("A"), structure.chain("B")
    joint = chain_attention(antiberty, [light.sequence, heavy.sequence], cache=store)
    ids, (where_l, where_h) = antiberty.tokenize([light.sequence, heavy.sequence])
    tokens = antiberty.tokenizer.convert_ids_to_tokens(ids)
    assert tokens[where_l[-1] + 1] == "[SEP]" and where_h[0] == where_l[-1] + 2
    out = antiberty.forward(ids)
    raw = np.stack([a[0].numpy() for a in out.attentions])
    keep = np.concatenate([where_l, where_h])
    np.testing.assert_array_equal(joint.attention, raw[:, :, keep][:, :, :, keep])
    assert joint.lengths == (len(light), len(heavy))

    result = compute_pairs([light, heavy], "8-max", top_k=60, concatenate=True, min_separation=6)
    between = [p for p in result.pairs if p.inter_chain]
    assert between, "concatenated chains must expose pairs between chains"
    n_l = len(light)
    sym = np.maximum(joint.attention[7].max(0), joint.attention[7].max(0).T)
    for p in result.pairs:
        ci = light if p.chain == "A" else heavy
        cj = light if (p.chain_j or p.chain) == "A" else heavy
        assert p.residue_i == ci.residue_ids[p.i] and p.residue_j == cj.residue_ids[p.j]
        gi = p.i + (n_l if ci is heavy else 0)
        gj = p.j + (n_l if cj is heavy else 0)
        assert p.weight == pytest.approx(float(sym[gi, gj]), abs=1e-6)
        if not p.inter_chain:
            assert p.j - p.i >= 6
        d = np.linalg.norm(ci.cb[p.i] - cj.cb[p.j])
        assert p.contact == bool(d < 8.0)
    assert "2 chains run concatenated (107+116 residues)" in result.summary()
    rows = [p.as_row() for p in between]
    assert all(r["chain_i"] != r["chain_j"] for r in rows)


def test_scores_of_concatenated_chains_split_back(store, shared_dir, load_structure):
    structure = load_structure(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif")
    chains = [structure.chain("A"), structure.chain("B")]
    result = protattn.compute_scores(chains, "2-1", concatenate=True)
    assert [len(result.scores[c.id]) for c in chains] == [len(c) for c in chains]
    joint = chain_attention(protattn.load_model(), [c.sequence for c in chains])
    expected = joint.attention[1, 0].sum(axis=0) / joint.attention.shape[-1]
    np.testing.assert_allclose(
        np.concatenate([result.scores["A"], result.scores["B"]]), expected, atol=1e-6
    )
