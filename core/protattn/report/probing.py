"""The figure of probing by layer: each task's metric against the layer, with its interval.

One panel per task (:class:`protattn.analysis.probing.ProbeResult`): the metric at
each layer (0 = the input embeddings, where a task has it) as a line with the
bootstrap interval as a band and error bars, and what a probe without
information scores as a dashed line. The key is readable alone: the metric names
the y axis, the title gives the number of training and test chains.
"""

from __future__ import annotations

import math
import os

import numpy as np
from matplotlib.figure import Figure

from ..analysis.probing import ProbeResult
from ..palettes import SEQUENTIAL, hex_color
from .plots import finish, new_figure

__all__ = ["probe_figure"]

_LINE = hex_color(SEQUENTIAL.rgb_at(np.array([0.75]))[0])
_BAND = hex_color(SEQUENTIAL.rgb_at(np.array([0.3]))[0])
_BASELINE = "#222222"

_TITLES = {
    "secondary_structure": "Secondary structure",
    "binding_site": "Binding site",
    "contact": "Contact",
}


def probe_figure(
    result: ProbeResult, title: str = "", path: str | os.PathLike | None = None
) -> Figure:
    """Metric against layer, one panel per task.

    Parameters
    ----------
    result : ProbeResult
    title : str
        Written above the panels (default: the model and the chains).
    path : str or os.PathLike, optional
        Also save the figure there (PNG, SVG or PDF; :func:`protattn.report.plots.save`).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per task, layers on x.
    """
    n = len(result.tasks)
    if not n:
        raise ValueError("no task was probed; nothing to draw")
    figure = new_figure(3.6 * n + 0.4, 3.4)
    axes = figure.subplots(1, n, squeeze=False)[0]
    for ax, probe in zip(axes, result.tasks):
        layers = np.array([s.layer for s in probe.layers])
        value = probe.values
        low = np.array([s.low for s in probe.layers])
        high = np.array([s.high for s in probe.layers])
        shown = ~np.isnan(value)
        if shown.any():
            ax.fill_between(
                layers[shown], low[shown], high[shown], color=_BAND, alpha=0.5, linewidth=0
            )
            ax.errorbar(
                layers[shown],
                value[shown],
                yerr=np.vstack([value - low, high - value])[:, shown].clip(min=0.0),
                color=_LINE,
                marker="o",
                markersize=4,
                capsize=2,
                linewidth=1.5,
                label=f"probe ({result.interval.split(',')[0] or 'interval'})",
            )
        else:
            ax.text(
                0.5,
                0.5,
                "no probe fitted:\n" + (probe.notes[0] if probe.notes else ""),
                transform=ax.transAxes,
                ha="center",
                va="center",
                wrap=True,
                fontsize="small",
            )
        if not math.isnan(probe.baseline):
            ax.axhline(
                probe.baseline,
                color=_BASELINE,
                linestyle="--",
                linewidth=1.2,
                label=f"{probe.baseline_label} {probe.baseline:.3f}",
            )
        first = int(layers.min()) if len(layers) else 0
        ax.set_xticks(layers if len(layers) <= 16 else layers[:: math.ceil(len(layers) / 12)])
        ax.set_xlim(first - 0.5, int(layers.max()) + 0.5 if len(layers) else 1)
        ax.set_xlabel("Layer (0 = embeddings)" if first == 0 else "Layer (attention, from 1)")
        ax.set_ylabel(probe.metric)
        ax.set_title(_TITLES.get(probe.task, probe.task))
        top = np.nanmax(np.concatenate([high[shown], [probe.baseline, 0.0]]))
        ax.set_ylim(0, min(1.0, 1.15 * top) if np.isfinite(top) and top > 0 else 1.0)
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    figure.suptitle(
        title
        or f"{result.model + ': ' if result.model else ''}probes per layer, trained on "
        f"{len(result.train_chains)} chains, tested on {len(result.test_chains)} held-out chains"
    )
    return finish(figure, path)
