"""The tables the ``attention`` commands log, as HTML (ChimeraX's log is an HTML page).

Space-aligned text loses its columns in the log's proportional font, so every
table goes to the log as a ``<table>`` with escaped cells
(``session.logger.info(html, is_html=True)``); the prose around it (the core's
header lines and notes) as escaped paragraphs. What makes a result meaningless
(nothing to rank, too few arcs) and the top head's doubtful interval are
returned apart, for the commands to log as warnings.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from protattn.api.report import interval_warning, nothing_to_rank, ranking_heading, too_few_arcs

if TYPE_CHECKING:
    from protattn.analysis.results import HeadStatistics
    from protattn.api.contacts import ChainsContacts

__all__ = [
    "html_table",
    "html_lines",
    "RankingLog",
    "ranking_log",
    "contacts_table",
]

_CELL = "<td style='padding: 0 0.8em 0 0'>{}</td>"
_HEAD = "<th style='text-align: left; padding: 0 0.8em 0 0'>{}</th>"


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A ``<table>`` of a header row and rows; every cell escaped."""
    lines = ["<tr>" + "".join(_HEAD.format(html.escape(str(h))) for h in header) + "</tr>"]
    lines += [
        "<tr>" + "".join(_CELL.format(html.escape(str(c))) for c in row) + "</tr>" for row in rows
    ]
    return "<table>" + "".join(lines) + "</table>"


def html_lines(lines: Iterable[str]) -> str:
    """Text lines as escaped HTML, one ``<div>`` each."""
    return "".join(f"<div>{html.escape(line)}</div>" for line in lines)


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@dataclass(frozen=True)
class RankingLog:
    """A ranking of heads as the log shows it.

    Attributes
    ----------
    html : str
        The core's header lines and notes, then the ranked heads as a table.
    problem : str or None
        Why no head is ranked (no positive of the property, too few arcs).
    warning : str or None
        The top head's interval contains the background.
    """

    html: str
    problem: str | None
    warning: str | None


def ranking_log(statistics: HeadStatistics, prop: str, rows: Sequence[Mapping]) -> RankingLog:
    """The ranked heads of ``prop`` (:func:`protattn.api.report.ranking_table`) as HTML.

    The header lines and notes (chains of unknown residues, truncated chains) are
    kept as the core words them; the rows become an HTML table.
    """
    problem = nothing_to_rank(statistics, prop)
    if problem is None and not rows:
        problem = too_few_arcs(statistics, prop) or "no head to rank"
    warning = interval_warning(statistics, prop, dict(rows[0])) if rows and not problem else None
    prose = ranking_heading(statistics, prop)
    interval = "Wald" if statistics.definition == "paper" else "Wilson"
    table = (
        html_table(
            ("head", "share", f"95% CI ({interval}, Bonferroni)", "arcs", "z"),
            (
                (
                    r["layer_head"],
                    _number(r["share"]),
                    f"[{_number(r['ci_low'])}, {_number(r['ci_high'])}]",
                    r["n_arcs"],
                    _number(r["z"], 1),
                )
                for r in rows
            ),
        )
        if rows and not problem
        else ""
    )
    return RankingLog(html_lines(prose) + table, problem, warning)


def contacts_table(found: ChainsContacts, structure: str) -> str:
    """Precision of one structure's predicted contacts, one row per chain and range."""
    rows = []
    for chain, result in found.results.items():
        p = result.precision
        for band in ("long", "medium", "short", "local", "all"):
            if band in p:
                rows.append(
                    (
                        f"{structure}/{chain}",
                        result.method,
                        band,
                        *(f"{p[band][k]:.2f}" for k in ("L", "L/2", "L/5")),
                    )
                )
    return html_table(("chain", "method", "range", "P@L", "P@L/2", "P@L/5"), rows)
