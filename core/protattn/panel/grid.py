"""What the PyMOL dialog and the ChimeraX panel share: the layer x head grid and its choosers.

Both draw with their own widgets and build their own command lines; the grid's
statistics, cells, colours, texts and tooltips, the layer-head text and the
model chooser's texts come from here, so a head looks the same in both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..lm.counts import DEFAULT_DEFINITION, check_definition
from ..lm.registry import MODELS, config_shape
from ..scene import palette_colors

__all__ = [
    "AGGREGATES",
    "PROPERTIES",
    "STATS_THRESHOLD",
    "FLAGGED_RGB",
    "GRID_PALETTE",
    "GridCell",
    "text_is_dark",
    "grid_cells",
    "GridStats",
    "grid_legend",
    "grid_statistics",
    "property_of",
    "layer_head_text",
    "number_text",
    "model_label",
    "model_name",
    "model_shape",
    "loaded_shape",
    "CellPaint",
    "cell_paints",
    "is_marked",
]

#: Layer aggregates: one head (``none``), or a layer's heads averaged or maxed.
AGGREGATES = ("none", "mean", "max")

#: The grid's property chooser: label -> property of :func:`protattn.api.stats.head_statistics`.
PROPERTIES: dict[str, str | None] = {
    "none": None,
    "contacts": "contact",
    "binding site": "binding_site",
}

#: High-confidence attention for the grid (the paper's θ, the stats commands' default).
STATS_THRESHOLD = 0.3

#: Colour of grid cells with no value or too few high-confidence arcs.
FLAGGED_RGB = (0.78, 0.78, 0.78)

#: Palette of the grid: protattn's sequential map, cream (no share) to dark red (the
#: largest share in the grid), as residue colours and the statistics' heatmap.
GRID_PALETTE = "attention"


@dataclass(frozen=True)
class GridCell:
    """One head's cell in the layer x head grid.

    ``value`` is None for a grey cell (no share, or fewer than ``min_arcs`` arcs).
    """

    layer: int
    head: int
    value: float | None
    rgb: tuple[float, float, float]
    text: str
    tooltip: str

    @property
    def flagged(self) -> bool:
        return self.value is None


def text_is_dark(rgb: Sequence[float]) -> bool:
    """Whether black text reads on this background (relative luminance above 0.4)."""
    r, g, b = rgb[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4


def grid_cells(
    share: np.ndarray,
    enough_arcs: np.ndarray | None = None,
    n_arcs: np.ndarray | None = None,
    background: float | None = None,
    label: str = "the property",
) -> list[list[GridCell]]:
    """Colours, texts and tooltips of the layer x head grid.

    Parameters
    ----------
    share : numpy.ndarray
        ``shape=(layers, heads), dtype=float``: each head's share of
        high-confidence attention on the property (NaN when it has none).
    enough_arcs : numpy.ndarray, optional
        ``shape=(layers, heads), dtype=bool``: False greys the cell out.
    n_arcs : numpy.ndarray, optional
        ``shape=(layers, heads), dtype=int``, for the tooltips.
    background : float, optional
        The property's background rate, for the tooltips.
    label : str
        What the property is called in the tooltips.

    Returns
    -------
    list of list of GridCell
        ``cells[layer - 1][head - 1]``. Valid cells go from cream (share 0) to
        dark red (the largest share in the grid), monotonically darker with the
        share; NaN or flagged cells are :data:`FLAGGED_RGB` with no text.
    """
    share = np.asarray(share, dtype=float)
    if share.ndim != 2:
        raise ValueError(f"share must be a (layers, heads) array, not shape {share.shape}")
    valid = np.isfinite(share)
    if enough_arcs is not None:
        valid &= np.asarray(enough_arcs, dtype=bool)
    top = float(share[valid].max()) if valid.any() else 1.0
    colors = palette_colors(
        np.where(valid, share, 0.0).ravel(), GRID_PALETTE, vmin=0.0, vmax=top if top > 0 else 1.0
    )[:, :3].reshape(*share.shape, 3)
    rows = []
    for li in range(share.shape[0]):
        row = []
        for hi in range(share.shape[1]):
            name = f"{li + 1}-{hi + 1}"
            arcs = "" if n_arcs is None else f" of {int(n_arcs[li, hi])} arcs"
            if valid[li, hi]:
                value = float(share[li, hi])
                tip = f"{name}: {100 * value:.1f}%{arcs} on {label}"
                if background is not None and np.isfinite(background):
                    tip += f" (background {100 * background:.1f}%)"
                red, green, blue = (float(c) for c in colors[li, hi][:3])
                row.append(
                    GridCell(
                        li + 1,
                        hi + 1,
                        value,
                        (red, green, blue),
                        f"{100 * value:.0f}",
                        tip + "; click to draw its pairs",
                    )
                )
            else:
                why = (
                    "no high-confidence attention"
                    if not np.isfinite(share[li, hi])
                    else f"too few high-confidence arcs{arcs.replace(' of', ':')}"
                )
                row.append(
                    GridCell(
                        li + 1,
                        hi + 1,
                        None,
                        FLAGGED_RGB,
                        "",
                        f"{name}: {why}; click to draw its pairs",
                    )
                )
        rows.append(row)
    return rows


@dataclass(frozen=True)
class GridStats:
    """What the grid shows: arrays of one property's statistics, ``shape=(layers, heads)``."""

    prop: str
    share: np.ndarray
    enough_arcs: np.ndarray
    n_arcs: np.ndarray
    background: float
    min_arcs: int
    definition: str = DEFAULT_DEFINITION

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.share.shape)


def grid_legend(stats: GridStats | None = None, label: str = "") -> str:
    """The line under the grid: how to read its colours (or how to get them).

    Without statistics, ``label`` names the property whose colours are on their way.
    """
    if stats is None:
        if label:
            return (
                f"Colours by {label} come once its statistics are computed (see the line "
                "below). Click a cell to draw that head's pairs."
            )
        return (
            "Click a cell to draw that head's pairs. Choose a property to colour the "
            "grid by each head's share of attention on it."
        )
    valid = np.isfinite(stats.share) & stats.enough_arcs
    top = float(stats.share[valid].max()) if valid.any() else 0.0
    background = (
        f" (background {100 * stats.background:.0f}%)" if np.isfinite(stats.background) else ""
    )
    if stats.definition == "paper":
        arcs, few, name = (
            f"≥ {STATS_THRESHOLD:g}",
            f"{stats.min_arcs} arcs or fewer",
            "the paper's definition",
        )
    else:
        arcs, few, name = (
            f"> {STATS_THRESHOLD:g}",
            f"fewer than {stats.min_arcs} arcs",
            "judged definition",
        )
    return (
        f"% of attention {arcs} on {label or stats.prop} ({name}): cream 0% to dark red "
        f"{100 * top:.0f}%{background}; grey: {few}. Click a cell to draw its pairs."
    )


def grid_statistics(
    structures: Iterable,
    model: str,
    label: str,
    min_arcs: int,
    progress: Callable[[str], None] = lambda message: None,
    definition: str = DEFAULT_DEFINITION,
) -> GridStats:
    """The grid's statistics: one property's per-head statistics over ``structures``.

    Runs the model over every chain (slow the first time: it loads the model), so
    the panels run it in a thread.

    Parameters
    ----------
    structures : iterable of Structure
    model : str
        A name for :func:`protattn.compute.backend.get_model`.
    label : str
        A key of :data:`PROPERTIES` other than ``none``.
    min_arcs : int
        Heads with too few high-confidence arcs are flagged (see ``definition``).
    progress : callable
        Told what is being done, a line at a time.
    definition : {"paper", "judged"}
        Of the statistics (:mod:`protattn.analysis.statistics`); the paper's by default.

    Returns
    -------
    GridStats

    Raises
    ------
    ValueError
        If ``label`` names no property, or ``definition`` is not one of :data:`DEFINITIONS`.
    """
    from ..api.stats import head_statistics
    from ..compute.backend import get_model

    prop = property_of(label)
    check_definition(definition)
    if prop is None:
        raise ValueError("choose a property (contacts, binding site) to colour the grid by")
    progress(f"loading {model}")
    lm = get_model(model_name(model))

    def on_chain(structure, chain) -> None:
        progress(f"{label} statistics: {structure.name} chain {chain.id}")

    result = head_statistics(
        structures,
        lm,
        [prop],
        threshold=STATS_THRESHOLD,
        min_arcs=int(min_arcs),
        on_chain=on_chain,
        definition=definition,
    )[prop]
    return GridStats(
        prop,
        result.share,
        result.enough_arcs,
        result.n_arcs,
        float(result.background),
        int(min_arcs),
        definition,
    )


def property_of(label: str) -> str | None:
    """The property a :data:`PROPERTIES` label names (None for ``none``).

    Raises
    ------
    ValueError
        If the label is not one of :data:`PROPERTIES`.
    """
    try:
        return PROPERTIES[label]
    except KeyError:
        raise ValueError(
            f"property must be one of {', '.join(PROPERTIES)}, not {label!r}"
        ) from None


def layer_head_text(layer: int, head: int, aggregate: str = "none") -> str:
    """``"6-3"``, or ``"6-mean"`` / ``"6-max"`` with an aggregate.

    Raises
    ------
    ValueError
        If the aggregate is not one of :data:`AGGREGATES`, or layer or head < 1.
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {aggregate!r}")
    if int(layer) < 1 or int(head) < 1:
        raise ValueError(f"layer and head count from 1, not {layer}-{head}")
    return f"{int(layer)}-{head if aggregate == 'none' else aggregate}"


def number_text(x: float) -> str:
    """Shortest text that reads back as the same float (``0.1``, not ``0.10000000000000001``)."""
    return f"{x:g}" if float(x) == float(f"{x:g}") else repr(float(x))


def model_label(name: str, status: str | None = None, missing: str = "not downloaded") -> str:
    """The model chooser's text: ``antiberty  (26M, offline)``.

    ``status`` is :func:`protattn.lm.registry.model_status`'s; ``missing`` is said of a
    model whose weights are not here.
    """
    where = {None: "", "missing": f", {missing}"}.get(status, ", offline")
    return f"{name}  ({MODELS[name].parameters}{where})"


def model_name(text: str) -> str:
    """The model a chooser text names: a label's short name, or the text (an id or folder)."""
    text = text.strip()
    first = text.split("  (")[0].strip()
    return first if first in MODELS else text


def model_shape(model: str) -> tuple[int, int] | None:
    """``(layers, heads)`` of a chooser's model from its config.json, without loading it.

    See :func:`protattn.lm.registry.config_shape`; None when not known here (the grid
    then waits for the model to load, :func:`loaded_shape`).
    """
    return config_shape(model_name(model))


def loaded_shape(model: str) -> tuple[int, int]:
    """``(layers, heads)`` of a model a job has loaded (from the model cache, or the worker)."""
    from ..compute.backend import get_model

    lm = get_model(model_name(model))
    return lm.n_layers, lm.n_heads


@dataclass(frozen=True)
class CellPaint:
    """What a host paints in one grid cell (0-based ``row``, ``col``).

    ``rgb`` is None for a blank cell (the table's own background and text colour);
    otherwise ``dark_text`` says whether its text is black (True) or white.
    """

    row: int
    col: int
    text: str
    tooltip: str
    rgb: tuple[float, float, float] | None
    dark_text: bool | None


def cell_paints(
    cells: Sequence[Sequence[GridCell]] | None, rows: int, cols: int
) -> list[CellPaint]:
    """What to paint in each cell of a ``rows`` x ``cols`` grid, row by row.

    ``cells`` (:func:`grid_cells`) that do not fit the grid, or None, blank every
    cell: no text, no colour, a tooltip that says a click draws its pairs.
    """
    if cells is not None and (len(cells), len(cells[0]) if cells else 0) != (rows, cols):
        cells = None
    out = []
    for row in range(rows):
        for col in range(cols):
            if cells is None:
                out.append(
                    CellPaint(
                        row, col, "", f"{row + 1}-{col + 1}: click to draw its pairs", None, None
                    )
                )
                continue
            cell = cells[row][col]
            out.append(
                CellPaint(row, col, cell.text, cell.tooltip, cell.rgb, text_is_dark(cell.rgb))
            )
    return out


def is_marked(row: int, col: int, layer: int, head: int, aggregate: str = "none") -> bool:
    """Whether grid cell ``(row, col)`` (0-based) is framed: the chosen head, or its layer.

    With an aggregate (``mean`` / ``max``), the whole chosen layer is framed.
    """
    if row != int(layer) - 1:
        return False
    return aggregate != "none" or col == int(head) - 1
