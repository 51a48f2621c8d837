"""The ``attention`` commands in a real headless ChimeraX, on real structures.

What ChimeraX draws is read back from the session (pseudobonds, their colours
and radii, residue attributes, ribbon colours, a rendered image) and compared
with what the core computes on the same file read independently with
:func:`protattn.read_structure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import protattn
from protattn import ResidueId

STRUCTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "structures"
HPX = STRUCTURES / "ligand" / "1HPX.pdb"  # HIV-1 protease dimer (A, B) with inhibitor KNI-272
VFB = STRUCTURES / "antibody" / "1VFB.cif"  # Fv D1.3 (A light, B heavy) with lysozyme (C)
HEAD = "6-3"
GROUP = "attention pairs"


def cxrun(session, command: str):
    from chimerax.core.commands import run

    return run(session, command, log=False)


def open_structure(session, path: Path):
    (structure,) = cxrun(session, f"open {path}")
    return structure


def rid(residue) -> ResidueId:
    return ResidueId(residue.chain_id, residue.number, residue.insertion_code)


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
    np.testing.assert_allclose(g.pseudobonds.radii, [expected[k].radius for k in keys],
                               rtol=1e-6)
    assert len(np.unique(g.pseudobonds.colors, axis=0)) > 5  # weights are told apart


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

    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 7 minSeparation 6 "
              "symmetrize mean palette viridis name top7")

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
    assert np.abs(low - high).sum() > 150  # white against dark red
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
    for command in (f"attention pairs #1 layerHead {HEAD} symmetrize median",
                    f"attention pairs #1 layerHead {HEAD} minSeparation 0",
                    f"attention color #1 layerHead {HEAD} palette rainbow",
                    "attention pairs #1"):
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
    from protattn.analysis import head_statistics, rank_heads

    s = open_structure(cx, HPX)
    expected = rank_heads(head_statistics([protattn.read_structure(HPX)], "antiberty",
                                          ["binding_site"], min_arcs=20), "binding_site", 5)
    assert expected

    rows = cxrun(cx, "attention heads #1 binding_site top 5 minArcs 20")

    assert [r["layer_head"] for r in rows] == [r["layer_head"] for r in expected]
    assert [r["n_arcs"] for r in rows] == [r["n_arcs"] for r in expected]
    top = core_bonds_for(HPX, rows[0]["layer_head"], threshold=0.3)
    assert set(pair_keys(group(s).pseudobonds)) == set(top)


def test_contacts_draws_predictions_green_and_red(cx):
    from protattn.analysis import predict_contacts

    s = open_structure(cx, HPX)
    chain = protattn.read_structure(HPX).chain("A")
    expected = predict_contacts(chain, "antiberty", heads=["3-2", "5-4"])
    cxrun(cx, "attention contacts #1/A heads 3-2,5-4")
    pbonds = group(s, "attention contacts").pseudobonds
    keys = pair_keys(pbonds)
    assert set(keys) == {(p.residue_i, p.residue_j) for p in expected.pairs}
    green = np.round(np.asarray(protattn.scene.CONTACT_COLORS[True]) * 255)
    truth = {(p.residue_i, p.residue_j): p.contact for p in expected.pairs}
    for key, color in zip(keys, pbonds.colors):
        assert (color == green).all() == bool(truth[key])
    cxrun(cx, "attention clear")
    assert group(s, "attention contacts") is None


def test_stats_logs_the_table_and_heatmap_and_returns_the_statistics(cx):
    from protattn.analysis import head_statistics

    open_structure(cx, HPX)
    logged = []
    cx.logger.info = lambda msg, *a, **k: logged.append((msg, k.get("is_html", False)))
    try:
        stats = cxrun(cx, "attention stats #1 binding_site minArcs 20")
    finally:
        del cx.logger.info
    expected = head_statistics([protattn.read_structure(HPX)], "antiberty", ["binding_site"],
                               min_arcs=20)
    np.testing.assert_array_equal(stats["binding_site"].n_arcs,
                                  expected["binding_site"].n_arcs)
    html_messages = [m for m, is_html in logged if is_html]
    assert html_messages and "data:image/png;base64," in html_messages[-1]
    assert expected.ranking("binding_site")[0]["layer_head"] in html_messages[-1]
