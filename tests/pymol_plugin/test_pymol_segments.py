"""Chains told apart by segment in PyMOL: the same pairs on the same atoms as the CLI's.

``seg`` is 1hpv written as an MD tool writes it: blank chain ids, the two chains as
segments PROA and PROB, both numbered 1-99. Once, PyMOL's adapter merged them into
one chain ``''`` ("52 pairs on chain ,", "coloured on 198 of 99 residues").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from readback import cgo_cylinders
from support import segmented_pdb

import protattn
from protattn_pymol import attention_color, attention_pairs, draw

HEAD = "6-3"


@pytest.fixture
def seg(pm, hpv_path, tmp_path) -> Path:
    path = segmented_pdb(Path(hpv_path), tmp_path / "seg.pdb", {"A": "PROA", "B": "PROB"})
    pm.load(str(path), "seg")
    return path


def test_pairs_on_segments_equal_the_core_reading_the_file(pm, seg, capsys):
    drawn = attention_pairs("seg", HEAD, min_separation=6, _self=pm)
    expected = protattn.compute_pairs(
        protattn.read_structure(seg).chains, HEAD, min_separation=6
    ).pairs
    key = [(p.chain, p.residue_i, p.residue_j, round(p.weight, 6)) for p in drawn]
    assert key == [(p.chain, p.residue_i, p.residue_j, round(p.weight, 6)) for p in expected]
    assert {p.chain for p in drawn} == {"PROA", "PROB"}
    out = capsys.readouterr().out
    assert "on chain PROA,PROB" in out and "chain ," not in out
    # each cylinder ends on the CA atoms of its own segment
    ca = {(a.segi, int(a.resi)): np.array(a.coord) for a in pm.get_model("seg and name CA").atom}
    cylinders = cgo_cylinders(pm, draw.pairs_name("seg"))
    assert len(cylinders) == len(drawn)
    for pair, cylinder in zip(drawn, cylinders):
        a = ca[(pair.residue_i.segment, pair.residue_i.number)]
        b = ca[(pair.residue_j.segment, pair.residue_j.number)]
        np.testing.assert_allclose(cylinder[:3], a, atol=1e-3)
        np.testing.assert_allclose(cylinder[3:6], b, atol=1e-3)


def test_residue_colours_on_segments_go_to_their_own_residues(pm, seg, capsys):
    result = attention_color("seg", HEAD, _self=pm)
    assert "coloured on 198 of 198 residues" in capsys.readouterr().out
    scores = protattn.compute_scores(protattn.read_structure(seg).chains, HEAD).scores
    b = {(a.segi, int(a.resi)): a.b for a in pm.get_model("seg and name CA").atom}
    for segment in ("PROA", "PROB"):
        np.testing.assert_allclose(
            [b[(segment, k)] for k in range(1, 100)], scores[segment], atol=1e-4
        )
    assert len(b) == 198 and result is not None  # 2 x 99 residues, none merged
