"""The layer x head grid both hosts' panels show: colours, texts and tooltips, host-neutral.

The PyMOL dialog and the ChimeraX tool panel draw it with their own widgets; the
cells come from here, so a head looks the same in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .scene import palette_colors

__all__ = ["FLAGGED_RGB", "GRID_PALETTE", "GridCell", "text_is_dark", "grid_cells"]

#: Colour of grid cells with no value or too few high-confidence arcs.
FLAGGED_RGB = (0.78, 0.78, 0.78)

#: Palette of the grid: white (no share) to dark red (the largest share in the grid).
GRID_PALETTE = "white_red"


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


def grid_cells(share: np.ndarray, enough_arcs: np.ndarray | None = None,
               n_arcs: np.ndarray | None = None, background: float | None = None,
               label: str = "the property") -> list[list[GridCell]]:
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
        ``cells[layer - 1][head - 1]``. Valid cells go from white (share 0) to
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
    colors = palette_colors(np.where(valid, share, 0.0).ravel(), GRID_PALETTE,
                            vmin=0.0, vmax=top if top > 0 else 1.0)[:, :3].reshape(
                                *share.shape, 3)
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
                row.append(GridCell(li + 1, hi + 1, value,
                                    tuple(float(c) for c in colors[li, hi]),
                                    f"{100 * value:.0f}", tip + "; click to draw its pairs"))
            else:
                why = ("no high-confidence attention" if not np.isfinite(share[li, hi])
                       else f"too few high-confidence arcs{arcs.replace(' of', ':')}")
                row.append(GridCell(li + 1, hi + 1, None, FLAGGED_RGB, "",
                                    f"{name}: {why}; click to draw its pairs"))
        rows.append(row)
    return rows
