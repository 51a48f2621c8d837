"""Scales and keys: one scale per command, fixed scales, and keys seen in ray-traced pictures.

The pictures are ray-traced by the test's own PyMOL with flat lighting, so that a CGO
colour reaches the PNG unchanged, and read back pixel by pixel.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from pymol import CmdException, stored
from readback import cgo_cylinders

import protattn
from protattn.palettes import CONTACT_COLORS
from protattn_pymol import attention_clear, attention_color, attention_key, attention_pairs, draw

HEAD = "6-3"
FLAT = dict(
    ambient=1.0,
    direct=0.0,
    reflect=0.0,
    specular=0.0,
    ray_shadows=0,
    light_count=1,
    depth_cue=0,
    ray_trace_fog=0,
    antialias=0,
)


#: Two objects of different sequences, so that each alone would have a range of its own.
TWO = "1hpv or 1aku"


@pytest.fixture
def two(pm, shared_dir):
    """1hpv (PyMOL's HIV-1 protease) and 1aku (a flavodoxin, from the shared data)."""
    pm.load(str(shared_dir / "data" / "structures" / "ligand" / "1AKU.pdb"), "1aku")
    return pm


def _colours(pm, obj):
    stored.colors = {}
    pm.iterate(f"{obj} and name CA", "stored.colors[(chain, resv)] = color")
    return {k: pm.get_color_tuple(v) for k, v in stored.colors.items()}


def test_one_command_colours_two_objects_on_one_scale(two, capsys):
    results = attention_color(TWO, "8-mean", _self=two)
    out = capsys.readouterr().out
    own = {obj: [r.value for r in result.scene.residues] for obj, result in results.items()}
    assert min(own["1hpv"]) != min(own["1aku"]) or max(own["1hpv"]) != max(own["1aku"])
    lo = min(min(v) for v in own.values())
    hi = max(max(v) for v in own.values())
    for obj, result in results.items():
        assert (result.scene.vmin, result.scene.vmax) == pytest.approx((lo, hi))
        colours = _colours(two, obj)
        palette = result.scene.palette
        for r in result.scene.residues:  # one value, one colour, in both objects
            expected = palette.rgb_at(np.array([(r.value - lo) / (hi - lo)]))[0]
            np.testing.assert_allclose(
                colours[(r.residue.chain, r.residue.number)], expected, atol=1 / 255
            )
    assert out.count("the range over 2 objects") == 2

    fixed = attention_color(TWO, "8-mean", range="0,0.05", _self=two)
    assert {(r.scene.vmin, r.scene.vmax) for r in fixed.values()} == {(0.0, 0.05)}
    assert capsys.readouterr().out.count("(attention, fixed)") == 2


def test_one_command_draws_pairs_of_two_objects_on_one_scale(two, capsys):
    attention_pairs(TWO, HEAD, min_separation=6, _self=two)
    scenes = {obj: draw.scenes(obj, _self=two)[0] for obj in ("1hpv", "1aku")}
    weights = [b.weight for s in scenes.values() for b in s.bonds]
    own = [(min(w), max(w)) for w in ([b.weight for b in s.bonds] for s in scenes.values())]
    assert own[0] != own[1]  # each alone would have a range of its own
    for scene in scenes.values():
        assert (scene.vmin, scene.vmax) == pytest.approx((min(weights), max(weights)))
        assert scene.basis == "2 objects"
    assert capsys.readouterr().out.count("the range over 2 objects") == 2

    attention_pairs(TWO, HEAD, min_separation=6, range="full", _self=two)
    for obj in ("1hpv", "1aku"):
        (scene,) = draw.scenes(obj, _self=two)
        assert (scene.vmin, scene.vmax, scene.fixed) == (0.0, 1.0, True)
        for cyl, bond in zip(cgo_cylinders(two, draw.pairs_name(obj)), scene.bonds, strict=True):
            assert cyl[6] == pytest.approx(0.05 + 0.25 * bond.weight, abs=1e-5)


def test_the_key_is_an_object_in_the_group_updated_and_cleared(pm, capsys):
    with pytest.raises(CmdException, match="draw first"):
        attention_key("1hpv", _self=pm)
    attention_pairs("1hpv", HEAD, top_k=5, _self=pm)
    assert draw.key_name("1hpv") not in pm.get_names("all")  # key=0: no key

    assert attention_key("1hpv", _self=pm) == [draw.key_name("1hpv")]
    assert pm.get_type(draw.key_name("1hpv")) == "object:cgo"
    groups = {e[0]: e[6] for e in pm.get_session()["names"] if e and e[1] == 0}
    assert groups[draw.key_name("1hpv")] == groups[draw.pairs_name("1hpv")] == "attention_1hpv"
    assert "colour" in capsys.readouterr().out  # the key's text: the scale in words
    view = pm.get_view()
    pm.do("attention_key 1hpv, zoom=0")  # typed at the prompt; the camera stays
    assert pm.get_view() == view and "attention_1hpv_key" in capsys.readouterr().out

    before = pm.get_session(draw.key_name("1hpv"))
    attention_color("1hpv", "8-mean", _self=pm)  # a shown key follows later drawings
    assert [s.residues != () for s in draw.scenes("1hpv", _self=pm)] == [False, True]
    assert pm.get_session(draw.key_name("1hpv")) != before

    attention_clear("1hpv", _self=pm)
    assert pm.get_names("all") == ["1hpv"]
    assert draw.scenes("1hpv", _self=pm) == []


def _ray(pm, path, width=640, height=480) -> np.ndarray:
    pm.png(str(path), width=width, height=height, ray=1)
    return np.asarray(Image.open(path).convert("RGB"), dtype=float) / 255


def _pixels(image: np.ndarray, rgb, tolerance: float = 0.02) -> int:
    return int((np.abs(image - np.asarray(rgb[:3])) <= tolerance).all(axis=-1).sum())


@pytest.fixture
def flat(pm):
    """1hpv with only protattn's drawings shown, on white, lit so colours render unchanged."""
    pm.hide("everything")
    pm.bg_color("white")
    for name, value in FLAT.items():
        pm.set(name, value)
    pm.orient("1hpv")
    return pm


def test_a_ray_traced_picture_shows_the_keys_colours(flat, tmp_path):
    attention_pairs("1hpv", HEAD, min_separation=6, range="full", key=1, _self=flat)
    (scene,) = draw.scenes("1hpv", _self=flat)
    low, high = scene.palette.samples(2)  # the key's ends: weights 0 and 1, which no pair has
    assert min(b.weight for b in scene.bonds) > 0.1 and max(b.weight for b in scene.bonds) < 0.7

    with_key = _ray(flat, tmp_path / "key.png")
    assert _pixels(with_key, low) > 10 and _pixels(with_key, high) > 10
    ink = _pixels(with_key, (0, 0, 0), 0.05)
    assert ink > 100  # the labels and title, black on white
    for bond in scene.bonds[:3]:  # the pairs' own colours, as the scene says
        assert _pixels(with_key, bond.rgba) > 0

    flat.disable(draw.key_name("1hpv"))
    without = _ray(flat, tmp_path / "no_key.png")
    assert _pixels(without, low) == 0 and _pixels(without, high) == 0
    assert _pixels(without, (0, 0, 0), 0.05) < ink / 10


def test_a_contact_drawing_is_blue_and_magenta_with_its_key(flat, tmp_path):
    attention_pairs("1hpv", HEAD, min_separation=6, color_by="contact", key=1, _self=flat)
    image = _ray(flat, tmp_path / "contact.png")
    blue, magenta, grey = (CONTACT_COLORS[k] for k in (True, False, None))
    assert _pixels(image, blue) > 100 and _pixels(image, magenta) > 100
    assert _pixels(image, grey) > 50  # only the key has it: every residue of 1hpv is observed
    for old in ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)):  # green / red: the colours contacts had
        assert _pixels(image, old, 0.25) == 0


def test_render_png_draws_the_key_it_is_given(hpv_path, tmp_path):
    from protattn_pymol.render import render_png

    chains = protattn.read_structure(hpv_path).chains
    scene = protattn.compute_pairs(chains, HEAD, min_separation=6, value_range="full").scene
    ca = protattn.ca_coordinates(chains)
    for key, name in ((None, "plain.png"), (scene.key(), "key.png")):
        assert render_png(hpv_path, scene, ca, tmp_path / name, 400, 300, key=key) == len(
            scene.bonds
        )
    plain, keyed = (
        np.asarray(Image.open(tmp_path / n).convert("RGB"), dtype=float) / 255
        for n in ("plain.png", "key.png")
    )
    assert plain.shape == keyed.shape == (300, 400, 3)
    # the key's text, black on white (PyMOL's own lighting: the colours are shaded)
    assert _pixels(keyed, (0, 0, 0), 0.15) > _pixels(plain, (0, 0, 0), 0.15) + 40
