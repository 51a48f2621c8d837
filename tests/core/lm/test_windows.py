"""Windows over long chains: the plan covers the chain; merging averages, invents nothing."""

from __future__ import annotations

import gc
import itertools
import weakref

import numpy as np
import pytest

from protattn.lm.windows import merge_windows, plan_windows

# ------------------------------------------------------------------- plan


@pytest.mark.parametrize(
    "length, window, stride, expected",
    [
        # worked by hand from the definition: starts 0, stride, ...; the last aligned to the end
        (10, 4, 3, [(0, 4), (3, 7), (6, 10)]),  # starts land on the end exactly
        (10, 4, 4, [(0, 4), (4, 8), (6, 10)]),  # stride == window: last one shifted back
        (8, 4, 4, [(0, 4), (4, 8)]),  # stride == window, tiling exactly
        (9, 4, 2, [(0, 4), (2, 6), (4, 8), (5, 9)]),
        (6, 5, 1, [(0, 5), (1, 6)]),
        (7, 3, 1, [(0, 3), (1, 4), (2, 5), (3, 6), (4, 7)]),
        (5, 5, 2, [(0, 5)]),  # length == window
        (3, 8, 4, [(0, 3)]),  # length < window
        (1, 1, 1, [(0, 1)]),  # one residue
        (1, 512, 256, [(0, 1)]),
        (3, 1, 1, [(0, 1), (1, 2), (2, 3)]),  # one-residue windows
    ],
)
def test_plan_windows_worked_examples(length, window, stride, expected):
    assert plan_windows(length, window, stride) == expected


PLAN_CASES = [
    (length, window, stride)
    for length in (1, 2, 5, 17, 64, 100, 1001)
    for window in (1, 3, 16, 64, 100, 1024)
    for stride in {1, max(1, window // 3), max(1, window // 2), window}
]


@pytest.mark.parametrize("length, window, stride", PLAN_CASES)
def test_plan_windows_properties(length, window, stride):
    plan = plan_windows(length, window, stride)
    covered = np.zeros(length, dtype=int)
    for start, end in plan:
        assert 0 <= start < end <= length
        assert end - start == min(window, length)
        covered[start:end] += 1
    assert (covered > 0).all(), "every residue is in some window"
    starts = [s for s, _ in plan]
    assert starts == sorted(set(starts)), "windows are distinct and in order"
    assert plan[-1][1] == length, "the last window ends at the end of the chain"
    # all but the last start every `stride`; the last either does too or is aligned to the end
    assert starts[:-1] == [k * stride for k in range(len(plan) - 1)]
    assert starts[-1] in (stride * (len(plan) - 1), max(0, length - window))
    # no window is redundant: the one before the last does not reach the end already
    if len(plan) > 1:
        assert plan[-2][1] < length


@pytest.mark.parametrize("length, window, stride", [c for c in PLAN_CASES if c[0] <= 100])
def test_plan_windows_covers_near_pairs_and_never_far_ones(length, window, stride):
    plan = plan_windows(length, window, stride)
    for i in range(length):
        for j in range(i, length):
            together = any(s <= i < e and s <= j < e for s, e in plan)
            if abs(i - j) <= window - stride:
                assert together, (i, j)
            if abs(i - j) >= window:
                assert not together, (i, j)


@pytest.mark.parametrize(
    "length, window, stride, fragment",
    [
        (10, 0, 1, "window must be at least 1"),
        (10, -3, 1, "window must be at least 1"),
        (10, 4, 0, "stride must be between 1 and the window (4)"),
        (10, 4, -1, "stride must be between 1 and the window"),
        (10, 4, 5, "would leave residues out"),
        (0, 4, 2, "select residues"),
        (-1, 4, 2, "select residues"),
    ],
)
def test_plan_windows_refuses_bad_arguments(length, window, stride, fragment):
    with pytest.raises(ValueError) as err:
        plan_windows(length, window, stride)
    assert fragment in str(err.value)


@pytest.mark.parametrize("args", [(10.0, 4, 2), (10, 4.5, 2), (10, 4, "2"), (10, True, 1)])
def test_plan_windows_wants_integers(args):
    with pytest.raises(TypeError):
        plan_windows(*args)


def test_plan_windows_accepts_numpy_integers():
    assert plan_windows(np.int64(10), np.int32(4), np.uint8(3)) == [(0, 4), (3, 7), (6, 10)]


# ------------------------------------------------------------------- merge


def _windows_holding(plan, i, j):
    return [k for k, (s, e) in enumerate(plan) if s <= i < e and s <= j < e]


def test_merge_single_window_reproduces_the_chain_bit_for_bit():
    rng = np.random.default_rng(7)
    attention = rng.random((3, 4, 23, 23), dtype=np.float32)
    attention /= attention.sum(axis=-1, keepdims=True)
    merged, covered = merge_windows(23, [(0, attention)])
    assert merged.dtype == np.float32 and merged.shape == attention.shape
    assert covered.dtype == bool and covered.shape == (23, 23) and covered.all()
    assert merged.tobytes() == attention.tobytes()


def test_merge_single_residue():
    merged, covered = merge_windows(1, [(0, np.full((2, 2, 1, 1), 0.25, dtype=np.float32))])
    assert merged.shape == (2, 2, 1, 1) and (merged == np.float32(0.25)).all()
    assert covered.tolist() == [[True]]


def test_merge_two_windows_worked_by_hand():
    # chain of 5, windows [0, 3) holding 1.0 everywhere and [2, 5) holding 3.0 everywhere
    n = np.nan
    expected = np.array(
        [
            [1, 1, 1, n, n],
            [1, 1, 1, n, n],
            [1, 1, 2, 3, 3],
            [n, n, 3, 3, 3],
            [n, n, 3, 3, 3],
        ],
        dtype=np.float32,
    )
    first = np.ones((1, 1, 3, 3), dtype=np.float32)
    merged, covered = merge_windows(5, iter([(0, first), (2, 3 * first)]))
    np.testing.assert_array_equal(merged[0, 0], expected)  # NaN matches NaN
    np.testing.assert_array_equal(covered, ~np.isnan(expected))


@pytest.mark.parametrize(
    "length, window, stride",
    [
        (10, 4, 3),
        (10, 4, 4),
        (9, 4, 2),
        (13, 5, 1),
        (30, 12, 5),
        (7, 7, 3),
        (12, 4, 4),
    ],
)
def test_merge_averages_the_windows_that_hold_each_pair(length, window, stride):
    rng = np.random.default_rng(length * 100 + window * 10 + stride)
    truth = rng.random((2, 3, length, length))
    plan = plan_windows(length, window, stride)
    offsets = [float(k + 1) * 10**k for k in range(len(plan))]  # distinct per window

    pieces = (
        (s, (truth[..., s:e, s:e] + offsets[k]).astype(np.float32)) for k, (s, e) in enumerate(plan)
    )
    merged, covered = merge_windows(length, pieces)

    assert merged.shape == (2, 3, length, length) and merged.dtype == np.float32
    for i, j in itertools.product(range(length), repeat=2):
        holding = _windows_holding(plan, i, j)
        assert covered[i, j] == bool(holding)
        if holding:
            expected = truth[:, :, i, j] + np.mean([offsets[k] for k in holding])
            np.testing.assert_allclose(merged[:, :, i, j], expected, rtol=1e-6)
        else:
            assert np.isnan(merged[:, :, i, j]).all()
    # NaN exactly where not covered, in every layer and head
    np.testing.assert_array_equal(np.isnan(merged), np.broadcast_to(~covered, merged.shape))


def test_merge_accepts_windows_of_any_size_and_order():
    length = 8
    truth = np.arange(length * length, dtype=np.float32).reshape(1, 1, length, length)
    windows = [(5, 8), (0, 2), (1, 6)]
    merged, covered = merge_windows(length, ((s, truth[..., s:e, s:e]) for s, e in windows))
    for i, j in itertools.product(range(length), repeat=2):
        holding = [w for w in windows if w[0] <= i < w[1] and w[0] <= j < w[1]]
        assert covered[i, j] == bool(holding)
        if holding:
            assert merged[0, 0, i, j] == truth[0, 0, i, j]  # the mean of equal values


def test_merge_reads_pieces_one_at_a_time():
    length, window, stride = 40, 8, 4
    refs = []

    def pieces():
        for start, end in plan_windows(length, window, stride):
            gc.collect()
            # merge still holds the previous piece at most; the one before must be gone
            if len(refs) >= 2:
                assert refs[-2]() is None, "merge_windows kept an earlier window's attention"
            piece = np.ones((1, 2, end - start, end - start), dtype=np.float32)
            refs.append(weakref.ref(piece))
            yield start, piece

    merged, covered = merge_windows(length, pieces())
    assert len(refs) == len(plan_windows(length, window, stride))
    assert (merged[:, :, covered] == 1).all()


def test_merge_accepts_half_precision_pieces():
    piece = np.full((1, 1, 4, 4), 0.5, dtype=np.float16)
    merged, covered = merge_windows(6, [(0, piece), (2, piece)])
    assert merged.dtype == np.float32
    assert (merged[0, 0][covered] == 0.5).all() and np.isnan(merged[0, 0][~covered]).all()


@pytest.mark.parametrize(
    "length, pieces, fragment",
    [
        (5, [], "no windows"),
        (5, [(0, np.ones((3, 3)))], "(layers, heads, w, w)"),
        (5, [(0, np.ones((1, 1, 3, 2)))], "(layers, heads, w, w)"),
        (5, [(3, np.ones((1, 1, 3, 3)))], "outside a chain of 5"),
        (5, [(-1, np.ones((1, 1, 3, 3)))], "outside a chain of 5"),
        (5, [(0, np.ones((1, 2, 3, 3))), (2, np.ones((1, 3, 3, 3)))], "one model"),
        (0, [(0, np.ones((1, 1, 0, 0)))], "0 residues"),
    ],
)
def test_merge_refuses_bad_pieces(length, pieces, fragment):
    with pytest.raises(ValueError) as err:
        merge_windows(length, pieces)
    assert fragment in str(err.value)
