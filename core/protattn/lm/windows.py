"""Covering a chain longer than a model accepts with overlapping windows.

A chain of ``L`` residues that is longer than the model's limit is run as
windows of at most ``window`` residues that start every ``stride`` residues,
the last one aligned to the end of the chain (:func:`plan_windows`). Each
window gives attention over its own residues; :func:`merge_windows` puts the
pieces back on the chain:

- where windows overlap, their attention is **averaged** (the mean over the
  windows that contain both residues);
- a pair ``(i, j)`` that no single window contains was never seen by the model
  together: it is reported as **not covered** (``NaN`` in the attention, ``False``
  in the mask), never invented. With the plan of :func:`plan_windows` every pair
  with ``|i - j| <= window - stride`` is covered and no pair with
  ``|i - j| >= window`` is.

Each window's softmax runs over that window only (and its special tokens), so
merged attention is close to, but not the same as, what a model without a
length limit would give for the whole chain. Like whole-chain attention, rows
are not renormalised.

>>> plan_windows(10, 4, 3)
[(0, 4), (3, 7), (6, 10)]
>>> plan_windows(10, 4, 4)
[(0, 4), (4, 8), (6, 10)]
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import SupportsIndex, cast

import numpy as np

__all__ = [
    "plan_windows",
    "covered_pairs",
    "merge_windows",
]


def _as_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not a bool")
    try:
        return operator.index(cast(SupportsIndex, value))  # TypeError if it is not one
    except TypeError as e:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from e


def plan_windows(length: int, window: int, stride: int) -> list[tuple[int, int]]:
    """Half-open windows ``[start, end)`` that cover a chain of ``length`` residues.

    Parameters
    ----------
    length : int
        Number of residues of the chain (at least 1).
    window : int
        Most residues in one window (the model's limit, or less).
    stride : int
        Residues between the starts of consecutive windows, ``1 <= stride <= window``.
        Consecutive windows share at least ``window - stride`` residues.

    Returns
    -------
    list of tuple of (int, int)
        ``(start, end)`` with ``end - start == min(window, length)``, in increasing
        order of ``start``. Starts are ``0, stride, 2 * stride, ...``; when that
        does not reach the end of the chain, one last window ``(length - window,
        length)`` is added, so the last window may overlap its predecessor by
        more than ``window - stride``. ``length <= window`` gives ``[(0, length)]``.

    Raises
    ------
    ValueError
        If ``length < 1``, ``window < 1`` or ``stride`` is outside ``[1, window]``.

    Examples
    --------
    >>> plan_windows(5, 8, 4)
    [(0, 5)]
    >>> plan_windows(9, 4, 2)
    [(0, 4), (2, 6), (4, 8), (5, 9)]
    """
    length = _as_int(length, "length")
    window = _as_int(window, "window")
    stride = _as_int(stride, "stride")
    if length < 1:
        raise ValueError(
            f"cannot plan windows over a chain of {length} residues; select residues of a "
            "protein chain"
        )
    if window < 1:
        raise ValueError(
            f"window must be at least 1 residue (got {window}); use e.g. the model's residue limit"
        )
    if not 1 <= stride <= window:
        raise ValueError(
            f"stride must be between 1 and the window ({window}), got {stride}: a stride "
            "larger than the window would leave residues out; use e.g. half the window "
            f"({max(1, window // 2)})"
        )
    if length <= window:
        return [(0, length)]
    windows = [(start, start + window) for start in range(0, length - window + 1, stride)]
    if windows[-1][1] < length:
        windows.append((length - window, length))
    return windows


def covered_pairs(length: int, windows: Iterable[Sequence[int]]) -> np.ndarray | None:
    """Pairs some window holds both residues of, ``shape=(L, L), dtype=bool``.

    Returns
    -------
    numpy.ndarray or None
        None when one window covers the chain (every pair is covered).

    Examples
    --------
    >>> int(covered_pairs(3, [(0, 2), (1, 3)]).sum())
    7
    >>> covered_pairs(3, [(0, 3)]) is None
    True
    """
    windows = list(windows)
    if len(windows) <= 1:
        return None
    covered = np.zeros((length, length), dtype=bool)
    for start, end in windows:
        covered[start:end, start:end] = True
    return covered


def merge_windows(
    length: int, pieces: Iterable[tuple[int, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Average the attention of overlapping windows onto the whole chain.

    The pieces are consumed one at a time (a generator that runs the model
    window by window never holds more than one window's attention); only the
    merged result and a count per residue pair are kept.

    Parameters
    ----------
    length : int
        Number of residues ``L`` of the chain.
    pieces : iterable of (int, numpy.ndarray)
        ``(start, attention)`` per window, ``attention`` of
        ``shape=(layers, heads, w, w)`` over residues ``start .. start + w - 1``
        (any float dtype); ``layers`` and ``heads`` are the same for every piece.

    Returns
    -------
    attention : numpy.ndarray
        ``shape=(layers, heads, L, L), dtype=float32``: for each pair ``(i, j)``,
        the mean of the attention over the windows that contain both ``i`` and
        ``j``; ``NaN`` where no window does. A single window over the whole chain
        is reproduced exactly.
    covered : numpy.ndarray
        ``shape=(L, L), dtype=bool``: whether some window contains both ``i`` and ``j``.

    Raises
    ------
    ValueError
        If there are no pieces, a piece is not ``(layers, heads, w, w)``, does not
        fit in the chain, or has another number of layers or heads than the first.

    Examples
    --------
    >>> a = np.ones((1, 1, 2, 2), dtype=np.float32)
    >>> attention, covered = merge_windows(3, [(0, a), (1, 3 * a)])
    >>> attention[0, 0]
    array([[ 1.,  1., nan],
           [ 1.,  2.,  3.],
           [nan,  3.,  3.]], dtype=float32)
    >>> int(covered.sum())
    7
    """
    length = _as_int(length, "length")
    if length < 1:
        raise ValueError(f"cannot merge windows over a chain of {length} residues")
    total: np.ndarray | None = None  # sum, then mean, of attention: (layers, heads, L, L)
    count = np.zeros((length, length), dtype=np.int32)
    for n, (start, piece) in enumerate(pieces):
        start = _as_int(start, "a window's start")
        piece = np.asarray(piece)
        if piece.ndim != 4 or piece.shape[2] != piece.shape[3]:
            raise ValueError(
                f"window {n + 1} (start {start}): attention must be (layers, heads, w, w), got "
                f"shape {piece.shape}; pass attention over the window's residues only"
            )
        width = piece.shape[-1]
        if start < 0 or start + width > length:
            raise ValueError(
                f"window {n + 1} covers residues {start}..{start + width - 1}, outside a chain "
                f"of {length} residues; use the windows of plan_windows({length}, ...)"
            )
        if total is None:
            total = np.zeros(piece.shape[:2] + (length, length), dtype=np.float32)
        elif piece.shape[:2] != total.shape[:2]:
            raise ValueError(
                f"window {n + 1} has {piece.shape[0]} layers x {piece.shape[1]} heads, the first "
                f"had {total.shape[0]} x {total.shape[1]}; run every window through one model"
            )
        block = slice(start, start + width)
        total[:, :, block, block] += piece
        count[block, block] += 1
    if total is None:
        raise ValueError("no windows were given; pass at least one (start, attention) piece")
    covered = count > 0
    # x / 1 is exact, so a single window is reproduced bit for bit.
    np.divide(total, count, out=total, where=covered)
    total[:, :, ~covered] = np.nan
    return total, covered
