"""ChimeraX structures to protattn chains, and the way back to ChimeraX residues.

Each protein chain of a structure becomes one :class:`protattn.Chain` whose
sequence is the chain's full sequence (SEQRES / entity sequence,
``chain.characters``), with ``None`` where ChimeraX has no residue
(``chain.residues``), so the model sees the same sequence as it does for the
file. ChimeraX writes a residue of unknown type as ``?``; the core's letter for
it is ``X`` (so that a chain of unknown residues only is noted as such).
Heavy-atom coordinates are the untransformed ``atom.coord``: distances
within a structure do not depend on its placement in the scene.

A file of several models (an NMR ensemble) opens as submodels ``#1.1``,
``#1.2`` ...: one structure each, with the same chains. A spec that touches several
of them (``#1``) is analysed on the first only (:func:`one_per_ensemble`), so that
statistics do not count one sequence once per conformer, and the log says which
model is used and how to name another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from chimerax.atomic import AtomicStructure, Residue, Residues, Sequence
from chimerax.atomic import Chain as ChimeraXChain
from chimerax.core.errors import UserError

import protattn
from protattn import Chain, ObservedResidue, ResidueId
from protattn.words import plural

__all__ = [
    "StructureChains",
    "residue_id",
    "core_chain",
    "protein_chains",
    "one_per_ensemble",
    "no_protein",
]

_HYDROGENS = ("H", "D")
_WATER = frozenset({"HOH", "WAT", "DOD", "H2O"})
#: ChimeraX's one-letter code of a residue of unknown type, and the core's.
_CHIMERAX_UNKNOWN, _UNKNOWN = "?", "X"


@dataclass(frozen=True)
class StructureChains:
    """The protein chains that a spec touches in one structure.

    Attributes
    ----------
    structure : AtomicStructure
    chains : tuple of protattn.Chain
        Whole chains (the model always sees a whole chain), in structure order.
    residues : dict
        :class:`protattn.ResidueId` to ChimeraX residue, for every observed residue
        of those chains.
    selected : frozenset of protattn.ResidueId
        The residues of those chains that are in the spec: what is drawn.
    """

    structure: AtomicStructure
    chains: tuple[Chain, ...]
    residues: dict[ResidueId, Residue]
    selected: frozenset[ResidueId]

    def core_structure(self) -> protattn.Structure:
        """These chains with the structure's ligands (non-polymer, non-water residues)."""
        ligands = []
        for residue in self.structure.residues:
            if residue.polymer_type != Residue.PT_NONE or residue.name in _WATER:
                continue
            atoms = residue.atoms
            heavy = ~np.isin(atoms.element_names, _HYDROGENS)
            if heavy.any():
                ligands.append(
                    protattn.Ligand(
                        residue.name,
                        residue_id(residue),
                        np.array(atoms.coords[heavy], dtype=float),
                    )
                )
        return protattn.Structure(self.structure.name, self.chains, tuple(ligands))

    @property
    def partial(self) -> bool:
        """Whether only part of the chains is in the spec."""
        return len(self.selected) < len(self.residues)

    @property
    def within(self) -> frozenset[ResidueId] | None:
        """The core's ``within``: the residues in the spec, or None for whole chains.

        With whole chains the core sees every pair, as for the file, so that pairs
        with an unobserved residue are counted as not drawn (and ``topK`` counts
        them) exactly as on the command line.
        """
        return self.selected if self.partial else None


def residue_id(residue: Residue) -> ResidueId:
    """The core's identity of a ChimeraX residue (author chain id, number, insertion code)."""
    return ResidueId(residue.chain_id, int(residue.number), residue.insertion_code)


def _observed(residues: list[Residue]) -> list[ObservedResidue]:
    """The residues with their heavy atoms, read from ChimeraX in one pass.

    Reading every residue's atoms in one collection (in residue order, ``num_atoms``
    each) keeps a chain of a 100,000-atom structure to milliseconds, where asking each
    residue for its atoms takes a third of a millisecond a residue.
    """
    if not residues:
        return []
    collection = Residues(residues)
    atoms = collection.atoms
    heavy = ~np.isin(atoms.element_names, _HYDROGENS)
    names, coords = atoms.names, np.asarray(atoms.coords, dtype=float)
    ends = np.cumsum(collection.num_atoms)
    observed = []
    for residue, end, count in zip(residues, ends, collection.num_atoms):
        start = end - count
        keep = np.flatnonzero(heavy[start:end]) + start
        observed.append(
            ObservedResidue(
                residue_id(residue),
                residue.name,
                {str(names[k]): coords[k].copy() for k in keep},
            )
        )
    return observed


def core_chain(chain: ChimeraXChain) -> tuple[Chain, dict[ResidueId, Residue]]:
    """A ChimeraX protein chain as a core chain, and its residues by core residue id.

    Parameters
    ----------
    chain : chimerax.atomic.Chain
        A protein chain: ``chain.characters`` is its full sequence, ``chain.residues``
        has ``None`` where a residue has no coordinates.

    Returns
    -------
    (protattn.Chain, dict)
        The chain over its full sequence, and :class:`protattn.ResidueId` to residue
        for each observed residue.
    """
    observed: list[ObservedResidue] = []
    positions: list[int] = []
    residues: dict[ResidueId, Residue] = {}
    present = [(k, r) for k, r in enumerate(chain.residues) if r is not None]  # None: unobserved
    for (position, residue), res in zip(present, _observed([r for _, r in present])):
        if res.id in residues:  # two residues with one identity: segments ChimeraX merged
            raise UserError(
                f"chain {chain.chain_id.strip() or '(blank)'} of {chain.structure} has two "
                f"residues numbered {res.id.number}{res.id.icode}: the file tells chains "
                "apart by segment id (as MD tools write them), which ChimeraX does not "
                "keep, so its residues cannot be told apart; give each segment a chain id "
                "of its own in the file, or use protattn's command line or PyMOL, which "
                "read segments (nothing was drawn)"
            )
        observed.append(res)
        positions.append(position)
        residues[res.id] = residue
    sequence = chain.characters.replace(_CHIMERAX_UNKNOWN, _UNKNOWN)
    core = protattn.chain_from_residues(
        chain.chain_id, observed, sequence=sequence, positions=positions
    )
    return core, residues


def protein_chains(residues: Residues) -> list[StructureChains]:
    """Group the protein chains that ``residues`` touch by structure.

    Residues outside any chain (ligands, water) and chains that are not protein
    (nucleic acids) are left out; structures without a protein chain in
    ``residues`` are left out.
    """
    found: list[StructureChains] = []
    for structure, s_residues in residues.by_structure:
        touched = set(s_residues.unique_chains)
        chains = [
            c for c in structure.chains if c in touched and c.polymer_type == Residue.PT_AMINO
        ]
        if not chains:
            continue
        core_chains: list[Chain] = []
        by_id: dict[ResidueId, Residue] = {}
        for chain in chains:
            core, chain_residues = core_chain(chain)
            core_chains.append(core)
            by_id.update(chain_residues)
        selected = frozenset(
            rid for rid, r in zip(map(residue_id, s_residues), s_residues) if by_id.get(rid) is r
        )
        found.append(StructureChains(structure, tuple(core_chains), by_id, selected))
    return found


def _ensemble_key(target: StructureChains) -> tuple[object, tuple[tuple[str, str], ...]] | None:
    """What makes submodels one ensemble: the same grouping model and the same chains."""
    parent = target.structure.parent
    if parent is None or not getattr(parent, "id", None) or isinstance(parent, AtomicStructure):
        return None  # a top-level structure (its parent is the scene root)
    return parent, tuple((c.id, c.sequence) for c in target.chains)


def one_per_ensemble(found: list[StructureChains]) -> tuple[list[StructureChains], list[str]]:
    """The first model of each ensemble the spec touches, and a note for each ensemble.

    Submodels of one model (``#1.1``, ``#1.2`` ... of a multi-model file) whose
    chosen chains have the same ids and sequences are one ensemble; only the one
    with the lowest id is kept.

    Returns
    -------
    (list of StructureChains, list of str)
        The targets kept, in their order, and one line per ensemble that lost some,
        naming the model used and how to choose another.
    """
    groups: dict[object, list[StructureChains]] = {}
    for target in found:
        key = _ensemble_key(target)
        if key is not None:
            groups.setdefault(key, []).append(target)
    dropped: set[int] = set()
    notes = []
    for (parent, _), members in groups.items():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda t: t.structure.id)
        kept, others = members[0], members[1:]
        dropped.update(id(t) for t in others)
        notes.append(
            f"#{parent.id_string} holds {len(members)} models of the same chains "
            f"({', '.join(t.structure.atomspec for t in members)}; e.g. an NMR ensemble): "
            f"using {kept.structure.atomspec} only; name one model, e.g. "
            f"{others[0].structure.atomspec}, to use another"
        )
    return [t for t in found if id(t) not in dropped], notes


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def no_protein(residues: Residues) -> tuple[str, str]:
    """What residues without a protein chain hold, and the fix, for the message refusing them.

    Returns
    -------
    (str, str)
        The residues in words (``"nucleic-acid chains A, B"``, ``"6 waters"``,
        ``"1 ligand (KNI)"``, ``"198 amino-acid residues in no chain"``), and what to
        do: amino acids in no chain are a protein written as HETATM records, of which
        ChimeraX makes no chain.
    """
    nucleic = sorted(
        {c.chain_id for c in residues.unique_chains if c.polymer_type == Residue.PT_NUCLEIC}
    )
    waters = ligands = amino = 0
    names: set[str] = set()
    for residue in residues:
        if residue.chain is not None:
            continue
        if residue.name in _WATER:
            waters += 1
        elif residue.find_atom("CA") is not None and Sequence.protein3to1(residue.name) != _UNKNOWN:
            amino += 1
        else:
            ligands += 1
            names.add(residue.name)
    parts = []
    if nucleic:
        parts.append(plural(len(nucleic), "nucleic-acid chain") + " " + ", ".join(nucleic))
    if amino:
        parts.append(plural(amino, "amino-acid residue") + " in no chain")
    if ligands:
        shown = sorted(names)[:5]
        more = ", ..." if len(names) > len(shown) else ""
        parts.append(f"{plural(ligands, 'ligand')} ({', '.join(shown)}{more})")
    if waters:
        parts.append(plural(waters, "water"))
    held = _joined(parts) if parts else "no polymer"
    fix = "specify residues of a protein, e.g. '#1', '#1/H' or 'protein'"
    if amino:
        fix = (
            "ChimeraX makes chains of a polymer's ATOM records, not of HETATM ones: write "
            "the protein's records as ATOM (or use protattn's command line, which reads "
            "HETATM polymers), or " + fix
        )
    return held, fix
