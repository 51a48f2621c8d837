"""What a survey writes into its folder, from the merged tally.

- ``heads.csv`` and ``heads.parquet``: one row per definition, property, layer and
  head (the columns of :meth:`protattn.analysis.results.HeadStatistics.rows`, and
  ``n_chains``); Parquet needs pyarrow (``pip install protattn[survey]``);
- ``summary.csv`` and ``summary.md``: per definition and property, the background
  and the top heads with share, interval and arcs (the paper's table of top heads);
- ``rejects.csv``: every input left out, with the reason;
- ``figures/``: per definition and property (amino acids aside), the layer × head
  heatmap, the layer profile and the top heads, each with its key.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.results import HeadStatistics
from ..analysis.tally import Tally
from ..words import plural
from .inputs import Reject

__all__ = ["SurveyOutputs", "summary_rows", "summary_markdown", "write_outputs"]

_TOP = 3
_SUMMARY_FIELDS = (
    "definition",
    "property",
    "n_chains",
    "background",
    "rank",
    "layer_head",
    "share",
    "ci_low",
    "ci_high",
    "n_arcs",
)
_REJECT_FIELDS = ("source", "name", "reason")


@dataclass
class SurveyOutputs:
    """The files a survey wrote, and what it could not write (with why)."""

    heads_csv: Path
    summary_csv: Path
    summary_md: Path
    rejects_csv: Path
    heads_parquet: Path | None = None
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def summary_rows(statistics: HeadStatistics, top: int = _TOP) -> list[dict]:
    """The top ``top`` heads of each property (heads with enough arcs), with the
    background; a property with none gets one row without a head."""
    rows = []
    for prop in statistics.properties:
        background = statistics[prop].background
        ranked = statistics.ranking(prop)[:top]
        base = {
            "definition": statistics.definition,
            "property": prop,
            "n_chains": statistics[prop].n_chains,
            "background": None if not math.isfinite(background) else round(background, 6),
        }
        if not ranked:
            rows.append({**base, "rank": None, "layer_head": None, "share": None,
                         "ci_low": None, "ci_high": None, "n_arcs": None})  # fmt: skip
        for rank, row in enumerate(ranked, 1):
            rows.append(
                {
                    **base,
                    "rank": rank,
                    "layer_head": row["layer_head"],
                    "share": row["share"],
                    "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"],
                    "n_arcs": row["n_arcs"],
                }
            )
    return rows


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def summary_markdown(
    rows: Sequence[dict], model: str, properties: Sequence[str] | None = None
) -> str:
    """:func:`summary_rows` as a Markdown table (properties in ``properties`` only)."""
    lines = [
        "| definition | property | chains | background | head | share | interval | arcs |",
        "|---|---|---:|---:|---|---:|---|---:|",
    ]
    for r in rows:
        if properties is not None and r["property"] not in properties:
            continue
        interval = (
            "–" if r["ci_low"] is None else f"[{_percent(r['ci_low'])}, {_percent(r['ci_high'])}]"
        )
        lines.append(
            f"| {r['definition']} | {r['property']} | {r['n_chains']} | "
            f"{_percent(r['background'])} | {r['layer_head'] or 'none ranked'} | "
            f"{_percent(r['share'])} | {interval} | {r['n_arcs'] or '–'} |"
        )
    return (
        f"Top heads of {model} (share of high-confidence attention)\n\n" + "\n".join(lines) + "\n"
    )


def _write_csv(path: Path, rows: Sequence[dict], fields: Sequence[str]) -> Path:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, path)
    return path


def _figures(statistics: HeadStatistics, model: str, folder: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from ..api.report import property_heatmap, property_profile
    from ..report.plots import top_heads

    folder.mkdir(exist_ok=True)
    paths = []
    for prop in statistics.properties:
        if prop.startswith("aa:"):
            continue
        stem = f"{statistics.definition}_{prop.replace(':', '_')}"
        figures = [
            (
                property_heatmap(statistics, prop, model, folder / f"heatmap_{stem}.png"),
                f"heatmap_{stem}.png",
            )
        ]
        name = f"layers_{stem}.png"
        figures.append((property_profile(statistics, prop, model, folder / name), name))
        ranked = statistics.ranking(prop)[:10]
        if ranked:
            figures.append(
                (
                    top_heads(
                        ranked,
                        title=f"{model}: top heads, {prop} ({statistics.definition_name})\n"
                        f"{plural(statistics.n_chains, 'chain')}, θ = {statistics.threshold:g}",
                        path=folder / f"top_heads_{stem}.png",
                        interval=f"95% interval ({statistics.interval_name}, Bonferroni)",
                    ),
                    f"top_heads_{stem}.png",
                )
            )
        for figure, name in figures:
            plt.close(figure)
            paths.append(folder / name)
    return paths


def write_outputs(
    out: str | os.PathLike,
    tally: Tally,
    rejects: Sequence[Reject],
    model: str,
    min_arcs: int,
    figures: bool = True,
) -> SurveyOutputs:
    """Write the survey's tables and figures into ``out`` (see the module documentation)."""
    out = Path(out)
    statistics = [tally.statistics(d, min_arcs=min_arcs) for d in tally.definitions]
    heads = [
        {**row, "n_chains": s[row["property"]].n_chains} for s in statistics for row in s.rows()
    ]
    fields = list(heads[0]) if heads else ["definition", "property", "layer_head"]
    summary = [row for s in statistics for row in summary_rows(s)]
    outputs = SurveyOutputs(
        heads_csv=_write_csv(out / "heads.csv", heads, fields),
        summary_csv=_write_csv(out / "summary.csv", summary, _SUMMARY_FIELDS),
        summary_md=out / "summary.md",
        rejects_csv=_write_csv(out / "rejects.csv", [r.row() for r in rejects], _REJECT_FIELDS),
    )
    outputs.summary_md.write_text(summary_markdown(summary, model))
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        outputs.notes.append(
            "heads.parquet not written: Parquet needs pyarrow (pip install protattn[survey]); "
            "heads.csv holds the same rows"
        )
    else:
        path = out / "heads.parquet"
        temporary = path.with_name(".heads.parquet.tmp")
        pq.write_table(pa.Table.from_pylist(heads), temporary)
        os.replace(temporary, path)
        outputs.heads_parquet = path
    if figures:
        for s in statistics:
            outputs.figures.extend(_figures(s, model, out / "figures"))
    return outputs
