"""Your residues in PyMOL: attention_heads ranking heads by a PyMOL selection
(``residues=``) and attention_query colouring every residue by the attention it
exchanges with them, on 1VFB (an antibody Fv, heavy chain B, with lysozyme, chain C)
with real AntiBERTy weights, read back from PyMOL and compared with the core.
"""

from __future__ import annotations

import pytest
from pymol import CmdException
from readback import b_by_atom, cgo_cylinders, session_state

from protattn.api.heads import top_heads
from protattn.api.query import query_scores
from protattn.structure.selection import parse_residues
from protattn_pymol import attention_clear, attention_color, attention_heads, attention_query, draw

#: CDR-H3 of 1VFB, as PyMOL selects it and as the core's residue list names it.
CDR = "1vfb and chain B and resi 99-104"
CDR_LIST = "B:99-104"
HEAD = "5-5"


@pytest.fixture
def vfb(pm, vfb_path):
    """1VFB next to 1hpv, in a fresh PyMOL."""
    pm.load(vfb_path, "1vfb")
    return pm


# ------------------------------------------------------------------- attention_heads


def test_heads_rank_by_the_residues_of_a_pymol_selection_as_the_core_does(vfb, vfb_structure):
    ids = parse_residues(CDR_LIST, vfb_structure.chains).ids
    assert len(ids) == 6
    expected = top_heads([vfb_structure], "selection", "antiberty", 5, min_arcs=20, selection=ids)
    assert expected.rows and expected.pairs

    rows = attention_heads("1vfb", "selection", top=5, min_arcs=20, residues=CDR, _self=vfb)

    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected.rows]
    assert [r["share"] for r in rows] == pytest.approx([r["share"] for r in expected.rows])
    assert [r["n_arcs"] for r in rows] == [r["n_arcs"] for r in expected.rows]
    cylinders = cgo_cylinders(vfb, draw.pairs_name("1vfb"))
    assert len(cylinders) == len(expected.pairs[0].scene.bonds) > 0
    assert {p.residue_i.chain for p in expected.pairs[0].pairs} == {"B"}  # the CDR's chain


def test_heads_take_residues_without_the_property_and_leave_other_objects_out(
    vfb, vfb_structure, capsys
):
    ids = parse_residues(CDR_LIST, vfb_structure.chains).ids
    expected = top_heads(
        [vfb_structure], "selection", "antiberty", 3, min_arcs=20, draw=False, selection=ids
    )
    mixed = f"({CDR}) or (1hpv and chain A and resi 1-5)"

    rows = attention_heads("1vfb", residues=mixed, top=3, min_arcs=20, draw_top=0, _self=vfb)

    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected.rows]
    out = capsys.readouterr().out
    assert f"attention_heads: 1vfb: residues: 6 residues ({mixed})" in out
    assert "attention_heads: the residues of 1hpv are left out" in out


def test_heads_over_two_objects_holding_the_same_residues(vfb, vfb_path, vfb_structure):
    vfb.load(vfb_path, "copy")
    ids = parse_residues(CDR_LIST, vfb_structure.chains).ids
    twice = [vfb_structure, vfb_structure]
    expected = top_heads(twice, "selection", "antiberty", 3, min_arcs=20, draw=False, selection=ids)

    rows = attention_heads(
        "1vfb or copy", residues="chain B and resi 99-104", top=3, min_arcs=20, _self=vfb
    )

    assert [(r["layer_head"], r["n_arcs"]) for r in rows] == [
        (r["layer_head"], r["n_arcs"]) for r in expected.rows
    ]
    assert rows[0]["n_arcs"] > 0 and rows[0]["n_arcs"] % 2 == 0  # each object counted
    assert cgo_cylinders(vfb, draw.pairs_name("1vfb")) == cgo_cylinders(
        vfb, draw.pairs_name("copy")
    )


# ------------------------------------------------------------------- attention_query


def test_query_writes_the_cores_values_into_b_factors_and_draws_the_key(vfb, vfb_structure, capsys):
    ids = parse_residues(CDR_LIST, vfb_structure.chains).ids
    expected = query_scores(vfb_structure.chains, HEAD, ids, "from")
    before = b_by_atom(vfb, "1vfb")
    assert not vfb.count_atoms("1vfb and rep sticks")

    results = attention_query("1vfb", CDR, HEAD, key=1, quiet=0, _self=vfb)

    scene = results["1vfb"].scene
    assert [r.residue for r in scene.residues] == [r.residue for r in expected.scene.residues]
    after = b_by_atom(vfb, "1vfb")
    chain = vfb_structure.chain("B")
    for rid, value in zip(chain.residue_ids, expected.scores["B"], strict=True):
        atoms = after[("B", rid.number, rid.icode)]  # every atom of the residue holds it
        assert atoms == pytest.approx([value] * len(atoms), rel=1e-5, abs=1e-6)
    for key, atoms in after.items():  # chains A and C hold none of the residues: untouched
        if key[0] != "B":
            assert atoms == before[key]
    colours = {}
    vfb.iterate("1vfb and chain B and name CA", "colours[resv] = color", space={"colours": colours})
    for r in expected.scene.residues:
        rgb = vfb.get_color_tuple(colours[r.residue.number])
        assert rgb == pytest.approx(r.rgba[:3], abs=1 / 255 + 1e-6)
    assert vfb.get_type(draw.key_name("1vfb")) == "object:cgo"
    sticks = vfb.count_atoms("1vfb and rep sticks")
    assert sticks == vfb.count_atoms(f"({CDR}) and not hydro") > 0
    out = capsys.readouterr().out
    summary = [line for line in out.splitlines() if "attention_query: 1vfb: antiberty 5-5" in line]
    assert len(summary) == 1
    assert "attention received from the 6 selected residues (mean)" in summary[0]
    assert "colour " in summary[0] and "shown as sticks" in summary[0]
    assert f"key drawn as {draw.key_name('1vfb')}" in out
    assert "(selected)" in out  # quiet=0 lists the residues of highest value

    attention_clear("1vfb", _self=vfb)
    assert b_by_atom(vfb, "1vfb") == before
    assert not [n for n in vfb.get_names("all") if n.startswith("attention_")]


def test_query_to_the_antigen_with_the_chains_concatenated(vfb, vfb_structure):
    ids = parse_residues("C:18-27", vfb_structure.chains).ids
    expected = query_scores(vfb_structure.chains, "6-mean", ids, "to", concatenate=True)

    vfb.do(
        "attention_query 1vfb, 1vfb and chain C and resi 18-27, 6-mean, direction=to, concatenate=1"
    )

    after = b_by_atom(vfb, "1vfb and name CA")
    for c in vfb_structure.chains:  # every chain coloured: one input
        for rid, value in zip(c.residue_ids, expected.scores[c.id], strict=True):
            assert after[(c.id, rid.number, rid.icode)] == pytest.approx([value], abs=1e-5)
    assert draw.scenes("1vfb", _self=vfb)[0].title().startswith("6-mean: share of attention")


def test_query_is_registered_with_completion_of_both_selections(vfb):
    import pymol

    assert vfb.keyword["attention_query"][0] is attention_query
    assert pymol.cmd.auto_arg[0]["attention_query"] == pymol.cmd.auto_arg[0]["zoom"]
    assert pymol.cmd.auto_arg[1]["attention_query"] == pymol.cmd.auto_arg[1]["align"]
    for part in ("DESCRIPTION", "USAGE", "ARGUMENTS", "EXAMPLE"):
        assert part in attention_query.__doc__


# ---------------------------------------------------------------------- bad input


QUERY_REFUSALS = [
    ({"residues": "none"}, "matches no atoms"),
    ({"residues": ""}, "give the residues"),
    ({"residues": "no_such_name"}, "is not a valid selection"),
    ({"residues": "1hpv and chain A"}, "its atoms are in 1hpv"),
    ({"residues": "1vfb and resn HOH"}, "none of its atoms is in a protein residue"),
    ({"selection": "1vfb and chain A", "residues": CDR}, "holds no residue"),
    ({"selection": "none"}, "matches no atoms"),
    ({"direction": "sideways"}, "direction must be from"),
    ({"layer_head": "9-1"}, "layers 1-8"),
    ({"layer_head": "x"}, "not understood"),
    ({"layer_head": ""}, "give a layer-head"),
    ({"concatenate": "maybe"}, "concatenate must be"),
    ({"palette": "nope"}, "palette"),
    ({"range": "0.4,0.2"}, "lo < hi"),
    ({"key": "yes"}, "key must be"),
]


@pytest.mark.parametrize(("change", "says"), QUERY_REFUSALS, ids=[s for _, s in QUERY_REFUSALS])
def test_query_refuses_bad_input_in_one_line_and_changes_nothing(vfb, change, says):
    attention_color("1vfb", "6-3", key=1, _self=vfb)  # something drawn that must stay
    before = session_state(vfb)
    arguments = {"selection": "1vfb", "residues": CDR, "layer_head": HEAD, **change}

    with pytest.raises(CmdException) as caught:
        attention_query(**arguments, _self=vfb)

    message = str(caught.value).strip()
    assert says in message and "\n" not in message, message
    assert session_state(vfb) == before


HEADS_REFUSALS = [
    ({"residues": "none"}, "matches no atoms"),
    ({"residues": "1hpv and chain A"}, "its atoms are in 1hpv"),
    ({"selection": "1vfb and chain C", "residues": CDR}, "holds no residue"),
    ({"prop": "selection"}, "give them as a PyMOL selection"),
    ({"prop": "contact", "residues": CDR}, "residues= names the residues of prop selection"),
    ({"residues": CDR, "threshold": "2"}, "threshold must be above 0"),
    (
        {"selection": "all", "residues": f"({CDR}) or (1hpv and chain A and resi 1-5)"},
        "selects different residues in",
    ),
]


@pytest.mark.parametrize(("change", "says"), HEADS_REFUSALS, ids=[s for _, s in HEADS_REFUSALS])
def test_heads_refuse_bad_residues_in_one_line_and_change_nothing(vfb, change, says):
    attention_color("1vfb", "6-3", key=1, _self=vfb)
    before = session_state(vfb)

    with pytest.raises(CmdException) as caught:
        attention_heads(**{"selection": "1vfb", "min_arcs": 20, **change}, _self=vfb)

    message = str(caught.value).strip()
    assert says in message and "\n" not in message, message
    assert session_state(vfb) == before


def test_typed_at_the_prompt_a_refusal_is_one_line_without_traceback(vfb, capsys):
    before = session_state(vfb)
    capsys.readouterr()
    lines = {
        "attention_query 1vfb, none, 5-5": "matches no atoms",
        f"attention_query 1vfb, {CDR}, 5-5, direction=up": "direction must be from",
        "attention_heads 1vfb, selection, residues=1hpv": "its atoms are in 1hpv",
    }
    for line, message in lines.items():
        vfb.do(line)
        out = capsys.readouterr().out
        errors = [x for x in out.splitlines() if "Error" in x]
        assert len(errors) == 1 and message in errors[0], (line, out)
        assert "Traceback" not in out
    assert session_state(vfb) == before
