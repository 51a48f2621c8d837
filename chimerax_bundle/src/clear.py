"""``attention clear``: remove the pseudobonds and residue values the commands made."""

from __future__ import annotations

from chimerax.atomic import Residues, ResiduesArg, all_atomic_structures, all_residues
from chimerax.core.commands import BoolArg, CmdDesc, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.words import plural

from .drawing import attention_groups, protattn_attributes
from .key import drop_keys, shown_keys

__all__ = ["attention_clear", "register_command"]


def attention_clear(
    session: Session, residues: Residues | None = None, *, attribute: bool = True
) -> None:
    """Remove what the attention commands drew.

    Usage: attention clear [atom-spec] [attribute true|false]

    Deletes the attention pseudobonds with an end in the spec (all of them
    without a spec) from every group the attention commands made (also groups
    restored from a session), closing groups left empty, and with ``attribute
    true`` (default) removes the values of ``attention`` and of every other
    residue attribute ``attention color ... attribute NAME`` set, from the
    residues in the spec. The keys (``key true``) of drawings on the structures
    in the spec go too: protattn's 2D labels, and ChimeraX's colour key if
    protattn made it (with ``attribute false``, only the pairs' key); keys
    restored from a session file too, which the log notes. Colours are left as
    they are (recolour with e.g. ``color bychain``). Nothing else is touched:
    pseudobond groups, attributes and 2D labels of the user's own stay.
    """
    shown_keys(session)  # keys restored from a session, known while their drawings are
    if residues is None:
        structures, atoms = all_atomic_structures(session), None
        residues = all_residues(session)
    else:
        structures, atoms = residues.unique_structures, residues.atoms
    removed, closed = 0, []
    for structure in structures:
        for group in attention_groups(session, structure):
            pbonds = group.pseudobonds
            if atoms is not None:
                ends = pbonds.atoms
                pbonds = pbonds.filter(ends[0].mask(atoms) | ends[1].mask(atoms))
            removed += len(pbonds)
            pbonds.delete()
            if group.num_pseudobonds == 0:
                closed.append(group)
    if closed:
        session.models.close(closed)
    cleared = 0
    if attribute:
        names = protattn_attributes(session)
        for residue in residues:
            had = False
            for name in names:
                if hasattr(residue, name):
                    delattr(residue, name)
                    had = True
            cleared += had
    kinds = ("pairs", "color") if attribute else ("pairs",)
    keys = drop_keys(session, kinds, None if atoms is None else structures)
    parts = [plural(removed, "attention pseudobond")]
    if attribute:
        parts.append(f"the attention values of {plural(cleared, 'residue')}")
    if keys:
        parts.append(plural(keys, "key"))
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    session.logger.info(f"removed {listed}")


def register_command(logger: Logger) -> None:
    """Register ``attention clear`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        optional=[("residues", ResiduesArg)],
        keyword=[("attribute", BoolArg)],
        synopsis="remove attention pseudobonds and residue attribute values",
    )
    register("attention clear", desc, attention_clear, logger=logger)
