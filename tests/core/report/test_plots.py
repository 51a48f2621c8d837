"""Figures: each saved as PNG and SVG, read back (PIL, XML), without pyplot's global state."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from support import require

matplotlib = require("matplotlib")
PIL = require("PIL.Image")

from protattn.analysis.precision import predicted_pairs  # noqa: E402
from protattn.report import contacts as contact_plots  # noqa: E402
from protattn.report import plots  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def _svg_text(path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def _colours(path) -> int:
    with PIL.open(path) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1 << 24))


def _heatmap(path=None, **kwargs):
    values = np.random.default_rng(0).random((12, 12))
    kwargs.setdefault("mask", values < 0.1)
    return plots.heatmap(
        values,
        title="Contacts per head",
        label="share",
        background=0.2,
        percent=True,
        path=path,
        **kwargs,
    )


def _layer_profile(path=None):
    profile = np.linspace(0.1, 0.9, 12) ** 2
    return plots.layer_profile(
        profile,
        center_of_gravity=8.4,
        title="Contacts by layer",
        label="share",
        percent=True,
        path=path,
    )


def _contact_map(n=40):
    i, j = np.indices((n, n))
    return (abs(i - j) <= 3) | (i + j == n - 1)


def _head_vs_contacts(path=None):
    contacts = _contact_map()
    head = np.random.default_rng(1).random(contacts.shape) * 0.2 + contacts * 0.5
    head[:4, -4:] = np.nan
    return contact_plots.head_vs_contacts(head, contacts, title="antiberty 6-3 chain H", path=path)


def _contact_prediction(path=None):
    contacts = _contact_map()
    scores = np.random.default_rng(2).random(contacts.shape) + contacts
    pairs = predicted_pairs(scores, contacts)
    return contact_plots.contact_prediction(contacts, pairs, title="Top L predictions", path=path)


def _top_heads(path=None, background=0.1):
    rows = [
        {
            "layer_head": f"{12 - k}-{k + 1}",
            "share": 0.6 - 0.05 * k,
            "ci_low": 0.55 - 0.05 * k,
            "ci_high": 0.65 - 0.05 * k,
            "background": background if background is not None else 0.1 + 0.01 * k,
        }
        for k in range(10)
    ]
    rows[3]["ci_low"] = rows[3]["ci_high"] = None  # no interval: no whisker
    return plots.top_heads(rows, title="Top heads: contacts", path=path)


PLOTS = {
    # name: (builder, axes, texts the SVG must hold)
    "heatmap": (_heatmap, 2, ["Contacts per head", "12", "1", "Layer", "Head", "share"]),
    "layer_profile": (_layer_profile, 1, ["Contacts by layer", "12", "centre of gravity 8.4"]),
    "head_vs_contacts": (
        _head_vs_contacts,
        3,
        ["antiberty 6-3 chain H", "Attention", "Contacts", "40", "Residue"],
    ),
    "contact_prediction": (
        _contact_prediction,
        1,
        ["Top L predictions", "true contact", "false contact"],
    ),
    "top_heads": (_top_heads, 1, ["Top heads: contacts", "12-1", "3-10", "background"]),
}


@pytest.fixture(autouse=True)
def _no_global_state():
    """No plot may use pyplot (no figure registered anywhere) or leave rcParams changed."""
    had_pyplot = "matplotlib.pyplot" in sys.modules
    rc = matplotlib.rcParams.copy()  # copy() does not resolve (import pyplot for) the backend
    yield
    if had_pyplot:  # imported by another test: then no figure of ours may be open in it
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
    else:
        assert "matplotlib.pyplot" not in sys.modules
    assert matplotlib.rcParams.copy() == rc


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plot_saved_as_png_and_svg(name, tmp_path):
    build, n_axes, texts = PLOTS[name]
    png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
    figure = build(png)
    assert isinstance(figure, matplotlib.figure.Figure)
    assert len(figure.axes) == n_axes
    assert png.stat().st_size > 5_000
    with PIL.open(png) as image:
        assert image.format == "PNG" and min(image.size) > 200
    assert _colours(png) > 50

    assert build(svg) is not figure
    text = _svg_text(svg)
    for expected in texts:
        assert expected in text, f"{expected!r} is not in the SVG's text: {text[:300]}"
    # SVG is reproducible: the same figure again gives the same bytes (no date, fixed ids)
    assert plots.save(build(), tmp_path / "again.svg").read_bytes() == svg.read_bytes()


def _pixel(figure, ax, x, y):
    """RGB of the rendered figure at data coordinates (x, y) of ``ax``."""
    figure.canvas.draw()
    rgba = np.asarray(figure.canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    return tuple(rgba[rgba.shape[0] - int(round(py)), int(round(px)), :3])


def test_heatmap_masked_cells_differ_and_layer_one_is_at_the_top():
    values = np.full((4, 3), 0.5)
    values[0, 0] = 1.0  # layer 1, head 1
    plain = plots.heatmap(values)
    ax = plain.axes[0]
    corner = _pixel(plain, ax, 1, 1)
    assert corner != _pixel(plain, ax, 2, 1)
    assert ax.transData.transform((1, 1))[1] > ax.transData.transform((1, 4))[1]  # 1 above 4
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "3", "4"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]

    mask = np.zeros((4, 3), dtype=bool)
    mask[2, 1] = True  # layer 3, head 2
    masked = plots.heatmap(values, mask=mask)
    mx = masked.axes[0]
    assert _pixel(masked, mx, 2, 3) != _pixel(plain, ax, 2, 3)
    assert _pixel(masked, mx, 2, 3) != _pixel(masked, mx, 3, 3)  # an unmasked 0.5 cell
    assert _pixel(masked, mx, 3, 3) == _pixel(plain, ax, 3, 3)
    # a NaN value is drawn like a masked one
    values[2, 1] = np.nan
    assert _pixel(plots.heatmap(values), mx, 2, 3) == _pixel(masked, mx, 2, 3)


def test_heatmap_enrichment_diverges_from_the_background_and_shares_are_sequential():
    values = np.array([[0.0, 0.2, 0.4]])
    figure = plots.heatmap(values, background=0.2, enrichment=True, label="share")
    ax = figure.axes[0]
    below, middle, above = (_pixel(figure, ax, h, 1) for h in (1, 2, 3))
    assert min(middle) >= 240  # white at the background
    assert below[2] > below[0] and above[0] > above[2]  # blue below, red above
    assert "0 = the background 0.2" in figure.axes[1].get_ylabel()
    # the share itself: the sequential map, darker with the share, background marked
    shares = plots.heatmap(values, background=0.2, label="share")
    sx = shares.axes[0]
    low, mid, high = (np.asarray(_pixel(shares, sx, h, 1), dtype=float) for h in (1, 2, 3))
    assert low.sum() > mid.sum() > high.sum()
    assert "line: the background 0.2" in shares.axes[1].get_ylabel()
    with pytest.raises(ValueError, match="background"):
        plots.heatmap(values, enrichment=True)


def test_heatmap_explains_its_hatching_and_notes():
    mask = np.array([[True, False, False]])
    figure = plots.heatmap(np.array([[0.1, 0.2, 0.3]]), mask=mask, mask_label="hatched: few")
    legend = figure.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["hatched: few"]
    assert plots.heatmap(np.array([[0.1, 0.2]])).axes[0].get_legend() is None
    noted = plots.heatmap(np.zeros((2, 2)), note="nothing to rank")
    assert any(t.get_text() == "nothing to rank" for t in noted.axes[0].texts)


def test_many_layers_get_fewer_ticks():
    figure = plots.heatmap(np.random.default_rng(3).random((33, 20)))
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[0] == "1" and "33" in labels and len(labels) <= 13


def test_top_heads_background_per_row(tmp_path):
    figure = _top_heads(tmp_path / "rows.svg", background=None)
    assert "background" in _svg_text(tmp_path / "rows.svg")
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[0] == "12-1"
    assert (
        figure.axes[0].transData.transform((0, 0))[1]
        > figure.axes[0].transData.transform((0, 9))[1]
    )  # the first row at the top


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"\.png"):
        _layer_profile(tmp_path / "figure.jpg")
    with pytest.raises(ValueError, match="no heads"):
        plots.top_heads([])
    with pytest.raises(ValueError, match="mask"):
        plots.heatmap(np.zeros((2, 2)), mask=np.zeros((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="same chain"):
        contact_plots.head_vs_contacts(np.zeros((3, 3)), np.zeros((4, 4), dtype=bool))
