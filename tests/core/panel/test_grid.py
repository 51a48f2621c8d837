"""The layer x head grid of both panels: cell colours, texts, tooltips, legend, painting."""

from __future__ import annotations

import json

import numpy as np
import pytest

import protattn
from protattn.panel.grid import (
    FLAGGED_RGB,
    GridStats,
    cell_paints,
    grid_cells,
    grid_legend,
    is_marked,
    model_shape,
    text_is_dark,
)


def _luminance(rgb):
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def test_grid_colours_grey_out_nan_and_flagged_heads_and_darken_with_the_share():
    share = np.array([[0.0, 0.1, np.nan], [0.2, 0.4, 0.3]])
    enough = np.array([[True, True, True], [True, True, False]])
    arcs = np.array([[50, 40, 0], [30, 25, 3]])

    cells = grid_cells(share, enough, arcs, background=0.05, label="contacts")

    assert [[c.flagged for c in row] for row in cells] == [
        [False, False, True],
        [False, False, True],
    ]
    assert cells[0][2].rgb == cells[1][2].rgb == FLAGGED_RGB
    assert cells[0][2].text == cells[1][2].text == ""
    assert "no high-confidence attention" in cells[0][2].tooltip
    assert "too few high-confidence arcs: 3 arcs" in cells[1][2].tooltip
    valid = sorted((c for row in cells for c in row if not c.flagged), key=lambda c: c.value)
    assert [c.text for c in valid] == ["0", "10", "20", "40"]
    lum = [_luminance(c.rgb) for c in valid]
    assert all(a > b for a, b in zip(lum, lum[1:]))  # strictly darker as the share grows
    low = protattn.scene.PALETTES["attention"][0]
    assert valid[0].rgb == pytest.approx(low)  # 0: the sequential map's low end
    assert valid[-1].rgb == pytest.approx(protattn.scene.PALETTES["attention"][-1])  # max
    assert all(c.rgb != FLAGGED_RGB for c in valid)
    assert (cells[1][1].layer, cells[1][1].head) == (2, 2)
    assert cells[1][1].tooltip.startswith("2-2: 40.0% of 25 arcs on contacts (background 5.0%)")
    assert text_is_dark(valid[0].rgb) and not text_is_dark(valid[-1].rgb)


def test_grid_colours_monotonic_over_many_values_and_edge_cases():
    values = np.linspace(0.0, 0.8, 17).reshape(1, -1)
    lum = [_luminance(c.rgb) for c in grid_cells(values)[0]]
    assert all(a > b for a, b in zip(lum, lum[1:]))

    assert all(c.flagged for c in grid_cells(np.full((2, 2), np.nan))[1])
    zeros = grid_cells(np.zeros((2, 3)))
    assert {c.rgb for row in zeros for c in row} == {protattn.scene.PALETTES["attention"][0]}
    assert all(
        c.flagged for row in grid_cells(np.ones((2, 2)), np.zeros((2, 2), bool)) for c in row
    )
    with pytest.raises(ValueError, match="layers, heads"):
        grid_cells(np.zeros(4))


def test_model_shape_from_a_config_without_loading(tmp_path):
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text(
        json.dumps({"num_hidden_layers": 12, "num_attention_heads": 16})
    )
    (tmp_path / "t5").mkdir()
    (tmp_path / "t5" / "config.json").write_text(json.dumps({"num_layers": 24, "num_heads": 32}))
    assert model_shape(str(tmp_path / "bert")) == (12, 16)
    assert model_shape(str(tmp_path / "t5")) == (24, 32)
    assert model_shape(str(tmp_path)) is None  # a folder without config.json
    assert model_shape("antiberty") == (8, 8)
    assert model_shape("nobody/no_such_model") is None


def test_grid_colours_tooltips_and_flags():
    share = np.array([[0.0, 0.1, 0.2], [0.3, np.nan, 0.4], [0.5, 0.25, 0.05]])
    enough = np.ones_like(share, dtype=bool)
    enough[2, 1] = False
    n_arcs = np.full(share.shape, 40)
    n_arcs[2, 1] = 3
    cells = grid_cells(share, enough, n_arcs, background=0.12, label="contacts")
    flat = [c for row in cells for c in row]
    assert [(c.layer, c.head) for c in flat] == [(i + 1, j + 1) for i in range(3) for j in range(3)]
    grey = [c for c in flat if c.flagged]
    assert {(c.layer, c.head) for c in grey} == {(2, 2), (3, 2)}
    assert all(c.rgb == FLAGGED_RGB and c.text == "" for c in grey)
    assert "no high-confidence attention" in cells[1][1].tooltip
    assert "too few high-confidence arcs: 3 arcs" in cells[2][1].tooltip
    valid = sorted((c for c in flat if not c.flagged), key=lambda c: c.value)
    rgb = np.array([c.rgb for c in valid])
    assert np.allclose(rgb[0], protattn.scene.PALETTES["attention"][0])  # share 0: cream
    assert np.all(np.diff(rgb, axis=0) <= 1e-12)  # every channel darkens with the share
    assert np.all(np.diff(rgb.sum(axis=1)) < 0)  # strictly, for distinct shares
    assert valid[-1].value == 0.5 and valid[-1].rgb == pytest.approx(
        protattn.scene.PALETTES["attention"][-1]
    )
    assert cells[0][1].text == "10" and "10.0% of 40 arcs on contacts" in cells[0][1].tooltip
    assert "(background 12.0%)" in cells[0][1].tooltip
    assert text_is_dark(valid[0].rgb) and not text_is_dark(valid[-1].rgb)

    nothing = grid_cells(np.full((2, 2), np.nan))
    assert all(c.flagged for row in nothing for c in row)
    with pytest.raises(ValueError, match="layers, heads"):
        grid_cells(np.zeros(4))


def test_grid_legend():
    assert "Choose a property" in grid_legend()
    assert "Colours by contacts come once" in grid_legend(label="contacts")
    stats = GridStats(
        "contact",
        np.array([[0.2, np.nan]]),
        np.array([[True, False]]),
        np.array([[30, 0]]),
        0.05,
        20,
    )
    legend = grid_legend(stats, "contacts")
    assert "dark red 20%" in legend and "background 5%" in legend and "20 arcs or fewer" in legend
    assert "the paper's definition" in legend and "≥ 0.3" in legend
    judged = grid_legend(
        GridStats("contact", stats.share, stats.enough_arcs, stats.n_arcs, 0.05, 20, "judged"),
        "contacts",
    )
    assert "judged definition" in judged and "fewer than 20" in judged and "> 0.3" in judged


def test_cell_paints_colour_fitting_cells_and_blank_the_others():
    cells = grid_cells(np.array([[0.0, 0.4], [np.nan, 0.2]]))
    paints = cell_paints(cells, 2, 2)
    assert [(p.row, p.col) for p in paints] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for paint in paints:
        cell = cells[paint.row][paint.col]
        assert (paint.text, paint.tooltip, paint.rgb) == (cell.text, cell.tooltip, cell.rgb)
        assert paint.dark_text == text_is_dark(cell.rgb)
    assert paints[0].dark_text and not paints[1].dark_text  # cream cell, darkest red cell
    assert paints[2].rgb == FLAGGED_RGB
    for blank in (cell_paints(None, 2, 3), cell_paints(cells, 3, 2)):
        assert all(p.rgb is None and p.dark_text is None and p.text == "" for p in blank)
        last = blank[-1]
        assert last.tooltip == f"{last.row + 1}-{last.col + 1}: click to draw its pairs"
    assert cell_paints(None, 0, 0) == []


def test_the_chosen_head_or_its_layer_is_marked():
    marked = {(r, c) for r in range(4) for c in range(4) if is_marked(r, c, 2, 3)}
    assert marked == {(1, 2)}
    layer = {(r, c) for r in range(4) for c in range(4) if is_marked(r, c, 2, 3, "mean")}
    assert layer == {(1, c) for c in range(4)}
