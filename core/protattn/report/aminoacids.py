"""The amino-acid figure: attention similarity between amino acids beside BLOSUM62, and
each head's own agreement with BLOSUM62 (the paper's section 4.4, and one panel more)."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..analysis.aminoacids import blosum62
from ..structure.properties import AMINO_ACIDS
from .plots import DIVERGING, MASKED, _ticks, finish, new_figure

if TYPE_CHECKING:
    from ..api.aminoacids import AminoAcidProfiles

__all__ = ["amino_acid_figure"]


def _square(ax, values: np.ndarray, norm, title: str, label: str, figure: Figure) -> None:
    cmap = DIVERGING.with_extremes(bad=MASKED)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm)
    ticks = np.arange(len(AMINO_ACIDS))
    ax.set_xticks(ticks, list(AMINO_ACIDS), fontsize=7)
    ax.set_yticks(ticks, list(AMINO_ACIDS), fontsize=7)
    ax.set_title(title, fontsize=10)
    bar = figure.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(label, fontsize=8)


def amino_acid_figure(profiles: AminoAcidProfiles, path: str | os.PathLike | None = None) -> Figure:
    """Three panels, each with its colour key.

    1. The attention similarity of every two amino acids (Pearson r of their shares
       over the heads with enough arcs; the diagonal grey).
    2. BLOSUM62 (substitution log-odds, white at 0).
    3. Per head, Pearson r of its own similarity between amino acids (their attention
       profiles over the targets) with BLOSUM62; grey: too few arcs.

    Parameters
    ----------
    profiles : AminoAcidProfiles
    path : str or os.PathLike, optional
        Where to save it (PNG, SVG or PDF).

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = profiles.counts
    r, pairs = profiles.blosum_r
    used = int(counts.enough(profiles.min_arcs).sum())
    figure = new_figure(16.5, 4.8)
    left, middle, right = figure.subplots(1, 3)
    shown = "n/a" if math.isnan(r) else f"{r:.2f}"
    _square(
        left,
        profiles.similarity,
        TwoSlopeNorm(0.0, -1.0, 1.0),
        f"Attention similarity ({used} heads with ≥ {profiles.min_arcs} arcs)",
        "Pearson r of the amino acids' shares over heads",
        figure,
    )
    blosum = blosum62().copy()
    np.fill_diagonal(blosum, np.nan)  # the comparison leaves the diagonal out
    _square(
        middle,
        blosum,
        TwoSlopeNorm(0.0, -4.0, 4.0),
        "BLOSUM62 (diagonal left out)",
        "substitution log-odds (white: 0)",
        figure,
    )
    per_head = counts.head_blosum()
    n_layers, n_heads = per_head.shape
    cmap = DIVERGING.with_extremes(bad=MASKED)
    image = right.imshow(
        np.ma.masked_invalid(per_head), cmap=cmap, norm=TwoSlopeNorm(0.0, -1.0, 1.0), aspect="auto"
    )
    right.set_xticks([t - 1 for t in _ticks(n_heads)], _ticks(n_heads))
    right.set_yticks([t - 1 for t in _ticks(n_layers)], _ticks(n_layers))
    right.set_xlabel("Head")
    right.set_ylabel("Layer")
    best = counts.best_heads(1)
    right.set_title(
        "Each head's similarity against BLOSUM62"
        + (f"\nbest {best[0][0]}: r = {best[0][1]:.2f}" if best else ""),
        fontsize=10,
    )
    if n_layers * n_heads <= 256:
        for (layer, head), value in np.ndenumerate(per_head):
            if math.isfinite(value):
                right.text(head, layer, f"{value:.2f}", ha="center", va="center", fontsize=6)
    bar = figure.colorbar(image, ax=right, shrink=0.8)
    bar.set_label("Pearson r with BLOSUM62 (grey: too few arcs)", fontsize=8)
    figure.suptitle(
        f"{profiles.model}: attention between amino acids, {counts.n_chains:,} chains, "
        f"θ = {counts.threshold:g}; similarity against BLOSUM62: r = {shown} over {pairs} pairs"
    )
    return finish(figure, path)
