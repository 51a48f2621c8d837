"""Colours: protattn's one colour language, and palettes as each host's users write them.

One **sequential** map (:data:`SEQUENTIAL`, named ``attention``) means "attention or a
share of it, from none up" everywhere: pairs, residue colours, the panel's grid and
the statistics' heatmap. A **diverging** map (:data:`DIVERGING`, ``enrichment``) is
used only for a difference from the background, white at the background, blue below
it and red above. Pairs coloured by 3D contact take :data:`CONTACT_COLORS`: blue and
magenta, colours no attention colouring uses and that stand out on PyMOL's and
ChimeraX's default cartoons.

A palette is written as in the hosts:

- a name: protattn's own (``attention``, ``white_red``, ``blue_white_red``,
  ``viridis``, ``enrichment``), ChimeraX's (``bluered``, ``rainbow``, ``cyanmaroon``,
  ...), or any matplotlib colormap (``YlOrRd``, ``magma``), case-insensitive;
- colours joined by ``:`` (ChimeraX: ``blue:white:red``, or with values,
  ``0,blue:0.5,white:1,red``), ``_`` or spaces (PyMOL's ``spectrum``:
  ``blue_white_red``);
- any of these after ``^`` for its reverse (``^viridis``).

Colour names are read by a host's own table where it passes one (``color=``); the
default is the CSS names and ``#rrggbb``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "RGB",
    "RGBA",
    "PALETTES",
    "SEQUENTIAL",
    "DIVERGING",
    "CONTACT_COLORS",
    "Palette",
    "parse_palette",
    "css_color",
]

RGB = tuple[float, float, float]
RGBA = tuple[float, float, float, float]

#: protattn's named palettes: evenly spaced colour stops from low to high (RGB in 0-1).
PALETTES: dict[str, tuple[RGB, ...]] = {
    # the one sequential map: cream -> orange -> dark red, readable on grey, white
    # or black backgrounds and on every default cartoon colour
    "attention": (
        (1.0, 0.95, 0.76),
        (0.99, 0.70, 0.30),
        (0.89, 0.26, 0.11),
        (0.50, 0.0, 0.08),
    ),
    "white_red": ((1.0, 1.0, 1.0), (0.99, 0.57, 0.45), (0.65, 0.0, 0.05)),
    # the one diverging map: blue below the background, white at it, red above
    "enrichment": ((0.13, 0.40, 0.67), (0.97, 0.97, 0.97), (0.70, 0.09, 0.17)),
    "blue_white_red": ((0.13, 0.40, 0.67), (0.97, 0.97, 0.97), (0.70, 0.09, 0.17)),
    "viridis": ((0.27, 0.0, 0.33), (0.13, 0.57, 0.55), (0.99, 0.91, 0.14)),
    # ChimeraX's built-in names (the same colours as its colormaps)
    "rainbow": ((0, 0, 1), (0, 1, 1), (0, 1, 0), (1, 1, 0), (1, 0, 0)),
    "grayscale": ((0, 0, 0), (1, 1, 1)),
    "gray": ((0, 0, 0), (1, 1, 1)),
    "bluered": ((0, 0, 1), (1, 1, 1), (1, 0, 0)),
    "blue-white-red": ((0, 0, 1), (1, 1, 1), (1, 0, 0)),
    "redblue": ((1, 0, 0), (1, 1, 1), (0, 0, 1)),
    "red-white-blue": ((1, 0, 0), (1, 1, 1), (0, 0, 1)),
    "cyanmaroon": ((0.059, 0.78, 0.81), (1, 1, 1), (0.62, 0.125, 0.37)),
    "cyan-white-maroon": ((0.059, 0.78, 0.81), (1, 1, 1), (0.62, 0.125, 0.37)),
    "cyan-gray-maroon": ((0.059, 0.78, 0.81), (0.7, 0.7, 0.7), (0.62, 0.125, 0.37)),
}

#: What pairs drawn by contact mean: a 3D contact, not a contact, unknown (unobserved).
CONTACT_COLORS: dict[bool | None, RGBA] = {
    True: (0.12, 0.42, 1.0, 1.0),
    False: (0.90, 0.05, 0.85, 1.0),
    None: (0.6, 0.6, 0.6, 1.0),
}

#: The words for :data:`CONTACT_COLORS`, as keys and log lines say them.
CONTACT_NAMES: dict[bool | None, str] = {True: "blue", False: "magenta", None: "grey"}


def css_color(name: str) -> RGB:
    """A CSS colour name or ``#rrggbb`` as RGB in 0-1 (the default colour table).

    Raises
    ------
    ValueError
        If it is neither.

    Examples
    --------
    >>> css_color("red"), css_color("#0000ff")
    ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    """
    from matplotlib.colors import to_rgb

    try:
        r, g, b = to_rgb(name.strip().lower().replace(" ", ""))
    except ValueError:
        raise ValueError(f"{name!r} is not a colour name or #rrggbb") from None
    return (float(r), float(g), float(b))


@dataclass(frozen=True)
class Palette:
    """Colours at positions from 0 (lowest value) to 1 (highest).

    Attributes
    ----------
    name : str
        As the user wrote it (``"^viridis"``, ``"blue:white:red"``).
    colors : tuple of RGB
    positions : tuple of float
        Increasing, from 0 to 1, one per colour.
    values : (float, float), optional
        The value range the spec itself gave (``0,blue:1,red``), used when no
        ``range`` is asked for.
    """

    name: str
    colors: tuple[RGB, ...]
    positions: tuple[float, ...]
    values: tuple[float, float] | None = None

    @classmethod
    def even(cls, name: str, colors: Sequence[Sequence[float]]) -> Palette:
        """Colours evenly spaced from 0 to 1."""
        rgb = tuple(_rgb(c) for c in colors)
        return cls(name, rgb, tuple(np.linspace(0.0, 1.0, len(rgb)).tolist()))

    def reversed(self) -> Palette:
        """The same colours from high to low (``^name``)."""
        name = self.name[1:] if self.name.startswith("^") else "^" + self.name
        return Palette(
            name, self.colors[::-1], tuple(1.0 - p for p in self.positions[::-1]), self.values
        )

    def rgb_at(self, t: np.ndarray) -> np.ndarray:
        """RGB at positions ``t`` in 0-1 (clipped), ``shape=(n, 3)``."""
        t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
        stops = np.asarray(self.colors, dtype=float)
        return np.stack([np.interp(t, self.positions, stops[:, k]) for k in range(3)], axis=-1)

    def samples(self, n: int = 17) -> list[RGB]:
        """``n`` colours evenly spaced from low to high (a host's evenly spaced ramp)."""
        return [_rgb(c) for c in self.rgb_at(np.linspace(0.0, 1.0, n))]

    def spec(self, vmin: float, vmax: float) -> str:
        """As a ChimeraX palette string, ``"v0,#rrggbb:v1,#rrggbb:..."``, over vmin-vmax."""
        # an empty range still needs increasing values once printed with 6 digits
        hi = vmax if vmax > vmin else vmin + max(abs(vmin), 1.0) * 1e-3
        values = vmin + np.asarray(self.positions) * (hi - vmin)
        return ":".join(f"{v:.6g},{hex_color(c)}" for v, c in zip(values, self.colors))


def hex_color(rgb: Sequence[float]) -> str:
    """``#rrggbb`` of an RGB(A) in 0-1."""
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in rgb[:3])


def _rgb(color: Sequence[float]) -> RGB:
    r, g, b = (float(x) for x in color[:3])
    return (r, g, b)


@functools.lru_cache(maxsize=1)
def _matplotlib_names() -> dict[str, str]:
    from matplotlib import colormaps

    return {name.lower(): name for name in colormaps}


def _named(name: str) -> Palette | None:
    key = name.lower()
    if key in PALETTES:
        return Palette.even(name, PALETTES[key])
    mpl = _matplotlib_names().get(key)
    if mpl is None:
        return None
    from matplotlib import colormaps

    cmap = colormaps[mpl]
    return Palette.even(name, [cmap(t)[:3] for t in np.linspace(0.0, 1.0, 9)])


def _listed(text: str, color: Callable[[str], RGB]) -> Palette | None:
    """``c1:c2:c3`` / ``v1,c1:v2,c2`` (ChimeraX) or ``c1_c2`` / ``c1 c2`` (PyMOL)."""
    if ":" in text:
        parts = text.split(":")
    elif "_" in text or " " in text.strip():
        parts = re.split(r"[_\s]+", text.strip())
    else:
        return None
    values: list[float] = []
    colors: list[RGB] = []
    for part in parts:
        number, comma, name = part.partition(",")
        if comma:
            try:
                values.append(float(number))
            except ValueError:
                raise ValueError(f"{part!r} is not value,colour") from None
        colors.append(color((name if comma else part).strip()))
    if len(colors) < 2:
        raise ValueError("a palette needs at least two colours")
    if not values:
        return Palette.even(text, colors)
    if (
        len(values) != len(colors)
        or not all(math.isfinite(v) for v in values)
        or not math.isfinite(values[-1] - values[0])
        or any(b <= a for a, b in zip(values, values[1:]))
    ):
        raise ValueError(
            f"palette {text!r}: give a value to every colour or to none, finite and increasing"
        )
    lo, hi = values[0], values[-1]
    positions = tuple((v - lo) / (hi - lo) for v in values)
    return Palette(text, tuple(colors), positions, (lo, hi))


def parse_palette(
    text: str | Palette,
    color: Callable[[str], RGB] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Palette:
    """A palette as a user wrote it (module documentation for what is accepted).

    Parameters
    ----------
    text : str or Palette
        A Palette is returned as it is.
    color : callable, optional
        A host's colour table, name to RGB (default :func:`css_color`).
    aliases : mapping of str to str, optional
        A host's own palette names, each as a list of colours (PyMOL's ``rainbow``:
        ``"blue cyan green yellow orange red"``); checked before protattn's.

    Returns
    -------
    Palette

    Raises
    ------
    ValueError
        With the names and forms that are accepted.

    Examples
    --------
    >>> parse_palette("blue:white:red").colors[1]
    (1.0, 1.0, 1.0)
    >>> parse_palette("^attention").colors[0] == parse_palette("attention").colors[-1]
    True
    >>> parse_palette("0,blue:10,red").values
    (0.0, 10.0)
    """
    if isinstance(text, Palette):
        return text
    spec = str(text).strip()
    if spec.startswith("^"):
        return parse_palette(spec[1:], color, aliases).reversed()
    color = color or css_color
    alias = (aliases or {}).get(spec.lower())
    if alias is not None:
        return Palette.even(spec, [color(c) for c in alias.split()])
    found = _named(spec)
    if found is None:
        try:
            found = _listed(spec, color)
        except ValueError as e:
            raise ValueError(f"unknown palette {spec!r} ({e}); {_ACCEPTED}") from None
    if found is None:
        raise ValueError(f"unknown palette {spec!r}; {_ACCEPTED}")
    return found


_ACCEPTED = (
    "give a name (attention, white_red, blue_white_red, viridis, bluered, rainbow, or any "
    "matplotlib colormap such as YlOrRd), colours joined by ':' or '_' (blue:white:red), "
    "'value,colour' stops (0,blue:1,red), or any of these after '^' to reverse it"
)

#: The sequential map (attention and shares from none up) and the diverging one.
SEQUENTIAL = parse_palette("attention")
DIVERGING = parse_palette("enrichment")
