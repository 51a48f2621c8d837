"""Ground-truth features, checked against independent computations and the reference tables.

- contacts: a brute-force Cβ–Cβ computation on Cβ taken from the file by the hand-written
  parser in ``tests/conftest.py`` (virtual Cβ for glycine built here from N, CA, C);
- binding sites: ``../shared/data/ligand_sites_4A.tsv`` (Biopython NeighborSearch, every row)
  and ``site_records_vs_4A_check.tsv`` / ``SOURCES.tsv`` for the files' SITE records;
- secondary structure: PyMOL's own ``dss`` (run in a separate process) on real structures,
  DSSP strings written down from mkdssp 4.2.2 for a few chains, and ideal α-helix /
  β-sheet backbones built here from bond geometry.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from support import require

from protattn import ResidueId
from protattn.structure.dssp import dssp, secondary_structure
from protattn.structure.model import Chain, ObservedResidue, Structure, chain_from_residues
from protattn.structure.properties import (
    AMINO_ACIDS,
    RANGE_BANDS,
    amino_acid_mask,
    band_mask,
    band_of,
    contact_map,
    observed_pairs,
)
from protattn.structure.records import chain_features, structure_features
from protattn.structure.sites import (
    BindingSite,
    binding_sites,
    ligand_kind,
    site_mask,
    site_record_sites,
)

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"

#: Residue names of the reference tables, written out independently of Biopython.
LETTERS = {
    "ALA": "A",
    "ARG": "R",
    "ASN": "N",
    "ASP": "D",
    "CYS": "C",
    "GLN": "Q",
    "GLU": "E",
    "GLY": "G",
    "HIS": "H",
    "ILE": "I",
    "LEU": "L",
    "LYS": "K",
    "MET": "M",
    "PHE": "F",
    "PRO": "P",
    "SER": "S",
    "THR": "T",
    "TRP": "W",
    "TYR": "Y",
    "VAL": "V",
    "MSE": "M",
}


# --------------------------------------------------------------------------- helpers


def _tsv(name: str) -> list[dict[str, str]]:
    path = DATA / name
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


SITES_4A = _tsv("ligand_sites_4A.tsv")
SITE_CHECK = _tsv("site_records_vs_4A_check.tsv")
SOURCES = [r for r in _tsv("SOURCES.tsv") if r["file"].startswith("structures/")]
INSTANCE = "ligand_instance(chain:CODE+resnum)"
RESIDUES = "site_residues_within_4A(chain:RESNAME+resnum)"


def _params(rows, *keys):
    """One case per table row; without the tables one case that the shared_dir fixture
    skips (or fails, in CI)."""
    return [pytest.param(r, id=":".join(r[k] for k in keys)) for r in rows] or [
        pytest.param(None, id="shared-data-missing")
    ]


def _instance_id(instance: str, code: str) -> ResidueId:
    """``"N:NAG475A"`` with code ``"NAG"`` -> ResidueId("N", 475, "A")."""
    chain, rest = instance.split(":", 1)
    assert rest.startswith(code), instance
    m = re.fullmatch(r"(-?\d+)([A-Z]?)", rest[len(code) :])
    assert m, instance
    return ResidueId(chain, int(m.group(1)), m.group(2))


def _residue(text: str, codes=()) -> tuple[ResidueId, str]:
    """``"H:HIS99"`` -> (ResidueId("H", 99), "HIS"); hetero groups by their ``codes``."""
    chain, rest = text.split(":", 1)
    found = set()
    for name in (*LETTERS, *codes):
        m = re.fullmatch(r"(-?\d+)([A-Z]?)", rest[len(name) :]) if rest.startswith(name) else None
        if m:
            found.add((ResidueId(chain, int(m.group(1)), m.group(2)), name))
    assert len(found) == 1, (text, found)
    return found.pop()


def _load(load_structure, shared_dir, relative: str):
    return load_structure(shared_dir / "data" / relative)


_SITES: dict[str, dict[tuple[str, ResidueId], BindingSite]] = {}


def _sites_by_instance(relative: str, structure: Structure):
    """Binding sites of a file by (code, ligand id), computed once per file."""
    if relative not in _SITES:
        _SITES[relative] = {(s.ligand.name, s.ligand.id): s for s in binding_sites(structure)}
    return _SITES[relative]


def _position(structure: Structure, rid: ResidueId) -> tuple[Chain, int]:
    chain = structure.chain(rid.chain)
    return chain, chain.index_of(rid)


def _residue_chain(length: int, cb: np.ndarray, observed=None) -> Chain:
    """A chain of alanines whose only coordinates are the given Cβ (for contact tests)."""
    observed = np.ones(length, bool) if observed is None else np.asarray(observed)
    backbone = np.full((length, 4, 3), np.nan)
    backbone[observed, 3] = cb[observed]
    ids = tuple(ResidueId("A", k + 1) if observed[k] else None for k in range(length))
    atoms = tuple({"CB": cb[k]} if observed[k] else None for k in range(length))
    return Chain("A", "A" * length, ids, backbone, atoms, "seqres")


# --------------------------------------------------------------------------- contacts


def _file_cb(atoms, chain_id: str) -> dict[ResidueId, np.ndarray]:
    """Cβ of every protein residue of a chain from the file; virtual Cβ where it has none."""
    residues: dict[ResidueId, dict[str, np.ndarray]] = {}
    for a in atoms:
        if a.chain != chain_id or not a.polymer or a.altloc not in ("", "A"):
            continue
        residues.setdefault(ResidueId(a.chain, a.number, a.icode), {}).setdefault(
            a.name, np.array(a.xyz)
        )
    out = {}
    for rid, named in residues.items():
        if "CB" in named:
            out[rid] = named["CB"]
        else:  # ideal Cβ from N, CA, C (Senior et al. / trRosetta constants)
            b = named["CA"] - named["N"]
            c = named["C"] - named["CA"]
            a = np.cross(b, c)
            out[rid] = -0.58273431 * a + 0.56802827 * b - 0.54067466 * c + named["CA"]
    return out


@pytest.mark.parametrize(
    "relative,chain_id",
    [
        ("structures/reference/1A3A.pdb", "A"),  # sequence = observed residues
        ("structures/ligand/1EVE.pdb", "A"),  # SEQRES with unobserved residues
    ],
)
def test_contact_map_equals_brute_force_on_cb_from_the_file(
    shared_dir, load_structure, read_atoms, relative, chain_id
):
    structure = _load(load_structure, shared_dir, relative)
    chain = structure.chain(chain_id)
    cb = _file_cb(read_atoms(shared_dir / "data" / relative), chain_id)
    rids = [r for r in chain.residue_ids if r is not None]
    assert set(rids) == set(cb)
    position = {r: k for k, r in enumerate(chain.residue_ids) if r is not None}
    expected = set()
    for x in rids:
        distance = np.sqrt(((np.array([cb[y] for y in rids]) - cb[x]) ** 2).sum(axis=1))
        for y, d in zip(rids, distance.tolist()):
            if abs(position[x] - position[y]) >= 6 and d < 8.0:
                expected.add((x, y))
    got = contact_map(chain)
    assert got.shape == (len(chain), len(chain)) and got.dtype == bool
    found = {(chain.residue_ids[i], chain.residue_ids[j]) for i, j in np.argwhere(got)}
    assert found == expected
    assert len(expected) > 200
    unobserved = ~chain.observed
    if relative.endswith("1EVE.pdb"):
        assert unobserved.sum() == len(chain) - 534
    assert not got[unobserved].any() and not got[:, unobserved].any()


def test_contact_map_min_separation_and_cutoff_by_hand():
    cb = np.zeros((10, 3))
    cb[:, 0] = np.arange(10)  # Cβ 1 Å apart on a line
    chain = _residue_chain(10, cb)
    got = contact_map(chain, cutoff=3.5, min_separation=2)
    expected = np.zeros((10, 10), bool)
    for i in range(10):
        for j in range(10):
            expected[i, j] = abs(i - j) in (2, 3)  # distance 2, 3 < 3.5; 1 is too close in sequence
    np.testing.assert_array_equal(got, expected)
    # strictly below the cutoff: distance exactly 3 is not a contact at cutoff 3
    assert not contact_map(chain, cutoff=3.0, min_separation=3).any()
    # default separation 6 on this line: |i-j| 6..7 within 8 Å (strictly below)
    pairs = {(int(i), int(j)) for i, j in np.argwhere(np.triu(contact_map(chain)))}
    assert pairs == {(0, 6), (1, 7), (2, 8), (3, 9), (0, 7), (1, 8), (2, 9)}


def test_contact_map_false_where_unobserved():
    cb = np.zeros((8, 3))
    cb[:, 0] = np.arange(8) * 0.5
    observed = [True] * 8
    observed[3] = False
    chain = _residue_chain(8, cb, observed)
    got = contact_map(chain, cutoff=10.0, min_separation=1)
    assert not got[3].any() and not got[:, 3].any()
    assert got[0, 1] and got[2, 4]
    pairs = observed_pairs(chain)
    assert pairs.sum() == 7 * 7 and not pairs[3].any()


def test_band_masks_by_hand():
    length = 30
    short, medium, long_ = (band_mask(length, b) for b in ("short", "medium", "long"))
    everything = band_mask(length, "all")
    for i, j, band in [
        (0, 5, None),
        (0, 6, "short"),
        (3, 14, "short"),
        (0, 12, "medium"),
        (5, 28, "medium"),
        (0, 24, "long"),
        (2, 29, "long"),
        (7, 7, None),
    ]:
        for name, mask in (("short", short), ("medium", medium), ("long", long_)):
            assert mask[i, j] == mask[j, i] == (band == name), (i, j, name)
        assert everything[i, j] == (band is not None)
    # pairs at separation s: 2 (L - s) ordered pairs
    assert short.sum() == sum(2 * (length - s) for s in range(6, 12))
    assert medium.sum() == sum(2 * (length - s) for s in range(12, 24))
    assert long_.sum() == sum(2 * (length - s) for s in range(24, length))
    np.testing.assert_array_equal(everything, short | medium | long_)
    assert not (short & medium).any() and not (medium & long_).any()
    assert RANGE_BANDS == {"short": (6, 11), "medium": (12, 23), "long": (24, None)}
    assert [band_of(s) for s in (1, 5, 6, 11, 12, 23, 24, 300)] == [
        "local",
        "local",
        "short",
        "short",
        "medium",
        "medium",
        "long",
        "long",
    ]
    with pytest.raises(ValueError, match="short, medium, long, all"):
        band_mask(10, "tiny")


# --------------------------------------------------------------------- binding sites


@pytest.mark.parametrize("row", _params(SITES_4A, "file", INSTANCE))
def test_binding_site_matches_reference_4A(row, shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, row["file"])
    rid = _instance_id(row[INSTANCE], row["code"])
    site = _sites_by_instance(row["file"], structure).get((row["code"], rid))
    assert site is not None, f"{row[INSTANCE]} not among the binding sites"
    assert site.kind == row["kind"] == ligand_kind(row["code"])
    assert site.name == row["code"]
    assert len(site.ligand.coords) == int(row["n_heavy_atoms"])
    expected = [_residue(t) for t in row[RESIDUES].split()]
    assert len(expected) == int(row["n_site_residues"])
    assert set(site.residues) == {r for r, _ in expected}
    assert len(site.residues) == len(set(site.residues))
    for r, name in expected:  # the residue type there is the one the table names
        chain, k = _position(structure, r)
        assert chain.sequence[k] == LETTERS[name], (r, name)


@pytest.mark.parametrize("relative", sorted({r["file"] for r in SITES_4A}) or ["missing"])
def test_every_hetero_group_but_water_is_a_site_of_the_reference(
    relative, shared_dir, load_structure, read_atoms
):
    structure = _load(load_structure, shared_dir, relative)
    expected = {
        (r["code"], _instance_id(r[INSTANCE], r["code"])) for r in SITES_4A if r["file"] == relative
    }
    sites = binding_sites(structure)
    assert {(s.name, s.ligand.id) for s in sites} == expected
    assert len(sites) == len(expected)
    assert not any(s.name in ("HOH", "WAT", "DOD") for s in sites)
    # the residues of a site follow the structure's chains and sequence positions
    rank = {
        r: n
        for n, r in enumerate(r for c in structure.chains for r in c.residue_ids if r is not None)
    }
    for s in sites:
        assert [rank[r] for r in s.residues] == sorted(rank[r] for r in s.residues)


def test_waters_are_never_sites(shared_dir, load_structure, read_atoms):
    relative = "structures/ligand/1AKU.pdb"
    waters = {
        (a.chain, a.number)
        for a in read_atoms(shared_dir / "data" / relative)
        if a.resname == "HOH"
    }
    assert len(waters) > 100
    structure = _load(load_structure, shared_dir, relative)
    assert [s.name for s in binding_sites(structure)] == ["SO4", "SO4", "FMN"]
    # the SITE record of the FMN lists six waters; they are not kept
    records = dict(structure.sites)
    assert not any((r.chain, r.number) in waters for rs in records.values() for r in rs)


def test_kinds_filter(shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, "structures/ligand/4DST.pdb")
    every = binding_sites(structure)
    assert Counter(s.kind for s in every) == {"ligand": 2, "ion": 2, "additive": 4}
    for kinds in (("ion",), ("ligand", "additive"), ("glycan",)):
        chosen = binding_sites(structure, kinds=kinds)
        assert chosen == [s for s in every if s.kind in kinds]
    assert binding_sites(structure, kinds="ion") == binding_sites(structure, kinds=("ion",))
    with pytest.raises(ValueError, match="water"):
        binding_sites(structure, kinds=("water",))


def test_cutoff_widens_the_site(shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, "structures/ligand/1XDN.pdb")
    near = {s.name: set(s.residues) for s in binding_sites(structure, cutoff=3.0)}
    far = {s.name: set(s.residues) for s in binding_sites(structure, cutoff=6.0)}
    default = {s.name: set(s.residues) for s in binding_sites(structure)}
    for name in default:
        assert near[name] <= default[name] <= far[name]
        assert len(far[name]) > len(default[name])


@pytest.mark.parametrize(
    "code,kind",
    [
        ("ZN", "ion"),
        ("CL", "ion"),
        ("na", "ion"),
        ("IOD", "ion"),
        ("NAG", "glycan"),
        ("FUC", "glycan"),
        ("SIA", "glycan"),
        ("GOL", "additive"),
        ("SO4", "additive"),
        ("PEG", "additive"),
        ("TRS", "additive"),
        ("EDO", "additive"),
        ("ATP", "ligand"),
        ("HEM", "ligand"),
        ("SAH", "ligand"),
        ("FMN", "ligand"),
    ],
)
def test_ligand_kind_of_common_codes(code, kind):
    assert ligand_kind(code) == kind


def test_a_structure_without_ligands_has_no_sites(shared_dir, load_structure, read_atoms):
    relative = "structures/antibody/1JRH.cif"
    hetero = {a.resname for a in read_atoms(shared_dir / "data" / relative) if a.record == "HETATM"}
    assert hetero == {"HOH"}
    structure = _load(load_structure, shared_dir, relative)
    assert binding_sites(structure) == []
    assert site_record_sites(structure) == []
    features = structure_features(structure)
    assert features["binding_sites"] == [] and features["site_records"] == []
    assert all(c["binding_sites"] == [] for c in features["chains"])


def test_site_mask_marks_the_reference_residues(shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, "structures/ligand/1XDN.pdb")
    chain = structure.chain("A")
    row = next(r for r in SITES_4A if r["file"].endswith("1XDN.pdb") and r["code"] == "ATP")
    expected = {_residue(t)[0] for t in row[RESIDUES].split()}
    atp = [s for s in binding_sites(structure) if s.name == "ATP"]
    mask = site_mask(chain, atp)
    assert mask.shape == (len(chain),) and mask.dtype == bool
    assert {chain.residue_ids[k] for k in np.flatnonzero(mask)} == expected
    assert not site_mask(chain, []).any()


# ---------------------------------------------------------------------- SITE records


def _comparison(text: str) -> tuple[int, set[str], set[str]]:
    parts = dict(p.strip().split("=", 1) for p in text.split(";")[1:])
    common = int(text.split()[0])
    listed = {k: set() if v.strip() == "-" else set(v.split()) for k, v in parts.items()}
    return common, listed["SITE-only"], listed["4A-only"]


@pytest.mark.parametrize("row", _params(SITE_CHECK, "file", "ligand_instance"))
def test_site_record_matches_the_reference_check(row, shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, row["file"])
    reference = next(
        r for r in SITES_4A if r["file"] == row["file"] and r[INSTANCE] == row["ligand_instance"]
    )
    rid = _instance_id(row["ligand_instance"], reference["code"])
    common, site_only, near_only = _comparison(row["comparison"])
    near = set(reference[RESIDUES].split())
    expected_text = (near - near_only) | site_only
    assert len(near & expected_text) == common
    codes = {r["code"] for r in SITES_4A if r["file"] == row["file"]}
    records = [
        s
        for s in site_record_sites(structure)
        if s.ligand is not None and (s.ligand.name, s.ligand.id) == (reference["code"], rid)
    ]
    assert len(records) == 1, "one SITE record names this ligand"
    record = records[0]
    assert record.kind == "site record" and record.name == reference["code"]
    listed = dict(structure.sites)[record.site_id]
    assert len(listed) == int(row["n_res_SITE"])
    assert set(listed) == {_residue(t, codes)[0] for t in expected_text}
    protein = {_residue(t, codes)[0] for t in expected_text if _residue(t, codes)[1] in LETTERS}
    assert set(record.residues) == protein


@pytest.mark.parametrize("row", _params(SOURCES, "file"))
def test_number_of_site_records_matches_sources(row, shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, row["file"])
    assert len(structure.sites) == int(row["n_site_records"])
    assert len(site_record_sites(structure)) == int(row["n_site_records"])


def test_mmcif_site_records_follow_struct_site_gen(shared_dir, load_structure, cif_loop):
    relative = "structures/antibody/1IND.cif"
    path = shared_dir / "data" / relative
    expected: dict[str, list[ResidueId]] = {}
    for row in cif_loop(path, "_struct_site_gen"):
        if row["auth_comp_id"] == "HOH" or row["symmetry"] != "1_555":
            continue
        icode = row["pdbx_auth_ins_code"]
        expected.setdefault(row["site_id"], []).append(
            ResidueId(row["auth_asym_id"], int(row["auth_seq_id"]), "" if icode in "?." else icode)
        )
    structure = _load(load_structure, shared_dir, relative)
    assert {k: list(v) for k, v in structure.sites} == expected
    details = {r["id"]: r["details"] for r in cif_loop(path, "_struct_site")}
    assert dict(structure.site_descriptions) == details
    by_id = {s.site_id: s for s in site_record_sites(structure)}
    assert by_id["AC2"].ligand.name == "EOT" and by_id["AC1"].ligand.name == "IN"
    # the In ion listed in the EOT site is a hetero group, not a protein residue
    assert ResidueId("H", 800) in dict(structure.sites)["AC2"]
    assert ResidueId("H", 800) not in by_id["AC2"].residues
    assert len(by_id["AC2"].residues) == 8


# ---------------------------------------------------------------- secondary structure


def _place(a, b, c, bond, angle, torsion):
    """NeRF: the atom at ``bond`` from c, angle b-c-d ``angle``, dihedral a-b-c-d ``torsion``."""
    bc = (c - b) / np.linalg.norm(c - b)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    ang, tor = np.radians(angle), np.radians(torsion)
    return c + bond * (
        -np.cos(ang) * bc + np.sin(ang) * np.cos(tor) * m + np.sin(ang) * np.sin(tor) * n
    )


def _ideal_backbone(phi: float, psi: float, length: int) -> np.ndarray:
    """N, CA, C, O of ``length`` residues with ideal bond geometry, ``shape=(length, 4, 3)``."""
    t = np.radians(180 - 111.2)
    n, ca, c = [np.zeros(3)], [np.array([1.458, 0.0, 0.0])], []
    c.append(ca[0] + 1.525 * np.array([np.cos(t), np.sin(t), 0.0]))
    o = []
    for i in range(1, length):
        n.append(_place(n[i - 1], ca[i - 1], c[i - 1], 1.329, 116.2, psi))
        ca.append(_place(ca[i - 1], c[i - 1], n[i], 1.458, 121.7, 180.0))
        c.append(_place(c[i - 1], n[i], ca[i], 1.525, 111.2, phi))
        o.append(_place(n[i], ca[i - 1], c[i - 1], 1.231, 120.5, 180.0))
    o.append(_place(n[-1], ca[-1], c[-1], 1.231, 120.5, psi + 180.0))
    return np.stack([np.array(n), np.array(ca), np.array(c), np.array(o)], axis=1)


def _backbone_chain(coords: np.ndarray, positions, length: int) -> Chain:
    residues = [
        ObservedResidue(ResidueId("A", p + 1), "ALA", dict(zip(("N", "CA", "C", "O"), xyz)))
        for p, xyz in zip(positions, coords)
    ]
    return chain_from_residues("A", residues, "A" * length, list(positions))


def test_ideal_alpha_helix_is_helix():
    helix = _ideal_backbone(-57.0, -47.0, 20)
    # independent check of the geometry: O(i)...N(i+4) H-bond distance, 3.6 residues a turn
    assert 2.8 < np.linalg.norm(helix[3, 3] - helix[7, 0]) < 3.2
    assert 5.8 < np.linalg.norm(helix[0, 1] - helix[4, 1]) < 6.6
    chain = _backbone_chain(helix, range(20), 20)
    # Kabsch & Sander: 4-turns at 0..15, so residues 1..18 are H; the ends are not
    assert dssp(chain) == "C" + "H" * 18 + "C"
    assert secondary_structure(chain) == "C" + "H" * 18 + "C"


def test_helix_is_cut_at_a_missing_residue():
    helix = _ideal_backbone(-57.0, -47.0, 20)
    keep = [k for k in range(20) if k != 10]
    chain = _backbone_chain(helix[keep], keep, 20)
    # 4-turns only where nothing is missing between i and i+4: 0..5 and 11..15;
    # residue 11 has no amide H (no previous residue) and 9 is in no turn
    assert dssp(chain) == "C" + "H" * 8 + "C-C" + "H" * 7 + "C"


def test_helix_is_cut_at_a_chain_break():
    helix = _ideal_backbone(-57.0, -47.0, 20)
    helix[10:] += np.array([2.0, 2.0, 2.0])  # residues 9 and 10 no longer bonded
    assert np.linalg.norm(helix[9, 2] - helix[10, 0]) > 2.5
    chain = _backbone_chain(helix, range(20), 20)
    assert dssp(chain) == "C" + "H" * 8 + "CC" + "H" * 8 + "C"


def _antiparallel_pair(length: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """An ideal strand and its antiparallel partner, related by a two-fold axis normal to the sheet.

    The partner of residue ``m`` (middle) is its own image: N–H(m)···O=C(m') and
    N–H(m')···O=C(m) are both 2.9 Å.
    """
    strand = _ideal_backbone(-139.0, 135.0, length)
    ca = strand[:, 1]
    x = (ca[-1] - ca[0]) / np.linalg.norm(ca[-1] - ca[0])
    m = length // 2
    y = strand[m, 3] - strand[m, 2]
    y = y - (y @ x) * x
    y /= np.linalg.norm(y)
    frame = np.array([x, y, np.cross(x, y)])
    local = (strand - ca[m]) @ frame.T  # residue m's C=O points along +y
    o, n = local[m, 3], local[m, 0]
    dx, dz = o[0] + n[0], o[2] - n[2]
    py = (o[1] + n[1] + np.sqrt(2.9**2 - dx**2 - dz**2)) / 2
    image = local.copy()
    image[..., 0] = -local[..., 0]
    image[..., 1] = 2 * py - local[..., 1]
    return local, image


def test_ideal_antiparallel_strands_are_strands():
    first, second = _antiparallel_pair(7)
    # independent check: H-bonded pairs (1,5'), (3,3'), (5,1') at 2.9 Å N...O, CA 5.5 Å apart
    for a, b in ((1, 5), (3, 3), (5, 1)):
        assert abs(np.linalg.norm(first[a, 0] - second[b, 3]) - 2.9) < 0.01
        assert abs(np.linalg.norm(first[a, 3] - second[b, 0]) - 2.9) < 0.01
        assert 5.0 < np.linalg.norm(first[a, 1] - second[b, 1]) < 6.0
    # one chain: strand, four unobserved residues, partner strand
    positions = list(range(7)) + list(range(11, 18))
    chain = _backbone_chain(np.concatenate([first, second]), positions, 18)
    # bridges need both neighbours: residues 1..5 of each strand pair up (2 or more: E)
    assert dssp(chain) == "CEEEEEC----CEEEEEC"
    assert secondary_structure(chain) == "CEEEEEC----CEEEEEC"


def _parallel_pair(length: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """An ideal strand and a parallel partner: the same strand moved across the sheet.

    The shift is found by a grid search on geometry alone: N–H(m)···O=C((m-1)') and
    C=O(m)···H–N((m+1)') both 2.9 Å for the middle residue ``m``.
    """
    strand = _ideal_backbone(-119.0, 113.0, length)
    ca = strand[:, 1]
    x = (ca[-1] - ca[0]) / np.linalg.norm(ca[-1] - ca[0])
    m = length // 2
    y = strand[m, 3] - strand[m, 2]
    y = y - (y @ x) * x
    y /= np.linalg.norm(y)
    local = (strand - ca[m]) @ np.array([x, y, np.cross(x, y)]).T
    tx = np.arange(-3.0, 3.0, 0.01)[:, None]
    ty = np.arange(3.0, 7.0, 0.01)[None, :]

    def distance(a, b):  # |a - (b + t)| on the grid of shifts t = (tx, ty, 0)
        return np.sqrt((a[0] - b[0] - tx) ** 2 + (a[1] - b[1] - ty) ** 2 + (a[2] - b[2]) ** 2)

    error = (distance(local[m, 0], local[m - 1, 3]) - 2.9) ** 2 + (
        distance(local[m, 3], local[m + 1, 0]) - 2.9
    ) ** 2
    a, b = np.unravel_index(np.argmin(error), error.shape)
    return local, local + np.array([tx[a, 0], ty[0, b], 0.0])


def test_ideal_parallel_strands_are_strands():
    first, second = _parallel_pair(7)
    # independent check: H-bonds alternate, N(i)...O((i-1)') and O(i)...N((i+1)') for odd i
    for i in (1, 3, 5):
        assert 2.7 < np.linalg.norm(first[i, 0] - second[i - 1, 3]) < 3.1
        assert 2.7 < np.linalg.norm(first[i, 3] - second[i + 1, 0]) < 3.1
    positions = list(range(7)) + list(range(11, 18))
    chain = _backbone_chain(np.concatenate([first, second]), positions, 18)
    # parallel bridges (i, i') for i = 1..5: [Hbond(i-1', i), Hbond(i, i+1')] for odd i,
    # [Hbond(i-1, i'), Hbond(i', i+1)] for even i; one ladder, so E
    assert dssp(chain) == "CEEEEEC----CEEEEEC"


def test_strands_paired_across_chains_need_the_structure():
    first, second = _antiparallel_pair(7)
    a = _backbone_chain(first, range(7), 7)
    residues = [
        ObservedResidue(ResidueId("B", p + 1), "ALA", dict(zip(("N", "CA", "C", "O"), xyz)))
        for p, xyz in enumerate(second)
    ]
    b = chain_from_residues("B", residues)
    structure = Structure("pair", (a, b))
    assert dssp(a) == "C" * 7  # alone, a strand has no partner
    assert dssp(a, structure) == dssp(b, structure) == "CEEEEEC"


#: DSSP of real chains by mkdssp 4.2.2 (the Debian package ``dssp``), run once on the files
#: as deposited and written here (loop " " as C). DSSP 4's polyproline ``P``, which DSSP 2.x
#: does not assign, reads as C. These chains have no π-helix, the one place where DSSP 4
#: (π before α) and DSSP 2.x (α before π) differ by design.
MKDSSP = {
    ("structures/ligand/1AKU.pdb", "A"):  # flavodoxin: parallel sheet
    "CEEEEEEECSSSHHHHHHHHHHHHHHHTTCEEEEEEGGGCCCTTTTTTCSEEEEEECEESSSSCEECTTTHHHHHTGGGSCCTT"
    "CEEEEEEEECTTSTTTTHHHHHHHHHHHHTTCEECSPPEEEESCGGGCHHHHHHHHHHHHHHC",
    ("structures/ligand/1HPX.pdb", "A"):  # HIV protease: the terminal strands pair across chains
    "CEECSSSCCEEEEEETTEEEEEEECTTCSSCEEESCCCSSCCEEEEEEETTEEEEEEEEEEEEEEETTEEEEEEEEEECCSSCEE"
    "CHHHHTTTTCEEEC",
    (
        "structures/ligand/1HPX.pdb",
        "B",
    ): "CEECSSSCCEEEEEETTEEEEEEECTTCSSCEECSCCCSSCCEEEEEEETTEEEEEEEEEEEEEEETTEEEEEEEEESCCSSCEE"
    "CHHHHTTTTCEEEC",
    (
        "structures/ligand/4GQL.pdb",
        "A",
    ): "CCCCCSSSEEEEEECCCCTTSCHHHHHHHHHHHHHHHHTTSSCEEEECSSSCCSEEEEEECSSCSSSCCCCSSSSCCEEEPPSSST"
    "TTTCEEEETTSCEESSSSSEEHHHHHHHHHHHHHTCCCCSCTTSTTSSSCCCCCGGGCCCCHHHHHHHHHHCC",
    ("structures/ligand/1BMA.pdb", "A"):  # elastase: beta barrels, isolated bridges
    "CBTCEEPPTTSSTTEEEEEEEETTEEEEEEEEEEEETTEEEECGGGGSSCCCEEEEESCCBTTSCCSCCEEEEEEEEEECTTCCTT"
    "CGGGCCCCEEEEESSPPPPBTTBCPPPPPPTTCCPPTTCCEEEEESSCSSTTCCCCSBCEEEECCEECHHHHTSTTTTGGGCCTTE"
    "EEECCSSSCBCCTTCTTCEEEEEETTEEEEEEEEEECCTTCSSBTTBCEEEEEGGGSHHHHHHHHHHC",
}


@pytest.mark.parametrize("relative,chain_id", sorted(MKDSSP), ids=lambda v: str(v))
def test_dssp_equals_mkdssp_on_real_chains(shared_dir, load_structure, relative, chain_id):
    structure = _load(load_structure, shared_dir, relative)
    chain = structure.chain(chain_id)
    expected = MKDSSP[relative, chain_id].replace("P", "C")
    assert len(expected) == len(chain)
    assert dssp(chain, structure) == expected


def test_no_amide_hydrogen_after_a_chain_break():
    """The first residue after a break donates no H-bond, however good its geometry."""
    from protattn.structure.dssp import _backbone_with_oxygen, _chain_hbonds, _hbonds

    helix = _ideal_backbone(-57.0, -47.0, 20)
    whole = _backbone_chain(helix, range(20), 20)
    assert (6, 10) in _chain_hbonds(whole)[0]  # O(6)...H-N(10) in the intact helix
    step = helix[10, 0] - helix[9, 2]
    helix[10:] += 1.2 * step / np.linalg.norm(step)  # stretch the C(9)-N(10) bond
    chain = _backbone_chain(helix, range(20), 20)
    n, ca, c, o, valid = _backbone_with_oxygen(chain)
    assert np.linalg.norm(c[9] - n[10]) > 2.5
    # with an amide H placed from residue 9's C=O anyway, N(10) would still donate to O(6)
    h = np.full((20, 3), np.nan)
    h[1:] = n[1:] + (c[:-1] - o[:-1]) / np.linalg.norm(c[:-1] - o[:-1], axis=1, keepdims=True)
    assert (6, 10) in _hbonds(n, ca, c, o, h, np.arange(20) > 0, valid)
    hbonds, bonded = _chain_hbonds(chain)
    assert bonded.tolist() == [k != 9 for k in range(19)]
    assert not any(d == 10 for _, d in hbonds)
    assert (7, 11) in hbonds  # the next residue donates as before
    assert dssp(chain) == "C" + "H" * 8 + "CC" + "H" * 8 + "C"


_PYMOL_DSS = r"""
import json, sys
from pymol import cmd
out = {}
for path in sys.argv[1:]:
    cmd.reinitialize()
    cmd.load(path, "m")
    cmd.remove("m and not alt ''+A")  # one conformer, as protattn reads it
    cmd.dss("m")
    seen = {}
    cmd.iterate("m and polymer.protein and name CA",
                "seen.setdefault(chain + ':' + resi, ss)", space={"seen": seen})
    out[path] = seen
print(json.dumps(out))
"""

PYMOL_STRUCTURES = [
    "structures/ligand/1AKU.pdb",  # flavodoxin: parallel sheet and helices
    "structures/ligand/2ZOZ.pdb",  # all helix
    "structures/ligand/4DST.pdb",  # Ras-like alpha/beta
    "structures/ligand/5H73.pdb",  # TIM barrel
    "structures/ligand/1HPX.pdb",  # HIV protease: beta, sheet across the dimer
    "structures/antibody/5E08.cif",  # Fab: antiparallel beta sandwiches
]


@pytest.fixture(scope="module")
def pymol_dss(shared_dir):
    require("pymol")
    paths = [str(shared_dir / "data" / p) for p in PYMOL_STRUCTURES]
    done = subprocess.run(
        [sys.executable, "-c", _PYMOL_DSS, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {p: found[str(shared_dir / "data" / p)] for p in PYMOL_STRUCTURES}


def test_secondary_structure_agrees_with_pymol_dss(pymol_dss, shared_dir, load_structure):
    """Helix / strand / other per residue against PyMOL's dss (H, S, L)."""
    pooled = Counter()
    for relative in PYMOL_STRUCTURES:
        structure = _load(load_structure, shared_dir, relative)
        reference = pymol_dss[relative]
        confusion = Counter()
        for chain in structure.chains:
            for rid, code in zip(chain.residue_ids, secondary_structure(chain, structure)):
                key = None if rid is None else f"{rid.chain}:{rid.number}{rid.icode}"
                if key is None or key not in reference:
                    continue
                assert code != "-"
                ours = {"H": "H", "E": "S"}.get(code, "L")
                confusion[ours, reference[key] or "L"] += 1
        n = sum(confusion.values())
        agree = sum(v for (a, b), v in confusion.items() if a == b)
        assert n > 100
        # PyMOL's dss is not DSSP (it also weighs phi/psi and has no isolated bridges):
        # measured 0.86 (1HPX) to 0.98 (4DST) with PyMOL 3.2
        assert agree / n > 0.84, (relative, agree / n, confusion)
        pooled.update(confusion)
    n = sum(pooled.values())
    assert sum(v for (a, b), v in pooled.items() if a == b) / n > 0.9  # measured 0.93
    for state in ("H", "S"):
        theirs = sum(v for (a, b), v in pooled.items() if b == state)
        assert pooled[state, state] / theirs > 0.9, state  # PyMOL's found: 0.94, 0.97
        ours = sum(v for (a, b), v in pooled.items() if a == state)
        assert pooled[state, state] / ours > 0.85, state  # ours confirmed: 0.98, 0.90


def test_secondary_structure_classes_and_unobserved(shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, "structures/ligand/1EVE.pdb")
    chain = structure.chain("A")
    eight = dssp(chain, structure)
    four = secondary_structure(chain, structure)
    assert len(eight) == len(four) == len(chain)
    assert set(four) <= set("HETC-") and set(eight) <= set("HGIEBTSC-")
    reduce = {
        "H": "H",
        "G": "H",
        "I": "H",
        "E": "E",
        "B": "E",
        "T": "T",
        "S": "T",
        "C": "C",
        "-": "-",
    }
    assert four == "".join(reduce[c] for c in eight)
    assert [k for k, c in enumerate(four) if c == "-"] == list(np.flatnonzero(~chain.observed))
    # acetylcholinesterase: an alpha/beta hydrolase, plenty of both
    counts = Counter(four)
    assert counts["H"] > 150 and counts["E"] > 60


# --------------------------------------------------------------------------- edge cases


def _empty_chain() -> Chain:
    return Chain("A", "", (), np.zeros((0, 4, 3)), ())


def test_empty_chain():
    chain = _empty_chain()
    assert contact_map(chain).shape == (0, 0)
    assert observed_pairs(chain).shape == (0, 0)
    assert band_mask(0, "long").shape == (0, 0)
    assert dssp(chain) == secondary_structure(chain) == ""
    assert site_mask(chain, []).shape == (0,)
    assert amino_acid_mask(chain, "A").shape == (0,)
    structure = Structure("empty", (chain,))
    assert binding_sites(structure) == [] and site_record_sites(structure) == []
    features = chain_features(structure, chain)
    assert features["contacts"]["pairs"] == [] and features["secondary_structure"] == ""


def test_one_residue_chain():
    helix = _ideal_backbone(-57.0, -47.0, 1)
    chain = _backbone_chain(helix, [0], 1)
    assert contact_map(chain).tolist() == [[False]]
    assert contact_map(chain, min_separation=0).tolist() == [[True]]  # itself, 0 Å
    assert dssp(chain) == "C" and secondary_structure(chain) == "C"
    unobserved = Chain("A", "G", (None,), np.full((1, 4, 3), np.nan), (None,))
    assert dssp(unobserved) == "-"
    assert contact_map(unobserved, min_separation=0).tolist() == [[False]]


# -------------------------------------------------------------------------- amino acids


def test_amino_acid_mask_matches_the_files_residue_names(shared_dir, load_structure, read_atoms):
    relative = "structures/ligand/1XDN.pdb"
    structure = _load(load_structure, shared_dir, relative)
    chain = structure.chain("A")
    names = {
        ResidueId(a.chain, a.number, a.icode): a.resname
        for a in read_atoms(shared_dir / "data" / relative)
        if a.polymer and a.chain == "A"
    }
    for aa in AMINO_ACIDS:
        mask = amino_acid_mask(chain, aa)
        assert mask.shape == (len(chain),) and mask.dtype == bool
        for k, rid in enumerate(chain.residue_ids):
            if rid is not None:
                assert mask[k] == (LETTERS[names[rid]] == aa), (rid, aa)
    # selenomethionine counts as methionine; three-letter names and lower case work
    np.testing.assert_array_equal(amino_acid_mask(chain, "met"), amino_acid_mask(chain, "M"))
    assert amino_acid_mask(chain, "M").sum() == chain.sequence.count("M") > 0
    assert AMINO_ACIDS == "".join(sorted(set(LETTERS.values())))
    for bad in ("X", "B", "", "AC"):
        with pytest.raises(ValueError, match="twenty"):
            amino_acid_mask(chain, bad)


# ------------------------------------------------------------------------ JSON summaries


def test_chain_features_is_json_and_consistent(shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, "structures/ligand/1XDN.pdb")
    chain = structure.chain("A")
    features = json.loads(json.dumps(chain_features(structure, "A")))
    assert features["chain"] == "A" and features["sequence"] == chain.sequence
    assert features["residue_ids"] == [None if r is None else str(r) for r in chain.residue_ids]
    assert features["secondary_structure"] == secondary_structure(chain, structure)
    contacts = features["contacts"]
    assert contacts["cutoff"] == 8.0 and contacts["min_separation"] == 6
    pairs = contacts["pairs"]
    assert len(pairs) == int(np.triu(contact_map(chain)).sum())
    for i, j, band in pairs:
        assert 1 <= i < j <= len(chain) and j - i >= 6 and band == band_of(j - i)
        a, b = chain.cb[i - 1], chain.cb[j - 1]
        assert np.linalg.norm(a - b) < 8.0
    assert {p[2] for p in pairs} == {"short", "medium", "long"}
    # the ATP site, against the reference table
    row = next(r for r in SITES_4A if r["file"].endswith("1XDN.pdb") and r["code"] == "ATP")
    atp = next(s for s in features["binding_sites"] if s["ligand"] == "ATP")
    assert atp["instance"] == "A:501" and atp["kind"] == "ligand"
    assert set(atp["residues"]) == {str(_residue(t)[0]) for t in row[RESIDUES].split()}
    assert [features["residue_ids"][p - 1] for p in atp["positions"]] == atp["residues"]
    # SITE records: the ATP's lists protein residues of chain A; the Mg's only the ATP and waters
    assert [(r["site_id"], r["ligand"]) for r in features["site_records"]] == [("AC2", "ATP")]
    whole = structure_features(structure)["site_records"]
    assert [(r["site_id"], r["ligand"], r["residues"]) for r in whole] == [
        ("AC1", "MG", []),
        ("AC2", "ATP", features["site_records"][0]["residues"]),
    ]
    assert len(whole[1]["residues"]) == 14  # 27 listed: 12 waters and the Mg left out


def test_structure_features_covers_every_chain_and_site(shared_dir, load_structure):
    structure = _load(load_structure, shared_dir, "structures/ligand/1HET.pdb")
    features = json.loads(json.dumps(structure_features(structure, kinds=("ligand", "ion"))))
    assert features["name"] == "1HET"
    assert [c["chain"] for c in features["chains"]] == ["A", "B"]
    assert Counter(s["ligand"] for s in features["binding_sites"]) == {"ZN": 4, "NAD": 2}
    assert len(features["site_records"]) == 9
    for c in features["chains"]:
        chain = structure.chain(c["chain"])
        alone = chain_features(structure, chain, kinds=("ligand", "ion"))
        assert c == json.loads(json.dumps(alone))
        for site in c["binding_sites"]:
            assert all(r.startswith(chain.id + ":") for r in site["residues"])
        # residues 301-303 of both chains form a two-chain antiparallel ladder (mkdssp:
        # E, partners 303-301 of the other chain): seen only with both chains
        assert c["secondary_structure"] == secondary_structure(chain, structure)
        alone = secondary_structure(chain)
        differ = [
            str(chain.residue_ids[k])
            for k in range(len(chain))
            if alone[k] != c["secondary_structure"][k]
        ]
        assert differ == [f"{chain.id}:{n}" for n in (301, 302, 303)]
        assert {
            c["secondary_structure"][chain.index_of(ResidueId(chain.id, n))]
            for n in (301, 302, 303)
        } == {"E"}
    # chain B's NAD site as in the reference table
    row = next(r for r in SITES_4A if r["file"].endswith("1HET.pdb") and r[INSTANCE] == "B:NAD402")
    nad = next(s for s in features["binding_sites"] if s["instance"] == "B:402")
    assert set(nad["residues"]) == {str(_residue(t)[0]) for t in row[RESIDUES].split()}
