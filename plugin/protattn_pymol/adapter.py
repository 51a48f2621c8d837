"""PyMOL objects to protattn chains: sequences and residue ids come from the object itself."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
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

# every alternate location: of an atom's altlocs the one of highest occupancy is kept
# (:func:`_keep_best`), as the core's file reader keeps it, so none is dropped
_PROTEIN = "polymer.protein and not hydro"

#: Residue names that no structure file writes (spaces, dots): a file read in the wrong format.
_GARBLED = re.compile(r"[^A-Za-z0-9_+-]")


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


def _keep_best(kept: dict, occupancy: dict, name: str, q: float, xyz: np.ndarray) -> None:
    """Keep atom ``name`` at ``xyz`` unless one of higher occupancy is kept already.

    Of an atom's alternate locations the one of highest occupancy is kept, the first
    of equal ones (``''`` or ``A`` as a rule, as PyMOL orders them), as Biopython and so
    the core's reader keep it: an atom whose altlocs are ``B`` and ``C`` only is kept.
    """
    if name not in kept or q > occupancy[name]:
        kept[name] = xyz
        occupancy[name] = q


def _first_alt(atoms: list[tuple[str, float, np.ndarray]]) -> list[np.ndarray]:
    """A group's atoms in one alternate location: those without one and those of the
    altloc of highest occupancy (the first of equal ones). Atoms of one name may repeat
    (ligands often name several atoms alike), so the choice is the group's, not each atom's.
    """
    alts = [(alt, q) for alt, q, _ in atoms if alt]
    best = max(alts, key=lambda a: a[1])[0] if alts else ""
    return [xyz for alt, _, xyz in atoms if alt in ("", best)]


def _unknown_name(selection: str) -> str:
    """Why ``selection``, which PyMOL refused, matches nothing: a name it does not know."""
    name = selection.strip()
    if not re.fullmatch(r"[\w.+-]+", name):
        return "use a PyMOL selection such as '1hpv and chain A'"
    return (
        f"no object or selection is named {name!r}: load the file first (load FILE, {name}); "
        "PyMOL makes no object of a file it cannot read (empty, binary, mmCIF without "
        "coordinates, or in another format than its extension says: give load its "
        "format=pdb or format=cif)"
    )


def _empty_objects(selection: str, _self) -> list[str]:
    """The molecular objects named in ``selection`` that hold no atoms (an empty file)."""
    words = set(re.findall(r"[\w.+-]+", selection))
    return [
        name
        for name in _self.get_names("objects") or []
        if name in words
        and _self.get_type(name) == "object:molecule"
        and not _self.count_atoms(f"%{name}")
    ]


def _no_atoms(selection: str, _self) -> str:
    """What a selection matching no atoms says: an empty object, or names to check."""
    empty = _empty_objects(selection, _self)
    names = _self.get_object_list() or []
    if empty:
        return (
            f"selection {selection!r} matches no atoms: object {', '.join(empty)} holds none, "
            "as PyMOL read no atom from its file (empty, cut off before its first atom, "
            "binary, or in another format than its extension says: give load its format=); "
            "load a structure file with coordinates (objects with atoms: "
            f"{loaded_objects(_self)})"
        )
    hint = (
        f"check the object, chain and residue names (get_chains {names[0]} lists "
        "an object's chains)"
        if names
        else "load a structure first"
    )
    return (
        f"selection {selection!r} matches no atoms (objects loaded: "
        f"{loaded_objects(_self)}); {hint}"
    )


def _no_protein(selection: str, n_atoms: int, _self) -> str:
    """What a selection without a protein residue's CA says: the residues it holds instead."""
    protein = _self.count_atoms(f"({selection}) and polymer.protein")
    if protein:
        return (
            f"selection {selection!r} has {protein} protein atoms but no CA atom: protattn "
            "places each residue by its CA (a missing CA is never made up); select residues "
            "with CA atoms, or load a file that has them"
        )
    residues: set[tuple[str, str, str, str, str]] = set()
    _self.iterate(
        f"({selection})",
        "residues.add((model, segi, chain, resi, resn))",
        space={"residues": residues},
    )
    counts = sorted(Counter(resn for *_, resn in residues).items(), key=lambda c: (-c[1], c[0]))
    shown = ", ".join(f"{resn or '(blank)'} x{n}" for resn, n in counts[:6])
    more = f" and {len(counts) - 6} more names" if len(counts) > 6 else ""
    what = f"its residues: {shown}{more}"
    if _self.count_atoms(f"({selection}) and polymer.nucleic"):
        what += ": nucleic acid (DNA, RNA), which protein language models do not read"
    elif any(_GARBLED.search(resn) for resn, _ in counts):
        what += (
            ": names no structure file writes, as when a file is read in another format than "
            "its own (an mmCIF file named .pdb: load it again with format=cif)"
        )
    elif _self.count_atoms(f"({selection}) and not solvent and not inorganic") == 0:
        what += ": water and ions only"
    return (
        f"selection {selection!r} contains no protein residues ({n_atoms} atoms, none of them "
        f"a protein residue's CA; {what}); select a protein object or chain, e.g. "
        "'polymer.protein' or '1hpv and chain A'"
    )


def chains_by_object(selection: str, state: int = -1, *, _self=cmd) -> dict[str, list[Chain]]:
    """Protein chains touched by ``selection``, whole, grouped by object.

    Each chain is built from all protein residues of that chain in its object
    (the model needs the whole sequence), in the object's order; PyMOL keeps no
    SEQRES, so the sequence is the observed residues. Coordinates come from each
    object's ``state`` (:func:`object_state`: 0 or -1 the current one); of an atom's
    alternate locations the one of highest occupancy is used, as the core's reader
    uses it. A residue without a CA keeps its place in the sequence, with a NaN CA.

    Raises
    ------
    pymol.CmdException
        If the selection is invalid (naming a name no object or selection has),
        matches nothing (saying which named object holds no atoms, as PyMOL leaves
        an empty or unreadable file) or holds no protein (listing the residue names
        it holds: water, nucleic acid, or names of a file read in the wrong format),
        or an object has no such state.
    """
    try:
        n_atoms = _self.count_atoms(f"({selection})")
    except CmdException as e:
        raise CmdException(
            f"invalid selection {selection!r} (objects loaded: {loaded_objects(_self)}); "
            f"{_unknown_name(selection)}"
        ) from e
    if not n_atoms:
        raise CmdException(_no_atoms(selection, _self))
    touched: set[tuple[str, str, str]] = set()
    _self.iterate(
        f"({selection}) and {_PROTEIN} and name CA",
        "touched.add((model, segi, chain))",
        space={"touched": touched},
    )
    if not touched:
        raise CmdException(_no_protein(selection, n_atoms, _self))
    states = {m: object_state(m, state, _self=_self) for m in sorted({m for m, _, _ in touched})}
    atoms: dict[tuple[str, str, str], dict[tuple[int, str], tuple[str, dict]]] = defaultdict(dict)
    occupancy: dict[tuple, dict[str, float]] = defaultdict(dict)

    def collect(model, segi, chain, resi, resv, resn, name, q, x, y, z):
        if (model, segi, chain) not in touched:
            return
        key = (resv, icode(resi, resv))
        residue = atoms[(model, segi, chain)].setdefault(key, (resn, {}))
        where = occupancy[(model, segi, chain, key)]
        _keep_best(residue[1], where, name, q, np.array((x, y, z), dtype=float))

    for obj, used in states.items():
        _self.iterate_state(
            used,
            f"({obj}) and {_PROTEIN}",
            "collect(model, segi, chain, resi, resv, resn, name, q, x, y, z)",
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

    Ligands are the object's non-polymer, non-solvent groups (heavy atoms; of a group
    in alternate locations, those of its altloc of highest occupancy), whether or not
    the selection touches them, in the same state.
    """
    by_object = chains_by_object(selection, state, _self=_self)
    groups: dict[tuple[str, str, int, str, str], list] = defaultdict(list)

    def collect(model, chain, resi, resv, resn, alt, q, x, y, z):
        groups[(model, chain, resv, icode(resi, resv), resn)].append((alt, q, np.array((x, y, z))))

    for obj in sorted(by_object):
        _self.iterate_state(
            object_state(obj, state, _self=_self),
            f"({obj}) and not polymer and not solvent and not hydro",
            "collect(model, chain, resi, resv, resn, alt, q, x, y, z)",
            space={"collect": collect},
        )
    ligands: dict[str, list[Ligand]] = defaultdict(list)
    for (model, chain, resv, ins, resn), found in groups.items():
        coords = np.array(_first_alt(found))
        ligands[model].append(Ligand(resn, ResidueId(chain, resv, ins), coords))
    return {
        obj: Structure(obj, tuple(chains), tuple(ligands.get(obj, ())))
        for obj, chains in by_object.items()
    }
