"""PyMOL objects to protattn chains: sequences and residue ids come from the object itself."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from pymol import CmdException, cmd

from protattn import Chain, Ligand, ObservedResidue, ResidueId, Structure, chain_from_residues

__all__ = [
    "chains_by_object",
    "structures_by_object",
    "object_state",
    "state_notes",
    "loaded_objects",
    "icode",
]

_PROTEIN = "polymer.protein and not hydro and (alt '' or alt 'A')"


def icode(resi: str, resv: int) -> str:
    """Insertion code from PyMOL's ``resi`` text (``"82A"`` with ``resv`` 82 gives ``"A"``)."""
    digits = str(resv)
    return resi[len(digits) :] if resi.startswith(digits) else ""


def loaded_objects(_self=cmd) -> str:
    """The molecular objects loaded now, for messages (``"1hpv, 1vfb"`` or ``"none"``)."""
    names = _self.get_object_list() or []
    return ", ".join(names) if names else "none"


def object_state(obj: str, state: int = -1, *, _self=cmd) -> int:
    """The 1-based state of ``obj`` that ``state`` names: itself, or the current one (0, -1).

    The current state is the object's own (``get_object_state``: the ``state``
    setting, or the object's, as the viewer shows it).

    Raises
    ------
    pymol.CmdException
        If ``obj`` has no such state, saying how many it has.
    """
    count = _self.count_states(obj)
    if state in (0, -1):
        return max(1, min(int(_self.get_object_state(obj)), max(1, count)))
    if not 1 <= state <= count:
        raise CmdException(
            f"{obj} has {count} state{'' if count == 1 else 's'}: there is no state {state}; "
            f"give state=1{f'-{count}' if count > 1 else ''}, or leave state out for the "
            "current one"
        )
    return state


def state_notes(command: str, objects: Iterable[str], state: int = -1, *, _self=cmd) -> list[str]:
    """What a command says of each object of several states (NMR models, trajectory frames):
    which state it uses, and that ``state=`` chooses another. Nothing for objects of one state.
    """
    lines = []
    for obj in objects:
        count = _self.count_states(obj)
        if count <= 1:
            continue
        used = object_state(obj, state, _self=_self)
        how = "the current one" if state in (0, -1) else f"state={state}"
        lines.append(
            f" {command}: {obj} has {count} states: state {used} ({how}) is used; "
            f"state=N chooses another (1-{count})"
        )
    return lines


def chains_by_object(selection: str, state: int = -1, *, _self=cmd) -> dict[str, list[Chain]]:
    """Protein chains touched by ``selection``, whole, grouped by object.

    Each chain is built from all protein residues of that chain in its object
    (the model needs the whole sequence), in the object's order; PyMOL keeps no
    SEQRES, so the sequence is the observed residues. Coordinates come from each
    object's ``state`` (:func:`object_state`: 0 or -1 the current one).

    Raises
    ------
    pymol.CmdException
        If the selection is invalid, matches nothing or holds no protein, or an
        object has no such state.
    """
    try:
        n_atoms = _self.count_atoms(f"({selection})")
    except CmdException as e:
        raise CmdException(
            f"invalid selection {selection!r} (objects loaded: {loaded_objects(_self)}); "
            "use a PyMOL selection such as '1hpv and chain A'"
        ) from e
    if not n_atoms:
        names = _self.get_object_list() or []
        hint = (
            f"check the object, chain and residue names (get_chains {names[0]} lists "
            "an object's chains)"
            if names
            else "load a structure first"
        )
        raise CmdException(
            f"selection {selection!r} matches no atoms (objects loaded: "
            f"{loaded_objects(_self)}); {hint}"
        )
    touched: set[tuple[str, str, str]] = set()
    _self.iterate(
        f"({selection}) and {_PROTEIN} and name CA",
        "touched.add((model, segi, chain))",
        space={"touched": touched},
    )
    if not touched:
        raise CmdException(
            f"selection {selection!r} contains no protein residues ({n_atoms} atoms, none "
            "of them a protein residue's CA); select a protein object or chain, e.g. "
            "'polymer.protein' or '1hpv and chain A'"
        )
    states = {m: object_state(m, state, _self=_self) for m in sorted({m for m, _, _ in touched})}
    atoms: dict[tuple[str, str, str], dict[tuple[int, str], tuple[str, dict]]] = defaultdict(dict)

    def collect(model, segi, chain, resi, resv, resn, name, x, y, z):
        if (model, segi, chain) not in touched:
            return
        key = (resv, icode(resi, resv))
        residue = atoms[(model, segi, chain)].setdefault(key, (resn, {}))
        residue[1].setdefault(name, np.array((x, y, z), dtype=float))

    for obj, used in states.items():
        _self.iterate_state(
            used,
            f"({obj}) and {_PROTEIN}",
            "collect(model, segi, chain, resi, resv, resn, name, x, y, z)",
            space={"collect": collect},
        )
    # a chain id that holds several segments (MD files: PROA, PROB, often with a blank
    # chain id) is a chain per segment, as the core's reader makes it
    segments: dict[tuple[str, str], set[str]] = defaultdict(set)
    for obj in states:
        _self.iterate(
            f"({obj}) and {_PROTEIN} and name CA",
            "segments[(model, chain)].add(segi)",
            space={"segments": segments},
        )
    result: dict[str, list[Chain]] = defaultdict(list)
    for (model, segi, chain), residues in atoms.items():
        segment = segi if len(segments[(model, chain)]) > 1 else ""
        observed = [
            ObservedResidue(ResidueId(chain, resv, ins, segment), resn, coords)
            for (resv, ins), (resn, coords) in residues.items()
        ]
        result[model].append(chain_from_residues(chain, observed, segment=segment))
    return dict(result)


def structures_by_object(selection: str, state: int = -1, *, _self=cmd) -> dict[str, Structure]:
    """Like :func:`chains_by_object`, with each object's ligands (for binding sites).

    Ligands are the object's non-polymer, non-solvent groups (heavy atoms, first
    altloc), whether or not the selection touches them, in the same state.
    """
    by_object = chains_by_object(selection, state, _self=_self)
    groups: dict[tuple[str, str, int, str, str], list[np.ndarray]] = defaultdict(list)

    def collect(model, chain, resi, resv, resn, x, y, z):
        groups[(model, chain, resv, icode(resi, resv), resn)].append(np.array((x, y, z)))

    for obj in sorted(by_object):
        _self.iterate_state(
            object_state(obj, state, _self=_self),
            f"({obj}) and not polymer and not solvent and not hydro and (alt '' or alt 'A')",
            "collect(model, chain, resi, resv, resn, x, y, z)",
            space={"collect": collect},
        )
    ligands: dict[str, list[Ligand]] = defaultdict(list)
    for (model, chain, resv, ins, resn), coords in groups.items():
        ligands[model].append(Ligand(resn, ResidueId(chain, resv, ins), np.array(coords)))
    return {
        obj: Structure(obj, tuple(chains), tuple(ligands.get(obj, ())))
        for obj, chains in by_object.items()
    }
