"""Helpers the ChimeraX tests share (tests/chimerax and tests/chimerax_worker)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from protattn import ResidueId

STRUCTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "structures"
HPX = STRUCTURES / "ligand" / "1HPX.pdb"  # HIV-1 protease dimer (A, B) with inhibitor KNI-272
VFB = STRUCTURES / "antibody" / "1VFB.cif"  # Fv D1.3 (A light, B heavy) with lysozyme (C)


def cxrun(session, command: str):
    """Run a ChimeraX command, unlogged; its return value."""
    from chimerax.core.commands import run

    return run(session, command, log=False)


def open_structure(session, path: Path):
    """Open one structure file; the structure."""
    (structure,) = cxrun(session, f"open {path}")
    return structure


def rid(residue) -> ResidueId:
    """A ChimeraX residue's protattn ResidueId."""
    return ResidueId(residue.chain_id, residue.number, residue.insertion_code)


@contextmanager
def logged(session) -> Iterator[list[str]]:
    """The messages logged with ``logger.info`` inside the block (the test session is silent)."""
    messages: list[str] = []
    session.logger.info = lambda msg, *a, **k: messages.append(msg)
    try:
        yield messages
    finally:
        del session.logger.info


@contextmanager
def log_of(session) -> Iterator[list[tuple[str, str]]]:
    """(kind, message) logged inside the block: kind is info, html or warning."""
    messages: list[tuple[str, str]] = []
    session.logger.info = lambda msg, *a, **k: messages.append(
        ("html" if k.get("is_html") else "info", msg)
    )
    session.logger.warning = lambda msg, *a, **k: messages.append(("warning", msg))
    try:
        yield messages
    finally:
        del session.logger.info
        del session.logger.warning


def of_kind(messages: list[tuple[str, str]], kind: str) -> list[str]:
    """The messages of one kind (info, html, warning) that :func:`log_of` gathered."""
    return [m for k, m in messages if k == kind]


def session_inventory(session) -> dict:
    """What a session holds that protattn draws or must leave alone, in counts and names.

    Structures with their pseudobond groups (pseudobonds per group), ChimeraX's global
    groups (``distance`` makes "distances"), 2D label names, whether a colour key is
    shown, and per registered residue attribute the number of residues that have it.
    Plain JSON, so that a ChimeraX in another process can report it.
    """
    from chimerax.atomic import Residue, all_atomic_structures
    from chimerax.color_key.model import get_model
    from chimerax.label.label2d import all_labels

    registered = getattr(Residue, "_attr_registration", None)
    attributes = sorted(registered.reg_attr_info) if registered is not None else []
    structures = sorted(all_atomic_structures(session), key=lambda s: s.id)
    return {
        "structures": {
            f"{s.atomspec} {s.name}": {n: g.num_pseudobonds for n, g in sorted(s.pbg_map.items())}
            for s in structures
        },
        "global groups": {
            n: g.num_pseudobonds for n, g in sorted(session.pb_manager.group_map.items())
        },
        "labels": sorted(label.name for label in all_labels(session)),
        "color key": get_model(session, create=False) is not None,
        "attributes": {
            name: sum(hasattr(r, name) for s in structures for r in s.residues)
            for name in attributes
        },
    }
