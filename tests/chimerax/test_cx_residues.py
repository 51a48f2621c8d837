"""Your residues in headless ChimeraX: ``attention heads ... residues``, ``attention query``.

On 1VFB (the antibody D1.3, light chain A and heavy chain B, with lysozyme, chain C)
with real AntiBERTy: CDR-H3 (/B:99-104) named as a ChimeraX spec ranks the heads as
the core's :func:`protattn.api.heads.top_heads` ranks them on the same residues read
from the file, and ``attention query`` sets exactly the core's
:func:`protattn.api.query.query_scores` values as a residue attribute. The query leaves the user's
selection alone and shows the residues asked about as sticks. Bad input is refused with one
UserError before anything in the session changes.
"""

from __future__ import annotations

import numpy as np
import pytest
from cxtesting import HPX, VFB, cxrun, log_of, of_kind, open_structure, rid, session_inventory

import protattn
from protattn.api.heads import top_heads
from protattn.api.query import query_scores
from protattn.structure.selection import parse_residues

CDR_H3 = "B:99-104"
SPEC = "/B:99-104"
HEAD = "5-5"
QUERY = "attention_query"


@pytest.fixture(scope="module")
def vfb():
    return protattn.read_structure(VFB)


@pytest.fixture(scope="module")
def cdr_h3(vfb):
    return parse_residues(CDR_H3, vfb.chains)


def values(structure, attribute: str) -> dict:
    return {rid(r): getattr(r, attribute) for r in structure.residues if hasattr(r, attribute)}


def selected(structure) -> set:
    atoms = structure.atoms
    return {rid(r) for r in atoms[atoms.selected].unique_residues}


def state(session, structure) -> dict:
    """What a bad command must leave as it was: models, drawings, colours, selection."""
    return {
        "inventory": session_inventory(session),
        "models": [m.id for m in session.models.list()],
        "ribbons": structure.residues.ribbon_colors.copy(),
        "atoms": structure.atoms.colors.copy(),
        "selected": selected(structure),
        "values": {a: values(structure, a) for a in ("attention", QUERY, "attention_selection")},
    }


def assert_same_state(before: dict, after: dict) -> None:
    assert after["inventory"] == before["inventory"]
    assert after["models"] == before["models"]
    np.testing.assert_array_equal(after["ribbons"], before["ribbons"])
    np.testing.assert_array_equal(after["atoms"], before["atoms"])
    assert after["selected"] == before["selected"]
    assert after["values"] == before["values"]


# --- attention heads ... residues ----------------------------------------------------------


def test_heads_on_your_residues_rank_as_the_core_and_draw_the_top_head(cx, vfb, cdr_h3):
    s = open_structure(cx, VFB)
    assert {rid(r) for r in s.residues if r.chain_id == "B" and 99 <= r.number <= 104} == set(
        cdr_h3.ids
    )
    expected = top_heads(
        [vfb], "selection", "antiberty", selection=cdr_h3.ids, min_arcs=20, scores=True
    )
    assert expected.rows

    with log_of(cx) as messages:
        rows = cxrun(cx, f"attention heads #1 selection residues {SPEC} minArcs 20")

    assert rows[0]["layer_head"] == expected.best
    assert rows[0]["share"] == pytest.approx(expected.rows[0]["share"], abs=1e-9)
    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected.rows]
    assert [r["n_arcs"] for r in rows] == [r["n_arcs"] for r in expected.rows]
    assert "selection: 6 residues (/B:99-104)" in of_kind(messages, "info")
    # the top head's pairs, drawn on the chain that holds the residues
    (pairs,) = expected.pairs
    want = {(b.a, b.b) for b in pairs.scene.bonds if b.a != b.b}
    g = s.pseudobond_group("attention pairs", create_type=None)
    a, b = g.pseudobonds.atoms
    assert {(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)} == want
    assert want and {k[0].chain for k in want} == {"B"}
    # and the attention each residue receives from it, as attention_selection
    (scores,) = expected.scores
    got = values(s, "attention_selection")
    assert got.keys() == {c.residue for c in scores.scene.residues}
    np.testing.assert_allclose(
        [got[c.residue] for c in scores.scene.residues],
        [c.value for c in scores.scene.residues],
        rtol=1e-6,
    )


def test_heads_with_residues_rank_by_them_without_the_property_word(cx, vfb, cdr_h3):
    open_structure(cx, VFB)
    expected = top_heads(
        [vfb], "selection", "antiberty", selection=cdr_h3.ids, min_arcs=20, draw=False
    )
    rows = cxrun(cx, f"attention heads #1 residues {SPEC} minArcs 20 top 3 draw false")
    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected.rows[:3]]


# --- attention query -----------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["from", "to"])
def test_query_sets_the_cores_values_per_residue(cx, vfb, cdr_h3, direction):
    s = open_structure(cx, VFB)
    expected = query_scores(vfb.chains, HEAD, cdr_h3.ids, direction)
    want = {
        r: float(v)
        for c in vfb.chains
        for r, v in zip(c.residue_ids, expected.scores[c.id])
        if r is not None and np.isfinite(v)
    }
    assert len(want) == sum(1 for r in vfb.chain("B").residue_ids if r)  # chain B only

    cxrun(cx, "select /C:1-5")  # the user's own selection, which the query leaves alone
    mine = selected(s)
    assert len(mine) == 5
    with log_of(cx) as messages:
        coloured = cxrun(
            cx, f"attention query #1 residues {SPEC} layerHead {HEAD} direction {direction}"
        )

    got = values(s, QUERY)
    assert got.keys() == want.keys() and len(coloured) == len(want)
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-6)
    assert not values(s, "attention")  # attention color's values are not touched
    # the colours are the core's scene colours
    scene = {c.residue: c for c in expected.scene.residues}
    residues = [r for r in s.residues if rid(r) in scene]
    ribbon = np.array([r.ribbon_color for r in residues], dtype=float)
    np.testing.assert_allclose(
        ribbon, [np.asarray(scene[rid(r)].rgba) * 255 for r in residues], atol=2.0
    )
    # the selection is the user's still; the residues asked about are shown as sticks, and
    # the log says so, with one line of scale
    assert selected(s) == mine
    asked = s.residues.filter([rid(r) in cdr_h3.ids for r in s.residues])
    assert len(asked) == len(cdr_h3)
    heavy = asked.atoms.filter(asked.atoms.element_names != "H")
    assert heavy.displays.all() and (heavy.draw_modes == heavy[0].STICK_STYLE).all()
    info = of_kind(messages, "info")
    assert any("6 residues of the query (/B:99-104) shown as sticks" in m for m in info)
    assert any("your selection is left as it was" in m for m in info)
    scale = [m for m in info if m.startswith(f"{s}: ") and "colour " in m]
    assert len(scale) == 1 and expected.scene.scale_text() in scale[0]
    assert f"{len(cdr_h3)} selected residues" in scale[0]


def test_query_of_concatenated_chains_colours_the_antigen_too(cx, vfb, cdr_h3):
    s = open_structure(cx, VFB)
    expected = query_scores(vfb.chains, HEAD, cdr_h3.ids, "from", concatenate=True)
    cxrun(cx, f"attention query #1 residues {SPEC} layerHead {HEAD} concatenate true")
    got = values(s, QUERY)
    assert {k.chain for k in got} == {"A", "B", "C"}
    want = {
        r: float(v)
        for c in vfb.chains
        for r, v in zip(c.residue_ids, expected.scores[c.id])
        if r is not None
    }
    assert got.keys() == want.keys()
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-6)


def test_query_key_true_leaves_a_colour_key_titled_with_the_query(cx):
    from chimerax.color_key.model import get_model
    from chimerax.label.label2d import find_label

    open_structure(cx, VFB)
    cxrun(cx, f"attention query #1 residues {SPEC} layerHead {HEAD} direction to key true")
    assert get_model(cx, create=False) is not None
    title = find_label(cx, "protattn_color_title")
    assert title is not None
    assert title.text == (f"antiberty: {HEAD}: share of attention given to the 6 selected residues")
    assert find_label(cx, "protattn_color_scale") is not None
    cxrun(cx, "attention clear")
    assert get_model(cx, create=False) is None
    assert find_label(cx, "protattn_color_title") is None


def test_query_attribute_and_palette_reach_the_drawing(cx, vfb, cdr_h3):
    s = open_structure(cx, VFB)
    expected = query_scores(
        vfb.chains, HEAD, cdr_h3.ids, "from", palette="viridis", value_range="full"
    )
    cxrun(
        cx,
        f"attention query #1/B residues {SPEC} layerHead {HEAD} palette viridis range full "
        "attribute attention_h3",
    )
    got = values(s, "attention_h3")
    assert got and not values(s, QUERY)
    scene = {c.residue: c for c in expected.scene.residues}
    residues = [r for r in s.residues if rid(r) in got]
    np.testing.assert_allclose(
        [r.ribbon_color for r in residues],
        [np.asarray(scene[rid(r)].rgba) * 255 for r in residues],
        atol=2.0,
    )


# --- bad input: one UserError, nothing changed ---------------------------------------------

BAD = [
    (f"attention query #1 residues /B:999 layerHead {HEAD}", "matches no residue"),
    (f"attention query #1 residues #2 layerHead {HEAD}", "matches no residue"),
    (f"attention query #1 residues :HOH layerHead {HEAD}", "no residue of the protein chains"),
    (f"attention query #1/A residues {SPEC} layerHead {HEAD}", "no residue of the protein"),
    (f"attention query #1 residues {SPEC} layerHead {HEAD} direction sideways", "direction"),
    (f"attention query #1 residues {SPEC} layerHead 13-1", "layers 1-8"),
    (f"attention query #1 residues {SPEC} layerHead x-y", "not understood"),
    (f"attention query #1 residues {SPEC} layerHead {HEAD} attribute 2x", "attribute name"),
    (f"attention query #1 residues {SPEC}", "layer_head"),
    (f"attention query #1 layerHead {HEAD}", "residues"),
    (f"attention query #9 residues {SPEC} layerHead {HEAD}", "nothing matches"),
    ("attention heads #1 selection residues /B:999", "matches no residue"),
    ("attention heads #1 residues :HOH", "no residue of the protein chains"),
    ("attention heads #1 selection", "needs your residues"),
    (f"attention heads #1 contact residues {SPEC}", "residues of the property selection"),
    (f"attention heads #1 residues {SPEC} threshold 1.5", "threshold"),
]


@pytest.mark.parametrize(("command", "message"), BAD)
def test_bad_input_is_one_user_error_and_changes_nothing(cx, command, message):
    from chimerax.core.errors import UserError

    s = open_structure(cx, VFB)
    assert any(r.name == "HOH" for r in s.residues)
    cxrun(cx, "attention color #1/A layerHead 6-3")  # an earlier drawing, to be kept
    cxrun(cx, "select /C:1-5")
    before = state(cx, s)

    with pytest.raises(UserError, match=message):
        cxrun(cx, command)

    assert_same_state(before, state(cx, s))


def test_residues_of_another_structure_are_refused(cx):
    from chimerax.core.errors import UserError

    s = open_structure(cx, VFB)
    open_structure(cx, HPX)
    before = state(cx, s)
    with pytest.raises(UserError, match="no residue of the protein chains"):
        cxrun(cx, "attention heads #1 residues #2/A:25-30")
    with pytest.raises(UserError, match="#2.*protein chains"):
        cxrun(cx, f"attention query #1,2 residues #1{SPEC} layerHead {HEAD}")
    assert_same_state(before, state(cx, s))
