"""Per-head statistics streamed layer by layer while AntiBERTy runs, against the whole array."""

from __future__ import annotations

import numpy as np
import pytest

import protattn
from protattn import analysis
from protattn.cache import AttentionCache
from protattn.inference import cached_chain_attention, clear_memory
from protattn.statistics import HeadStatsAccumulator, PropertyMask
from protattn.stream import stream_attention


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty attention cache, no attention in memory, no remembered counts."""
    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "cache"))
    clear_memory()
    analysis.clear_counts()
    yield AttentionCache(tmp_path / "cache")
    clear_memory()
    analysis.clear_counts()


@pytest.fixture(scope="module")
def structures(shared_dir, load_structure):
    return [load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb"),
            load_structure(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif")]


def _same(a, b):
    for prop in a.properties:
        x, y = a[prop], b[prop]
        np.testing.assert_array_equal(x.n_arcs, y.n_arcs)
        np.testing.assert_array_equal(x.hits, y.hits)
        # the weighted share sums every weight: float32 streamed, the cache's float16 below
        # 0.05 otherwise
        np.testing.assert_allclose(x.attention_mass, y.attention_mass, rtol=1e-4)
        np.testing.assert_allclose(x.attention_on_property, y.attention_on_property,
                                   rtol=1e-4, atol=1e-6)
        assert (x.background_hits, x.background_pairs) == (y.background_hits, y.background_pairs)
    assert a.n_chains == b.n_chains


@pytest.mark.parametrize("definition", ["paper", "judged"])
def test_streamed_statistics_equal_those_of_the_whole_array(definition, structures, antiberty,
                                                            fresh):
    props = ["contact", "binding_site", "helix", "aa:G"]
    streamed = analysis.head_statistics(structures, antiberty, props, min_arcs=0,
                                        definition=definition, stream=True)
    # streaming caches no attention: the model ran, the cache stayed empty
    assert not fresh.entries()
    for chain in structures[0].chains:
        assert cached_chain_attention(antiberty, chain.sequence) is None
    analysis.clear_counts()
    whole = analysis.head_statistics(structures, antiberty, props, min_arcs=0,
                                     definition=definition, stream=False)
    assert fresh.entries()  # this path fills the cache
    _same(streamed, whole)
    assert streamed["contact"].hits.sum() > 0


def test_counts_are_remembered_and_the_model_not_run_again(structures, antiberty, fresh,
                                                           monkeypatch):
    first = analysis.head_statistics(structures, antiberty, ["contact"], stream=True)

    def no_run(*args, **kwargs):
        raise AssertionError("the model ran again")

    monkeypatch.setattr(antiberty, "forward", no_run)
    again = analysis.head_statistics(structures, antiberty, ["contact"], stream=True)
    _same(first, again)
    # other masks (another minimum separation) are counted anew: here, the model must run
    with pytest.raises(AssertionError, match="ran again"):
        analysis.head_statistics(structures, antiberty, ["contact"], min_separation=12,
                                 stream=True)


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
    whole = protattn.chain_attention(antiberty, chain.sequence).attention
    done = acc.count(whole, {"s": PropertyMask.residue(np.ones(len(chain), bool))})
    other = HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads)
    other.add_chain(done)
    np.testing.assert_array_equal(other.result()["s"].n_arcs, acc.result()["s"].n_arcs)
    with pytest.raises(ValueError, match="another model size, threshold or definition"):
        HeadStatsAccumulator(antiberty.n_layers, antiberty.n_heads, 0.5).add_chain(done)
