"""Results that mean nothing say so, and one command's drawings share one scale.

Real AntiBERTy attention on real structures: 1VFB (an antibody-antigen complex
without a ligand), 1HPX (HIV-1 protease with an inhibitor), 1XDN.
"""

from __future__ import annotations

import numpy as np
import pytest

import protattn
from protattn.api import heads as api_heads
from protattn.api.pairs import on_one_scale
from protattn.api.report import (
    interval_warning,
    nothing_to_rank,
    property_heatmap,
    rank_heads,
    ranking_table,
    too_few_arcs,
)
from protattn.api.stats import head_statistics
from protattn.lm.counts import DEFAULT_MIN_ARCS


@pytest.fixture(scope="module")
def structures(shared_dir, load_structure):
    data = shared_dir / "data" / "structures"
    return {
        "1VFB": load_structure(data / "antibody" / "1VFB.cif"),
        "1HPX": load_structure(data / "ligand" / "1HPX.pdb"),
        "1XDN": load_structure(data / "ligand" / "1XDN.pdb"),
    }


def test_no_ligand_no_binding_site_ranking_and_nothing_drawn(structures, antiberty):
    vfb = structures["1VFB"]
    result = api_heads.top_heads([vfb], "binding_site", min_arcs=1)
    assert result.rows == () and result.pairs == () and result.best is None
    assert "no binding-site residue" in result.empty
    assert "nothing is ranked or drawn" in result.empty
    assert "use a structure with a bound ligand" in result.empty
    stats = result.statistics
    assert stats["binding_site"].background_hits == 0  # the reason, checked apart
    assert rank_heads(stats, "binding_site") == []
    table = ranking_table(stats, "binding_site", [])
    assert table[-1] == result.empty and not any(line.strip().startswith("1-") for line in table)
    # the figure says it across its grid
    figure = property_heatmap(stats, "binding_site", "antiberty")
    assert any("no binding-site residue" in t.get_text() for t in figure.axes[0].texts)
    # a structure with a ligand is ranked
    with_ligand = head_statistics([structures["1HPX"]], antiberty, ["binding_site"])
    assert nothing_to_rank(with_ligand, "binding_site") is None


def test_too_few_arcs_says_how_many_the_best_head_has_and_what_to_change(structures, antiberty):
    stats = head_statistics([structures["1HPX"]], antiberty, ["contact"], min_arcs=10_000)
    most = int(stats["contact"].n_arcs.max())
    assert 0 < most < 10_000
    message = too_few_arcs(stats, "contact")
    assert f"the most any head has is {most} (head " in message
    assert f"lower the minimum number of arcs (now 10000) to {most - 1}" in message
    assert message in ranking_table(stats, "contact", [])
    assert api_heads.top_heads([structures["1HPX"]], "contact", min_arcs=10_000).empty == message
    enough = head_statistics([structures["1HPX"]], antiberty, ["contact"], min_arcs=1)
    assert too_few_arcs(enough, "contact") is None


def test_an_interval_containing_the_background_is_drawn_with_a_warning(structures):
    result = api_heads.top_heads([structures["1HPX"]], "binding_site", min_arcs=1, top=3)
    row = result.rows[0]
    contains = row["ci_low"] <= row["background"] <= row["ci_high"]
    assert (result.warning is not None) == contains
    assert result.pairs  # drawn either way
    # both branches on rows written out
    base = {"layer_head": "4-5", "background": 0.05, "z": 1.2}
    straddling = {**base, "ci_low": 0.02, "ci_high": 0.09}
    inside = interval_warning(result.statistics, "binding_site", straddling)
    assert inside == (
        "head 4-5's 95% interval [0.020, 0.090] contains the background 0.050: it is not "
        "shown to attend to binding_site more than chance (z = 1.2)"
    )
    above = {**base, "ci_low": 0.06, "ci_high": 0.09}
    assert interval_warning(result.statistics, "binding_site", above) is None
    table = ranking_table(result.statistics, "binding_site", [{**row, **straddling}])
    assert table[-1] == f"warning: {inside}"


def test_a_chain_of_unknown_residues_only_is_named_in_a_warning(tmp_path, shared_dir):
    source = shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb"
    lines = [
        line[:17] + "UNK" + line[20:]
        for line in source.read_text().splitlines()
        if line.startswith("ATOM") and line[21] == "A"
    ]
    path = tmp_path / "unknown.pdb"
    path.write_text("\n".join([*lines, "END", ""]))
    structure = protattn.read_structure(path)
    (chain,) = structure.chains
    assert set(chain.sequence) == {"X"}
    result = protattn.compute_pairs(structure.chains, "1-1")
    assert any("chain A has only unknown residues (X)" in note for note in result.notes)
    assert "chain A has only unknown residues" in result.summary()
    stats = head_statistics([structure], "antiberty", ["contact"])
    assert stats.notes and "unknown residues" in stats.notes[0] and "A" in stats.notes[0]
    assert f"warning: {stats.notes[0]}" in ranking_table(stats, "contact", [])
    # an ordinary chain has no such note
    normal = protattn.compute_pairs(protattn.read_structure(source).chains[:1], "1-1")
    assert not any("unknown residues" in note for note in normal.notes)


def test_one_command_colours_two_structures_on_one_scale(structures):
    hpx, xdn = structures["1HPX"], structures["1XDN"]
    alone = [protattn.compute_scores(s.chains, "6-3") for s in (hpx, xdn)]
    assert alone[0].scene.vmax != alone[1].scene.vmax  # each its own range, before
    shared = on_one_scale(alone)
    lo = min(r.scene.vmin for r in alone)
    hi = max(r.scene.vmax for r in alone)
    for result in shared:
        assert (result.scene.vmin, result.scene.vmax) == (lo, hi)
        assert "the range over 2 structures" in result.summary()
    # the same value gets the same colour on both; the values themselves are unchanged
    a, b = (r.scene.residues for r in shared)
    value = a[0].value
    again = protattn.scene.palette_colors(np.array([value]), "attention", lo, hi)[0]
    np.testing.assert_allclose(a[0].rgba, again)
    np.testing.assert_allclose([r.value for r in b], [r.value for r in alone[1].scene.residues])
    # a fixed range is kept
    fixed = [protattn.compute_scores(s.chains, "6-3", value_range="0,0.05") for s in (hpx, xdn)]
    assert [(r.scene.vmin, r.scene.vmax) for r in on_one_scale(fixed)] == [(0.0, 0.05)] * 2
    # pairs too: radii and colours rescaled together
    pairs = on_one_scale([protattn.compute_pairs(s.chains, "6-3") for s in (hpx, xdn)])
    weights = [b.weight for r in pairs for b in r.scene.bonds]
    strongest = [b for r in pairs for b in r.scene.bonds if b.weight == max(weights)]
    assert strongest and all(b.radius == pytest.approx(0.3) for b in strongest)
    weakest = [b for r in pairs for b in r.scene.bonds if b.weight == min(weights)]
    assert all(b.radius == pytest.approx(0.05) for b in weakest)


def test_one_min_arcs_default_everywhere():
    import inspect

    from protattn.api import report
    from protattn.panel.state import PanelState

    for function in (head_statistics, api_heads.top_heads, report.property_report):
        assert inspect.signature(function).parameters["min_arcs"].default == DEFAULT_MIN_ARCS
    assert PanelState("x").min_arcs == DEFAULT_MIN_ARCS == 100
