"""Per-head agreement of attention with a property of residue pairs, over a set of chains.

The paper's statistic (Vig et al. 2021, eq. 1): for a head α, a property ``f``
and the high-confidence threshold θ (0.3),

    p_α(f) = Σ_x Σ_ij f(i,j)·1[α_ij > θ] / Σ_x Σ_ij 1[α_ij > θ]

summed over the chains ``x`` of a set and over the *considered* pairs of each
chain only. A property is either of the pair (``f(i,j) = contact[i,j]``) or of
the attended residue (``f(i,j) = g(j)``: binding site, secondary structure, amino
acid; rows of the attention are the attending residues ``i``). Counts are summed
over the set first; shares, intervals and tests are computed once at the end.

Definitions (all sums over chains and over considered pairs; ``n`` = ``n_arcs``):

- considered pairs of a chain: ``valid[i,j]`` (the property's own mask, all pairs
  if not given) and the attention of ``(i,j)`` finite in every layer and head
  (``NaN`` = not covered by any window; a pair uncovered anywhere is dropped for
  every head, so every head and the background are judged on the same pairs);
- ``n_arcs = Σ 1[α_ij > θ]`` (strictly greater; the comparison is made in the
  attention's own precision, as PyTorch's ``attn > 0.3`` is, so a weight stored as
  θ is a tie and does not count), ``hits = Σ f(i,j)·1[α_ij > θ]``,
  ``share = hits / n_arcs`` (NaN when ``n_arcs = 0``);
- ``weighted_share = Σ f(i,j)·α_ij / Σ α_ij`` (no threshold; NaN when ``Σ α_ij = 0``);
- ``background = Σ f(i,j) / N`` over the ``N = background_pairs`` considered pairs
  (for a residue property, the pair-weighted frequency of ``g(j)``);
- ``enough_arcs = n_arcs >= min_arcs``: heads with fewer arcs are flagged, never
  dropped;
- ``ci_low, ci_high``: Wilson score interval of ``share`` at level ``1 - α'``,
  Bonferroni-corrected over the heads of the model, ``α' = alpha / (layers·heads)``
  (:func:`wilson_interval`; statsmodels' ``proportion_confint(method="wilson")``);
- ``z, p_value``: two-sided two-proportion z-test of ``hits / n_arcs`` against
  ``background_hits / background_pairs`` with pooled variance
  (:func:`two_proportion_z`; statsmodels' ``proportions_ztest``). The head's arcs
  are themselves among the background pairs, so the two samples overlap: read
  ``z`` as a standardised effect size more than as an exact test. ``p_value`` is
  not corrected; compare it with :attr:`HeadStatistics.alpha_per_head`.

Attention is consumed one head at a time (float64 copies of one ``(L, L)`` map,
never of the whole array), so :meth:`HeadStatsAccumulator.add` needs a few
``(L, L)`` buffers beyond its input, whatever the number of layers.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TextIO

import numpy as np

__all__ = [
    "PropertyMask",
    "PropertyStats",
    "HeadStatistics",
    "HeadStatsAccumulator",
    "wilson_interval",
    "two_proportion_z",
]

#: High-confidence attention threshold θ of the paper.
DEFAULT_THRESHOLD = 0.3

#: Keys of each row of :meth:`HeadStatistics.rows` and :meth:`HeadStatistics.ranking`.
ROW_FIELDS = ("property", "layer_head", "layer", "head", "n_arcs", "hits", "share",
              "weighted_share", "ci_low", "ci_high", "background", "z", "p_value",
              "enough_arcs")

_RANK_BY = ("share", "weighted_share", "ci_low", "z", "n_arcs")
_ERFC = np.frompyfunc(math.erfc, 1, 1)


# ------------------------------------------------------------------ pure helpers


def _float_result(x: np.ndarray) -> np.ndarray | float:
    return float(x) if x.ndim == 0 else x


def wilson_interval(hits, n, alpha: float = 0.05) -> tuple[np.ndarray | float,
                                                           np.ndarray | float]:
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
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
    hits, n = np.broadcast_arrays(np.asarray(hits, dtype=float), np.asarray(n, dtype=float))
    if np.any(hits < 0) or np.any(hits > n):
        raise ValueError("hits must lie between 0 and n")
    z = -NormalDist().inv_cdf(alpha / 2.0)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    empty = n <= 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return _float_result(low), _float_result(high)


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


def _as_bool(array, what: str) -> np.ndarray:
    a = np.asarray(array)
    if a.dtype == bool:
        return a
    if np.issubdtype(a.dtype, np.integer) and np.isin(a, (0, 1)).all():
        return a.astype(bool)
    raise TypeError(f"{what} must be a boolean array (or of 0/1 integers), not {a.dtype}")


@dataclass(frozen=True, eq=False)
class PropertyMask:
    """How one property applies to one chain of ``L`` residues.

    Attributes
    ----------
    values : numpy.ndarray
        ``shape=(L, L), dtype=bool`` for a property of the pair (``f(i,j)``), or
        ``shape=(L,), dtype=bool`` for a property of the attended residue
        (``f(i,j) = values[j]``).
    valid : numpy.ndarray or None
        ``shape=(L, L), dtype=bool``: the pairs this property is judged on (e.g.
        both residues observed, ``|i - j| >= 6`` for contacts). ``None``: every pair.
        Pairs whose attention is not finite are never considered.

    Examples
    --------
    >>> PropertyMask.residue(np.array([True, False, True])).kind
    'residue'
    """

    values: np.ndarray
    valid: np.ndarray | None = None

    def __post_init__(self) -> None:
        values = _as_bool(self.values, "property values")
        if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[0] != values.shape[1]):
            raise ValueError(f"property values must have shape (L,) or (L, L), not {values.shape}")
        n = values.shape[0]
        valid = self.valid
        if valid is not None:
            valid = _as_bool(valid, "valid")
            if valid.shape != (n, n):
                raise ValueError(f"valid must have shape ({n}, {n}) like the property values, "
                                 f"not {valid.shape}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "valid", valid)

    @classmethod
    def pair(cls, values, valid=None) -> PropertyMask:
        """A property of the pair: ``values`` of ``shape=(L, L), dtype=bool``."""
        values = np.asarray(values)
        if values.ndim != 2:
            raise ValueError(f"a pair property needs values of shape (L, L), not {values.shape}")
        return cls(values, valid)

    @classmethod
    def residue(cls, values, valid=None) -> PropertyMask:
        """A property of the attended residue ``j``: ``values`` of ``shape=(L,), dtype=bool``."""
        values = np.asarray(values)
        if values.ndim != 1:
            raise ValueError(f"a residue property needs values of shape (L,), not {values.shape}")
        return cls(values, valid)

    @property
    def kind(self) -> str:
        """``"pair"`` or ``"residue"``."""
        return "pair" if self.values.ndim == 2 else "residue"

    def __len__(self) -> int:
        return self.values.shape[0]


def _finite(values: np.ndarray) -> np.ndarray:
    """``np.isfinite``, reading float16 through its exponent bits (10x faster)."""
    if values.dtype == np.float16:
        return (values.view(np.uint16) & 0x7C00) != 0x7C00
    return np.isfinite(values)


class _Counts:
    """Sums over chains for one property, ``shape=(layers, heads)`` each."""

    def __init__(self, n_layers: int, n_heads: int) -> None:
        shape = (n_layers, n_heads)
        self.n_arcs = np.zeros(shape, dtype=np.int64)
        self.hits = np.zeros(shape, dtype=np.int64)
        self.mass = np.zeros(shape, dtype=np.float64)
        self.mass_on = np.zeros(shape, dtype=np.float64)
        self.background_pairs = 0
        self.background_hits = 0
        self.n_chains = 0


# ------------------------------------------------------------------- accumulate


class HeadStatsAccumulator:
    """Sums the counts of :class:`HeadStatistics` over the chains of a set.

    Parameters
    ----------
    n_layers, n_heads : int
        Size of the model.
    threshold : float
        θ: arcs with attention strictly above it count (the paper's 0.3).

    Examples
    --------
    >>> acc = HeadStatsAccumulator(1, 1)
    >>> att = np.array([[[[0.5, 0.5], [0.9, 0.1]]]], dtype=np.float32)
    >>> acc.add(att, {"A": PropertyMask.residue(np.array([True, False]))})
    >>> stats = acc.result(min_arcs=1)
    >>> int(stats["A"].n_arcs[0, 0]), int(stats["A"].hits[0, 0]), float(stats["A"].share[0, 0])
    (3, 2, 0.6666666666666666)
    """

    def __init__(self, n_layers: int, n_heads: int, threshold: float = DEFAULT_THRESHOLD) -> None:
        if int(n_layers) < 1 or int(n_heads) < 1:
            raise ValueError(f"a model has at least one layer and one head, not "
                             f"{n_layers} x {n_heads}")
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, not {threshold!r}")
        self.n_layers = int(n_layers)
        self.n_heads = int(n_heads)
        self.threshold = float(threshold)
        self.n_chains = 0
        self._counts: dict[str, _Counts] = {}

    @property
    def properties(self) -> tuple[str, ...]:
        """Property names seen so far, in order of first appearance."""
        return tuple(self._counts)

    def _check(self, attention: np.ndarray, properties: Mapping[str, PropertyMask]
               ) -> dict[str, PropertyMask]:
        expected = (self.n_layers, self.n_heads)
        if attention.ndim != 4 or attention.shape[:2] != expected \
                or attention.shape[2] != attention.shape[3]:
            raise ValueError(f"attention must have shape (layers, heads, L, L) = "
                             f"({self.n_layers}, {self.n_heads}, L, L), not {attention.shape}")
        if not np.issubdtype(attention.dtype, np.floating):
            raise TypeError(f"attention must be floating point, not {attention.dtype}")
        n = attention.shape[-1]
        masks = {}
        for name, mask in properties.items():
            if not isinstance(mask, PropertyMask):
                mask = PropertyMask(mask)
            if len(mask) != n:
                raise ValueError(f"property {name!r} is for {len(mask)} residues, but the "
                                 f"attention is for {n}")
            masks[str(name)] = mask
        return masks

    def add(self, attention: np.ndarray, properties: Mapping[str, PropertyMask]) -> None:
        """Add the counts of one chain.

        Parameters
        ----------
        attention : numpy.ndarray
            ``shape=(layers, heads, L, L)``, floating point (float16/32/64); rows are
            the attending residues. ``NaN`` (not covered) pairs never count. Read one
            head at a time; never copied whole.
        properties : mapping of str to PropertyMask
            The properties of this chain (a bare array is taken as
            ``PropertyMask(values)``). A property missing from a chain simply gets
            no counts from it.
        """
        attention = np.asarray(attention)
        masks = self._check(attention, properties)
        self.n_chains += 1
        for name in masks:
            if name not in self._counts:
                self._counts[name] = _Counts(self.n_layers, self.n_heads)
            self._counts[name].n_chains += 1
        n = attention.shape[-1]
        if n == 0 or not masks:
            return

        covered = np.ones((n, n), dtype=bool)
        for layer in attention:
            for head in layer:
                np.logical_and(covered, _finite(head), out=covered)
        uncovered = None if covered.all() else ~covered

        # Properties sharing a `valid` array share its considered pairs.
        groups: dict[int, tuple[np.ndarray, list]] = {}
        for name, mask in masks.items():
            key = id(mask.valid) if mask.valid is not None else 0
            if key not in groups:
                considered = covered if mask.valid is None else covered & mask.valid
                groups[key] = (considered, [])
            considered, members = groups[key]
            counts = self._counts[name]
            if mask.kind == "residue":
                per_column = np.count_nonzero(considered, axis=0)
                counts.background_hits += int(per_column @ mask.values.astype(np.int64))
                members.append((counts, "residue", mask.values.astype(np.int64),
                                mask.values.astype(np.float64)))
            else:
                counts.background_hits += int(np.count_nonzero(considered & mask.values))
                members.append((counts, "pair", mask.values, None))
            counts.background_pairs += int(np.count_nonzero(considered))
        groups_list = list(groups.values())

        weights = np.empty((n, n), dtype=np.float64)
        product = np.empty((n, n), dtype=np.float64)
        high = np.empty((n, n), dtype=bool)
        high_considered = np.empty((n, n), dtype=bool)
        any_pair = any(mask.kind == "pair" for mask in masks.values())
        product_on = np.empty((n, n), dtype=np.float64) if any_pair else None
        high_on = np.empty((n, n), dtype=bool) if any_pair else None
        # θ rounded to the attention's precision: comparing there, as PyTorch's
        # `attn > 0.3` does (exact in float64, and faster than in float16)
        threshold = float(attention.dtype.type(self.threshold))
        for li, layer in enumerate(attention):
            for hi, head in enumerate(layer):
                np.copyto(weights, head)
                if uncovered is not None:
                    weights[uncovered] = 0.0
                np.greater(weights, threshold, out=high)
                for considered, members in groups_list:
                    np.multiply(weights, considered, out=product)
                    np.logical_and(high, considered, out=high_considered)
                    column_mass = product.sum(axis=0)
                    column_arcs = np.add.reduce(high_considered.view(np.uint8), axis=0,
                                                dtype=np.int64)
                    mass = float(column_mass.sum())
                    arcs = int(column_arcs.sum())
                    for counts, kind, values, values_float in members:
                        counts.n_arcs[li, hi] += arcs
                        counts.mass[li, hi] += mass
                        if kind == "residue":
                            counts.hits[li, hi] += int(column_arcs @ values)
                            counts.mass_on[li, hi] += float(column_mass @ values_float)
                        else:
                            np.logical_and(high_considered, values, out=high_on)
                            counts.hits[li, hi] += int(np.count_nonzero(high_on))
                            np.multiply(product, values, out=product_on)
                            counts.mass_on[li, hi] += float(product_on.sum())

    def result(self, min_arcs: int = 100, alpha: float = 0.05) -> HeadStatistics:
        """Shares, intervals and tests from the counts so far.

        Parameters
        ----------
        min_arcs : int
            Heads with fewer high-confidence arcs (for a property) are flagged
            (``enough_arcs`` False).
        alpha : float
            Family-wise error rate; intervals are at ``1 - alpha / (layers·heads)``.

        Returns
        -------
        HeadStatistics
        """
        if int(min_arcs) != min_arcs or min_arcs < 0:
            raise ValueError(f"min_arcs must be a non-negative integer, not {min_arcs!r}")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
        per_head = alpha / (self.n_layers * self.n_heads)
        stats = {}
        for name, c in self._counts.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(c.n_arcs > 0, c.hits / c.n_arcs, np.nan)
                weighted = np.where(c.mass > 0, c.mass_on / c.mass, np.nan)
            low, high = wilson_interval(c.hits, c.n_arcs, per_head)
            z, p = two_proportion_z(c.hits, c.n_arcs, c.background_hits, c.background_pairs)
            stats[name] = PropertyStats(
                name=name, n_arcs=c.n_arcs.copy(), hits=c.hits.copy(), share=share,
                weighted_share=weighted, ci_low=low, ci_high=high, z=z, p_value=p,
                enough_arcs=c.n_arcs >= min_arcs, attention_mass=c.mass.copy(),
                attention_on_property=c.mass_on.copy(),
                background=(c.background_hits / c.background_pairs if c.background_pairs
                            else math.nan),
                background_hits=c.background_hits, background_pairs=c.background_pairs,
                n_chains=c.n_chains,
            )
        return HeadStatistics(tuple(stats), self.n_layers, self.n_heads, self.threshold,
                              int(min_arcs), float(alpha), self.n_chains, stats)


# ----------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class PropertyStats:
    """The statistics of one property; arrays are ``shape=(layers, heads)``, 0-based.

    Attributes
    ----------
    name : str
    n_arcs, hits : numpy.ndarray
        ``dtype=int64``: high-confidence arcs, and those with the property.
    share, weighted_share : numpy.ndarray
        ``dtype=float``: ``hits / n_arcs`` and ``attention_on_property / attention_mass``
        (NaN where undefined).
    ci_low, ci_high : numpy.ndarray
        ``dtype=float``: Bonferroni-corrected Wilson interval of ``share``.
    z, p_value : numpy.ndarray
        ``dtype=float``: two-proportion z-test of ``share`` against ``background``.
    enough_arcs : numpy.ndarray
        ``dtype=bool``: ``n_arcs >= min_arcs``.
    attention_mass, attention_on_property : numpy.ndarray
        ``dtype=float``: ``Σ α_ij`` and ``Σ f(i,j)·α_ij`` over considered pairs.
    background : float
        ``background_hits / background_pairs`` (NaN without considered pairs).
    background_hits, background_pairs : int
    n_chains : int
        Chains that had this property.
    """

    name: str
    n_arcs: np.ndarray
    hits: np.ndarray
    share: np.ndarray
    weighted_share: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    enough_arcs: np.ndarray
    attention_mass: np.ndarray
    attention_on_property: np.ndarray
    background: float
    background_hits: int
    background_pairs: int
    n_chains: int = 0


def _num(value: float, digits: int = 6) -> float | None:
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else None


def _masked_mean(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    keep = keep & np.isfinite(values)
    count = keep.sum(axis=1)
    total = np.where(keep, values, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


@dataclass(frozen=True, eq=False)
class HeadStatistics:
    """Per-head statistics of each property over a set of chains.

    Attributes
    ----------
    properties : tuple of str
    n_layers, n_heads : int
    threshold : float
        θ.
    min_arcs : int
    alpha : float
        Family-wise error rate of the intervals.
    n_chains : int
        Chains added.
    stats : mapping of str to PropertyStats
        Also reachable as ``statistics[name]``.

    Layers and heads are 0-based in the arrays and 1-based in rows (``"7-1"``).
    """

    properties: tuple[str, ...]
    n_layers: int
    n_heads: int
    threshold: float
    min_arcs: int
    alpha: float
    n_chains: int
    stats: Mapping[str, PropertyStats] = field(repr=False)

    def __getitem__(self, prop: str) -> PropertyStats:
        try:
            return self.stats[prop]
        except KeyError:
            raise KeyError(f"no statistics for property {prop!r}; there are: "
                           f"{', '.join(self.properties) or 'none'}") from None

    @property
    def alpha_per_head(self) -> float:
        """Bonferroni level of each head's interval: ``alpha / (layers·heads)``."""
        return self.alpha / (self.n_layers * self.n_heads)

    def layer_profile(self, prop: str, weighted: bool = False,
                      min_arcs_only: bool = False) -> np.ndarray:
        """Mean over the heads of each layer of ``share`` (or ``weighted_share``).

        Heads where the value is undefined (no arcs, or no attention mass) are left
        out of the mean, and so are heads without enough arcs if ``min_arcs_only``.

        Returns
        -------
        numpy.ndarray
            ``shape=(layers,), dtype=float``; NaN for a layer with no head left.
        """
        s = self[prop]
        values = s.weighted_share if weighted else s.share
        keep = s.enough_arcs if min_arcs_only else np.ones_like(s.enough_arcs)
        return _masked_mean(values, keep)

    def center_of_gravity(self, prop: str, weighted: bool = True) -> float:
        """Centre of gravity of a property across layers (1-based).

        ``Σ_l l·w_l / Σ_l w_l`` with ``w_l = layer_profile(prop, weighted)[l - 1]``:
        by default the mean over the layer's heads of the attention-weighted share.
        Layers where ``w_l`` is NaN weigh nothing; NaN if no layer weighs anything.
        """
        w = self.layer_profile(prop, weighted=weighted)
        ok = np.isfinite(w)
        total = w[ok].sum()
        if total <= 0:
            return math.nan
        layers = np.arange(1, self.n_layers + 1)
        return float((layers[ok] * w[ok]).sum() / total)

    def _row(self, s: PropertyStats, layer: int, head: int) -> dict:
        return {
            "property": s.name,
            "layer_head": f"{layer + 1}-{head + 1}",
            "layer": layer + 1,
            "head": head + 1,
            "n_arcs": int(s.n_arcs[layer, head]),
            "hits": int(s.hits[layer, head]),
            "share": _num(s.share[layer, head]),
            "weighted_share": _num(s.weighted_share[layer, head]),
            "ci_low": _num(s.ci_low[layer, head]),
            "ci_high": _num(s.ci_high[layer, head]),
            "background": _num(s.background),
            "z": _num(s.z[layer, head]),
            "p_value": _num(s.p_value[layer, head]),
            "enough_arcs": bool(s.enough_arcs[layer, head]),
        }

    def ranking(self, prop: str, by: str = "share", min_arcs_only: bool = True) -> list[dict]:
        """Heads ranked by ``by``, best (largest) first; rows as in :meth:`rows`.

        Parameters
        ----------
        prop : str
        by : {"share", "weighted_share", "ci_low", "z", "n_arcs"}
            ``ci_low`` ranks by the conservative end of the interval.
        min_arcs_only : bool
            Leave out heads flagged for too few arcs.

        Heads whose value is undefined come last; ties go to the lower layer, then head.
        """
        if by not in _RANK_BY:
            raise ValueError(f"by must be one of {', '.join(_RANK_BY)}, not {by!r}")
        s = self[prop]
        values = np.asarray(getattr(s, by), dtype=float)
        layer, head = np.divmod(np.arange(self.n_layers * self.n_heads), self.n_heads)
        flat = values.ravel()
        undefined = ~np.isfinite(flat)
        order = np.lexsort((head, layer, np.where(undefined, 0.0, -flat), undefined))
        if min_arcs_only:
            order = order[s.enough_arcs.ravel()[order]]
        return [self._row(s, int(layer[k]), int(head[k])) for k in order]

    def rows(self) -> list[dict]:
        """One JSON-ready row per (property, layer, head): keys :data:`ROW_FIELDS`.

        Layers and heads 1-based; floats to 6 significant digits; NaN as ``None``.
        """
        return [self._row(self.stats[p], layer, head) for p in self.properties
                for layer in range(self.n_layers) for head in range(self.n_heads)]

    def to_json(self) -> str:
        """The statistics as JSON: settings, each property's background, layer profile
        and centre of gravity, and :meth:`rows`."""
        document = {
            "n_layers": self.n_layers,
            "n_heads": self.n_heads,
            "n_chains": self.n_chains,
            "threshold": self.threshold,
            "min_arcs": self.min_arcs,
            "alpha": self.alpha,
            "alpha_per_head": self.alpha_per_head,
            "properties": {
                p: {
                    "background": _num(self.stats[p].background),
                    "background_hits": self.stats[p].background_hits,
                    "background_pairs": self.stats[p].background_pairs,
                    "n_chains": self.stats[p].n_chains,
                    "layer_profile": [_num(v) for v in self.layer_profile(p)],
                    "layer_profile_weighted": [_num(v) for v in
                                               self.layer_profile(p, weighted=True)],
                    "center_of_gravity": _num(self.center_of_gravity(p)),
                }
                for p in self.properties
            },
            "rows": self.rows(),
        }
        return json.dumps(document, indent=1, allow_nan=False)

    def to_csv(self, fh: TextIO) -> None:
        """Write :meth:`rows` as CSV (header :data:`ROW_FIELDS`; ``None`` as empty)."""
        writer = csv.DictWriter(fh, fieldnames=ROW_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
