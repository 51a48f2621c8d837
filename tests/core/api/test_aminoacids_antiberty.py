"""Amino-acid profiles on real AntiBERTy attention and real antibody structures.

The per-head shares of :func:`amino_acid_profiles` (from the compact attention) must be
the counts the per-head statistics make under the paper's definition (from a streamed
pass): two paths through the engine that must agree arc for arc.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from protattn.analysis.aminoacids import AminoAcidCounts
from protattn.api.aminoacids import amino_acid_profiles
from protattn.api.stats import head_statistics
from protattn.cli import main
from protattn.errors import ProtattnError
from protattn.structure.properties import AMINO_ACIDS

FILES = ("1VFB.cif", "3HFM.cif", "1IGY.pdb")


@pytest.fixture(scope="module")
def structures(shared_dir, load_structure):
    return [load_structure(shared_dir / "data/structures/antibody" / f) for f in FILES]


@pytest.fixture(scope="module")
def profiles(structures, antiberty):
    chains = [(f"{s.name} {c.id}", c.sequence) for s in structures for c in s.chains]
    return amino_acid_profiles(chains, antiberty)


def test_shares_equal_the_paper_statistics(structures, antiberty, profiles):
    stats = head_statistics(
        structures,
        antiberty,
        [f"aa:{aa}" for aa in AMINO_ACIDS],
        definition="paper",
        threshold=0.3,
    )
    counts = profiles.counts
    assert counts.n_chains == stats.n_chains == sum(len(s.chains) for s in structures)
    for a, aa in enumerate(AMINO_ACIDS):
        one = stats.stats[f"aa:{aa}"]
        np.testing.assert_array_equal(counts.arcs, one.n_arcs, err_msg=aa)
        np.testing.assert_array_equal(counts.targets[..., a], one.hits, err_msg=aa)
    assert counts.residues.sum() == sum(
        aa in AMINO_ACIDS for s in structures for c in s.chains for aa in c.sequence
    )


def test_counts_equal_those_of_the_dense_attention(structures, antiberty, profiles):
    total = AminoAcidCounts.empty(antiberty.n_layers, antiberty.n_heads, 0.3)
    for s in structures:
        for c in s.chains:
            total = total + AminoAcidCounts.of_chain(
                antiberty.attention(c.sequence), c.sequence, 0.3
            )
    np.testing.assert_array_equal(total.pairs, profiles.counts.pairs)
    np.testing.assert_array_equal(total.arcs, profiles.counts.arcs)


def test_summary_and_rows(profiles):
    r, pairs = profiles.blosum_r
    assert pairs == 190 and -1 <= r <= 1
    assert f"r = {r:.2f}" in profiles.summary()
    rows = profiles.rows()
    assert len(rows) == 8 * 8 * 20
    first = rows[0]
    assert (first["layer_head"], first["amino_acid"]) == ("1-1", "A")
    assert first["arcs_to"] == profiles.counts.targets[0, 0, 0]
    best = profiles.counts.best_heads(3)
    assert len(best) == 3 and best[0][1] >= best[1][1] >= best[2][1]
    table = profiles.table(3)
    assert best[0][0] in table[2]


def test_threshold_below_the_floor_is_refused(antiberty):
    with pytest.raises(ProtattnError, match="at least 0.05"):
        amino_acid_profiles([("x", "EVQLVESGG")], antiberty, threshold=0.01)
    with pytest.raises(ProtattnError, match="known residues"):
        amino_acid_profiles([("x", "XXXX")], antiberty)


def test_command_line(shared_dir, tmp_path, capsys, profiles):
    files = [str(shared_dir / "data/structures/antibody" / f) for f in FILES]
    out, png = tmp_path / "aa.csv", tmp_path / "aa.png"
    assert main(["aminoacids", *files, "-o", str(out), "--png", str(png), "-q"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[0] == profiles.summary()
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 * 8 * 20
    assert int(rows[0]["arcs"]) == profiles.counts.arcs[0, 0]
    assert png.stat().st_size > 10_000
    assert main(["aminoacids", *files, "--png", str(tmp_path / "x.jpg")]) == 2
    assert "x.jpg" in capsys.readouterr().err
