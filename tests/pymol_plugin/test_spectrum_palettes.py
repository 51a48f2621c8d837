"""Palettes as PyMOL users write them, read with PyMOL's own colour table, and drawn exactly."""

from __future__ import annotations

import numpy as np
import pytest
from pymol import CmdException, stored
from pymol.viewing import palette_colors_dict
from readback import cgo_cylinders

from protattn.palettes import PALETTES
from protattn_pymol import attention_color, attention_pairs, draw
from protattn_pymol.arguments import palette_of

HEAD = "6-3"


def _rgb(pm, name):
    return tuple(pm.get_color_tuple(name))


@pytest.mark.parametrize("name", sorted(palette_colors_dict))
def test_spectrums_palette_names_are_pymols_colours(pm, name):
    palette = palette_of(name, _self=pm)
    expected = [_rgb(pm, c) for c in palette_colors_dict[name].split()]
    np.testing.assert_allclose(palette.colors, expected)


@pytest.mark.parametrize(
    ("text", "colours"),
    [
        ("green_white_magenta", ("green", "white", "magenta")),
        ("red_blue", ("red", "blue")),
        ("tv_blue:white:tv_red", ("tv_blue", "white", "tv_red")),  # PyMOL's names, ChimeraX's form
        ("skyblue salmon", ("skyblue", "salmon")),
        ("^red_blue", ("blue", "red")),
    ],
)
def test_colour_names_come_from_pymols_table(pm, text, colours):
    palette = palette_of(text, _self=pm)
    np.testing.assert_allclose(palette.colors, [_rgb(pm, c) for c in colours])


def test_protattn_chimerax_and_matplotlib_names_are_kept(pm):
    for name in ("attention", "white_red", "blue_white_red", "viridis"):
        np.testing.assert_allclose(palette_of(name, _self=pm).colors, PALETTES[name])
    assert palette_of("bluered", _self=pm).colors[0] == (0.0, 0.0, 1.0)
    assert len(palette_of("YlOrRd", _self=pm).colors) > 2
    assert palette_of("0,white:0.2,red", _self=pm).values == (0.0, 0.2)


@pytest.mark.parametrize("text", ["nope", "blue_nope", "red"])
def test_a_bad_palette_is_a_cmd_exception_and_draws_nothing(pm, text):
    for command in (attention_pairs, attention_color):
        with pytest.raises(CmdException, match="unknown palette"):
            command("1hpv", HEAD, palette=text, _self=pm)
    assert not [n for n in pm.get_names("all") if n.startswith("attention_")]


def test_pairs_and_residues_are_drawn_in_a_pymol_palette(pm):
    attention_pairs("1hpv", HEAD, min_separation=6, palette="rainbow", _self=pm)
    (scene,) = draw.scenes("1hpv", _self=pm)
    cylinders = cgo_cylinders(pm, draw.pairs_name("1hpv"))
    weakest = min(cylinders, key=lambda c: c[6])
    np.testing.assert_allclose(weakest[7:10], _rgb(pm, "blue"), atol=1e-6)  # rainbow's low end
    assert scene.palette.name == "rainbow"

    results = attention_color("1hpv and chain A", "8-mean", palette="rainbow_rev", _self=pm)
    stored.colors = {}
    pm.iterate("1hpv and chain A and name CA", "stored.colors[resv] = color")
    residues = results["1hpv"].scene.residues
    for r in residues:
        np.testing.assert_allclose(
            pm.get_color_tuple(stored.colors[r.residue.number]), r.rgba[:3], atol=1 / 255
        )
    lowest = min(residues, key=lambda r: r.value)
    np.testing.assert_allclose(pm.get_color_tuple(stored.colors[lowest.residue.number]), (1, 0, 0))
