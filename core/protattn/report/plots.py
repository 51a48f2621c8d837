"""Figures of the paper's analyses: per-head heatmaps, layer profiles, heads against contacts.

Every function takes plain numpy values (what :mod:`protattn.analysis.contacts` and the
statistics compute), draws on a new :class:`matplotlib.figure.Figure` with the
Agg canvas, and returns it; given ``path``, it also saves it (PNG, SVG or PDF by
the extension). pyplot is never used, so no figure stays registered anywhere
and the caller's backend is untouched: a figure is freed when it is dropped.

Layers and heads are written 1-based. In :func:`heatmap` layer 1 is at the
top and head 1 on the left, as in the panels' grid. Colours follow
:mod:`protattn.palettes`: shares on the one sequential map, a difference from the
background on the diverging one (white at the background), and every hatched
cell is explained in the figure's own legend.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import SupportsFloat, cast

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, LinearSegmentedColormap, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import PercentFormatter

from ..palettes import DIVERGING as _DIVERGING_PALETTE
from ..palettes import SEQUENTIAL as _SEQUENTIAL_PALETTE
from ..palettes import Palette, hex_color

__all__ = [
    "FORMATS",
    "save",
    "heatmap",
    "layer_profile",
    "top_heads",
]

#: File extensions a figure is saved as, and the format each gives.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def colormap(palette: Palette) -> LinearSegmentedColormap:
    """A protattn palette as a matplotlib colormap (its stops at their positions)."""
    return LinearSegmentedColormap.from_list(
        f"protattn_{palette.name}", list(zip(palette.positions, palette.colors))
    )


#: Shares and attention from none up: protattn's one sequential map.
SEQUENTIAL = colormap(_SEQUENTIAL_PALETTE)
#: A difference from the background: blue below, white at it, red above.
DIVERGING = colormap(_DIVERGING_PALETTE)
#: Bars of shares (the sequential map's strong end) and the background's line.
_BAR = hex_color(_SEQUENTIAL_PALETTE.rgb_at(np.array([0.7]))[0])
_LINE = "#222222"
#: Cells and pairs with nothing to show (too few arcs, unobserved), and their hatching.
MASKED, _HATCH = "#E7E6E6", "#9A9A9A"
_DPI = 150


def save(figure: Figure, path: str | os.PathLike, dpi: int = _DPI) -> Path:
    """Save ``figure`` as PNG, SVG or PDF, by the extension of ``path``.

    SVG keeps text as text (``svg.fonttype = "none"``), so labels stay editable and
    searchable, and is reproducible (no date, fixed ids).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If the extension is none of :data:`FORMATS`.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot save a figure as {path.name!r}; give a path ending in {', '.join(FORMATS)}"
        )
    metadata = {"Date": None} if fmt == "svg" else None
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "protattn"}):
        figure.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    return path


def new_figure(width: float, height: float) -> Figure:
    """An Agg figure of ``width`` x ``height`` inches, laid out with constrained layout."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def finish(figure: Figure, path: str | os.PathLike | None) -> Figure:
    """Save ``figure`` to ``path`` (if given, :func:`save`) and return it."""
    if path is not None:
        save(figure, path)
    return figure


def _ticks(n: int) -> list[int]:
    """1-based tick positions: every one up to 16, else 1 and multiples of a step."""
    if n <= 16:
        return list(range(1, n + 1))
    step = math.ceil(n / 12)
    return sorted({1, *range(step, n + 1, step)})


def as_matrix(values: object, name: str) -> np.ndarray:
    """``values`` as a 2-D float array; ``name`` says what was wrong otherwise."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, not of shape {array.shape}")
    return array


def heatmap(
    values: np.ndarray,
    title: str = "",
    label: str = "",
    mask: np.ndarray | None = None,
    background: float | None = None,
    percent: bool = False,
    path: str | os.PathLike | None = None,
    enrichment: bool = False,
    mask_label: str = "too few arcs: not ranked",
    note: str = "",
) -> Figure:
    """One value per head: the layer × head grid, with a colour bar.

    Parameters
    ----------
    values : numpy.ndarray
        ``shape=(layers, heads)``, e.g. each head's share of high-confidence
        attention on contacts. NaN cells are drawn as masked.
    title : str
    label : str
        Colour bar label (what the values are).
    mask : numpy.ndarray, optional
        ``shape=(layers, heads), dtype=bool``: heads to grey out and hatch (too
        little high-confidence attention to say anything).
    background : float, optional
        The value a head with no preference would have (the background rate),
        marked on the colour bar.
    percent : bool
        Values are shares in [0, 1], labelled as percentages.
    path : str or os.PathLike, optional
        Also save the figure there (see :func:`save`).
    enrichment : bool
        Draw each value minus ``background`` on the diverging map, white at 0 (the
        background), red above and blue below; else the values on the sequential
        map from 0 (or the minimum) up.
    mask_label : str
        What a hatched cell means, in the figure's legend (shown when one is hatched).
    note : str
        A sentence written across the grid (e.g. why every cell is empty).

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the grid (layers on y, layer 1 at the top; heads on x) and
        the colour bar.
    """
    values = as_matrix(values, "values")
    n_layers, n_heads = values.shape
    if enrichment and background is None:
        raise ValueError("an enrichment heatmap needs the background to subtract")
    hidden = np.isnan(values)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != values.shape:
            raise ValueError(f"mask {mask.shape} and values {values.shape} differ in shape")
        hidden = hidden | mask
    shown_values = values - background if enrichment and background is not None else values
    shown = shown_values[~hidden]
    low = float(shown.min()) if shown.size else 0.0
    high = float(shown.max()) if shown.size else 1.0
    if enrichment:
        reach = max(abs(low), abs(high), 1e-9)
        norm: Normalize = TwoSlopeNorm(0.0, -reach, reach)
        cmap: Colormap = DIVERGING
    else:
        low = min(low, 0.0)
        norm, cmap = Normalize(low, high if high > low else low + 1.0), SEQUENTIAL
    cmap = cmap.with_extremes(bad=MASKED)

    cell = min(0.32, 7.0 / max(n_layers, n_heads))  # inches; at most 7 for the grid
    figure = new_figure(2.4 + cell * n_heads, 1.8 + cell * n_layers)
    ax = figure.add_subplot()
    image = ax.imshow(
        np.ma.masked_array(shown_values, hidden),
        cmap=cmap,
        norm=norm,
        origin="upper",
        extent=(0.5, n_heads + 0.5, n_layers + 0.5, 0.5),
        interpolation="nearest",
    )
    for layer, head in zip(*np.nonzero(hidden)):
        ax.add_patch(
            Rectangle(
                (head + 0.5, layer + 0.5),
                1,
                1,
                facecolor=MASKED,
                edgecolor=_HATCH,
                hatch="///",
                linewidth=0,
            )
        )
    ax.set_xticks(_ticks(n_heads))
    ax.set_yticks(_ticks(n_layers))
    ax.set_xlabel("Head")
    ax.set_ylabel("Layer")
    ax.tick_params(length=2)
    if title:
        ax.set_title(title)
    if hidden.any():
        ax.legend(
            handles=[Patch(facecolor=MASKED, edgecolor=_HATCH, hatch="///", label=mask_label)],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12 if n_layers > 4 else -0.3),
            frameon=False,
            fontsize="small",
        )
    if note:
        ax.text(
            0.5,
            0.5,
            note,
            transform=ax.transAxes,
            ha="center",
            va="center",
            wrap=True,
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": _LINE, "alpha": 0.9},
        )
    colorbar = figure.colorbar(
        image, ax=ax, shrink=0.85, format=PercentFormatter(1.0, decimals=0) if percent else None
    )
    if background is not None:
        colorbar.ax.axhline(0.0 if enrichment else background, color=_LINE, linewidth=1.5)
        text = f"{100 * background:.1f}%" if percent else f"{background:.3g}"
        line = (
            f"0 = the background {text} (line); red above, blue below"
            if enrichment
            else f"line: the background {text}"
        )
        label = f"{label}\n{line}" if label else line
    if label:
        colorbar.set_label(label)
    return finish(figure, path)


def layer_profile(
    profile: np.ndarray,
    center_of_gravity: float | None = None,
    title: str = "",
    label: str = "",
    percent: bool = False,
    path: str | os.PathLike | None = None,
) -> Figure:
    """One value per layer as bars, with the profile's centre of gravity.

    Parameters
    ----------
    profile : numpy.ndarray
        ``shape=(layers,)``, e.g. the share of all attention on a property in each layer.
    center_of_gravity : float, optional
        1-based layer (fractional) to mark with a vertical line, as in the paper's
        layer analysis: ``Σ_l l·p_l / Σ_l p_l``.
    title, label : str
        Figure title; y-axis label.
    percent : bool
        Values are shares in [0, 1], labelled as percentages.
    path : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes; layers on x, 1-based.
    """
    profile = np.asarray(profile, dtype=float)
    if profile.ndim != 1:
        raise ValueError(f"profile must have one value per layer, not shape {profile.shape}")
    n = len(profile)
    figure = new_figure(min(12.0, 2.5 + 0.25 * n), 3.0)
    ax = figure.add_subplot()
    layers = np.arange(1, n + 1)
    ax.bar(layers, profile, color=_BAR, width=0.8)
    if center_of_gravity is not None:
        ax.axvline(
            center_of_gravity,
            color=_LINE,
            linestyle="--",
            linewidth=1.5,
            label=f"centre of gravity {center_of_gravity:.1f}",
        )
        ax.legend(frameon=False, loc="best")
    ax.set_xticks(_ticks(n))
    ax.set_xlim(0.4, n + 0.6)
    ax.set_xlabel("Layer")
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if label:
        ax.set_ylabel(label)
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return finish(figure, path)


def top_heads(
    rows: Sequence[Mapping[str, object]],
    title: str = "",
    label: str = "Share of high-confidence attention",
    percent: bool = True,
    path: str | os.PathLike | None = None,
    interval: str = "95% interval",
) -> Figure:
    """The best heads as horizontal bars with their intervals, against the background.

    Parameters
    ----------
    rows : sequence of mapping
        One per head, drawn top to bottom in the given order, with keys
        ``layer_head`` (``"12-4"``), ``share`` (the head's value), ``ci_low`` and
        ``ci_high`` (its interval; None or NaN draws no whisker) and
        ``background`` (the rate with no preference; None to omit). One dashed
        line is drawn when every row has the same background, else a mark per bar.
        An ``n_arcs`` key is written at the end of each bar.
    title, label : str
        Figure title; x-axis label.
    percent : bool
        Values are shares in [0, 1], labelled as percentages.
    path : str or os.PathLike, optional
    interval : str
        What the whiskers are, for the key (``"95% interval (Wald, Bonferroni)"``).

    Returns
    -------
    matplotlib.figure.Figure
        One axes.
    """
    if not rows:
        raise ValueError("no heads to plot; give at least one row")

    def number(row: Mapping[str, object], key: str) -> float:
        value = row.get(key)
        return math.nan if value is None else float(cast("SupportsFloat | str", value))

    names = [str(row["layer_head"]) for row in rows]
    share = np.array([number(row, "share") for row in rows])
    low = np.array([number(row, "ci_low") for row in rows])
    high = np.array([number(row, "ci_high") for row in rows])
    background = np.array([number(row, "background") for row in rows])
    has_interval = ~(np.isnan(low) | np.isnan(high))

    figure = new_figure(6.0, 1.0 + 0.32 * len(rows))
    ax = figure.add_subplot()
    y = np.arange(len(rows))
    ax.barh(y, share, height=0.7, color=_BAR)
    if has_interval.any():
        whiskers = np.vstack([share - low, high - share])[:, has_interval].clip(min=0.0)
        ax.errorbar(
            share[has_interval],
            y[has_interval],
            xerr=whiskers,
            fmt="none",
            ecolor="black",
            elinewidth=1,
            capsize=3,
            label=interval,
        )

    def shown(value: float) -> str:
        return f"{100 * value:.1f}%" if percent else f"{value:.3g}"

    right = np.nanmax(np.concatenate([share, high[has_interval], background]))
    for k, row in enumerate(rows):
        end = high[k] if has_interval[k] else share[k]
        arcs = row.get("n_arcs")
        text = shown(share[k]) + ("" if arcs is None else f", {int(cast('int', arcs)):,} arcs")
        ax.text(end + 0.01 * right, k, text, va="center", fontsize=8)
    known = background[~np.isnan(background)]
    if known.size and np.allclose(known, known[0]) and known.size == len(rows):
        ax.axvline(
            known[0],
            color=_LINE,
            linestyle="--",
            linewidth=1.5,
            label=f"background {shown(known[0])}",
        )
    elif known.size:
        ax.scatter(
            background, y, marker="|", s=300, color=_LINE, label="background (per head)", zorder=3
        )
    if known.size or has_interval.any():
        ax.legend(frameon=False, loc="lower right", fontsize=8)
    ax.set_xlim(0, 1.3 * right if np.isfinite(right) and right > 0 else None)
    ax.set_yticks(y, names)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first row at the top
    ax.set_ylabel("Layer-head")
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    if label:
        ax.set_xlabel(label)
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return finish(figure, path)
