"""What every PyMOL command shares: arguments as typed at the prompt, core errors as PyMOL's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymol import CmdException, cmd

from protattn import Chain, ProtattnError, ResidueId
from protattn.api import checks
from protattn.api.options import run_options
from protattn.palettes import RGB, Palette, css_color, parse_palette
from protattn.structure.selection import ResidueSelection
from protattn.words import plural

from .adapter import icode, loaded_objects

__all__ = [
    "core",
    "number",
    "flag",
    "threshold_of",
    "top_k_of",
    "min_separation_of",
    "output_of",
    "state_of",
    "palette_of",
    "pymol_color",
    "run_options_of",
    "selected_residues",
    "residues_by_object",
]

#: What PyMOL reads as a palette besides protattn's forms, for error messages.
PYMOL_PALETTES = (
    "in PyMOL also spectrum's palettes (rainbow, rainbow_rev, gcbmry, ...) and PyMOL "
    "colour names joined by '_' (green_white_magenta, red_blue, tv_blue:white:tv_red)"
)


def selected_residues(selection: str, obj: str, chains: Sequence[Chain], _self) -> set[ResidueId]:
    """The residues of ``chains`` (``obj``'s, as the adapter built them) in ``selection``.

    A residue is matched by its segment where its chain is told apart by segment
    (:func:`protattn_pymol.adapter.chains_by_object`), else by chain, number and
    insertion code.
    """
    atoms: set[tuple[str, str, int, str]] = set()
    _self.iterate(
        f"({selection}) and {obj} and polymer.protein",  # a residue without CA too
        "atoms.add((segi, chain, resv, icode(resi, resv)))",
        space={"atoms": atoms, "icode": icode},
    )
    plain = {(chain, resv, ins) for _, chain, resv, ins in atoms}
    return {
        rid
        for c in chains
        for rid in c.residue_ids
        if rid is not None
        and (
            (rid.segment, rid.chain, rid.number, rid.icode) in atoms
            if rid.segment
            else (rid.chain, rid.number, rid.icode) in plain
        )
    }


def residues_by_object(
    residues: str,
    by_object: dict[str, list[Chain]],
    command: str,
    example: str,
    _self,
) -> tuple[dict[str, ResidueSelection], list[str]]:
    """The residues a PyMOL selection names (``residues=``), per object of ``by_object``.

    Each object's residues are those of its chains (as the adapter built them) in the
    selection (:func:`selected_residues`: by segment, chain, number and insertion code).

    Parameters
    ----------
    residues : str
        A PyMOL selection, as typed (``sele``, ``1vfb and chain B and resi 99-104``).
    by_object : dict of str to list of Chain
        The chains ``command`` runs on (:func:`protattn_pymol.adapter.chains_by_object`).
    command : str
        For the log lines.
    example : str
        The command with a good ``residues=``, for the messages.

    Returns
    -------
    (dict of str to ResidueSelection, list of str)
        The objects holding some of the residues, with them; and the log lines: each
        object's residues, the objects run that hold none (left out) and the objects
        whose atoms the selection holds but that are not run.

    Raises
    ------
    pymol.CmdException
        If ``residues`` is empty, invalid, matches no atoms, or holds no protein
        residue of the chains run, saying what it holds instead and what to select.
    """
    text = str(residues).strip()
    if not text:
        raise CmdException(f"give the residues to ask about as a PyMOL selection, e.g. {example}")
    try:
        n_atoms = _self.count_atoms(f"({text})")
    except CmdException as e:
        raise CmdException(
            f"residues {text!r} is not a valid selection (objects loaded: "
            f"{loaded_objects(_self)}); give a PyMOL selection, e.g. {example}"
        ) from e
    if not n_atoms:
        raise CmdException(
            f"residues {text!r} matches no atoms (objects loaded: {loaded_objects(_self)}); "
            f"select residues first (click them: sele), or e.g. {example}"
        )
    found = {
        obj: ResidueSelection(frozenset(selected_residues(text, obj, chains, _self)), text)
        for obj, chains in by_object.items()
    }
    held = {obj: chosen for obj, chosen in found.items() if chosen.ids}
    elsewhere = [obj for obj in _self.get_object_list(f"({text})") or [] if obj not in by_object]
    if not held:
        run = "; ".join(
            f"{obj} chain {', '.join(c.id or '(blank)' for c in chains)}"
            for obj, chains in by_object.items()
        )
        where = (
            f"its atoms are in {', '.join(elsewhere)}"
            if elsewhere
            else "none of its atoms is in a protein residue of them"
        )
        raise CmdException(
            f"residues {text!r} ({plural(n_atoms, 'atom')}) holds no residue of the protein "
            f"chains run ({run}): {where}; select protein residues of those chains, e.g. "
            f"{example}"
        )
    notes = [f" {command}: {obj}: residues: {chosen.describe()}" for obj, chosen in held.items()]
    if idle := [obj for obj in by_object if obj not in held]:
        notes.append(f" {command}: {', '.join(idle)}: none of the residues; left out")
    if elsewhere:
        notes.append(
            f" {command}: the residues of {', '.join(elsewhere)} are left out: "
            "not in the selection run"
        )
    return held, notes


def number(value: object, name: str, kind: type = float) -> Any:
    """``value`` (as typed at the prompt) as a ``kind``; a ``CmdException`` naming ``name``.

    An ``int`` must be a whole number: ``"2.5"`` is refused rather than cut to 2.
    """
    try:
        if kind is int and not isinstance(value, int):
            whole = float(str(value).strip())
            if whole != int(whole):
                raise ValueError(value)
            return int(whole)
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        what = "a whole number" if kind is int else "a number"
        raise CmdException(f"{name} must be {what}, not {value!r}") from None


def flag(value: object, name: str) -> bool:
    """A ``0/1`` switch as typed at the prompt (``quiet``, ``key``); CmdException naming it."""
    return bool(number(value, name, int))


def threshold_of(value: object, name: str = "threshold") -> float:
    """An attention threshold in (0, 1] (:func:`protattn.api.checks.check_threshold`)."""
    return core(checks.check_threshold, value, name, "top_k")


def top_k_of(value: object, name: str = "top_k") -> int | None:
    """``top_k``: a whole number of at least 1, or off (None, ``""``, ``off``).

    0 and negative numbers are refused, as on the command line and in ChimeraX
    (:func:`protattn.api.checks.check_top_k`).
    """
    return core(checks.check_top_k, value, name)


def min_separation_of(value: object, name: str = "min_separation") -> int:
    """A whole number from 0 (the core checks it against the chains' lengths once read)."""
    return core(checks.check_min_separation, value, (), name)


def output_of(path: str, suffixes: Sequence[str], what: str) -> str:
    """An output path checked before any work: its folder exists and is writable, its
    extension one of ``suffixes`` (:func:`protattn.api.checks.check_output`)."""
    return str(core(checks.check_output, path, suffixes, what))


def state_of(value: object, name: str = "state") -> int:
    """A PyMOL state as typed at the prompt: N (1-based), or 0 or -1 for the current state."""
    state = number(value, name, int)
    if state < -1:
        raise CmdException(
            f"{name} must be a state number from 1, or 0 or -1 for the current state, not {value!r}"
        )
    return state


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
