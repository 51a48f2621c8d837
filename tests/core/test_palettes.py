"""Palettes as the hosts' users write them, and protattn's one colour language."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colormaps

from protattn.palettes import (
    CONTACT_COLORS,
    DIVERGING,
    PALETTES,
    SEQUENTIAL,
    Palette,
    css_color,
    parse_palette,
)


def test_protattn_names_are_kept_as_aliases():
    for name, stops in PALETTES.items():
        palette = parse_palette(name)
        assert palette.colors == tuple(tuple(float(c) for c in s) for s in stops)
        np.testing.assert_allclose(palette.positions, np.linspace(0, 1, len(stops)))
    assert parse_palette("Attention").colors == parse_palette("attention").colors  # any case


def test_chimerax_colour_lists_with_and_without_values():
    plain = parse_palette("blue:white:red")
    assert plain.colors == ((0.0, 0.0, 1.0), (1.0, 1.0, 1.0), (1.0, 0.0, 0.0))
    assert plain.positions == (0.0, 0.5, 1.0) and plain.values is None
    valued = parse_palette("0,blue:0.2,white:1,red")
    assert valued.positions == pytest.approx((0.0, 0.2, 1.0))
    assert valued.values == (0.0, 1.0)
    # a colour at 0.2 of the way: white
    np.testing.assert_allclose(valued.rgb_at(np.array([0.2])), [[1.0, 1.0, 1.0]])


def test_pymol_spectrum_lists_joined_by_underscores_or_spaces():
    assert parse_palette("green_white_magenta").colors[1] == (1.0, 1.0, 1.0)
    assert parse_palette("yellow cyan").colors == ((1.0, 1.0, 0.0), (0.0, 1.0, 1.0))


def test_a_caret_reverses_any_palette():
    for name in ("viridis", "attention", "blue:white:red", "0,blue:0.2,white:1,red"):
        forward, back = parse_palette(name), parse_palette("^" + name)
        t = np.linspace(0, 1, 11)
        np.testing.assert_allclose(back.rgb_at(t), forward.rgb_at(1 - t), atol=1e-12)
        assert back.name == "^" + name and back.reversed().name == name
        assert back.reversed().colors == forward.colors


def test_matplotlib_colormaps_by_name_any_case():
    palette = parse_palette("ylorrd")
    np.testing.assert_allclose(palette.colors[0], colormaps["YlOrRd"](0.0)[:3])
    np.testing.assert_allclose(palette.colors[-1], colormaps["YlOrRd"](1.0)[:3])


def test_a_host_colour_table_and_aliases_come_first():
    table = {"green": (0.0, 1.0, 0.0), "red": (1.0, 0.0, 0.0)}
    palette = parse_palette("green:red", color=table.__getitem__)
    assert palette.colors[0] == (0.0, 1.0, 0.0)  # CSS green would be 0, 0.5, 0
    rainbow = parse_palette("rainbow", color=table.__getitem__, aliases={"rainbow": "red green"})
    assert rainbow.colors == ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))


@pytest.mark.parametrize(
    "text, says",
    [
        ("no_such_palette", "'no' is not a colour"),
        ("blue:nocolour", "'nocolour' is not a colour"),
        ("0,blue:white", "every colour or to none"),
        ("1,blue:0,red", "increasing"),
        ("nan,blue:1,red", "finite and increasing"),
        ("0,blue:inf,red", "finite and increasing"),
        ("x,blue:1,red", "'x,blue' is not value,colour"),
        ("blue:", "not a colour"),
        ("nonsense", "unknown palette 'nonsense'"),
    ],
)
def test_bad_palettes_say_what_is_wrong_and_what_is_accepted(text, says):
    with pytest.raises(ValueError) as err:
        parse_palette(text)
    message = str(err.value)
    assert says in message and "blue:white:red" in message and "'^'" in message


def test_css_colours():
    assert css_color("Cornflower Blue") == pytest.approx((100 / 255, 149 / 255, 237 / 255))
    with pytest.raises(ValueError, match="not a colour"):
        css_color("blurple")


def test_spec_places_each_colour_at_its_value():
    spec = parse_palette("0,blue:0.2,white:1,red").spec(10.0, 20.0)
    assert spec == "10,#0000ff:12,#ffffff:20,#ff0000"


def _distance(a, b) -> float:
    return float(np.abs(np.asarray(a[:3]) - np.asarray(b[:3])).sum())


#: What the hosts colour a cartoon before protattn touches it: PyMOL's first carbon
#: colours (green, cyan, magenta is its third), ChimeraX's first chain colours (tan,
#: sky blue, plum) and its element colours' carbon.
HOST_CARTOONS = {
    "pymol green": (0.2, 1.0, 0.2),
    "pymol cyan": (0.0, 1.0, 1.0),
    "chimerax tan": (210 / 255, 180 / 255, 140 / 255),
    "chimerax sky blue": (135 / 255, 206 / 255, 235 / 255),
    "chimerax plum": (221 / 255, 160 / 255, 221 / 255),
}


def test_contact_colours_are_never_an_attention_colour_and_stand_out_on_default_cartoons():
    attention = SEQUENTIAL.rgb_at(np.linspace(0, 1, 101))
    for kind in (True, False):
        colour = CONTACT_COLORS[kind]
        nearest = min(_distance(colour, c) for c in attention)
        assert nearest > 0.6, (kind, nearest)
        for host, cartoon in HOST_CARTOONS.items():
            assert _distance(colour, cartoon) > 0.5, (kind, host)
    assert _distance(CONTACT_COLORS[True], CONTACT_COLORS[False]) > 1.0


def test_one_sequential_and_one_diverging_map():
    # sequential: darkening from none up (luminance falls monotonically)
    rgb = SEQUENTIAL.rgb_at(np.linspace(0, 1, 50))
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])
    assert np.all(np.diff(luminance) < 0)
    # diverging: white-ish at its middle (the background), blue below and red above
    low, mid, high = DIVERGING.rgb_at(np.array([0.0, 0.5, 1.0]))
    assert min(mid) > 0.9 and low[2] > low[0] and high[0] > high[2]
    assert isinstance(SEQUENTIAL, Palette) and SEQUENTIAL.name == "attention"
