"""Bad and unusual structure files, loaded into PyMOL as a user loads them (``load``).

In PyMOL the host reads the file, and protattn reads the object PyMOL made of it.
Each case ends in the right result (pairs on the right atoms, values on the right
residues) or in one ``CmdException`` naming the object, what is wrong and the fix; in
both, what else is in the session (objects, colours, b-factors) stays as it was.
The command line's and the core's readers are tested on the same files in
``tests/test_cli.py`` and ``tests/core/structure/test_bad_files.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pymol import CmdException
from readback import cgo_cylinders

import protattn
from protattn import ResidueId
from protattn_pymol import (
    attention_color,
    attention_contacts,
    attention_heads,
    attention_pairs,
    attention_stats,
    draw,
)
from protattn_pymol.adapter import chains_by_object, structures_by_object

HEAD = "6-3"


# ------------------------------------------------------------------------------ helpers


def _atoms(path: str | Path) -> list[str]:
    """The ATOM records of a PDB file."""
    return [line for line in Path(path).read_text().splitlines() if line.startswith("ATOM")]


def _write(path: Path, lines: list[str]) -> str:
    """``lines`` written to ``path`` as a PDB file (with END); its path as text."""
    path.write_text("\n".join(lines) + "\nEND\n")
    return str(path)


def _moved(line: str, dx: float = 0.0, dy: float = 0.0, dz: float = 0.0) -> str:
    """A PDB atom record moved by (dx, dy, dz)."""
    x, y, z = (float(line[k : k + 8]) for k in (30, 38, 46))
    return f"{line[:30]}{x + dx:8.3f}{y + dy:8.3f}{z + dz:8.3f}{line[54:]}"


def _b_and_colours(pm, selection: str) -> list[tuple]:
    """Each atom of ``selection`` with its b-factor and colour."""
    found: list = []
    pm.iterate(
        selection,
        "found.append((model, segi, chain, resi, name, alt, round(b, 4), color))",
        space={"found": found},
    )
    return found


def _session(pm, *objects: str) -> tuple:
    """What a refused command must not change: the objects, and each atom's b and colour."""
    names = tuple(pm.get_names("all"))
    return names, {obj: _b_and_colours(pm, obj) for obj in objects if obj in names}


def _others(pm, obj: str) -> tuple:
    """What drawing on ``obj`` must leave as it was: the other objects (all but ``obj``'s
    group of drawings), and 1hpv's b-factors and colours."""
    names = tuple(n for n in pm.get_names("all") if not n.startswith(f"attention_{obj}"))
    return names, _b_and_colours(pm, "1hpv")


def _drawn(pm) -> list[str]:
    return sorted(n for n in pm.get_names("all") if n.startswith("attention_"))


def _key(pairs: Iterable[protattn.Pair]) -> list[tuple]:
    """What two runs finding the same pairs agree on: residues, weight, contact."""
    return [(p.residue_i, p.residue_j, round(p.weight, 5), p.contact) for p in pairs]


def _ca(pm, obj: str, state: int = 1) -> dict[tuple[str, str], np.ndarray]:
    """CA coordinates of ``obj`` by (chain, resi as PyMOL writes it: "52A", "-3")."""
    found: dict = {}
    pm.iterate_state(
        state, f"{obj} and name CA", "found[(chain, resi)] = (x, y, z)", space={"found": found}
    )
    return {key: np.array(xyz) for key, xyz in found.items()}


def _resi(residue: ResidueId) -> str:
    return f"{residue.number}{residue.icode}"


def _assert_on_ca(pm, obj: str, pairs: Sequence[protattn.Pair], state: int = 1) -> None:
    """Each cylinder drawn for ``obj`` runs between the CA atoms of its pair's residues."""
    ca = _ca(pm, obj, state)
    cylinders = cgo_cylinders(pm, draw.pairs_name(obj))
    assert len(cylinders) == len(pairs) > 0
    for pair, cylinder in zip(pairs, cylinders, strict=True):
        a = ca[(pair.residue_i.chain, _resi(pair.residue_i))]
        b = ca[(pair.residue_j.chain, _resi(pair.residue_j))]
        np.testing.assert_allclose(cylinder[:3], a, atol=1e-3)
        np.testing.assert_allclose(cylinder[3:6], b, atol=1e-3)


def _b_by_residue(pm, obj: str, atom: str = "CA") -> dict[tuple[str, str], float]:
    """The b-factor of each residue's ``atom``, by (chain, resi)."""
    found: dict = {}
    pm.iterate(f"{obj} and name {atom}", "found[(chain, resi)] = b", space={"found": found})
    return found


def _refused(pm, obj: str, says: tuple[str, ...], tmp_path: Path) -> list[str]:
    """Run the four commands on ``obj``: each raises one CmdException saying one of
    ``says``, with nothing in the session changed and no heatmap written."""
    png = tmp_path / "refused.png"
    commands = {
        "attention_pairs": lambda: attention_pairs(obj, HEAD, _self=pm),
        "attention_color": lambda: attention_color(obj, HEAD, _self=pm),
        "attention_heads": lambda: attention_heads(obj, "contact", _self=pm),
        "attention_stats": lambda: attention_stats(obj, "contact", png=str(png), _self=pm),
    }
    before = _session(pm, "1hpv", obj)
    messages = []
    for name, command in commands.items():
        with pytest.raises(CmdException) as caught:
            command()
        message = str(caught.value).strip()
        assert "\n" not in message, (name, message)
        assert f"'{obj}'" in message and any(s in message for s in says), (name, message)
        assert _session(pm, "1hpv", obj) == before, name
        messages.append(message)
    assert not png.exists() and _drawn(pm) == []
    return messages


# ---------------------------------------------------------------- files PyMOL cannot read


@pytest.fixture(scope="module")
def jrh(shared_dir) -> Path:
    return shared_dir / "data" / "structures" / "antibody" / "1JRH.cif"


EMPTY = "matches no atoms: object bad holds none, as PyMOL read no atom from its file"
NO_OBJECT = "no object or selection is named 'bad': load the file first (load FILE, bad)"
GARBLED = "names no structure file writes, as when a file is read in another format"


@pytest.mark.parametrize(
    ("name", "loaded", "says"),
    [
        # what PyMOL's own load makes of the file: an object without atoms, or none
        ("empty.pdb", "empty", (EMPTY,)),
        ("empty.cif", "none", (NO_OBJECT,)),
        ("binary.pdb", "empty", (EMPTY,)),
        ("header_only.pdb", "empty", (EMPTY,)),
        ("no_atom_site.cif", "none", (NO_OBJECT,)),
        ("pdb_text.cif", "none", (NO_OBJECT,)),
        # PyMOL reads mmCIF named .pdb as PDB columns: no object, or one of garbled
        # residues, from one run to the next
        ("mmcif_text.pdb", "either", (NO_OBJECT, GARBLED)),
    ],
)
def test_a_file_pymol_cannot_read_is_named_with_the_fix(
    pm, hpv_path, jrh, tmp_path, capsys, name, loaded, says
):
    pdb, cif = Path(hpv_path).read_text(), jrh.read_text()
    content = {
        "empty.pdb": b"",
        "empty.cif": b"",
        "binary.pdb": bytes(range(256)) * 4,
        "header_only.pdb": pdb[:300].encode(),
        "no_atom_site.cif": cif.split("loop_\n_atom_site.")[0].encode(),
        "pdb_text.cif": pdb.encode(),
        "mmcif_text.pdb": cif.encode(),
    }[name]
    path = tmp_path / name
    path.write_bytes(content)
    try:
        pm.load(str(path), "bad")
    except CmdException as e:  # PyMOL's own refusal (pdb_text.cif: "Parsing CIF file failed")
        assert loaded in ("none", "either"), e
    if loaded == "empty":
        assert "bad" in pm.get_names("objects") and pm.count_atoms("bad") == 0
    elif loaded == "none":
        assert "bad" not in pm.get_names("all")

    messages = _refused(pm, "bad", says, tmp_path)

    if GARBLED not in messages[0]:  # what is there instead
        assert all("(objects " in m and "1hpv)" in m for m in messages)
    capsys.readouterr()
    pm.do("attention_pairs bad, 6-3")  # at the prompt: one line, no traceback
    out = capsys.readouterr().out
    assert "Traceback" not in out and len([x for x in out.splitlines() if "Error" in x]) == 1


def test_a_file_cut_off_midway_is_read_as_far_as_it_goes(pm, hpv_path, tmp_path):
    # cut after a whole atom line: PyMOL 3.2's own reader crashes (a segmentation fault in
    # read_pdbstr, now and then) on a file whose last line stops within the coordinates
    text = "\n".join(_atoms(hpv_path))
    path = tmp_path / "cut.pdb"
    path.write_text(text[: text.index("\n", text.index(" CB  ARG A  57"))])  # no END
    pm.load(str(path), "cut")
    (chain,) = chains_by_object("cut", _self=pm)["cut"]
    expected = protattn.read_structure(path).chains
    assert [c.sequence for c in expected] == [chain.sequence] and len(chain) == 57

    before = _others(pm, "cut")
    pairs = attention_pairs("cut", HEAD, _self=pm)

    assert _key(pairs) == _key(protattn.compute_pairs(expected, HEAD).pairs)
    _assert_on_ca(pm, "cut", pairs)
    assert _others(pm, "cut") == before


# -------------------------------------------------------------- files without a protein


def test_waters_and_ligands_only_are_named(pm, hpv_path, tmp_path):
    hetero = [line for line in Path(hpv_path).read_text().splitlines() if line[:6] == "HETATM"]
    pm.load(_write(tmp_path / "hetero.pdb", hetero), "hetero")
    (message, *_) = _refused(pm, "hetero", ("contains no protein residues",), tmp_path)
    assert "its residues: HOH x80, 478 x1" in message and "'polymer.protein'" in message

    waters = [line for line in hetero if line[17:20] == "HOH"]
    pm.load(_write(tmp_path / "waters.pdb", waters), "waters")
    (message, *_) = _refused(pm, "waters", ("contains no protein residues",), tmp_path)
    assert "HOH x80: water and ions only" in message


def test_a_protein_written_as_hetatm_records_is_read(pm, hpv_path, tmp_path):
    lines = ["HETATM" + line[6:] for line in _atoms(hpv_path)]
    pm.load(_write(tmp_path / "hetatm.pdb", lines), "hetprot")
    before = _others(pm, "hetprot")
    pairs = attention_pairs("hetprot", HEAD, _self=pm)
    expected = protattn.compute_pairs(protattn.read_structure(hpv_path).chains, HEAD).pairs
    assert _key(pairs) == _key(expected)
    _assert_on_ca(pm, "hetprot", pairs)
    assert _others(pm, "hetprot") == before


@pytest.fixture
def dna_file(pm, tmp_path) -> str:
    """A double-stranded B-DNA of 10 base pairs, built and saved by PyMOL, as a PDB file."""
    pm.fnab("ACGTACGTAC", name="built", mode="DNA", form="B", dbl_helix=1)
    path = str(tmp_path / "dna.pdb")
    pm.save(path, "built")
    pm.delete("built")
    return path


def test_nucleic_acid_only_is_named(pm, dna_file, tmp_path):
    pm.load(dna_file, "dna")
    (message, *_) = _refused(pm, "dna", ("contains no protein residues",), tmp_path)
    assert "DA x5, DC x5, DG x5, DT x5: nucleic acid (DNA, RNA)" in message


# ------------------------------------------------------------------- unusual residues


def test_residues_missing_their_ca_keep_their_place(pm, hpv_path, tmp_path, capsys):
    missing = {10, 11, 12}
    lines = [
        line
        for line in _atoms(hpv_path)
        if not (line[21] == "A" and int(line[22:26]) in missing and line[12:16] == " CA ")
    ]
    pm.load(_write(tmp_path / "no_ca.pdb", lines), "noca")
    chain = chains_by_object("noca", _self=pm)["noca"][0]
    assert len(chain) == 99  # in the sequence, at their place, with a NaN CA (never made up)
    for number in missing:
        k = chain.index_of(ResidueId("A", number))
        assert np.isnan(chain.backbone[k, 1]).all() and "N" in chain.atoms[k]

    pairs = attention_pairs("noca", HEAD, _self=pm)

    full = protattn.compute_pairs(protattn.read_structure(hpv_path).chains, HEAD).pairs
    gone = {ResidueId("A", n) for n in missing}
    assert _key(pairs) == _key(p for p in full if not {p.residue_i, p.residue_j} & gone)
    _assert_on_ca(pm, "noca", pairs)

    before = _session(pm, "1hpv")
    attention_color("noca", HEAD, _self=pm)
    assert "coloured on 198 of 198 residues" in capsys.readouterr().out
    scores = protattn.compute_scores(protattn.read_structure(hpv_path).chains, HEAD).scores
    for atom in ("N", "CA"):  # a residue without CA is coloured through its other atoms
        b = _b_by_residue(pm, "noca", atom)
        for k in range(99):
            for c in "AB":
                if atom == "CA" and c == "A" and k + 1 in missing:
                    assert (c, str(k + 1)) not in b
                    continue
                assert b[(c, str(k + 1))] == pytest.approx(scores[c][k], abs=1e-4)
    assert draw.scenes("noca", _self=pm)  # the colouring is still the one its key shows
    assert _session(pm, "1hpv") == before  # the other object is as it was


def test_a_chain_with_no_ca_at_all_says_so(pm, hpv_path, tmp_path):
    lines = [line for line in _atoms(hpv_path) if line[12:16] != " CA "]
    pm.load(_write(tmp_path / "no_ca_at_all.pdb", lines), "noca")
    (message, *_) = _refused(pm, "noca", ("protein atoms but no CA atom",), tmp_path)
    assert "places each residue by its CA" in message


def test_modified_and_unknown_residues_keep_their_place(pm, hpv_path, tmp_path, capsys):
    lines = []
    for line in _atoms(hpv_path):
        number = int(line[22:26]) if line[21] == "A" else 0
        if number == 36:  # selenomethionine, as deposited: HETATM MSE with SE
            line = "HETATM" + line[6:17] + "MSE" + line[20:]
            if line[12:16] == " SD ":
                line = line[:12] + "SE  " + line[16:76] + "SE"
        elif number in (20, 21):
            line = line[:17] + "UNK" + line[20:]
        elif number == 40:  # a residue PyMOL and the model know nothing of
            line = "HETATM" + line[6:17] + "XYZ" + line[20:]
        lines.append(line)
    pm.load(_write(tmp_path / "modified.pdb", lines), "modified")
    plain = protattn.read_structure(hpv_path).chains
    letters = list(plain[0].sequence)
    letters[19] = letters[20] = letters[39] = "X"  # MSE reads as M: no change at 36
    mutated = [replace(plain[0], sequence="".join(letters)), plain[1]]
    chains = chains_by_object("modified", _self=pm)["modified"]
    assert [c.sequence for c in chains] == [c.sequence for c in mutated]
    assert chains[0].residue_ids == plain[0].residue_ids

    before = _others(pm, "modified")
    pairs = attention_pairs("modified", HEAD, _self=pm)

    assert _key(pairs) == _key(protattn.compute_pairs(mutated, HEAD).pairs)
    _assert_on_ca(pm, "modified", pairs)
    attention_color("modified", HEAD, _self=pm)
    assert "coloured on 198 of 198 residues" in capsys.readouterr().out
    scores = protattn.compute_scores(mutated, HEAD).scores["A"]
    b = _b_by_residue(pm, "modified")
    for number in (20, 21, 36, 40):
        assert b[("A", str(number))] == pytest.approx(scores[number - 1], abs=1e-4)
    assert _others(pm, "modified") == before


def test_alternate_locations_use_the_most_occupied_one(pm, hpv_path, tmp_path):
    lines, where = [], {}
    for line in _atoms(hpv_path):
        number = int(line[22:26]) if line[21] == "A" else 0
        if number == 20:  # A (0.60) and B (0.40), B moved 1.5 A
            first, second = line, _moved(line, dx=1.5)
            lines += [first[:16] + "A" + first[17:54] + "  0.60" + first[60:]]
            lines += [second[:16] + "B" + second[17:54] + "  0.40" + second[60:]]
        elif number == 30:  # B (0.30) and C (0.70) only: no A to fall back on
            first, second = line, _moved(line, dy=1.5)
            lines += [first[:16] + "B" + first[17:54] + "  0.30" + first[60:]]
            lines += [second[:16] + "C" + second[17:54] + "  0.70" + second[60:]]
        else:
            lines.append(line)
            continue
        if line[12:16] == " CA ":
            chosen = first if number == 20 else second
            where[number] = np.array([float(chosen[k : k + 8]) for k in (30, 38, 46)])
    path = _write(tmp_path / "altloc.pdb", lines)
    pm.load(path, "alts")
    chain = chains_by_object("alts", _self=pm)["alts"][0]
    plain = protattn.read_structure(hpv_path).chain("A")
    assert chain.sequence == plain.sequence  # residue 30 is there, once
    for number, ca in where.items():
        np.testing.assert_allclose(chain.backbone[number - 1, 1], ca, atol=1e-3)

    before = _others(pm, "alts")
    pairs = attention_pairs("alts and chain A", HEAD, threshold=0.05, _self=pm)

    # the same pairs, contacts included, as the core's reader of the file
    expected = protattn.compute_pairs(protattn.read_structure(path).chains, HEAD, threshold=0.05)
    assert _key(pairs) == _key(p for p in expected.pairs if p.chain == "A")
    ends = {
        (p.residue_i.number, p.residue_j.number): cylinder[:6]
        for p, cylinder in zip(pairs, cgo_cylinders(pm, draw.pairs_name("alts")), strict=True)
    }
    for (i, j), ends_at in ends.items():
        for number, at in ((i, ends_at[:3]), (j, ends_at[3:])):
            if number in where:
                np.testing.assert_allclose(at, where[number], atol=1e-3)
    assert any(set(pair) & set(where) for pair in ends)
    assert _others(pm, "alts") == before


def test_a_ligand_in_alternate_locations_b_and_c_is_kept(pm, hpv_path, tmp_path):
    lines = []
    for line in Path(hpv_path).read_text().splitlines():
        if line.startswith("HETATM") and line[17:20] == "478":
            moved = _moved(line, dz=2.0)
            lines += [line[:16] + "B" + line[17:54] + "  0.50" + line[60:]]
            lines += [moved[:16] + "C" + moved[17:54] + "  0.50" + moved[60:]]
        elif line.startswith(("ATOM", "HETATM")):
            lines.append(line)
    pm.load(_write(tmp_path / "ligand_alt.pdb", lines), "ligalt")
    (ligand,) = [g for g in structures_by_object("ligalt", _self=pm)["ligalt"].ligands]
    (plain,) = structures_by_object("1hpv", _self=pm)["1hpv"].ligands
    assert ligand.name == "478" and ligand.coords.shape == plain.coords.shape
    np.testing.assert_allclose(np.sort(ligand.coords, axis=0), np.sort(plain.coords, axis=0))


def test_a_file_of_several_models_uses_the_state_chosen(pm, hpv_path, tmp_path, capsys):
    atoms = _atoms(hpv_path)
    moved = [_moved(line, dx=50.0) for line in atoms]
    lines = ["MODEL        1", *atoms, "ENDMDL", "MODEL        2", *moved, "ENDMDL"]
    pm.load(_write(tmp_path / "nmr.pdb", lines), "nmr")
    assert pm.count_states("nmr") == 2

    before = _others(pm, "nmr")
    first = attention_pairs("nmr", HEAD, top_k=2, _self=pm)
    assert "nmr has 2 states: state 1 (the current one) is used" in capsys.readouterr().out
    _assert_on_ca(pm, "nmr", first, state=1)
    second = attention_pairs("nmr", HEAD, top_k=2, state=2, _self=pm)
    assert "nmr has 2 states: state 2 (state=2) is used" in capsys.readouterr().out
    _assert_on_ca(pm, "nmr", second, state=2)
    assert _key(first) == _key(second)  # the same sequence; contacts kept in the move
    assert _others(pm, "nmr") == before


def test_negative_numbers_and_insertion_codes_are_the_residues(pm, hpv_path, tmp_path, capsys):
    lines = []
    for line in _atoms(hpv_path):
        number, code = int(line[22:26]), " "
        if line[21] == "A":
            number -= 4  # -3 .. 95
        elif number in (53, 54):  # 52, 52A, 52B
            number, code = 52, "AB"[number - 53]
        lines.append(line[:22] + f"{number:4d}" + code + line[27:])
    path = _write(tmp_path / "numbers.pdb", lines)
    pm.load(path, "numbers")
    chains = protattn.read_structure(path).chains

    before = _others(pm, "numbers")
    pairs = attention_pairs("numbers", HEAD, threshold=0.05, _self=pm)

    assert _key(pairs) == _key(protattn.compute_pairs(chains, HEAD, threshold=0.05).pairs)
    on = {r for p in pairs for r in (p.residue_i, p.residue_j)}
    assert {ResidueId("A", -3), ResidueId("A", 0), ResidueId("B", 52, "A")} <= on
    _assert_on_ca(pm, "numbers", pairs)

    attention_color("numbers", HEAD, _self=pm)
    assert "coloured on 198 of 198 residues" in capsys.readouterr().out
    scores = protattn.compute_scores(chains, HEAD).scores
    b = _b_by_residue(pm, "numbers")
    for chain in chains:
        for k, residue in enumerate(chain.residue_ids):
            assert b[(chain.id, _resi(residue))] == pytest.approx(scores[chain.id][k], abs=1e-4)
    assert {("A", "-3"), ("B", "52A"), ("B", "52B")} <= set(b)
    assert _others(pm, "numbers") == before


def test_multi_letter_chain_ids_of_mmcif(pm, jrh, tmp_path):
    renamed = []
    for line in jrh.read_text().splitlines():
        if line.startswith(("ATOM", "HETATM")):
            fields = line.split()
            # auth_asym_id is the 19th column of this file's atom_site loop
            fields[18] = {"L": "LIGHT", "H": "HEAVY"}.get(fields[18], fields[18])
            line = " ".join(fields)
        renamed.append(line)
    path = tmp_path / "long_ids.cif"
    path.write_text("\n".join(renamed) + "\n")
    pm.load(str(path), "ids")
    pm.load(str(jrh), "jrh")
    assert pm.get_chains("ids") == ["HEAVY", "I", "LIGHT"]

    before = _others(pm, "ids")
    pairs = attention_pairs("ids", HEAD, top_k=3, _self=pm)
    assert _others(pm, "ids") == before

    plain = attention_pairs("jrh", HEAD, top_k=3, _self=pm)
    name = {"L": "LIGHT", "H": "HEAVY", "I": "I"}
    assert _key(pairs) == [
        (replace(i, chain=name[i.chain]), replace(j, chain=name[j.chain]), w, c)
        for i, j, w, c in _key(plain)
    ]
    assert {p.chain for p in pairs} == {"LIGHT", "HEAVY", "I"}
    _assert_on_ca(pm, "ids", pairs)


# ----------------------------------------------------------------------------- sizes


def _repeated_chain_a(
    hpv_path: str, chain: str, copies: int, shift: tuple[float, float, float] = (0.0, 0.0, 0.0)
) -> list[str]:
    """1hpv's chain A ``copies`` times over as one chain, numbered on (1-99, 101-199, ...),
    each copy 60 A further along z, the whole moved by ``shift``."""
    lines = []
    for copy in range(copies):
        for line in _atoms(hpv_path):
            if line[21] == "A":
                line = _moved(line, shift[0], shift[1], shift[2] + 60.0 * copy)
                lines.append(f"{line[:21]}{chain}{int(line[22:26]) + 100 * copy:4d}{line[26:]}")
    return lines


#: Copies of 1hpv's chain A in one chain of the long and the large object: 594 residues,
#: longer than AntiBERTy's 510 (both objects share the sequence, so one model run).
COPIES = 6


def test_an_object_of_more_than_100000_atoms(pm, hpv_path, tmp_path, capsys):
    ids = "ABCDEFGHIJKLMNOPQRSTUV"
    lines = []
    for c, chain in enumerate(ids):  # 22 chains apart in space, as in a large complex
        lines += _repeated_chain_a(hpv_path, chain, COPIES, (60.0 * (c % 6), 60.0 * (c // 6), 0))
    lines = [line[:6] + f"{k % 100000:5d}" + line[11:] for k, line in enumerate(lines, 1)]
    pm.load(_write(tmp_path / "big.pdb", lines), "big")
    assert pm.count_atoms("big") == len(lines) > 100_000

    before = _others(pm, "big")
    pairs = attention_pairs("big", HEAD, top_k=1, _self=pm)

    assert len(pairs) == len(ids) and {p.chain for p in pairs} == set(ids)
    assert len({(p.residue_i.number, p.residue_j.number) for p in pairs}) == 1  # one sequence
    _assert_on_ca(pm, "big", pairs)
    assert f"drew {len(ids)} pairs into group attention_big" in capsys.readouterr().out
    assert _others(pm, "big") == before


def test_a_chain_longer_than_the_model_runs_as_windows(pm, hpv_path, tmp_path, capsys):
    lines = _repeated_chain_a(hpv_path, "A", COPIES)
    pm.load(_write(tmp_path / "long.pdb", lines), "long")

    before = _others(pm, "long")
    pairs = attention_pairs("long", HEAD, top_k=5, _self=pm)

    note = "chain A: 2 overlapping windows of 510 residues (attention averaged where they overlap"
    assert note in capsys.readouterr().out
    _assert_on_ca(pm, "long", pairs)
    result = attention_color("long", HEAD, _self=pm)["long"]
    out = capsys.readouterr().out
    assert note in out and "coloured on 594 of 594 residues" in out
    assert len(result.scene.residues) == 594
    assert _others(pm, "long") == before


def test_a_chain_of_unknown_residues_only_is_warned_of_by_every_command(
    pm, hpv_path, tmp_path, capsys
):
    # attention_pairs on such a chain: test_meaningless.py
    lines = [line[:17] + "UNK" + line[20:] for line in _atoms(hpv_path) if line[21] == "A"]
    pm.load(_write(tmp_path / "unknown.pdb", lines), "unknown")
    warning = "chain A has only unknown residues (X): the model sees no sequence"

    before = _others(pm, "unknown")
    result = attention_color("unknown", HEAD, _self=pm)["unknown"]
    assert warning in capsys.readouterr().out and len(result.scene.residues) == 99
    attention_heads("unknown", "contact", min_arcs=20, draw_top=0, _self=pm)
    assert "chain unknown A has only unknown residues (X)" in capsys.readouterr().out
    attention_stats("unknown", "contact", png=str(tmp_path / "x.png"), min_arcs=20, _self=pm)
    assert "chain unknown A has only unknown residues (X)" in capsys.readouterr().out
    assert _others(pm, "unknown") == before


# ---------------------------------------------------------------- selections and models


def test_a_selection_across_two_objects_counts_and_draws_each(pm, hpv_path, tmp_path):
    pm.load(hpv_path, "copy")
    across = "(1hpv and chain A) or (copy and chain B)"
    whole = attention_stats("1hpv", "contact", png=str(tmp_path / "a.png"), _self=pm)
    both = attention_stats(across, "contact", png=str(tmp_path / "b.png"), _self=pm)
    # copy's chain B is 1hpv's: the counts over the two objects are 1hpv's own
    np.testing.assert_array_equal(both["contact"].hits, whole["contact"].hits)
    np.testing.assert_array_equal(both["contact"].n_arcs, whole["contact"].n_arcs)

    rows = attention_heads(across, "contact", top=3, _self=pm)

    assert rows == attention_heads("1hpv", "contact", top=3, draw_top=0, _self=pm)
    drawn = {obj: cgo_cylinders(pm, draw.pairs_name(obj)) for obj in ("1hpv", "copy")}
    assert drawn["1hpv"] and drawn["copy"]
    ca = {obj: _ca(pm, obj) for obj in ("1hpv", "copy")}
    for obj, chain in (("1hpv", "A"), ("copy", "B")):  # each on its own chain
        ends = {tuple(np.round(v, 3)) for k, v in ca[obj].items() if k[0] == chain}
        assert all(tuple(np.round(c[:3], 3)) in ends for c in drawn[obj])


@pytest.mark.parametrize("model", ["nonsense", "/no/such/model/dir"])
def test_an_unknown_model_is_refused_by_every_command(pm, tmp_path, model):
    before = _session(pm, "1hpv")
    says = "unknown model 'nonsense'" if model == "nonsense" else "does not exist"
    commands = [
        lambda: attention_pairs("1hpv", HEAD, model=model, _self=pm),
        lambda: attention_color("1hpv", HEAD, model=model, _self=pm),
        lambda: attention_heads("1hpv", "contact", model=model, _self=pm),
        lambda: attention_stats("1hpv", png=str(tmp_path / "x.png"), model=model, _self=pm),
        lambda: attention_contacts("1hpv", model=model, _self=pm),
    ]
    for command in commands:
        with pytest.raises(CmdException, match=says) as caught:
            command()
        assert "\n" not in str(caught.value).strip()
        assert _session(pm, "1hpv") == before
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("heads", "says"),
    [("0-1", "layer 0 in '0-1' is outside the model"), ("6-3+9-1", "layer 9 in '9-1'")],
)
def test_contacts_of_heads_outside_the_model_are_refused(pm, heads, says):
    # attention_pairs / attention_color with such heads: test_commands.py
    before = _session(pm, "1hpv")
    with pytest.raises(CmdException, match=says):
        attention_contacts("1hpv and chain A", heads=heads, _self=pm)
    assert _session(pm, "1hpv") == before
