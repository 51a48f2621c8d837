"""One streamed pass feeds every consumer: each result equals the one computed from dense attention.

The reference is the dense float32 attention of the other path, collected with
``output_attentions`` (:meth:`LanguageModel.attention`, windows run one by one and merged
with :func:`merge_windows`, chains joined with :meth:`LanguageModel.segment_attention`),
and the numpy functions that read it (:func:`chain_pairs`, :func:`residue_scores`,
:func:`unsupervised_contacts`, :meth:`HeadStatsAccumulator.count`). Real AntiBERTy
attention, and tiny random models of every family.
"""

from __future__ import annotations

import numpy as np
import pytest
from support import require

import protattn
from protattn.analysis.contacts import unsupervised_contacts
from protattn.analysis.pairs import chain_pairs, residue_scores
from protattn.analysis.statistics import HeadStatsAccumulator
from protattn.api import contacts as api_contacts
from protattn.api import stats as api_stats
from protattn.lm.cache import AttentionCache
from protattn.lm.compact import FLOOR, CompactAttention
from protattn.lm.contract import StreamRequest
from protattn.lm.heads import HeadSpec
from protattn.lm.inference import (
    cached_compact_attention,
    chain_attention,
    clear_memory,
    compact_attention,
    head_maps,
    stream_chain,
)
from protattn.lm.masks import PropertyMask
from protattn.lm.stream import run_chain, stream_attention
from protattn.lm.windows import merge_windows, plan_windows
from protattn.structure.model import join_chains
from protattn.structure.properties import contact_map


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty attention cache, no attention in memory, no remembered counts."""
    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "cache"))
    clear_memory()
    api_stats.clear_counts()
    yield AttentionCache(tmp_path / "cache")
    clear_memory()
    api_stats.clear_counts()


@pytest.fixture(scope="module")
def structures(shared_dir, load_structure):
    return [
        load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb"),
        load_structure(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif"),
    ]


def _dense(lm, sequences, window=None, stride=None):
    """The reference: attention collected by output_attentions, windows merged one by one."""
    if len(sequences) > 1:
        return lm.segment_attention(sequences)
    (sequence,) = sequences
    if window is None or len(sequence) <= window:
        return lm.attention(sequence)
    plan = plan_windows(len(sequence), window, stride or window // 2)
    merged, _ = merge_windows(len(sequence), ((s, lm.attention(sequence[s:e])) for s, e in plan))
    return merged


SPECS = [
    HeadSpec(1, 1),
    HeadSpec(2, 2),
    HeadSpec(1, aggregate="mean"),
    HeadSpec(2, aggregate="max"),
]


def _check_compact(compact: CompactAttention, dense: np.ndarray, specs) -> None:
    """Every answer of the compact attention against the dense array."""
    assert compact.length == dense.shape[-1]
    for spec in specs:
        full = spec.select(dense)
        kept = compact.head_map(spec)
        np.testing.assert_array_equal(np.isnan(kept), np.isnan(full))
        known = ~np.isnan(full)
        # the kept weights are the model's own float32 values; every weight at or above
        # the floor is kept (mean over heads: summed in another order, within 1 ulp)
        above = known & (full >= FLOOR * (1 + 1e-6))
        np.testing.assert_allclose(kept[above], full[above], rtol=1e-6, atol=0)
        if spec.aggregate is None:
            np.testing.assert_array_equal(kept[above], full[above])
        below = known & (full < FLOOR * (1 - 1e-6))
        assert (kept[below] == 0).all()
        np.testing.assert_allclose(compact.scores(spec), residue_scores(full), rtol=1e-5, atol=1e-7)
    reference = unsupervised_contacts(dense)
    scores = compact.contact_scores()
    np.testing.assert_array_equal(np.isnan(scores), np.isnan(reference))
    np.testing.assert_allclose(
        scores[~np.isnan(reference)], reference[~np.isnan(reference)], rtol=1e-4, atol=1e-6
    )


def _same_pairs(found, expected):
    assert [(p.chain, p.i, p.chain_j, p.j) for p in found] == [
        (p.chain, p.i, p.chain_j, p.j) for p in expected
    ]
    np.testing.assert_allclose([p.weight for p in found], [p.weight for p in expected], rtol=1e-6)


# ------------------------------------------------------------------ the engine, real AntiBERTy


@pytest.mark.parametrize("how", ["one pass", "windows", "concatenated"])
def test_every_consumer_of_one_pass_equals_the_dense_reference(how, antiberty, structures, fresh):
    protease, antibody = structures
    chain = protease.chain("A")
    if how == "concatenated":
        sequences, window = [c.sequence for c in antibody.chains[:2]], None
    else:
        sequences, window = [chain.sequence], (40 if how == "windows" else None)
    dense = _dense(antiberty, sequences, window, 20 if window else None)
    n = dense.shape[-1]
    masks = {
        "s": PropertyMask.residue(np.arange(n) % 3 == 0),
        "p": PropertyMask.pair(np.abs(np.subtract.outer(np.arange(n), np.arange(n))) < 4),
    }
    specs = (HeadSpec(3, 2), HeadSpec(8, aggregate="mean"), HeadSpec(6, aggregate="max"))
    result = run_chain(
        antiberty,
        sequences,
        window,
        20 if window else None,
        StreamRequest(
            head_maps=specs,
            contact_heads=((3, 2), (7, 1)),
            counts=("judged", 0.3, masks),
            dense=True,
        ),
    )
    # the dense array of the stream is the reference itself
    np.testing.assert_array_equal(np.isnan(result.attention), np.isnan(dense))
    np.testing.assert_array_equal(np.nan_to_num(result.attention), np.nan_to_num(dense))
    _check_compact(result.compact, dense, [*specs, HeadSpec(1, 1)])
    for spec in specs:
        np.testing.assert_allclose(result.head_maps[spec], spec.select(dense), rtol=1e-6)
    chosen = unsupervised_contacts(dense, [(3, 2), (7, 1)])
    np.testing.assert_allclose(
        np.nan_to_num(result.contact_scores), np.nan_to_num(chosen), rtol=1e-5, atol=1e-7
    )
    accumulator = HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads, 0.3, "judged")
    accumulator.add(dense, masks)
    streamed = HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads, 0.3, "judged")
    from protattn.lm.counts import ChainCounter

    streamed.add_chain(ChainCounter.from_message(streamed, result.counts))
    a, b = accumulator.result(min_arcs=0), streamed.result(min_arcs=0)
    for prop in ("s", "p"):
        np.testing.assert_array_equal(a[prop].n_arcs, b[prop].n_arcs)
        np.testing.assert_array_equal(a[prop].hits, b[prop].hits)
        np.testing.assert_allclose(a[prop].attention_mass, b[prop].attention_mass, rtol=1e-6)
        assert a[prop].background_pairs == b[prop].background_pairs
    assert a["s"].hits.sum() > 0


def test_pairs_and_scores_equal_those_of_the_dense_map(antiberty, structures, fresh):
    chain = structures[0].chain("A")
    dense = antiberty.attention(chain.sequence)
    for layer_head in ("6-3", "2-1", "4-mean", "7-max"):
        spec = protattn.parse_layer_head(layer_head, 8, 8)
        full = spec.select(dense)
        for options in (
            {"threshold": 0.1},
            {"threshold": FLOOR},
            {"top_k": 25},
            {"threshold": 0.3, "min_separation": 6},
        ):
            found = protattn.compute_pairs([chain], layer_head, **options)
            _same_pairs(found.pairs, chain_pairs(chain, full, **options))
            assert not any("one more pass" in n for n in found.notes)
        scores = protattn.compute_scores([chain], layer_head).scores[chain.id]
        np.testing.assert_allclose(scores, residue_scores(full), rtol=1e-5, atol=1e-7)


def test_what_the_compact_attention_lacks_comes_from_one_more_pass(
    antiberty, structures, fresh, monkeypatch
):
    chain = structures[0].chain("A")
    dense = antiberty.attention(chain.sequence)
    full = dense[5, 2]
    protattn.compute_pairs([chain], "6-3")  # the run: its compact attention is filed
    passes = []
    real = antiberty.forward
    monkeypatch.setattr(antiberty, "forward", lambda *a, **k: passes.append(1) or real(*a, **k))
    low = protattn.compute_pairs([chain], "6-3", threshold=0.01)  # below the floor
    _same_pairs(low.pairs, chain_pairs(chain, full, threshold=0.01))
    assert any("weights below 0.05 are not cached" in n for n in low.notes)
    mean = protattn.compute_pairs([chain], "6-3", threshold=0.1, symmetrize="mean")
    _same_pairs(mean.pairs, chain_pairs(chain, full, threshold=0.1, symmetrize_by="mean"))
    many = protattn.compute_pairs([chain], "6-3", top_k=3000)  # more pairs than reach 0.05
    _same_pairs(many.pairs, chain_pairs(chain, full, top_k=3000))
    assert len(passes) == 1  # one pass for the whole map, kept for the session
    protattn.compute_pairs([chain], "6-3", threshold=0.2)
    protattn.compute_scores([chain], "6-3")
    assert len(passes) == 1


def test_no_consumer_collects_every_layer(antiberty, structures, fresh, monkeypatch):
    """Pairs, scores, statistics and contacts stream: the model never keeps all layers."""
    calls = []
    real = antiberty.forward

    def forward(ids, output_attentions=True, on_attention=None):
        calls.append((output_attentions, on_attention is not None))
        return real(ids, output_attentions=output_attentions, on_attention=on_attention)

    monkeypatch.setattr(antiberty, "forward", forward)
    chain = structures[0].chain("A")
    protattn.compute_pairs([chain], "6-3")
    protattn.compute_scores([chain, structures[0].chain("B")], "6-3", concatenate=True)
    api_stats.head_statistics([structures[0]], antiberty, ["contact", "binding_site"])
    api_contacts.predict_contacts(chain, antiberty, heads=["2-1", "3-3"])
    protattn.compute_pairs([chain], "6-3", window=40)
    assert calls and all(c == (False, True) for c in calls)


def test_the_cache_keeps_the_compact_attention_and_serves_it(
    antiberty, structures, fresh, monkeypatch
):
    chain = structures[1].chain("B")
    first = compact_attention(antiberty, chain.sequence)
    assert not first.from_cache and len(fresh.entries()) == 1
    dense_bytes = first.dense_nbytes()
    assert fresh.entries()[0].n_bytes < 0.15 * dense_bytes
    clear_memory()

    def no_run(*args, **kwargs):
        raise AssertionError("the model ran although the attention was cached")

    monkeypatch.setattr(antiberty, "forward", no_run)
    again = cached_compact_attention(antiberty, chain.sequence)
    assert again is not None and again.from_cache
    for name, array in first.arrays().items():
        np.testing.assert_array_equal(again.arrays()[name], array)
    result = protattn.compute_pairs([chain], "6-3", threshold=0.2)
    assert result.pairs


def test_the_dense_array_is_the_expensive_call_and_stays_in_memory(antiberty, structures, fresh):
    chain = structures[0].chain("A")
    result = chain_attention(antiberty, chain.sequence)
    np.testing.assert_array_equal(result.attention, antiberty.attention(chain.sequence))
    assert not result.from_cache and chain_attention(antiberty, chain.sequence).from_cache
    # the disk cache holds the compact attention only
    (entry,) = fresh.entries()
    assert entry.n_bytes < result.attention.nbytes / 10


def test_streamed_statistics_are_remembered_and_cached(structures, antiberty, fresh, monkeypatch):
    props = ["contact", "binding_site", "helix", "aa:G"]
    first = api_stats.head_statistics(structures, antiberty, props, min_arcs=0)
    for chain in structures[0].chains:  # each pass filed its compact attention
        assert cached_compact_attention(antiberty, chain.sequence) is not None
    masks_then_dense = HeadStatsAccumulator(8, 8)
    for structure in structures:
        for chain in structure.chains:
            masks = api_stats.chain_properties(structure, chain, api_stats.property_names(props), 6)
            masks_then_dense.add(antiberty.attention(chain.sequence), masks)
    dense = masks_then_dense.result(min_arcs=0)
    for prop in props:
        np.testing.assert_array_equal(first[prop].n_arcs, dense[prop].n_arcs)
        np.testing.assert_array_equal(first[prop].hits, dense[prop].hits)
        np.testing.assert_allclose(
            first[prop].attention_on_property,
            dense[prop].attention_on_property,
            rtol=1e-6,
            atol=1e-9,
        )

    def no_run(*args, **kwargs):
        raise AssertionError("the model ran again")

    monkeypatch.setattr(antiberty, "forward", no_run)
    api_stats.clear_counts()  # the disk cache answers on its own
    again = api_stats.head_statistics(structures, antiberty, props, min_arcs=0)
    np.testing.assert_array_equal(again["contact"].hits, first["contact"].hits)
    with pytest.raises(AssertionError, match="ran again"):  # other masks: counted anew
        api_stats.head_statistics(structures, antiberty, ["contact"], min_separation=12)


def test_a_pass_that_fails_midway_adds_nothing(structures, antiberty):
    chain = structures[0].chain("A")
    acc = HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads)
    counter = acc.chain(len(chain), {"s": PropertyMask.residue(np.ones(len(chain), bool))})

    def consumer(index, layer):
        if index == 3:
            raise RuntimeError("interrupted")
        counter.add_layer(index, layer)

    with pytest.raises(RuntimeError, match="interrupted"):
        stream_attention(antiberty, [chain.sequence], consumer)
    with pytest.raises(ValueError, match="never given"):
        counter.close()
    assert acc.n_chains == 0 and acc.properties == ()
    with pytest.raises(ValueError, match="out of range|twice"):
        counter.add_layer(0, np.zeros((antiberty.n_heads, len(chain), len(chain)), np.float32))
    # a closed counter can be added again, to this or another accumulator of the same kind
    whole = antiberty.attention(chain.sequence)
    done = acc.count(whole, {"s": PropertyMask.residue(np.ones(len(chain), bool))})
    other = HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads)
    other.add_chain(done)
    np.testing.assert_array_equal(other.result()["s"].n_arcs, acc.result()["s"].n_arcs)
    with pytest.raises(ValueError, match="another model size, threshold or definition"):
        HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads, 0.5).add_chain(done)


def test_head_maps_are_whole_and_remembered(antiberty, structures, fresh):
    chain = structures[0].chain("A")
    dense = antiberty.attention(chain.sequence)
    spec = HeadSpec(4, 4)
    (one,) = head_maps(antiberty, chain.sequence, [spec]).values()
    np.testing.assert_array_equal(one, dense[3, 3])
    assert head_maps(antiberty, chain.sequence, [spec])[spec] is one


def test_contacts_of_chosen_heads_stream(antiberty, structures, fresh):
    chain = structures[0].chain("A")
    dense = antiberty.attention(chain.sequence)
    found = stream_chain(
        antiberty, chain.sequence, request=StreamRequest(contact_heads=((2, 1), (5, 3)))
    ).contact_scores
    np.testing.assert_allclose(
        found, unsupervised_contacts(dense, [(2, 1), (5, 3)]), rtol=1e-5, atol=1e-8
    )
    everything = api_contacts.predict_contacts(chain, antiberty)
    np.testing.assert_allclose(
        everything.scores, unsupervised_contacts(dense), rtol=1e-4, atol=1e-7
    )


# ------------------------------------------------------------------ every family


torch = require("torch")
transformers = require("transformers")


@pytest.fixture(scope="module", params=["esm", "bert", "albert", "xlnet", "t5"])
def family_model(request, tmp_path_factory):
    from tests.core.lm.test_families import save_tiny

    directory = tmp_path_factory.mktemp(f"stream_{request.param}")
    save_tiny(request.param, directory, seed=1)
    return protattn.load_model(str(directory), device="cpu")


FAMILY_SEQUENCE = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQKLNDEGH"


@pytest.mark.parametrize("how", ["one pass", "windows", "concatenated"])
def test_every_family_streams_what_its_dense_attention_gives(family_model, how, fresh):
    lm = family_model
    if how == "concatenated":
        sequences, window = [FAMILY_SEQUENCE[:15], FAMILY_SEQUENCE[15:]], None
    else:
        sequences, window = [FAMILY_SEQUENCE], (16 if how == "windows" else None)
    dense = _dense(lm, sequences, window, 8 if window else None)
    n = dense.shape[-1]
    # random weights spread attention thinly: a threshold their weights reach
    theta = float(np.quantile(np.nan_to_num(dense), 0.97))
    masks = {
        "r": PropertyMask.residue(np.arange(n) % 4 == 1),
        "p": PropertyMask.pair(np.abs(np.subtract.outer(np.arange(n), np.arange(n))) == 1),
    }
    result = run_chain(
        lm,
        sequences,
        window,
        8 if window else None,
        StreamRequest(
            head_maps=tuple(SPECS),
            counts=("paper", theta, masks),
            contact_heads=((1, 2), (2, 1)),
            dense=True,
        ),
    )
    np.testing.assert_allclose(
        np.nan_to_num(result.attention), np.nan_to_num(dense), rtol=1e-5, atol=1e-7
    )
    _check_compact(result.compact, result.attention, SPECS)
    from protattn.lm.counts import ChainCounter

    expected = HeadStatsAccumulator(2, 2, theta).count(result.attention, masks)
    got = ChainCounter.from_message(HeadStatsAccumulator(2, 2, theta), result.counts)
    for name in masks:
        np.testing.assert_array_equal(got.counts[name].n_arcs, expected.counts[name].n_arcs)
        np.testing.assert_array_equal(got.counts[name].hits, expected.counts[name].hits)
    assert expected.counts["r"].n_arcs.sum() > 0
    chosen = unsupervised_contacts(result.attention, [(1, 2), (2, 1)])
    np.testing.assert_allclose(
        np.nan_to_num(result.contact_scores), np.nan_to_num(chosen), rtol=1e-6, atol=1e-9
    )
    for spec in SPECS:
        np.testing.assert_allclose(result.head_maps[spec], spec.select(result.attention), rtol=1e-6)

    # the front end's pairs: from the compact attention, as from the dense map
    def unobserved(chain_id, sequence):
        n = len(sequence)
        return protattn.Chain(
            chain_id, sequence, (None,) * n, np.full((n, 4, 3), np.nan), (None,) * n
        )

    chain, parts = unobserved("A", "".join(sequences)), None
    if how == "concatenated":
        parts = [unobserved(c, s) for c, s in zip("AB", sequences)]
        chain = join_chains(parts)
    stored = compact_attention(lm, sequences, window, 8 if window else None)
    for spec in SPECS:
        _same_pairs(
            chain_pairs(chain, stored.head_map(spec), 0.06, parts=parts),
            chain_pairs(chain, spec.select(result.attention), 0.06, parts=parts),
        )


def test_contact_map_masks_count_the_same_streamed(antiberty, structures, fresh):
    """The paper's definition, contacts of a real chain: counts from the pass equal dense."""
    chain = structures[0].chain("A")
    masks = {"contact": PropertyMask.pair(contact_map(chain, 8.0, 6))}
    message = stream_chain(
        antiberty, chain.sequence, request=StreamRequest(counts=("paper", 0.3, masks))
    ).counts
    dense = HeadStatsAccumulator(8, 8).count(antiberty.attention(chain.sequence), masks)
    from protattn.lm.counts import ChainCounter

    streamed = ChainCounter.from_message(HeadStatsAccumulator(8, 8), message)
    np.testing.assert_array_equal(streamed.counts["contact"].hits, dense.counts["contact"].hits)
    np.testing.assert_array_equal(streamed.counts["contact"].n_arcs, dense.counts["contact"].n_arcs)


@pytest.mark.parametrize("definition", ["paper", "judged"])
@pytest.mark.parametrize("how", ["one pass", "windows"])
def test_counts_reduced_in_torch_equal_numpys(definition, how, antiberty, structures):
    """Counted three ways in one pass: numpy per head, torch per layer (the GPU's path when θ
    is below the floor) and from the kept weights (θ at or above it)."""
    from protattn.lm.compact import CompactBuilder
    from protattn.lm.consumers import NumpyLayers, SparseCounts, TorchCounts
    from protattn.lm.stream import run_stream

    structure = structures[0]
    chain = structure.chain("A")
    masks = api_stats.chain_properties(structure, chain, api_stats.property_names(None), 6)
    window, stride = (40, 20) if how == "windows" else (None, None)
    covered = None
    if window:
        covered = np.zeros((len(chain), len(chain)), bool)
        for s, e in plan_windows(len(chain), window, stride):
            covered[s:e, s:e] = True
    counters = []
    for _ in range(3):
        acc = HeadStatsAccumulator(8, 8, 0.3, definition)
        counters.append(acc.chain(len(chain), masks, covered if definition == "judged" else None))
    numpy_counts, torch_counts, sparse_counts = counters
    windows = plan_windows(len(chain), window, stride) if window else [(0, len(chain))]
    builder = CompactBuilder(8, 8, len(chain), [len(chain)], windows)
    run_stream(
        antiberty,
        [chain.sequence],
        [
            NumpyLayers(lambda i, layer: numpy_counts.add_layer(i, layer)),
            TorchCounts(torch_counts, 0.3, definition == "paper", window is None),
            builder,
            SparseCounts(sparse_counts, 0.3, definition == "paper", builder),
        ],
        window,
        stride,
    )
    for counter in counters:
        counter.close()
    for name in masks:
        a = numpy_counts.counts[name]
        for b in (torch_counts.counts[name], sparse_counts.counts[name]):
            np.testing.assert_array_equal(a.n_arcs, b.n_arcs)
            np.testing.assert_array_equal(a.hits, b.hits)
            np.testing.assert_allclose(a.mass, b.mass, rtol=1e-6)
            np.testing.assert_allclose(a.mass_on, b.mass_on, rtol=1e-6, atol=1e-9)
    assert numpy_counts.counts["contact"].hits.sum() > 0
