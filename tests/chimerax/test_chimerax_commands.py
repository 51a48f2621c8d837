"""The ``attention`` commands in a real headless ChimeraX, on real structures.

What ChimeraX draws is read back from the session (pseudobonds, their colours
and radii, residue attributes, ribbon colours, a rendered image) and compared
with what the core computes on the same file read independently with
:func:`protattn.read_structure`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, STRUCTURES, VFB, cxrun, open_structure, rid

import protattn
from protattn import ResidueId

HEAD = "6-3"
GROUP = "attention pairs"


def pair_keys(pbonds) -> list[tuple[ResidueId, ResidueId]]:
    a, b = pbonds.atoms
    return [(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)]


def group(structure, name: str = GROUP):
    return structure.pseudobond_group(name, create_type=None)


def core_bonds(path: Path, chains: str | None = None, **options) -> dict:
    """The core's drawable pairs for a file: (residue a, residue b) -> PseudoBond."""
    structure = protattn.read_structure(path)
    selected = [c for c in structure.chains if chains is None or c.id in chains]
    result = protattn.compute_pairs(selected, HEAD, **options)
    return {(b.a, b.b): b for b in result.scene.bonds}


def core_bonds_for(path: Path, layer_head: str, **options) -> dict:
    """Like core_bonds, for any head."""
    result = protattn.compute_pairs(protattn.read_structure(path).chains, layer_head, **options)
    return {(b.a, b.b): b for b in result.scene.bonds}


def assert_same_sequences(structure, path: Path) -> None:
    """ChimeraX's chain sequences are the file's SEQRES / entity sequences."""
    read = protattn.read_structure(path)
    for chain in structure.chains:
        assert chain.characters == read.chain(chain.chain_id).sequence, chain.chain_id


def test_pairs_match_the_core_with_its_colours_and_radii(cx):
    s = open_structure(cx, HPX)
    assert_same_sequences(s, HPX)
    expected = core_bonds(HPX)
    assert len(expected) > 20

    pbonds = cxrun(cx, f"attention pairs #1 layerHead {HEAD}")

    g = group(s)
    assert g.num_pseudobonds == len(expected) == len(pbonds)
    keys = pair_keys(g.pseudobonds)
    assert set(keys) == set(expected)
    assert {a.name for a in g.pseudobonds.atoms[0] | g.pseudobonds.atoms[1]} == {"CA"}
    want_rgba = np.array([np.round(np.asarray(expected[k].rgba) * 255) for k in keys])
    np.testing.assert_array_equal(g.pseudobonds.colors, want_rgba)
    np.testing.assert_allclose(g.pseudobonds.radii, [expected[k].radius for k in keys], rtol=1e-6)
    assert len(np.unique(g.pseudobonds.colors, axis=0)) > 5  # weights are told apart


def test_pairs_on_a_fixed_scale_match_the_core_and_log_it(cx):
    s = open_structure(cx, HPX)
    expected = core_bonds(HPX, value_range="full", radius=0.2)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} range full radius 0.2")
    g = group(s)
    keys = pair_keys(g.pseudobonds)
    want_rgba = np.array([np.round(np.asarray(expected[k].rgba) * 255) for k in keys])
    np.testing.assert_array_equal(g.pseudobonds.colors, want_rgba)
    np.testing.assert_allclose(g.pseudobonds.radii, 0.2, rtol=1e-6)


def test_pairs_rerun_replaces_and_replace_false_adds(cx):
    s = open_structure(cx, HPX)
    first = len(cxrun(cx, f"attention pairs #1 layerHead {HEAD}"))
    cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
    assert group(s).num_pseudobonds == first
    assert [m.name for m in cx.models.list() if m.name == GROUP] == [GROUP]
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} replace false")
    assert group(s).num_pseudobonds == 2 * first


def test_pairs_options_reach_the_core(cx):
    s = open_structure(cx, HPX)
    options = dict(top_k=7, min_separation=6, symmetrize="mean", palette="viridis")
    expected = core_bonds(HPX, **options)
    assert len(expected) == 14  # 7 per chain, all residues observed

    cxrun(
        cx,
        f"attention pairs #1 layerHead {HEAD} topK 7 minSeparation 6 "
        "symmetrize mean palette viridis name top7",
    )

    assert group(s) is None
    assert set(pair_keys(group(s, "top7").pseudobonds)) == set(expected)


def test_pairs_threshold_reaches_the_core(cx):
    s = open_structure(cx, HPX)
    expected = core_bonds(HPX, threshold=0.3)
    assert 0 < len(expected) < len(core_bonds(HPX))
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.3")
    assert set(pair_keys(group(s).pseudobonds)) == set(expected)


def test_pairs_on_an_antibody_with_its_antigen(cx):
    s = open_structure(cx, VFB)
    assert_same_sequences(s, VFB)
    expected = core_bonds(VFB)
    assert {k[0].chain for k in expected} == {"A", "B", "C"}

    cxrun(cx, f"attention pairs #1 layerHead {HEAD}")

    assert set(pair_keys(group(s).pseudobonds)) == set(expected)


def test_concatenated_chains_draw_pairs_between_chains(cx):
    s = open_structure(cx, VFB)
    expected = core_bonds(VFB, chains="AB", top_k=40, concatenate=True)
    between = {k for k in expected if k[0].chain != k[1].chain}
    assert between and {k[0].chain for k in expected} <= {"A", "B"}

    cxrun(cx, f"attention pairs #1/A,B layerHead {HEAD} topK 40 concatenate true")

    drawn = set(pair_keys(group(s).pseudobonds))
    assert drawn == set(expected)
    assert between <= drawn


def test_window_options_reach_the_core(cx):
    s = open_structure(cx, HPX)
    expected = core_bonds(HPX, top_k=50, window=40, stride=20)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 50 window 40 stride 20")
    drawn = set(pair_keys(group(s).pseudobonds))
    assert drawn == set(expected) and len(drawn) == 100
    assert all(abs(a.number - b.number) < 40 for a, b in drawn)


def test_partial_selection_runs_the_whole_chain_and_draws_inside_it(cx):
    s = open_structure(cx, VFB)
    whole_chain = core_bonds(VFB, chains="B")
    inside = {k for k in whole_chain if k[0].number <= 60 and k[1].number <= 60}
    assert 0 < len(inside) < len(whole_chain)

    cxrun(cx, f"attention pairs #1/B:1-60 layerHead {HEAD}")

    assert set(pair_keys(group(s).pseudobonds)) == inside


def test_color_sets_the_attribute_and_chimerax_colours_by_it(cx):
    s = open_structure(cx, HPX)
    read = protattn.read_structure(HPX)
    scene = protattn.compute_scores(read.chains, HEAD).scene
    expected = {c.residue: c for c in scene.residues}
    from chimerax.atomic import Residue

    others = s.residues.filter(s.residues.polymer_types != Residue.PT_AMINO)  # water, inhibitor
    other_colours = others.ribbon_colors.copy(), others.atoms.colors.copy()

    coloured = cxrun(cx, f"attention color #1 layerHead {HEAD}")

    protein = [r for r in s.residues if rid(r) in expected]
    assert len(coloured) == len(protein) == len(expected) == 198
    values = np.array([r.attention for r in protein])
    np.testing.assert_allclose(values, [expected[rid(r)].value for r in protein], rtol=1e-6)
    ribbon = np.array([r.ribbon_color for r in protein], dtype=float)
    want = np.array([np.asarray(expected[rid(r)].rgba) * 255 for r in protein])
    np.testing.assert_allclose(ribbon, want, atol=2.0)  # ChimeraX's palette = the core's
    low, high = ribbon[values.argmin()], ribbon[values.argmax()]
    assert np.abs(low - high).sum() > 150  # cream against dark red (the attention palette)
    np.testing.assert_array_equal(others.ribbon_colors, other_colours[0])
    np.testing.assert_array_equal(others.atoms.colors, other_colours[1])


def test_color_of_a_selection_leaves_the_rest_alone(cx):
    s = open_structure(cx, HPX)
    before = s.residues.ribbon_colors.copy()
    cxrun(cx, f"attention color #1/A:1-20 layerHead {HEAD}")
    inside = np.array([r.chain_id == "A" and r.number <= 20 for r in s.residues])
    has_value = np.array([hasattr(r, "attention") for r in s.residues])
    np.testing.assert_array_equal(has_value, inside)
    np.testing.assert_array_equal(s.residues.ribbon_colors[~inside], before[~inside])
    assert (s.residues.ribbon_colors[inside] != before[inside]).any()


def test_clear_removes_pairs_and_values(cx):
    s = open_structure(cx, HPX)
    models = cx.models.list()
    cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 3 name top3")
    cxrun(cx, f"attention color #1 layerHead {HEAD}")
    chain_b = sum(1 for k in pair_keys(group(s).pseudobonds) if k[0].chain == "B")

    cxrun(cx, "attention clear #1/A")
    assert {k[0].chain for k in pair_keys(group(s).pseudobonds)} == {"B"}
    assert group(s).num_pseudobonds == chain_b
    assert not any(hasattr(r, "attention") for r in s.residues if r.chain_id == "A")
    assert any(hasattr(r, "attention") for r in s.residues if r.chain_id == "B")

    cxrun(cx, "attention clear")
    assert group(s) is None and group(s, "top3") is None
    assert not any(hasattr(r, "attention") for r in s.residues)
    assert cx.models.list() == models


BAD_COMMANDS = [
    (f"attention pairs #1 & ~protein layerHead {HEAD}", "protein"),
    (f"attention pairs #2 layerHead {HEAD}", "protein"),  # no such model: nothing specified
    ("attention pairs #1 layerHead 13-1", "layers 1-8"),
    ("attention pairs #1 layerHead 6-9", "heads 1-8"),
    ("attention pairs #1 layerHead x-y", "not understood"),
    (f"attention pairs #1 layerHead {HEAD} model esm9", "unknown model"),
    (f"attention color #1 & ligand layerHead {HEAD}", "protein"),
    ("attention color #1 layerHead 13-1", "layers 1-8"),
    ("attention color #1 layerHead x-y", "not understood"),
    (f"attention pairs #1 layerHead {HEAD} range 0.4,0.2", "lo < hi"),
    (f"attention pairs #1 layerHead {HEAD} radius thick", "radius"),
]


@pytest.mark.parametrize(("command", "message"), BAD_COMMANDS)
def test_bad_input_raises_user_error_and_changes_nothing(cx, command, message):
    from chimerax.core.errors import UserError

    s = open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 2 name earlier")
    earlier = pair_keys(group(s, "earlier").pseudobonds)
    colours = s.residues.ribbon_colors.copy()
    models = cx.models.list()

    with pytest.raises(UserError, match=message):
        cxrun(cx, command)

    assert group(s) is None
    assert pair_keys(group(s, "earlier").pseudobonds) == earlier
    np.testing.assert_array_equal(s.residues.ribbon_colors, colours)
    assert not any(hasattr(r, "attention") for r in s.residues)
    assert cx.models.list() == models


def test_bad_option_value_is_refused_by_the_parser(cx):
    from chimerax.core.errors import UserError

    s = open_structure(cx, HPX)
    for command in (
        f"attention pairs #1 layerHead {HEAD} symmetrize median",
        f"attention pairs #1 layerHead {HEAD} minSeparation 1.5",
        f"attention color #1 layerHead {HEAD} palette blue:nosuchcolour",
        f"attention color #1 layerHead {HEAD} range low,high",
        "attention pairs #1",
    ):
        with pytest.raises(UserError):
            cxrun(cx, command)
    assert group(s) is None


def test_saved_image_shows_the_pairs(cx, tmp_path):
    from PIL import Image, ImageChops

    open_structure(cx, HPX)
    cxrun(cx, "view; lighting simple")
    cxrun(cx, f"attention color #1 layerHead {HEAD} palette blue_white_red")
    without = tmp_path / "without-pairs.png"
    cxrun(cx, f"save {without} width 480 height 360 supersample 2")
    cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
    with_pairs = tmp_path / "with-pairs.png"
    cxrun(cx, f"save {with_pairs} width 480 height 360 supersample 2")

    assert with_pairs.stat().st_size > 20_000
    image = Image.open(with_pairs).convert("RGB")
    assert image.size == (480, 360)
    assert len(image.getcolors(maxcolors=480 * 360)) > 500  # shaded, not one flat colour
    changed = ImageChops.difference(image, Image.open(without).convert("RGB")).convert("L")
    assert sum(1 for v in changed.getdata() if v > 30) > 500  # the pseudobonds are drawn


def test_heads_ranks_with_chimeraxs_ligands_and_draws_the_top_head(cx):
    from protattn.api.report import rank_heads
    from protattn.api.stats import head_statistics

    s = open_structure(cx, HPX)
    expected = rank_heads(
        head_statistics([protattn.read_structure(HPX)], "antiberty", ["binding_site"], min_arcs=20),
        "binding_site",
        5,
    )
    assert expected

    rows = cxrun(cx, "attention heads #1 binding_site top 5 minArcs 20")

    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected]
    assert [r["n_arcs"] for r in rows] == [r["n_arcs"] for r in expected]
    top = core_bonds_for(HPX, rows[0]["layer_head"], threshold=0.3)
    assert set(pair_keys(group(s).pseudobonds)) == set(top)
    # the property's own residue attribute: attention received from the top head
    got = residue_values(s, "attention_binding_site")
    want = core_values(HPX, rows[0]["layer_head"])
    assert got.keys() == want.keys() and len(got) == 198
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-6)
    assert not residue_values(s, "attention")  # `attention color`'s values are not touched
    cut = float(f"{np.median(list(got.values())):.6g}")
    assert selected_residues(cx, s, f"select ::attention_binding_site>{cut}") == {
        k for k, v in got.items() if v > cut
    }
    cxrun(cx, "attention heads #1 helix top 3 minArcs 5")
    assert residue_values(s, "attention_helix") and residue_values(s, "attention_binding_site")
    cxrun(cx, "attention clear")
    assert not residue_values(s, "attention_binding_site")
    assert not residue_values(s, "attention_helix")


def test_contacts_draws_predictions_blue_and_magenta(cx):
    from protattn.api.contacts import predict_contacts

    s = open_structure(cx, HPX)
    chain = protattn.read_structure(HPX).chain("A")
    expected = predict_contacts(chain, "antiberty", heads=["3-2", "5-4"])
    cxrun(cx, "attention contacts #1/A heads 3-2,5-4")
    pbonds = group(s, "attention contacts").pseudobonds
    keys = pair_keys(pbonds)
    assert set(keys) == {(p.residue_i, p.residue_j) for p in expected.pairs}
    blue = np.round(np.asarray(protattn.scene.CONTACT_COLORS[True]) * 255)
    magenta = np.round(np.asarray(protattn.scene.CONTACT_COLORS[False]) * 255)
    truth = {(p.residue_i, p.residue_j): p.contact for p in expected.pairs}
    for key, color in zip(keys, pbonds.colors):
        assert (color == (blue if truth[key] else magenta)).all()
    cxrun(cx, "attention clear")
    assert group(s, "attention contacts") is None


def test_stats_logs_the_table_and_heatmap_and_returns_the_statistics(cx):
    from protattn.api.stats import head_statistics

    open_structure(cx, HPX)
    logged = []
    cx.logger.info = lambda msg, *a, **k: logged.append((msg, k.get("is_html", False)))
    try:
        stats = cxrun(cx, "attention stats #1 binding_site minArcs 20")
    finally:
        del cx.logger.info
    expected = head_statistics(
        [protattn.read_structure(HPX)], "antiberty", ["binding_site"], min_arcs=20
    )
    np.testing.assert_array_equal(stats["binding_site"].n_arcs, expected["binding_site"].n_arcs)
    html_messages = [m for m, is_html in logged if is_html]
    assert html_messages and "data:image/png;base64," in html_messages[-1]
    assert expected.ranking("binding_site")[0]["layer_head"] in html_messages[-1]


def test_heads_and_stats_take_the_definition(cx):
    from chimerax.core.errors import UserError

    from protattn.api.stats import head_statistics

    open_structure(cx, HPX)
    for definition in ("paper", "judged"):
        expected = head_statistics(
            [protattn.read_structure(HPX)],
            "antiberty",
            ["contact"],
            min_arcs=20,
            definition=definition,
        )
        rows = cxrun(
            cx, f"attention heads #1 contact top 3 minArcs 20 draw false definition {definition}"
        )
        assert [r["layer_head"] for r in rows] == [
            r["layer_head"] for r in expected.ranking("contact")[:3]
        ]
        assert {r["definition"] for r in rows} == {definition}
        stats = cxrun(cx, f"attention stats #1 contact minArcs 20 definition {definition}")
        assert stats.definition == definition
        np.testing.assert_array_equal(stats["contact"].n_arcs, expected["contact"].n_arcs)
    with pytest.raises(UserError, match="paper|judged"):
        cxrun(cx, "attention heads #1 contact definition mine")


# ---------------------------------------------------------------------------------------
# attention models; pairs dashes / colorBy; named residue attributes; attention save;
# sessions (.cxs) keep what the commands drew.

JRH = STRUCTURES / "antibody" / "1JRH.cif"  # Fab A6 (H, L; Kabat insertion codes) + receptor (I)
ROOT = Path(__file__).resolve().parents[2]
CONTACT_LINE = re.compile(r"^/(\w):(-?\d+)([A-Za-z]?) /(\w):(-?\d+)([A-Za-z]?) (\d+\.\d\d)$")


@contextmanager
def logged(session):
    """The (message, is_html) pairs logged with ``logger.info`` inside the block."""
    messages = []
    session.logger.info = lambda msg, *a, **k: messages.append((msg, k.get("is_html", False)))
    try:
        yield messages
    finally:
        del session.logger.info


def core_values(path: Path, layer_head: str, chains: str | None = None) -> dict:
    """The core's attention received per residue: ResidueId -> value."""
    read = protattn.read_structure(path)
    selected = [c for c in read.chains if chains is None or c.id in chains]
    return {
        c.residue: c.value for c in protattn.compute_scores(selected, layer_head).scene.residues
    }


def residue_values(structure, attribute: str) -> dict:
    return {rid(r): getattr(r, attribute) for r in structure.residues if hasattr(r, attribute)}


def drawn_state(structure) -> dict:
    """Every attention group of a structure: dashes and pair -> (colour, radius, weight)."""
    state = {}
    for name, g in structure.pbg_map.items():
        pbonds = g.pseudobonds
        state[name] = (
            g.dashes,
            {
                key: (tuple(int(v) for v in colour), round(float(radius), 6), p.attention_weight)
                for key, colour, radius, p in zip(
                    pair_keys(pbonds), pbonds.colors, pbonds.radii, pbonds
                )
            },
        )
    return state


def selected_residues(session, structure, command: str) -> set:
    cxrun(session, command)
    atoms = structure.atoms
    chosen = {rid(r) for r in atoms[atoms.selected].unique_residues}
    cxrun(session, "select clear")
    return chosen


def test_models_logs_the_table_and_returns_statuses(cx):
    from protattn.lm.registry import MODELS, model_status

    with logged(cx) as messages:
        status = cxrun(cx, "attention models")

    assert status == {name: model_status(name) for name in MODELS}
    assert status["antiberty"] == "package"  # the weights ship in antiberty 0.1.3
    assert len(messages) == 1 and messages[0][1]  # one HTML message: the table and a summary
    table = messages[0][0]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    rows = [row for row in rows if row]
    assert [row[:4] for row in rows] == [
        [
            name,
            spec.parameters,
            spec.family,
            {"package": "yes (package)", "cache": "yes (cache)", "missing": "no"}[status[name]],
        ]
        for name, spec in MODELS.items()
    ]
    offline = sum(v != "missing" for v in status.values())
    assert f"{len(MODELS)} known models, {offline} available offline" in table


def test_pairs_dashes_and_colour_by_contact(cx):
    from protattn.scene import CONTACT_COLORS

    s = open_structure(cx, HPX)
    expected = core_bonds(HPX, color_by="contact")

    cxrun(cx, f"attention pairs #1 layerHead {HEAD} dashes 6 colorBy contact")

    g = group(s)
    assert g.dashes == 6
    keys = pair_keys(g.pseudobonds)
    assert set(keys) == set(expected)
    want = np.array(
        [np.round(np.asarray(CONTACT_COLORS[bool(expected[k].contact)]) * 255) for k in keys]
    )
    np.testing.assert_array_equal(g.pseudobonds.colors, want)
    assert {bool(expected[k].contact) for k in keys} == {True, False}  # blue and magenta both
    np.testing.assert_allclose(
        [p.attention_weight for p in g.pseudobonds], [expected[k].weight for k in keys], rtol=1e-6
    )

    cxrun(cx, f"attention pairs #1 layerHead {HEAD}")  # defaults: solid, by weight
    g = group(s)
    assert g.dashes == 0
    by_weight = core_bonds(HPX)
    keys = pair_keys(g.pseudobonds)
    np.testing.assert_array_equal(
        g.pseudobonds.colors,
        np.array([np.round(np.asarray(by_weight[k].rgba) * 255) for k in keys]),
    )


def test_bad_dashes_and_colour_by_are_refused(cx):
    from chimerax.core.errors import UserError

    s = open_structure(cx, HPX)
    for command in (
        f"attention pairs #1 layerHead {HEAD} dashes -1",
        f"attention pairs #1 layerHead {HEAD} colorBy distance",
    ):
        with pytest.raises(UserError):
            cxrun(cx, command)
    assert group(s) is None


def test_color_keeps_several_named_attributes_that_select_and_clear_see(cx):
    from chimerax.atomic import Residue
    from chimerax.core.attributes import MANAGER_NAME

    s = open_structure(cx, HPX)
    cxrun(cx, f"attention color #1 layerHead {HEAD}")
    cxrun(cx, "attention color #1/B layerHead 8-mean attribute attention_8_mean")

    expected = core_values(HPX, HEAD)
    assert residue_values(s, "attention").keys() == expected.keys()
    np.testing.assert_allclose(
        [residue_values(s, "attention")[k] for k in expected], list(expected.values()), rtol=1e-6
    )
    eight = core_values(HPX, "8-mean", chains="B")
    got = residue_values(s, "attention_8_mean")
    assert got.keys() == eight.keys() and {k.chain for k in got} == {"B"}
    np.testing.assert_allclose([got[k] for k in eight], list(eight.values()), rtol=1e-6)
    assert not np.allclose([got[k] for k in eight], [expected[k] for k in eight])

    floats = cx.get_state_manager(MANAGER_NAME).attributes_returning(Residue, [float])
    assert {"attention", "attention_8_mean"} <= set(floats)
    cut = float(f"{np.median(list(got.values())):.6g}")
    assert selected_residues(cx, s, f"select ::attention_8_mean>{cut}") == {
        k for k, v in got.items() if v > cut
    }

    cxrun(cx, "attention clear #1/B")
    assert not residue_values(s, "attention_8_mean")
    assert {k.chain for k in residue_values(s, "attention")} == {"A"}
    cxrun(cx, "attention clear")
    assert not residue_values(s, "attention")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("number", "built-in residue attribute"),  # would overwrite residue numbers
        ("8mean", "not an attribute name"),
        ("class", "not an attribute name"),
        ("protattn_test_text", "another type"),
    ],
)
def test_bad_attribute_names_are_refused_before_anything_changes(cx, name, message):
    from chimerax.atomic import Residue
    from chimerax.core.errors import UserError

    Residue.register_attr(cx, "protattn_test_text", "tests", attr_type=str)
    s = open_structure(cx, HPX)
    numbers, colours = s.residues.numbers.copy(), s.residues.ribbon_colors.copy()

    with pytest.raises(UserError, match=message):
        cxrun(cx, f"attention color #1 layerHead {HEAD} attribute {name}")

    np.testing.assert_array_equal(s.residues.numbers, numbers)
    np.testing.assert_array_equal(s.residues.ribbon_colors, colours)
    assert not residue_values(s, "attention")


def test_save_defattr_is_read_back_by_chimerax(cx, tmp_path):
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention color #1/A layerHead {HEAD}")
    cxrun(cx, "attention color #1 layerHead 8-mean attribute attention_8_mean")
    values, eight = residue_values(s, "attention"), residue_values(s, "attention_8_mean")
    assert len(values) == 99 and len(eight) == 198
    path, path8 = tmp_path / "attention.defattr", tmp_path / "eight.defattr"

    with logged(cx) as messages:
        written = cxrun(cx, f"attention save {path}")
    cxrun(cx, f"attention save {path8} format defattr attribute attention_8_mean")

    assert {rid(r) for r in written} == values.keys()
    assert [m for m, _ in messages] == [
        f"saved attribute attention of 99 residues of {s} (defattr) to {path}"
    ]
    lines = path.read_text().splitlines()
    assert lines[:3] == ["attribute: attention", "recipient: residues", "match mode: 1-to-1"]
    assert len(lines) == 3 + 99
    assert all(re.fullmatch(r"\t/A:\d+\t\S+", line) for line in lines[3:])  # one structure

    cxrun(cx, "close session")
    s = open_structure(cx, HPX)
    assert not residue_values(s, "attention") and not residue_values(s, "attention_8_mean")
    cxrun(cx, f"open {path}")
    cxrun(cx, f"open {path8}")
    assert residue_values(s, "attention") == values  # exact: values are written with repr
    assert residue_values(s, "attention_8_mean") == eight


def test_save_defattr_of_several_structures_names_the_models(cx, tmp_path):
    first, second = open_structure(cx, HPX), open_structure(cx, HPX)
    cxrun(cx, f"attention color #1/A layerHead {HEAD}")
    cxrun(cx, "attention color #2/B layerHead 8-mean")
    values = residue_values(first, "attention"), residue_values(second, "attention")
    both, only2 = tmp_path / "both.defattr", tmp_path / "two.defattr"

    cxrun(cx, f"attention save {both}")
    cxrun(cx, f"attention save {only2} models #2")

    lines = both.read_text().splitlines()[3:]
    assert sum(line.startswith("\t#1/A:") for line in lines) == 99
    assert sum(line.startswith("\t#2/B:") for line in lines) == 99 == len(lines) - 99
    assert all(line.startswith("\t/B:") for line in only2.read_text().splitlines()[3:])

    cxrun(cx, "close session")
    first, second = open_structure(cx, HPX), open_structure(cx, HPX)
    cxrun(cx, f"open {both}")
    assert (residue_values(first, "attention"), residue_values(second, "attention")) == values
    cxrun(cx, "attention clear")
    cxrun(cx, f"open {only2} models #1")  # a one-structure file goes onto any structure
    assert residue_values(first, "attention") == values[1]
    assert not residue_values(second, "attention")


def test_save_contacts_writes_alphafold_contacts_lines(cx, tmp_path):
    from chimerax.core.errors import UserError

    s = open_structure(cx, JRH)
    expected = core_bonds(JRH)
    assert any(a.icode or b.icode for a, b in expected)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
    cxrun(cx, f"attention pairs #1/H layerHead {HEAD} topK 5 name top5")
    top5 = pair_keys(group(s, "top5").pseudobonds)
    path, path5 = tmp_path / "contacts.txt", tmp_path / "top5.txt"

    written = cxrun(cx, f'attention save {path} format contacts name "attention pairs"')
    cxrun(cx, f"attention save {path5} format contacts name top5")

    text = path.read_text()
    assert not text.endswith("\n")  # as alphafold contacts: lines joined by newlines
    lines = text.split("\n")
    assert len(lines) == len(written) == len(expected)
    saved = {}
    for line, pbond in zip(lines, written):
        found = CONTACT_LINE.fullmatch(line)
        assert found, line
        c1, n1, i1, c2, n2, i2, weight = found.groups()
        key = (ResidueId(c1, int(n1), i1), ResidueId(c2, int(n2), i2))
        saved[key] = weight
        r1, r2 = (a.residue for a in pbond.atoms)
        assert key == (rid(r1), rid(r2))
        if not (i1 or i2):  # alphafold/src/contacts.py's own line template
            assert line == (
                f"/{r1.chain_id}:{r1.number} /{r2.chain_id}:{r2.number} %.2f"
                % pbond.attention_weight
            )
    assert saved == {k: f"{b.weight:.2f}" for k, b in expected.items()}
    assert any(i for k in saved for i in (k[0].icode, k[1].icode))
    assert [tuple(map(str, k)) for k in top5] == [
        tuple(spec.lstrip("/") for spec in line.split()[:2])
        for line in path5.read_text().split("\n")
    ]

    every = tmp_path / "every.txt"  # two groups: one must be named, nothing is merged
    with pytest.raises(UserError, match=r"2 attention groups \('attention pairs', 'top5'\)"):
        cxrun(cx, f"attention save {every} format contacts")
    assert not every.exists()


def test_save_errors_raise_user_error_and_write_nothing(cx, tmp_path):
    from chimerax.core.errors import UserError

    out = tmp_path / "out"
    out.mkdir()
    open_structure(cx, HPX)
    for command, message in [
        (f"attention save {out}/x.defattr", "attention color"),  # nothing coloured yet
        (f"attention save {out}/x.txt format contacts", "attention pairs"),  # nothing drawn
    ]:
        with pytest.raises(UserError, match=message):
            cxrun(cx, command)
    open_structure(cx, HPX)
    cxrun(cx, f"attention color #1 layerHead {HEAD}")
    cxrun(cx, f"attention pairs #1,2 layerHead {HEAD}")
    for command, message in [
        (f"attention save {out}/no/such/folder/x.defattr", "does not exist"),
        (f"attention save {out}/x.defattr format pdb", "format"),
        (f"attention save {out}", "is a folder"),
        (f"attention save {out}/x.defattr attribute attention_none", "attention color"),
        (f"attention save {out}/x.defattr attribute number", "built-in"),
        (f"attention save {out}/x.txt format contacts", "models #1"),  # two structures
        (f"attention save {out}/x.txt format contacts name nothing", "name 'nothing'"),
        (f"attention save {out}/x.defattr models #2", "attention color"),
    ]:
        with pytest.raises(UserError, match=message):
            cxrun(cx, command)
        assert list(out.iterdir()) == [], command

    cxrun(cx, f"attention save {out}/two.txt format contacts models #2")
    assert [p.name for p in out.iterdir()] == ["two.txt"]


def _draw_for_session(cx):
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} dashes 4")
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 5 palette viridis name top5")
    cxrun(cx, f"attention color #1 layerHead {HEAD}")
    cxrun(cx, "attention color #1/B layerHead 8-mean attribute attention_8_mean")
    return s


def test_session_file_restores_pairs_and_attributes(cx, tmp_path):
    from chimerax.atomic import AtomicStructure

    s = _draw_for_session(cx)
    drawn = drawn_state(s)
    assert set(drawn) == {GROUP, "top5"} and drawn[GROUP][0] == 4 and len(drawn["top5"][1]) == 10
    values, eight = residue_values(s, "attention"), residue_values(s, "attention_8_mean")
    ribbons = s.residues.ribbon_colors.copy()
    before = {g: tmp_path / f"before-{i}.txt" for i, g in enumerate(drawn)}
    for g, path in before.items():
        cxrun(cx, f'attention save {path} format contacts name "{g}"')

    cxrun(cx, f"save {tmp_path / 'x.cxs'}")
    cxrun(cx, "close session")
    assert cx.models.list() == []
    cxrun(cx, f"open {tmp_path / 'x.cxs'}")

    (s,) = [m for m in cx.models.list() if isinstance(m, AtomicStructure)]
    assert drawn_state(s) == drawn  # same pairs, colours, radii, weights and dashes
    assert residue_values(s, "attention") == values
    assert residue_values(s, "attention_8_mean") == eight
    np.testing.assert_array_equal(s.residues.ribbon_colors, ribbons)
    assert selected_residues(cx, s, "select ::attention>0.01") == {
        k for k, v in values.items() if v > 0.01
    }
    for g, path in before.items():
        after = tmp_path / "after.txt"
        cxrun(cx, f'attention save {after} format contacts name "{g}"')
        assert sorted(after.read_text().split("\n")) == sorted(path.read_text().split("\n"))

    cxrun(cx, "attention clear")
    assert cx.models.list() == [s]
    assert not residue_values(s, "attention") and not residue_values(s, "attention_8_mean")


_FRESH_CHIMERAX = """
import json, sys
from cxheadless import make_session
from chimerax.core.commands import run
session = make_session(offscreen=True)
run(session, "open " + sys.argv[1], log=False)
(s,) = [m for m in session.models.list() if m.name == "1HPX.pdb"]
def counts():
    return {"groups": {n: [g.num_pseudobonds, g.dashes] for n, g in s.pbg_map.items()},
            "attention": sum(hasattr(r, "attention") for r in s.residues),
            "attention_8_mean": sum(hasattr(r, "attention_8_mean") for r in s.residues)}
restored = counts()
run(session, "select ::attention_8_mean>0", log=False)
selected = len(s.atoms[s.atoms.selected].unique_residues)
run(session, "attention save " + sys.argv[2] + " format contacts name top5", log=False)
run(session, "attention clear", log=False)
print(json.dumps({"restored": restored, "selected": selected, "cleared": counts(),
                  "models": len(session.models.list())}))
"""


def test_session_file_restores_in_a_fresh_chimerax(cx, tmp_path):
    import json
    import os
    import subprocess
    import sys

    s = _draw_for_session(cx)
    drawn = drawn_state(s)
    n_eight = len(residue_values(s, "attention_8_mean"))
    top5 = tmp_path / "top5.txt"
    cxrun(cx, f"attention save {top5} format contacts name top5")
    cxrun(cx, f"save {tmp_path / 'x.cxs'}")

    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "core"), str(ROOT.parent / "shared" / "chimerax")]),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _FRESH_CHIMERAX,
            str(tmp_path / "x.cxs"),
            str(tmp_path / "fresh-top5.txt"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["restored"] == {
        "groups": {name: [len(pairs), dashes] for name, (dashes, pairs) in drawn.items()},
        "attention": 198,
        "attention_8_mean": n_eight,
    }
    assert report["selected"] == n_eight
    # a new process knows "top5" as protattn's from its pseudobonds' registered weights
    assert report["cleared"] == {"groups": {}, "attention": 0, "attention_8_mean": 0}
    assert report["models"] == 1
    assert (tmp_path / "fresh-top5.txt").read_text() == top5.read_text()


def test_clear_removes_an_attribute_that_a_defattr_file_registered_first(cx, tmp_path):
    s = open_structure(cx, HPX)
    path = tmp_path / "first.defattr"
    path.write_text("attribute: attention_from_file\nrecipient: residues\n\t/A:1\t0.5\n")
    cxrun(cx, f"open {path}")  # ChimeraX registers it ("defattr command"), not protattn
    cxrun(cx, f"attention color #1/B layerHead {HEAD} attribute attention_from_file")
    assert len(residue_values(s, "attention_from_file")) == 1 + 99

    cxrun(cx, "attention clear")

    assert not residue_values(s, "attention_from_file")


def test_stats_over_every_structure_shows_its_progress_on_the_status_line(cx):
    open_structure(cx, HPX)
    open_structure(cx, HPX)
    shown = []
    cx.logger.status = lambda msg, *a, **k: shown.append(msg)
    try:
        both = cxrun(cx, "attention stats all contact minArcs 20")
        one = cxrun(cx, "attention stats #1 contact minArcs 20")
    finally:
        del cx.logger.status
    assert both.n_chains == 2 * one.n_chains == 4
    np.testing.assert_array_equal(both["contact"].n_arcs, 2 * one["contact"].n_arcs)
    progress = [m for m in shown if m.startswith("attention stats: ")]
    assert [m.split(" of ")[0] for m in progress[:4]] == [
        f"attention stats: {i}" for i in range(1, 5)
    ]
    assert "4 of 4 chains, " in progress[3] and "chains/s" in progress[3]
    assert "" in shown  # cleared when done
