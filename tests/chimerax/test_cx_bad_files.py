"""Bad structure files in a real headless ChimeraX: ChimeraX opens the file, protattn reads
what it made of it.

Each file is opened as a user opens it (``open path``) beside a structure the user is
working on (1HPX as ``#1``, with pairs, colours, a ``distance`` and an attribute of
their own). Then ``attention pairs`` / ``color`` (and ``heads`` / ``stats`` where they
differ) give either the right result, checked against the core reading the same file,
or one ``UserError`` that names the input, what is wrong and the fix: never another
exception, and ``#1`` keeps everything it had. What ChimeraX's own ``open`` does with
the file (nothing, a warning, its own error) is asserted as it is.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, cxrun, log_of, of_kind, open_structure, rid

import protattn
from protattn import ResidueId

HEAD = "6-3"
GROUP = "attention pairs"
JRH = HPX.parents[1] / "antibody" / "1JRH.cif"  # Fab A6 (L, H) + receptor (I), mmCIF
VERBS = ("pairs", "color")


# ------------------------------------------------------------------------ the user's #1


def pair_keys(pbonds) -> list[tuple[ResidueId, ResidueId]]:
    a, b = pbonds.atoms
    return [(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)]


def _groups(structure) -> dict:
    state = {}
    for name, group in structure.pbg_map.items():
        pbonds = group.pseudobonds
        state[name] = sorted(
            (key, tuple(int(v) for v in colour), round(float(radius), 6))
            for key, colour, radius in zip(pair_keys(pbonds), pbonds.colors, pbonds.radii)
        )
    return state


def _values(structure, attribute: str) -> dict:
    return {rid(r): getattr(r, attribute) for r in structure.residues if hasattr(r, attribute)}


@dataclasses.dataclass
class Bystander:
    """The structure the user works on while opening bad files, and all it had."""

    structure: object
    models: list
    state: dict

    @staticmethod
    def state_of(session, structure) -> dict:
        distances = session.pb_manager.get_group("distances", create=False)
        return {
            "groups": _groups(structure),
            "attention": _values(structure, "attention"),
            "mine": _values(structure, "mine"),
            "ribbons": structure.residues.ribbon_colors.tolist(),
            "atoms": structure.atoms.colors.tolist(),
            "distances": None if distances is None else pair_keys(distances.pseudobonds),
        }

    def assert_same(self, session) -> None:
        assert not [m for m in self.models if m.deleted]
        assert self.state_of(session, self.structure) == self.state


@pytest.fixture
def bystander(cx):
    """1HPX as #1 with the user's work: pairs, attention colours, a distance, an attribute."""
    s = open_structure(cx, HPX)
    for command in (
        f"attention pairs #1 layerHead {HEAD} topK 4",
        f"attention color #1/A layerHead {HEAD}",
        "color #1/B cornflowerblue",
        "distance #1/A:10@CA #1/A:50@CA",
        "setattr #1/A:1-5 residues mine 2.5 create true",
    ):
        cxrun(cx, command)
    before = Bystander(s, list(cx.models.list()), Bystander.state_of(cx, s))
    assert before.state["distances"] and len(before.state["mine"]) == 5
    yield before
    before.assert_same(cx)


def outcome(cx, command: str):
    """The command's result, or the UserError it raised; any other exception fails the test."""
    from chimerax.core.errors import UserError

    try:
        return cxrun(cx, command)
    except UserError as e:
        return e


def refused(cx, command: str, *says: str) -> str:
    """The message of the one UserError the command raises, which says each of ``says``."""
    from chimerax.core.errors import UserError

    result = outcome(cx, command)
    assert isinstance(result, UserError), f"{command!r} gave {result!r}"
    message = str(result)
    for part in says:
        assert part in message, (part, message)
    return message


def core_bonds(path: Path, chains: str | None = None, **options) -> dict:
    """The core's drawable pairs for a file: (residue a, residue b) -> PseudoBond."""
    structure = protattn.read_structure(path)
    selected = [c for c in structure.chains if chains is None or c.id in chains]
    return {(b.a, b.b): b for b in protattn.compute_pairs(selected, HEAD, **options).scene.bonds}


def drawn_pairs(structure) -> set:
    group = structure.pseudobond_group(GROUP, create_type=None)
    return set() if group is None else set(pair_keys(group.pseudobonds))


# ------------------------------------------------------------------------------ the files


def _atoms(path: Path = HPX) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("ATOM")]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([*lines, "END", ""]))
    return path


def dna_pdb(path: Path) -> Path:
    """Two strands of four nucleotides (backbone and one base atom each), written by hand."""
    names = [("P", "P"), ("OP1", "O"), ("OP2", "O"), ("O5'", "O"), ("C5'", "C"), ("C4'", "C")]
    names += [("O4'", "O"), ("C3'", "C"), ("O3'", "O"), ("C2'", "C"), ("C1'", "C")]
    lines, serial = [], 1
    for chain, shift in (("A", 0.0), ("B", 10.0)):
        for number, base in enumerate(("DA", "DC", "DG", "DT"), 1):
            glycosidic = ("N9", "N") if base in ("DA", "DG") else ("N1", "N")
            for k, (atom, element) in enumerate([*names, glycosidic]):
                x, y, z = number * 3.4 + k * 0.3 + shift, k * 0.5, number * 1.0
                lines.append(
                    f"ATOM  {serial:5d} {atom:<4s} {base:>3s} {chain}{number:4d}    "
                    f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00 20.00          {element:>2s}"
                )
                serial += 1
    return _write(path, lines)


def hetatm_lines(path: Path, waters_only: bool = False) -> Path:
    """1HPX's HETATM records only: the inhibitor KNI-272 and six waters (or the waters)."""
    lines = [
        line
        for line in HPX.read_text().splitlines()
        if line.startswith("HETATM") and (not waters_only or line[17:20] == "HOH")
    ]
    return _write(path, lines)


def protein_as_hetatm(path: Path) -> Path:
    """1HPX's protein with every ATOM record written as HETATM (as some tools write them)."""
    return _write(path, ["HETATM" + line[6:] for line in _atoms()])


def without_ca(path: Path, numbers=range(10, 13)) -> Path:
    lines = [
        line
        for line in _atoms()
        if not (line[21] == "A" and int(line[22:26]) in numbers and line[12:16] == " CA ")
    ]
    return _write(path, lines)


def with_mse_and_unk(path: Path) -> Path:
    """Chain A's methionines as selenomethionine (HETATM MSE, SE for SD), A:40-41 as UNK."""
    lines = []
    for line in _atoms():
        if line[21] == "A" and line[17:20] == "MET":
            element = "SE" if line[12:16] == " SD " else line[76:78]
            lines.append("HETATM" + line[6:17] + "MSE" + line[20:76] + element)
        elif line[21] == "A" and int(line[22:26]) in (40, 41):
            lines.append(line[:17] + "UNK" + line[20:])
        else:
            lines.append(line)
    return _write(path, lines)


def with_altlocs(path: Path, number: int = 20) -> Path:
    """A:20 with two conformations: A (occupancy 0.6, as in 1HPX) and B (moved 1.5 A)."""
    lines = []
    for line in _atoms():
        if line[21] == "A" and int(line[22:26]) == number:
            moved = line[:30] + f"{float(line[30:38]) + 1.5:8.3f}" + line[38:]
            lines.append(line[:16] + "A" + line[17:54] + "  0.60" + line[60:])
            lines.append(moved[:16] + "B" + moved[17:54] + "  0.40" + moved[60:])
        else:
            lines.append(line)
    return _write(path, lines)


def renumbered(path: Path) -> Path:
    """Chain A numbered -49..49; chain B's residue 30 with insertion code A (30A)."""
    lines = []
    for line in _atoms():
        number = int(line[22:26]) - (50 if line[21] == "A" else 0)
        icode = "A" if line[21] == "B" and number == 30 else " "
        lines.append(line[:22] + f"{number:4d}" + icode + line[27:])
    return _write(path, lines)


_SITE = (
    "group_PDB id type_symbol label_atom_id label_alt_id label_comp_id label_asym_id "
    "label_entity_id label_seq_id pdbx_PDB_ins_code Cartn_x Cartn_y Cartn_z occupancy "
    "B_iso_or_equiv auth_seq_id auth_comp_id auth_asym_id auth_atom_id pdbx_PDB_model_num"
).split()


def as_mmcif(path: Path, ids: dict[str, str] | list[str]) -> Path:
    """1HPX's protein as an mmCIF atom_site table with author chain ids ``ids``.

    A mapping renames 1HPX's chains (``{"A": "AA", "B": "BBB"}``); a list makes a chain
    of each id, each a copy of 1HPX's chain A moved 40 A along x from the one before.
    """
    atoms = _atoms()
    if isinstance(ids, dict):
        copies = [(ids[line[21]], line, 0.0) for line in atoms]
    else:
        chain_a = [line for line in atoms if line[21] == "A"]
        copies = [(new, line, 40.0 * k) for k, new in enumerate(ids) for line in chain_a]
    rows = ["data_protattn_test", "loop_", *(f"_atom_site.{c}" for c in _SITE)]
    for serial, (chain, line, dx) in enumerate(copies, 1):
        number, name, res = int(line[22:26]), line[12:16].strip(), line[17:20]
        x, y, z = (float(line[30 + 8 * i : 38 + 8 * i]) for i in range(3))
        rows.append(
            f"ATOM {serial} {line[76:78].strip()} {name} . {res} {chain} 1 {number} ? "
            f"{x + dx:.3f} {y:.3f} {z:.3f} 1.00 20.00 {number} {res} {chain} {name} 1"
        )
    path.write_text("\n".join([*rows, "#", ""]))
    return path


def repeated_chain(path: Path, copies: int) -> Path:
    """1HPX's chain A ``copies`` times over as one chain A, numbered on (no SEQRES)."""
    chain_a = [line for line in _atoms() if line[21] == "A"]
    lines, serial = [], 1
    for copy in range(copies):
        for line in chain_a:
            number = int(line[22:26]) + 100 * copy
            lines.append(
                line[:6] + f"{serial % 100000:5d}" + line[11:22] + f"{number:4d}" + line[26:]
            )
            serial += 1
    return _write(path, lines)


# ------------------------------------------- files of which ChimeraX's open makes nothing


def _nothing_files(tmp_path: Path) -> dict[str, Path]:
    pdb, cif = HPX.read_bytes(), JRH.read_text()
    files = {
        "empty.pdb": b"",
        "binary.pdb": b"\x00\x01\x02\xff" * 50,
        "truncated.pdb": pdb[:300],  # HEADER and the first remarks: no atom
        "header.cif": cif.split("loop_\n_atom_site.")[0].encode(),  # no atom_site table
        "empty.cif": b"",
        "binary.cif": b"\x00\x01\x02\xff" * 50,
        "mmcif_named.pdb": cif.encode(),  # every line a bad PDB record
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in files}


#: What ChimeraX's open warns of each file. It opens each as nothing; a binary PDB file
#: is nothing the first time a session reads one and a UnicodeDecodeError after that.
NOTHING = {
    "empty.pdb": None,
    "binary.pdb": None,
    "truncated.pdb": None,
    "header.cif": "No mmCIF models found",
    "empty.cif": "No mmCIF models found",
    "binary.cif": "No mmCIF models found",
    "mmcif_named.pdb": "Ignored bad PDB record found on line 1",
}


@pytest.mark.parametrize("name", sorted(NOTHING))
def test_a_file_chimerax_opens_as_nothing_leaves_a_spec_that_names_what_is_open(
    cx, bystander, tmp_path, name
):
    path = _nothing_files(tmp_path)[name]
    spec = f"#{max(m.id[0] for m in cx.models.list()) + 1}"  # the id the file would have
    with log_of(cx) as messages:
        try:
            opened = cxrun(cx, f"open {path}")
        except UnicodeDecodeError:  # ChimeraX's PDB reader, on bytes that are not UTF-8
            assert name == "binary.pdb"
            opened = []
    assert opened == [] and cx.models.list() == bystander.models
    if NOTHING[name]:
        assert any(NOTHING[name] in w for w in of_kind(messages, "warning"))

    says = (
        f"nothing matches '{spec}': it specifies no residue (open structures: #1 1HPX.pdb)",
        "specify residues of a protein, e.g. '#1'",
    )
    for verb in VERBS:
        refused(cx, f"attention {verb} {spec} layerHead {HEAD}", *says)
    refused(cx, f"attention stats {spec} contact", *says)
    refused(cx, f"attention heads {spec} contact", *says)


def test_files_chimerax_refuses_to_open_leave_the_session_as_it_was(cx, bystander, tmp_path):
    """A PDB named .cif, an unknown suffix, an mmCIF cut off midway: ChimeraX's own errors,
    and nothing opened; ``format pdb`` opens the misnamed one."""
    from chimerax.core.errors import UserError

    pdb_named = tmp_path / "pdb_named.cif"
    pdb_named.write_bytes(HPX.read_bytes())
    unknown = tmp_path / "hpx.foo"
    unknown.write_bytes(HPX.read_bytes())
    cut = tmp_path / "cut.cif"
    cut.write_bytes(JRH.read_bytes()[: int(JRH.stat().st_size * 0.6)])
    spec = f"#{max(m.id[0] for m in cx.models.list()) + 1}"  # the id a file would have
    with pytest.raises(UserError, match="mmCIF parsing error"):
        cxrun(cx, f"open {pdb_named}")
    with pytest.raises(UserError, match="Unrecognized file suffix '.foo'"):
        cxrun(cx, f"open {unknown}")
    # ChimeraX's mmCIF reader: "mmCIF parsing error: not enough data values" (a UserError)
    # or, cut elsewhere, a MemoryError from its C++ (basic_string::_M_create)
    with pytest.raises((UserError, MemoryError)):
        cxrun(cx, f"open {cut}")
    assert cx.models.list() == bystander.models
    refused(cx, f"attention pairs {spec} layerHead {HEAD}", f"nothing matches '{spec}'")

    (s,) = cxrun(cx, f"open {pdb_named} format pdb")
    cxrun(cx, f"attention pairs #{s.id_string} layerHead {HEAD}")
    assert drawn_pairs(s) == set(core_bonds(HPX))


def test_an_mmcif_named_pdb_opens_with_format_mmcif(cx, bystander, tmp_path):
    path = as_mmcif(tmp_path / "mmcif_named.pdb", {"A": "A", "B": "B"})
    assert cxrun(cx, f"open {path}") == []  # as above: every line a bad PDB record
    (s,) = cxrun(cx, f"open {path} format mmcif")
    cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD}")
    assert drawn_pairs(s) == set(core_bonds(path)) == set(core_bonds(HPX))


def test_a_pdb_cut_off_midway_is_read_as_far_as_it_goes(cx, bystander, tmp_path):
    """ChimeraX keeps the atoms before the cut; the model sees the SEQRES sequence, so the
    pairs drawn are the whole file's between residues that made it (with a CA)."""
    data = HPX.read_bytes()
    path = tmp_path / "half.pdb"
    path.write_bytes(data[: len(data) // 2])  # in chain A's atoms, in the middle of a line
    s = open_structure(cx, path)
    (chain,) = s.chains
    present = {rid(r) for r in chain.existing_residues if r.find_atom("CA") is not None}
    assert 50 < len(present) < 99 and len(chain.characters) == 99

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD}")

    whole = core_bonds(HPX, chains="A")
    assert drawn_pairs(s) == {k for k in whole if set(k) <= present}
    assert "not drawn" in of_kind(messages, "info")[-1]  # pairs with a residue past the cut
    coloured = cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")
    assert {rid(r) for r in coloured} == {rid(r) for r in chain.existing_residues}


# ------------------------------------------------------------- files without a protein


@pytest.mark.parametrize(
    ("write", "holds"),
    [
        (dna_pdb, "(it holds 2 nucleic-acid chains A, B); specify residues of a protein"),
        (hetatm_lines, "(it holds 1 ligand (KNI) and 6 waters); specify residues of a protein"),
        (
            lambda path: hetatm_lines(path, waters_only=True),
            "(it holds 6 waters); specify residues of a protein",
        ),
        (
            protein_as_hetatm,
            "(it holds 198 amino-acid residues in no chain); ChimeraX makes chains of a "
            "polymer's ATOM records, not of HETATM ones: write the protein's records as ATOM",
        ),
    ],
    ids=["dna", "hetatm", "waters", "protein-as-hetatm"],
)
def test_a_file_without_a_protein_chain_says_what_it_holds(cx, bystander, tmp_path, write, holds):
    s = open_structure(cx, write(tmp_path / "no_protein.pdb"))
    says = (f"no protein chain in '{s.atomspec}' ", holds)
    for verb in VERBS:
        refused(cx, f"attention {verb} {s.atomspec} layerHead {HEAD}", *says)
    refused(cx, f"attention stats {s.atomspec} contact", *says)
    refused(cx, f"attention heads {s.atomspec} contact", *says)
    assert not s.pbg_map and not _values(s, "attention")
    # beside a protein the spec runs on the protein, as it would for the protein alone
    cxrun(cx, f"attention pairs #1/A | {s.atomspec} layerHead {HEAD} topK 3 name both")
    assert drawn_pairs(s) == set() and not s.pbg_map
    cx.models.close([bystander.structure.pbg_map["both"]])  # #1 as it was


# ----------------------------------------------------- odd residues the chains still hold


def test_residues_without_a_ca_are_coloured_but_join_no_pair(cx, bystander, tmp_path):
    path = without_ca(tmp_path / "no_ca.pdb")
    s = open_structure(cx, path)
    missing = {ResidueId("A", n) for n in (10, 11, 12)}
    expected = core_bonds(path, threshold=0.05)
    assert any(set(k) & missing for k in expected)  # the core's pairs include them

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD} threshold 0.05")

    assert drawn_pairs(s) == {k for k in expected if not set(k) & missing}
    n_missing = sum(1 for k in expected if set(k) & missing)
    assert of_kind(messages, "info")[-1].endswith(
        f"; {n_missing} not drawn (residue without CA atom)"
    )
    coloured = {rid(r) for r in cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")}
    assert missing <= coloured and len(coloured) == 198


def test_selenomethionine_and_unknown_residues_read_as_the_core_reads_them(cx, bystander, tmp_path):
    path = with_mse_and_unk(tmp_path / "mse_unk.pdb")
    s = open_structure(cx, path)
    read = protattn.read_structure(path).chain("A")
    chain_a = next(c for c in s.chains if c.chain_id == "A")
    assert {r.name for r in chain_a.existing_residues} >= {"MSE", "UNK"}
    assert read.sequence[35] == "M" and read.sequence[39:41] == "XX"  # MSE -> M, UNK -> X

    cxrun(cx, f"attention pairs {s.atomspec}/A layerHead {HEAD}")
    values = {
        rid(r): r.attention for r in cxrun(cx, f"attention color {s.atomspec}/A layerHead {HEAD}")
    }

    assert drawn_pairs(s) == set(core_bonds(path, chains="A"))
    core = protattn.compute_scores([read], HEAD).scene.residues
    assert values == pytest.approx({c.residue: c.value for c in core})


def test_alternate_locations_use_chimeraxs_current_one_as_the_core_does(cx, bystander, tmp_path):
    path = with_altlocs(tmp_path / "altloc.pdb")
    s = open_structure(cx, path)
    residue = next(r for r in s.residues if rid(r) == ResidueId("A", 20))
    plain = protattn.read_structure(HPX).chain("A")
    k = plain.index_of(ResidueId("A", 20))
    np.testing.assert_allclose(residue.find_atom("CA").coord, plain.atoms[k]["CA"], atol=1e-3)

    cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD} colorBy contact")

    assert drawn_pairs(s) == set(core_bonds(path, color_by="contact"))
    assert drawn_pairs(s) == set(core_bonds(HPX, color_by="contact"))


def test_negative_numbers_and_insertion_codes_land_on_their_residues(cx, bystander, tmp_path):
    path = renumbered(tmp_path / "numbers.pdb")
    s = open_structure(cx, path)
    expected = core_bonds(path, threshold=0.05)
    assert any(r.number < 0 for k in expected for r in k)
    assert any(r == ResidueId("B", 30, "A") for k in expected for r in k)

    drawn = cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD} threshold 0.05")

    a, b = drawn.atoms
    assert {(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)} == set(expected)
    insertion = next(r for r in s.residues if r.insertion_code)
    assert (insertion.chain_id, insertion.number, insertion.insertion_code) == ("B", 30, "A")
    assert any(insertion in (x.residue, y.residue) for x, y in zip(a, b))
    coloured = {rid(r) for r in cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")}
    assert {ResidueId("A", -49), ResidueId("A", 0), ResidueId("B", 30, "A")} <= coloured


@pytest.mark.parametrize("ids", [{"A": "AA", "B": "BBB"}, {"A": "heavy", "B": "L2"}])
def test_multi_letter_chain_ids_of_mmcif(cx, bystander, tmp_path, ids):
    path = as_mmcif(tmp_path / "long_ids.cif", ids)
    s = open_structure(cx, path)
    assert {c.chain_id for c in s.chains} == set(ids.values())

    cxrun(cx, f"attention pairs {s.atomspec}/{ids['B']} layerHead {HEAD}")
    coloured = cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")

    assert drawn_pairs(s) == set(core_bonds(path, chains=[ids["B"]]))
    assert {r.chain_id for r in coloured} == set(ids.values())
    assert all(r.chain == ids["B"] for k in drawn_pairs(s) for r in k)


def test_a_chain_of_unknown_residues_only_is_run_with_a_warning(cx, bystander, tmp_path):
    lines = [line for line in _atoms() if line[21] == "A" or int(line[22:26]) <= 20]
    lines = [line[:17] + "UNK" + line[20:] if line[21] == "B" else line for line in lines]
    s = open_structure(cx, _write(tmp_path / "unknown_b.pdb", lines))

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD}")

    assert drawn_pairs(s) == set(core_bonds(tmp_path / "unknown_b.pdb"))
    (warning,) = of_kind(messages, "warning")
    assert f"unknown_b.pdb {s.atomspec} B has only unknown residues (X)" in warning


# ------------------------------------------------------------------------ size and length


def test_a_structure_of_more_than_100000_atoms(cx, bystander, tmp_path):
    """140 copies of 1HPX's chain A (chain ids A0 ... T6): the model runs once, for one
    sequence; the rest is ChimeraX's model read and drawn on."""
    ids = [f"{a}{b}" for a in "ABCDEFGHIJKLMNOPQRST" for b in "0123456"]
    s = open_structure(cx, as_mmcif(tmp_path / "big.cif", ids))
    assert s.num_atoms > 100_000 and len(s.chains) == 140

    cxrun(cx, f"attention pairs {s.atomspec}/T6 layerHead {HEAD}")
    coloured = cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")

    chain_a = core_bonds(HPX, chains="A")
    assert drawn_pairs(s) == {
        (ResidueId("T6", a.number), ResidueId("T6", b.number)) for a, b in chain_a
    }
    assert len(coloured) == 140 * 99
    cxrun(cx, f"attention clear {s.atomspec}")
    assert GROUP not in s.pbg_map and not _values(s, "attention")


def test_a_chain_longer_than_the_models_limit_runs_as_windows_and_says_so(cx, bystander, tmp_path):
    path = repeated_chain(tmp_path / "long.pdb", copies=6)  # 594 residues; AntiBERTy: 510
    s = open_structure(cx, path)
    assert len(s.chains[0].characters) == 594

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD}")

    assert "chain A: 2 overlapping windows of 510 residues" in of_kind(messages, "info")[-1]
    assert drawn_pairs(s) == set(core_bonds(path))
    with log_of(cx) as messages:
        coloured = cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")
    assert len(coloured) == 594
    assert "2 overlapping windows of 510 residues" in of_kind(messages, "info")[-1]


# ---------------------------------------------------------- specs, models, layers, heads


def test_a_spec_over_two_structures_draws_each_on_one_scale(cx, tmp_path):
    first = open_structure(cx, HPX)
    second = open_structure(cx, renumbered(tmp_path / "numbers.pdb"))

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1/A | #2/B layerHead {HEAD}")

    assert drawn_pairs(first) == set(core_bonds(HPX, chains="A"))
    assert drawn_pairs(second) == set(core_bonds(tmp_path / "numbers.pdb", chains="B"))
    lines = of_kind(messages, "info")[-2:]
    assert all("the range over 2 structures" in line for line in lines), lines
    coloured = cxrun(cx, f"attention color #1/A | #2/B layerHead {HEAD}")
    assert {(r.structure, r.chain_id) for r in coloured} == {(first, "A"), (second, "B")}


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("model nosuchmodel", "unknown model 'nosuchmodel'; give one of antiberty, "),
        ("model /no/such/dir", "model directory '/no/such/dir' does not exist; give a folder"),
    ],
)
def test_an_unknown_model_is_named_with_what_to_give(cx, bystander, option, says):
    for verb in VERBS:
        refused(cx, f"attention {verb} #1 layerHead {HEAD} {option}", says)
    refused(cx, f"attention heads #1 contact {option}", says)
    refused(cx, f"attention stats #1 contact {option}", says)


@pytest.mark.parametrize(
    ("layer_head", "says"),
    [
        ("9-1", "layer 9 in '9-1' is outside the model, which has layers 1-8"),
        ("0-1", "layer 0 in '0-1' is outside the model, which has layers 1-8"),
        ("1-9", "head 9 in '1-9' is outside the model, which has heads 1-8 in each layer"),
        ("9-mean", "layer 9 in '9-mean' is outside the model, which has layers 1-8"),
        ("6", "layer-head '6' is not understood; write LAYER-HEAD with 1-based numbers"),
    ],
)
def test_layers_and_heads_outside_the_model_are_refused_with_its_size(
    cx, bystander, layer_head, says
):
    for verb in VERBS:
        refused(cx, f"attention {verb} #1 layerHead {layer_head}", says)
    if "-" in layer_head and not layer_head.endswith("mean"):
        refused(cx, f"attention contacts #1 heads {layer_head}", says)
