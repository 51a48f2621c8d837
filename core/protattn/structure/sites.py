"""Ligand binding sites: HETATM groups classified, and the residues within 4 Å of them.

A site is either computed from the coordinates (:func:`binding_sites`: protein heavy
atoms within :data:`SITE_CUTOFF` of a ligand's heavy atoms) or read from a PDB
file's SITE records (:func:`site_record_sites`, the paper's source of binding
sites); :func:`site_mask` lines a site up with a chain's sequence positions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np

from .model import Chain, Ligand, ResidueId, Structure

__all__ = [
    "LIGAND_KINDS",
    "SITE_CUTOFF",
    "ligand_kind",
    "BindingSite",
    "binding_sites",
    "site_record_sites",
    "site_mask",
]

#: Kinds of HETATM group told apart by :func:`ligand_kind`.
LIGAND_KINDS = ("ligand", "ion", "glycan", "additive")

#: Heavy-atom distance (Å) within which a residue belongs to a binding site.
SITE_CUTOFF = 4.0

# the tables of component ids are kept in columns, as they are read
# fmt: off
_IONS = frozenset({
    # metal cations
    "LI", "NA", "K", "RB", "CS", "MG", "CA", "SR", "BA", "MN", "MN3", "FE", "FE2", "CO",
    "3CO", "NI", "3NI", "CU", "CU1", "ZN", "CD", "HG", "PB", "AG", "AU", "AU3", "PT", "PD",
    "AL", "GA", "IN", "TL", "CR", "V", "YB", "LA", "EU", "EU3", "GD", "GD3", "SM", "TB",
    "LU", "HO", "PR", "CE", "SB", "OS", "IR", "RU", "RH", "W", "MO", "4MO", "6MO", "ZR", "BE",
    # halides, other monoatomic anions, ammonium
    "F", "CL", "BR", "IOD", "O", "OH", "NH4",
})

_GLYCANS = frozenset({
    "NAG", "NDG", "MAN", "BMA", "GAL", "GLA", "FUC", "FUL", "FCA", "FCB", "MFU", "GLC",
    "BGC", "SIA", "SLB", "NGC", "KDN", "KDO", "XYS", "XYP", "FRU", "A2G", "NGA", "GCS",
    "GCU", "BDP", "IDR", "ADA", "MAL", "SUC", "LAT", "LBT", "CBI", "TRE", "RAM", "ARA",
    "ARB", "AHR", "MMA", "GYP",
})

_ADDITIVES = frozenset({
    # small inorganic anions
    "SO4", "PO4", "PI", "2HP", "NO3", "SCN", "AZI",
    # alcohols, glycols, polyethylene glycols
    "GOL", "EDO", "PEG", "PG4", "PGE", "1PE", "2PE", "P6G", "PE4", "PE5", "PE8", "P33",
    "12P", "15P", "1PG", "7PE", "PG0", "PG5", "PG6", "PGO", "PGR", "MPD", "MRD", "MOH",
    "EOH", "IPA", "BU1", "BU3", "HEZ", "PDO", "POL", "TBU",
    # organic acids used as precipitants or buffers
    "ACT", "ACY", "FMT", "CIT", "FLC", "TAR", "TLA", "MLI", "SIN",
    # buffers, reducing agents, denaturants, solvents, detergents
    "TRS", "EPE", "MES", "MPO", "CXS", "B3P", "BTB", "NHE", "CPS", "BME", "DTT", "DTU",
    "DTV", "HED", "TCE", "SGM", "IMD", "URE", "GAI", "DMS", "DMF", "DOX", "ACN", "CCN",
    "SDS", "LDA", "C8E", "BOG", "BNG", "LMT", "DMU",
})
# fmt: on


def ligand_kind(name: str) -> str:
    """Kind of a HETATM group from its chemical component id.

    Parameters
    ----------
    name : str
        Chemical component id (``"NAG"``, ``"ZN"``, ``"SO4"``, ``"ATP"``).

    Returns
    -------
    str
        ``"ion"`` (monoatomic ions, ammonium), ``"glycan"`` (sugars), ``"additive"``
        (crystallisation and buffer components: sulfate, glycerol, PEGs, acetate, …)
        or ``"ligand"`` for everything else. The sets are curated, not exhaustive:
        an additive missing from them counts as a ligand.

    Examples
    --------
    >>> [ligand_kind(n) for n in ("ZN", "NAG", "GOL", "ATP")]
    ['ion', 'glycan', 'additive', 'ligand']
    """
    code = name.strip().upper()
    if code in _IONS:
        return "ion"
    if code in _GLYCANS:
        return "glycan"
    if code in _ADDITIVES:
        return "additive"
    return "ligand"


@dataclass(frozen=True)
class BindingSite:
    """Protein residues around one ligand, or one site record of the file.

    Attributes
    ----------
    ligand : Ligand or None
        The HETATM group; ``None`` for a site record whose group is not found.
    kind : str
        :func:`ligand_kind` of the group, or ``"site record"`` for the file's own annotation.
    residues : tuple of ResidueId
        Observed protein residues of the site, in chain order (chains as in the structure).
    site_id : str or None
        The record's id (``"AC1"``) for a site record.
    """

    ligand: Ligand | None
    kind: str
    residues: tuple[ResidueId, ...]
    site_id: str | None = None

    @property
    def name(self) -> str:
        """The ligand's component id (``"ATP"``), else the site record's id."""
        if self.ligand is not None:
            return self.ligand.name
        return self.site_id or ""

    def __str__(self) -> str:
        what = str(self.ligand) if self.ligand is not None else f"site {self.site_id}"
        return f"{what} ({self.kind}): {len(self.residues)} residues"


def _check_kinds(kinds: Collection[str]) -> frozenset[str]:
    kinds = frozenset([kinds] if isinstance(kinds, str) else kinds)
    unknown = kinds - set(LIGAND_KINDS)
    if unknown:
        raise ValueError(
            f"ligand kind(s) {', '.join(sorted(unknown))} not known; "
            f"choose from {', '.join(LIGAND_KINDS)}"
        )
    return kinds


def _protein_atoms(structure: Structure) -> tuple[np.ndarray, np.ndarray, list[ResidueId]]:
    """Heavy atoms of every observed protein residue: coordinates, owner index, residue ids."""
    coords: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    residues: list[ResidueId] = []
    for chain in structure.chains:
        for rid, atoms in zip(chain.residue_ids, chain.atoms):
            if rid is None or not atoms:
                continue
            xyz = np.asarray(list(atoms.values()), dtype=float).reshape(-1, 3)
            coords.append(xyz)
            owner.append(np.full(len(xyz), len(residues)))
            residues.append(rid)
    if not coords:
        return np.zeros((0, 3)), np.zeros(0, dtype=int), residues
    return np.concatenate(coords), np.concatenate(owner), residues


def binding_sites(
    structure: Structure,
    cutoff: float = SITE_CUTOFF,
    kinds: Collection[str] = LIGAND_KINDS,
) -> list[BindingSite]:
    """Protein residues with any heavy atom within ``cutoff`` of each ligand's heavy atoms.

    Parameters
    ----------
    structure : Structure
        Its ligands (waters are never ligands) and protein chains.
    cutoff : float
        Distance in Å (a residue at exactly ``cutoff`` counts).
    kinds : collection of str
        Kinds of group to report (see :func:`ligand_kind`): any of ``"ligand"``,
        ``"ion"``, ``"glycan"``, ``"additive"``.

    Returns
    -------
    list of BindingSite
        One per ligand of the chosen kinds, in the structure's order, also when no
        residue is in reach (empty ``residues``).
    """
    wanted = _check_kinds(kinds)
    coords, owner, residues = _protein_atoms(structure)
    sites = []
    for ligand in structure.ligands:
        kind = ligand_kind(ligand.name)
        if kind not in wanted:
            continue
        found: tuple[ResidueId, ...] = ()
        lig = np.asarray(ligand.coords, dtype=float).reshape(-1, 3)
        if len(lig) and len(coords):
            lo, hi = lig.min(axis=0) - cutoff, lig.max(axis=0) + cutoff
            near = np.flatnonzero(((coords >= lo) & (coords <= hi)).all(axis=1))
            if len(near):
                d2 = ((coords[near, None, :] - lig[None, :, :]) ** 2).sum(axis=-1)
                hit = np.unique(owner[near[(d2 <= cutoff * cutoff).any(axis=1)]])
                found = tuple(residues[k] for k in hit)
        sites.append(BindingSite(ligand, kind, found))
    return sites


_SITE_FOR_RESIDUE = re.compile(
    r"SITE\s+FOR\s+RESIDUE\s+(\S+)\s+(\S)\s*(-?\d+)([A-Za-z]?)", re.IGNORECASE
)


def site_record_sites(structure: Structure) -> list[BindingSite]:
    """The file's own site annotation (PDB ``SITE``, mmCIF ``_struct_site_gen``) as binding sites.

    Parameters
    ----------
    structure : Structure
        Read by :func:`~protattn.structure.io.read_structure`, which keeps
        :attr:`~protattn.structure.model.Structure.sites`.

    Returns
    -------
    list of BindingSite
        One per record, kind ``"site record"``, with the record's observed protein
        residues (other HETATM groups it lists are left out). ``ligand`` is the
        group named by a description such as ``"BINDING SITE FOR RESIDUE GP6 A 910"``
        when the structure has it, ``None`` otherwise.
    """
    protein = {rid for chain in structure.chains for rid in chain.residue_ids if rid is not None}
    ligand_ids = {lig.id for lig in structure.ligands}
    ligands = {(lig.name, lig.id): lig for lig in structure.ligands}
    descriptions = dict(structure.site_descriptions)
    order = {
        rid: k
        for k, rid in enumerate(
            r for chain in structure.chains for r in chain.residue_ids if r is not None
        )
    }
    sites = []
    for site_id, listed in structure.sites:
        ligand = None
        m = _SITE_FOR_RESIDUE.search(descriptions.get(site_id, ""))
        if m:
            rid = ResidueId(m.group(2), int(m.group(3)), m.group(4).upper())
            ligand = ligands.get((m.group(1).upper(), rid))
        residues = sorted(
            {r for r in listed if r in protein and r not in ligand_ids}, key=order.__getitem__
        )
        sites.append(BindingSite(ligand, "site record", tuple(residues), site_id))
    return sites


def site_mask(chain: Chain, sites: Iterable[BindingSite]) -> np.ndarray:
    """Positions of ``chain`` that belong to any of ``sites``, ``shape=(L,), dtype=bool``."""
    members = {rid for site in sites for rid in site.residues}
    return np.array(
        [rid is not None and rid in members for rid in chain.residue_ids], dtype=bool
    ).reshape(len(chain))


# ------------------------------------------------------------------ secondary structure
