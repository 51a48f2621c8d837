"""What to draw, host-neutral: pseudo-bonds between residues and residue colours.

A :class:`Scene` holds plain values only (residue ids, weights, RGBA tuples,
radii); each host turns it into its own objects (a PyMOL CGO, a ChimeraX
pseudobond group) without further decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .analysis.pairs import Pair
from .structure.model import Chain, ResidueId

__all__ = [
    "RGBA",
    "PALETTES",
    "value_range",
    "palette_colors",
    "palette_spec",
    "PseudoBond",
    "ResidueColor",
    "Scene",
    "CONTACT_COLORS",
    "pair_scene",
    "residue_scene",
]

RGBA = tuple[float, float, float, float]

#: Named palettes: colour stops from low to high value (RGB in 0–1).
PALETTES: dict[str, tuple[tuple[float, float, float], ...]] = {
    # pale yellow -> orange -> dark red: readable on a grey or white cartoon
    "attention": ((1.0, 0.93, 0.55), (0.99, 0.55, 0.24), (0.74, 0.0, 0.15)),
    "white_red": ((1.0, 1.0, 1.0), (0.99, 0.57, 0.45), (0.65, 0.0, 0.05)),
    "blue_white_red": ((0.13, 0.4, 0.67), (0.97, 0.97, 0.97), (0.7, 0.09, 0.17)),
    "viridis": ((0.27, 0.0, 0.33), (0.13, 0.57, 0.55), (0.99, 0.91, 0.14)),
}


def _stops(palette: str) -> np.ndarray:
    try:
        return np.asarray(PALETTES[palette], dtype=float)
    except KeyError:
        raise ValueError(
            f"unknown palette {palette!r}; choose one of: {', '.join(PALETTES)}"
        ) from None


def value_range(
    values: np.ndarray, vmin: float | None = None, vmax: float | None = None
) -> tuple[float, float]:
    """``(vmin, vmax)``, each defaulting to the values' minimum / maximum (0, 1 if empty)."""
    values = np.asarray(values, dtype=float)
    lo = vmin if vmin is not None else (float(values.min()) if values.size else 0.0)
    hi = vmax if vmax is not None else (float(values.max()) if values.size else 1.0)
    return float(lo), float(hi)


def _rgba(color: Iterable[Any]) -> RGBA:
    """A colour's four components as floats."""
    r, g, b, a = (float(x) for x in color)
    return (r, g, b, a)


def palette_colors(
    values: np.ndarray,
    palette: str = "attention",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """Map values linearly onto a palette.

    Parameters
    ----------
    values : numpy.ndarray
        ``shape=(n,)``.
    palette : str
        A key of :data:`PALETTES`.
    vmin, vmax : float, optional
        Value range mapped to the palette's ends (default: the values' range).

    Returns
    -------
    numpy.ndarray
        RGBA, ``shape=(n, 4), dtype=float`` in 0–1, alpha 1.
    """
    stops = _stops(palette)
    values = np.asarray(values, dtype=float)
    lo, hi = value_range(values, vmin, vmax)
    t = np.zeros_like(values) if hi <= lo else np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    x = np.linspace(0.0, 1.0, len(stops))
    rgb = np.stack([np.interp(t, x, stops[:, k]) for k in range(3)], axis=-1)
    return np.concatenate([rgb, np.ones((len(values), 1))], axis=1)


def palette_spec(palette: str, vmin: float, vmax: float) -> str:
    """The palette as a ChimeraX palette string (``"v0,#rrggbb:v1,#rrggbb:..."``)."""
    stops = _stops(palette)
    # an empty range still needs increasing values once printed with 6 digits
    hi = vmax if vmax > vmin else vmin + max(abs(vmin), 1.0) * 1e-3
    values = np.linspace(vmin, hi, len(stops))
    return ":".join(
        f"{v:.6g},#{''.join(f'{round(c * 255):02x}' for c in rgb)}" for v, rgb in zip(values, stops)
    )


@dataclass(frozen=True)
class PseudoBond:
    """A line between two residues' representative atoms (CA)."""

    a: ResidueId
    b: ResidueId
    weight: float
    rgba: RGBA
    radius: float
    contact: bool | None = None


@dataclass(frozen=True)
class ResidueColor:
    """A value and its colour for one residue."""

    residue: ResidueId
    value: float
    rgba: RGBA


@dataclass(frozen=True)
class Scene:
    """Everything a host draws for one request.

    Attributes
    ----------
    bonds : tuple of PseudoBond
    residues : tuple of ResidueColor
    skipped : int
        Pairs not drawn because a residue has no coordinates.
    vmin, vmax : float
        Value range the colours span (for a legend).
    palette : str
    """

    bonds: tuple[PseudoBond, ...] = ()
    residues: tuple[ResidueColor, ...] = ()
    skipped: int = 0
    vmin: float = 0.0
    vmax: float = 1.0
    palette: str = "attention"


#: Colours of pairs drawn by contact: a 3D contact, not a contact, unknown (unobserved).
CONTACT_COLORS: dict[bool | None, RGBA] = {
    True: (0.10, 0.62, 0.28, 1.0),
    False: (0.84, 0.19, 0.15, 1.0),
    None: (0.6, 0.6, 0.6, 1.0),
}


def pair_scene(
    pairs: Sequence[Pair],
    palette: str = "attention",
    radius: tuple[float, float] = (0.05, 0.3),
    color_by: str = "weight",
) -> Scene:
    """Pseudo-bonds for pairs: radius grows with weight, colour with weight or by contact.

    Parameters
    ----------
    pairs : sequence of Pair
    palette : str
        Used when ``color_by="weight"``.
    radius : (float, float)
        Radius (Å) of the weakest and the strongest drawn pair.
    color_by : {"weight", "contact"}
        ``"contact"`` colours true contacts green, others red (:data:`CONTACT_COLORS`).

    Returns
    -------
    Scene
        Pairs with an unobserved residue are counted in ``skipped``, not drawn.
    """
    if color_by not in ("weight", "contact"):
        raise ValueError(f"color_by must be 'weight' or 'contact', not {color_by!r}")
    drawn = [
        (p, p.residue_i, p.residue_j)
        for p in pairs
        if p.residue_i is not None and p.residue_j is not None
    ]
    weights = np.array([p.weight for p, _, _ in drawn], dtype=float)
    lo, hi = value_range(weights)
    colors = (
        palette_colors(weights, palette, lo, hi)
        if color_by == "weight"
        else [CONTACT_COLORS[p.contact] for p, _, _ in drawn]
    )
    t = np.zeros_like(weights) if hi <= lo else (weights - lo) / (hi - lo)
    radii = radius[0] + t * (radius[1] - radius[0]) if hi > lo else np.full_like(weights, radius[1])
    bonds = tuple(
        PseudoBond(i, j, p.weight, _rgba(c), float(r), p.contact)
        for (p, i, j), c, r in zip(drawn, colors, radii)
    )
    return Scene(bonds=bonds, skipped=len(pairs) - len(drawn), vmin=lo, vmax=hi, palette=palette)


def residue_scene(
    chain: Chain,
    scores: np.ndarray,
    palette: str = "white_red",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Scene:
    """Residue colours for per-position scores of one chain (unobserved positions dropped).

    Parameters
    ----------
    chain : Chain
    scores : numpy.ndarray
        ``shape=(L,)``.
    palette : str
    vmin, vmax : float, optional
        Colour range; default the observed scores' range.

    Returns
    -------
    Scene
    """
    scores = np.asarray(scores, dtype=float)
    mask = chain.observed
    shown = scores[mask]
    lo, hi = value_range(shown, vmin, vmax)
    colors = palette_colors(shown, palette, lo, hi)
    ids = [r for r in chain.residue_ids if r is not None]
    residues = tuple(ResidueColor(r, float(v), _rgba(c)) for r, v, c in zip(ids, shown, colors))
    return Scene(residues=residues, skipped=int((~mask).sum()), vmin=lo, vmax=hi, palette=palette)
