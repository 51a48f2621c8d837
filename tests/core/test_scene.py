"""What to draw: pseudo-bonds and residue colours from pairs and scores."""

from __future__ import annotations

import re

import numpy as np
import pytest

from protattn import Pair, ResidueId, pair_scene, residue_scene
from protattn.errors import ProtattnError
from protattn.scene import PALETTES, palette_colors, palette_spec


def _interpolate(t: float, stops) -> np.ndarray:
    """Piecewise-linear palette lookup written out by hand (t in 0-1, stops equally spaced)."""
    stops = np.asarray(stops, dtype=float)
    segment = min(int(t * (len(stops) - 1)), len(stops) - 2)
    local = t * (len(stops) - 1) - segment
    return (1 - local) * stops[segment] + local * stops[segment + 1]


def _pair(i, j, weight, observed_j=True, contact=None):
    rid_j = ResidueId("A", j + 1) if observed_j else None
    return Pair(
        "A",
        i,
        j,
        ResidueId("A", i + 1),
        rid_j,
        "G",
        "A",
        weight,
        None if contact is None else 5.0,
        contact,
    )


PAIRS = [
    _pair(0, 5, 0.9, contact=True),
    _pair(1, 7, 0.5, contact=False),
    _pair(2, 9, 0.3),
    _pair(3, 11, 0.2, observed_j=False),
    _pair(4, 12, 0.1, contact=True),
]


def test_pair_scene_skips_unobserved_and_keeps_the_rest():
    scene = pair_scene(PAIRS)
    assert scene.skipped == 1
    assert [b.weight for b in scene.bonds] == [0.9, 0.5, 0.3, 0.1]
    assert [(b.a, b.b) for b in scene.bonds] == [
        (ResidueId("A", 1), ResidueId("A", 6)),
        (ResidueId("A", 2), ResidueId("A", 8)),
        (ResidueId("A", 3), ResidueId("A", 10)),
        (ResidueId("A", 5), ResidueId("A", 13)),
    ]
    assert [b.contact for b in scene.bonds] == [True, False, None, True]
    # the range spans the drawn pairs
    assert (scene.vmin, scene.vmax) == (0.1, 0.9)
    assert scene.palette.name == "attention"


def test_pair_scene_radius_and_colour_grow_with_weight():
    radius = (0.05, 0.3)
    scene = pair_scene(PAIRS, palette="attention", radius=radius)
    by_weight = sorted(scene.bonds, key=lambda b: b.weight)
    radii = [b.radius for b in by_weight]
    assert radii == sorted(radii) and len(set(radii)) == len(radii)
    assert radii[0] == pytest.approx(radius[0]) and radii[-1] == pytest.approx(radius[1])
    for b in scene.bonds:
        t = (b.weight - 0.1) / 0.8
        assert b.radius == pytest.approx(radius[0] + t * (radius[1] - radius[0]))
        np.testing.assert_allclose(b.rgba[:3], _interpolate(t, PALETTES["attention"]), atol=1e-9)
        assert b.rgba[3] == 1.0
        assert all(isinstance(c, float) for c in b.rgba)
    # the "attention" palette darkens in every channel: each one falls as weight rises
    rgb = np.array([b.rgba[:3] for b in by_weight])
    assert (np.diff(rgb, axis=0) <= 1e-12).all()
    assert (np.diff(rgb[:, 1]) < 0).all()


def test_pair_scene_equal_weights_and_empty():
    scene = pair_scene([_pair(0, 3, 0.4), _pair(1, 6, 0.4)])
    assert scene.bonds[0].rgba == scene.bonds[1].rgba
    assert scene.bonds[0].radius == scene.bonds[1].radius
    empty = pair_scene([])
    assert empty.bonds == () and empty.skipped == 0
    only_unobserved = pair_scene([_pair(0, 3, 0.4, observed_j=False)])
    assert only_unobserved.bonds == () and only_unobserved.skipped == 1


def test_residue_scene_drops_unobserved_positions(shared_dir, load_structure):
    chain = load_structure(shared_dir / "data" / "structures" / "ligand" / "1XDN.pdb").chain("A")
    n = len(chain)
    observed = [k for k, r in enumerate(chain.residue_ids) if r is not None]
    assert len(observed) < n
    scores = np.linspace(1.0, 2.0, n)
    scene = residue_scene(chain, scores, palette="white_red")
    assert scene.skipped == n - len(observed)
    assert [r.residue for r in scene.residues] == [chain.residue_ids[k] for k in observed]
    np.testing.assert_allclose([r.value for r in scene.residues], scores[observed])
    assert scene.vmin == pytest.approx(scores[observed[0]])
    assert scene.vmax == pytest.approx(scores[observed[-1]])
    stops = PALETTES["white_red"]
    np.testing.assert_allclose(scene.residues[0].rgba, (*stops[0], 1.0))
    np.testing.assert_allclose(scene.residues[-1].rgba, (*stops[-1], 1.0))
    # a fixed range clips values outside it
    clipped = residue_scene(chain, scores, palette="white_red", vmin=1.2, vmax=1.4)
    assert (clipped.vmin, clipped.vmax) == (1.2, 1.4)
    np.testing.assert_allclose(clipped.residues[-1].rgba, (*stops[-1], 1.0))
    np.testing.assert_allclose(clipped.residues[0].rgba, (*stops[0], 1.0))


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_palette_colors_interpolate_the_palette_stops(name):
    stops = np.asarray(PALETTES[name])
    t = np.linspace(0.0, 1.0, 2 * len(stops) - 1)  # every stop and every midpoint
    colors = palette_colors(t, name)
    assert colors.shape == (len(t), 4)
    np.testing.assert_allclose(colors[:, :3], [_interpolate(x, stops) for x in t], atol=1e-12)
    np.testing.assert_allclose(colors[::2, :3], stops)
    np.testing.assert_array_equal(colors[:, 3], 1.0)
    # values outside vmin..vmax take the end colours
    outside = palette_colors(np.array([-5.0, 7.0]), name, vmin=0.0, vmax=1.0)
    np.testing.assert_allclose(outside[:, :3], stops[[0, -1]])


def test_unknown_palette():
    with pytest.raises(ProtattnError) as err:
        palette_colors(np.array([0.0, 1.0]), "no_such_palette")
    assert "'no_such_palette'" in str(err.value) and "blue:white:red" in str(err.value)


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_palette_spec_is_a_parseable_chimerax_palette(name):
    spec = palette_spec(name, 0.02, 0.3)
    entries = spec.split(":")
    stops = PALETTES[name]
    assert len(entries) == len(stops)
    values = []
    for entry, stop in zip(entries, stops):
        m = re.fullmatch(r"([-+0-9.eE]+),#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", entry)
        assert m, entry
        values.append(float(m.group(1)))
        rgb = [int(m.group(k), 16) for k in (2, 3, 4)]
        assert rgb == [round(c * 255) for c in stop]
    np.testing.assert_allclose(values, np.linspace(0.02, 0.3, len(stops)), rtol=1e-5)
    # a degenerate range (all scores equal) must still give increasing values, or the
    # palette is not a palette
    for value in (0.0, 0.5, 0.004, 1234.5, -3.0):
        flat = [float(e.split(",")[0]) for e in palette_spec(name, value, value).split(":")]
        assert flat[0] == pytest.approx(value)
        assert all(a < b for a, b in zip(flat, flat[1:])), (value, flat)


# ------------------------------------------------------------------ fixed scales and keys


def test_a_fixed_range_gives_a_pair_the_same_colour_and_radius_whatever_else_is_drawn():
    # the same pair (weight 0.186) drawn among pairs above 0.1, and alone above 0.18
    strong = _pair(30, 78, 0.186)
    many = pair_scene([_pair(1, 9, 0.1), strong, _pair(2, 40, 0.5)], value_range="full")
    alone = pair_scene([strong], value_range="full")
    a = next(b for b in many.bonds if b.weight == 0.186)
    (b,) = alone.bonds
    assert a.rgba == b.rgba and a.radius == b.radius
    np.testing.assert_allclose(a.rgba[:3], _interpolate(0.186, PALETTES["attention"]))
    assert a.radius == pytest.approx(0.05 + 0.186 * 0.25)
    assert (many.vmin, many.vmax, many.fixed) == (0.0, 1.0, True)
    # without a range each drawing spans its own weights: the colours differ
    others = [_pair(1, 9, 0.1), strong, _pair(2, 40, 0.5)]
    assert pair_scene(others).bonds[1].rgba != pair_scene([strong]).bonds[0].rgba


def test_weights_outside_a_fixed_range_take_its_ends():
    scene = pair_scene(
        [_pair(1, 9, 0.05), _pair(2, 20, 0.9)], value_range="0.1,0.3", radius="0.1,0.4"
    )
    low, high = scene.bonds
    assert low.radius == pytest.approx(0.1) and high.radius == pytest.approx(0.4)
    np.testing.assert_allclose(low.rgba[:3], PALETTES["attention"][0])
    np.testing.assert_allclose(high.rgba[:3], PALETTES["attention"][-1])


def test_one_radius_for_every_pair():
    scene = pair_scene([_pair(1, 9, 0.1), _pair(2, 20, 0.9)], radius=0.2)
    assert {b.radius for b in scene.bonds} == {0.2}
    assert "radius 0.2 A" in scene.scale_text()


@pytest.mark.parametrize(
    "text", ["0.3,0.1", "0.1", "a,b", "nan,1", "0.1,inf", "1,2,3", "-1e308,1e308"]
)
def test_bad_ranges_say_how_to_write_one(text):
    with pytest.raises(ValueError, match="range"):
        pair_scene([_pair(1, 9, 0.2)], value_range=text)


@pytest.mark.parametrize(
    "text", ["0", "-0.1", "0.3,0.1", "thick", "nan", "1e308", "1e-320", "0.1,11"]
)
def test_bad_radii_say_how_to_write_one(text):
    with pytest.raises(ValueError, match="radius"):
        pair_scene([_pair(1, 9, 0.2)], radius=text)


def test_the_key_says_what_colour_and_thickness_mean_with_numbers():
    scene = pair_scene([_pair(1, 9, 0.1), _pair(2, 20, 0.3)])
    key = scene.key()
    assert [label for label, _ in key.colors] == ["0.1", "0.2", "0.3"]
    assert key.colors[0][1] == scene.bonds[0].rgba and key.colors[-1][1] == scene.bonds[1].rgba
    assert key.radii == (("0.1", 0.05), ("0.2", pytest.approx(0.175)), ("0.3", 0.3))
    assert key.text == scene.scale_text()
    assert "colour 0.1-0.3 (attention, the drawn values' range)" in key.text
    assert "radius 0.05-0.3 A for 0.1-0.3" in key.text
    fixed = pair_scene([_pair(1, 9, 0.1)], value_range="full")
    assert "colour 0-1 (attention, fixed)" in fixed.scale_text()


def test_the_key_of_contact_colours_names_the_classes():
    scene = pair_scene(
        [_pair(1, 9, 0.1, contact=True), _pair(2, 20, 0.3, contact=False)], color_by="contact"
    )
    key = scene.key()
    assert [label for label, _ in key.colors] == ["contact", "no contact", "unknown"]
    assert dict(key.colors)["contact"] == scene.bonds[0].rgba
    assert "blue contact, magenta no contact, grey unknown" in scene.scale_text()


def test_residue_colours_have_a_key_without_radii():
    scene = residue_scene(_chain(4), np.array([0.0, 1.0, 2.0, 4.0]), vmin=0.0, vmax=4.0)
    key = scene.key()
    assert key.radii == () and key.colors[0][0] == "0" and key.colors[-1][0] == "4"
    assert scene.fixed and "colour 0-4 (attention, fixed)" in key.text


def _chain(n: int):
    from protattn import Chain

    return Chain(
        "A", "G" * n, tuple(ResidueId("A", k + 1) for k in range(n)), np.zeros((n, 4, 3)), ({},) * n
    )
