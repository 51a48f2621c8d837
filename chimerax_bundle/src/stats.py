"""``attention stats``: per-head statistics of a property, with the layer x head figure."""

from __future__ import annotations

import base64
import html
import io

from chimerax.atomic import Residues, ResiduesArg
from chimerax.core.commands import CmdDesc, FloatArg, PositiveIntArg, StringArg, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.checks import check_threshold
from protattn.api.report import property_report
from protattn.lm.counts import DEFAULT_MIN_ARCS

from .arguments import DEFINITION, MODEL
from .drawing import checked, core, targets
from .settings import use_settings
from .tables import html_lines, ranking_log

__all__ = ["attention_stats", "register_command"]


def attention_stats(
    session: Session,
    residues: Residues,
    prop: str = "contact",
    *,
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    top: int = 10,
    definition: str = "paper",
):
    """Per-head statistics of a property over the structures; table and heatmap to the log.

    Usage: attention stats atom-spec [property name] [threshold t] [minArcs n]
    [model name] [siteKinds kinds] [top n] [definition paper|judged]

    Logs the property's background rate, the centre of gravity of its layer
    profile, the top heads with Bonferroni-corrected 95% intervals (an HTML
    table), and the layer x head figure (the paper's heatmap: the sequential
    attention colours for the share, hatched where a head has too few arcs),
    counted by the paper's definition unless ``definition judged`` (see
    ``attention heads``). When no head can be ranked (no positive of the
    property, or no head with more than minArcs arcs, default 100), a warning
    says why and what to change. threshold must be above 0 and at most 1 (the
    paper's 0.3 by default); another value is refused before the model runs. Of a
    multi-model file (NMR ensemble) the first model the spec touches is counted,
    as the log says, so that one sequence is not counted once per model. The
    counts of every chain of every structure in the spec (e.g. all of them) are
    summed as protattn survey sums them; the status line shows the chains done,
    chains/s and the time left while they are counted. Returns the statistics.
    """
    use_settings(session)
    threshold = checked(check_threshold, threshold, "threshold")
    report = core(
        property_report,
        [t.core_structure() for t in targets(session, residues)],
        prop,
        model,
        threshold,
        min_arcs,
        site_kinds,
        definition,
        top,
        progress=lambda p: session.logger.status(f"attention stats: {p.text()}", secondary=True),
    )
    session.logger.status("", secondary=True)
    buffer = io.BytesIO()
    report.heatmap().savefig(buffer, format="png", dpi=80)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    stats = report.statistics
    log = ranking_log(stats, prop, stats.ranking(prop)[:top] if top else stats.ranking(prop))
    summary = report.summary()
    session.logger.info(
        log.html
        + (html_lines([summary]) if summary != log.problem else "")
        + f'<img src="data:image/png;base64,{image}" alt="{html.escape(prop)} heatmap">',
        is_html=True,
    )
    if log.problem:
        session.logger.warning(log.problem)
    elif log.warning:
        session.logger.warning(log.warning)
    return stats


def register_command(logger: Logger) -> None:
    """Register ``attention stats`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("residues", ResiduesArg)],
        optional=[("prop", StringArg)],
        keyword=[
            ("threshold", FloatArg),
            ("min_arcs", PositiveIntArg),
            MODEL,
            ("site_kinds", StringArg),
            ("top", PositiveIntArg),
            DEFINITION,
        ],
        synopsis="per-head statistics of a structural property, with the layer x head figure",
    )
    register("attention stats", desc, attention_stats, logger=logger)
