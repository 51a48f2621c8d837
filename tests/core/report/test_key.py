"""A drawing's key as a picture, alone and under a host's image."""

from __future__ import annotations

import numpy as np
from matplotlib.image import imread, imsave

from protattn import Pair, ResidueId, pair_scene
from protattn.palettes import CONTACT_COLORS, PALETTES
from protattn.report.key import attach_key, key_figure


def _pair(i: int, j: int, weight: float, contact: bool | None = None) -> Pair:
    return Pair(
        "A", i, j, ResidueId("A", i + 1), ResidueId("A", j + 1), "G", "A", weight, 5.0, contact
    )


def _near(pixels: np.ndarray, rgb, tolerance: int = 6) -> int:
    """How many pixels are within ``tolerance`` (of 255) of ``rgb``."""
    rgb8 = 255 * np.asarray(rgb[:3], dtype=float)
    return int((np.abs(255 * pixels[..., :3] - rgb8).max(axis=-1) <= tolerance).sum())


def test_a_key_under_an_image_keeps_the_image_and_shows_the_scale(tmp_path):
    path = tmp_path / "picture.png"
    green = np.zeros((300, 400, 3))
    green[..., 1] = 1.0
    imsave(path, green)
    scene = pair_scene([_pair(1, 9, 0.1), _pair(2, 20, 0.3)])
    attach_key(path, scene.key(), "1abc antiberty 6-3")
    out = imread(path)
    assert out.shape[1] == 400 and out.shape[0] > 300
    np.testing.assert_allclose(out[:300, :, :3], green, atol=1 / 255)  # the picture, untouched
    key = out[300:]
    for end in (PALETTES["attention"][0], PALETTES["attention"][-1]):
        assert _near(key, end) > 20
    assert _near(key, (0.0, 1.0, 0.0), 40) == 0  # nothing of the picture spills into the key


def test_a_contact_key_shows_its_three_classes_and_no_gradient(tmp_path):
    scene = pair_scene([_pair(1, 9, 0.1, True), _pair(2, 20, 0.3, False)], color_by="contact")
    key = scene.key()
    assert key.palette is None
    figure = key_figure(key, path=tmp_path / "key.png")
    pixels = imread(tmp_path / "key.png")
    for kind in (True, False, None):
        assert _near(pixels, CONTACT_COLORS[kind]) > 20, kind
    assert _near(pixels, PALETTES["attention"][-1]) == 0
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert {"contact", "no contact", "unknown"} <= set(texts)
    assert scene.scale_text() in texts and any("0.3: 0.3 Å" in t for t in texts)
