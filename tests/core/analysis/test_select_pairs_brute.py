"""select_pairs against a brute-force double loop, on random maps, chains and options.

The loop is written from the documented rules alone: a pair i < j (i == j at
separation 0) of the same chain needs j - i >= min_separation, a pair of two
chains run together is always eligible, NaN (not covered) is never kept, and the
threshold is strict; top-k keeps the k strongest, ties by i, then j.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from protattn import select_pairs


def _expected(weights, threshold, top_k, min_separation, eligible, segments):
    n = weights.shape[0]
    found = []
    for i in range(n):
        for j in range(i, n):
            if i == j and min_separation > 0:
                continue
            same_chain = segments is None or segments[i] == segments[j]
            if same_chain and j - i < min_separation:
                continue
            if eligible is not None and not (eligible[i] and eligible[j]):
                continue
            w = weights[i, j]
            if np.isnan(w):
                continue
            found.append((-w, i, j))
    found.sort()
    if top_k is not None:
        found = found[:top_k]
    else:
        found = [f for f in found if -f[0] > threshold]
    return [(i, j, -w) for w, i, j in found]


@st.composite
def problems(draw):
    n = draw(st.integers(1, 14))
    # few distinct values, so that ties and the threshold's edge are common
    values = st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.3, 0.5, np.nan])
    upper = np.array(draw(st.lists(values, min_size=n * n, max_size=n * n))).reshape(n, n)
    weights = np.triu(upper) + np.triu(upper, 1).T
    cuts = sorted(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=2, unique=True)))
    segments = (
        np.searchsorted(np.array(cuts), np.arange(n), side="right") if draw(st.booleans()) else None
    )
    eligible = (
        np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        if draw(st.booleans())
        else None
    )
    top_k = draw(st.none() | st.integers(0, n * n))
    threshold = draw(st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.3]))
    min_separation = draw(st.integers(0, n + 1))
    return weights, threshold, top_k, min_separation, eligible, segments


@given(problems())
@example(  # a pair exactly min_separation apart within one of two concatenated chains
    (np.full((6, 6), 0.5), 0.1, None, 2, None, np.array([0, 0, 0, 1, 1, 1]))
)
@example((np.full((5, 5), 0.3), 0.3, None, 1, None, None))  # strictly above the threshold
@example((np.full((4, 4), 0.2), 0.1, 3, 2, None, None))  # top-k at the separation boundary
def test_select_pairs_equals_the_rules_written_out(problem):
    weights, threshold, top_k, min_separation, eligible, segments = problem
    i, j, w = select_pairs(weights, threshold, top_k, min_separation, eligible, segments)
    got = [(int(a), int(b), float(c)) for a, b, c in zip(i, j, w)]
    assert got == _expected(weights, threshold, top_k, min_separation, eligible, segments)
