"""Reading PDB / mmCIF files into chains, checked against the files themselves.

Expectations come from the hand-written parsers in ``tests/conftest.py`` (fixed PDB
columns, mmCIF loops) and from ``SOURCES.tsv``, never from Biopython or protattn.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from protattn import ChainError, ResidueId, StructureError, read_structure
from protattn.structure.model import ObservedResidue, chain_from_residues

#: One-letter codes written out independently of Biopython.
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
    # modified residues of these files, by their parent in the PDB chemical component dictionary
    "MSE": "M",  # selenomethionine (1XDN)
    "PCA": "Q",  # pyroglutamic acid, an unobserved N-terminus in 1IND
}
NUCLEOTIDES = {"A", "C", "G", "U", "T", "I", "DA", "DC", "DG", "DT", "DU", "DI"}
WATERS = {"HOH", "WAT", "DOD"}
HYDROGEN = {"H", "D"}


# --------------------------------------------------------------------------- helpers


def _polymer_residues(atoms, chain_id=None):
    """Protein residues of the file per chain, in file order: {chain: {(num, icode): atoms}}."""
    out: dict[str, dict[tuple[int, str], list]] = {}
    for a in atoms:
        if not a.polymer or a.resname in NUCLEOTIDES or a.resname in WATERS:
            continue
        if chain_id is not None and a.chain != chain_id:
            continue
        out.setdefault(a.chain, {}).setdefault((a.number, a.icode), []).append(a)
    return out


def _nucleic_chains(atoms) -> dict[str, int]:
    residues: dict[str, set] = {}
    for a in atoms:
        if a.polymer and a.resname in NUCLEOTIDES:
            residues.setdefault(a.chain, set()).add((a.number, a.icode))
    return {c: len(r) for c, r in residues.items()}


def _ligand_groups(atoms) -> dict[tuple[str, str, int, str], list]:
    """HETATM groups that are neither water nor polymer: {(name, chain, num, icode): atoms}."""
    out: dict[tuple[str, str, int, str], list] = {}
    for a in atoms:
        if a.record == "HETATM" and not a.polymer and a.resname not in WATERS:
            out.setdefault((a.resname, a.chain, a.number, a.icode), []).append(a)
    return out


def _heavy_names(residue_atoms) -> set[str]:
    return {a.name for a in residue_atoms if a.element not in HYDROGEN}


def _coords(residue_atoms, name) -> list[np.ndarray]:
    """Coordinates of atom ``name`` in every altloc."""
    return [np.array(a.xyz) for a in residue_atoms if a.name == name]


def _rid(chain, key) -> ResidueId:
    return ResidueId(chain, key[0], key[1])


def _seqres(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("SEQRES"):
            out.setdefault(line[11], []).extend(line[19:70].split())
    return out


def _remark465(path: Path) -> dict[str, list[tuple[str, int, str]]]:
    out: dict[str, list[tuple[str, int, str]]] = {}
    started = False
    for line in path.read_text(errors="replace").splitlines():
        if not line.startswith("REMARK 465"):
            continue
        if "SSSEQI" in line:
            started = True
            continue
        m = re.match(r"^REMARK 465 +(?:\d+ +)?(\S{1,3}) +(\S) +(-?\d+)([A-Z]?)\s*$", line)
        if started and m:
            out.setdefault(m.group(2), []).append((m.group(1), int(m.group(3)), m.group(4)))
    return out


def _entity_scheme(path: Path, cif_loop) -> dict[str, list[tuple[str, ResidueId | None]]]:
    out: dict[str, list[tuple[str, ResidueId | None]]] = {}
    seen = set()
    for row in cif_loop(path, "_pdbx_poly_seq_scheme"):
        strand = row["pdb_strand_id"]
        if (strand, row["seq_id"]) in seen:
            continue
        seen.add((strand, row["seq_id"]))
        rid = None
        if row["auth_seq_num"] not in ("?", "."):
            icode = row["pdb_ins_code"]
            rid = ResidueId(strand, int(row["pdb_seq_num"]), "" if icode in "?." else icode)
        out.setdefault(strand, []).append((row["mon_id"], rid))
    return out


def _expected_positions(path: Path, atoms, cif_loop):
    """{chain: (sequence names, residue ids by position)} from the file's own sequence records.

    mmCIF: ``_pdbx_poly_seq_scheme``. PDB: SEQRES with REMARK 465 (missing residues)
    merged into the observed residues by residue number; chains whose numbering is
    not increasing or that have insertion codes are placed only when nothing is missing.
    Chains that cannot be placed this way are left out.
    """
    if path.suffix.lower() in (".cif", ".mmcif"):
        return {
            c: ([n for n, _ in e], [r for _, r in e])
            for c, e in _entity_scheme(path, cif_loop).items()
        }
    seqres, missing = _seqres(path), _remark465(path)
    out = {}
    for chain, residues in _polymer_residues(atoms).items():
        if chain not in seqres:
            continue
        observed = [(key, res[0].resname) for key, res in residues.items()]
        gaps = [((num, icode), name) for name, num, icode in missing.get(chain, [])]
        keys = [k for k, _ in observed]
        increasing = all(a[0] < b[0] for a, b in zip(keys, keys[1:]))
        if increasing:
            merged = sorted([(k, n, True) for k, n in observed] + [(k, n, False) for k, n in gaps])
        elif not gaps:
            merged = [(k, n, True) for k, n in observed]
        else:
            continue
        if [n for _, n, _ in merged] != seqres[chain]:
            continue
        out[chain] = (seqres[chain], [_rid(chain, k) if seen else None for k, _, seen in merged])
    return out


def _sources(shared_dir: Path) -> dict[str, dict[str, str]]:
    with open(shared_dir / "data" / "SOURCES.tsv", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def _relative(path: Path) -> str:
    return f"structures/{path.parent.name}/{path.name}"


# ------------------------------------------------------------------- every structure


def test_chains_and_observed_counts_match_sources(
    structure_path, load_structure, shared_dir, read_atoms
):
    """Protein chains and their observed residues agree with SOURCES.tsv ``chains``.

    SOURCES counts observed polymer residues of every polymer chain, nucleic acids
    included (5E08: ``N=12 rna``). protattn reads protein chains only, so chains
    whose polymer residues are nucleotides (found in the file itself) are left out
    of the comparison and must instead be reported in the notes.
    """
    row = _sources(shared_dir)[_relative(structure_path)]
    listed = dict(t.split("=") for t in row["chains"].split() if "=" in t)
    atoms = read_atoms(structure_path)
    nucleic = _nucleic_chains(atoms)
    expected = {c: int(n) for c, n in listed.items() if c not in nucleic}
    assert expected, "SOURCES lists no protein chain"
    # the hand parse agrees with SOURCES, so both are trustworthy references
    by_hand = {c: len(r) for c, r in _polymer_residues(atoms).items()}
    assert by_hand == expected

    structure = load_structure(structure_path)
    assert {c.id: int(c.observed.sum()) for c in structure.chains} == expected
    assert len(structure.chain_ids) == len(set(structure.chain_ids))
    for chain_id in nucleic:
        assert chain_id not in structure.chain_ids
        assert any(f"chain {chain_id}" in n and "nucleic" in n for n in structure.notes)


def test_sequence_matches_observed_residues(structure_path, load_structure, read_atoms):
    structure = load_structure(structure_path)
    residues = _polymer_residues(read_atoms(structure_path))
    for chain in structure.chains:
        in_file = residues[chain.id]
        for pos, rid in enumerate(chain.residue_ids):
            if rid is None:
                continue
            assert rid.chain == chain.id
            names = {a.resname for a in in_file[(rid.number, rid.icode)]}
            assert chain.sequence[pos] in {LETTERS[n] for n in names}, (chain.id, pos, rid)


def test_residue_ids_unique_and_in_file_order(structure_path, load_structure, read_atoms):
    structure = load_structure(structure_path)
    residues = _polymer_residues(read_atoms(structure_path))
    for chain in structure.chains:
        ids = [r for r in chain.residue_ids if r is not None]
        assert len(ids) == len(set(ids))
        assert ids == [_rid(chain.id, key) for key in residues[chain.id]]


def test_sequence_and_positions_follow_the_files_sequence_records(
    structure_path, load_structure, read_atoms, cif_loop
):
    """The sequence is SEQRES / the entity sequence, with ``None`` where not observed."""
    structure = load_structure(structure_path)
    atoms = read_atoms(structure_path)
    expected = _expected_positions(structure_path, atoms, cif_loop)
    if not expected:  # headerless file (1A3A): the observed residues are the sequence
        assert not _seqres(structure_path)
        residues = _polymer_residues(atoms)
        for chain in structure.chains:
            assert chain.source == "observed"
            assert chain.sequence == "".join(
                LETTERS[r[0].resname] for r in residues[chain.id].values()
            )
            assert all(r is not None for r in chain.residue_ids)
        return
    checked = 0
    for chain in structure.chains:
        if chain.id not in expected:
            continue
        names, ids = expected[chain.id]
        assert chain.source == "seqres"
        assert chain.sequence == "".join(LETTERS.get(n, "X") for n in names)
        assert list(chain.residue_ids) == ids
        checked += 1
    assert checked == len(structure.chains) >= 1


def test_backbone_and_atoms_equal_the_files_coordinates(structure_path, load_structure, read_atoms):
    """N, CA, C (and CB where present) come from the file; atoms are its heavy atoms."""
    structure = load_structure(structure_path)
    residues = _polymer_residues(read_atoms(structure_path))
    for chain in structure.chains:
        assert chain.backbone.shape == (len(chain), 4, 3)
        for pos, rid in enumerate(chain.residue_ids):
            if rid is None:
                assert np.isnan(chain.backbone[pos]).all()
                assert chain.atoms[pos] is None
                continue
            in_file = residues[chain.id][(rid.number, rid.icode)]
            assert set(chain.atoms[pos]) == _heavy_names(in_file), rid
            for k, name in enumerate(("N", "CA", "C", "CB")):
                choices = _coords(in_file, name)
                if not choices:
                    continue
                got = chain.backbone[pos, k]
                assert any(np.allclose(got, c, atol=1e-3) for c in choices), (rid, name)
                assert any(np.allclose(chain.atoms[pos][name], c, atol=1e-3) for c in choices)


def test_ligands_match_the_files_hetero_groups(
    structure_path, load_structure, shared_dir, read_atoms
):
    """Ligands are the non-water, non-polymer HETATM groups, with heavy atoms only."""
    structure = load_structure(structure_path)
    groups = _ligand_groups(read_atoms(structure_path))
    assert not any(lig.name in WATERS for lig in structure.ligands)
    got = {(lig.name, lig.id.chain, lig.id.number, lig.id.icode): lig for lig in structure.ligands}
    assert set(got) == set(groups)
    for key, lig in got.items():
        heavy = groups[key]
        n_heavy = len({a.name for a in heavy if a.element not in HYDROGEN})
        assert lig.coords.shape == (n_heavy, 3), key
        for xyz in lig.coords:
            assert any(np.allclose(xyz, a.xyz, atol=1e-3) for a in heavy), key
    # and the ligand codes and counts agree with SOURCES.tsv ("NAGx6 FUCx2 MAN")
    codes = _sources(shared_dir)[_relative(structure_path)]["ligand_codes"]
    listed: Counter[str] = Counter()
    for token in codes.split():
        if token != "none":
            name, _, times = token.partition("x")
            if times and not times.isdigit():  # a code that contains an x
                name, times = token, ""
            listed[name] += int(times or 1)
    assert Counter(lig.name for lig in structure.ligands) == listed


# ------------------------------------------------------------------- particular files


def _file(shared_dir: Path, name: str) -> Path:
    found = sorted((shared_dir / "data" / "structures").glob(f"*/{name}"))
    assert found, f"{name} is missing from the shared data"
    return found[0]


def test_virtual_cb_of_glycine_has_ideal_geometry(shared_dir, load_structure, read_atoms):
    """Gly's virtual CB sits where a real CB would: 1.52 A from CA, tetrahedral, L-handed."""
    path = _file(shared_dir, "1HET.pdb")
    chain = load_structure(path).chain("A")
    n, ca, c, cb = (chain.backbone[:, k] for k in range(4))
    observed = chain.observed
    gly = observed & np.array([aa == "G" for aa in chain.sequence])
    real = observed & np.array([a is not None and "CB" in a for a in chain.atoms])
    assert gly.sum() > 10 and real.sum() > 100
    assert not any("CB" in chain.atoms[k] for k in np.flatnonzero(gly))

    def unit(v):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def angle(a, b):
        return np.degrees(np.arccos(np.sum(unit(a) * unit(b), axis=-1)))

    u, v = unit(n - ca), unit(c - ca)
    handed = np.sign(np.sum(np.cross(u, v) * (cb - ca), axis=-1))
    # real L-amino-acid CBs fix the hand that a virtual CB must have
    assert (handed[real] == handed[real][0]).mean() > 0.97
    hand = handed[real][0]

    # the linear (trRosetta / ESM) construction follows the backbone's own geometry, so
    # single residues scatter around the ideal values; their centre must be ideal
    bond = np.linalg.norm(cb[gly] - ca[gly], axis=-1)
    assert abs(np.median(bond) - 1.52) < 0.05 and ((bond > 1.35) & (bond < 1.7)).all()
    for other in (n, c):
        theta = angle(other - ca, cb - ca)[gly]
        assert abs(np.median(theta) - 109.5) < 2.5 and (np.abs(theta - 109.5) < 8).all()
    assert (handed[gly] == hand).all()

    # independent construction: tetrahedral CB from the N-CA-C bisector and normal
    tilt = np.radians(109.47 / 2)
    ideal = ca + 1.522 * (np.cos(tilt) * -unit(u + v) + np.sin(tilt) * hand * unit(np.cross(u, v)))
    off = np.linalg.norm(ideal[gly] - cb[gly], axis=-1)
    assert np.median(off) < 0.15 and off.max() < 0.35
    # the same construction recovers the real CBs, so it is a fair reference
    assert np.median(np.linalg.norm(ideal[real] - cb[real], axis=-1)) < 0.2


def test_mse_is_methionine_in_the_polymer_not_a_ligand(shared_dir, load_structure):
    path = _file(shared_dir, "1XDN.pdb")
    modres = [
        (line[16], int(line[18:22]))
        for line in path.read_text().splitlines()
        if line.startswith("MODRES") and line[12:15] == "MSE"
    ]
    assert len(modres) == 3
    structure = load_structure(path)
    chain = structure.chain("A")
    for chain_id, number in modres:
        pos = chain.index_of(ResidueId(chain_id, number))
        assert chain.sequence[pos] == "M"
        assert "SE" in chain.atoms[pos]
    assert "MSE" not in {lig.name for lig in structure.ligands}


def test_first_unobserved_residues_of_1xdn_are_placed_on_the_seqres(shared_dir, load_structure):
    path = _file(shared_dir, "1XDN.pdb")
    missing = _remark465(path)["A"]
    seqres = _seqres(path)["A"]
    head = [m for m in missing if m[1] < 100]
    assert [m[0] for m in head] == seqres[:4]  # GLY HIS MET ASP, residues 48-51
    chain = load_structure(path).chain("A")
    assert chain.residue_ids[:4] == (None,) * 4
    assert chain.residue_ids[4] == ResidueId("A", head[-1][1] + 1)
    assert chain.sequence[:4] == "".join(LETTERS[n] for n in seqres[:4])
    assert np.isnan(chain.backbone[:4]).all() and not np.isnan(chain.backbone[4]).any()
    assert chain.atoms[:4] == (None,) * 4
    assert len(chain) == len(seqres) == int(chain.observed.sum()) + len(missing)


@pytest.mark.parametrize("name", ["1IGY.pdb", "1BJU.pdb", "1NCB.cif", "2IGF.cif"])
def test_insertion_codes_are_kept_and_distinct(shared_dir, load_structure, read_atoms, name):
    path = _file(shared_dir, name)
    inserted = {
        (a.chain, a.number, a.icode)
        for a in read_atoms(path)
        if a.polymer and a.icode and a.resname not in WATERS
    }
    assert inserted, f"{name} has no insertion codes"
    structure = load_structure(path)
    for chain_id, number, icode in inserted:
        chain = structure.chain(chain_id)
        with_code = ResidueId(chain_id, number, icode)
        assert with_code in chain.residue_ids
        # 82, 82A, 82B ... are different residues at different positions
        siblings = [r for r in chain.residue_ids if r is not None and r.number == number]
        assert len(siblings) == len(set(siblings)) >= 2
        assert str(with_code) == f"{chain_id}:{number}{icode}"


@pytest.mark.parametrize("name", ["1IGY.pdb", "1HPX.pdb", "4GQL.pdb"])
def test_hydrogens_are_ignored(shared_dir, load_structure, read_atoms, name):
    path = _file(shared_dir, name)
    atoms = read_atoms(path)
    hydrogens = [a for a in atoms if a.element in HYDROGEN]
    assert hydrogens, f"{name} should carry deposited hydrogens"
    structure = load_structure(path)
    h_names = {(a.chain, a.number, a.icode, a.name) for a in hydrogens}
    for chain in structure.chains:
        for rid, residue in zip(chain.residue_ids, chain.atoms):
            if rid is None:
                continue
            assert not {(rid.chain, rid.number, rid.icode, n) for n in residue} & h_names
    heavy = [a for a in atoms if a.element not in HYDROGEN]
    for lig in structure.ligands:  # 1HPX: the inhibitor's deposited hydrogens
        mine = {
            a.name
            for a in heavy
            if (a.resname, a.chain, a.number, a.icode)
            == (lig.name, lig.id.chain, lig.id.number, lig.id.icode)
        }
        assert len(lig.coords) == len(mine)


def test_scfv_is_one_chain_with_both_domains(shared_dir, load_structure, cif_loop):
    path = _file(shared_dir, "2ZNW.cif")
    structure = load_structure(path)
    assert structure.chain_ids == ["A", "Y", "B", "Z"]
    chain = structure.chain("A")
    entity = [n for n, _ in _entity_scheme(path, cif_loop)["A"]]
    assert 230 <= len(chain) == len(entity)
    # VL (framework 4 "FGGGTK"), a (GGGGS)n linker, then VH (framework 4 "WGQG")
    seq = chain.sequence
    vl, linker, vh = seq.find("FGGGTK"), seq.find("GGGGSGGGGS"), seq.rfind("WGQG")
    assert 90 < vl < linker < vh, seq
    assert vh - vl > 100  # two domains, not one
    observed = chain.observed
    assert observed[:vl].sum() > 80 and observed[linker + 15 :].sum() > 80


def test_ligand_found_and_waters_excluded_1hpx(shared_dir, load_structure, read_atoms):
    path = _file(shared_dir, "1HPX.pdb")
    atoms = read_atoms(path)
    assert any(a.resname == "HOH" for a in atoms)
    structure = load_structure(path)
    kni = [lig for lig in structure.ligands if lig.name == "KNI"]
    assert len(kni) == 1
    heavy = {a.name for a in atoms if a.resname == "KNI" and a.element not in HYDROGEN}
    assert len(kni[0].coords) == len(heavy) > 30
    for chain in structure.chains:
        assert "X" not in chain.sequence  # no water or ligand was taken for a residue


def test_nucleic_acid_chain_is_skipped_with_a_note(shared_dir, load_structure):
    structure = load_structure(_file(shared_dir, "5E08.cif"))
    assert "N" not in structure.chain_ids
    assert set(structure.chain_ids) == {"H", "L"}
    note = [n for n in structure.notes if n.startswith("chain N")]
    assert note and "nucleic" in note[0] and "12" in note[0]
    with pytest.raises(ChainError):
        structure.chain("N")


def test_unknown_chain_names_the_available_chains(shared_dir, load_structure):
    structure = load_structure(_file(shared_dir, "1HPX.pdb"))
    with pytest.raises(ChainError) as err:
        structure.chain("Q")
    message = str(err.value)
    assert "'Q'" in message and "A" in message and "B" in message
    assert re.search(r"\bA\b.*\bB\b", message)


# ------------------------------------------------------------------- bad input


def test_missing_file(tmp_path):
    missing = tmp_path / "nothing_here.pdb"
    with pytest.raises(StructureError) as err:
        read_structure(missing)
    assert str(missing) in str(err.value)


@pytest.mark.parametrize("suffix", [".pdb", ".cif"])
def test_garbage_file(tmp_path, suffix):
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(b"this is not a structure\n\x00\x01\x02 just bytes\n" * 5)
    with pytest.raises(StructureError) as err:
        read_structure(path)
    message = str(err.value)
    assert path.name in message
    assert "PDB" in message or "mmCIF" in message


def test_file_with_only_water_and_hetero_groups(tmp_path):
    lines = [
        "HETATM    1  O   HOH A 201      10.000  10.000  10.000  1.00 20.00           O",
        "HETATM    2  O   HOH A 202      12.000  10.000  10.000  1.00 20.00           O",
        "HETATM    3  S   SO4 A 301       5.000   5.000   5.000  1.00 20.00           S",
        "HETATM    4  O1  SO4 A 301       5.000   5.000   6.450  1.00 20.00           O",
        "END",
    ]
    path = tmp_path / "water.pdb"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureError) as err:
        read_structure(path)
    message = str(err.value)
    assert "no protein chain" in message and "water.pdb" in message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdb"
    path.write_text("")
    with pytest.raises(StructureError):
        read_structure(path)


# ------------------------------------------------------------------- chain_from_residues


def _residue(chain, number, name, x):
    atoms = {
        "N": np.array([x, 0.0, 0.0]),
        "CA": np.array([x + 1.46, 0.0, 0.0]),
        "C": np.array([x + 2.0, 1.4, 0.0]),
    }
    return ObservedResidue(ResidueId(chain, number), name, atoms)


def test_chain_from_residues_places_a_gap_on_the_full_sequence():
    observed = [_residue("A", k + 1, n, 4.0 * k) for k, n in enumerate(["MET", "LYS", "ALA"])]
    observed += [_residue("A", 10, "TRP", 40.0), _residue("A", 11, "GLY", 44.0)]
    chain = chain_from_residues("A", observed, sequence="MKAEEEEEEWG")
    assert chain.source == "seqres"
    assert [r.number if r else None for r in chain.residue_ids] == (
        [1, 2, 3] + [None] * 6 + [10, 11]
    )
    assert np.isnan(chain.backbone[3:9]).all()
    np.testing.assert_allclose(chain.backbone[9, 1], [41.46, 0.0, 0.0])


def test_chain_from_residues_without_sequence_uses_observed():
    observed = [_residue("B", k, n, 4.0 * k) for k, n in enumerate(["GLY", "MSE", "XYZ"])]
    chain = chain_from_residues("B", observed)
    assert chain.sequence == "GMX" and chain.source == "observed"
    assert chain.observed.all()


def _pdb_line(serial, name, resname, number, xyz, element, record="ATOM"):
    x, y, z = xyz
    return (
        f"{record:<6}{serial:>5} {name:<4} {resname:>3} A{number:>4}    "
        f"{x:>8.3f}{y:>8.3f}{z:>8.3f}  1.00 20.00          {element:>2}"
    )


def test_mercury_is_a_heavy_atom_and_hydrogens_go_by_element(tmp_path):
    """An atom named HG is mercury when its element says so; H, HA, HB1 are hydrogens."""
    lines, serial = [], 1
    for k in range(3):
        x = 3.8 * k
        for name, dx, dy, element in [
            ("N", 0.0, 0.0, "N"),
            ("CA", 1.46, 0.0, "C"),
            ("C", 2.0, 1.4, "C"),
            ("O", 1.5, 2.5, "O"),
            ("CB", 1.9, -0.8, "C"),
            ("H", -0.5, -0.8, "H"),
            ("HA", 1.8, 0.3, "H"),
            ("HB1", 2.9, -0.8, "H"),
        ]:
            lines.append(_pdb_line(serial, name, "ALA", k + 1, (x + dx, dy, 0.0), element))
            serial += 1
    lines.append(_pdb_line(serial, "HG", "HG", 101, (20.0, 0.0, 0.0), "HG", "HETATM"))
    lines.append(_pdb_line(serial + 1, "O", "HOH", 201, (25.0, 0.0, 0.0), "O", "HETATM"))
    path = tmp_path / "mercury.pdb"
    path.write_text("\n".join(lines + ["END"]) + "\n")

    structure = read_structure(path)
    chain = structure.chain("A")
    assert chain.sequence == "AAA" and chain.source == "observed"
    for residue in chain.atoms:
        assert set(residue) == {"N", "CA", "C", "O", "CB"}
    assert [(lig.name, lig.coords.shape) for lig in structure.ligands] == [("HG", (1, 3))]
    np.testing.assert_allclose(structure.ligands[0].coords[0], [20.0, 0.0, 0.0])
