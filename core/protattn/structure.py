"""Host-neutral structure model: protein chains, their residues and ligands.

A :class:`Chain` is what a language model needs (the sequence) together with
the way back to the structure: for every sequence position the
:class:`ResidueId` of the observed residue, or ``None`` where the residue is in
the sequence (SEQRES / entity sequence) but has no coordinates.

Files are read with Biopython (:func:`read_structure`); hosts build the same
chains from their own objects with :func:`chain_from_residues`, so a file is
never re-read behind the user's back.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import ChainError, StructureError

__all__ = [
    "ResidueId",
    "ObservedResidue",
    "Ligand",
    "Chain",
    "Structure",
    "BACKBONE_ATOMS",
    "one_letter",
    "virtual_cb",
    "chain_from_residues",
    "ca_coordinates",
    "join_chains",
    "read_structure",
]

#: Atom names stored per position in :attr:`Chain.backbone`, in this order.
BACKBONE_ATOMS = ("N", "CA", "C", "CB")

_WATER = frozenset({"HOH", "WAT", "DOD", "H2O", "TIP", "TIP3", "SOL"})


def _protein_letters() -> Mapping[str, str]:
    from Bio.Data.PDBData import protein_letters_3to1_extended

    return protein_letters_3to1_extended


def _nucleic_names() -> frozenset[str]:
    from Bio.Data.PDBData import nucleic_letters_3to1_extended

    return frozenset(k.strip() for k in nucleic_letters_3to1_extended) | {
        "A", "C", "G", "U", "T", "I", "DA", "DC", "DG", "DT", "DU", "DI",
    }


def one_letter(resname: str) -> str:
    """One-letter code of a residue name, mapping modified residues to their parent.

    Parameters
    ----------
    resname : str
        Three-letter (or PDB chemical component) name, e.g. ``"ALA"``, ``"MSE"``.

    Returns
    -------
    str
        The one-letter code (``"MSE"`` gives ``"M"``); ``"X"`` when the name has
        no standard parent amino acid.

    Examples
    --------
    >>> one_letter("MSE"), one_letter("gly"), one_letter("NAG")
    ('M', 'G', 'X')
    """
    letter = _protein_letters().get(resname.strip().upper(), "X")
    return letter if len(letter) == 1 else "X"


@dataclass(frozen=True, order=True)
class ResidueId:
    """Identity of an observed residue: chain, author residue number, insertion code.

    Examples
    --------
    >>> str(ResidueId("H", 100, "A")), str(ResidueId("L", 27))
    ('H:100A', 'L:27')
    """

    chain: str
    number: int
    icode: str = ""

    def __str__(self) -> str:
        return f"{self.chain}:{self.number}{self.icode}"


@dataclass(frozen=True)
class ObservedResidue:
    """A residue with coordinates, as a host or a file reader sees it.

    Attributes
    ----------
    id : ResidueId
    name : str
        Residue name as in the structure (``"MSE"``, ``"ALA"``).
    atoms : Mapping[str, numpy.ndarray]
        Heavy-atom name to coordinates ``shape=(3,), dtype=float``.
    """

    id: ResidueId
    name: str
    atoms: Mapping[str, np.ndarray]

    @property
    def letter(self) -> str:
        return one_letter(self.name)


@dataclass(frozen=True)
class Ligand:
    """A HETATM group other than water and other than a modified polymer residue.

    Attributes
    ----------
    name : str
        Chemical component id (``"MK1"``, ``"NAG"``, ``"SO4"``).
    id : ResidueId
    coords : numpy.ndarray
        Heavy-atom coordinates, ``shape=(n, 3), dtype=float``.
    """

    name: str
    id: ResidueId
    coords: np.ndarray

    def __str__(self) -> str:
        return f"{self.name} {self.id}"


def virtual_cb(n: np.ndarray, ca: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Ideal Cβ position from backbone N, CA and C (the trRosetta/ESM construction).

    Parameters
    ----------
    n, ca, c : numpy.ndarray
        Coordinates, ``shape=(..., 3)``.

    Returns
    -------
    numpy.ndarray
        Virtual Cβ coordinates, ``shape=(..., 3)``.
    """
    b = ca - n
    c_ = c - ca
    a = np.cross(b, c_)
    return -0.58273431 * a + 0.56802827 * b - 0.54067466 * c_ + ca


@dataclass(frozen=True)
class Chain:
    """One protein chain as the language model sees it, with the way back to residues.

    Attributes
    ----------
    id : str
        Chain identifier (author chain id).
    sequence : str
        The sequence given to the model (one-letter codes, ``X`` for unknown).
    residue_ids : tuple of (ResidueId or None)
        ``len(sequence)`` entries; ``None`` where the residue is not observed.
    backbone : numpy.ndarray
        ``shape=(L, 4, 3), dtype=float``: N, CA, C, CB per position (CB virtual
        for glycine or a missing CB); NaN where not observed.
    atoms : tuple of (Mapping or None)
        Heavy atoms of each observed residue (name to coordinates), ``None`` where
        not observed.
    source : str
        Where :attr:`sequence` came from: ``"seqres"`` or ``"observed"``.
    """

    id: str
    sequence: str
    residue_ids: tuple[ResidueId | None, ...]
    backbone: np.ndarray
    atoms: tuple[Mapping[str, np.ndarray] | None, ...] = field(repr=False)
    source: str = "observed"

    def __post_init__(self) -> None:
        n = len(self.sequence)
        if len(self.residue_ids) != n or len(self.atoms) != n or self.backbone.shape != (n, 4, 3):
            raise ValueError(
                f"chain {self.id}: sequence of {n}, {len(self.residue_ids)} residue ids, "
                f"{len(self.atoms)} atom sets and backbone {self.backbone.shape} disagree"
            )

    def __len__(self) -> int:
        return len(self.sequence)

    @property
    def observed(self) -> np.ndarray:
        """Mask of positions with coordinates, ``shape=(L,), dtype=bool``."""
        return np.array([r is not None for r in self.residue_ids], dtype=bool)

    @property
    def cb(self) -> np.ndarray:
        """Cβ (virtual for Gly / missing) coordinates, ``shape=(L, 3)``; NaN if unobserved."""
        return self.backbone[:, 3]

    def index_of(self, residue: ResidueId) -> int:
        """Sequence position (0-based) of an observed residue."""
        try:
            return self.residue_ids.index(residue)
        except ValueError:
            raise ChainError(f"residue {residue} is not in chain {self.id}") from None


@dataclass(frozen=True)
class Structure:
    """Protein chains and ligands of one model of a structure.

    Attributes
    ----------
    name : str
    chains : tuple of Chain
    ligands : tuple of Ligand
    notes : tuple of str
        What was skipped and why (nucleic-acid chains, HETATM-only chains).
    sites : tuple of (str, tuple of ResidueId)
        The file's own site annotation, in file order: site id (``"AC1"``) and
        the residues it lists (protein residues and other HETATM groups; waters
        and symmetry mates left out). PDB ``SITE`` records, mmCIF ``_struct_site_gen``.
    site_descriptions : tuple of (str, str)
        Site id and its description where the file gives one (PDB ``REMARK 800
        SITE_DESCRIPTION``, mmCIF ``_struct_site.details``), e.g.
        ``("AC1", "BINDING SITE FOR RESIDUE GP6 A 910")``.
    """

    name: str
    chains: tuple[Chain, ...]
    ligands: tuple[Ligand, ...] = ()
    notes: tuple[str, ...] = ()
    sites: tuple[tuple[str, tuple[ResidueId, ...]], ...] = ()
    site_descriptions: tuple[tuple[str, str], ...] = ()

    @property
    def chain_ids(self) -> list[str]:
        return [c.id for c in self.chains]

    def chain(self, chain_id: str) -> Chain:
        """The protein chain ``chain_id``; :class:`ChainError` naming the choices otherwise."""
        for c in self.chains:
            if c.id == chain_id:
                return c
        raise ChainError(
            f"{self.name} has no protein chain {chain_id!r}; "
            f"choose one of: {', '.join(self.chain_ids) or '(none)'}"
        )


def _backbone_row(atoms: Mapping[str, np.ndarray]) -> np.ndarray:
    row = np.full((4, 3), np.nan)
    for k, name in enumerate(BACKBONE_ATOMS):
        if name in atoms:
            row[k] = atoms[name]
    if np.isnan(row[3]).any() and not np.isnan(row[:3]).any():
        row[3] = virtual_cb(row[0], row[1], row[2])
    return row


def _align_observed(sequence: str, observed: Sequence[ObservedResidue]) -> list[int] | None:
    """Positions in ``sequence`` of each observed residue, or None if they do not fit.

    Gaps are allowed in the observed residues only (unobserved stretches of the
    SEQRES); every observed residue must land on a position of the same type.
    """
    from Bio import Align

    obs = "".join(r.letter for r in observed)
    if not obs:
        return None
    aligner = Align.PairwiseAligner()
    aligner.mode = "global"
    aligner.match_score = 2.0
    aligner.mismatch_score = -5.0
    # gaps in the SEQRES (observed residues it lacks) are all but forbidden;
    # gaps in the observed residues (unobserved stretches) are cheap
    aligner.open_internal_insertion_score = -100.0
    aligner.extend_internal_insertion_score = -100.0
    aligner.end_insertion_score = -100.0
    aligner.open_internal_deletion_score = -3.0
    aligner.extend_internal_deletion_score = -0.1
    aligner.end_deletion_score = 0.0
    try:
        alignment = aligner.align(sequence, obs)[0]
    except (ValueError, OverflowError, IndexError):
        return None
    positions = [-1] * len(obs)
    for (t0, t1), (q0, _) in zip(*alignment.aligned):
        for k in range(t1 - t0):
            positions[q0 + k] = t0 + k
    if any(p < 0 for p in positions):
        return None
    mismatches = sum(sequence[p] != obs[q] for q, p in enumerate(positions))
    if mismatches > max(2, len(obs) // 20):
        return None
    # equally good alignments differ where a gap can sit in several places (SEQRES
    # "SGLVTELGI" with only the first G observed): residue numbers that count along
    # the sequence decide, as long as they fit it as well as the alignment does
    numbers = [r.id.number for r in observed]
    if all(not r.id.icode for r in observed) and all(
            a < b for a, b in zip(numbers, numbers[1:])):
        offset = Counter(n - p for n, p in zip(numbers, positions)).most_common(1)[0][0]
        by_number = [n - offset for n in numbers]
        if 0 <= by_number[0] and by_number[-1] < len(sequence) and sum(
                sequence[p] != obs[q] for q, p in enumerate(by_number)) <= mismatches:
            positions = by_number
    return positions


def chain_from_residues(
    chain_id: str,
    observed: Sequence[ObservedResidue],
    sequence: str | None = None,
    positions: Sequence[int | None] | None = None,
) -> Chain:
    """Build a :class:`Chain` from observed residues, optionally placed on a full sequence.

    Parameters
    ----------
    chain_id : str
    observed : sequence of ObservedResidue
        Residues with coordinates, in chain order.
    sequence : str, optional
        Full (SEQRES / entity) sequence. Without it the observed residues are the sequence.
    positions : sequence of (int or None), optional
        For each observed residue, its 0-based position in ``sequence`` (``None``
        to drop it). When ``sequence`` is given without positions, the observed
        residues are aligned to it; if they do not fit, the observed residues are
        used as the sequence.

    Returns
    -------
    Chain
    """
    source = "observed"
    if sequence and positions is None:
        found = _align_observed(sequence, observed)
        positions = found if found is not None else None
    if sequence and positions is not None:
        source = "seqres"
    else:
        sequence = "".join(r.letter for r in observed)
        positions = list(range(len(observed)))
    n = len(sequence)
    ids: list[ResidueId | None] = [None] * n
    atoms: list[Mapping[str, np.ndarray] | None] = [None] * n
    backbone = np.full((n, 4, 3), np.nan)
    for res, pos in zip(observed, positions):
        if pos is None or not 0 <= pos < n:
            continue
        ids[pos] = res.id
        atoms[pos] = res.atoms
        backbone[pos] = _backbone_row(res.atoms)
    return Chain(chain_id, sequence, tuple(ids), backbone, tuple(atoms), source)


def join_chains(chains: Sequence[Chain]) -> Chain:
    """Chains end to end as one :class:`Chain` (id ``"A+B"``), for chains run concatenated.

    Residue ids keep their own chain, so pairs and contacts between the chains
    map back to the structure.
    """
    if len(chains) == 1:
        return chains[0]
    return Chain(
        "+".join(c.id for c in chains),
        "".join(c.sequence for c in chains),
        tuple(r for c in chains for r in c.residue_ids),
        np.concatenate([c.backbone for c in chains]),
        tuple(a for c in chains for a in c.atoms),
        "+".join(sorted({c.source for c in chains})),
    )


def ca_coordinates(chains: Sequence[Chain]) -> dict[ResidueId, np.ndarray]:
    """CA position of every observed residue of ``chains`` (where pseudo-bonds end).

    Returns
    -------
    dict
        :class:`ResidueId` to coordinates ``shape=(3,)``.
    """
    return {
        rid: chain.backbone[k, 1]
        for chain in chains
        for k, rid in enumerate(chain.residue_ids)
        if rid is not None and not np.isnan(chain.backbone[k, 1]).any()
    }


# --------------------------------------------------------------------------- files


def _seqres_from_pdb(path: str) -> dict[str, str]:
    seqres: dict[str, list[str]] = {}
    with open(path, errors="replace") as fh:
        for line in fh:
            if line.startswith("SEQRES"):
                seqres.setdefault(line[11], []).extend(line[19:70].split())  # 71+: old ids
            elif line.startswith(("ATOM", "HETATM")):
                break
    return {c: "".join(one_letter(n) for n in names) for c, names in seqres.items()}


def _sites_from_pdb(
    path: str,
) -> tuple[list[tuple[str, tuple[ResidueId, ...]]], list[tuple[str, str]]]:
    """SITE records (waters left out) and REMARK 800 site descriptions of a PDB file."""
    residues: dict[str, list[ResidueId]] = {}
    descriptions: dict[str, str] = {}
    site_id = None
    with open(path, errors="replace") as fh:
        for line in fh:
            if line.startswith("SITE  "):
                sid = line[11:14].strip()
                entries = residues.setdefault(sid, [])
                for base in range(18, 52, 11):  # four residues per line
                    resname = line[base:base + 3].strip()
                    number = line[base + 5:base + 9].strip()
                    if not resname or resname in _WATER or not number.lstrip("-").isdigit():
                        continue
                    rid = ResidueId(line[base + 4], int(number), line[base + 9:base + 10].strip())
                    if rid not in entries:
                        entries.append(rid)
            elif line.startswith("REMARK 800"):
                text = line[10:].strip()
                if text.startswith("SITE_IDENTIFIER:"):
                    site_id = text.split(":", 1)[1].strip()
                elif text.startswith("SITE_DESCRIPTION:") and site_id:
                    descriptions[site_id] = text.split(":", 1)[1].strip()
            elif line.startswith(("ATOM", "HETATM")):
                break
    return ([(sid, tuple(res)) for sid, res in residues.items()],
            [(sid, d) for sid, d in descriptions.items() if sid in residues])


def _cif_column(cif: Mapping[str, list[str]], key: str, n: int) -> list[str]:
    values = cif.get(key)
    if isinstance(values, str):
        values = [values]
    return list(values) if values is not None and len(values) == n else ["?"] * n


def _sites_from_cif(
    cif: Mapping[str, list[str]],
) -> tuple[list[tuple[str, tuple[ResidueId, ...]]], list[tuple[str, str]]]:
    """``_struct_site_gen`` residues (waters and symmetry mates left out) and site details."""
    key = "_struct_site_gen."
    site_ids = cif.get(key + "site_id")
    residues: dict[str, list[ResidueId]] = {}
    if site_ids:
        if isinstance(site_ids, str):
            site_ids = [site_ids]
        n = len(site_ids)
        comp = _cif_column(cif, key + "auth_comp_id", n)
        label_comp = _cif_column(cif, key + "label_comp_id", n)
        chain = _cif_column(cif, key + "auth_asym_id", n)
        number = _cif_column(cif, key + "auth_seq_id", n)
        icode = _cif_column(cif, key + "pdbx_auth_ins_code", n)
        symmetry = _cif_column(cif, key + "symmetry", n)
        for k, sid in enumerate(site_ids):
            entries = residues.setdefault(sid, [])
            name = comp[k] if comp[k] not in ("?", ".") else label_comp[k]
            if (name in _WATER or symmetry[k] not in ("?", ".", "1_555")
                    or not number[k].lstrip("-").isdigit()):
                continue
            ins = "" if icode[k] in ("?", ".") else icode[k]
            rid = ResidueId(chain[k], int(number[k]), ins)
            if rid not in entries:
                entries.append(rid)
    ids = cif.get("_struct_site.id") or []
    ids = [ids] if isinstance(ids, str) else ids
    details = _cif_column(cif, "_struct_site.details", len(ids))
    descriptions = [(sid, d) for sid, d in zip(ids, details)
                    if d not in ("?", ".") and sid in residues]
    return [(sid, tuple(res)) for sid, res in residues.items()], descriptions


def _poly_seq_scheme(cif: Mapping[str, list[str]]) -> dict[str, list[tuple[str, ResidueId | None]]]:
    """Per author chain: (residue name, residue id or None if unobserved) by sequence position."""
    key = "_pdbx_poly_seq_scheme."
    if key + "seq_id" not in cif:
        return {}
    cols = {
        name: cif[key + name]
        for name in ("asym_id", "seq_id", "mon_id", "pdb_seq_num", "auth_seq_num",
                     "pdb_ins_code", "pdb_strand_id")
    }
    out: dict[str, list[tuple[str, ResidueId | None]]] = {}
    seen: set[tuple[str, str]] = set()
    for k in range(len(cols["seq_id"])):
        strand = cols["pdb_strand_id"][k]
        if (strand, cols["seq_id"][k]) in seen:  # microheterogeneity: keep the first
            continue
        seen.add((strand, cols["seq_id"][k]))
        rid = None
        if cols["auth_seq_num"][k] not in ("?", "."):
            icode = cols["pdb_ins_code"][k]
            icode = "" if icode in ("?", ".") else icode
            rid = ResidueId(strand, int(cols["pdb_seq_num"][k]), icode)
        out.setdefault(strand, []).append((cols["mon_id"][k], rid))
    return out


#: Longest C-N distance (Å) taken for a peptide bond (ideal 1.33).
_PEPTIDE_BOND = 2.0


def _peptide_bonded(c_residue, n_residue) -> bool:
    if c_residue is None or n_residue is None or "C" not in c_residue or "N" not in n_residue:
        return False
    return float(np.linalg.norm(c_residue["C"].coord - n_residue["N"].coord)) < _PEPTIDE_BOND


def _is_polymer_residue(residue, previous=None, following=None) -> bool:
    """ATOM residues, and HETATM amino acids (MSE) peptide-bonded to a neighbour.

    A HETATM group whose name has a parent amino acid but that is not bonded into
    the chain (SAH, a free amino acid) is a ligand.
    """
    hetflag = residue.id[0]
    if hetflag == " ":
        return True
    name = residue.get_resname().strip()
    if not (hetflag.startswith("H_") and name in _protein_letters() and "CA" in residue):
        return False
    return _peptide_bonded(previous, residue) or _peptide_bonded(residue, following)


def _heavy_atoms(residue) -> dict[str, np.ndarray]:
    atoms = {}
    for atom in residue.get_atoms():  # one altloc: Biopython keeps the selected child
        element = (atom.element or "").strip().upper()
        if element in ("H", "D") or (not element and atom.get_id().startswith("H")):
            continue
        atoms[atom.get_id()] = np.asarray(atom.coord, dtype=float)
    return atoms


def read_structure(path: str | os.PathLike, name: str | None = None) -> Structure:
    """Read the protein chains and ligands of a PDB or mmCIF file (first model only).

    Parameters
    ----------
    path : str or path-like
        A ``.pdb``/``.ent`` or ``.cif``/``.mmcif`` file.
    name : str, optional
        Name for the structure; defaults to the file's stem.

    Returns
    -------
    Structure

    Raises
    ------
    StructureError
        If the file is missing, is not a structure, or has no protein chain.

    Notes
    -----
    The sequence is the SEQRES (PDB) or entity sequence (mmCIF
    ``_pdbx_poly_seq_scheme``) when the file has one, with unobserved residues
    as ``None``; otherwise the observed residues. Non-standard residues map to
    their parent (MSE → M) or X. Hydrogens are ignored, one altloc is kept.
    Nucleic-acid and HETATM-only chains are skipped with a note. The file's
    site annotation (PDB ``SITE``, mmCIF ``_struct_site_gen``) is kept in
    :attr:`Structure.sites`.
    """
    import warnings

    from Bio.PDB import MMCIFParser, PDBParser
    from Bio.PDB.MMCIF2Dict import MMCIF2Dict
    from Bio.PDB.PDBExceptions import PDBConstructionWarning

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise StructureError(f"no such file: {path!r}; give the path of a PDB or mmCIF file")
    stem = os.path.splitext(os.path.basename(path))[0]
    name = name or stem
    is_cif = path.lower().endswith((".cif", ".mmcif", ".cif.gz"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PDBConstructionWarning)
            if is_cif:
                cif = MMCIF2Dict(path)
                model_set = MMCIFParser(QUIET=True).get_structure(name, path)
                scheme = _poly_seq_scheme(cif)
                seqres: dict[str, str] = {}
                sites, site_descriptions = _sites_from_cif(cif)
            else:
                model_set = PDBParser(QUIET=True).get_structure(name, path)
                scheme = {}
                seqres = _seqres_from_pdb(path)
                sites, site_descriptions = _sites_from_pdb(path)
    except Exception as e:  # Biopython raises many types on garbage input
        raise StructureError(
            f"{path!r} could not be read as a {'mmCIF' if is_cif else 'PDB'} file ({e}); "
            "give a PDB (.pdb) or mmCIF (.cif) structure file"
        ) from e
    models = list(model_set)
    if not models:
        raise StructureError(
            f"{path!r} holds no atoms; give a PDB (.pdb) or mmCIF (.cif) structure file"
        )
    model = models[0]

    chains: list[Chain] = []
    ligands: list[Ligand] = []
    notes: list[str] = []
    nucleic = _nucleic_names()
    for bchain in model:
        observed: list[ObservedResidue] = []
        n_nucleic = 0
        residues = list(bchain)
        for k, residue in enumerate(residues):
            resname = residue.get_resname().strip()
            hetflag, number, icode = residue.id
            rid = ResidueId(bchain.id, int(number), icode.strip())
            if hetflag == "W" or resname in _WATER:
                continue
            neighbours = (residues[k - 1] if k else None,
                          residues[k + 1] if k + 1 < len(residues) else None)
            if _is_polymer_residue(residue, *neighbours) and resname not in nucleic:
                observed.append(ObservedResidue(rid, resname, _heavy_atoms(residue)))
            elif resname in nucleic and hetflag == " ":
                n_nucleic += 1
            else:
                coords = np.array(list(_heavy_atoms(residue).values()), dtype=float).reshape(-1, 3)
                if len(coords):
                    ligands.append(Ligand(resname, rid, coords))
        if not observed:
            if n_nucleic:
                notes.append(f"chain {bchain.id}: nucleic acid ({n_nucleic} residues), skipped")
            elif len(bchain):
                notes.append(f"chain {bchain.id}: no polymer residues (HETATM only), skipped")
            continue
        if n_nucleic > len(observed):
            notes.append(f"chain {bchain.id}: nucleic acid ({n_nucleic} residues), skipped")
            continue
        if bchain.id in scheme:
            entries = scheme[bchain.id]
            sequence = "".join(one_letter(mon) for mon, _ in entries)
            where = {rid: k for k, (_, rid) in enumerate(entries) if rid is not None}
            chains.append(chain_from_residues(
                bchain.id, observed, sequence, [where.get(r.id) for r in observed]))
        else:
            chains.append(chain_from_residues(bchain.id, observed, seqres.get(bchain.id)))
    if not chains:
        raise StructureError(
            f"{path!r} has no protein chain"
            + (f" ({'; '.join(notes)})" if notes else "")
            + "; protattn needs a protein structure"
        )
    return Structure(name, tuple(chains), tuple(ligands), tuple(notes),
                     tuple(sites), tuple(site_descriptions))
