"""The protattn dialog in PyMOL's real Qt GUI, under Xvfb, driven as a user would.

One PyMOL run per module: ``gui_driver.py`` (run with ``python -m pymol -q -l``)
opens the dialog from the Plugin menu, colours the grid, clicks head 6-3,
presses the buttons and writes ``report.json`` plus screenshots; the tests
assert on that report. PyMOL finds the plugin as a user-installed one: a
private HOME whose ``.pymolpluginsrc.py`` puts ``<repo>/plugin`` on PyMOL's
plugin path. The screenshots, the report and PyMOL's output are kept in
``<repo>/test-artifacts/pymol_gui/``.

Needs Xvfb (Debian ``xvfb``), PyQt5 and the libraries of Qt's xcb platform
plugin; without them the tests are skipped, or fail when ``CI=true``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "test-artifacts" / "pymol_gui"
PICTURES = REPO / "test-artifacts" / "pymol_dialog"  # the dialog with a three-line status
RUN_TIMEOUT = 120  # seconds for the whole PyMOL run (about 10 s on a quiet machine)
XCB_PACKAGES = (
    "libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-image0 "
    "libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 "
    "libxcb-xkb1 libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1 libdbus-1-3"
)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; the PyMOL GUI tests must run in CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def display():
    """A private X server (Xvfb picks a free display number and tells it through a pipe)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        _unavailable("Xvfb is not installed (Debian: apt-get install xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # empty if Xvfb exits
    if not number:
        error = server.communicate(timeout=10)[1].decode(errors="replace")
        pytest.fail(f"Xvfb did not start: {error[-2000:]}", pytrace=False)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def report(display, tmp_path_factory) -> dict:
    """Run PyMOL's GUI with the driver once; its report, with the artifacts saved."""
    for module, why in (("pymol", "PyMOL (pymol-open-source)"), ("PyQt5", "PyQt5")):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{why} is not installed in {sys.prefix}")
    out = tmp_path_factory.mktemp("pymol_gui")
    home = out / "home"
    home.mkdir()
    (home / ".pymolpluginsrc.py").write_text(
        f"import pymol.plugins\npymol.plugins.set_startup_path([{str(REPO / 'plugin')!r}], False)\n"
    )
    runtime = out / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(home),  # no user pymolrc or plugins; PyMOL finds only this plugin folder
        "HF_HOME": os.environ.get(
            "HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
        ),
        "HF_HUB_OFFLINE": "1",
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_RUNTIME_DIR": str(runtime),
        "PROTATTN_GUI_OUT": str(out),
        "PROTATTN_GUI_TIMEOUT": str(RUN_TIMEOUT - 20),
    }
    command = [sys.executable, "-m", "pymol", "-q", "-l", str(HERE / "gui_driver.py")]
    try:
        run = subprocess.run(
            command, env=env, cwd=out, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
        log = run.stdout + run.stderr
    except subprocess.TimeoutExpired as e:
        log = "".join(
            x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
            for x in (e.stdout, e.stderr)
        )
        log += f"\n[killed after {RUN_TIMEOUT} s]\n"
        hang = out / "hang.txt"
        log += hang.read_text() if hang.exists() else ""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    (ARTIFACTS / "pymol.log").write_text(log)
    for name in ("report.json", "dialog.png", "main_window.png", "screen.png", "error.png"):
        if (out / name).exists():
            shutil.copy(out / name, ARTIFACTS / name)
    if (out / "status3.png").exists():
        PICTURES.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "status3.png", PICTURES / "dialog.png")
    if "could not load the qt platform plugin" in log.lower():
        _unavailable(
            "Qt's xcb platform plugin cannot load (missing system libraries; Debian: "
            f"apt-get install {XCB_PACKAGES}): {log[-1500:]}"
        )
    if not (out / "report.json").exists():
        pytest.fail(f"PyMOL wrote no report; its output ends:\n{log[-3000:]}", pytrace=False)
    return json.loads((out / "report.json").read_text())


def test_the_driver_went_through_every_step(report):
    assert report["ok"], report.get("error")
    assert report["seconds"] < 90


def test_the_plugin_menu_item_opens_the_dialog(report):
    assert report["menu_action_found"]
    assert report["menu_path"] == ["Plugin", "protattn"]
    assert report["plugin_module"] == "pmg_tk.startup.protattn_pymol"  # loaded as a plugin
    assert report["dialog_title"].startswith("protattn")
    assert report["objects"] == ["1hpv"]
    assert report["chains"] == ["all chains", "A", "B"]
    assert report["models"][0] == "antiberty  (26M, offline)"
    assert len(report["models"]) > 1


def test_torch_is_imported_neither_at_start_up_nor_when_the_dialog_opens(report):
    assert report["torch_at_startup"] is False
    assert report["dialog_module_at_startup"] is False
    assert report["torch_after_dialog_open"] is False
    assert report["torch_after_grid"] is True  # the check can fail: the first job imports it


def test_the_grid_is_computed_in_the_background_and_coloured(report):
    assert report["busy_during_grid_job"] is True
    # the GUI thread answered while the model loaded and ran (seconds)
    assert report["gui_latency_during_grid_job_s"] < 2.0
    grid = report["grid"]
    assert (grid["rows"], grid["columns"]) == (8, 8)  # AntiBERTy: 8 layers x 8 heads
    assert grid["cells_with_value"] > 0
    assert grid["distinct_colours"] >= 3  # grey, and shades from white to red
    assert "on contacts" in grid["legend"]


def test_the_dialogs_min_arcs_default_is_the_commands(report):
    from protattn.lm.counts import DEFAULT_MIN_ARCS

    assert report["min_arcs_default"] == DEFAULT_MIN_ARCS == 100


def test_clicking_a_grid_cell_draws_that_heads_pairs(report):
    assert report["state_after_click"] == {
        "obj": "1hpv",
        "chain": "A",
        "model": "antiberty",
        "layer": 6,
        "head": 3,
        "aggregate": "none",
        "threshold": 0.1,
        "top_k": 0,
    }
    assert report["marked_cells"] == [[6, 3]]
    assert report["pairs_object_created"]
    assert report["pairs_after_click"] > 5
    assert report["history"][0] == "attention_pairs 1hpv and chain A, 6-3, threshold=0.1"


def test_every_button_runs_a_logged_command(report):
    assert report["history"] == [
        "attention_pairs 1hpv and chain A, 6-3, threshold=0.1",
        "attention_color 1hpv and chain A, 6-3",
        "attention_pairs 1hpv and chain A, 6-3, top_k=5",
        "attention_pairs 1hpv and chain A, 6-max, top_k=5",
        "attention_contacts 1hpv and chain A",
        "attention_clear 1hpv",
    ]
    assert report["b_factors_changed"]
    assert report["pairs_after_top_k"] == 5
    assert report["head_enabled_with_aggregate"] is False
    assert report["pairs_after_contacts"] == 99  # the top L predictions of the 99-residue chain
    assert report["cleared"] and report["b_factors_restored"]


def test_buttons_on_a_deleted_object_name_it_and_say_to_refresh(report):
    errors = report["deleted_object_errors"]
    assert set(errors) == {"pairs", "color", "contacts"}
    for button, error in errors.items():
        assert error and "'1hpv' is no longer loaded in PyMOL" in error, (button, error)
        assert "press Refresh" in error and "invalid selection" not in error, (button, error)
    assert report["deleted_object_ran_nothing"]
    assert report["objects_after_refresh"] == []


def test_a_model_that_is_not_there_is_reported_and_runs_nothing(report):
    assert "no_such_model" in report["bad_model_error"]
    assert report["bad_model_ran_nothing"]
    assert report["grid_after_bad_model"] == report["grid"]  # back to AntiBERTy's grid


@pytest.mark.parametrize("name", ["dialog.png", "main_window.png", "screen.png"])
def test_screenshots_are_real_pictures(report, name):
    from PIL import Image

    path = ARTIFACTS / name
    assert path.exists(), f"no screenshot {path}"
    image = Image.open(path).convert("RGB")
    assert image.width >= 400 and image.height >= 400
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) >= 200  # text, widgets, a shaded molecule: not a blank window
    if name != "dialog.png":
        # PyMOL's viewport as the screen shows it: its black background around the molecule
        black = sum(n for n, rgb in colours if rgb == (0, 0, 0)) / (image.width * image.height)
        assert 0.2 < black < 0.95


def _overlap(a: list[int], b: list[int]) -> bool:
    """Whether two rectangles [x, y, width, height] share any pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_the_progress_bar_shows_only_while_a_job_runs(report):
    assert report["progress_visible_during_job"] is True
    assert report["progress_visible_when_idle"] is False
    assert report["three_line_status"]["progress_visible"] is False


@pytest.mark.parametrize("case", ["three_line_status", "bad_model_layout"])
def test_the_status_wraps_in_its_band_clear_of_the_grid_and_legend(report, case):
    found = report[case]
    assert found["status_word_wrap"]
    for part in ("status_label", "status_area"):
        assert found[part][2] > 0 and found[part][3] > 0, part
        assert not _overlap(found[part], found["grid"]), (part, found)
        assert not _overlap(found[part], found["legend"]), (part, found)
    assert found["legend"][1] >= found["grid"][1] + found["grid"][3]  # below the grid, whole
    # every line is laid out (the label is as tall as its wrapped text): shown, or scrolled to
    assert found["status_height"] >= found["status_needs"]
    assert found["status_tooltip"] == found["status_text"]


def test_the_three_line_status_is_shown_whole_and_pictured(report):
    from PIL import Image

    found = report["three_line_status"]
    assert found["status_text"].count("\n") == 2
    assert not found["status_scrollable"]  # three lines fit the band
    picture = PICTURES / "dialog.png"
    assert picture.exists()
    assert Image.open(picture).size[0] >= 400


def test_the_model_missing_error_is_readable_in_full(report):
    found = report["bad_model_layout"]
    assert found["status_text"] == report["bad_model_error"]  # not cut: the whole message
    assert found["status_tooltip"] == report["bad_model_error"]


def test_the_readmes_dialog_picture_is_made_by_its_script(display, tmp_path):
    from PIL import Image

    png = tmp_path / "pymol_dialog.png"
    script = REPO / "docs" / "pictures" / "pymol_dialog.py"
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, str(script), str(png)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert "ran: attention_pairs 1hpv, 6-3" in run.stdout  # the status the picture shows
    image = Image.open(png).convert("RGB")
    assert image.width >= 500 and image.height >= 600
    assert len(image.getcolors(maxcolors=1 << 24)) > 100  # a coloured grid, text: not blank
