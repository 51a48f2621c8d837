"""Your residues as a property, and the query view, on real AntiBERTy attention and 1VFB.

1VFB is the antibody D1.3 (light chain A, heavy chain B) bound to hen egg-white lysozyme
(chain C); B:99-104 is in its third heavy-chain loop (CDR-H3), at the interface. Every
number is checked against the model's dense attention, counted here by brute force.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from protattn.api.heads import top_heads
from protattn.api.query import query_scores
from protattn.api.stats import head_statistics
from protattn.cli import main
from protattn.errors import ProtattnError
from protattn.structure.selection import parse_residues

RESIDUES = "B:99-104"


@pytest.fixture(scope="module")
def vfb(shared_dir, load_structure):
    return load_structure(shared_dir / "data/structures/antibody/1VFB.cif")


@pytest.fixture(scope="module")
def selection(vfb):
    return parse_residues(RESIDUES, vfb.chains)


@pytest.fixture(scope="module")
def heavy_attention(vfb, antiberty):
    return antiberty.attention(vfb.chain("B").sequence)


def test_the_share_on_your_residues_is_counted_as_the_paper_counts(
    vfb, selection, antiberty, heavy_attention
):
    stats = head_statistics([vfb], antiberty, ["selection"], selection=selection.ids)
    assert stats.n_chains == 1  # only chain B holds the residues
    one = stats.stats["selection"]
    chosen = selection.mask(vfb.chain("B"))
    assert chosen.sum() == 6
    arcs = heavy_attention >= 0.3
    np.testing.assert_array_equal(one.n_arcs, arcs.sum(axis=(2, 3)))
    np.testing.assert_array_equal(one.hits, arcs[..., chosen].sum(axis=(2, 3)))
    assert one.background == pytest.approx(6 / len(vfb.chain("B")))


def test_top_head_is_the_best_share_and_drawn_on_the_chain_of_the_residues(
    vfb, selection, antiberty, heavy_attention
):
    result = top_heads([vfb], "selection", antiberty.name, selection=selection.ids, min_arcs=20)
    arcs = heavy_attention >= 0.3
    chosen = selection.mask(vfb.chain("B"))
    n = arcs.sum(axis=(2, 3))
    share = np.where(n > 20, arcs[..., chosen].sum(axis=(2, 3)) / np.maximum(n, 1), -1)
    layer, head = np.unravel_index(np.argmax(share), share.shape)
    assert result.best == f"{layer + 1}-{head + 1}"
    assert result.rows[0]["share"] == pytest.approx(share[layer, head], abs=1e-6)
    (pairs,) = result.pairs
    assert pairs.pairs and {p.chain for p in pairs.pairs} == {"B"}


def test_without_residues_the_property_is_refused(vfb, antiberty):
    with pytest.raises(ProtattnError, match="needs residues"):
        head_statistics([vfb], antiberty, ["selection"])


@pytest.mark.parametrize("direction", ["from", "to"])
def test_query_equals_the_dense_attention(vfb, selection, antiberty, heavy_attention, direction):
    result = query_scores(vfb.chains, "5-5", selection.ids, direction, model=antiberty.name)
    a = heavy_attention[4, 4]
    chosen = selection.mask(vfb.chain("B"))
    expected = a[chosen].mean(axis=0) if direction == "from" else a[:, chosen].sum(axis=1)
    np.testing.assert_allclose(result.scores["B"], expected, rtol=1e-5, atol=1e-7)
    assert np.isnan(result.scores["A"]).all() and np.isnan(result.scores["C"]).all()
    coloured = {r.residue.chain for r in result.scene.residues}
    assert coloured == {"B"}
    assert "6 selected residues" in result.scene.key().title
    assert any("concatenate" in note for note in result.notes)


def test_query_across_chains_run_as_one_input(vfb, selection, antiberty):
    result = query_scores(  # a ResidueSelection itself, as the hosts pass it
        vfb.chains, "5-5", selection, "from", model=antiberty.name, concatenate=True
    )
    joint = antiberty.segment_attention([c.sequence for c in vfb.chains])[4, 4]
    chosen = np.concatenate([selection.mask(c) for c in vfb.chains])
    expected = joint[chosen].mean(axis=0)
    got = np.concatenate([result.scores[c.id] for c in vfb.chains])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert {r.residue.chain for r in result.scene.residues} == {"A", "B", "C"}
    assert got.sum() <= 1 + 1e-5  # a mean of rows that sum to at most 1


def test_query_refusals(vfb, antiberty):
    elsewhere = parse_residues("C:20-25", vfb.chains)
    with pytest.raises(ProtattnError, match="none of the selected residues"):
        query_scores([vfb.chain("B")], "5-5", elsewhere.ids, model=antiberty.name)
    with pytest.raises(ProtattnError, match="direction must be from"):
        query_scores(vfb.chains, "5-5", elsewhere.ids, "sideways", model=antiberty.name)


def test_command_line(shared_dir, tmp_path, capsys, vfb, selection, heavy_attention):
    path = str(shared_dir / "data/structures/antibody/1VFB.cif")
    out = tmp_path / "q.csv"
    assert (
        main(
            [
                "query",
                path,
                "--residues",
                RESIDUES,
                "--layer-head",
                "5-5",
                "--direction",
                "to",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    with open(out) as fh:
        rows = [r for r in csv.DictReader(fh) if r["chain"] == "B"]
    chosen = selection.mask(vfb.chain("B"))
    expected = heavy_attention[4, 4][:, chosen].sum(axis=1)
    np.testing.assert_allclose([float(r["value"]) for r in rows], expected, rtol=1e-4)
    assert sum(r["selected"] == "True" for r in rows) == 6
    capsys.readouterr()
    assert (
        main(["heads", path, "--residues", RESIDUES, "--min-arcs", "20", "--top", "3", "-q"]) == 0
    )
    printed = capsys.readouterr().out
    assert printed.startswith("selection: background 0.052")
    assert main(["heads", path, "--residues", "B:9999", "-q"]) == 2
    assert "no observed residue 9999" in capsys.readouterr().err


@pytest.mark.parametrize("concatenate", [False, True])
def test_query_runs_the_model_once_and_only_where_the_selection_is(
    vfb, selection, tmp_path, monkeypatch, concatenate
):
    from protattn.compute.backend import get_model
    from protattn.lm.inference import clear_memory

    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path))  # nothing cached from other tests
    clear_memory()
    lm = get_model("antiberty")
    passes: list[int] = []
    real = lm.forward
    monkeypatch.setattr(lm, "forward", lambda *a, **k: passes.append(1) or real(*a, **k))
    query_scores(vfb.chains, "5-5", selection, "from", model="antiberty", concatenate=concatenate)
    assert len(passes) == 1  # chain B (or the joined chains) once; A and C alone not at all
