"""``attention diff`` in headless ChimeraX: a mutant's (or another head's) changes drawn.

On 1VFB (the antibody D1.3: light chain A, heavy chain B, lysozyme C) with real AntiBERTy,
the CDR-H3 tyrosine mutated (B:Y101A): the pseudobonds drawn are the core's
:func:`protattn.api.diff.compare` pairs gained and lost, in its colours; the residue
attribute is its change of attention received; ``versus`` is
:func:`~protattn.api.diff.compare_heads`; ``heads true`` logs
:func:`~protattn.api.diff.head_changes`' top heads. A mutation that does not fit the chain,
or any other bad argument, is one UserError and leaves the session as it was.
"""

from __future__ import annotations

import html

import numpy as np
import pytest
from cxtesting import VFB, cxrun, log_of, of_kind, open_structure, rid, session_inventory

import protattn
from protattn import ResidueId
from protattn.api.diff import GAINED_COLOR, LOST_COLOR, compare, compare_heads, head_changes

HEAD = "6-3"
OTHER = "7-1"
MUTATION = "B:Y101A"
GROUP = "attention diff"
ATTRIBUTE = "attention_diff"


@pytest.fixture(scope="module")
def vfb():
    return protattn.read_structure(VFB)


@pytest.fixture(scope="module")
def mutant(vfb):
    return compare(vfb.chain("B"), MUTATION, HEAD)


def values(structure, attribute: str) -> dict:
    return {rid(r): getattr(r, attribute) for r in structure.residues if hasattr(r, attribute)}


def drawn_pairs(structure, group: str = GROUP) -> dict:
    """(ResidueId, ResidueId) to the pseudobond's colour (RGBA, 0-255)."""
    g = structure.pseudobond_group(group, create_type=None)
    if g is None:
        return {}
    a, b = g.pseudobonds.atoms
    return {
        (rid(x.residue), rid(y.residue)): tuple(int(c) for c in color)
        for x, y, color in zip(a, b, g.pseudobonds.colors)
    }


def expected_pairs(result) -> dict:
    """The core's gained and lost pairs with their colours (RGBA, 0-255)."""
    out = {}
    for pairs, rgba in ((result.gained, GAINED_COLOR), (result.lost, LOST_COLOR)):
        color = tuple(int(round(c * 255)) for c in rgba)
        for p in pairs:
            out[(p.residue_i, p.residue_j)] = color
    return out


def expected_received(result) -> dict:
    return {r: float(v) for r, v in zip(result.residue_ids, result.received) if r is not None}


def state(session, structure) -> dict:
    """What a refused command must leave as it was."""
    atoms = structure.atoms
    return {
        "inventory": session_inventory(session),
        "models": [m.id for m in session.models.list()],
        "ribbons": structure.residues.ribbon_colors.copy(),
        "atoms": atoms.colors.copy(),
        "shown": atoms.displays.copy(),
        "styles": atoms.draw_modes.copy(),
        "selected": atoms.selected.copy(),
        "values": {a: values(structure, a) for a in ("attention", ATTRIBUTE)},
        "pairs": {g: drawn_pairs(structure, g) for g in ("attention pairs", GROUP)},
    }


def assert_same_state(before: dict, after: dict) -> None:
    assert after.keys() == before.keys()
    for k, v in before.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(after[k], v, err_msg=k)
        else:
            assert after[k] == v, k


def test_diff_draws_the_cores_gained_and_lost_pairs_and_change_per_residue(cx, mutant):
    s = open_structure(cx, VFB)
    assert mutant.gained and mutant.lost  # the tyrosine's mutation changes pairs both ways

    with log_of(cx) as messages:
        result = cxrun(cx, f"attention diff #1/B mutations {MUTATION} layerHead {HEAD}")

    assert [p.label() for p in result.gained] == [p.label() for p in mutant.gained]
    assert [p.label() for p in result.lost] == [p.label() for p in mutant.lost]
    # the pseudobonds: exactly the core's gained (red) and lost (blue) pairs
    drawn = drawn_pairs(s)
    want = expected_pairs(mutant)
    assert len(drawn) == len(want) == len(mutant.gained) + len(mutant.lost)
    assert drawn == want
    weights = [
        pb.attention_weight for pb in s.pseudobond_group(GROUP, create_type=None).pseudobonds
    ]
    np.testing.assert_allclose(
        sorted(weights), sorted(p.change for p in (*mutant.gained, *mutant.lost)), rtol=1e-6
    )
    # the residue attribute: the core's change of attention received, every residue of B
    got, received = values(s, ATTRIBUTE), expected_received(mutant)
    assert got.keys() == received.keys()
    np.testing.assert_allclose(
        [got[k] for k in received], list(received.values()), rtol=1e-6, atol=1e-12
    )
    # coloured on the core's diverging scale
    scene = {c.residue: c for c in mutant.residues.residues}
    residues = [r for r in s.residues if rid(r) in scene]
    np.testing.assert_allclose(
        [r.ribbon_color for r in residues],
        [np.asarray(scene[rid(r)].rgba) * 255 for r in residues],
        atol=2.0,
    )
    # the mutated tyrosine's atoms as sticks
    (y101,) = [r for r in s.residues if rid(r) == ResidueId("B", 101)]
    assert y101.name == "TYR"
    heavy = y101.atoms.filter(y101.atoms.element_names != "H")
    assert heavy.displays.all() and (heavy.draw_modes == heavy[0].STICK_STYLE).all()
    # one log line: the summary with both scales; then the tables
    info = of_kind(messages, "info")
    (line,) = [m for m in info if m.startswith(f"{s}: ")]
    assert mutant.summary() in line
    assert mutant.residues.scale_text() in line and "1 mutated residue shown as sticks" in line
    (table,) = [m for m in of_kind(messages, "html") if "<table>" in m]
    assert mutant.gained[0].label() in table and "attention received, change" in table


def test_diff_versus_compares_two_heads(cx, vfb):
    s = open_structure(cx, VFB)
    expected = compare_heads(vfb.chain("B"), HEAD, OTHER)
    assert expected.gained or expected.lost
    result = cxrun(cx, f"attention diff #1/B layerHead {HEAD} versus {OTHER}")
    assert result.mutant is None
    assert drawn_pairs(s) == expected_pairs(expected)
    got, received = values(s, ATTRIBUTE), expected_received(expected)
    assert got.keys() == received.keys()
    np.testing.assert_allclose([got[k] for k in received], list(received.values()), rtol=1e-6)


def test_diff_heads_true_logs_the_head_that_changes_most(cx, vfb):
    open_structure(cx, VFB)
    changes = head_changes(vfb, "B", MUTATION, "antiberty", partners=["C"])
    top = {prop: changes.ranked(prop)[0] for prop in changes.properties if changes.ranked(prop)}
    assert "interface" in top

    with log_of(cx) as messages:
        cxrun(cx, f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} heads true partner C")

    (table,) = [m for m in of_kind(messages, "html") if "wild type -&gt; mutant" in m]
    for prop, row in top.items():
        assert f"{prop} (background {row.background:.3f})" in table
        assert (
            f"<td style='padding: 0 0.8em 0 0'>{row.layer_head}</td>"
            f"<td style='padding: 0 0.8em 0 0'>{row.before:.3f}</td>"
        ) in table
    assert html.escape(changes.summary()) in table


def test_diff_key_true_shows_both_keys_and_attention_clear_removes_them(cx):
    from chimerax.color_key.model import get_model
    from chimerax.label.label2d import find_label

    s = open_structure(cx, VFB)
    cxrun(cx, f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} key true")
    assert get_model(cx, create=False) is not None
    title = find_label(cx, "protattn_pairs_title")
    assert title is not None and title.text.startswith(f"antiberty {HEAD}: change of attention")
    assert "red gained, blue lost" in find_label(cx, "protattn_pairs_scale").text
    assert find_label(cx, "protattn_color_title") is not None
    cxrun(cx, "attention clear")
    assert get_model(cx, create=False) is None and find_label(cx, "protattn_pairs_title") is None
    assert not drawn_pairs(s)


BAD = [
    (f"attention diff #1/B mutations B:W101A layerHead {HEAD}", "residue 101 of chain B is TYR"),
    (f"attention diff #1/B mutations B:Y999A layerHead {HEAD}", "no residue 999"),
    (f"attention diff #1/B mutations A:Y101A layerHead {HEAD}", "names chain A"),
    (f"attention diff #1/B mutations {MUTATION} layerHead 13-1", "layers 1-8"),
    (f"attention diff #1/B mutations {MUTATION} layerHead x-y", "not understood"),
    (f"attention diff #1/B sequence QVQ layerHead {HEAD}", "length|long"),
    (f"attention diff #1 mutations {MUTATION} layerHead {HEAD}", "one protein chain.*#1/B"),
    (f"attention diff #1/B layerHead {HEAD}", "give one of mutations"),
    (f"attention diff #1/B mutations {MUTATION} versus 7-1 layerHead {HEAD}", "not mutations"),
    (f"attention diff #1/B layerHead {HEAD} versus 7-1 heads true", "leave out versus"),
    (f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} partner C", "add heads true"),
    (f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} heads true partner Z", "Z"),
    (f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} threshold 0.2 topK 5", "not both"),
    (f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} threshold 1.5", "threshold"),
    (f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} attribute 2x", "attribute name"),
    (f"attention diff #1/B mutations {MUTATION} layerHead {HEAD} range 1,0", "range"),
    (f"attention diff #1/B mutations {MUTATION}", "layer_head"),
    (f"attention diff #9 mutations {MUTATION} layerHead {HEAD}", "nothing matches"),
]


@pytest.mark.parametrize(("command", "message"), BAD)
def test_bad_input_is_one_user_error_and_changes_nothing(cx, command, message):
    from chimerax.core.errors import UserError

    s = open_structure(cx, VFB)
    cxrun(cx, f"attention diff #1/B layerHead {HEAD} versus {OTHER}")  # earlier drawings, kept
    cxrun(cx, "attention pairs #1/A layerHead 6-3 topK 5")
    cxrun(cx, "select /C:1-5")
    before = state(cx, s)
    assert before["pairs"][GROUP] and before["values"][ATTRIBUTE]

    with pytest.raises(UserError, match=message):
        cxrun(cx, command)

    assert_same_state(before, state(cx, s))
