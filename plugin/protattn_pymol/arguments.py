"""What every PyMOL command shares: arguments as typed at the prompt, core errors as PyMOL's."""

from __future__ import annotations

from pymol import CmdException, cmd

from protattn import ProtattnError, ResidueId
from protattn.api.options import run_options
from protattn.palettes import RGB, Palette, css_color, parse_palette

from .adapter import icode

__all__ = ["core", "number", "palette_of", "pymol_color", "run_options_of", "selected_residues"]

#: What PyMOL reads as a palette besides protattn's forms, for error messages.
PYMOL_PALETTES = (
    "in PyMOL also spectrum's palettes (rainbow, rainbow_rev, gcbmry, ...) and PyMOL "
    "colour names joined by '_' (green_white_magenta, red_blue, tv_blue:white:tv_red)"
)


def selected_residues(selection: str, obj: str, _self) -> set[ResidueId]:
    """The residues of ``obj`` in ``selection`` (protein CA atoms), as core residue ids."""
    found: set[ResidueId] = set()
    _self.iterate(
        f"({selection}) and {obj} and polymer.protein and name CA",
        "found.add(ResidueId(chain, resv, icode(resi, resv)))",
        space={"found": found, "ResidueId": ResidueId, "icode": icode},
    )
    return found


def number(value, name: str, kind=float):
    """``value`` (as typed at the prompt) as a ``kind``; a ``CmdException`` naming ``name``."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise CmdException(f"{name} must be a number, not {value!r}") from None


def run_options_of(window, stride, concatenate) -> dict:
    """The core's run options (:func:`protattn.api.options.run_options`) from the prompt's."""
    return run_options(
        number(window, "window", int),
        number(stride, "stride", int),
        number(concatenate, "concatenate", int),
    )


def core(compute, *args, **kwargs):
    """Call the core, turning its errors into ``CmdException``."""
    try:
        return compute(*args, **kwargs)
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e


def pymol_color(name: str, *, _self=cmd) -> RGB:
    """A colour as PyMOL names it (``skyblue``, ``tv_red``, ``0xff8800``), or ``#rrggbb``.

    Raises
    ------
    ValueError
        Naming the colour, if neither PyMOL's colour table nor CSS knows it.
    """
    text = str(name).strip()
    if _self.get_color_index(text) >= 0:  # -1: unknown, quietly (get_color_tuple prints)
        r, g, b = _self.get_color_tuple(text)
        return (float(r), float(g), float(b))
    try:
        return css_color(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a PyMOL colour name, 0xrrggbb or #rrggbb") from None


def palette_of(text: str | Palette, *, _self=cmd) -> Palette:
    """A ``palette`` argument as typed at the prompt, with PyMOL's names and colours.

    Reads everything :func:`protattn.palettes.parse_palette` reads (protattn's names,
    ChimeraX's, matplotlib's, ``c1:c2:c3``, ``v,c`` stops, ``^`` reversed), plus
    ``spectrum``'s palette names (``pymol.viewing.palette_colors_dict``: ``rainbow``,
    ``gcbmry``) and colour names joined by ``_`` (``blue_white_red``,
    ``green_white_magenta``), each colour read from PyMOL's own colour table.
    protattn's own names (``attention``, ``blue_white_red``, ...) keep their colours.

    Raises
    ------
    pymol.CmdException
        With the core's message of what is accepted.
    """
    from pymol.viewing import palette_colors_dict

    try:
        return parse_palette(
            text,
            color=lambda name: pymol_color(name, _self=_self),
            aliases=palette_colors_dict,
        )
    except ValueError as e:
        raise CmdException(f"{e}; {PYMOL_PALETTES}") from None
