"""The structure readers on mutated real files: a Structure that holds together, or a
StructureError that says what was wrong; never another exception.

Each example starts from a real file (1HPX as PDB, 1JRH as mmCIF, both cut to a few
residues per chain to keep examples fast) and applies a few mutations of the kinds
files in the wild have: truncation, reordered and duplicated lines, odd chain ids,
insertion codes, alternate locations, polymer residues written as HETATM, huge and
negative residue numbers, bytes of garbage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import protattn
from protattn.errors import StructureError

STANDARD = set("ACDEFGHIKLMNPQRSTVWYX")


def _pdb_lines(path: Path, per_chain: int = 12) -> list[str]:
    """The first residues of each chain of a PDB file, with one ligand, as lines."""
    kept, seen = [], {}
    ligand = None
    for line in path.read_text().splitlines():
        if line.startswith("ATOM"):
            key = (line[21], line[22:27])
            residues = seen.setdefault(line[21], [])
            if key not in residues:
                residues.append(key)
            if len(residues) <= per_chain:
                kept.append(line)
        elif line.startswith("HETATM") and line[17:20] != "HOH":
            ligand = ligand or line[17:27]
            if line[17:27] == ligand:
                kept.append(line)
        elif line.startswith(("SEQRES", "HELIX", "SHEET")):
            kept.append(line)
    return [*kept, "END"]


def _cif_text(path: Path, keep: int = 250) -> str:
    """An mmCIF file cut after the first ``keep`` atom_site rows."""
    out, rows, in_atoms = [], 0, False
    for line in path.read_text().splitlines():
        if line.startswith("_atom_site."):
            in_atoms = True
        elif in_atoms and line.startswith(("ATOM", "HETATM")):
            rows += 1
            if rows > keep:
                continue
        elif in_atoms and line.startswith(("#", "loop_")):
            in_atoms = False
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def pdb_lines(shared_dir) -> list[str]:
    return _pdb_lines(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")


@pytest.fixture(scope="module")
def cif_text(shared_dir) -> str:
    return _cif_text(shared_dir / "data" / "structures" / "antibody" / "1JRH.cif")


def _set(line: str, start: int, end: int, text: str) -> str:
    line = line.ljust(80)
    return line[:start] + text.rjust(end - start)[: end - start] + line[end:]


def _mutate_pdb(lines: list[str], data: st.DataObject) -> list[str]:
    lines = list(lines)
    atoms = [k for k, line in enumerate(lines) if line.startswith(("ATOM", "HETATM"))]
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        kind = data.draw(
            st.sampled_from(
                [
                    "truncate",
                    "reorder",
                    "duplicate",
                    "chain",
                    "icode",
                    "altloc",
                    "hetatm",
                    "number",
                    "garbage",
                    "delete",
                ]
            ),
            label="kind",
        )
        if not atoms or not lines:
            break
        k = data.draw(st.sampled_from(atoms), label="line")
        if k >= len(lines):
            continue
        if kind == "truncate":
            cut = data.draw(st.integers(0, len(lines[k])), label="cut")
            lines = lines[:k] + [lines[k][:cut]]
        elif kind == "reorder":
            j = data.draw(st.integers(0, len(lines) - 1), label="to")
            lines.insert(j, lines.pop(k))
        elif kind == "duplicate":
            lines.insert(k, lines[k])
        elif kind == "chain":
            chain = data.draw(st.sampled_from([" ", "a", "9", "Z", "#", "\t"]), label="chain")
            lines[k] = _set(lines[k], 21, 22, chain)
        elif kind == "icode":
            lines[k] = _set(lines[k], 26, 27, data.draw(st.sampled_from("ABZ"), label="ic"))
        elif kind == "altloc":
            lines.insert(k, _set(lines[k], 16, 17, "A"))
            lines[k + 1] = _set(lines[k + 1], 16, 17, "B")
        elif kind == "hetatm":
            lines[k] = "HETATM" + lines[k][6:]
        elif kind == "number":
            number = data.draw(st.sampled_from([9999, -999, 0, 1, -1, 5000]), label="number")
            lines[k] = _set(lines[k], 22, 26, str(number))
        elif kind == "garbage":
            junk = data.draw(st.text(min_size=1, max_size=40), label="junk")
            lines.insert(k, junk)
        elif kind == "delete":
            del lines[k]
        atoms = [j for j, line in enumerate(lines) if line.startswith(("ATOM", "HETATM"))]
    return lines


def _holds_together(structure: protattn.Structure) -> None:
    assert structure.chains
    ids = [c.id for c in structure.chains]
    assert len(ids) == len(set(ids)), ids
    seen = set()
    for chain in structure.chains:
        n = len(chain.sequence)
        assert n > 0
        assert len(chain.residue_ids) == len(chain.atoms) == n
        assert chain.backbone.shape == (n, 4, 3)
        assert set(chain.sequence) <= STANDARD, chain.sequence
        observed = [r for r in chain.residue_ids if r is not None]
        assert observed, chain.id
        assert seen.isdisjoint(observed)  # a residue belongs to one position of one chain
        assert len(set(observed)) == len(observed)
        seen.update(observed)
        # every observed position has atoms; unobserved ones have none and NaN backbones
        for rid, atoms, row in zip(chain.residue_ids, chain.atoms, chain.backbone):
            assert (rid is None) == (atoms is None)
            if rid is None:
                assert np.isnan(row).all()


def _read(tmp_path: Path, name: str, text: str | bytes) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
    try:
        structure = protattn.read_structure(path)
    except StructureError as e:
        assert str(e) and str(path) in str(e) or "no protein chain" in str(e), e
        return
    _holds_together(structure)


@given(data=st.data())
@example(data=None)  # the file as it is
def test_mutated_pdb_files_are_read_or_refused(tmp_path_factory, pdb_lines, data):
    tmp = tmp_path_factory.mktemp("pdb")
    lines = pdb_lines if data is None else _mutate_pdb(pdb_lines, data)
    _read(tmp, "mutated.pdb", "\n".join(lines) + "\n")


@given(data=st.data())
@example(data=None)
def test_mutated_mmcif_files_are_read_or_refused(tmp_path_factory, cif_text, data):
    tmp = tmp_path_factory.mktemp("cif")
    text = cif_text
    if data is not None:
        lines = text.splitlines()
        rows = [k for k, line in enumerate(lines) if line.startswith(("ATOM", "HETATM"))]
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            k = data.draw(st.sampled_from(rows), label="row")
            kind = data.draw(
                st.sampled_from(["truncate", "duplicate", "delete", "field", "cut file"]),
                label="kind",
            )
            if k >= len(lines):
                continue
            if kind == "truncate":
                lines[k] = lines[k][: data.draw(st.integers(0, len(lines[k])), label="cut")]
            elif kind == "duplicate":
                lines.insert(k, lines[k])
            elif kind == "delete":
                del lines[k]
            elif kind == "field" and lines[k].split():
                fields = lines[k].split()
                j = data.draw(st.integers(0, len(fields) - 1), label="field")
                fields[j] = data.draw(
                    st.sampled_from(["?", ".", "ZZ", "-99999", "1e9", "A B", "'x'"]), label="v"
                )
                lines[k] = " ".join(fields)
            elif kind == "cut file":
                lines = lines[:k]
                break
        text = "\n".join(lines) + "\n"
    _read(tmp, "mutated.cif", text)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02" * 100, b"HEADER    nothing here\nEND\n", b"data_x\n#\n"],
)
@pytest.mark.parametrize("suffix", [".pdb", ".cif"])
def test_empty_binary_and_atomless_files_are_refused(tmp_path, content, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(StructureError) as err:
        protattn.read_structure(path)
    assert str(path) in str(err.value) and "structure file" in str(err.value)
