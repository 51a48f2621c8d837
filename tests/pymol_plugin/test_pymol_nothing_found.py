"""A run that finds nothing says so and what to change, and leaves the earlier drawing as it was."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pymol import CmdException, stored
from readback import cgo_cylinders

import protattn
from protattn.scene import Scene
from protattn_pymol import attention_color, attention_contacts, attention_pairs, draw
from protattn_pymol import commands as commands_module

HEAD = "6-3"


def _attention_objects(pm) -> list[str]:
    return sorted(n for n in pm.get_names("all") if n.startswith("attention_"))


def _b_and_colors(pm, obj: str) -> list[tuple]:
    stored.values = []
    pm.iterate(f"{obj}", "stored.values.append((chain, resi, name, b, color))")
    return list(stored.values)


@pytest.fixture
def drawn(pm):
    """1hpv with 6-3's pairs above 0.1 and its key drawn."""
    attention_pairs("1hpv", HEAD, threshold=0.1, key=1, _self=pm)
    pairs = cgo_cylinders(pm, draw.pairs_name("1hpv"))
    assert len(pairs) > 20
    return pm, _attention_objects(pm), pairs, draw.scenes("1hpv", _self=pm)


@pytest.mark.parametrize(
    ("selection", "option", "says"),
    [
        (
            "1hpv",
            {"threshold": 0.99},
            "no pair of the 198 selected residues has attention above 0.99",
        ),
        ("1hpv", {"min_separation": 95}, "at |i - j| >= 95; lower threshold or min_separation"),
        ("1hpv and chain A and resi 10", {"top_k": 3}, "the selection holds 1 residue: a pair"),
        ("1hpv and chain A and resi 10+50", {}, "no pair of the 2 selected residues"),
    ],
)
def test_no_pair_found_keeps_the_drawing(drawn, capsys, selection, option, says):
    pm, names, pairs, scenes = drawn
    capsys.readouterr()

    assert attention_pairs(selection, HEAD, _self=pm, **option) == []

    out = capsys.readouterr().out
    assert "attention_pairs: 1hpv: antiberty 6-3: nothing found: " in out and says in out
    assert "attention_1hpv_pairs and attention_1hpv_key from before stay as they were" in out
    assert "0 pairs" not in out
    assert _attention_objects(pm) == names  # group, pairs and key: all still there
    assert cgo_cylinders(pm, draw.pairs_name("1hpv")) == pairs  # the same cylinders
    now = draw.scenes("1hpv", _self=pm)  # the key stays the earlier drawing's
    assert len(now) == len(scenes) == 1 and now[0] is scenes[0]


def test_nothing_found_on_an_object_never_drawn_makes_no_group(pm, capsys):
    assert attention_pairs("1hpv", HEAD, threshold=0.99, key=1, _self=pm) == []
    out = capsys.readouterr().out
    assert "nothing found" in out and out.rstrip().endswith("select more residues; nothing drawn")
    assert _attention_objects(pm) == []
    assert draw.scenes("1hpv", _self=pm) == []


def test_the_object_with_pairs_is_drawn_the_other_kept(drawn, hpv_path, capsys):
    pm, _, pairs, _ = drawn
    pm.load(hpv_path, "copy")
    attention_pairs("copy", HEAD, top_k=2, _self=pm)
    copy_pairs = cgo_cylinders(pm, draw.pairs_name("copy"))
    capsys.readouterr()

    # chain A of 1hpv has pairs above 0.2 under 6-3; a single residue of copy has none
    attention_pairs("(1hpv and chain A) or (copy and resi 10)", HEAD, threshold=0.2, _self=pm)

    out = capsys.readouterr().out
    assert "attention_pairs: copy: antiberty 6-3: nothing found" in out
    assert "attention_pairs: 1hpv: antiberty 6-3:" in out and "drew" in out
    assert cgo_cylinders(pm, draw.pairs_name("copy")) == copy_pairs
    assert 0 < len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) < len(pairs)


def test_contacts_on_a_chain_too_short_keep_the_drawing(pm, capsys):
    pm.create("short", "1hpv and chain A and resi 1-5")
    attention_pairs("short", HEAD, top_k=2, _self=pm)
    pairs = cgo_cylinders(pm, draw.pairs_name("short"))
    names = _attention_objects(pm)
    capsys.readouterr()

    results = attention_contacts("short", _self=pm)

    out = capsys.readouterr().out
    assert results[("short", "A")].pairs == ()
    assert "attention_contacts: short: nothing found: no pair of residues 6 or more apart" in out
    assert "chain A (5)" in out and "attention_short_pairs from before stay" in out
    assert "drew 0" not in out
    assert _attention_objects(pm) == names
    assert cgo_cylinders(pm, draw.pairs_name("short")) == pairs


def test_color_with_no_residue_valued_leaves_b_factors_and_colours(pm, monkeypatch, capsys):
    attention_color("1hpv and chain A", "8-mean", _self=pm)
    coloured = draw.scenes("1hpv", _self=pm)
    before = _b_and_colors(pm, "1hpv")
    real = protattn.compute_scores

    def nothing_valued(*args, **kwargs):  # a run whose residues match none of the object's
        result = real(*args, **kwargs)
        return replace(result, scene=Scene(palette=result.scene.palette))

    monkeypatch.setattr(commands_module.protattn, "compute_scores", nothing_valued)
    capsys.readouterr()
    attention_color("1hpv", HEAD, _self=pm)

    out = capsys.readouterr().out
    assert "attention_color: 1hpv: antiberty 6-3: nothing found: no selected residue" in out
    assert "b-factors and colours stay as they were" in out and "coloured," not in out
    assert _b_and_colors(pm, "1hpv") == before
    assert draw.scenes("1hpv", _self=pm) == coloured  # the key still shows the first colouring


def test_a_selection_matching_nothing_is_named_with_the_fix(pm):
    for command, args in (
        (attention_pairs, (HEAD,)),
        (attention_color, (HEAD,)),
        (attention_contacts, ()),
    ):
        with pytest.raises(CmdException) as caught:
            command("1hpv and chain Z", *args, _self=pm)
        message = str(caught.value)
        assert "selection '1hpv and chain Z' matches no atoms (objects loaded: 1hpv)" in message
        assert "get_chains 1hpv" in message
        with pytest.raises(
            CmdException, match=r"invalid selection 'nosuch' \(objects loaded: 1hpv"
        ):
            command("nosuch", *args, _self=pm)
        with pytest.raises(CmdException, match=r"contains no protein residues \(\d+ atoms"):
            command("1hpv and organic", *args, _self=pm)
    assert _attention_objects(pm) == []
