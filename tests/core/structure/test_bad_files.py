"""Files of the bad-input table that the reader's other tests do not cover: named for the
wrong format, mmCIF without coordinates, missing backbone atoms, negative numbers,
multi-letter chain ids, alternate locations, and a file of more than 100,000 atoms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import protattn
from protattn import ResidueId
from protattn.errors import StructureError


@pytest.fixture(scope="module")
def hpx(shared_dir) -> Path:
    return shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb"


@pytest.fixture(scope="module")
def jrh(shared_dir) -> Path:
    return shared_dir / "data" / "structures" / "antibody" / "1JRH.cif"


def _atoms(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("ATOM")]


def test_a_file_named_for_the_other_format_is_read_by_its_content(tmp_path, hpx, jrh):
    as_cif = tmp_path / "pdb_named.cif"
    as_cif.write_text(hpx.read_text())
    as_pdb = tmp_path / "cif_named.pdb"
    as_pdb.write_text(jrh.read_text())
    for wrong, right in ((as_cif, hpx), (as_pdb, jrh)):
        read, expected = protattn.read_structure(wrong), protattn.read_structure(right)
        assert [c.sequence for c in read.chains] == [c.sequence for c in expected.chains]
        assert any("as its content is, though named" in note for note in read.notes)
    assert not any("though named" in n for n in protattn.read_structure(hpx).notes)


def test_mmcif_without_atom_site_says_it_has_no_coordinates(tmp_path, jrh):
    header = jrh.read_text().split("loop_\n_atom_site.")[0]
    path = tmp_path / "header.cif"
    path.write_text(header)
    with pytest.raises(StructureError) as err:
        protattn.read_structure(path)
    assert "without an atom_site table" in str(err.value) and "_atom_site.id" not in str(err.value)


def test_residues_missing_backbone_atoms_keep_their_place(tmp_path, hpx):
    lines = [
        line
        for line in _atoms(hpx)
        if not (line[21] == "A" and 10 <= int(line[22:26]) <= 12 and line[12:16].strip() == "CA")
    ]
    path = tmp_path / "no_ca.pdb"
    path.write_text("\n".join(lines) + "\n")
    chain = protattn.read_structure(path).chain("A")
    for number in (10, 11, 12):
        k = chain.index_of(ResidueId("A", number))
        assert np.isnan(chain.backbone[k, 1]).all()  # no CA: NaN, never a made-up one
        assert "CA" not in chain.atoms[k]
    assert len(chain) == 99


def test_negative_numbers_and_insertion_codes_are_residue_ids(tmp_path, hpx):
    lines = []
    for line in _atoms(hpx):
        number = int(line[22:26])
        if line[21] == "A":
            number -= 50  # -49 .. 49
        icode = "A" if line[21] == "B" and number == 30 else " "
        lines.append(line[:22] + f"{number:4d}" + icode + line[27:])
    path = tmp_path / "numbers.pdb"
    path.write_text("\n".join(lines) + "\n")
    structure = protattn.read_structure(path)
    a, b = structure.chains
    assert a.residue_ids[0] == ResidueId("A", -49) and ResidueId("A", 0) in a.residue_ids
    assert ResidueId("B", 30, "A") in b.residue_ids and ResidueId("B", 30) not in b.residue_ids
    pairs = protattn.compute_pairs(structure.chains, "6-3")
    assert {str(p.residue_i) for p in pairs.pairs} & {str(r) for r in a.residue_ids if r}


def test_multi_letter_chain_ids_of_mmcif(tmp_path, jrh):
    text = jrh.read_text()
    renamed = []
    for line in text.splitlines():
        if line.startswith(("ATOM", "HETATM")):
            fields = line.split()
            # auth_asym_id is the 19th column of this file's atom_site loop
            fields[18] = {"L": "LIGHT", "H": "HEAVY"}.get(fields[18], fields[18])
            line = " ".join(fields)
        renamed.append(line)
    path = tmp_path / "long_ids.cif"
    path.write_text("\n".join(renamed) + "\n")
    structure = protattn.read_structure(path)
    assert {"LIGHT", "HEAVY"} <= {c.id for c in structure.chains}
    assert structure.chain("LIGHT").residue_ids[0].chain == "LIGHT"


def test_alternate_locations_keep_one_atom_each(tmp_path, hpx):
    lines = []
    for line in _atoms(hpx):
        if line[21] == "A" and int(line[22:26]) == 20:
            moved = line[:30] + f"{float(line[30:38]) + 1.5:8.3f}" + line[38:]
            lines += [line[:16] + "A" + line[17:], moved[:16] + "B" + moved[17:]]
        else:
            lines.append(line)
    path = tmp_path / "altloc.pdb"
    path.write_text("\n".join(lines) + "\n")
    plain = protattn.read_structure(hpx).chain("A")
    chain = protattn.read_structure(path).chain("A")
    k = chain.index_of(ResidueId("A", 20))
    assert chain.sequence == plain.sequence and len(chain) == len(plain)
    np.testing.assert_allclose(chain.atoms[k]["CA"], plain.atoms[k]["CA"], atol=1e-3)  # A kept


def test_a_file_of_more_than_100000_atoms(tmp_path, hpx):
    chain_a = [line for line in _atoms(hpx) if line[21] == "A"]
    ids = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    lines, serial = [], 1
    for new in ids:  # 62 chains, each chain A of 1HPX three times over, numbered on
        for block in range(3):
            for line in chain_a:
                number = int(line[22:26]) + 200 * block
                lines.append(
                    line[:6] + f"{serial % 100000:5d}" + line[11:21] + new + f"{number:4d}"
                    + line[26:]
                )  # fmt: skip
                serial += 1
    path = tmp_path / "big.pdb"
    path.write_text("\n".join(lines) + "\n")
    assert serial > 100_000
    structure = protattn.read_structure(path)
    plain = protattn.read_structure(hpx).chain("A")
    assert len(structure.chains) == 62
    assert all(c.sequence == plain.sequence * 3 for c in structure.chains)
    n_atoms = sum(len(a) for c in structure.chains for a in c.atoms if a)
    assert n_atoms == serial - 1
