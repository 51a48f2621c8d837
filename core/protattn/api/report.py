"""What a host shows of per-head statistics: the ranking, its table, the summary, the heatmap.

Every front end prints and draws these from a
:class:`~protattn.analysis.results.HeadStatistics` the same way
(:func:`property_report`: the table, the one-line summary with the background and
what is hatched, the layer x head heatmap).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis.results import HeadStatistics
from ..lm.counts import DEFAULT_DEFINITION
from ..structure.model import Structure
from .options import parse_site_kinds
from .stats import head_statistics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "rank_heads",
    "ranking_table",
    "stats_summary",
    "property_heatmap",
    "PropertyReport",
    "property_report",
]


def rank_heads(
    statistics: HeadStatistics, prop: str, top: int | None = 10, min_arcs_only: bool = True
) -> list[dict]:
    """Heads ranked by the share of their high-confidence attention on ``prop``, best first."""
    rows = statistics.ranking(prop, min_arcs_only=min_arcs_only)
    return rows[:top] if top else rows


def _cell(value: float | None, width: int = 5, digits: int = 3) -> str:
    """A table cell: the number, or n/a where it is undefined (no arcs, no variance)."""
    return f"{'n/a':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def ranking_table(statistics: HeadStatistics, prop: str, rows: Sequence[dict]) -> list[str]:
    """The ranked heads as text lines (a header and one line per head), for logs and terminals.

    The header names the definition; under the paper's, ``z`` is background minus
    head (negative for a head that favours the property), as in the paper's code.
    """
    paper = statistics.definition == "paper"
    interval = "Wald" if paper else "Wilson"
    lines = [
        f"{prop}: background {statistics.stats[prop].background:.3f}, "
        f"θ = {statistics.threshold:g}, {statistics.n_chains} chains",
        f"({statistics.describe()}"
        + ("; z = background − head)" if paper else "; z = head − background)"),
        f"{'head':>6} {'share':>6} {f'95% CI ({interval}, Bonferroni)':>27} {'arcs':>7} {'z':>7}",
    ]
    lines += [
        f"{r['layer_head']:>6} {_cell(r['share'], 6)}   [{_cell(r['ci_low'])}, "
        f"{_cell(r['ci_high'])}]          {r['n_arcs']:7d} {_cell(r['z'], 7, 1)}"
        for r in rows
    ]
    if not rows:
        few = (
            f"more than {statistics.min_arcs} arcs at or above θ"
            if paper
            else f"{statistics.min_arcs} arcs above θ"
        )
        lines.append(f"no head has {few}; lower the minimum number of arcs or θ, or add structures")
    return lines


def stats_summary(statistics: HeadStatistics, prop: str) -> str:
    """One line on ``prop``: how many heads are judged, and its layer profile's centre of gravity.

    Parameters
    ----------
    statistics : HeadStatistics
    prop : str

    Returns
    -------
    str
        ``"118 heads with more than 100 arcs at or above θ, centre of gravity layer 5.21"``.
    """
    result = statistics[prop]
    return (
        f"{int(result.enough_arcs.sum())} heads with {statistics.enough_text()}, centre of "
        f"gravity layer {statistics.center_of_gravity(prop):.2f}"
    )


def property_heatmap(
    statistics: HeadStatistics, prop: str, model: str, path: str | os.PathLike | None = None
) -> Figure:
    """The paper's layer × head figure of ``prop``: each head's share against the background.

    Parameters
    ----------
    statistics : HeadStatistics
    prop : str
    model : str
        Named in the title.
    path : str or os.PathLike, optional
        Also save the figure there (.png, .svg).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..report.plots import heatmap

    result = statistics[prop]
    return heatmap(
        result.share,
        title=f"{model}: {prop} ({statistics.definition_name})",
        label=statistics.share_label(),
        mask=~result.enough_arcs,
        background=result.background,
        path=path,
    )


@dataclass(frozen=True)
class PropertyReport:
    """What a host shows for one property's statistics: the table, a summary, the figure.

    Attributes
    ----------
    statistics : HeadStatistics
    prop : str
    model : str
    top : int
        Heads in the table.
    """

    statistics: HeadStatistics
    prop: str
    model: str
    top: int = 10

    def table(self) -> list[str]:
        """The top heads as text lines (:func:`ranking_table`)."""
        return ranking_table(
            self.statistics, self.prop, self.statistics.ranking(self.prop)[: self.top]
        )

    def summary(self) -> str:
        """:func:`stats_summary` of the property."""
        return stats_summary(self.statistics, self.prop)

    def heatmap(self, path: str | os.PathLike | None = None) -> Figure:
        """:func:`property_heatmap` of the property."""
        return property_heatmap(self.statistics, self.prop, self.model, path)


def property_report(
    structures: Iterable[Structure],
    prop: str = "contact",
    model: str = "antiberty",
    threshold: float = 0.3,
    min_arcs: int = 100,
    site_kinds: str | Sequence[str] = "ligand",
    definition: str = DEFAULT_DEFINITION,
    top: int = 10,
) -> PropertyReport:
    """Per-head statistics of one property over ``structures``, as a host shows them.

    Parameters
    ----------
    structures : iterable of Structure
    prop : str
    model : str
    threshold : float
    min_arcs : int
    site_kinds : str or sequence of str
        As :func:`protattn.api.options.parse_site_kinds` reads them.
    definition : {"paper", "judged"}
    top : int
        Heads in the report's table.

    Returns
    -------
    PropertyReport
    """
    stats = head_statistics(
        structures,
        model,
        [prop],
        threshold=threshold,
        min_arcs=min_arcs,
        site_kinds=parse_site_kinds(site_kinds),
        definition=definition,
    )
    return PropertyReport(stats, prop, model, top)
