"""Keys in pictures: ``key true`` as ChimeraX saves it, checked pixel by pixel.

The headless ChimeraX draws text (the colour key's labels, 2D labels) only with
the Qt shim of ``../shared/chimerax/qtshim.py`` (PyQt6 under ChimeraX's ``Qt``
names, installed by ``chimerax_bundle/setup-test-env.sh``); this module installs
it once, sizes the view to the saved image's size (overlays are placed in it)
and saves 800 x 600 images of 1HPX: the key's colours are where the key is, the
pairs have their contact colours (blue, magenta) and nothing is green, the 2D
labels' text is drawn; without ``key true`` none of it is there.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, cxrun, logged, open_structure

from protattn.palettes import CONTACT_COLORS, parse_palette

HEAD = "6-3"
W, H = 800, 600
ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
LABEL_NAMES = (
    "protattn_pairs_title",
    "protattn_pairs_scale",
    "protattn_color_title",
    "protattn_color_scale",
)


@pytest.fixture(scope="module")
def pictures(session):
    """The session with the Qt shim (text in saved images) and an 800 x 600 view."""
    if importlib.util.find_spec("PyQt6") is None:
        reason = "PyQt6 is not installed; set up the venv with chimerax_bundle/setup-test-env.sh"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from qtshim import install_qt_shim

    install_qt_shim()
    session.main_view.resize(W, H)
    from chimerax.protattn.key import PLACES

    return PLACES


@pytest.fixture
def scene(cx, pictures, language_model):
    """1HPX in light grey on white, atoms hidden, small enough to leave the corners free."""
    open_structure(cx, HPX)
    for command in (
        "set bgColor white",
        "lighting simple",
        "hide #1 atoms",
        "color #1 lightgray",
        "view",
        "zoom 0.7",
    ):
        cxrun(cx, command)
    return pictures


def save(session, path: Path) -> np.ndarray:
    """The view saved as PNG, read back as ``shape=(H, W, 3)`` uint8."""
    from PIL import Image

    cxrun(session, f"save {path} width {W} height {H} supersample 1")
    image = Image.open(path).convert("RGB")
    assert image.size == (W, H)
    return np.asarray(image)


def box(x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
    """Rows and columns of a window region given in fractions from the lower left."""
    return slice(round((1 - y1) * H), round((1 - y0) * H)), slice(round(x0 * W), round(x1 * W))


def key_box(place, inset: int = 5) -> tuple[slice, slice]:
    """The colour key's bar, ``inset`` pixels inside its border."""
    (x, y), (w, h) = place.key, place.size
    rows, cols = box(x, y, x + w, y + h)
    return (
        slice(rows.start + inset, rows.stop - inset),
        slice(cols.start + inset, cols.stop - inset),
    )


def label_box(place) -> tuple[slice, slice]:
    """Where the title label's text is: above its lower left corner."""
    x, y = place.title
    return box(x, y, x + 0.4, y + 0.035)


def near(pixels: np.ndarray, rgb, tolerance: float) -> np.ndarray:
    """Pixels within ``tolerance`` (0-255, every channel) of an RGB in 0-1."""
    want = np.round(np.asarray(rgb[:3]) * 255)
    return (np.abs(pixels.astype(float) - want) <= tolerance).all(axis=-1)


def hue_counts(pixels: np.ndarray) -> dict[str, int]:
    """Saturated pixels by hue: the contact colours' blue and magenta, and green."""
    from PIL import Image

    hsv = np.asarray(Image.fromarray(pixels).convert("HSV")).astype(float)
    hue, saturated = hsv[..., 0] * 360 / 255, (hsv[..., 1] > 110) & (hsv[..., 2] > 60)
    return {
        "blue": int((saturated & (np.abs(hue - 218) < 14)).sum()),
        "magenta": int((saturated & (np.abs(hue - 304) < 14)).sum()),
        "green": int((saturated & (hue > 75) & (hue < 165)).sum()),
    }


def is_blank(pixels: np.ndarray) -> bool:
    return bool((pixels >= 245).all())


def test_pairs_key_by_contact_in_the_saved_image(cx, scene, tmp_path):
    place = scene["pairs"]
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} colorBy contact key true")
    image = save(cx, tmp_path / "pairs-key.png")

    bar = image[key_box(place)]
    thirds = np.array_split(bar, 3, axis=1)
    for third, contact in zip(thirds, (True, False, None)):
        middle = third[:, third.shape[1] // 4 : 3 * third.shape[1] // 4]
        assert near(middle, CONTACT_COLORS[contact], 6).mean() > 0.95, contact
    assert (image[label_box(place)] < 100).all(axis=-1).sum() > 100  # the title's text
    counts = hue_counts(image[box(0, 0, 1, 0.78)])  # below the key: the pairs
    assert counts["blue"] > 100 and counts["magenta"] > 100, counts
    assert counts["green"] == 0, counts

    cxrun(cx, f"attention pairs #1 layerHead {HEAD} colorBy contact")  # the control
    control = save(cx, tmp_path / "pairs-no-key.png")
    assert is_blank(control[key_box(place, inset=0)])
    assert is_blank(control[label_box(place)])
    counts = hue_counts(control[box(0, 0, 1, 0.78)])
    assert counts["blue"] > 100 and counts["magenta"] > 100 and counts["green"] == 0


def test_residue_colours_key_in_the_saved_image(cx, scene, tmp_path):
    place = scene["color"]
    palette = parse_palette("attention")
    cxrun(cx, f"attention color #1 layerHead {HEAD} key true")
    image = save(cx, tmp_path / "color-key.png")

    bar = image[key_box(place)]
    assert near(bar[:, :2], palette.rgb_at(np.array([0.0]))[0], 8).mean() > 0.9  # low end
    assert near(bar[:, -2:], palette.rgb_at(np.array([1.0]))[0], 8).mean() > 0.9  # high end
    middle = bar[:, bar.shape[1] // 2 - 2 : bar.shape[1] // 2 + 2]
    assert near(middle, palette.rgb_at(np.array([0.5]))[0], 10).mean() > 0.9
    assert (image[label_box(place)] < 100).all(axis=-1).sum() > 100
    # the structure wears the key's colours: orange residues, none left light grey
    ribbon = image[box(0, 0.25, 1, 0.75)]
    assert near(ribbon, palette.colors[1], 40).sum() > 100
    assert near(ribbon, (0.83, 0.83, 0.83), 6).sum() < 50

    cxrun(cx, f"attention color #1 layerHead {HEAD}")  # the control
    control = save(cx, tmp_path / "color-no-key.png")
    assert is_blank(control[key_box(place, inset=0)])
    assert is_blank(control[label_box(place)])


def test_one_colour_key_per_session_and_clear_removes_the_keys(cx, scene, tmp_path):
    from chimerax.color_key.model import get_model
    from chimerax.label.label2d import find_label

    pairs, color = scene["pairs"], scene["color"]
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} colorBy contact key true")
    cxrun(cx, f"attention color #1 layerHead {HEAD} key true")
    image = save(cx, tmp_path / "both.png")

    assert is_blank(image[key_box(pairs, inset=0)])  # the colour key moved to the colours
    assert not is_blank(image[key_box(color)])
    for place in (pairs, color):
        assert (image[label_box(place)] < 100).all(axis=-1).sum() > 100  # both texts
    assert all(find_label(cx, name) is not None for name in LABEL_NAMES)

    open_structure(cx, HPX)
    cxrun(cx, "attention clear #2")  # another structure's: the keys stay
    assert all(find_label(cx, name) is not None for name in LABEL_NAMES)
    with logged(cx) as log:
        cxrun(cx, "attention clear")
    assert log[-1].endswith(" and 2 keys")
    assert get_model(cx, create=False) is None
    assert all(find_label(cx, name) is None for name in LABEL_NAMES)
    cleared = save(cx, tmp_path / "cleared.png")
    for place in (pairs, color):
        assert is_blank(cleared[key_box(place, inset=0)])
        assert is_blank(cleared[label_box(place)])


def test_a_new_drawing_without_a_key_removes_its_stale_key(cx, scene):
    from chimerax.color_key.model import get_model
    from chimerax.label.label2d import find_label

    cxrun(cx, f"attention pairs #1 layerHead {HEAD} key true")
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 3 name top3")  # another group
    assert find_label(cx, "protattn_pairs_title") is not None
    cxrun(cx, f"attention color #1 layerHead {HEAD}")  # another kind
    assert get_model(cx, create=False) is not None
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.2")  # the same group
    assert find_label(cx, "protattn_pairs_title") is None
    assert get_model(cx, create=False) is None


def test_a_run_that_finds_nothing_keeps_the_drawing_and_its_key(cx, scene, tmp_path):
    from chimerax.color_key.model import get_model
    from chimerax.label.label2d import find_label

    cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.1 key true")
    before = save(cx, tmp_path / "before.png")
    key = get_model(cx, create=False)
    title = find_label(cx, "protattn_pairs_title")
    assert key is not None and title is not None

    cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.99")  # finds no pair
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.99 key true")

    assert get_model(cx, create=False) is key
    assert find_label(cx, "protattn_pairs_title") is title
    after = save(cx, tmp_path / "after.png")
    np.testing.assert_array_equal(after, before)  # the same picture: pairs and key


def test_the_readme_picture_script_draws_both_keys(tmp_path, pictures):
    from PIL import Image

    path = tmp_path / "chimerax_1hpx_key.png"
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "pictures" / "chimerax_key.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape == (H, W, 3)
    palette = parse_palette("attention")
    bar = image[key_box(pictures["color"])]
    assert near(bar[:, :2], palette.rgb_at(np.array([0.0]))[0], 8).mean() > 0.9
    assert near(bar[:, -2:], palette.rgb_at(np.array([1.0]))[0], 8).mean() > 0.9
    for place in pictures.values():
        assert (image[label_box(place)] < 100).all(axis=-1).sum() > 100
    counts = hue_counts(image[box(0, 0.25, 1, 0.85)])
    assert counts["blue"] > 50 and counts["magenta"] > 50 and counts["green"] == 0
