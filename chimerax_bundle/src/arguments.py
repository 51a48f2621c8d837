"""Argument annotations the ``attention`` commands share (their CmdDesc pieces).

``palette`` takes a colormap as ChimeraX users write it (:class:`PaletteArg`): a
ChimeraX colormap name (``bluered``, ``rainbow``, ColorBrewer's ``ylorrd``, a
``palette`` the user defined), colours joined by ``:`` (``blue:white:red``),
``value,colour`` stops (``0,blue:0.5,white:1,red``), any of these after ``^`` for
the reverse, and protattn's own names (``attention``, ``white_red``,
``enrichment``, ``blue_white_red``, ``viridis``).
"""

from __future__ import annotations

import numpy as np
from chimerax.core.colors import BuiltinColormaps, Colormap
from chimerax.core.commands import (
    Annotation,
    AnnotationError,
    BoolArg,
    Bounded,
    ColormapArg,
    EnumOf,
    FloatArg,
    IntArg,
    Or,
    PositiveIntArg,
    StringArg,
    TupleOf,
    next_token,
)
from chimerax.core.errors import UserError
from chimerax.core.session import Session

import protattn
from protattn.palettes import PALETTES, Palette, parse_palette

__all__ = [
    "LAYER_HEAD",
    "MODEL",
    "DEFINITION",
    "RUN",
    "PALETTE",
    "RANGE",
    "KEY",
    "DASHES",
    "MAX_DASHES",
    "PaletteArg",
    "palette_of_colormap",
    "protattn_names",
]

#: ``layerHead L-H``: 1-based layer and head, or ``L-mean`` / ``L-max``.
LAYER_HEAD = ("layer_head", StringArg)
#: ``model name``: short name, Hugging Face id or model directory.
MODEL = ("model", StringArg)
#: ``definition paper|judged``: how per-head statistics are counted.
DEFINITION = ("definition", EnumOf(protattn.lm.counts.DEFINITIONS))
#: ``window n``, ``stride n``, ``concatenate true|false``: how chains are run.
RUN = [("window", PositiveIntArg), ("stride", PositiveIntArg), ("concatenate", BoolArg)]

_ACCEPTED = (
    "give protattn's attention, white_red, enrichment, blue_white_red or viridis, a "
    "ChimeraX colormap name (bluered, rainbow, ylorrd ...), colours joined by ':' "
    "(blue:white:red), value,colour stops (0,blue:0.5,white:1,red), or any of these "
    "after '^' to reverse it"
)


def protattn_names() -> tuple[str, ...]:
    """protattn's palette names that ChimeraX does not have (tried before ChimeraX's)."""
    return tuple(name for name in PALETTES if name not in BuiltinColormaps)


def palette_of_colormap(cmap: Colormap, name: str) -> Palette:
    """A ChimeraX colormap as the core's :class:`~protattn.palettes.Palette`.

    Colours are ``cmap.colors`` (RGB, alpha dropped) at ``cmap.data_values``
    scaled to 0-1; a colormap whose values were given (``0,blue:10,red``) keeps
    them as the palette's ``values``, which then fix the colour scale, as in
    ChimeraX's own ``color byattribute``. Given values must be finite and differ
    (``nan,red:1,blue`` and ``1,red:1,blue`` are refused: they place no colour).
    """
    colors = np.asarray(cmap.colors, dtype=float)[:, :3]
    if len(colors) < 2:
        raise AnnotationError(f"palette {name!r} has one colour; a palette needs two or more")
    values = np.asarray(cmap.data_values, dtype=float)  # ChimeraX sorts them, colours along
    placed = np.isfinite(values).all() and np.isfinite(values[-1] - values[0])
    if cmap.values_specified and not (placed and np.all(np.diff(values) > 0)):
        raise AnnotationError(
            f"palette {name!r}: give each colour a different finite value (or none), "
            "e.g. 0,blue:0.5,white:1,red"
        )
    lo, hi = float(values[0]), float(values[-1])
    if hi > lo:
        positions = (values - lo) / (hi - lo)
    else:
        positions = np.linspace(0.0, 1.0, len(colors))
    rgb = tuple((float(r), float(g), float(b)) for r, g, b in colors)
    given = (lo, hi) if cmap.values_specified and hi > lo else None
    return Palette(name, rgb, tuple(float(p) for p in positions), given)


def _chimerax_knows(session: Session | None, name: str) -> bool:
    """Whether ChimeraX's colormap names (the user's and its own) complete ``name``."""
    prefix = name.casefold()
    user = getattr(session, "user_colormaps", None) or {}
    return any(k.startswith(prefix) for k in list(user) + list(BuiltinColormaps))


class PaletteArg(Annotation):
    """A palette: protattn's names first, then anything ChimeraX's ``palette`` accepts.

    Parses to a :class:`protattn.palettes.Palette`. A name ChimeraX does not know
    is also tried as a matplotlib colormap (``magma``) or PyMOL's ``_``-joined
    colours (``blue_white_red``) before ChimeraX looks it up online.
    """

    name = "a palette (attention, bluered, ^viridis, blue:white:red, 0,blue:1,red ...)"

    @staticmethod
    def parse(text: str, session: Session) -> tuple[Palette, str, str]:
        if not text:
            raise AnnotationError(f"Expected {PaletteArg.name}")
        token, consumed, rest = next_token(text)
        bare = token[1:] if token.startswith("^") else token
        if not bare:
            raise AnnotationError(f"Expected {PaletteArg.name}")
        if bare.lower() in protattn_names():
            return parse_palette(token), consumed, rest
        if ":" not in bare and not _chimerax_knows(session, bare):
            try:
                return parse_palette(token), consumed, rest
            except ValueError:
                pass  # perhaps a palette ChimeraX fetches by name
        try:
            cmap, chimerax_text, rest = ColormapArg.parse(text, session)
        except (UserError, ValueError) as e:
            raise AnnotationError(f"{e}; {_ACCEPTED}") from None
        if chimerax_text.startswith("^^"):  # ChimeraX 1.7 repeats the ^ of a c1:c2 spec
            chimerax_text = chimerax_text[1:]
        return palette_of_colormap(cmap, chimerax_text), chimerax_text, rest

    @staticmethod
    def unparse(value: Palette | str, session: Session | None = None) -> str:
        return value.name if isinstance(value, Palette) else str(value)


#: ``palette name|spec``: see :class:`PaletteArg`.
PALETTE = ("palette", PaletteArg)
#: ``range lo,hi|full|auto``: a fixed colour (and radius) scale, as ``color byattribute``'s.
RANGE = (
    "range",
    Or(TupleOf(FloatArg, 2), EnumOf(("full", "auto")), name="lo,hi or full or auto"),
)
#: ``key true|false``: draw the drawing's key (ChimeraX's colour key and 2D labels).
KEY = ("key", BoolArg)
#: The most dashes a pseudobond may have: ChimeraX makes every dash, so 10**7 of them
#: stop it at the next frame.
MAX_DASHES = 100
#: ``dashes n``: dashes per pseudobond, 0 (solid) to :data:`MAX_DASHES`.
DASHES = ("dashes", Bounded(IntArg, 0, MAX_DASHES, name=f"a whole number 0-{MAX_DASHES}"))
