"""The PyMOL commands on a real structure with real AntiBERTy weights, read back from PyMOL."""

from __future__ import annotations

import numpy as np
import pytest
from pymol import CmdException, stored
from readback import cgo_cylinders

import protattn
from protattn_pymol import (
    attention_clear,
    attention_color,
    attention_contacts,
    attention_heads,
    attention_pairs,
    attention_stats,
    draw,
)

HEAD = "6-3"


@pytest.fixture(scope="module")
def file_chains(hpv_path):
    """1hpv read independently of PyMOL, by the core's file reader."""
    structure = protattn.read_structure(hpv_path)
    assert all(c.observed.all() for c in structure.chains)  # so PyMOL's sequence is the same
    return structure.chains


def _b_factors(pm, selection):
    stored.values = []
    pm.iterate(f"({selection}) and name CA", "stored.values.append((chain, resv, b, color))")
    return stored.values


def test_pairs_match_the_core_and_are_read_back_from_pymol(pm, file_chains):
    expected = protattn.compute_pairs(file_chains, HEAD, min_separation=6)
    assert len(expected.pairs) > 5

    pairs = attention_pairs("1hpv", HEAD, min_separation="6", _self=pm)

    assert [(p.residue_i, p.residue_j) for p in pairs] == [
        (p.residue_i, p.residue_j) for p in expected.pairs
    ]
    cylinders = cgo_cylinders(pm, draw.pairs_name("1hpv"))
    assert len(cylinders) == len(expected.scene.bonds)
    ca = {
        (c.id, r.number): c.backbone[k, 1] for c in file_chains for k, r in enumerate(c.residue_ids)
    }
    for cyl, bond in zip(cylinders, expected.scene.bonds, strict=True):
        np.testing.assert_allclose(cyl[0:3], ca[(bond.a.chain, bond.a.number)], atol=1e-3)
        np.testing.assert_allclose(cyl[3:6], ca[(bond.b.chain, bond.b.number)], atol=1e-3)
        assert cyl[6] == pytest.approx(bond.radius, abs=1e-5)
        np.testing.assert_allclose(cyl[7:10], bond.rgba[:3], atol=1e-5)
    # radius grows with weight: the strongest pair is drawn thickest
    assert cylinders[0][6] == max(c[6] for c in cylinders) > min(c[6] for c in cylinders)
    assert pm.get_type(draw.pairs_name("1hpv")) == "object:cgo"
    assert pm.get_type(draw.group_name("1hpv")) == "object:group"


def test_rerun_replaces_and_top_k_is_per_chain(pm):
    attention_pairs("1hpv", HEAD, _self=pm)
    attention_pairs("1hpv", HEAD, top_k=4, _self=pm)
    names = [n for n in pm.get_names("all") if n.startswith("attention_")]
    assert sorted(names) == sorted([draw.group_name("1hpv"), draw.pairs_name("1hpv")])
    assert len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == 8  # 4 in each of chains A and B


def test_pairs_stay_within_the_selection(pm):
    pairs = attention_pairs("1hpv and chain A and resi 1-50", HEAD, top_k=6, _self=pm)
    assert len(pairs) == len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == 6
    for p in pairs:
        for r in (p.residue_i, p.residue_j):
            assert r.chain == "A" and 1 <= r.number <= 50


def test_color_writes_scores_into_b_and_colours_by_them(pm, file_chains):
    before = _b_factors(pm, "1hpv")
    expected = protattn.compute_scores(file_chains[:1], "8-mean")

    attention_color("1hpv and chain A", "8-mean", _self=pm)

    after = {(c, r): (b, col) for c, r, b, col in _b_factors(pm, "1hpv")}
    scores = expected.scores["A"]
    for k, rid in enumerate(file_chains[0].residue_ids):
        assert after[("A", rid.number)][0] == pytest.approx(scores[k], abs=1e-6)
    # chain B was not selected: b-factors and colours untouched
    assert all(after[(c, r)] == (b, col) for c, r, b, col in before if c == "B")
    low, high = int(np.argmin(scores)) + 1, int(np.argmax(scores)) + 1
    rgb_low = np.array(pm.get_color_tuple(after[("A", low)][1]))
    rgb_high = np.array(pm.get_color_tuple(after[("A", high)][1]))
    palette = protattn.scene.PALETTES["attention"]  # the default: the one sequential map
    np.testing.assert_allclose(rgb_low, palette[0], atol=1 / 255)
    np.testing.assert_allclose(rgb_high, palette[-1], atol=1 / 255)
    # every residue has exactly the scene's colour (to PyMOL's 8 bits per channel)
    for r in expected.scene.residues:
        rgb = pm.get_color_tuple(after[("A", r.residue.number)][1])
        np.testing.assert_allclose(rgb, r.rgba[:3], atol=1 / 255)


def test_clear_removes_drawings_and_restores_b_factors(pm):
    before = _b_factors(pm, "1hpv")
    attention_pairs("1hpv", HEAD, _self=pm)
    attention_color("1hpv", HEAD, _self=pm)
    assert _b_factors(pm, "1hpv") != before

    attention_clear("1hpv", _self=pm)

    assert not [n for n in pm.get_names("all") if n.startswith("attention_")]
    assert [b for *_, b, _ in _b_factors(pm, "1hpv")] == [b for *_, b, _ in before]


@pytest.mark.parametrize(
    ("selection", "layer_head", "message"),
    [
        ("1hpv", "13-1", "layers 1-8"),
        ("1hpv", "1-9", "heads 1-8"),
        ("1hpv", "x-y", "not understood"),
        ("1hpv", "", "give a layer-head"),
        ("1hpv and organic", "1-1", "no protein"),
        ("no_such_object", "1-1", "invalid selection"),
    ],
)
def test_bad_input_raises_cmd_exception_and_draws_nothing(pm, selection, layer_head, message):
    before = _b_factors(pm, "1hpv")
    for command in (attention_pairs, attention_color):
        with pytest.raises(CmdException, match=message):
            command(selection, layer_head, _self=pm)
    assert not [n for n in pm.get_names("all") if n.startswith("attention_")]
    assert _b_factors(pm, "1hpv") == before


def test_bad_number_is_a_cmd_exception(pm):
    with pytest.raises(CmdException, match="threshold must be a number"):
        attention_pairs("1hpv", HEAD, threshold="lots", _self=pm)


def test_commands_typed_at_the_prompt(pm):
    pm.do(f"attention_pairs 1hpv and chain B, {HEAD}, top_k=3")
    assert len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == 3
    assert "USAGE" in attention_pairs.__doc__ and "EXAMPLE" in attention_pairs.__doc__
    assert pm.keyword["attention_pairs"][0] is attention_pairs


def test_commands_work_on_a_separate_pymol_instance(hpv_path):
    import pymol2
    from pymol import cmd as global_cmd

    global_cmd.reinitialize()
    with pymol2.PyMOL() as p:
        p.cmd.load(hpv_path, "prot")
        attention_pairs("prot and chain A", HEAD, top_k=5, _self=p.cmd)
        assert len(cgo_cylinders(p.cmd, draw.pairs_name("prot"))) == 5
        attention_clear("prot", _self=p.cmd)
        assert p.cmd.get_names("all") == ["prot"]
    assert global_cmd.get_names("all") == []


def test_concatenated_chains_draw_pairs_between_chains(pm, file_chains):
    expected = protattn.compute_pairs(file_chains, HEAD, top_k=40, concatenate=True)
    between = [p for p in expected.pairs if p.inter_chain]
    assert between

    pairs = attention_pairs("1hpv", HEAD, top_k=40, concatenate=1, _self=pm)

    assert [(p.residue_i, p.residue_j) for p in pairs] == [
        (p.residue_i, p.residue_j) for p in expected.pairs
    ]
    assert len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == 40
    assert {(p.residue_i.chain, p.residue_j.chain) for p in pairs if p.inter_chain} <= {
        ("A", "B"),
        ("B", "A"),
    }


def test_window_options_reach_the_core(pm, file_chains):
    pairs = attention_pairs("1hpv and chain A", HEAD, top_k=30, window=40, stride="20", _self=pm)
    expected = protattn.compute_pairs(file_chains[:1], HEAD, top_k=30, window=40, stride=20)
    assert [(p.i, p.j) for p in pairs] == [(p.i, p.j) for p in expected.pairs]
    assert all(p.j - p.i < 40 for p in pairs)


def test_heads_ranks_by_binding_site_with_pymols_ligand_and_draws_the_top(pm, hpv_path):
    from protattn.api.report import rank_heads
    from protattn.api.stats import head_statistics

    structure = protattn.read_structure(hpv_path)
    expected = rank_heads(
        head_statistics([structure], "antiberty", ["binding_site"], min_arcs=20), "binding_site", 5
    )
    assert expected

    rows = attention_heads("1hpv", "binding_site", top=5, min_arcs="20", _self=pm)

    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected]
    assert [r["n_arcs"] for r in rows] == [r["n_arcs"] for r in expected]
    top = protattn.compute_pairs(structure.chains, rows[0]["layer_head"], threshold=0.3)
    assert len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == len(top.scene.bonds) > 0


def test_contacts_draws_true_and_false_predictions(pm, file_chains):
    from protattn.api.contacts import predict_contacts

    expected = predict_contacts(file_chains[0], "antiberty", heads=["3-2", "5-4"])
    results = attention_contacts("1hpv and chain A", heads="3-2+5-4", _self=pm)
    assert [(p.i, p.j) for p in results[("1hpv", "A")].pairs] == [
        (p.i, p.j) for p in expected.pairs
    ]
    cylinders = cgo_cylinders(pm, draw.pairs_name("1hpv"))
    assert len(cylinders) == len(file_chains[0])
    blue = protattn.scene.CONTACT_COLORS[True][:3]
    n_blue = sum(np.allclose(c[7:10], blue) for c in cylinders)
    assert n_blue == sum(1 for p in expected.pairs if p.contact)
    magenta = protattn.scene.CONTACT_COLORS[False][:3]
    assert sum(np.allclose(c[7:10], magenta) for c in cylinders) == len(cylinders) - n_blue


def test_heads_and_stats_take_the_definition(pm, hpv_path, capsys):
    from protattn.api.stats import head_statistics

    structure = protattn.read_structure(hpv_path)
    for definition in ("paper", "judged"):
        expected = head_statistics(
            [structure], "antiberty", ["contact"], min_arcs=20, definition=definition
        )
        rows = attention_heads(
            "1hpv", "contact", top=3, min_arcs=20, draw_top=0, definition=definition, _self=pm
        )
        assert [r["layer_head"] for r in rows] == [
            r["layer_head"] for r in expected.ranking("contact")[:3]
        ]
        assert {r["definition"] for r in rows} == {definition}
        assert f"({definition}" in capsys.readouterr().out  # "(paper's definition: ..."
    with pytest.raises(CmdException, match="unknown definition"):
        attention_heads("1hpv", "contact", definition="mine", _self=pm)
    with pytest.raises(CmdException, match="unknown definition"):
        attention_stats("1hpv", "contact", definition="mine", _self=pm)


def test_heads_bad_property_is_a_cmd_exception(pm):
    with pytest.raises(CmdException, match="unknown property"):
        attention_heads("1hpv", "pocket", _self=pm)
    assert not [n for n in pm.get_names("all") if n.startswith("attention_")]


def test_stats_writes_the_heatmap_and_returns_the_statistics(pm, hpv_path, tmp_path):
    from PIL import Image

    from protattn.api.stats import head_statistics

    png = tmp_path / "sites.png"
    stats = attention_stats("1hpv", "binding_site", png=str(png), min_arcs=20, _self=pm)
    expected = head_statistics(
        [protattn.read_structure(hpv_path)], "antiberty", ["binding_site"], min_arcs=20
    )
    np.testing.assert_array_equal(stats["binding_site"].hits, expected["binding_site"].hits)
    image = np.asarray(Image.open(png).convert("RGB"))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50
    with pytest.raises(CmdException, match="does not exist"):
        attention_stats("1hpv", "binding_site", png="/no/such/dir/x.png", _self=pm)


def test_clear_keeps_b_factors_edited_since_colouring(pm, hpv_path):
    attention_color("1hpv", HEAD, _self=pm)
    pm.reinitialize()
    pm.load(hpv_path, "1hpv")
    pm.alter("1hpv", "b = 50.0")
    attention_clear("1hpv", _self=pm)  # the earlier colouring's originals must not come back
    assert {b for *_, b, _ in _b_factors(pm, "1hpv")} == {50.0}


def test_pairs_on_a_fixed_scale_are_drawn_as_the_weight_says(pm, capsys):
    pairs = attention_pairs(
        "1hpv", HEAD, min_separation="6", range="full", radius="0.05,0.3", _self=pm
    )
    cylinders = cgo_cylinders(pm, draw.pairs_name("1hpv"))
    weights = [p.weight for p in pairs if p.residue_i and p.residue_j]
    for cyl, weight in zip(cylinders, weights, strict=True):
        assert cyl[6] == pytest.approx(0.05 + 0.25 * weight, abs=1e-5)
    assert "colour 0-1 (attention, fixed); radius 0.05-0.3 A for 0-1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "message"), [({"range": "0.4,0.2"}, "lo < hi"), ({"radius": "thick"}, "radius")]
)
def test_a_bad_scale_is_a_cmd_exception_and_draws_nothing(pm, option, message):
    with pytest.raises(CmdException, match=message):
        attention_pairs("1hpv", HEAD, _self=pm, **option)
    assert not [n for n in pm.get_names("all") if n.startswith("attention_")]


def test_stats_over_every_loaded_object_prints_its_progress(pm, hpv_path, tmp_path, capsys):
    pm.load(hpv_path, "copy")
    png = tmp_path / "all.png"
    both = attention_stats("all", "contact", png=str(png), _self=pm)
    out = capsys.readouterr().out

    one = attention_stats("1hpv", "contact", png=str(png), _self=pm)
    assert both.n_chains == 4 and one.n_chains == 2
    np.testing.assert_array_equal(both["contact"].n_arcs, 2 * one["contact"].n_arcs)
    assert " attention_stats: 4 of 4 chains, " in out and "chains/s" in out
    assert " attention_stats: 2 of 2 chains" in capsys.readouterr().out
