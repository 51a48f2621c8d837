"""Figures of attention against contacts: a head's map beside the contacts; predictions.

Residues run 1-based along both axes; true contacts and predictions are told apart
by marker and colour, with the key on the figure.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from ..palettes import CONTACT_COLORS, hex_color
from .plots import MASKED, SEQUENTIAL, as_matrix, finish, new_figure

#: Marker colours: true contact, false contact, unobserved residue.
#: The contact colours of every front end's drawings (blue true, magenta false, grey unknown).
_TRUE, _FALSE, _UNKNOWN = (hex_color(CONTACT_COLORS[k]) for k in (True, False, None))

__all__ = [
    "head_vs_contacts",
    "contact_prediction",
]


def _residue_axes(ax: Axes, n: int) -> None:
    ticks = _residue_ticks(n)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel("Residue")
    ax.set_ylabel("Residue")


def _residue_ticks(n: int) -> list[int]:
    """1 and multiples of a round step, at most about 8 of them."""
    step = next((s for s in (5, 10, 20, 25, 50, 100, 200, 250, 500) if n / s <= 8), 1000)
    return sorted({1, *range(step, n + 1, step)})


def head_vs_contacts(
    head_map: np.ndarray,
    contact_map: np.ndarray,
    title: str = "",
    head_label: str = "Attention",
    contact_label: str = "Contacts",
    path: str | os.PathLike | None = None,
) -> Figure:
    """A head's attention map beside the chain's contact map, residue by residue.

    Parameters
    ----------
    head_map : numpy.ndarray
        ``shape=(L, L)``, query residues in rows; NaN (not covered) drawn grey.
    contact_map : numpy.ndarray
        ``shape=(L, L), dtype=bool``.
    title : str
        Figure title (e.g. ``"antiberty 6-3, chain H"``).
    head_label, contact_label : str
        Panel titles.
    path : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
        Three axes: attention, contacts, the attention's colour bar. Residues are
        1-based, residue 1 at the top left.
    """
    head_map = as_matrix(head_map, "head_map")
    contacts = np.asarray(contact_map, dtype=bool)
    n = head_map.shape[0]
    if head_map.shape != (n, n) or contacts.shape != (n, n):
        raise ValueError(
            f"head map {head_map.shape} and contact map {contacts.shape} must "
            "both be (L, L) for the same chain"
        )
    figure = new_figure(9.0, 4.4)
    left, right = figure.subplots(1, 2, sharex=True, sharey=True)
    extent = (0.5, n + 0.5, n + 0.5, 0.5)
    known = head_map[~np.isnan(head_map)]
    high = float(known.max()) if known.size and known.max() > 0 else 1.0
    image = left.imshow(
        np.ma.masked_invalid(head_map),
        cmap=SEQUENTIAL.with_extremes(bad=MASKED),
        vmin=0.0,
        vmax=high,
        extent=extent,
        interpolation="nearest",
    )
    right.imshow(
        contacts,
        cmap=LinearSegmentedColormap.from_list("contacts", ["white", "#202020"]),
        vmin=0,
        vmax=1,
        extent=extent,
        interpolation="nearest",
    )
    for ax, name in ((left, head_label), (right, contact_label)):
        _residue_axes(ax, n)
        ax.set_title(name)
    right.set_ylabel("")
    figure.colorbar(image, ax=left, shrink=0.8)
    if title:
        figure.suptitle(title)
    return finish(figure, path)


def contact_prediction(
    contact_map: np.ndarray,
    pairs: Sequence[Sequence[object]],
    title: str = "",
    path: str | os.PathLike | None = None,
) -> Figure:
    """True contacts (grey) and the top predicted pairs: blue when right, magenta when wrong.

    Parameters
    ----------
    contact_map : numpy.ndarray
        ``shape=(L, L), dtype=bool``.
    pairs : sequence of (i, j, score, is_contact)
        0-based, as :func:`protattn.analysis.precision.predicted_pairs` gives; drawn above
        the diagonal (row ``i``, column ``j``). ``is_contact`` None is drawn grey.
    title : str
    path : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes; residues 1-based, residue 1 at the top left.
    """
    contacts = np.asarray(contact_map, dtype=bool)
    n = contacts.shape[0]
    if contacts.shape != (n, n):
        raise ValueError(f"contact map must be (L, L), not {contacts.shape}")
    figure = new_figure(5.2, 5.0)
    ax = figure.add_subplot()
    ax.imshow(
        contacts,
        cmap=LinearSegmentedColormap.from_list("contacts", ["white", "#C8C8C8"]),
        vmin=0,
        vmax=1,
        extent=(0.5, n + 0.5, n + 0.5, 0.5),
        interpolation="nearest",
    )
    groups = {
        True: ("true contact", _TRUE),
        False: ("false contact", _FALSE),
        None: ("unknown", _UNKNOWN),
    }
    size = max(2.0, min(20.0, 4000.0 / max(n, 1) ** 1.5))
    kinds = [None if p[3] is None else bool(p[3]) for p in pairs]
    for truth, (name, colour) in groups.items():
        chosen = [(p[0], p[1]) for p, kind in zip(pairs, kinds) if kind is truth]
        if chosen:
            rows, cols = np.array(chosen).T + 1
            ax.scatter(
                cols, rows, s=size, color=colour, label=f"{name} ({len(chosen)})", linewidths=0
            )
    _residue_axes(ax, n)
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(n + 0.5, 0.5)
    if len(pairs):
        ax.legend(loc="lower left", frameon=False, fontsize="small")
    if title:
        ax.set_title(title)
    return finish(figure, path)
