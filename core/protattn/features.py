"""Ground-truth properties of a chain: contacts, binding sites, secondary structure, amino acids.

These are the properties whose agreement with attention the BERTology analysis
measures (Vig et al., ICLR 2021): Cβ–Cβ contacts, ligand binding sites,
secondary structure in four classes and amino-acid identity. Everything is
computed from a :class:`~protattn.structure.Structure` with numpy alone; every
array is indexed by sequence position (0-based), so it lines up with the
attention maps of the same :class:`~protattn.structure.Chain`, and unobserved
positions are never a contact, a site residue or a secondary-structure element.

Secondary structure is assigned by a re-implementation of DSSP (Kabsch & Sander,
Biopolymers 22, 1983, as in DSSP 2.x) from the backbone N, CA, C and O atoms,
so no external program is needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .attention import CONTACT_CUTOFF
from .structure import Chain, Ligand, ResidueId, Structure, join_chains, one_letter

__all__ = [
    "AMINO_ACIDS",
    "RANGE_BANDS",
    "LIGAND_KINDS",
    "SITE_CUTOFF",
    "SS_CLASSES",
    "BindingSite",
    "contact_map",
    "observed_pairs",
    "band_mask",
    "band_of",
    "ligand_kind",
    "binding_sites",
    "site_record_sites",
    "site_mask",
    "dssp",
    "secondary_structure",
    "amino_acid_mask",
    "chain_features",
    "structure_features",
]

#: The twenty standard amino acids, one-letter codes.
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"

#: Sequence-separation ranges of contacts (inclusive; ``None``: no upper bound).
RANGE_BANDS: dict[str, tuple[int, int | None]] = {
    "short": (6, 11),
    "medium": (12, 23),
    "long": (24, None),
}

#: Kinds of HETATM group told apart by :func:`ligand_kind`.
LIGAND_KINDS = ("ligand", "ion", "glycan", "additive")

#: Heavy-atom distance (Å) within which a residue belongs to a binding site.
SITE_CUTOFF = 4.0

#: The four secondary-structure classes of the paper, and the mark of an unobserved residue.
SS_CLASSES = {"H": "helix", "E": "strand", "T": "turn/bend", "C": "other", "-": "unobserved"}

# ----------------------------------------------------------------------------- contacts


def contact_map(
    chain: Chain, cutoff: float = CONTACT_CUTOFF, min_separation: int = 6
) -> np.ndarray:
    """Residue contacts: Cβ–Cβ below ``cutoff`` at sequence separation ``>= min_separation``.

    Parameters
    ----------
    chain : Chain
        Cβ is virtual for glycine and wherever the Cβ atom is missing (see
        :attr:`~protattn.structure.Chain.cb`).
    cutoff : float
        Distance in Å (strictly below is a contact).
    min_separation : int
        Smallest ``|i - j|`` counted; 0 also counts the diagonal.

    Returns
    -------
    numpy.ndarray
        ``shape=(L, L), dtype=bool``, symmetric; ``False`` wherever a residue is unobserved.

    Examples
    --------
    >>> import numpy as np
    >>> from protattn.structure import Chain
    >>> bb = np.zeros((8, 4, 3)); bb[:, 3, 0] = np.arange(8) * 1.0   # Cβ 1 Å apart on a line
    >>> c = Chain("A", "G" * 8, tuple(ResidueId("A", k) for k in range(8)), bb, ({},) * 8)
    >>> np.argwhere(np.triu(contact_map(c, cutoff=6.5))).tolist()
    [[0, 6], [1, 7]]
    """
    cb = chain.cb
    with np.errstate(invalid="ignore"):
        distance = np.linalg.norm(cb[:, None, :] - cb[None, :, :], axis=-1)
        contacts = distance < cutoff  # NaN (unobserved) compares False
    return contacts & (_separation(len(chain)) >= min_separation) & observed_pairs(chain)


def observed_pairs(chain: Chain) -> np.ndarray:
    """Pairs of observed residues, ``shape=(L, L), dtype=bool``: where a contact can be judged."""
    observed = chain.observed & ~np.isnan(chain.cb).any(axis=1)
    return observed[:, None] & observed[None, :]


def _separation(length: int) -> np.ndarray:
    k = np.arange(length)
    return np.abs(k[:, None] - k[None, :])


def band_mask(length: int, band: str) -> np.ndarray:
    """Pairs whose sequence separation falls in a range band.

    Parameters
    ----------
    length : int
        Chain length ``L``.
    band : {"short", "medium", "long", "all"}
        See :data:`RANGE_BANDS`; ``"all"`` is every ``|i - j| >= 6``.

    Returns
    -------
    numpy.ndarray
        ``shape=(L, L), dtype=bool``.

    Examples
    --------
    >>> band_mask(14, "medium")[0].nonzero()[0].tolist()
    [12, 13]
    """
    if band == "all":
        lo, hi = RANGE_BANDS["short"][0], None
    elif band in RANGE_BANDS:
        lo, hi = RANGE_BANDS[band]
    else:
        raise ValueError(
            f"range band {band!r} is not known; choose one of "
            f"{', '.join([*RANGE_BANDS, 'all'])}"
        )
    sep = _separation(length)
    mask = sep >= lo
    if hi is not None:
        mask &= sep <= hi
    return mask


def band_of(separation: int) -> str:
    """Range band of a sequence separation: ``short``, ``medium``, ``long``, or ``local`` (< 6)."""
    for name, (lo, hi) in RANGE_BANDS.items():
        if separation >= lo and (hi is None or separation <= hi):
            return name
    return "local"


# ------------------------------------------------------------------------ binding sites

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
        Read by :func:`~protattn.structure.read_structure`, which keeps
        :attr:`~protattn.structure.Structure.sites`.

    Returns
    -------
    list of BindingSite
        One per record, kind ``"site record"``, with the record's observed protein
        residues (other HETATM groups it lists are left out). ``ligand`` is the
        group named by a description such as ``"BINDING SITE FOR RESIDUE GP6 A 910"``
        when the structure has it, ``None`` otherwise.
    """
    protein = {
        rid for chain in structure.chains for rid in chain.residue_ids if rid is not None
    }
    ligand_ids = {lig.id for lig in structure.ligands}
    ligands = {(lig.name, lig.id): lig for lig in structure.ligands}
    descriptions = dict(structure.site_descriptions)
    order = {
        rid: k for k, rid in enumerate(
            r for chain in structure.chains for r in chain.residue_ids if r is not None)
    }
    sites = []
    for site_id, listed in structure.sites:
        ligand = None
        m = _SITE_FOR_RESIDUE.search(descriptions.get(site_id, ""))
        if m:
            rid = ResidueId(m.group(2), int(m.group(3)), m.group(4).upper())
            ligand = ligands.get((m.group(1).upper(), rid))
        residues = sorted({r for r in listed if r in protein and r not in ligand_ids},
                          key=order.__getitem__)
        sites.append(BindingSite(ligand, "site record", tuple(residues), site_id))
    return sites


def site_mask(chain: Chain, sites: Iterable[BindingSite]) -> np.ndarray:
    """Positions of ``chain`` that belong to any of ``sites``, ``shape=(L,), dtype=bool``."""
    members = {rid for site in sites for rid in site.residues}
    return np.array([rid is not None and rid in members for rid in chain.residue_ids],
                    dtype=bool).reshape(len(chain))


# ------------------------------------------------------------------ secondary structure

#: Longest C–N distance (Å) of a peptide bond for DSSP; longer is a chain break.
_DSSP_BREAK = 2.5
#: 0.084 * 332 (kcal/mol · Å), the electrostatic H-bond model of Kabsch & Sander.
_HBOND_COUPLING = 0.084 * 332.0
_HBOND_MAX = -0.5
_HBOND_MIN = -9.9
_MIN_CA_DISTANCE = 9.0
_BEND_ANGLE = 70.0

#: Reduction of DSSP's eight states to the paper's four classes.
_DSSP_TO_CLASS = {"H": "H", "G": "H", "I": "H", "E": "E", "B": "E", "T": "T", "S": "T",
                  "C": "C", "-": "-"}


def _backbone_with_oxygen(chain: Chain) -> tuple[np.ndarray, ...]:
    n, ca, c = (chain.backbone[:, k] for k in range(3))
    o = np.full((len(chain), 3), np.nan)
    for k, atoms in enumerate(chain.atoms):
        if atoms and "O" in atoms:
            o[k] = atoms["O"]
    valid = chain.observed & ~np.isnan(np.stack([n, ca, c, o], axis=1)).any(axis=(1, 2))
    return n, ca, c, o, valid


#: Donors whose H-bond energies are computed at once (bounds memory to ~block x L).
_HBOND_BLOCK = 256


def _hbonds(
    n: np.ndarray, ca: np.ndarray, c: np.ndarray, o: np.ndarray, h: np.ndarray,
    donor: np.ndarray, acceptor: np.ndarray,
) -> set[tuple[int, int]]:
    """H-bonds as ``(i, j)``: the C=O of residue ``i`` accepts from the N–H of residue ``j``.

    DSSP's rules: energy below -0.5 kcal/mol (rounded to 0.001 and floored at
    -9.9), CA–CA under 9 Å, no bond from the N–H of ``i + 1`` to the C=O of ``i``,
    and only each donor's two best (lowest-energy) acceptors.
    """
    bonds: set[tuple[int, int]] = set()
    a_idx = np.flatnonzero(acceptor)
    all_donors = np.flatnonzero(donor)
    if not len(a_idx) or not len(all_donors):
        return bonds
    ca_a = ca[a_idx]
    for start in range(0, len(all_donors), _HBOND_BLOCK):
        block = all_donors[start:start + _HBOND_BLOCK]
        d2 = ((ca[block][:, None, :] - ca_a[None, :, :]) ** 2).sum(axis=-1)
        near = (d2 < _MIN_CA_DISTANCE ** 2) & (block[:, None] != a_idx[None, :]) & (
            block[:, None] != a_idx[None, :] + 1)
        p, q = np.nonzero(near)
        d, a = block[p], a_idx[q]
        r_on, r_ch, r_oh, r_cn = (np.linalg.norm(x[d] - y[a], axis=-1)
                                  for x, y in ((n, o), (h, c), (h, o), (n, c)))
        with np.errstate(divide="ignore"):
            energy = _HBOND_COUPLING * (1 / r_on + 1 / r_ch - 1 / r_oh - 1 / r_cn)
        close = np.minimum.reduce([r_on, r_ch, r_oh, r_cn]) < 0.5
        energy = np.maximum(np.where(close, _HBOND_MIN, np.round(energy, 3)), _HBOND_MIN)
        good = energy < _HBOND_MAX
        d, a, energy = d[good], a[good], energy[good]
        # each donor keeps its two lowest-energy acceptors (ties: the first in sequence)
        order = np.lexsort((a, energy, d))
        d, a = d[order], a[order]
        first = np.searchsorted(d, d)  # index of each donor's best acceptor
        keep = np.arange(len(d)) - first < 2
        bonds.update(zip(a[keep].tolist(), d[keep].tolist()))
    return bonds


def _udiff(a: int, b: int) -> int:
    """``a - b`` as DSSP's unsigned arithmetic sees it (negative is huge)."""
    return a - b if a >= b else 1 << 32


def _bridge(
    hb: set[tuple[int, int]], i: int, j: int, no_break: Callable[[int, int], bool]
) -> str | None:
    """Bridge type of residues ``i < j`` (Kabsch & Sander): ``"p"``, ``"a"`` or None."""
    if j - i < 3 or not no_break(i - 1, i + 1) or not no_break(j - 1, j + 1):
        return None
    if ((i - 1, j) in hb and (j, i + 1) in hb) or ((j - 1, i) in hb and (i, j + 1) in hb):
        return "p"
    if ((i, j) in hb and (j, i) in hb) or ((i - 1, j + 1) in hb and (j - 1, i + 1) in hb):
        return "a"
    return None


def _ladders(
    hb: set[tuple[int, int]], no_break: Callable[[int, int], bool]
) -> list[tuple[str, list[int], list[int]]]:
    """Bridges grouped into ladders (with β-bulges), as DSSP 2.x builds them.

    Returns ``(type, i positions, j positions)`` per ladder, both ascending.
    """
    # every bridge uses at least one H-bond (a, d): the pairs it can belong to
    candidates = set()
    for a, d in hb:
        for x, y in ((a + 1, d), (d - 1, a), (d, a + 1), (a, d - 1), (a, d), (a + 1, d - 1)):
            candidates.add((min(x, y), max(x, y)))
    bridges: list[tuple[str, list[int], list[int]]] = []
    for i, j in sorted(candidates):
        kind = _bridge(hb, i, j, no_break)
        if kind is None:
            continue
        for k_type, bi, bj in bridges:
            if k_type != kind or i != bi[-1] + 1:
                continue
            if kind == "p" and bj[-1] + 1 == j:
                bi.append(i)
                bj.append(j)
                break
            if kind == "a" and bj[0] - 1 == j:
                bi.append(i)
                bj.insert(0, j)
                break
        else:
            bridges.append((kind, [i], [j]))
    bridges.sort(key=lambda b: b[1][0])
    # join ladders separated by a β-bulge
    x = 0
    while x < len(bridges):
        y = x + 1
        while y < len(bridges):
            kind, bi, bj = bridges[x]
            k2, ci, cj = bridges[y]
            ibi, iei, jbi, jei = bi[0], bi[-1], bj[0], bj[-1]
            ibj, iej, jbj, jej = ci[0], ci[-1], cj[0], cj[-1]
            if (kind != k2 or not no_break(min(ibi, ibj), max(iei, iej))
                    or not no_break(min(jbi, jbj), max(jei, jej))
                    or _udiff(ibj, iei) >= 6 or (iei >= ibj and ibi <= iej)):
                y += 1
                continue
            if kind == "p":
                bulge = ((_udiff(jbj, jei) < 6 and _udiff(ibj, iei) < 3)
                         or _udiff(jbj, jei) < 3)
            else:
                bulge = ((_udiff(jbi, jej) < 6 and _udiff(ibj, iei) < 3)
                         or _udiff(jbi, jej) < 3)
            if bulge:
                bi.extend(ci)
                if kind == "p":
                    bj.extend(cj)
                else:
                    bj[:0] = cj
                del bridges[y]
            else:
                y += 1
        x += 1
    return bridges


def _chain_hbonds(chain: Chain) -> tuple[set[tuple[int, int]], np.ndarray]:
    """DSSP's H-bonds of a chain (see :func:`_hbonds`) and its peptide bonds.

    Returns the H-bonds and ``bonded``, ``shape=(L-1,)``: whether residue ``k`` is
    peptide-bonded to ``k + 1`` (both complete, C–N at most 2.5 Å).
    """
    length = len(chain)
    n, ca, c, o, valid = _backbone_with_oxygen(chain)
    bonded = np.zeros(max(length - 1, 0), dtype=bool)
    h = np.full((length, 3), np.nan)
    donor = np.zeros(length, dtype=bool)
    if length > 1:
        with np.errstate(invalid="ignore"):
            bonded = valid[:-1] & valid[1:] & (
                np.linalg.norm(c[:-1] - n[1:], axis=-1) <= _DSSP_BREAK)
            # amide H along the previous C=O; no H (so no donor) after a break, on proline
            co = c[:-1] - o[:-1]
            h[1:] = n[1:] + co / np.linalg.norm(co, axis=-1, keepdims=True)
        donor[1:] = bonded & (np.frombuffer(chain.sequence[1:].encode("ascii"), "S1") != b"P")
    return _hbonds(n, ca, c, o, h, donor, valid), bonded


def _dssp_codes(chain: Chain) -> str:
    """DSSP codes of one (possibly joined) chain; see :func:`dssp`."""
    length = len(chain)
    if length == 0:
        return ""
    ca = chain.backbone[:, 1]
    valid = _backbone_with_oxygen(chain)[4]
    hb, bonded = _chain_hbonds(chain)
    breaks = np.concatenate([[0], np.cumsum(~bonded)])

    def no_break(i: int, j: int) -> bool:  # residues i..j all valid and bonded in a row
        return bool(0 <= i <= j < length and valid[i] and breaks[j] == breaks[i])

    ss = ["C" if v else "-" for v in valid]

    # bridges and ladders: E for ladders of two or more bridges, B for a lone bridge
    for _, bi, bj in _ladders(hb, no_break):
        code = "E" if len(bi) > 1 else "B"
        for lo, hi in ((bi[0], bi[-1]), (bj[0], bj[-1])):
            for k in range(lo, hi + 1):
                if ss[k] != "E":
                    ss[k] = code

    # n-turns at i: Hbond(i, i + n) with no break in between
    turn = {
        stride: np.array([(i, i + stride) in hb and no_break(i, i + stride)
                          for i in range(length)], dtype=bool)
        for stride in (3, 4, 5)
    }
    # minimal helices: two consecutive n-turns; alpha first, then 3-10 and pi where free
    for i in range(1, length - 4):
        if turn[4][i - 1] and turn[4][i]:
            ss[i:i + 4] = ["H"] * 4
    for stride, code in ((3, "G"), (5, "I")):
        for i in range(1, length - stride):
            if turn[stride][i - 1] and turn[stride][i] and all(
                    ss[k] in ("C", code) for k in range(i, i + stride)):
                ss[i:i + stride] = [code] * stride

    # turns (inside an n-turn) and bends (CA(i-2)->CA(i) against CA(i)->CA(i+2) over 70 deg)
    for i in range(1, length - 1):
        if ss[i] != "C":
            continue
        if any(i >= k and turn[stride][i - k]
               for stride in (3, 4, 5) for k in range(1, stride)):
            ss[i] = "T"
        elif 2 <= i < length - 2 and no_break(i - 2, i + 2):
            u, v = ca[i] - ca[i - 2], ca[i + 2] - ca[i]
            cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
            if np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) > _BEND_ANGLE:
                ss[i] = "S"
    return "".join(ss)


def dssp(chain: Chain, structure: Structure | None = None) -> str:
    """DSSP secondary structure of every position, from the backbone N, CA, C and O.

    A re-implementation of Kabsch & Sander (1983) as DSSP 2.x computes it:
    electrostatic H-bonds (E < -0.5 kcal/mol, amide H placed along the previous
    residue's C=O, each N–H keeping its two best), n-turns, minimal helices from
    two consecutive n-turns (α first, then 3₁₀ and π where still free), bridges
    and ladders with β-bulges, and bends (CA angle over 70°). A chain break
    (C–N over 2.5 Å, or an unobserved or incomplete neighbour) stops every
    H-bond pattern across it and leaves the next residue without an amide H.

    Parameters
    ----------
    chain : Chain
        The residues' ``O`` atoms are read from :attr:`~protattn.structure.Chain.atoms`.
    structure : Structure, optional
        The structure ``chain`` belongs to: H-bonds to its other protein chains
        count too (a strand paired with another chain's strand), as DSSP run on
        the whole entry sees them. Without it the chain is taken alone.

    Returns
    -------
    str
        ``len(chain)`` DSSP codes: ``H`` α-helix, ``G`` 3₁₀-helix, ``I`` π-helix,
        ``E`` strand, ``B`` isolated bridge, ``T`` turn, ``S`` bend, ``C`` none of
        these, ``-`` unobserved (or without a complete backbone).

    Notes
    -----
    DSSP 4 gives π-helices priority over α-helices and marks polyproline (``P``);
    this follows DSSP 2.x (α first, no ``P``).
    """
    if structure is None:
        return _dssp_codes(chain)
    chains = list(structure.chains)
    if not any(c is chain for c in chains):
        chains = [chain, *(c for c in chains if c.id != chain.id)]
    return _dssp_structure(chains)[[id(c) for c in chains].index(id(chain))]


def _dssp_structure(chains: Sequence[Chain]) -> list[str]:
    """:func:`dssp` of each of ``chains``, all in one context (joined end to end)."""
    if not chains:
        return []
    codes = _dssp_codes(join_chains(chains))
    ends = np.cumsum([0, *(len(c) for c in chains)])
    return [codes[a:b] for a, b in zip(ends[:-1], ends[1:])]


def _reduce(codes: str) -> str:
    return "".join(_DSSP_TO_CLASS[code] for code in codes)


def secondary_structure(chain: Chain, structure: Structure | None = None) -> str:
    """Secondary structure in the paper's four classes, one letter per position.

    Parameters
    ----------
    chain : Chain
    structure : Structure, optional
        Take H-bonds to the structure's other chains into account (see :func:`dssp`).

    Returns
    -------
    str
        ``len(chain)`` letters: ``H`` helix (DSSP H, G, I), ``E`` strand (E, B),
        ``T`` turn or bend (T, S), ``C`` other, ``-`` unobserved. See :func:`dssp`.
    """
    return _reduce(dssp(chain, structure))


# -------------------------------------------------------------------------- amino acids


def amino_acid_mask(chain: Chain, aa: str) -> np.ndarray:
    """Positions whose residue is amino acid ``aa``, ``shape=(L,), dtype=bool``.

    Parameters
    ----------
    chain : Chain
    aa : str
        One-letter (``"C"``) or three-letter (``"CYS"``) code, any case. The mask
        follows the sequence the model sees, so unobserved residues count too.
    """
    code = aa.strip().upper()
    if len(code) == 3:
        code = one_letter(code)
    if len(code) != 1 or code not in AMINO_ACIDS:
        raise ValueError(
            f"amino acid {aa!r} is not one of the twenty; give a one-letter code "
            f"({AMINO_ACIDS}) or a three-letter name"
        )
    return np.frombuffer(chain.sequence.encode("ascii"), dtype="S1") == code.encode()


# ------------------------------------------------------------------------ JSON summaries


def _site_record(site: BindingSite, chain: Chain | None = None) -> dict[str, object] | None:
    residues = site.residues
    positions = None
    if chain is not None:
        where = {rid: k for k, rid in enumerate(chain.residue_ids) if rid is not None}
        residues = tuple(r for r in residues if r in where)
        if not residues:
            return None
        positions = [where[r] + 1 for r in residues]
    record: dict[str, object] = {
        "ligand": site.name,
        "instance": None if site.ligand is None else str(site.ligand.id),
        "kind": site.kind,
    }
    if site.site_id is not None:
        record["site_id"] = site.site_id
    record["residues"] = [str(r) for r in residues]
    if positions is not None:
        record["positions"] = positions
    return record


def _contacts_record(chain: Chain, cutoff: float, min_separation: int) -> dict[str, object]:
    i, j = np.nonzero(np.triu(contact_map(chain, cutoff, min_separation)))
    return {
        "cutoff": cutoff,
        "min_separation": min_separation,
        "pairs": [[a + 1, b + 1, band_of(b - a)] for a, b in zip(i.tolist(), j.tolist())],
    }


def chain_features(
    structure: Structure,
    chain: Chain | str,
    contact_cutoff: float = CONTACT_CUTOFF,
    min_separation: int = 6,
    site_cutoff: float = SITE_CUTOFF,
    kinds: Collection[str] = LIGAND_KINDS,
) -> dict[str, object]:
    """Every ground-truth property of one chain as a JSON-ready dict.

    Parameters
    ----------
    structure : Structure
    chain : Chain or str
        The chain, or its id in ``structure``.
    contact_cutoff, min_separation
        See :func:`contact_map`.
    site_cutoff, kinds
        See :func:`binding_sites`.

    Returns
    -------
    dict
        ``chain``, ``sequence``, ``residue_ids`` (``"A:27"`` or ``None`` where
        unobserved), ``secondary_structure`` (:func:`secondary_structure` with
        the structure's other chains taken into account),
        ``contacts`` (``cutoff``, ``min_separation`` and ``pairs`` as
        ``[i, j, band]`` with 1-based positions ``i < j`` and band ``short`` /
        ``medium`` / ``long``, or ``local`` under 6), ``binding_sites`` (per ligand
        touching the chain: ``ligand``, ``instance``, ``kind``, ``residues`` and
        1-based ``positions`` in this chain) and ``site_records`` (the file's own
        sites, same fields plus ``site_id``). Positions are 1-based throughout.
    """
    if isinstance(chain, str):
        chain = structure.chain(chain)
    return _chain_record(chain, contact_cutoff, min_separation,
                         binding_sites(structure, site_cutoff, kinds),
                         site_record_sites(structure), secondary_structure(chain, structure))


def _chain_record(
    chain: Chain, contact_cutoff: float, min_separation: int,
    sites: Sequence[BindingSite], records: Sequence[BindingSite], ss: str,
) -> dict[str, object]:
    return {
        "chain": chain.id,
        "sequence": chain.sequence,
        "residue_ids": [None if r is None else str(r) for r in chain.residue_ids],
        "secondary_structure": ss,
        "contacts": _contacts_record(chain, contact_cutoff, min_separation),
        "binding_sites": [r for r in (_site_record(s, chain) for s in sites) if r],
        "site_records": [r for r in (_site_record(s, chain) for s in records) if r],
    }


def structure_features(
    structure: Structure,
    contact_cutoff: float = CONTACT_CUTOFF,
    min_separation: int = 6,
    site_cutoff: float = SITE_CUTOFF,
    kinds: Collection[str] = LIGAND_KINDS,
) -> dict[str, object]:
    """:func:`chain_features` of every protein chain, plus every site of the structure.

    Returns
    -------
    dict
        ``name``, ``chains`` (list of :func:`chain_features` dicts),
        ``binding_sites`` (every ligand of the chosen kinds with its residues in
        all chains, also when none is in reach) and ``site_records``.
    """
    sites = binding_sites(structure, site_cutoff, kinds)
    records = site_record_sites(structure)
    ss = [_reduce(codes) for codes in _dssp_structure(structure.chains)]
    return {
        "name": structure.name,
        "chains": [
            _chain_record(chain, contact_cutoff, min_separation, sites, records, codes)
            for chain, codes in zip(structure.chains, ss)
        ],
        "binding_sites": [_site_record(s) for s in sites],
        "site_records": [_site_record(s) for s in records],
    }
