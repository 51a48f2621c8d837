"""The per-head statistics of a set of chains, as tables: shares, intervals, tests, rankings.

:class:`HeadStatistics` holds one :class:`PropertyStats` per property, made by
:meth:`protattn.analysis.statistics.HeadStatsAccumulator.result` (whose module
documents both definitions); its rows (:data:`ROW_FIELDS`), rankings, layer profiles
and JSON / CSV forms are what every front end prints and plots.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from ..lm.counts import (
    DEFAULT_DEFINITION,
)

__all__ = [
    "PropertyStats",
    "HeadStatistics",
]


#: Keys of each row of :meth:`HeadStatistics.rows` and :meth:`HeadStatistics.ranking`.
ROW_FIELDS = (
    "property",
    "layer_head",
    "layer",
    "head",
    "n_arcs",
    "hits",
    "share",
    "weighted_share",
    "ci_low",
    "ci_high",
    "background",
    "z",
    "p_value",
    "enough_arcs",
    "definition",
)

_RANK_BY = ("share", "weighted_share", "ci_low", "z", "n_arcs")

# ------------------------------------------------------------------- accumulate


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
    notes : tuple of str
        What a user should know about the chains counted (a chain of unknown
        residues only), one sentence each.

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
    notes: tuple[str, ...] = ()

    def __getitem__(self, prop: str) -> PropertyStats:
        try:
            return self.stats[prop]
        except KeyError:
            raise KeyError(
                f"no statistics for property {prop!r}; there are: "
                f"{', '.join(self.properties) or 'none'}"
            ) from None

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
            return (
                f"paper's definition: arcs ≥ {self.threshold:g} over all pairs, heads with "
                f"{self.enough_text()}, Wald interval"
            )
        return (
            f"judged definition: arcs > {self.threshold:g} over judged pairs, heads with "
            f"{self.enough_text()}, Wilson interval"
        )

    @property
    def definition_name(self) -> str:
        """``"the paper's definition"`` or ``"the judged definition"``, for titles."""
        return "the paper's definition" if self.definition == "paper" else "the judged definition"

    @property
    def interval_name(self) -> str:
        """The interval's method: ``"Wald"`` (the paper's) or ``"Wilson"`` (judged)."""
        return "Wald" if self.definition == "paper" else "Wilson"

    def share_label(self) -> str:
        """What ``share`` is, for axes and colour keys: ``"share of attention ≥ 0.3"``."""
        return f"share of attention {'≥' if self.definition == 'paper' else '>'} {self.threshold:g}"

    def enough_text(self) -> str:
        """Which heads have enough arcs: ``"more than 100 arcs"`` (paper), ``"at least 100"``."""
        return (
            f"more than {self.min_arcs} arcs"
            if self.definition == "paper"
            else f"at least {self.min_arcs} arcs"
        )

    def layer_profile(
        self, prop: str, weighted: bool = False, min_arcs_only: bool | None = None
    ) -> np.ndarray:
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
        return [
            self._row(self.stats[p], layer, head)
            for p in self.properties
            for layer in range(self.n_layers)
            for head in range(self.n_heads)
        ]

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
            "notes": list(self.notes),
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
                    "layer_profile_weighted": [
                        _num(v) for v in self.layer_profile(p, weighted=True)
                    ],
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
