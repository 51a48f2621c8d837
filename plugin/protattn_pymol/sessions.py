"""protattn's own state in PyMOL sessions (``.pse``): the original b-factors.

``attention_color`` writes attention into the b-factor column and keeps each atom's
original b-factor so that ``attention_clear`` can put it back. Everything else protattn
draws is PyMOL's own data (CGO objects, groups, colours), which a session keeps anyway.
The original b-factors are saved under the session key ``protattn`` as plain lists and
numbers, so a session holding them opens in a PyMOL without protattn too.

On opening a session, what can be restored is restored and the rest is named: an
object the session does not hold, rows that are not (atom, original, written) or name
no atom of their object, an entry of another format. None of these stops the session
from opening; their atoms keep the b-factors the session holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pymol import cmd

from protattn.words import plural

from . import draw

__all__ = ["KEY", "VERSION", "save_task", "restore_task", "watch"]

KEY = "protattn"
VERSION = 1

_FIX = (
    "attention_clear will leave their b-factors as the session holds them; "
    "reload the structure file for the original ones"
)


def _holds(b: float | None, written: float) -> bool:
    """Whether an atom's b-factor is still the value protattn wrote."""
    return b is not None and draw.holds_written(b, written)


def _row(atom: tuple, b: tuple[float, float]) -> list:
    segi, chain, resi, resv, name, alt = atom
    return [segi, chain, resi, int(resv), name, alt, float(b[0]), float(b[1])]


def _current_b(obj: str, _self) -> dict[tuple, float]:
    """Every protein atom of ``obj`` with its b-factor now."""
    space: dict[str, Any] = {"now": {}}
    _self.iterate(
        f"{obj} and polymer.protein",
        "now[(segi, chain, resi, resv, name, alt)] = b",
        space=space,
    )
    return space["now"]


def save_task(session: dict, *, _self=cmd) -> int:
    """PyMOL session-save task: put the original b-factors in ``session``.

    Only atoms that still hold the value ``attention_color`` wrote are saved (an object
    reloaded or edited since has b-factors of its own).
    """
    objects = set(_self.get_names("objects") or [])
    kept = {}
    for obj, saved in draw.saved_b_factors(_self=_self).items():
        if obj not in objects:
            continue
        now = _current_b(obj, _self)
        rows = [_row(atom, b) for atom, b in saved.items() if _holds(now.get(atom), b[1])]
        if rows:
            kept[obj] = rows
    if kept:
        session[KEY] = {"version": VERSION, "b_factors": kept}
    else:
        session.pop(KEY, None)
    return 1


def _session_objects(session: Mapping) -> set[str]:
    """Names of the objects (not selections) a session dictionary holds."""
    names = set()
    for entry in session.get("names") or []:
        if isinstance(entry, (list, tuple)) and len(entry) > 1 and entry[1] == 0:
            names.add(str(entry[0]))
    return names


def _parse_row(row: Any) -> tuple[tuple, tuple[float, float]] | None:
    """A saved row as (atom key, (original, written)); None where it is not one."""
    if not isinstance(row, (list, tuple)) or len(row) != 8:
        return None
    segi, chain, resi, resv, name, alt, original, written = row
    if not all(isinstance(s, str) for s in (segi, chain, resi, name, alt)):
        return None
    if isinstance(resv, bool) or not isinstance(resv, int):
        return None
    numbers = (original, written)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in numbers):
        return None
    if not all(math.isfinite(x) for x in numbers):
        return None
    return (segi, chain, resi, resv, name, alt), (float(original), float(written))


def restore_task(session: dict, *, _self=cmd) -> int:
    """PyMOL session-restore task: take back the original b-factors ``session`` holds.

    The objects the session brings replace their earlier b-factor records; records of
    objects that are gone are forgotten. What cannot be restored is printed, with why.
    Returns 1 always: a damaged protattn entry never stops a session from opening.
    """
    present = set(_self.get_names("objects") or [])
    brought = _session_objects(session)
    for obj in list(draw.saved_b_factors(_self=_self)):
        if obj in brought or obj not in present:
            draw.keep_b_factors(obj, {}, _self=_self)
    entry = session.get(KEY)
    if entry is None:
        return 1
    if not isinstance(entry, Mapping) or entry.get("version") != VERSION:
        version = entry.get("version") if isinstance(entry, Mapping) else None
        what = f"version {version!r}" if version is not None else "an unreadable entry"
        print(f" protattn: this session's original b-factors are {what}; dropped them: {_FIX}.")
        return 1
    tables = entry.get("b_factors")
    if not isinstance(tables, Mapping):
        print(f" protattn: this session's original b-factors are unreadable; dropped them: {_FIX}.")
        return 1
    kept, dropped = [], []
    for obj, rows in tables.items():
        if not isinstance(obj, str) or obj not in present:
            dropped.append(f"{obj!r} (the session holds no such object)")
            continue
        if not isinstance(rows, (list, tuple)):
            dropped.append(f"those of {obj} (not a list of atoms)")
            continue
        atoms = _current_b(obj, _self)
        saved: dict[tuple, tuple[float, float]] = {}
        bad = missing = 0
        for row in rows:
            parsed = _parse_row(row)
            if parsed is None:
                bad += 1
            elif parsed[0] not in atoms:
                missing += 1
            else:
                saved[parsed[0]] = parsed[1]
        if saved:
            draw.keep_b_factors(obj, saved, _self=_self)
            kept.append(f"{obj} ({plural(len(saved), 'atom')})")
        if bad:
            dropped.append(f"{plural(bad, 'row')} of {obj} that are not (atom, original, written)")
        if missing:
            dropped.append(f"{plural(missing, 'row')} of {obj} naming no atom of it")
    if dropped:
        restored = f"restored the original b-factors of {', '.join(kept)}; " if kept else ""
        print(f" protattn: {restored}dropped {'; '.join(dropped)}: {_FIX}.")
    return 1


def watch(_self=cmd) -> None:
    """Add the save and restore tasks to this PyMOL instance (once)."""
    pymol = getattr(_self, "_pymol", None)
    if pymol is None:
        return
    for tasks, task in (
        (pymol._session_save_tasks, save_task),
        (pymol._session_restore_tasks, restore_task),
    ):
        if task not in tasks:
            tasks.append(task)
