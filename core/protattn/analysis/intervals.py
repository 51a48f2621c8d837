"""Intervals and tests of a share of arcs against the background, vectorised over heads.

Wilson and normal (Wald) intervals of a proportion and the two-proportion z-test,
as statsmodels computes them (``proportion_confint``, ``proportions_ztest``), in
numpy over ``(layers, heads)`` arrays.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

__all__ = [
    "wilson_interval",
    "wald_interval",
    "two_proportion_z",
]

_ERFC = np.frompyfunc(math.erfc, 1, 1)


# ------------------------------------------------------------------ pure helpers


def _float_result(x: np.ndarray) -> np.ndarray | float:
    return float(x) if x.ndim == 0 else x


def _proportion(hits, n, alpha: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Checked ``hits, n`` as float arrays, and the two-sided quantile ``Φ⁻¹(1 − alpha/2)``."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
    hits, n = np.broadcast_arrays(np.asarray(hits, dtype=float), np.asarray(n, dtype=float))
    if np.any(hits < 0) or np.any(hits > n):
        raise ValueError("hits must lie between 0 and n")
    return hits, n, -NormalDist().inv_cdf(alpha / 2.0)


def _interval(
    centre: np.ndarray, half: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """``centre ∓ half`` clipped to [0, 1]; NaN where ``n = 0``."""
    empty = n <= 0
    low = np.where(empty, np.nan, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half, 0.0, 1.0))
    return _float_result(low), _float_result(high)


def wilson_interval(hits, n, alpha: float = 0.05) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Two-sided Wilson score interval of the proportion ``hits / n``.

    Parameters
    ----------
    hits, n : int or array_like of int
        Successes and trials (broadcast together), ``0 <= hits <= n``.
    alpha : float
        1 − confidence level (two-sided), ``0 < alpha < 1``.

    Returns
    -------
    low, high : float or numpy.ndarray
        ``dtype=float``, the broadcast shape of the inputs; NaN where ``n = 0``.
        With ``z = Φ⁻¹(1 − alpha/2)`` and ``p = hits / n``:
        ``(p + z²/2n ∓ z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)``, clipped to [0, 1],
        as statsmodels' ``proportion_confint(hits, n, alpha, method="wilson")``.

    Examples
    --------
    >>> low, high = wilson_interval(0, 10, 0.05)
    >>> round(low, 4), round(high, 4)
    (0.0, 0.2775)
    """
    hits, n, z = _proportion(hits, n, alpha)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        return _interval(centre, half, n)


def wald_interval(hits, n, alpha: float = 0.05) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Two-sided normal (Wald) interval of the proportion ``hits / n``, clipped to [0, 1].

    Parameters
    ----------
    hits, n, alpha
        As for :func:`wilson_interval`.

    Returns
    -------
    low, high : float or numpy.ndarray
        ``dtype=float``; ``p ∓ Φ⁻¹(1 − alpha/2)·√(p(1−p)/n)``, clipped to [0, 1],
        as statsmodels' ``proportion_confint(hits, n, alpha, method="normal")``
        (the paper's interval); NaN where ``n = 0``.

    Examples
    --------
    >>> low, high = wald_interval(50, 100, 0.05)
    >>> round(low, 4), round(high, 4)
    (0.402, 0.598)
    """
    hits, n, z = _proportion(hits, n, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        return _interval(p, z * np.sqrt(p * (1.0 - p) / n), n)


def two_proportion_z(h1, n1, h2, n2) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Two-sided two-proportion z-test with pooled variance.

    Parameters
    ----------
    h1, n1, h2, n2 : int or array_like of int
        Successes and trials of the two samples (broadcast together).

    Returns
    -------
    z, p_value : float or numpy.ndarray
        ``dtype=float``. ``z = (h1/n1 − h2/n2) / √(p̄(1−p̄)(1/n1 + 1/n2))`` with
        ``p̄ = (h1 + h2) / (n1 + n2)``, ``p_value = 2·(1 − Φ(|z|)) = erfc(|z|/√2)``,
        as statsmodels' ``proportions_ztest([h1, h2], [n1, n2])``. NaN where a
        sample is empty or the pooled variance is 0 (both proportions 0, or both 1).

    Examples
    --------
    >>> z, p = two_proportion_z(5, 10, 5, 10)
    >>> z, p
    (0.0, 1.0)
    """
    h1, n1, h2, n2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h1, n1, h2, n2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (h1 + h2) / (n1 + n2)
        var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
        z = (h1 / n1 - h2 / n2) / np.sqrt(var)
    z = np.where((n1 > 0) & (n2 > 0) & (var > 0), z, np.nan)
    p = np.asarray(_ERFC(np.abs(z) / math.sqrt(2.0)), dtype=float)
    return _float_result(z), _float_result(p)


# ------------------------------------------------------------------- properties
