"""Palettes, scales, meaningless results and log lines of the ``attention`` commands.

In a real headless ChimeraX: palettes written as ChimeraX users write them colour
exactly as ChimeraX's own ``color byattribute`` does with the same palette; one
command's structures share one scale, stated in every log line; a result that
means nothing (no ligand, too few arcs) draws nothing and says why; every table
goes to the log as HTML, and the log lines say what the command line's say.
"""

from __future__ import annotations

import html
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, STRUCTURES, VFB, cxrun, log_of, of_kind, open_structure, rid

import protattn
from protattn.palettes import parse_palette

HEAD = "6-3"
GROUP = "attention pairs"
CUP = STRUCTURES / "ligand" / "4CUP.cif"  # one chain of 117 residues, 2 of them unobserved


def ribbons(structure, residues=None) -> dict:
    chosen = structure.residues if residues is None else residues
    return {rid(r): np.asarray(r.ribbon_color, dtype=float) for r in chosen}


def values_of(structure, attribute: str = "attention") -> dict:
    return {rid(r): getattr(r, attribute) for r in structure.residues if hasattr(r, attribute)}


def html_rows(message: str) -> list[list[str]]:
    """The cells of each row of the HTML tables in a message, unescaped (header rows too)."""
    return [
        [html.unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", message)
    ]


# ----------------------------------------------------------------------------- palettes

CHIMERAX_PALETTES = [
    "bluered",
    "^bluered",
    "blue:white:red",
    "0,blue:0.5,white:1,red",
    "^0,red:0.2,white:1,blue",
    "ylorrd",
    "^rdylbu",
]


@pytest.mark.parametrize("palette", CHIMERAX_PALETTES)
def test_chimerax_palettes_colour_as_chimeraxs_own_color_byattribute(cx, palette):
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention color #1/A layerHead {HEAD} palette {palette}")
    values = values_of(s)
    chain_a = s.residues.filter(np.array([rid(r) in values for r in s.residues]))
    ours = ribbons(s, chain_a)
    fixed = "," in palette  # value,colour stops fix the scale
    lo, hi = (0.0, 1.0) if fixed else (min(values.values()), max(values.values()))

    cxrun(cx, "color #1 white")
    cxrun(cx, f"color byattribute r:attention #1/A palette {palette} range {lo!r},{hi!r}")

    theirs = ribbons(s, chain_a)
    assert ours.keys() == theirs.keys() and len(ours) == 99
    np.testing.assert_allclose([ours[k] for k in theirs], list(theirs.values()), atol=2.0)
    assert len({tuple(c) for c in theirs.values()}) > (1 if fixed else 20)


@pytest.mark.parametrize(
    "palette", ["attention", "white_red", "enrichment", "blue_white_red", "viridis", "^viridis"]
)
def test_protattns_own_palette_names_colour_as_the_core(cx, palette):
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention color #1 layerHead {HEAD} palette {palette}")
    scene = protattn.compute_scores(
        protattn.read_structure(HPX).chains, HEAD, palette=parse_palette(palette)
    ).scene
    expected = {c.residue: np.asarray(c.rgba) * 255 for c in scene.residues}
    got = ribbons(s)
    np.testing.assert_allclose([got[k] for k in expected], list(expected.values()), atol=2.0)


def test_reversed_names_reverse_the_colours(cx):
    s = open_structure(cx, HPX)
    values = None
    colours = {}
    for palette in ("viridis", "^viridis", "ylorrd", "^ylorrd"):
        cxrun(cx, f"attention color #1 layerHead {HEAD} palette {palette}")
        values = values_of(s)
        got = ribbons(s)
        low, high = min(values, key=values.get), max(values, key=values.get)
        colours[palette] = (got[low], got[high])
    for name in ("viridis", "ylorrd"):
        np.testing.assert_allclose(colours[name][0], colours["^" + name][1], atol=2.0)
        np.testing.assert_allclose(colours[name][1], colours["^" + name][0], atol=2.0)


def test_a_bad_palette_says_what_is_accepted_and_changes_nothing(cx):
    from chimerax.core.errors import UserError

    s = open_structure(cx, HPX)
    before = s.residues.ribbon_colors.copy()
    with pytest.raises(UserError, match="blue:white:red"):
        cxrun(cx, f"attention color #1 layerHead {HEAD} palette blue:nosuchcolour")
    np.testing.assert_array_equal(s.residues.ribbon_colors, before)
    assert not values_of(s)


# ------------------------------------------------------------------------------- scales


def test_one_color_command_puts_its_structures_on_one_scale(cx):
    hpx, vfb = open_structure(cx, HPX), open_structure(cx, VFB)
    alone = protattn.compute_scores(protattn.read_structure(HPX).chains, HEAD).scene

    with log_of(cx) as messages:
        cxrun(cx, f"attention color #1,2 layerHead {HEAD}")

    values = {**values_of(hpx), **values_of(vfb)}
    lo, hi = min(values.values()), max(values.values())
    assert (lo, hi) != (alone.vmin, alone.vmax)  # the scale is not 1HPX's own
    scale = f"colour {lo:.3g}-{hi:.3g} (attention, the range over 2 structures)"
    lines = of_kind(messages, "info")
    assert [line.split(": ", 1)[0] for line in lines] == [str(hpx), str(vfb)]
    assert all(scale in line for line in lines), lines
    palette = parse_palette("attention")
    for structure in (hpx, vfb):
        got, own = ribbons(structure), values_of(structure)
        want = palette.rgb_at((np.array(list(own.values())) - lo) / (hi - lo)) * 255
        np.testing.assert_allclose([got[k][:3] for k in own], want, atol=2.0)

    cxrun(cx, f"attention color #1,2 layerHead {HEAD} range full")
    for structure in (hpx, vfb):
        got, own = ribbons(structure), values_of(structure)
        want = palette.rgb_at(np.array(list(own.values()))) * 255
        np.testing.assert_allclose([got[k][:3] for k in own], want, atol=2.0)


def test_one_pairs_command_puts_its_structures_on_one_scale(cx):
    hpx, vfb = open_structure(cx, HPX), open_structure(cx, VFB)
    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1,2 layerHead {HEAD}")
    weights, radii = [], []
    for structure in (hpx, vfb):
        pbonds = structure.pseudobond_group(GROUP, create_type=None).pseudobonds
        weights += [p.attention_weight for p in pbonds]
        radii += list(pbonds.radii)
    lo, hi = min(weights), max(weights)
    # one line from weight to radius across both structures: 0.05 A at lo, 0.3 A at hi
    np.testing.assert_allclose(radii, 0.05 + 0.25 * (np.array(weights) - lo) / (hi - lo), atol=1e-5)
    scale = f"colour {lo:.3g}-{hi:.3g} (attention, the range over 2 structures)"
    assert all(scale in line for line in of_kind(messages, "info"))


def test_the_color_range_is_checked_before_anything_changes(cx):
    from chimerax.core.errors import UserError

    s = open_structure(cx, HPX)
    before = s.residues.ribbon_colors.copy()
    with pytest.raises(UserError, match="lo < hi"):
        cxrun(cx, f"attention color #1 layerHead {HEAD} range 0.4,0.2")
    np.testing.assert_array_equal(s.residues.ribbon_colors, before)
    assert not values_of(s)


# -------------------------------------------------------------------- what the log says


def test_pairs_log_lines_are_the_command_lines_lines(cx):
    s, hpx = open_structure(cx, CUP), open_structure(cx, HPX)
    expected = protattn.compute_pairs(protattn.read_structure(CUP).chains, HEAD)
    assert expected.scene.skipped == 4  # pairs with an unobserved residue
    windows = protattn.compute_pairs(
        protattn.read_structure(HPX).chains, HEAD, top_k=5, window=40, stride=20
    )
    assert any("window" in note for note in windows.notes)

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
        cxrun(cx, f"attention pairs #2 layerHead {HEAD} topK 5 window 40 stride 20")

    assert of_kind(messages, "info")[-2:] == [
        f"{s}: {expected.summary()}",
        f"{hpx}: {windows.summary()}",
    ]
    assert "4 involve unobserved residues and are not drawn" in expected.summary()


def _unknown_chain_pdb(path: Path) -> Path:
    """1HPX's chain A and a chain U of 15 residues named UNK (backbone and CB only)."""
    lines = [
        line for line in HPX.read_text().splitlines() if line.startswith("ATOM") and line[21] == "A"
    ]
    serial = 5000
    for i in range(15):
        for j, (atom, element) in enumerate((("N", "N"), ("CA", "C"), ("C", "C"), ("CB", "C"))):
            serial += 1
            x, y = 40.0 + 3.8 * i + 0.5 * j, 10.0 + 0.3 * j
            lines.append(
                f"ATOM  {serial:5d}  {atom:<3s} UNK U{i + 1:4d}    {x:8.3f}{y:8.3f}{5.0:8.3f}"
                f"  1.00 20.00           {element}"
            )
    path.write_text("\n".join([*lines, "END", ""]))
    return path


def test_a_chain_of_unknown_residues_is_named_in_the_log(cx, tmp_path):
    s = open_structure(cx, _unknown_chain_pdb(tmp_path / "unknown.pdb"))
    assert s.chains[1].chain_id == "U"

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
        cxrun(cx, f"attention color #1 layerHead {HEAD}")

    (pairs_line, color_line) = of_kind(messages, "info")[-2:]
    for line in (pairs_line, color_line):
        assert "chain U has only unknown residues (X)" in line, line
    warnings = of_kind(messages, "warning")
    assert len(warnings) == 2 and all(f"{s} U has only unknown residues" in w for w in warnings)

    with log_of(cx) as messages:
        cxrun(cx, "attention heads #1 contact minArcs 20 draw false")
    (table,) = of_kind(messages, "html")
    assert "unknown.pdb U has only unknown residues (X)" in html.unescape(table)


def test_heads_without_a_ligand_says_why_and_draws_nothing(cx):
    s = open_structure(cx, VFB)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 2 name earlier")
    cxrun(cx, f"attention color #1 layerHead {HEAD}")
    earlier, colours = values_of(s), s.residues.ribbon_colors.copy()

    with log_of(cx) as messages:
        rows = cxrun(cx, "attention heads #1 binding_site")

    assert rows == []
    (warning,) = of_kind(messages, "warning")
    assert warning.startswith("binding_site: no binding-site residue") and "ligand" in warning
    assert "nothing is ranked or drawn" in warning
    assert s.pseudobond_group(GROUP, create_type=None) is None
    assert s.pseudobond_group("earlier", create_type=None).num_pseudobonds == 6
    assert values_of(s) == earlier and not values_of(s, "attention_binding_site")
    np.testing.assert_array_equal(s.residues.ribbon_colors, colours)
    assert not any("<table" in m for m in of_kind(messages, "html"))  # no ranking of zeros


def test_heads_with_too_few_arcs_says_how_many_and_what_to_change(cx):
    from protattn.api.heads import top_heads

    s = open_structure(cx, HPX)
    expected = top_heads([protattn.read_structure(HPX)], "contact", min_arcs=5000, draw=False)
    assert expected.empty and "the most any head has is" in expected.empty

    with log_of(cx) as messages:
        rows = cxrun(cx, "attention heads #1 contact minArcs 5000")
        stats = cxrun(cx, "attention stats #1 contact minArcs 5000")

    assert rows == [] and s.pseudobond_group(GROUP, create_type=None) is None
    assert of_kind(messages, "warning") == [expected.empty, expected.empty]
    most = int(stats["contact"].n_arcs.max())
    assert f"the most any head has is {most}" in expected.empty
    assert f"to {most - 1}" in expected.empty  # the paper's counting: more than minArcs


def test_a_top_head_whose_interval_holds_the_background_is_drawn_with_a_warning(cx):
    from protattn.api.heads import top_heads

    s = open_structure(cx, HPX)
    expected = top_heads([protattn.read_structure(HPX)], "binding_site", draw=False)
    assert expected.rows and expected.warning  # 4-5: z = -1.0

    with log_of(cx) as messages:
        rows = cxrun(cx, "attention heads #1 binding_site")

    assert rows[0]["layer_head"] == expected.best
    (warning,) = of_kind(messages, "warning")
    assert warning.startswith(expected.warning)
    assert s.pseudobond_group(GROUP, create_type=None).num_pseudobonds > 0


def test_min_arcs_defaults_to_the_cores_everywhere(session):
    from chimerax.protattn import heads, stats, tool_logic

    from protattn.lm.counts import DEFAULT_MIN_ARCS

    assert DEFAULT_MIN_ARCS == 100
    for command in (heads.attention_heads, stats.attention_stats):
        assert inspect.signature(command).parameters["min_arcs"].default == DEFAULT_MIN_ARCS
    assert tool_logic.PanelState("#1").min_arcs == DEFAULT_MIN_ARCS
    line = tool_logic.command("stats", tool_logic.PanelState("#1", prop="contacts"))
    assert f"minArcs {DEFAULT_MIN_ARCS}" in line


# ----------------------------------------------------------------------------- HTML logs


def test_heads_stats_and_contacts_log_html_tables(cx):
    from protattn.api.contacts import predict_contacts

    open_structure(cx, HPX)
    with log_of(cx) as messages:
        rows = cxrun(cx, "attention heads #1 helix top 4 minArcs 5")
        cxrun(cx, "attention stats #1 helix top 4 minArcs 5")
        cxrun(cx, "attention contacts #1/A heads 3-2,5-4")

    heads_html, stats_html, contacts_html = of_kind(messages, "html")
    for message in (heads_html, stats_html):
        table = html_rows(message)
        assert table[0][:2] == ["head", "share"] and "95% CI" in table[0][2]
        assert [row[0] for row in table[1:]] == [r["layer_head"] for r in rows]
        assert table[1][1] == f"{rows[0]['share']:.3f}"
        assert "helix: background" in html.unescape(message)
    assert "data:image/png;base64," in stats_html
    expected = predict_contacts(protattn.read_structure(HPX).chain("A"), heads=["3-2", "5-4"])
    table = html_rows(contacts_html)
    assert table[0] == ["chain", "method", "range", "P@L", "P@L/2", "P@L/5"]
    long = next(row for row in table if row[2] == "long")
    assert long[3:] == [f"{expected.precision['long'][k]:.2f}" for k in ("L", "L/2", "L/5")]
    assert "blue true contact, magenta false" in contacts_html
    # every plain message is one line: no text table whose columns the log would lose
    assert all("\n" not in m for m in of_kind(messages, "info"))


def test_every_plain_log_message_is_one_line(cx, tmp_path):
    s = open_structure(cx, HPX)
    commands = [
        f"attention pairs #1 layerHead {HEAD}",
        f"attention color #1 layerHead {HEAD}",
        f"attention save {tmp_path / 'x.defattr'}",
        f"attention save {tmp_path / 'x.txt'} format contacts",
        "attention worker",
        "attention models",
        "attention clear #1/A",
        "attention clear",
    ]
    with log_of(cx) as messages:
        for command in commands:
            cxrun(cx, command)
    plain = of_kind(messages, "info")
    assert plain and all("\n" not in m for m in plain), plain
    assert any(m.startswith("removed ") and " residues" in m for m in plain)
    assert len(of_kind(messages, "html")) == 1  # the models table
    assert s.pseudobond_group(GROUP, create_type=None) is None
