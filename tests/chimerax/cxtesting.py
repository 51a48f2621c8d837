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
