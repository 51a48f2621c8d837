"""Mutants in PyMOL: attention_diff on 1VFB (the antibody D1.3 with lysozyme) with real
AntiBERTy weights, its CDR-H3 tyrosine of heavy chain B mutated (B:Y101A), read back
from PyMOL (cylinders, b-factors, sticks) and compared with the core's answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from pymol import CmdException
from readback import b_by_atom, cgo_cylinders, session_state

from protattn.api.diff import GAINED_COLOR, LOST_COLOR, compare, compare_heads, head_changes
from protattn_pymol import attention_clear, attention_color, attention_diff, draw

CHAIN = "1vfb and chain B"
MUTATION = "B:Y101A"
HEAD = "6-3"


@pytest.fixture(scope="module")
def expected(vfb_structure):
    """The core's answer for B:Y101A, head 6-3."""
    result = compare(vfb_structure.chain("B"), MUTATION, HEAD)
    assert result.gained and result.lost  # something to draw in both colours
    return result


@pytest.fixture
def vfb(pm, vfb_path):
    """1VFB next to 1hpv, in a fresh PyMOL."""
    pm.load(vfb_path, "1vfb")
    return pm


def _drawn_pairs(pm, obj: str) -> dict[frozenset, tuple[float, float, float]]:
    """The drawn cylinders as residue pairs (by CA coordinates), with their colours."""
    ca: dict = {}
    pm.iterate_state(
        1,
        f"{obj} and polymer.protein and name CA",
        "ca[(round(x, 2), round(y, 2), round(z, 2))] = (chain, resv)",
        space={"ca": ca},
    )

    def at(xyz) -> tuple[str, int]:
        return ca[tuple(round(float(v), 2) for v in xyz)]

    out = {}
    for cyl in cgo_cylinders(pm, draw.pairs_name(obj)):
        np.testing.assert_allclose(cyl[7:10], cyl[10:13])  # one colour along the cylinder
        out[frozenset((at(cyl[0:3]), at(cyl[3:6])))] = tuple(round(c, 4) for c in cyl[7:10])
    return out


def _pair(p) -> frozenset:
    return frozenset(
        ((p.residue_i.chain, p.residue_i.number), (p.residue_j.chain, p.residue_j.number))
    )


# ---------------------------------------------------------------------------- mutants


def test_diff_draws_the_cores_gained_and_lost_pairs_in_their_colours(vfb, expected, capsys):
    result = attention_diff(CHAIN, MUTATION, HEAD, _self=vfb)

    assert len(result.gained) == len(expected.gained)
    assert len(result.lost) == len(expected.lost)
    drawn = _drawn_pairs(vfb, "1vfb")
    assert len(cgo_cylinders(vfb, draw.pairs_name("1vfb"))) == len(drawn)
    red, blue = (tuple(round(c, 4) for c in rgba[:3]) for rgba in (GAINED_COLOR, LOST_COLOR))
    assert red != blue
    assert drawn == {
        **{_pair(p): red for p in expected.gained},
        **{_pair(p): blue for p in expected.lost},
    }
    assert vfb.get_type(draw.pairs_name("1vfb")) == "object:cgo"
    assert vfb.get_type(draw.group_name("1vfb")) == "object:group"
    out = capsys.readouterr().out
    summary = [line for line in out.splitlines() if line.startswith(" attention_diff: 1vfb: ")]
    assert summary[0] == f" attention_diff: 1vfb: {expected.summary()}"
    assert (
        f"drew {len(drawn)} pairs ({len(expected.gained)} red, {len(expected.lost)} blue)"
        in summary[1]
    )
    for line in expected.table():  # quiet=0 (the default) lists the pairs and residues
        assert f"   {line}\n" in out


def test_diff_writes_the_change_of_attention_received_into_b_factors(vfb, vfb_structure, expected):
    before = b_by_atom(vfb, "1vfb")

    attention_diff(CHAIN, MUTATION, HEAD, quiet=1, _self=vfb)

    after = b_by_atom(vfb, "1vfb")
    chain = vfb_structure.chain("B")
    for rid, value in zip(chain.residue_ids, expected.received, strict=True):
        atoms = after[("B", rid.number, rid.icode)]  # every atom of the residue holds it
        assert atoms == pytest.approx([value] * len(atoms), rel=1e-5, abs=1e-6)
    for key, atoms in after.items():  # the other chains are untouched
        if key[0] != "B":
            assert atoms == before[key]
    colours: dict = {}
    vfb.iterate(f"{CHAIN} and name CA", "colours[resv] = color", space={"colours": colours})
    for r in expected.residues.residues:
        rgb = vfb.get_color_tuple(colours[r.residue.number])
        assert rgb == pytest.approx(r.rgba[:3], abs=1 / 255 + 1e-6)

    attention_clear("1vfb", _self=vfb)
    assert b_by_atom(vfb, "1vfb") == before
    assert not [n for n in vfb.get_names("all") if n.startswith("attention_")]


def test_diff_shows_the_mutated_residue_as_sticks_and_draws_the_key(vfb, capsys):
    assert not vfb.count_atoms("1vfb and rep sticks")

    attention_diff(CHAIN, MUTATION, HEAD, key=1, quiet=1, _self=vfb)

    residue = f"{CHAIN} and resi 101"
    assert vfb.count_atoms("1vfb and rep sticks") == vfb.count_atoms(f"{residue} and not hydro")
    assert vfb.count_atoms("1vfb and rep sticks") > 0
    names = set()
    vfb.iterate("1vfb and rep sticks", "names.add(resn)", space={"names": names})
    assert names == {"TYR"}  # the structure stays the wild type's
    assert vfb.get_type(draw.key_name("1vfb")) == "object:cgo"
    titles = [s.title() for s in draw.scenes("1vfb", _self=vfb)]
    assert titles == [
        "change of attention weight, mutant - wild type",
        "change of attention received, mutant - wild type",
    ]
    out = capsys.readouterr().out
    assert "B:101 shown as sticks" in out
    assert f"key drawn as {draw.key_name('1vfb')}" in out


def test_diff_on_a_fixed_range_keeps_the_pairs_and_rescales(vfb, expected):
    result = attention_diff(CHAIN, MUTATION, HEAD, range="0.5", quiet=1, _self=vfb)

    assert result.scene.fixed and result.residues.fixed
    assert (result.residues.vmin, result.residues.vmax) == (-0.5, 0.5)
    assert result.scene.vmax == 0.5
    assert len(cgo_cylinders(vfb, draw.pairs_name("1vfb"))) == len(expected.scene.bonds)
    assert "fixed" in result.summary()


def test_diff_takes_several_mutations_joined_by_plus(vfb, vfb_structure):
    expected = compare(vfb_structure.chain("B"), "B:Y101A,B:D100A", HEAD)

    vfb.do(f"attention_diff {CHAIN}, B:Y101A+B:D100A, {HEAD}, quiet=1")

    assert set(_drawn_pairs(vfb, "1vfb")) == {_pair(p) for p in (*expected.gained, *expected.lost)}
    shown: set = set()
    vfb.iterate("1vfb and rep sticks", "shown.add(resv)", space={"shown": shown})
    assert shown == {100, 101}


# ------------------------------------------------------------------ versus, heads=1


def test_diff_versus_compares_two_heads_as_the_core_does(vfb, vfb_structure, capsys):
    expected = compare_heads(vfb_structure.chain("B"), HEAD, "7-1")

    vfb.do(f"attention_diff {CHAIN}, layer_head={HEAD}, versus=7-1, quiet=1")

    drawn = _drawn_pairs(vfb, "1vfb")
    assert set(drawn) == {_pair(p) for p in (*expected.gained, *expected.lost)}
    b = b_by_atom(vfb, f"{CHAIN} and name CA")
    for rid, value in zip(vfb_structure.chain("B").residue_ids, expected.received, strict=True):
        assert b[("B", rid.number, rid.icode)] == pytest.approx([value], rel=1e-5, abs=1e-6)
    assert not vfb.count_atoms("1vfb and rep sticks")  # no residue mutated
    out = capsys.readouterr().out
    assert f" attention_diff: 1vfb: {expected.summary()}" in out
    assert "6-3 versus 7-1" in out


def test_diff_heads_prints_the_head_changes_top_line(vfb, vfb_structure, expected, capsys):
    structure = vfb_structure
    changes = head_changes(structure, structure.chain("B"), expected.mutant, partners=["C"])

    attention_diff(CHAIN, MUTATION, HEAD, heads=1, partner="C", _self=vfb)

    out = capsys.readouterr().out
    assert f" attention_diff: 1vfb: {changes.summary()}\n" in out
    assert "interface" in changes.summary()
    for line in changes.table():
        assert f"   {line}\n" in out


def test_diff_is_registered_with_completion_and_documented(vfb):
    import pymol

    assert vfb.keyword["attention_diff"][0] is attention_diff
    assert pymol.cmd.auto_arg[0]["attention_diff"] == pymol.cmd.auto_arg[0]["zoom"]
    for part in ("DESCRIPTION", "USAGE", "ARGUMENTS", "EXAMPLE"):
        assert part in attention_diff.__doc__


# ---------------------------------------------------------------------- bad input

DIFF_REFUSALS = [
    ({"mutations": "B:A101Y"}, "residue 101 of chain B is TYR (Y), not A"),
    ({"mutations": "B:Y999A"}, "chain B has no residue 999"),
    ({"mutations": "C:Y101A"}, "names chain C, but the chain mutated is B"),
    ({"mutations": "B:Y101"}, "'B:Y101' is not a mutation"),
    ({"mutations": ""}, "give the mutations"),
    ({"layer_head": "9-1"}, "layers 1-8"),
    ({"layer_head": "x"}, "not understood"),
    ({"layer_head": ""}, "give a layer-head"),
    ({"selection": "1vfb"}, "holds 3 protein chains of 1vfb (A, B, C)"),
    ({"selection": "(1vfb and chain B) or 1hpv"}, "holds protein chains of 2 objects"),
    ({"selection": "none"}, "matches no atoms"),
    ({"versus": "7-1"}, "leave the mutations out"),
    ({"heads": "1", "partner": "Q"}, "has no protein chain 'Q'"),
    ({"partner": "C"}, "partner= is for heads=1"),
    ({"mutations": "", "versus": "7-1", "heads": "1"}, "heads=1 compares a mutant"),
    ({"mutations": "B:Y101A+B:Y101G"}, "two mutations of residue 101"),
    ({"threshold": "2"}, "threshold must be above 0"),
    ({"top_k": "0"}, "top_k must be a whole number of at least 1"),
    ({"range": "-1"}, "range must be"),
    ({"key": "yes"}, "key must be"),
]


@pytest.mark.parametrize(("change", "says"), DIFF_REFUSALS, ids=[s for _, s in DIFF_REFUSALS])
def test_diff_refuses_bad_input_in_one_line_and_changes_nothing(vfb, change, says):
    attention_color("1vfb", "6-3", key=1, _self=vfb)  # something drawn that must stay
    before = session_state(vfb)
    arguments = {"selection": CHAIN, "mutations": MUTATION, "layer_head": HEAD, **change}

    with pytest.raises(CmdException) as caught:
        attention_diff(**arguments, _self=vfb)

    message = str(caught.value).strip()
    assert says in message and "\n" not in message, message
    assert session_state(vfb) == before


def test_diff_typed_at_the_prompt_refuses_a_wrong_wild_type_in_one_line(vfb, capsys):
    before = session_state(vfb)
    capsys.readouterr()

    vfb.do(f"attention_diff {CHAIN}, B:F101A, {HEAD}")

    out = capsys.readouterr().out
    errors = [x for x in out.splitlines() if "Error" in x]
    assert len(errors) == 1 and "residue 101 of chain B is TYR (Y), not F" in errors[0], out
    assert "Traceback" not in out
    assert session_state(vfb) == before
