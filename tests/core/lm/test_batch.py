"""Counts of chains batched by length equal the counts of each chain run alone.

The reference is :func:`protattn.lm.inference.chain_counts` (``cache=False``), one chain and
one definition a pass. Real AntiBERTy on chains of the ligand set, and tiny random models of
every family (:func:`test_families.save_tiny`) on synthetic chains with random masks. Arcs,
hits and backgrounds must be identical; weight sums equal to within float32 rounding:
:data:`MASS_RTOL`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support import require
from test_families import FAMILIES, save_tiny

torch = require("torch")

import protattn  # noqa: E402
from protattn.api.stats import chain_properties  # noqa: E402
from protattn.lm import batch as batch_module  # noqa: E402
from protattn.lm.batch import (  # noqa: E402
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_TOKENS,
    CountJob,
    batch_counts,
    buckets,
)
from protattn.lm.consumers import NumpyLayers  # noqa: E402
from protattn.lm.families import FAMILIES as MODEL_FAMILIES  # noqa: E402
from protattn.lm.inference import chain_counts  # noqa: E402
from protattn.lm.loading import load_model  # noqa: E402
from protattn.lm.masks import PropertyMask  # noqa: E402
from protattn.lm.stream import count_consumer, run_padded  # noqa: E402

#: Weight sums (``mass``, ``mass_on``), batched against alone, relative. Measured at most
#: 5.2e-7 on AntiBERTy (the ligand chains below, both definitions: the one-chain pass sums
#: columns in float32 from its compact attention, the batch in float64 in numpy), 1.8e-7
#: for the chain beside a longer one, and 2.5e-7 on the tiny models (T5; 7e-8 for the
#: others above the floor, 0 below it, where both sides count in numpy); float32 rounding
#: of a sum over up to 510 weights reaches about 3e-5.
MASS_RTOL = 1e-5

#: Chains of the ligand set of mixed lengths: 99 (1HPX's two identical chains), 117, 147,
#: 183 (2ZOZ's two) and 223 residues.
LIGAND_FILES = ["1HPX.pdb", "4CUP.cif", "1AKU.pdb", "2ZOZ.pdb", "1BJU.pdb"]
PROPERTIES = ["contact", "binding_site", "helix", "aa:C"]


def _alone(lm, job, threshold):
    """The reference: each definition of the job from a pass of its own."""
    return {
        definition: chain_counts(lm, job.sequence, definition, threshold, masks, cache=False)
        for definition, masks in job.masks.items()
    }


def _compare(found: dict, expected: dict) -> float:
    """Assert two counts messages equal (masses to :data:`MASS_RTOL`); their largest
    relative mass difference."""
    assert found["n"] == expected["n"]
    assert list(found["counts"]) == list(expected["counts"])
    worst = 0.0
    for name, want in expected["counts"].items():
        got = found["counts"][name]
        for key in ("n_arcs", "hits"):
            np.testing.assert_array_equal(got[key], want[key], err_msg=f"{name} {key}")
        for key in ("background_hits", "background_pairs"):
            assert got[key] == want[key], (name, key)
        for key in ("mass", "mass_on"):
            a, b = np.asarray(got[key]), np.asarray(want[key])
            np.testing.assert_allclose(a, b, rtol=MASS_RTOL, atol=0, err_msg=f"{name} {key}")
            scale = np.where(b == 0, 1.0, np.abs(b))
            worst = max(worst, float((np.abs(a - b) / scale).max(initial=0)))
    return worst


def _compare_all(results, references) -> float:
    assert len(results) == len(references)
    worst = 0.0
    for found, expected in zip(results, references):
        assert list(found) == list(expected)  # the job's definitions, in its order
        for definition in expected:
            worst = max(worst, _compare(found[definition], expected[definition]))
    return worst


class _Passes:
    """Records every padded pass :func:`batch_counts` runs (the sequences of each)."""

    def __init__(self, monkeypatch):
        self.batches: list[list[str]] = []
        real = batch_module.run_padded

        def spy(lm, sequences, consumers):
            self.batches.append(list(sequences))
            return real(lm, sequences, consumers)

        monkeypatch.setattr(batch_module, "run_padded", spy)


@pytest.fixture
def passes(monkeypatch):
    return _Passes(monkeypatch)


# ------------------------------------------------------------------------- buckets


def test_buckets_respect_the_budget():
    rng = np.random.default_rng(3)
    for _ in range(200):
        lengths = rng.integers(1, 600, rng.integers(0, 80)).tolist()
        max_tokens = int(rng.integers(1, 5000))
        max_batch = int(rng.integers(1, 20))
        padding = float(rng.choice([0.0, 0.2, 0.5, 1.0]))
        plan = buckets(lengths, max_tokens, max_batch, max_padding=padding)
        assert sorted(k for batch in plan for k in batch) == list(range(len(lengths)))
        previous = None
        for batch in plan:
            sizes = [lengths[k] for k in batch]
            assert 1 <= len(batch) <= max_batch
            assert sizes == sorted(sizes, reverse=True)  # longest first
            assert len(batch) == 1 or len(batch) * sizes[0] <= max_tokens
            assert sizes[-1] >= (1 - padding) * sizes[0]
            assert previous is None or sizes[0] <= previous  # batches longest first
            previous = sizes[0]
    # ties keep the order given; the budget is the batch's padded tokens
    assert buckets([5, 5, 5, 5], 10, 8) == [[0, 1], [2, 3]]
    assert buckets([5, 5, 5, 5], 20, 3) == [[0, 1, 2], [3]]
    assert buckets([700], 100, 4) == [[0]]  # above the budget: alone
    assert buckets([], 100, 4) == []


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (([5], 0, 4), {}),
        (([5], 10, 0), {}),
        (([-1], 10, 4), {}),
        (([5], 10, 4), {"max_padding": 2}),
    ],
)
def test_buckets_refuse_options_out_of_range(args, kwargs):
    with pytest.raises(ValueError):
        buckets(*args, **kwargs)


def test_default_budget_keeps_a_layer_of_antiberty_small():
    """B x heads x T x T float32 of one layer, at the default budget, for 8 heads and T <= 512."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 513, 2000).tolist()
    largest = max(
        len(b) * 8 * max(lengths[k] for k in b) ** 2 * 4
        for b in buckets(lengths, DEFAULT_MAX_TOKENS, DEFAULT_MAX_BATCH)
    )
    assert largest <= DEFAULT_MAX_TOKENS * 8 * 512 * 4 == 128 * 2**20


# ------------------------------------------------------------------ real AntiBERTy


@pytest.fixture(scope="module")
def ligand_jobs(shared_dir, load_structure):
    jobs = []
    for name in LIGAND_FILES:
        structure = load_structure(shared_dir / "data" / "structures" / "ligand" / name)
        for chain in structure.chains:
            masks = chain_properties(structure, chain, PROPERTIES, 6)
            jobs.append(CountJob(chain.sequence, {"paper": masks, "judged": masks}))
    return jobs


def test_antiberty_batched_equals_one_chain_at_a_time(antiberty, ligand_jobs, passes):
    # the jobs out of length order; one job with the judged definition only, one without any
    jobs = [ligand_jobs[k] for k in (4, 0, 6, 2, 5, 1, 3)]
    jobs[3] = CountJob(jobs[3].sequence, {"judged": jobs[3].masks["judged"]})
    jobs.append(CountJob(jobs[0].sequence, {}))
    results = batch_counts(antiberty, jobs, 0.3, max_tokens=600, max_padding=0.5)
    references = [_alone(antiberty, job, 0.3) for job in jobs]
    worst = _compare_all(results, references)
    assert worst <= MASS_RTOL
    assert [r["paper"]["n"] if "paper" in r else None for r in results] == [
        len(j.sequence) if "paper" in j.masks else None for j in jobs
    ]  # in the order of the jobs
    assert results[-1] == {}
    assert sum(np.sum(m["counts"]["contact"]["n_arcs"]) for r in results for m in r.values()) > 0
    # one pass per batch, for both definitions; each distinct sequence in one batch only
    distinct = {j.sequence for j in jobs if j.masks}
    ran = [s for batch in passes.batches for s in batch]
    assert sorted(ran) == sorted(distinct) and len(distinct) == 5  # 1HPX's, 2ZOZ's: once
    assert [len(batch) for batch in passes.batches] == [2, 3]  # 225 + 185, 149 + 119 + 101 tokens
    assert all(len({len(s) for s in batch}) > 1 for batch in passes.batches)  # padded


def test_a_chain_counts_the_same_beside_a_much_longer_one(antiberty, ligand_jobs, passes):
    """Padding is masked: a 99-residue chain batched with a 223-residue one, 124 pads."""
    short = next(j for j in ligand_jobs if len(j.sequence) == 99)
    long = next(j for j in ligand_jobs if len(j.sequence) == 223)
    together = batch_counts(antiberty, [short, long], 0.3, max_padding=1)
    assert passes.batches == [[long.sequence, short.sequence]]  # one pass, padded
    alone = batch_counts(antiberty, [short], 0.3)
    assert _compare_all(together[:1], alone) <= MASS_RTOL
    assert _compare_all(together[:1], [_alone(antiberty, short, 0.3)]) <= MASS_RTOL


def test_padded_layers_equal_each_chain_alone(antiberty):
    """The engine's cut of a padded batch: each chain's layers as its own pass gives them."""
    rng = np.random.default_rng(1)
    sequences = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), n)) for n in (12, 80, 31)]
    layers: list[list[np.ndarray]] = [[] for _ in sequences]
    consumers = [
        [NumpyLayers(lambda index, layer, mine=mine: mine.append(layer.copy()))] for mine in layers
    ]
    run_padded(antiberty, sequences, consumers)
    for sequence, mine in zip(sequences, layers):
        # measured: bit-equal here (0.0); 1e-6 allows for other kernels' summing orders
        np.testing.assert_allclose(np.stack(mine), antiberty.attention(sequence), atol=1e-6)


def test_a_chain_longer_than_one_pass_is_refused_before_any_pass(antiberty, passes):
    jobs = [CountJob("EVQLV", {"paper": {}}), CountJob("A" * 511, {"paper": {}})]
    with pytest.raises(ValueError, match=r"job 1: the chain A{20}\.\.\. has 511 residues") as err:
        batch_counts(antiberty, jobs, 0.3)
    assert "510" in str(err.value) and "chain_counts" in str(err.value)
    assert passes.batches == []


def test_bad_jobs_are_refused_before_any_pass(antiberty, passes):
    five = {"r": PropertyMask.residue(np.ones(5, bool))}
    with pytest.raises(ValueError, match=r"job 1 \(EVQ\), 'paper'.*for 5 residues"):
        batch_counts(
            antiberty, [CountJob("EVQLV", {"paper": five}), CountJob("EVQ", {"paper": five})], 0.3
        )
    with pytest.raises(ValueError, match="definition must be one of"):
        batch_counts(antiberty, [CountJob("EVQLV", {"mine": five})], 0.3)
    with pytest.raises(protattn.ModelError, match="empty"):
        batch_counts(antiberty, [CountJob("", {"paper": {}})], 0.3)
    with pytest.raises(ValueError, match="max_tokens"):
        batch_counts(antiberty, [CountJob("EVQLV", {"paper": five})], 0.3, max_tokens=0)
    assert passes.batches == []


def test_no_jobs_run_nothing(antiberty, passes):
    assert batch_counts(antiberty, [], 0.3) == []
    assert batch_counts(antiberty, [CountJob("EVQLV", {})], 0.3) == [{}]
    assert passes.batches == []


def test_out_of_memory_in_a_batch_says_what_to_change(antiberty, monkeypatch):
    def exhausted(*args, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(batch_module, "run_padded", exhausted)
    with pytest.raises(protattn.ModelError, match="smaller max_tokens"):
        batch_counts(antiberty, [CountJob("EVQLV", {"paper": {}})], 0.3)


# ------------------------------------------------------------ tiny models of each family


def _synthetic_jobs(lengths, seed=0):
    """Random chains with random residue and pair masks, judged on random pairs."""
    rng = np.random.default_rng(seed)
    jobs = []
    for n in lengths:
        sequence = "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), n))
        valid = rng.random((n, n)) < 0.8
        masks = {
            "site": PropertyMask.residue(rng.random(n) < 0.3, valid=valid),
            "pair": PropertyMask.pair(rng.random((n, n)) < 0.2, valid=valid),
            "all": PropertyMask.residue(np.ones(n, bool)),
        }
        jobs.append(CountJob(sequence, {"paper": masks, "judged": masks}))
    return jobs


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def tiny_lm(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"tiny_batch_{request.param}")
    save_tiny(request.param, directory)
    return load_model(str(directory), device="cpu")


# below the compact floor (0.05) the one-chain pass counts from numpy, above it from the
# weights its compact attention kept: both against the batch
@pytest.mark.parametrize("threshold", [0.04, 0.1])
def test_every_family_batched_equals_one_chain_at_a_time(tiny_lm, threshold, passes):
    assert tiny_lm.pads
    jobs = _synthetic_jobs([5, 30, 12, 47, 13, 31, 60, 2])
    results = batch_counts(tiny_lm, jobs, threshold, max_tokens=200, max_padding=0.6)
    worst = _compare_all(results, [_alone(tiny_lm, job, threshold) for job in jobs])
    assert worst <= MASS_RTOL  # measured at most 2.5e-7 (T5)
    assert any(len({len(s) for s in batch}) > 1 for batch in passes.batches)
    assert 1 < len(passes.batches) < len(jobs)
    arcs = [np.sum(r[d]["counts"]["all"]["n_arcs"]) for r in results for d in r]
    assert min(arcs) >= 0 and sum(arcs) > 0


def test_every_family_counts_a_short_chain_the_same_beside_a_long_one(tiny_lm, passes):
    short, long = _synthetic_jobs([4, 60], seed=2)
    together = batch_counts(tiny_lm, [short, long], 0.04, max_padding=1)
    assert len(passes.batches) == 1
    assert _compare_all(together[:1], [_alone(tiny_lm, short, 0.04)]) <= MASS_RTOL


def test_a_family_that_cannot_pad_runs_one_chain_a_pass(tiny_lm, passes):
    unknown = dataclasses.replace(tiny_lm, family=MODEL_FAMILIES["auto"])
    assert not unknown.pads
    with pytest.raises(protattn.ModelError, match=r"does not know how its architecture \(auto\)"):
        unknown.forward([unknown.encode("ACDE"), unknown.encode("ACDEFG")])
    jobs = _synthetic_jobs([5, 6, 7], seed=4)
    results = batch_counts(unknown, jobs, 0.04)
    assert [len(b) for b in passes.batches] == [1, 1, 1]
    assert _compare_all(results, [_alone(tiny_lm, job, 0.04) for job in jobs]) <= MASS_RTOL


def test_one_function_sets_up_the_counting_of_a_chain(tiny_lm):
    """run_chain and the batches build a chain's counting with count_consumer: from the
    compact attention's kept weights when a builder runs and θ is at its floor or above,
    from the whole layer otherwise (numpy on the CPU)."""
    from protattn.lm.compact import CompactBuilder
    from protattn.lm.consumers import SparseCounts

    masks = {"all": PropertyMask.residue(np.ones(6, bool))}
    builder = CompactBuilder(2, 2, 6, [6], [(0, 6)])
    for threshold, with_builder, kind in [
        (0.3, True, SparseCounts),
        (0.04, True, NumpyLayers),
        (0.3, False, NumpyLayers),
    ]:
        counter, consumer = count_consumer(
            tiny_lm, 6, "paper", threshold, masks, builder=builder if with_builder else None
        )
        assert isinstance(consumer, kind) and counter.n == 6
    with pytest.raises(ValueError, match="for 6 residues"):
        count_consumer(tiny_lm, 5, "judged", 0.3, masks)
