"""Chains told apart by segment (as MD tools write them) and files with several models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import segmented_pdb

import protattn
from protattn import ResidueId
from protattn.errors import StructureError


@pytest.fixture(scope="module")
def hpx_path(shared_dir) -> Path:
    return shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb"


def test_blank_chain_ids_with_segments_are_two_chains(tmp_path, hpx_path):
    plain = protattn.read_structure(hpx_path)
    path = segmented_pdb(hpx_path, tmp_path / "seg.pdb", {"A": "PROA", "B": "PROB"})
    structure = protattn.read_structure(path)
    assert [c.id for c in structure.chains] == ["PROA", "PROB"]
    assert [c.segment for c in structure.chains] == ["PROA", "PROB"]
    for seg, original in zip(structure.chains, plain.chains):
        observed = [r for r in original.residue_ids if r is not None]
        assert len([r for r in seg.residue_ids if r is not None]) == len(observed)
        # the same residues, numbers and coordinates; only the identity carries the segment
        assert [r.number for r in seg.residue_ids if r is not None] == [r.number for r in observed]
        assert all(r.segment == seg.segment and r.chain == "" for r in seg.residue_ids if r)
        np.testing.assert_allclose(seg.backbone[seg.observed], original.backbone[original.observed])
    a, b = structure.chains
    assert set(a.residue_ids).isdisjoint(b.residue_ids)  # same numbers, different residues
    assert str(a.residue_ids[0]) == "PROA/:1"
    assert any("segment" in note for note in structure.notes)
    assert structure.chain("PROB") is b


def test_pairs_on_segments_are_the_chains_own(tmp_path, hpx_path):
    plain = protattn.read_structure(hpx_path)
    path = segmented_pdb(hpx_path, tmp_path / "seg.pdb", {"A": "PROA", "B": "PROB"})
    segmented = protattn.read_structure(path)
    # observed sequences: the segmented file has no SEQRES for its segments
    assert [c.sequence for c in segmented.chains] == [
        "".join(c.sequence[k] for k in np.flatnonzero(c.observed)) for c in plain.chains
    ]
    result = protattn.compute_pairs(segmented.chains, "6-3")
    assert {p.chain for p in result.pairs} == {"PROA", "PROB"}
    for pair in result.pairs:
        assert pair.residue_i.segment == pair.chain and pair.residue_j.segment == pair.chain
    assert "pairs on chain PROA,PROB" in result.summary()
    row = result.pairs[0].as_row()
    assert row["segment_i"] == row["chain_i"] and row["residue_i"].startswith(row["chain_i"] + "/")


def test_one_chain_id_over_segments_of_different_lengths(tmp_path, hpx_path):
    # chain A and chain B both called A, told apart by segment only; cut B short first
    lines = []
    for line in hpx_path.read_text().splitlines():
        if line.startswith("ATOM") and line[21] == "B" and int(line[22:26]) > 60:
            continue
        lines.append(line)
    short = tmp_path / "short.pdb"
    short.write_text("\n".join(lines) + "\n")
    path = segmented_pdb(short, tmp_path / "mixed.pdb", {"A": "SEG1", "B": "SEG2"}, blank=False)
    text = path.read_text().splitlines()
    path.write_text(
        "\n".join(
            line[:21] + "A" + line[22:] if line.startswith(("ATOM", "HETATM")) else line
            for line in text
        )
    )
    structure = protattn.read_structure(path)
    assert [c.id for c in structure.chains] == ["A/SEG1", "A/SEG2"]
    long_, short_ = structure.chains
    assert len(long_) > len(short_)
    assert {r.chain for r in short_.residue_ids if r} == {"A"}
    scores = protattn.compute_scores(structure.chains, "6-3")  # once an IndexError
    assert set(scores.scores) == {"A/SEG1", "A/SEG2"}
    assert len(scores.scene.residues) == len(long_) + len(short_)


def test_an_ordinary_file_has_no_segments(hpx_path):
    structure = protattn.read_structure(hpx_path)
    assert all(c.segment == "" for c in structure.chains)
    assert all(r.segment == "" for c in structure.chains for r in c.residue_ids if r)
    assert not any("segment" in note for note in structure.notes)


def _two_models(source: Path, out: Path, shift: float) -> Path:
    atoms = [
        line
        for line in source.read_text().splitlines()
        if line.startswith("ATOM") and line[21] == "A"
    ]
    moved = [line[:30] + f"{float(line[30:38]) + shift:8.3f}" + line[38:] for line in atoms]
    text = ["MODEL        1", *atoms, "ENDMDL", "MODEL        2", *moved, "ENDMDL", "END", ""]
    out.write_text("\n".join(text))
    return out


def test_several_models_say_which_is_used_and_state_chooses(tmp_path, hpx_path):
    path = _two_models(hpx_path, tmp_path / "nmr.pdb", shift=10.0)
    first = protattn.read_structure(path)
    assert "2 models in the file: model 1 is used (state chooses another)" in first.notes
    second = protattn.read_structure(path, state=2)
    assert "model 2 is used" in " ".join(second.notes)
    (a1,), (a2,) = first.chains, second.chains
    np.testing.assert_allclose(a2.backbone[:, 1, 0] - a1.backbone[:, 1, 0], 10.0, atol=1e-3)
    for bad in (0, 3, 1.5):
        with pytest.raises(StructureError, match="choose a state from 1 to 2"):
            protattn.read_structure(path, state=bad)
    assert ResidueId("A", 1) in a2.residue_ids
