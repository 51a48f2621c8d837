"""PyMOL objects to protattn chains: sequences and residue ids come from the object itself."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pymol import CmdException, cmd

from protattn import Chain, Ligand, ObservedResidue, ResidueId, Structure, chain_from_residues

__all__ = ["chains_by_object", "structures_by_object", "icode"]

_PROTEIN = "polymer.protein and not hydro and (alt '' or alt 'A')"


def icode(resi: str, resv: int) -> str:
    """Insertion code from PyMOL's ``resi`` text (``"82A"`` with ``resv`` 82 gives ``"A"``)."""
    digits = str(resv)
    return resi[len(digits) :] if resi.startswith(digits) else ""


def chains_by_object(selection: str, *, _self=cmd) -> dict[str, list[Chain]]:
    """Protein chains touched by ``selection``, whole, grouped by object.

    Each chain is built from all protein residues of that chain in its object
    (the model needs the whole sequence), in the object's order; PyMOL keeps no
    SEQRES, so the sequence is the observed residues.

    Raises
    ------
    pymol.CmdException
        If the selection is invalid or holds no protein.
    """
    try:
        _self.count_atoms(f"({selection})")
    except CmdException as e:
        raise CmdException(
            f"invalid selection {selection!r}; use a PyMOL selection such as '1hpv and chain A'"
        ) from e
    touched: set[tuple[str, str, str]] = set()
    _self.iterate(
        f"({selection}) and {_PROTEIN} and name CA",
        "touched.add((model, segi, chain))",
        space={"touched": touched},
    )
    if not touched:
        raise CmdException(
            f"selection {selection!r} contains no protein residues; select a protein "
            "object or chain, e.g. 'polymer.protein' or '1hpv and chain A'"
        )
    atoms: dict[tuple[str, str, str], dict[tuple[int, str], tuple[str, dict]]] = defaultdict(dict)

    def collect(model, segi, chain, resi, resv, resn, name, x, y, z):
        if (model, segi, chain) not in touched:
            return
        key = (resv, icode(resi, resv))
        residue = atoms[(model, segi, chain)].setdefault(key, (resn, {}))
        residue[1].setdefault(name, np.array((x, y, z), dtype=float))

    objects = " ".join(sorted({m for m, _, _ in touched}))
    _self.iterate_state(
        1,
        f"({objects}) and {_PROTEIN}",
        "collect(model, segi, chain, resi, resv, resn, name, x, y, z)",
        space={"collect": collect},
    )
    result: dict[str, list[Chain]] = defaultdict(list)
    for (model, _segi, chain), residues in atoms.items():
        observed = [
            ObservedResidue(ResidueId(chain, resv, ins), resn, coords)
            for (resv, ins), (resn, coords) in residues.items()
        ]
        result[model].append(chain_from_residues(chain, observed))
    return dict(result)


def structures_by_object(selection: str, *, _self=cmd) -> dict[str, Structure]:
    """Like :func:`chains_by_object`, with each object's ligands (for binding sites).

    Ligands are the object's non-polymer, non-solvent groups (heavy atoms, first
    altloc), whether or not the selection touches them.
    """
    by_object = chains_by_object(selection, _self=_self)
    groups: dict[tuple[str, str, int, str, str], list[np.ndarray]] = defaultdict(list)

    def collect(model, chain, resi, resv, resn, x, y, z):
        groups[(model, chain, resv, icode(resi, resv), resn)].append(np.array((x, y, z)))

    objects = " ".join(sorted(by_object))
    _self.iterate_state(
        1,
        f"({objects}) and not polymer and not solvent and not hydro and (alt '' or alt 'A')",
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
