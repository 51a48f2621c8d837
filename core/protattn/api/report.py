"""What a host shows of per-head statistics: the ranking, its table, the summary, the heatmap.

Every front end prints and draws these from a
:class:`~protattn.analysis.results.HeadStatistics` the same way
(:func:`property_report`: the table, the one-line summary with the background and
what is hatched, the layer x head heatmap).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..analysis.results import HeadStatistics
from ..lm.counts import DEFAULT_DEFINITION, DEFAULT_MIN_ARCS
from ..structure.model import Structure
from ..structure.properties import CONTACT_CUTOFF
from ..structure.sites import SITE_CUTOFF
from ..words import plural
from .options import parse_site_kinds
from .stats import ChainProgress, head_statistics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "nothing_to_rank",
    "too_few_arcs",
    "interval_warning",
    "rank_heads",
    "ranking_heading",
    "ranking_table",
    "stats_summary",
    "property_heatmap",
    "PropertyReport",
    "property_report",
]


def _positives(prop: str) -> tuple[str, str]:
    """What a positive of ``prop`` is, and what to do when a structure has none."""
    if prop == "contact":
        return (
            f"residue pair in 3D contact (CB-CB < {CONTACT_CUTOFF:g} A) among the pairs judged",
            "the residues may lack coordinates; use a structure with resolved residues",
        )
    if prop.startswith("binding_site"):
        code = prop.partition(":")[2]
        return (
            f"binding-site residue (within {SITE_CUTOFF:g} A of "
            + (f"ligand {code})" if code else "a ligand of the kinds asked for)"),
            "use a structure with a bound ligand, or count other site kinds (ion, glycan, "
            "additive)",
        )
    if prop.startswith("aa:"):
        return f"{prop[3:]} residue", "choose an amino acid the chains contain"
    return (
        f"{prop.replace('_', '/')} residue (secondary structure from the file or DSSP)",
        "check that the file has secondary structure (HELIX/SHEET records) or that DSSP runs",
    )


def nothing_to_rank(statistics: HeadStatistics, prop: str) -> str | None:
    """Why no head can be ranked by ``prop``: the chains have no positive at all (else None).

    With no positive every head's share is 0, so a ranking would only order zeros.
    """
    if statistics[prop].background_hits > 0:
        return None
    thing, fix = _positives(prop)
    chains = "chain" if statistics.n_chains == 1 else f"{statistics.n_chains} chains"
    return (
        f"{prop}: no {thing} in the {chains} analysed, so every head's share is 0: "
        f"nothing is ranked or drawn; {fix}"
    )


def too_few_arcs(statistics: HeadStatistics, prop: str) -> str | None:
    """How many arcs the best-supplied head has and what to change, when no head has enough."""
    if statistics.ranking(prop):
        return None
    arcs = statistics[prop].n_arcs
    layer, head = np.unravel_index(int(np.argmax(arcs)), arcs.shape)
    most = int(arcs[layer, head])
    paper = statistics.definition == "paper"
    enough = max(0, most - 1) if paper else most
    where = f" (head {layer + 1}-{head + 1})" if most else ""
    return (
        f"no head has {statistics.enough_text()} at or above θ = {statistics.threshold:g}; "
        f"the most any head has is {most}{where}: lower the minimum number of arcs "
        f"(now {statistics.min_arcs}) to {enough}, lower θ, or add structures"
    )


def interval_warning(statistics: HeadStatistics, prop: str, row: dict) -> str | None:
    """A warning when a head's interval contains the background (its preference is not shown)."""
    low, high, background = row.get("ci_low"), row.get("ci_high"), row.get("background")
    if low is None or high is None or background is None or not low <= background <= high:
        return None
    return (
        f"head {row['layer_head']}'s 95% interval [{low:.3f}, {high:.3f}] contains the "
        f"background {background:.3f}: it is not shown to attend to {prop} more than chance"
        + (f" (z = {row['z']:.1f})" if row.get("z") is not None else "")
    )


def rank_heads(
    statistics: HeadStatistics, prop: str, top: int | None = 10, min_arcs_only: bool = True
) -> list[dict]:
    """Heads ranked by the share of their high-confidence attention on ``prop``, best first.

    Empty when the chains have no positive of ``prop`` (:func:`nothing_to_rank`).
    """
    if nothing_to_rank(statistics, prop):
        return []
    rows = statistics.ranking(prop, min_arcs_only=min_arcs_only)
    return rows[:top] if top else rows


def _cell(value: float | None, width: int = 5, digits: int = 3) -> str:
    """A table cell: the number, or n/a where it is undefined (no arcs, no variance)."""
    return f"{'n/a':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def ranking_heading(statistics: HeadStatistics, prop: str, notes: bool = True) -> list[str]:
    """The lines above a ranking: the property's background, θ, chains, the definition, notes."""
    paper = statistics.definition == "paper"
    lines = [
        f"{prop}: background {statistics.stats[prop].background:.3f}, "
        f"θ = {statistics.threshold:g}, {plural(statistics.n_chains, 'chain')}",
        f"({statistics.describe()}"
        + ("; z = background − head)" if paper else "; z = head − background)"),
    ]
    return lines + [f"warning: {note}" for note in (statistics.notes if notes else ())]


def ranking_table(
    statistics: HeadStatistics, prop: str, rows: Sequence[dict], notes: bool = True
) -> list[str]:
    """The ranked heads as text lines (a header and one line per head), for logs and terminals.

    The header names the definition; under the paper's, ``z`` is background minus
    head (negative for a head that favours the property), as in the paper's code.
    A property with no positive gives its reason instead of rows, too few arcs says
    how many there are, and the top head's interval is checked against the background;
    ``notes`` adds the statistics' notes (a front end that prints them apart leaves them out).
    """
    interval = statistics.interval_name
    lines = ranking_heading(statistics, prop, notes)
    empty = nothing_to_rank(statistics, prop)
    if empty:
        return [*lines, empty]
    if not rows:
        return [*lines, too_few_arcs(statistics, prop) or "no head to rank"]
    lines.append(
        f"{'head':>6} {'share':>6} {f'95% CI ({interval}, Bonferroni)':>27} {'arcs':>7} {'z':>7}"
    )
    lines += [
        f"{r['layer_head']:>6} {_cell(r['share'], 6)}   [{_cell(r['ci_low'])}, "
        f"{_cell(r['ci_high'])}]          {r['n_arcs']:7d} {_cell(r['z'], 7, 1)}"
        for r in rows
    ]
    if (warning := interval_warning(statistics, prop, rows[0])) is not None:
        lines.append(f"warning: {warning}")
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
    empty = nothing_to_rank(statistics, prop) or too_few_arcs(statistics, prop)
    if empty:
        return empty
    result = statistics[prop]
    return (
        f"{int(result.enough_arcs.sum())} heads with {statistics.enough_text()}, centre of "
        f"gravity layer {statistics.center_of_gravity(prop):.2f}"
    )


def property_heatmap(
    statistics: HeadStatistics,
    prop: str,
    model: str,
    path: str | os.PathLike | None = None,
    enrichment: bool = False,
) -> Figure:
    """The paper's layer × head figure of ``prop``: each head's share, and the background.

    Parameters
    ----------
    statistics : HeadStatistics
    prop : str
    model : str
        Named in the title.
    path : str or os.PathLike, optional
        Also save the figure there (.png, .svg, .pdf).
    enrichment : bool
        Draw share minus background on the diverging map (0 at the background)
        instead of the share on the sequential one.

    Returns
    -------
    matplotlib.figure.Figure
        Hatched cells are heads without enough arcs, as its legend says; a property
        with no positive says so across the grid.
    """
    from ..report.plots import heatmap

    result = statistics[prop]
    paper = statistics.definition == "paper"
    few = (
        f"{statistics.min_arcs} arcs or fewer"
        if paper
        else f"fewer than {statistics.min_arcs} arcs"
    )
    label = statistics.share_label()
    return heatmap(
        result.share,
        title=f"{model}: {prop} ({statistics.definition_name})",
        label=f"{label} − background" if enrichment else label,
        mask=~result.enough_arcs,
        background=result.background if np.isfinite(result.background) else None,
        path=path,
        enrichment=enrichment and np.isfinite(result.background),
        mask_label=f"hatched: {few} at θ = {statistics.threshold:g}, not ranked",
        note=nothing_to_rank(statistics, prop) or "",
    )


def property_profile(
    statistics: HeadStatistics,
    prop: str,
    model: str,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The paper's layer profile of ``prop``: a value per layer and the centre of gravity.

    Under the paper's definition the mean share of the layer's heads with enough arcs;
    under ``judged`` the mean attention-weighted share of every head.
    """
    from ..report.plots import layer_profile

    paper = statistics.definition == "paper"
    return layer_profile(
        statistics.layer_profile(prop, weighted=not paper),
        statistics.center_of_gravity(prop),
        title=f"{model}: {prop} by layer ({statistics.definition_name})",
        label=(
            f"mean share ≥ {statistics.threshold:g}\n(heads with ≥ {statistics.min_arcs} arcs)"
            if paper
            else "mean attention-weighted share"
        ),
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

    def heatmap(self, path: str | os.PathLike | None = None, enrichment: bool = False) -> Figure:
        """:func:`property_heatmap` of the property."""
        return property_heatmap(self.statistics, self.prop, self.model, path, enrichment)


def property_report(
    structures: Iterable[Structure],
    prop: str = "contact",
    model: str = "antiberty",
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    site_kinds: str | Sequence[str] = "ligand",
    definition: str = DEFAULT_DEFINITION,
    top: int = 10,
    progress: Callable[[ChainProgress], None] | None = None,
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
    progress : callable, optional
        Called after each chain (:class:`~protattn.api.stats.ChainProgress`).

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
        progress=progress,
    )
    return PropertyReport(stats, prop, model, top)
