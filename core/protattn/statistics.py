"""Per-head agreement of attention with a property of residue pairs, over a set of chains.

For a head α, a property ``f`` and the high-confidence threshold θ (0.3), the
share of the head's high-confidence attention that lands on the property,

    p_α(f) = Σ_x Σ_ij f(i,j)·1[α_ij ≥ θ] / Σ_x Σ_ij 1[α_ij ≥ θ]

(Vig et al. 2021, eq. 1), summed over the chains ``x`` of a set, against the
background frequency of ``f``. A property is either of the pair (``f(i,j) =
contact[i,j]``) or of the attended residue (``f(i,j) = g(j)``: binding site,
secondary structure, amino acid; rows of the attention are the attending
residues ``i``). Counts are summed over the set first; shares, intervals and
tests are computed once at the end. Two definitions differ in which pairs and
which rules they use (:data:`DEFINITIONS`):

``"paper"`` (the default): the paper's own analysis code (salesforce/provis,
``compute_edge_features.py``, ``background.py``, ``report_top_heads.py``,
``report_edge_features_combined.py``), rule for rule, so that a share can be set
beside the paper's figures:

- ``n_arcs = Σ 1[α_ij ≥ θ]`` over *every* pair of the chain: the diagonal,
  ``|i − j| < 6`` and unobserved residues included (``≥``, compared in the
  attention's own precision as PyTorch's ``attn >= 0.3`` is);
- ``hits = Σ f(i,j)·1[α_ij ≥ θ]``; ``f`` is false wherever the property is not
  judged (a contact needs ``|i − j| ≥ 6`` and both residues observed);
- ``background``: a pair property's frequency over the pairs it is judged on
  (the paper's contact background, over ProteinNet's valid pairs); a residue
  property's frequency over the residues (the paper's binding-site background
  is a per-residue count);
- ``enough_arcs = n_arcs > min_arcs`` (more than 100 arcs): heads kept in rankings
  and counted by the Bonferroni correction;
- ``ci_low, ci_high``: normal (Wald) interval of ``share``, clipped to [0, 1], at
  level ``1 − alpha / m``, ``m`` the number of heads with ``enough_arcs``
  (statsmodels' ``proportion_confint(method="normal")``);
- ``z, p_value``: ``proportions_ztest([background_hits, hits],
  [background_pairs, n_arcs])``: background minus head, so a head that favours
  the property has a *negative* z, as in the paper's code;
- ties in a ranking go to the higher layer, then the higher head (the paper
  sorts ``(share, layer, head)`` tuples in reverse);
- layer profile: the mean share of the layer's heads with ``n_arcs ≥ min_arcs``
  (the paper's combined figure masks heads below 100 arcs), and its centre of
  gravity ``Σ_l l·w_l / Σ_l w_l``, here 1-based (the paper's code counts layers
  from 0: its value is this one minus 1).

What :func:`protattn.analysis.head_statistics` adds for this definition: chains
are truncated to the model's limit as the paper's code truncates them (510
residues, 512 tokens less two special tokens) instead of windowed. What differs
from the paper by necessity: the background is counted over the chains analysed,
not over a whole training set.

``"judged"``: share and background judged on the same pairs, the pairs on which
the property is defined:

- considered pairs of a chain: ``valid[i,j]`` (the property's own mask, all pairs
  if not given) and the attention of ``(i,j)`` finite in every layer and head
  (``NaN`` = not covered by any window; a pair uncovered anywhere is dropped for
  every head, so every head and the background are judged on the same pairs);
- ``n_arcs = Σ 1[α_ij > θ]`` over considered pairs (strictly greater; a weight
  equal to θ is a tie and does not count), ``hits = Σ f(i,j)·1[α_ij > θ]``;
- ``background = Σ f(i,j) / N`` over the ``N = background_pairs`` considered pairs
  (for a residue property, the pair-weighted frequency of ``g(j)``);
- ``enough_arcs = n_arcs >= min_arcs``;
- ``ci_low, ci_high``: Wilson score interval of ``share`` at level ``1 − α'``,
  Bonferroni-corrected over every head of the model, ``α' = alpha / (layers·heads)``
  (:func:`wilson_interval`; statsmodels' ``proportion_confint(method="wilson")``);
- ``z, p_value``: two-sided two-proportion z-test of head minus background
  with pooled variance (:func:`two_proportion_z`; ``proportions_ztest``). The
  head's arcs are themselves among the background pairs, so the two samples
  overlap: read ``z`` as a standardised effect size more than as an exact test;
- layer profile and centre of gravity: from the attention-weighted share
  (``weighted_share``) of every head.

In both, ``share = hits / n_arcs`` (NaN when ``n_arcs = 0``), ``weighted_share =
Σ f(i,j)·α_ij / Σ α_ij`` (no threshold) over the pairs counted, and ``p_value``
is not corrected: compare it with :attr:`PropertyStats.alpha_per_head`.

Attention is consumed one layer at a time and, within it, one head at a time
in its own precision (never a copy of the whole array), so
:meth:`HeadStatsAccumulator.add` needs a few ``(L, L)`` buffers beyond its input,
whatever the number of layers; :meth:`HeadStatsAccumulator.chain` takes the layers
as a forward pass computes them.
"""

from __future__ import annotations

import base64
import binascii
import csv
import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TextIO

import numpy as np

__all__ = [
    "DEFINITIONS",
    "DEFAULT_DEFINITION",
    "PropertyMask",
    "PropertyStats",
    "HeadStatistics",
    "HeadStatsAccumulator",
    "ChainCounter",
    "wald_interval",
    "wilson_interval",
    "two_proportion_z",
    "check_definition",
]

#: High-confidence attention threshold θ of the paper.
DEFAULT_THRESHOLD = 0.3

#: The definitions of the statistics (see the module documentation).
DEFINITIONS = ("paper", "judged")
#: The one every front end uses unless told otherwise: the paper's own.
DEFAULT_DEFINITION = "paper"

#: Keys of each row of :meth:`HeadStatistics.rows` and :meth:`HeadStatistics.ranking`.
ROW_FIELDS = ("property", "layer_head", "layer", "head", "n_arcs", "hits", "share",
              "weighted_share", "ci_low", "ci_high", "background", "z", "p_value",
              "enough_arcs", "definition")

_RANK_BY = ("share", "weighted_share", "ci_low", "z", "n_arcs")
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


def _interval(centre: np.ndarray, half: np.ndarray, n: np.ndarray
              ) -> tuple[np.ndarray | float, np.ndarray | float]:
    """``centre ∓ half`` clipped to [0, 1]; NaN where ``n = 0``."""
    empty = n <= 0
    low = np.where(empty, np.nan, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half, 0.0, 1.0))
    return _float_result(low), _float_result(high)


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
    hits, n, z = _proportion(hits, n, alpha)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        return _interval(centre, half, n)


def check_definition(definition: str) -> str:
    """``definition`` if it is one of :data:`DEFINITIONS`; else a ValueError saying which are."""
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {', '.join(DEFINITIONS)}, not "
                         f"{definition!r}")
    return definition


def wald_interval(hits, n, alpha: float = 0.05) -> tuple[np.ndarray | float,
                                                         np.ndarray | float]:
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
    background_from : PropertyMask or None
        Under the paper's definition, the mask whose frequency is the background
        (of a chain longer than the model's input, the paper's code counts a few
        more residues than the attention covers: :meth:`truncated`). ``None``: this
        mask itself.

    Examples
    --------
    >>> PropertyMask.residue(np.array([True, False, True])).kind
    'residue'
    """

    values: np.ndarray
    valid: np.ndarray | None = None
    background_from: PropertyMask | None = None

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

    def to_message(self) -> dict:
        """The mask as JSON-ready data (bits packed, base64), for the worker protocol."""
        def bits(array: np.ndarray | None) -> dict | None:
            if array is None:
                return None
            packed = np.packbits(np.ascontiguousarray(array, dtype=bool))
            return {"shape": list(array.shape),
                    "base64": base64.b64encode(packed.tobytes()).decode("ascii")}
        return {"values": bits(self.values), "valid": bits(self.valid),
                "background_from": (None if self.background_from is None
                                    else self.background_from.to_message())}

    @classmethod
    def from_message(cls, message: Mapping) -> PropertyMask:
        """The mask of :meth:`to_message`.

        Raises
        ------
        ValueError
            If the message is not such a mask.
        """
        def bits(part: Mapping | None) -> np.ndarray | None:
            if part is None:
                return None
            shape = tuple(int(k) for k in part["shape"])
            raw = np.frombuffer(base64.b64decode(part["base64"], validate=True), np.uint8)
            size = math.prod(shape)
            if raw.size != (size + 7) // 8:
                raise ValueError(f"a mask of shape {shape} needs {(size + 7) // 8} bytes, "
                                 f"not {raw.size}")
            return np.unpackbits(raw, count=size).astype(bool).reshape(shape)
        try:
            background = message.get("background_from")
            return cls(bits(message["values"]), bits(message.get("valid")),
                       None if background is None else cls.from_message(background))
        except (KeyError, TypeError, binascii.Error) as e:
            raise ValueError(f"not a property mask message ({type(e).__name__}: {e})") from None

    def _first(self, n: int) -> PropertyMask:
        values = self.values[:n] if self.kind == "residue" else self.values[:n, :n]
        return PropertyMask(values, None if self.valid is None else self.valid[:n, :n])

    def truncated(self, n: int) -> PropertyMask:
        """The property of the first ``n`` residues (a chain cut as the model's input is).

        Its background (paper's definition) is that of the first ``n + 1`` residues
        for a residue property and of the pairs among the first ``n + 2`` for a pair
        property, as in the paper's ``background.py``: it cuts labels to 512 entries
        (the model's 510 residues plus 2), and a residue label array begins with the
        start token's padding, so 511 residues remain.

        Examples
        --------
        >>> cut = PropertyMask.residue(np.array([True, False, False, True])).truncated(2)
        >>> len(cut), len(cut.background_from)
        (2, 3)
        """
        extra = 1 if self.kind == "residue" else 2
        return dataclasses.replace(self._first(n), background_from=self._first(n + extra))


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
        θ (the paper's 0.3): arcs with attention of at least θ count under the
        paper's definition, strictly above it under ``"judged"``.
    definition : {"paper", "judged"}
        Which pairs and rules (see the module documentation).

    Examples
    --------
    >>> acc = HeadStatsAccumulator(1, 1)
    >>> att = np.array([[[[0.5, 0.5], [0.9, 0.1]]]], dtype=np.float32)
    >>> acc.add(att, {"A": PropertyMask.residue(np.array([True, False]))})
    >>> stats = acc.result(min_arcs=1)
    >>> int(stats["A"].n_arcs[0, 0]), int(stats["A"].hits[0, 0]), float(stats["A"].share[0, 0])
    (3, 2, 0.6666666666666666)
    """

    def __init__(self, n_layers: int, n_heads: int, threshold: float = DEFAULT_THRESHOLD,
                 definition: str = DEFAULT_DEFINITION) -> None:
        if int(n_layers) < 1 or int(n_heads) < 1:
            raise ValueError(f"a model has at least one layer and one head, not "
                             f"{n_layers} x {n_heads}")
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, not {threshold!r}")
        self.n_layers = int(n_layers)
        self.n_heads = int(n_heads)
        self.threshold = float(threshold)
        self.definition = check_definition(definition)
        self.n_chains = 0
        self._counts: dict[str, _Counts] = {}

    @property
    def properties(self) -> tuple[str, ...]:
        """Property names seen so far, in order of first appearance."""
        return tuple(self._counts)

    def _check_masks(self, n: int, properties: Mapping[str, PropertyMask]
                     ) -> dict[str, PropertyMask]:
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
        expected = (self.n_layers, self.n_heads)
        if attention.ndim != 4 or attention.shape[:2] != expected \
                or attention.shape[2] != attention.shape[3]:
            raise ValueError(f"attention must have shape (layers, heads, L, L) = "
                             f"({self.n_layers}, {self.n_heads}, L, L), not {attention.shape}")
        n = attention.shape[-1]
        covered = None
        if self.definition == "judged" and n:
            covered = np.ones((n, n), dtype=bool)
            for layer in attention:
                for head in layer:
                    np.logical_and(covered, _finite(head), out=covered)
        self.count(attention, properties, covered)

    def count(self, attention: np.ndarray, properties: Mapping[str, PropertyMask],
              covered: np.ndarray | None = None) -> ChainCounter:
        """:meth:`add`, returning the chain's closed counter (for :meth:`add_chain` later)."""
        counter = self.chain(attention.shape[-1], properties, covered)
        for li, layer in enumerate(attention):
            counter.add_layer(li, layer)
        counter.close()
        return counter

    def chain(self, n_residues: int, properties: Mapping[str, PropertyMask],
              covered: np.ndarray | None = None) -> ChainCounter:
        """Count one chain layer by layer, as a forward pass computes its attention.

        Parameters
        ----------
        n_residues : int
            ``L``.
        properties : mapping of str to PropertyMask
            As for :meth:`add`.
        covered : numpy.ndarray, optional
            ``shape=(L, L), dtype=bool``: the pairs every layer and head has
            attention for (``"judged"``: the others are never considered). ``None``:
            every pair (one pass of the model covers them all).

        Returns
        -------
        ChainCounter
            Give it each layer (:meth:`ChainCounter.add_layer`), then
            :meth:`ChainCounter.close`: only then do the chain's counts join the
            accumulator, so a chain whose pass fails midway adds nothing.
        """
        return ChainCounter(self, int(n_residues), self._check_masks(int(n_residues), properties),
                            covered)

    def add_chain(self, counter: ChainCounter) -> None:
        """Add the counts of a chain counted before (a closed :class:`ChainCounter`).

        The same counter may be added to several accumulators, or again: its counts
        are read, not moved.

        Raises
        ------
        ValueError
            If the counter is not closed, or was made by an accumulator of another
            size, threshold or definition.
        """
        source = counter._acc
        if not counter.closed:
            raise ValueError("close the chain's counter before adding it")
        if (source.n_layers, source.n_heads, source.threshold, source.definition) != \
                (self.n_layers, self.n_heads, self.threshold, self.definition):
            raise ValueError("the chain was counted for another model size, threshold or "
                             "definition")
        self.n_chains += 1
        for name, local in counter.counts.items():
            counts = self._counts.setdefault(name, _Counts(self.n_layers, self.n_heads))
            counts.n_chains += 1
            counts.n_arcs += local.n_arcs
            counts.hits += local.hits
            counts.mass += local.mass
            counts.mass_on += local.mass_on
            counts.background_hits += local.background_hits
            counts.background_pairs += local.background_pairs


    def result(self, min_arcs: int = 100, alpha: float = 0.05) -> HeadStatistics:
        """Shares, intervals and tests from the counts so far.

        Parameters
        ----------
        min_arcs : int
            Heads with too few high-confidence arcs for a property are flagged
            (``enough_arcs`` False): ``n_arcs <= min_arcs`` under the paper's
            definition (it keeps heads with more than 100), ``n_arcs < min_arcs``
            under ``"judged"``.
        alpha : float
            Family-wise error rate of the intervals: each is at ``1 - alpha / m``,
            ``m`` the heads with enough arcs (paper) or every head (judged).

        Returns
        -------
        HeadStatistics
        """
        if int(min_arcs) != min_arcs or min_arcs < 0:
            raise ValueError(f"min_arcs must be a non-negative integer, not {min_arcs!r}")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
        paper = self.definition == "paper"
        stats = {}
        for name, c in self._counts.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(c.n_arcs > 0, c.hits / c.n_arcs, np.nan)
                weighted = np.where(c.mass > 0, c.mass_on / c.mass, np.nan)
            if paper:
                enough = c.n_arcs > min_arcs
                per_head = alpha / max(int(enough.sum()), 1)
                low, high = wald_interval(c.hits, c.n_arcs, per_head)
                z, p = two_proportion_z(c.background_hits, c.background_pairs, c.hits, c.n_arcs)
            else:
                enough = c.n_arcs >= min_arcs
                per_head = alpha / (self.n_layers * self.n_heads)
                low, high = wilson_interval(c.hits, c.n_arcs, per_head)
                z, p = two_proportion_z(c.hits, c.n_arcs, c.background_hits, c.background_pairs)
            stats[name] = PropertyStats(
                name=name, n_arcs=c.n_arcs.copy(), hits=c.hits.copy(), share=share,
                weighted_share=weighted, ci_low=low, ci_high=high, z=z, p_value=p,
                enough_arcs=enough, attention_mass=c.mass.copy(),
                attention_on_property=c.mass_on.copy(),
                background=(c.background_hits / c.background_pairs if c.background_pairs
                            else math.nan),
                background_hits=c.background_hits, background_pairs=c.background_pairs,
                n_chains=c.n_chains, alpha_per_head=per_head,
            )
        return HeadStatistics(tuple(stats), self.n_layers, self.n_heads, self.threshold,
                              int(min_arcs), float(alpha), self.n_chains, stats,
                              self.definition)


@dataclass
class LayerSums:
    """One layer's reductions for one group of properties (see :attr:`ChainCounter.plan`).

    Attributes
    ----------
    arcs, mass : numpy.ndarray
        ``shape=(heads,)``: arcs and total weight on the group's considered pairs.
    hits, mass_on : numpy.ndarray
        ``shape=(heads, P)``: arcs and weight on each residue property.
    pair_hits, pair_mass : numpy.ndarray
        ``shape=(heads, Q)``: arcs and weight on each pair property.
    """

    arcs: np.ndarray
    mass: np.ndarray
    hits: np.ndarray
    mass_on: np.ndarray
    pair_hits: np.ndarray
    pair_mass: np.ndarray

    @classmethod
    def zeros(cls, n_heads: int, n_residue: int, n_pair: int) -> LayerSums:
        return cls(np.zeros(n_heads, np.int64), np.zeros(n_heads),
                   np.zeros((n_heads, n_residue), np.int64), np.zeros((n_heads, n_residue)),
                   np.zeros((n_heads, n_pair), np.int64), np.zeros((n_heads, n_pair)))


class ChainCounter:
    """The counts of one chain, fed one layer at a time (:meth:`HeadStatsAccumulator.chain`).

    Each layer is read one head at a time, in its own precision, with a few
    ``(L, L)`` buffers whatever the number of heads.
    """

    def __init__(self, accumulator: HeadStatsAccumulator, n: int,
                 masks: dict[str, PropertyMask], covered: np.ndarray | None) -> None:
        self._acc = accumulator
        self.n = n
        self.counts = {name: _Counts(accumulator.n_layers, accumulator.n_heads)
                       for name in masks}
        self._seen = np.zeros(accumulator.n_layers, dtype=bool)
        self._closed = False
        self._paper = accumulator.definition == "paper"
        if covered is not None:
            covered = _as_bool(covered, "covered")
            if covered.shape != (n, n):
                raise ValueError(f"covered must have shape ({n}, {n}), not {covered.shape}")
        self._uncovered = None if covered is None or covered.all() else ~covered
        if n == 0 or not masks:
            self._groups: list = []
            return
        if self._paper:
            self._groups = [self._paper_group(masks)]
        else:
            self._groups = self._judged_groups(masks, covered)
        self._high = np.empty((n, n), dtype=bool)
        self._high_considered = np.empty((n, n), dtype=bool)
        self._product = np.empty((n, n), dtype=np.float32)  # in the layer's dtype

    @staticmethod
    def _group(considered: np.ndarray | None, residue: list, pair: list) -> tuple:
        """What one set of considered pairs needs per head: residue properties stacked as
        ``(L, P)`` matrices (one product per head for all of them), pair properties as
        the indices of their (considered) pairs."""
        counts = [c for c, _ in residue]
        values = (np.stack([v for _, v in residue], axis=1) if residue
                  else np.zeros((0, 0), dtype=bool))
        return (considered, counts, values.astype(np.int64), values.astype(np.float64),
                [(c, np.nonzero(v)) for c, v in pair])

    def _paper_group(self, masks: dict[str, PropertyMask]) -> tuple:
        """Every pair's arc counts; the property is false where it is not judged."""
        residue, pair = [], []
        for name, mask in masks.items():
            counts = self.counts[name]
            of = mask.background_from or mask
            if mask.kind == "residue":
                counts.background_hits += int(np.count_nonzero(of.values))
                counts.background_pairs += len(of)
                residue.append((counts, mask.values))
            else:
                counts.background_hits += int(np.count_nonzero(
                    of.values if of.valid is None else of.values & of.valid))
                counts.background_pairs += (len(of) ** 2 if of.valid is None
                                            else int(np.count_nonzero(of.valid)))
                pair.append((counts, mask.values if mask.valid is None
                             else mask.values & mask.valid))
        return self._group(None, residue, pair)

    def _judged_groups(self, masks: dict[str, PropertyMask], covered: np.ndarray | None
                       ) -> list:
        """Only considered pairs count: the property's valid pairs, covered by the model."""
        n = self.n
        if covered is None:
            covered = np.ones((n, n), dtype=bool)
        # Properties sharing a `valid` array share its considered pairs.
        groups: dict[int, tuple[np.ndarray, list, list]] = {}
        for name, mask in masks.items():
            key = id(mask.valid) if mask.valid is not None else 0
            if key not in groups:
                considered = covered if mask.valid is None else covered & mask.valid
                groups[key] = (considered, [], [])
            considered, residue, pair = groups[key]
            counts = self.counts[name]
            if mask.kind == "residue":
                per_column = np.count_nonzero(considered, axis=0)
                counts.background_hits += int(per_column @ mask.values.astype(np.int64))
                residue.append((counts, mask.values))
            else:
                counts.background_hits += int(np.count_nonzero(considered & mask.values))
                pair.append((counts, considered & mask.values))
            counts.background_pairs += int(np.count_nonzero(considered))
        return [self._group(None if considered.all() else considered, residue, pair)
                for considered, residue, pair in groups.values()]

    def add_layer(self, index: int, layer: np.ndarray, finite: bool = False) -> None:
        """Count one layer's attention.

        Parameters
        ----------
        index : int
            The layer, 0-based; each once.
        layer : numpy.ndarray
            ``shape=(heads, L, L)``, floating point; ``NaN`` pairs never count.
            Read in its own precision, one head at a time.
        finite : bool
            The caller knows the layer holds no ``NaN`` (one pass of a model, no
            windows): the check for it is skipped.
        """
        acc = self._acc
        layer = np.asarray(layer)
        if self._closed:
            raise ValueError("this chain is closed; start another with accumulator.chain()")
        if not 0 <= int(index) < acc.n_layers or self._seen[index]:
            raise ValueError(f"layer index {index} is out of range 0-{acc.n_layers - 1} "
                             "or was given twice")
        if layer.shape != (acc.n_heads, self.n, self.n):
            raise ValueError(f"a layer must have shape (heads, L, L) = ({acc.n_heads}, "
                             f"{self.n}, {self.n}), not {layer.shape}")
        if not np.issubdtype(layer.dtype, np.floating):
            raise TypeError(f"attention must be floating point, not {layer.dtype}")
        self._seen[index] = True
        if not self._groups:
            return
        high = self._high
        if self._product.dtype != layer.dtype:  # float16 or float64 attention
            self._product = np.empty(self._product.shape, dtype=layer.dtype)
        # θ rounded to the attention's precision: comparing there, as PyTorch's
        # `attn >= 0.3` does
        threshold = layer.dtype.type(acc.threshold)
        compare = np.greater_equal if self._paper else np.greater
        has_nan = not finite and not np.isfinite(np.add.reduce(layer, axis=None,
                                                                dtype=np.float64))
        n_heads = layer.shape[0]
        sums = [LayerSums.zeros(n_heads, len(r), len(p)) for _, r, _, _, p in self._groups]
        for hi, head in enumerate(layer):
            if has_nan:  # NaN (not covered) is never an arc and weighs nothing
                head = np.where(np.isnan(head), 0, head)
            if self._uncovered is not None:
                head = np.where(self._uncovered, 0, head)
            compare(head, threshold, out=high)
            for (considered, residue, values, values_float, pairs), total in zip(self._groups,
                                                                                  sums):
                if considered is None:
                    weights, chosen = head, high
                else:
                    weights, chosen = self._product, self._high_considered
                    np.multiply(head, considered, out=weights)
                    np.logical_and(high, considered, out=chosen)
                column_arcs = np.add.reduce(chosen.view(np.uint8), axis=0, dtype=np.int64)
                column_mass = np.add.reduce(weights, axis=0, dtype=np.float64)
                total.arcs[hi] = column_arcs.sum()
                total.mass[hi] = column_mass.sum()
                if residue:
                    total.hits[hi] = column_arcs @ values
                    total.mass_on[hi] = column_mass @ values_float
                for k, (_, where) in enumerate(pairs):
                    total.pair_hits[hi, k] = np.count_nonzero(chosen[where])
                    total.pair_mass[hi, k] = np.add.reduce(weights[where], dtype=np.float64)
        self._add(int(index), sums)

    @property
    def plan(self) -> list[tuple]:
        """What a layer is reduced to, per group of properties judged on the same pairs.

        One tuple per group: ``(considered, residue values, pair indices)`` with
        ``considered`` the ``(L, L)`` bool mask of the pairs that count (None: all),
        ``residue values`` an ``(L, P)`` int64 matrix (one column per residue
        property) and ``pair indices`` one ``(rows, columns)`` pair of arrays per pair
        property. :meth:`add_sums` takes the reductions of a layer in this order.
        """
        return [(considered, values, [where for _, where in pairs])
                for considered, _, values, _, pairs in self._groups]

    @property
    def uncovered(self) -> np.ndarray | None:
        """Pairs no window covered, ``(L, L)`` bool (None: every pair); they never count."""
        return self._uncovered

    def add_sums(self, index: int, sums: Sequence[LayerSums]) -> None:
        """Add one layer's counts reduced elsewhere (in torch), one per :attr:`plan` group.

        The reductions are those :meth:`add_layer` makes: per head, the arcs (weights
        at or above θ under the paper's definition, above it otherwise, on considered
        pairs), their hits on each residue property (arcs per column times the
        property) and on each pair property, and the same sums of the weights.
        """
        acc = self._acc
        if self._closed:
            raise ValueError("this chain is closed; start another with accumulator.chain()")
        if not 0 <= int(index) < acc.n_layers or self._seen[index]:
            raise ValueError(f"layer index {index} is out of range 0-{acc.n_layers - 1} "
                             "or was given twice")
        if len(sums) != len(self._groups):
            raise ValueError(f"{len(sums)} sums for {len(self._groups)} groups")
        self._seen[index] = True
        self._add(int(index), sums)

    def _add(self, li: int, sums: Sequence[LayerSums]) -> None:
        for (_, residue, _, _, pairs), total in zip(self._groups, sums):
            members = [(c, total.hits[:, k], total.mass_on[:, k])
                       for k, c in enumerate(residue)]
            members += [(c, total.pair_hits[:, k], total.pair_mass[:, k])
                        for k, (c, _) in enumerate(pairs)]
            for counts, on, on_mass in members:
                counts.n_arcs[li] += total.arcs
                counts.mass[li] += total.mass
                counts.hits[li] += on
                counts.mass_on[li] += on_mass

    def close(self) -> None:
        """Add the chain's counts to the accumulator; every layer must have been given."""
        if self._closed:
            raise ValueError("this chain was closed already")
        missing = np.flatnonzero(~self._seen)
        if missing.size and self.n:
            raise ValueError(f"layers {', '.join(str(k + 1) for k in missing)} were never "
                             "given; the chain's counts are not added")
        self._closed = True
        self._acc.add_chain(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the counts are then final)."""
        return self._closed

    def to_message(self) -> dict:
        """The closed chain's counts as JSON-ready data (for the worker protocol)."""
        if not self._closed:
            raise ValueError("close the chain's counter before sending it")
        return {"n": self.n, "counts": {
            name: {"n_arcs": c.n_arcs.tolist(), "hits": c.hits.tolist(),
                   "mass": c.mass.tolist(), "mass_on": c.mass_on.tolist(),
                   "background_hits": c.background_hits,
                   "background_pairs": c.background_pairs}
            for name, c in self.counts.items()}}

    @classmethod
    def from_message(cls, accumulator: HeadStatsAccumulator, message: Mapping) -> ChainCounter:
        """A closed counter for ``accumulator`` holding the counts of :meth:`to_message`.

        Raises
        ------
        ValueError
            If the counts are not of the accumulator's size.
        """
        counter = cls(accumulator, int(message["n"]), {}, None)
        shape = (accumulator.n_layers, accumulator.n_heads)
        for name, sent in message["counts"].items():
            counts = _Counts(*shape)
            counts.n_arcs = np.asarray(sent["n_arcs"], dtype=np.int64)
            counts.hits = np.asarray(sent["hits"], dtype=np.int64)
            counts.mass = np.asarray(sent["mass"], dtype=np.float64)
            counts.mass_on = np.asarray(sent["mass_on"], dtype=np.float64)
            if any(a.shape != shape for a in (counts.n_arcs, counts.hits, counts.mass,
                                              counts.mass_on)):
                raise ValueError(f"counts of {name!r} are not of shape {shape}")
            counts.background_hits = int(sent["background_hits"])
            counts.background_pairs = int(sent["background_pairs"])
            counter.counts[str(name)] = counts
        counter._seen[:] = True
        counter._closed = True
        return counter


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
        ``dtype=float``: Bonferroni-corrected interval of ``share`` (Wald under the
        paper's definition, Wilson under ``"judged"``).
    z, p_value : numpy.ndarray
        ``dtype=float``: two-proportion z-test of ``share`` against ``background``
        (background minus head under the paper's definition, head minus background
        under ``"judged"``).
    enough_arcs : numpy.ndarray
        ``dtype=bool``: ``n_arcs > min_arcs`` (paper) or ``n_arcs >= min_arcs`` (judged).
    attention_mass, attention_on_property : numpy.ndarray
        ``dtype=float``: ``Σ α_ij`` and ``Σ f(i,j)·α_ij`` over considered pairs.
    background : float
        ``background_hits / background_pairs`` (NaN without considered pairs).
    background_hits, background_pairs : int
    n_chains : int
        Chains that had this property.
    alpha_per_head : float
        The Bonferroni level of each head's interval.
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
    alpha_per_head: float = math.nan


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
    definition : {"paper", "judged"}
        How the counts, intervals and tests were made (module documentation).
    truncated : tuple of str
        Chains cut to the model's input limit (paper's definition), as
        ``"name chain: L → kept"``; empty if none was.

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
    definition: str = DEFAULT_DEFINITION
    truncated: tuple[str, ...] = ()

    def __getitem__(self, prop: str) -> PropertyStats:
        try:
            return self.stats[prop]
        except KeyError:
            raise KeyError(f"no statistics for property {prop!r}; there are: "
                           f"{', '.join(self.properties) or 'none'}") from None

    @property
    def alpha_per_head(self) -> float:
        """Bonferroni level of each head's interval over every head: ``alpha / (layers·heads)``.

        The level of the judged definition; the paper's divides by the heads with
        enough arcs, per property: :attr:`PropertyStats.alpha_per_head`.
        """
        return self.alpha / (self.n_layers * self.n_heads)

    def describe(self) -> str:
        """One line naming the definition, for tables, titles and legends."""
        if self.definition == "paper":
            return (f"paper's definition: arcs ≥ {self.threshold:g} over all pairs, heads with "
                    f"{self.enough_text()}, Wald interval")
        return (f"judged definition: arcs > {self.threshold:g} over judged pairs, heads with "
                f"{self.enough_text()}, Wilson interval")

    @property
    def definition_name(self) -> str:
        """``"the paper's definition"`` or ``"the judged definition"``, for titles."""
        return "the paper's definition" if self.definition == "paper" else \
            "the judged definition"

    def share_label(self) -> str:
        """What ``share`` is, for axes and colour keys: ``"share of attention ≥ 0.3"``."""
        return f"share of attention {'≥' if self.definition == 'paper' else '>'} " \
               f"{self.threshold:g}"

    def enough_text(self) -> str:
        """Which heads have enough arcs: ``"more than 100 arcs"`` (paper), ``"at least 100"``."""
        return (f"more than {self.min_arcs} arcs" if self.definition == "paper"
                else f"at least {self.min_arcs} arcs")

    def layer_profile(self, prop: str, weighted: bool = False,
                      min_arcs_only: bool | None = None) -> np.ndarray:
        """Mean over the heads of each layer of ``share`` (or ``weighted_share``).

        Parameters
        ----------
        prop : str
        weighted : bool, optional
            Average ``weighted_share`` instead of ``share`` (default False).
        min_arcs_only : bool, optional
            Only heads with enough arcs: ``n_arcs >= min_arcs`` (the paper's
            combined figure masks heads below ``min_arcs``), or ``enough_arcs``
            under ``"judged"``. Default: the definition's own (paper: True;
            judged: False).

        Heads where the value is undefined (no arcs, or no attention mass) are
        always left out of the mean.

        Returns
        -------
        numpy.ndarray
            ``shape=(layers,), dtype=float``; NaN for a layer with no head left.
        """
        paper = self.definition == "paper"
        s = self[prop]
        if min_arcs_only is None:
            min_arcs_only = paper
        values = s.weighted_share if weighted else s.share
        if not min_arcs_only:
            keep = np.ones_like(s.enough_arcs)
        else:
            keep = s.n_arcs >= self.min_arcs if paper else s.enough_arcs
        return _masked_mean(values, keep)

    def center_of_gravity(self, prop: str, weighted: bool | None = None) -> float:
        """Centre of gravity of a property across layers (1-based).

        ``Σ_l l·w_l / Σ_l w_l`` with ``w_l = layer_profile(prop, weighted)[l - 1]``:
        by default the definition's own profile (paper: thresholded shares of the
        heads with at least ``min_arcs`` arcs; the paper's code counts layers from
        0, so its value is this one minus 1; judged: attention-weighted shares).
        Layers where ``w_l`` is NaN weigh nothing; NaN if no layer weighs anything.
        """
        if weighted is None:
            weighted = self.definition != "paper"
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
            "definition": self.definition,
        }

    def ranking(self, prop: str, by: str = "share", min_arcs_only: bool = True) -> list[dict]:
        """Heads ranked by ``by``, best (largest) first; rows as in :meth:`rows`.

        Parameters
        ----------
        prop : str
        by : {"share", "weighted_share", "ci_low", "z", "n_arcs"}
            ``ci_low`` ranks by the conservative end of the interval; ``z`` by
            enrichment over background, most enriched first, whichever sign the
            definition gives ``z``.
        min_arcs_only : bool
            Leave out heads flagged for too few arcs.

        Heads whose value is undefined come last. Ties go to the higher layer, then
        head, under the paper's definition (its code sorts ``(share, layer, head)``
        in reverse); to the lower layer, then head, under ``"judged"``.
        """
        if by not in _RANK_BY:
            raise ValueError(f"by must be one of {', '.join(_RANK_BY)}, not {by!r}")
        s = self[prop]
        paper = self.definition == "paper"
        values = np.asarray(getattr(s, by), dtype=float)
        if by == "z" and paper:
            values = -values  # the paper's z is background minus head
        layer, head = np.divmod(np.arange(self.n_layers * self.n_heads), self.n_heads)
        flat = values.ravel()
        undefined = ~np.isfinite(flat)
        tie_layer, tie_head = (-layer, -head) if paper else (layer, head)
        order = np.lexsort((tie_head, tie_layer, np.where(undefined, 0.0, -flat), undefined))
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
        """The statistics as JSON: the definition and settings, each property's
        background, Bonferroni level, layer profile (the definition's own, and the
        attention-weighted one) and centre of gravity, and :meth:`rows`."""
        document = {
            "definition": self.definition,
            "n_layers": self.n_layers,
            "n_heads": self.n_heads,
            "n_chains": self.n_chains,
            "threshold": self.threshold,
            "min_arcs": self.min_arcs,
            "alpha": self.alpha,
            "truncated": list(self.truncated),
            # the paper's level is per property (heads with enough arcs): see "properties"
            "alpha_per_head": self.alpha_per_head if self.definition == "judged" else None,
            "properties": {
                p: {
                    "background": _num(self.stats[p].background),
                    "background_hits": self.stats[p].background_hits,
                    "background_pairs": self.stats[p].background_pairs,
                    "n_chains": self.stats[p].n_chains,
                    "alpha_per_head": self.stats[p].alpha_per_head,
                    "heads_with_enough_arcs": int(self.stats[p].enough_arcs.sum()),
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
