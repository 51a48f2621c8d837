"""A drawing's key as a picture: the colour scale with its numbers, the radii, the scale in words.

:func:`key_figure` draws a :class:`~protattn.scene.Key` on its own;
:func:`attach_key` puts it under an image a host rendered (the command line's
ray-traced PNG), so the picture can be read without its log line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..scene import Key
from .plots import finish, new_figure

__all__ = ["draw_key", "key_figure", "attach_key"]

_TEXT = "#222222"


def draw_key(ax: Axes, key: Key, caption: str = "") -> None:
    """Draw ``key`` into ``ax`` (its whole area): title, colours, radii, the scale in words.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Cleared of ticks and spines; coordinates 0-1 in both directions.
    key : Key
    caption : str
        What was drawn (``"antiberty 6-3: 25 pairs"``), before the key's title.
    """
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    heading = f"{caption}: {key.title}" if caption and key.title else caption or key.title
    ax.text(0.02, 0.92, heading, ha="left", va="top", fontsize=10, color=_TEXT, weight="bold")
    left, right, bar_y, bar_h = 0.04, 0.46, 0.42, 0.2
    if key.palette is not None:
        ramp = key.palette.rgb_at(np.linspace(0.0, 1.0, 256))[np.newaxis]
        ax.imshow(
            ramp,
            extent=(left, right, bar_y, bar_y + bar_h),
            aspect="auto",
            interpolation="bilinear",
        )
        for label, (x, ha) in zip(
            (key.colors[0][0], key.colors[len(key.colors) // 2][0], key.colors[-1][0]),
            ((left, "left"), ((left + right) / 2, "center"), (right, "right")),
        ):
            ax.text(x, bar_y - 0.04, label, ha=ha, va="top", fontsize=9, color=_TEXT)
    else:  # classes: a swatch and its name each
        step = (right - left) / max(len(key.colors), 1)
        for k, (label, rgba) in enumerate(key.colors):
            x = left + k * step
            ax.add_patch(_swatch(x, bar_y, step * 0.28, bar_h, rgba))
            ax.text(x + step * 0.32, bar_y + bar_h / 2, label, va="center", fontsize=9)
    if key.radii:
        lo = min(r for _, r in key.radii)
        hi = max(r for _, r in key.radii)
        for k, (label, radius) in enumerate(key.radii):
            x0 = 0.56 + k * 0.14
            width = 1.0 + 7.0 * (radius - lo) / (hi - lo) if hi > lo else 4.0
            ax.plot([x0, x0 + 0.1], [bar_y + bar_h / 2] * 2, color=_TEXT, linewidth=width)
            ax.text(
                x0 + 0.05,
                bar_y - 0.04,
                f"{label}: {radius:.2g} Å",
                ha="center",
                va="top",
                fontsize=8,
                color=_TEXT,
            )
        ax.text(0.56, bar_y + bar_h + 0.06, "thickness (radius)", fontsize=8, color=_TEXT)
    ax.text(0.02, 0.06, key.text, ha="left", va="bottom", fontsize=8, color=_TEXT, wrap=True)


def _swatch(x: float, y: float, width: float, height: float, rgba) -> Rectangle:
    return Rectangle((x, y), width, height, facecolor=rgba, edgecolor=_TEXT, linewidth=0.5)


def key_figure(key: Key, caption: str = "", path: str | os.PathLike | None = None) -> Figure:
    """The key alone as a figure (8 x 1.6 inches); saved to ``path`` if given."""
    figure = Figure(figsize=(8.0, 1.6))
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    draw_key(figure.add_axes((0, 0, 1, 1)), key, caption)
    return finish(figure, path)


def attach_key(image: str | os.PathLike, key: Key, caption: str = "") -> Path:
    """Put ``key`` under the PNG at ``image``, in place: the picture then carries its key.

    Parameters
    ----------
    image : str or os.PathLike
        A PNG written by a host (its width is kept; the key adds a strip below it).
    key : Key
    caption : str

    Returns
    -------
    pathlib.Path
    """
    from matplotlib.image import imread

    path = Path(image)
    pixels = imread(path)
    height, width = pixels.shape[:2]
    strip = max(140, int(round(width * 0.2)))
    dpi = 100.0
    figure = new_figure(width / dpi, (height + strip) / dpi)
    figure.set_layout_engine("none")
    total = height + strip
    top = figure.add_axes((0, strip / total, 1, height / total))
    top.imshow(pixels, interpolation="nearest")
    top.set_axis_off()
    draw_key(figure.add_axes((0, 0, 1, strip / total)), key, caption)
    figure.savefig(path, format="png", dpi=dpi, facecolor="white")
    return path
