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
    "Key",
    "parse_range",
    "parse_radius",
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


def parse_range(text: str | Sequence[float] | None) -> tuple[float, float] | None:
    """A fixed colour (and thickness) scale as written by a user.

    Parameters
    ----------
    text : str or (float, float) or None
        ``"lo,hi"``, ``"full"`` (0 to 1, every weight's possible range), a pair of
        numbers, or None / ``""`` / ``"auto"`` for the drawn values' own range.

    Returns
    -------
    (float, float) or None

    Raises
    ------
    ValueError
        If it is not two finite numbers with ``lo < hi``.

    Examples
    --------
    >>> parse_range("0.1,0.3"), parse_range("full"), parse_range("auto")
    ((0.1, 0.3), (0.0, 1.0), None)
    """
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "auto")):
        return None
    if isinstance(text, str) and text.strip().lower() == "full":
        return (0.0, 1.0)
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        lo, hi = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(
            f"a range is lo,hi (e.g. 0.1,0.3), 'full' (0 to 1) or 'auto', not {text!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"a range needs finite lo < hi, not {lo:g},{hi:g}")
    return (lo, hi)


def parse_radius(text: str | float | Sequence[float]) -> tuple[float, float]:
    """Pseudo-bond radii (Å) of the weakest and the strongest pair as written by a user.

    Parameters
    ----------
    text : str or float or (float, float)
        One radius for every pair (``0.2``), or ``"lo,hi"``.

    Returns
    -------
    (float, float)

    Raises
    ------
    ValueError
        If a radius is not a finite positive number, or ``lo > hi``.

    Examples
    --------
    >>> parse_radius("0.1"), parse_radius("0.05,0.3")
    ((0.1, 0.1), (0.05, 0.3))
    """
    parts = (
        text.split(",")
        if isinstance(text, str)
        else ([text] if isinstance(text, int | float) else list(text))
    )
    try:
        values = [float(p) for p in parts]
    except (TypeError, ValueError):
        values = []
    if len(values) == 1:
        values *= 2
    if (
        len(values) != 2
        or not all(np.isfinite(v) and v > 0 for v in values)
        or values[0] > values[1]
    ):
        raise ValueError(
            f"a radius is a positive number of Å (0.2) or lo,hi (0.05,0.3), not {text!r}"
        )
    return (values[0], values[1])


_value_range = value_range  # pair_scene's parameter of that name shadows the function


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
    lo, hi = _value_range(values, vmin, vmax)
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
        Value range the colours (and radii) span; values outside it take the end's.
    palette : str
    radius : (float, float) or None
        Radii (Å) at ``vmin`` and ``vmax``; None for a scene without pairs.
    color_by : {"weight", "contact"}
        What the pairs' colours mean.
    fixed : bool
        The range was given (``range``), not taken from the values drawn.
    """

    bonds: tuple[PseudoBond, ...] = ()
    residues: tuple[ResidueColor, ...] = ()
    skipped: int = 0
    vmin: float = 0.0
    vmax: float = 1.0
    palette: str = "attention"
    radius: tuple[float, float] | None = None
    color_by: str = "weight"
    fixed: bool = False

    def key(self, stops: int = 3) -> Key:
        """What the drawing's colours and thicknesses mean, with numbers (for a legend)."""
        values = np.linspace(self.vmin, self.vmax, stops)
        if self.color_by == "contact":
            colors = tuple(
                (label, CONTACT_COLORS[value])
                for label, value in (("contact", True), ("no contact", False), ("unknown", None))
            )
        else:
            rgba = palette_colors(values, self.palette, self.vmin, self.vmax)
            colors = tuple((f"{v:.3g}", _rgba(c)) for v, c in zip(values, rgba))
        radii: tuple[tuple[str, float], ...] = ()
        if self.radius is not None and self.bonds:
            lo, hi = self.radius
            radii = tuple(
                (f"{v:.3g}", float(lo + t * (hi - lo)))
                for v, t in zip(values, np.linspace(0.0, 1.0, stops))
            )
        return Key(colors, radii, self.scale_text())

    def scale_text(self) -> str:
        """The scale in words, for the log line of every drawing."""
        where = "fixed" if self.fixed else "the drawn values' range"
        if self.color_by == "contact" and self.bonds:
            text = "colour: green contact, red no contact, grey unknown"
        else:
            text = f"colour {self.vmin:.3g}-{self.vmax:.3g} ({self.palette}, {where})"
        if self.radius is not None and self.bonds:
            lo, hi = self.radius
            text += (
                f"; radius {lo:.3g} A"
                if lo == hi
                else f"; radius {lo:.3g}-{hi:.3g} A for {self.vmin:.3g}-{self.vmax:.3g}"
            )
        return text


@dataclass(frozen=True)
class Key:
    """A drawing's key: colour samples and radius samples, labelled with their values.

    Attributes
    ----------
    colors : tuple of (str, RGBA)
        A label (a value, or a contact class) and its colour, low to high.
    radii : tuple of (str, float)
        A value and the radius (Å) pairs of that value have; empty without pairs.
    text : str
        The same in words (:meth:`Scene.scale_text`).
    """

    colors: tuple[tuple[str, RGBA], ...]
    radii: tuple[tuple[str, float], ...]
    text: str


#: Colours of pairs drawn by contact: a 3D contact, not a contact, unknown (unobserved).
CONTACT_COLORS: dict[bool | None, RGBA] = {
    True: (0.10, 0.62, 0.28, 1.0),
    False: (0.84, 0.19, 0.15, 1.0),
    None: (0.6, 0.6, 0.6, 1.0),
}


def pair_scene(
    pairs: Sequence[Pair],
    palette: str = "attention",
    radius: tuple[float, float] | float | str = (0.05, 0.3),
    color_by: str = "weight",
    value_range: tuple[float, float] | str | None = None,
) -> Scene:
    """Pseudo-bonds for pairs: radius grows with weight, colour with weight or by contact.

    Parameters
    ----------
    pairs : sequence of Pair
    palette : str
        Used when ``color_by="weight"``.
    radius : (float, float) or float or str
        Radius (Å) of the weakest and the strongest drawn pair (:func:`parse_radius`).
    color_by : {"weight", "contact"}
        ``"contact"`` colours true contacts green, others red (:data:`CONTACT_COLORS`).
    value_range : (float, float) or str, optional
        A fixed scale for colour and radius (:func:`parse_range`); by default the
        drawn weights' range, so the weakest drawn pair is the palette's low end.

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
    radius = parse_radius(radius)
    fixed = parse_range(value_range)
    lo, hi = fixed if fixed is not None else _value_range(weights)
    colors = (
        palette_colors(weights, palette, lo, hi)
        if color_by == "weight"
        else [CONTACT_COLORS[p.contact] for p, _, _ in drawn]
    )
    t = np.zeros_like(weights) if hi <= lo else np.clip((weights - lo) / (hi - lo), 0.0, 1.0)
    radii = radius[0] + t * (radius[1] - radius[0]) if hi > lo else np.full_like(weights, radius[1])
    bonds = tuple(
        PseudoBond(i, j, p.weight, _rgba(c), float(r), p.contact)
        for (p, i, j), c, r in zip(drawn, colors, radii)
    )
    return Scene(
        bonds=bonds,
        skipped=len(pairs) - len(drawn),
        vmin=lo,
        vmax=hi,
        palette=palette,
        radius=radius,
        color_by=color_by,
        fixed=fixed is not None,
    )


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
    lo, hi = _value_range(shown, vmin, vmax)
    colors = palette_colors(shown, palette, lo, hi)
    ids = [r for r in chain.residue_ids if r is not None]
    residues = tuple(ResidueColor(r, float(v), _rgba(c)) for r, v, c in zip(ids, shown, colors))
    return Scene(
        residues=residues,
        skipped=int((~mask).sum()),
        vmin=lo,
        vmax=hi,
        palette=palette,
        fixed=vmin is not None and vmax is not None,
    )
