"""What to draw, host-neutral: pseudo-bonds between residues and residue colours.

A :class:`Scene` holds plain values only (residue ids, weights, RGBA tuples,
radii); each host turns it into its own objects (a PyMOL CGO, a ChimeraX
pseudobond group) without further decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .analysis.pairs import Pair
from .errors import ProtattnError
from .palettes import (
    CONTACT_COLORS,
    CONTACT_NAMES,
    PALETTES,
    RGBA,
    SEQUENTIAL,
    Palette,
    parse_palette,
)
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
    "RADIUS_LIMITS",
    "Palette",
    "parse_palette",
    "share_scale",
    "pair_scene",
    "residue_scene",
]


def _palette(palette: str | Palette) -> Palette:
    try:
        return parse_palette(palette)
    except ValueError as e:
        raise ProtattnError(str(e)) from None


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
        If it is not two finite numbers with ``lo < hi`` (and a finite ``hi - lo``).

    Examples
    --------
    >>> parse_range("0.1,0.3"), parse_range("full"), parse_range("auto")
    ((0.1, 0.3), (0.0, 1.0), None)
    """
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "auto")):
        return None
    if isinstance(text, str) and text.strip().lower() == "full":
        return (0.0, 1.0)
    try:
        parts = text.split(",") if isinstance(text, str) else list(text)
        lo, hi = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(
            f"a range is lo,hi (e.g. 0.1,0.3), 'full' (0 to 1) or 'auto', not {text!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"a range needs finite lo < hi, not {lo:g},{hi:g}")
    if not np.isfinite(hi - lo):  # -1e308,1e308: every colour position would be NaN
        raise ValueError(f"a range needs finite lo < hi and hi - lo, not {lo:g},{hi:g}")
    return (lo, hi)


#: The radii (Å) a pair may be drawn with: hosts keep radii as float32, in which 1e-320
#: is 0 and 1e39 infinite, and a pseudobond thicker than 10 Å hides the structure.
RADIUS_LIMITS = (0.001, 10.0)


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
        If a radius is not a number within :data:`RADIUS_LIMITS` (0.001-10 Å), or
        ``lo > hi``.

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
    low, high = RADIUS_LIMITS
    if len(values) != 2 or not all(low <= v <= high for v in values) or values[0] > values[1]:
        raise ValueError(
            f"a radius is a positive number of Å from {low:g} to {high:g} (0.2) or lo,hi "
            f"(0.05,0.3), not {text!r}"
        )
    return (values[0], values[1])


_value_range = value_range  # pair_scene's parameter of that name shadows the function


def _rgba(color: Iterable[Any]) -> RGBA:
    """A colour's four components as floats."""
    r, g, b, a = (float(x) for x in color)
    return (r, g, b, a)


def palette_colors(
    values: np.ndarray,
    palette: str | Palette = "attention",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """Map values linearly onto a palette.

    Parameters
    ----------
    values : numpy.ndarray
        ``shape=(n,)``.
    palette : str or Palette
        As :func:`protattn.palettes.parse_palette` reads it.
    vmin, vmax : float, optional
        Value range mapped to the palette's ends (default: the values' range).

    Returns
    -------
    numpy.ndarray
        RGBA, ``shape=(n, 4), dtype=float`` in 0–1, alpha 1.
    """
    pal = _palette(palette)
    values = np.asarray(values, dtype=float)
    lo, hi = _value_range(values, vmin, vmax)
    t = np.zeros_like(values) if hi <= lo else (values - lo) / (hi - lo)
    return np.concatenate([pal.rgb_at(t).reshape(-1, 3), np.ones((len(values), 1))], axis=1)


def palette_spec(palette: str | Palette, vmin: float, vmax: float) -> str:
    """The palette as a ChimeraX palette string (``"v0,#rrggbb:v1,#rrggbb:..."``)."""
    return _palette(palette).spec(vmin, vmax)


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
    palette : Palette
    radius : (float, float) or None
        Radii (Å) at ``vmin`` and ``vmax``; None for a scene without pairs.
    color_by : {"weight", "contact"}
        What the pairs' colours mean.
    fixed : bool
        The range was given (``range``), not taken from the values drawn.
    basis : str
        Where a range not given came from, for the log line: empty for this
        drawing's own values, ``"2 structures"`` for a scale shared by one command.
    label : str
        What the values are, for the key's heading, where it is not the default
        (``"attention weight"`` for pairs, ``"attention received"`` for residues).
    """

    bonds: tuple[PseudoBond, ...] = ()
    residues: tuple[ResidueColor, ...] = ()
    skipped: int = 0
    vmin: float = 0.0
    vmax: float = 1.0
    palette: Palette = SEQUENTIAL
    radius: tuple[float, float] | None = None
    color_by: str = "weight"
    fixed: bool = False
    basis: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "palette", _palette(self.palette))

    @property
    def values(self) -> np.ndarray:
        """The drawn values: pair weights, else residue values."""
        if self.bonds:
            return np.array([b.weight for b in self.bonds], dtype=float)
        return np.array([r.value for r in self.residues], dtype=float)

    def rescaled(self, vmin: float, vmax: float, basis: str = "") -> Scene:
        """The same drawing on another colour (and radius) scale, e.g. one shared by structures."""
        lo, hi = float(vmin), float(vmax)
        t = _positions(np.array([b.weight for b in self.bonds], dtype=float), lo, hi)
        bonds = tuple(
            replace(
                b,
                rgba=b.rgba if self.color_by == "contact" else _rgba(c),
                radius=_radius(self.radius, ti, lo, hi),
            )
            for b, c, ti in zip(self.bonds, palette_colors(t, self.palette, 0.0, 1.0), t)
        )
        values = np.array([r.value for r in self.residues], dtype=float)
        residues = tuple(
            replace(r, rgba=_rgba(c))
            for r, c in zip(self.residues, palette_colors(values, self.palette, lo, hi))
        )
        return replace(self, bonds=bonds, residues=residues, vmin=lo, vmax=hi, basis=basis)

    def key(self, stops: int = 3) -> Key:
        """What the drawing's colours and thicknesses mean, with numbers (for a legend)."""
        values = np.linspace(self.vmin, self.vmax, stops)
        if self.color_by == "contact" and self.bonds:
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
        gradient = None if self.color_by == "contact" and self.bonds else self.palette
        return Key(colors, radii, self.scale_text(), self.title(), gradient, self.vmin, self.vmax)

    def title(self) -> str:
        """What the colours measure, for a key's heading."""
        if self.label:
            return self.label
        if self.bonds:
            return "attention weight" + (
                " (colour: 3D contact)" if self.color_by == "contact" else ""
            )
        return "attention received"

    def scale_text(self) -> str:
        """The scale in words, for the log line of every drawing."""
        if self.fixed:
            where = "fixed"
        elif self.basis:
            where = f"the range over {self.basis}"
        else:
            where = "the drawn values' range"
        if self.color_by == "contact" and self.bonds:
            text = "colour: " + ", ".join(
                f"{CONTACT_NAMES[k]} {label}"
                for k, label in ((True, "contact"), (False, "no contact"), (None, "unknown"))
            )
        else:
            text = f"colour {self.vmin:.3g}-{self.vmax:.3g} ({self.palette.name}, {where})"
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
    title : str
        What is measured (:meth:`Scene.title`).
    palette : Palette, optional
        The continuous scale from ``vmin`` to ``vmax`` (None for classes: contact colours).
    vmin, vmax : float
    """

    colors: tuple[tuple[str, RGBA], ...]
    radii: tuple[tuple[str, float], ...]
    text: str
    title: str = ""
    palette: Palette | None = None
    vmin: float = 0.0
    vmax: float = 1.0


def _positions(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Where values fall on the scale lo-hi, clipped to 0-1 (1 for an empty scale)."""
    if hi <= lo:
        return np.ones_like(values)
    return np.clip((values - lo) / (hi - lo), 0.0, 1.0)


def _radius(radius: tuple[float, float] | None, t: float, lo: float, hi: float) -> float:
    if radius is None:
        return 0.0
    return float(radius[0] + t * (radius[1] - radius[0]))


def share_scale(scenes: Sequence[Scene], basis: str) -> list[Scene]:
    """Scenes of one command on one scale: the range of all their values.

    A scene whose range was fixed, and empty scenes, are left as they are.

    Parameters
    ----------
    scenes : sequence of Scene
    basis : str
        What the scale spans, for the log line (``"2 structures"``).

    Returns
    -------
    list of Scene
    """
    free = [s for s in scenes if not s.fixed and (s.bonds or s.residues)]
    if len(free) < 2:
        return list(scenes)
    lo = min(s.vmin for s in free)
    hi = max(s.vmax for s in free)
    return [s.rescaled(lo, hi, basis) if s in free else s for s in scenes]


def pair_scene(
    pairs: Sequence[Pair],
    palette: str | Palette = "attention",
    radius: tuple[float, float] | float | str = (0.05, 0.3),
    color_by: str = "weight",
    value_range: tuple[float, float] | str | None = None,
) -> Scene:
    """Pseudo-bonds for pairs: radius grows with weight, colour with weight or by contact.

    Parameters
    ----------
    pairs : sequence of Pair
    palette : str or Palette
        Used when ``color_by="weight"`` (:func:`protattn.palettes.parse_palette`).
    radius : (float, float) or float or str
        Radius (Å) of the weakest and the strongest drawn pair (:func:`parse_radius`).
    color_by : {"weight", "contact"}
        ``"contact"`` colours true contacts blue, others magenta (:data:`CONTACT_COLORS`).
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
    pal = _palette(palette)
    lo, hi = fixed if fixed is not None else (pal.values or _value_range(weights))
    t = _positions(weights, lo, hi)
    colors = (
        palette_colors(t, pal, 0.0, 1.0)
        if color_by == "weight"
        else [CONTACT_COLORS[p.contact] for p, _, _ in drawn]
    )
    bonds = tuple(
        PseudoBond(i, j, p.weight, _rgba(c), _radius(radius, ti, lo, hi), p.contact)
        for (p, i, j), c, ti in zip(drawn, colors, t)
    )
    return Scene(
        bonds=bonds,
        skipped=len(pairs) - len(drawn),
        vmin=lo,
        vmax=hi,
        palette=pal,
        radius=radius,
        color_by=color_by,
        fixed=fixed is not None or pal.values is not None,
    )


def residue_scene(
    chain: Chain,
    scores: np.ndarray,
    palette: str | Palette = "attention",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Scene:
    """Residue colours for per-position scores of one chain (unobserved positions dropped).

    Parameters
    ----------
    chain : Chain
    scores : numpy.ndarray
        ``shape=(L,)``.
    palette : str or Palette
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
    pal = _palette(palette)
    colors = palette_colors(shown, pal, lo, hi)
    ids = [r for r in chain.residue_ids if r is not None]
    residues = tuple(ResidueColor(r, float(v), _rgba(c)) for r, v, c in zip(ids, shown, colors))
    return Scene(
        residues=residues,
        skipped=int((~mask).sum()),
        vmin=lo,
        vmax=hi,
        palette=pal,
        fixed=vmin is not None and vmax is not None,
    )
