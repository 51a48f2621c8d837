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

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ChainError

__all__ = [
    "BACKBONE_ATOMS",
    "one_letter",
    "ResidueId",
    "ObservedResidue",
    "Ligand",
    "virtual_cb",
    "Chain",
    "Structure",
    "chain_label",
    "chain_from_residues",
    "join_chains",
    "ca_coordinates",
]

#: Atom names stored per position in :attr:`Chain.backbone`, in this order.
BACKBONE_ATOMS = ("N", "CA", "C", "CB")

WATER = frozenset({"HOH", "WAT", "DOD", "H2O", "TIP", "TIP3", "SOL"})


def protein_letters() -> Mapping[str, str]:
    from Bio.Data.PDBData import protein_letters_3to1_extended

    return protein_letters_3to1_extended


def nucleic_names() -> frozenset[str]:
    from Bio.Data.PDBData import nucleic_letters_3to1_extended

    return frozenset(k.strip() for k in nucleic_letters_3to1_extended) | {
        "A",
        "C",
        "G",
        "U",
        "T",
        "I",
        "DA",
        "DC",
        "DG",
        "DT",
        "DU",
        "DI",
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
    letter = protein_letters().get(resname.strip().upper(), "X")
    return letter if len(letter) == 1 else "X"


@dataclass(frozen=True, order=True)
class ResidueId:
    """Identity of an observed residue: chain, author residue number, insertion code, segment.

    ``segment`` is set only where one chain id holds several segments (PDB segment
    ids, as CHARMM and other MD tools write them, often with a blank chain id): it
    then tells apart residues that share chain, number and insertion code. It is
    written first, PyMOL's way (``segment/chain:number``).

    Examples
    --------
    >>> str(ResidueId("H", 100, "A")), str(ResidueId("L", 27)), str(ResidueId("", 5, "", "PROA"))
    ('H:100A', 'L:27', 'PROA/:5')
    """

    chain: str
    number: int
    icode: str = ""
    segment: str = ""

    def __str__(self) -> str:
        where = f"{self.segment}/" if self.segment else ""
        return f"{where}{self.chain}:{self.number}{self.icode}"


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
        The chain's name, unique in its structure: the author chain id, or where one
        chain id holds several segments, the segment (``"PROA"``, blank chain id) or
        ``"A/PROA"`` (:func:`chain_label`).
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
    segment : str
        The segment id where it tells this chain from another of the same chain id,
        else empty.
    """

    id: str
    sequence: str
    residue_ids: tuple[ResidueId | None, ...]
    backbone: np.ndarray
    atoms: tuple[Mapping[str, np.ndarray] | None, ...] = field(repr=False)
    source: str = "observed"
    segment: str = ""

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
    if all(not r.id.icode for r in observed) and all(a < b for a, b in zip(numbers, numbers[1:])):
        offset = Counter(n - p for n, p in zip(numbers, positions)).most_common(1)[0][0]
        by_number = [n - offset for n in numbers]
        if (
            0 <= by_number[0]
            and by_number[-1] < len(sequence)
            and sum(sequence[p] != obs[q] for q, p in enumerate(by_number)) <= mismatches
        ):
            positions = by_number
    return positions


def chain_label(chain_id: str, segment: str = "") -> str:
    """A chain's name: its chain id, or with segments ``segment`` (blank id) or ``id/segment``.

    Examples
    --------
    >>> chain_label("A"), chain_label("", "PROA"), chain_label("A", "PROB")
    ('A', 'PROA', 'A/PROB')
    """
    if not segment:
        return chain_id
    return segment if not chain_id.strip() else f"{chain_id}/{segment}"


def chain_from_residues(
    chain_id: str,
    observed: Sequence[ObservedResidue],
    sequence: str | None = None,
    positions: Sequence[int | None] | None = None,
    segment: str = "",
) -> Chain:
    """Build a :class:`Chain` from observed residues, optionally placed on a full sequence.

    Parameters
    ----------
    chain_id : str
        The author chain id.
    observed : sequence of ObservedResidue
        Residues with coordinates, in chain order.
    sequence : str, optional
        Full (SEQRES / entity) sequence. Without it the observed residues are the sequence.
    positions : sequence of (int or None), optional
        For each observed residue, its 0-based position in ``sequence`` (``None``
        to drop it). When ``sequence`` is given without positions, the observed
        residues are aligned to it; if they do not fit, the observed residues are
        used as the sequence.
    segment : str
        The segment, where it tells this chain from another of the same id
        (:func:`chain_label` names the chain then).

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
    return Chain(
        chain_label(chain_id, segment),
        sequence,
        tuple(ids),
        backbone,
        tuple(atoms),
        source,
        segment,
    )


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
