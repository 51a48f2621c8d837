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
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from protattn.api.report import interval_warning, nothing_to_rank, ranking_heading, too_few_arcs

if TYPE_CHECKING:
    from protattn.analysis.probing import ProbeResult
    from protattn.analysis.results import HeadStatistics
    from protattn.api.contacts import ChainsContacts
    from protattn.api.diff import DiffResult, HeadChanges

__all__ = [
    "html_table",
    "html_lines",
    "RankingLog",
    "ranking_log",
    "contacts_table",
    "diff_tables",
    "head_changes_tables",
    "probe_tables",
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


def diff_tables(
    result: DiffResult, pairs: int | None = 20, kept: int = 5, residues: int = 10
) -> str:
    """A diff's rows as :meth:`protattn.api.diff.DiffResult.table` has them, as HTML.

    The pairs gained and lost (``pairs`` of each, largest change first; None: all),
    the ``kept`` pairs that change most, then the ``residues`` whose attention
    received changes most.
    """
    if result.mutant is not None:
        words, (a, b) = ("gained", "lost", "kept"), ("wild type", "mutant")
    else:
        first, second = (str(h) for h in result.heads)
        words, (a, b) = (f"only in {second}", f"only in {first}", "in both"), (first, second)
    contact = {True: "yes", False: "no", None: "?"}
    rows: list[tuple[object, ...]] = []
    for name, group, n in zip(
        words, (result.gained, result.lost, result.kept), (pairs, pairs, kept)
    ):
        shown = group if n is None else group[:n]
        rows += [
            (
                name,
                p.label(),
                f"{p.before:.3f}",
                f"{p.after:.3f}",
                f"{p.change:+.3f}",
                contact[p.contact],
            )
            for p in shown
        ]
        if len(group) > len(shown):
            rows.append((name, f"... and {len(group) - len(shown)} more", "", "", "", ""))
    out = html_table(("", "pair", a, b, "change", "contact"), rows)
    if not (result.gained or result.lost):
        out += html_lines([f"no pair {words[0]} or {words[1]}"])
    first_seq, second_seq = result.sequences
    changed = []
    for k, v in result.most_changed(residues):
        rid = result.residue_ids[k]
        aa = first_seq[k] if first_seq[k] == second_seq[k] else f"{first_seq[k]}>{second_seq[k]}"
        changed.append(
            (
                str(rid) if rid is not None else f"#{k + 1}",
                aa,
                f"{result.received_before[k]:.4f}",
                f"{result.received_after[k]:.4f}",
                f"{v:+.4f}",
            )
        )
    out += html_lines([f"attention received, change {b} - {a} (largest first):"])
    if changed:
        out += html_table(("residue", "aa", a, b, "change"), changed)
    else:
        out += html_lines(["no residue's attention received changes"])
    return out


def head_changes_tables(changes: HeadChanges, top: int | None = 10) -> str:
    """Per property, the ``top`` heads whose agreement changes most (None: all), as HTML."""
    out = html_lines([changes.summary()])
    for prop in changes.properties:
        rows = changes.ranked(prop)
        background = rows[0].background if rows else float("nan")
        out += html_lines(
            [
                f"{prop} (background {background:.3f}): share of high-confidence arcs "
                f"({changes.arcs}), wild type -> mutant"
            ]
        )
        if rows:
            out += html_table(
                ("head", "wild type", "mutant", "change", "arcs"),
                (
                    (
                        r.layer_head,
                        f"{r.before:.3f}",
                        f"{r.after:.3f}",
                        f"{r.change:+.3f}",
                        f"{r.arcs_before}->{r.arcs_after}",
                    )
                    for r in (rows[:top] if top else rows)
                ),
            )
        else:
            out += html_lines([f"no head has {changes.min_arcs} or more arcs in both sequences"])
    return out


def probe_tables(result: ProbeResult) -> str:
    """A probe's rows as :meth:`protattn.analysis.probing.ProbeResult.table` has them, as HTML:
    per task its metric at each layer with the interval, the baseline and the notes."""
    out = html_lines(result.table()[:1])
    for probe in result.tasks:
        baseline = (
            "" if math.isnan(probe.baseline) else f" ({probe.baseline_label} {probe.baseline:.3f})"
        )
        out += html_lines([f"{probe.task}: {probe.metric}{baseline}"])
        out += html_table(
            ("layer", "value", "interval", "test examples"),
            (
                (
                    s.layer,
                    "-" if math.isnan(s.value) else f"{s.value:.3f}",
                    "" if math.isnan(s.low) else f"{s.low:.3f}-{s.high:.3f}",
                    s.n_test_examples,
                )
                for s in probe.layers
            ),
        )
        out += html_lines([f"note: {note}" for note in probe.notes])
    return out
