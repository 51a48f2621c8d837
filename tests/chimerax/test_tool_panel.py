"""The Attention panel's real widgets (``tool.AttentionPanel``), offscreen, in a headless ChimeraX.

The headless ChimeraX has no Qt, so this module brings PyQt6 (installed by
``chimerax_bundle/setup-test-env.sh``) under the names ChimeraX's own ``Qt``
shim gives it (``Qt.QtCore``, ``Qt.QtGui``, ``Qt.QtWidgets``: PyQt6's modules),
sets ``QT_QPA_PLATFORM=offscreen`` and gives ``session.ui.thread_safe`` what
ChimeraX's GUI does: a call posted from the worker thread runs on the Qt (GUI)
thread. Then the bundle's real ``tool.py`` builds the panel on a real session
with 1HPX open and the real AntiBERTy; the tests colour the grid, click a cell
and press buttons as a user would, and read back what the widgets show, what
ran in ChimeraX (pseudobonds, residue attributes, the logged commands) and
what the screenshot kept in ``<repo>/test-artifacts/chimerax_panel/`` shows.

``AttentionTool``, the ChimeraX tool that puts this panel in a tool window,
needs ChimeraX's main window (``chimerax.ui``, not in the headless ChimeraX); it
only adds that window.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, VFB, cxrun, logged, rid

import protattn

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "chimerax_panel"
IN_CI = os.environ.get("CI", "").lower() == "true"
JOB_TIMEOUT = 300.0  # seconds for one background job (the model is already loaded)
MIN_ARCS = 5


# ------------------------------------------------------------------------------ Qt here


def _qt_modules() -> dict[str, types.ModuleType]:
    """ChimeraX's ``Qt`` shim over PyQt6, as the application has it (not in the PyPI wheel)."""
    from PyQt6 import QtCore, QtGui, QtWidgets, sip

    qt = types.ModuleType("Qt")
    qt.__path__ = []  # a package: ``from Qt.QtCore import ...``
    qt.using_pyqt6 = qt.using_qt6 = True
    qt.using_pyqt5 = qt.using_pyside2 = qt.using_qt5 = False
    qt.version = f"PyQt6 {QtCore.PYQT_VERSION_STR}, Qt {QtCore.QT_VERSION_STR}"
    qt.qt_object_is_deleted = sip.isdeleted
    modules = {"Qt": qt}
    for name, module in (("QtCore", QtCore), ("QtGui", QtGui), ("QtWidgets", QtWidgets)):
        shim = types.ModuleType(f"Qt.{name}")
        shim.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
        setattr(qt, name, shim)
        modules[f"Qt.{name}"] = shim
    modules["Qt.QtCore"].Signal = QtCore.pyqtSignal
    modules["Qt.QtCore"].Slot = QtCore.pyqtSlot
    return modules


def _gui_poster(QtCore) -> Callable[..., None]:
    """``session.ui.thread_safe`` of ChimeraX's GUI: run a function on the Qt (GUI) thread."""

    class GuiThread(QtCore.QObject):
        posted = QtCore.pyqtSignal(object)

        def __init__(self) -> None:
            super().__init__()
            self.posted.connect(self._run, QtCore.Qt.ConnectionType.QueuedConnection)
            self.threads: set[int] = set()

        @QtCore.pyqtSlot(object)
        def _run(self, call) -> None:
            self.threads.add(threading.get_ident())
            call()

        def __call__(self, function, *args, **kw) -> None:
            self.posted.emit(functools.partial(function, *args, **kw))

    return GuiThread()


def _qt_unavailable() -> str | None:
    """Why PyQt6 cannot make an offscreen QApplication here, or None.

    Tried in a child process: a Qt platform plugin that cannot load aborts its process.
    """
    probe = (
        "from PyQt6.QtWidgets import QApplication; "
        "app = QApplication(['probe']); print(app.platformName())"
    )
    try:
        run = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
    except subprocess.TimeoutExpired:
        return "an offscreen QApplication did not start in 120 s"
    if run.returncode == 0 and run.stdout.strip().endswith("offscreen"):
        return None
    return (
        f"PyQt6 cannot make an offscreen QApplication with {sys.executable} (exit "
        f"{run.returncode}): {(run.stdout + run.stderr)[-1500:]}\nInstall it with "
        "chimerax_bundle/setup-test-env.sh VENV; Qt needs the Debian libraries libgl1, "
        "libegl1, libfontconfig1, libxkbcommon0, libglib2.0-0 and libdbus-1-3"
    )


@pytest.fixture(scope="module")
def qt(session):
    """PyQt6 offscreen, as ChimeraX's ``Qt``; the QApplication and the GUI-thread poster."""
    reason = _qt_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from PyQt6 import QtCore, QtWidgets

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QT_QPA_PLATFORM", "offscreen")
        for name, module in _qt_modules().items():
            mp.setitem(sys.modules, name, module)
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["chimerax-test"])
        assert app.platformName() == "offscreen"
        poster = _gui_poster(QtCore)
        mp.setattr(session.ui, "thread_safe", poster)
        yield types.SimpleNamespace(app=app, post=poster, QtCore=QtCore)


def wait_idle(qt, panel, timeout: float = JOB_TIMEOUT) -> None:
    """Run Qt's event loop until the panel's background jobs (and what they post) are done."""
    end = time.monotonic() + timeout
    idle = 0
    while idle < 3:  # idle across a few passes: a finished job may start a deferred one
        qt.app.processEvents()
        idle = 0 if panel.controller.worker.busy else idle + 1
        if time.monotonic() > end:
            raise TimeoutError(
                f"the panel's job did not finish in {timeout} s; status: {panel.status.text()!r}"
            )
        time.sleep(0.02)
    qt.app.processEvents()


def drawn_pairs(structure, name: str = "attention pairs") -> set:
    group = structure.pseudobond_group(name, create_type=None)
    if group is None:
        return set()
    a, b = group.pseudobonds.atoms
    return {(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)}


def core_pairs(layer_head: str, chains: str | None = None, **options) -> set:
    chosen = [c for c in protattn.read_structure(HPX).chains if chains is None or c.id in chains]
    return {(b.a, b.b) for b in protattn.compute_pairs(chosen, layer_head, **options).scene.bonds}


def click(qt, widget, pos=None) -> None:
    """A left click, delivered at once (what it posts waits for the next event processing)."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    QTest.mouseClick(
        widget,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        pos if pos is not None else widget.rect().center(),
    )


def choose_from_list(qt, combo, index: int) -> None:
    """Open a combo box's list and click one of its items, as a user would."""
    combo.showPopup()
    qt.app.processEvents()
    view = combo.view()
    assert view.isVisible()
    click(qt, view.viewport(), view.visualRect(combo.model().index(index, 0)).center())
    qt.app.processEvents()
    assert not view.isVisible() and combo.currentIndex() == index


def click_cell(qt, panel, layer: int, head: int) -> None:
    """Click the grid cell of ``layer``-``head`` (1-based) where it is drawn."""
    item = panel.grid.item(layer - 1, head - 1)
    click(qt, panel.grid.viewport(), panel.grid.visualItemRect(item).center())


@pytest.fixture(scope="module")
def shown(qt, session, language_model):
    """1HPX open, the panel built on the session, shown offscreen, its grid coloured by contacts."""
    from chimerax.protattn import tool, tool_logic

    cxrun(session, "close session")
    structure = cxrun(session, f"open {HPX}")[0]
    panel = tool.AttentionPanel(session)
    panel.setWindowTitle("Attention")
    panel.resize(560, 660)
    panel.show()
    qt.app.processEvents()
    panel.property_combo.setCurrentText("contacts")
    panel.min_arcs_spin.setValue(MIN_ARCS)
    panel.min_arcs_spin.editingFinished.emit()  # as when the user leaves the box
    wait_idle(qt, panel)
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    yield types.SimpleNamespace(panel=panel, structure=structure, tool=tool, logic=tool_logic)
    panel.release()
    panel.close()
    panel.deleteLater()
    qt.app.processEvents()
    cxrun(session, "close session")


def expected_grid(session, logic, spec: str = "#1"):
    """What ``attention stats`` computes for the grid's choices, as the grid's cells."""
    state = logic.PanelState(spec, prop="contacts", min_arcs=MIN_ARCS)
    stats = cxrun(session, logic.command("stats", state))["contact"]
    cells = logic.grid_cells(
        stats.share, stats.enough_arcs, stats.n_arcs, stats.background, "contacts"
    )
    grid = logic.GridStats(
        "contact", stats.share, stats.enough_arcs, stats.n_arcs, float(stats.background), MIN_ARCS
    )
    return cells, logic.grid_legend(grid, "contacts")


# ------------------------------------------------------------------------------- tests


def test_the_panel_shows_the_session_and_the_model(shown, language_model):
    panel, logic = shown.panel, shown.logic
    view = {n for n in vars(logic.PanelView) if not n.startswith("_")}
    assert view and all(callable(getattr(panel, n)) for n in view)
    assert panel.controller.view is panel
    combo = panel.structure_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["#1 1HPX.pdb"]
    assert combo.currentData() == "#1"
    chains = panel.chain_combo
    assert [(chains.itemText(i), chains.itemData(i)) for i in range(chains.count())] == [
        ("all chains", None),
        ("A  (99 residues)", "A"),
        ("B  (99 residues)", "B"),
    ]
    (antiberty,) = [c for c in logic.model_choices() if c.name == "antiberty"]
    assert antiberty.offline and panel.model_combo.currentData() == "antiberty"
    assert panel.model_combo.currentText() == antiberty.label
    assert panel.model_combo.count() == len(logic.model_choices())
    shape = (language_model.n_layers, language_model.n_heads)
    assert (panel.grid.rowCount(), panel.grid.columnCount()) == shape == (8, 8)
    assert (panel.layer_spin.maximum(), panel.head_spin.maximum()) == shape
    assert [panel.grid.horizontalHeaderItem(h).text() for h in range(8)] == [
        str(h) for h in range(1, 9)
    ]
    assert panel.state() == logic.PanelState(
        "#1", None, "antiberty", prop="contacts", min_arcs=MIN_ARCS
    )


def test_the_grid_has_the_colours_of_attention_stats(shown, session):
    from PyQt6.QtCore import Qt
    from PyQt6.QtGui import QColor

    panel, logic = shown.panel, shown.logic
    cells, legend = expected_grid(session, logic)
    assert "grid: contacts for #1 with antiberty" in panel.status.text()
    assert "attention stats #1 contact threshold 0.3 minArcs 5" in panel.status.text()
    assert panel.legend.text() == legend and "on contacts" in legend
    flat = [cell for row in cells for cell in row]
    assert len(flat) == 64 and sum(c.flagged for c in flat) < 64
    assert len({c.rgb for c in flat}) >= 5  # a spread of shares, not one colour
    for cell in flat:
        item = panel.grid.item(cell.layer - 1, cell.head - 1)
        assert item.text() == cell.text
        assert item.toolTip() == cell.tooltip
        assert item.background().color().getRgb() == QColor.fromRgbF(*cell.rgb).getRgb()
        text = Qt.GlobalColor.black if logic.text_is_dark(cell.rgb) else Qt.GlobalColor.white
        assert item.foreground().color() == QColor(text)


def test_a_grid_cell_click_runs_the_logged_pairs_command(shown, session, qt):
    panel = shown.panel
    panel.aggregate_combo.setCurrentText("mean")  # a click chooses one head again
    with logged(session) as log:
        click_cell(qt, panel, 2, 5)
        assert panel.controller.worker.busy  # the model runs off the GUI thread, until the
        # job's outcome is posted back and run by the event loop (in wait_idle)
        assert not panel.buttons["pairs"].isEnabled()
        wait_idle(qt, panel)
    line = "attention pairs #1 layerHead 2-5 threshold 0.1"
    assert panel.controller.history[-1] == line
    assert f"Executing: {line}" in log  # logged as if typed
    assert (panel.layer_spin.value(), panel.head_spin.value()) == (2, 5)
    assert panel.aggregate_combo.currentText() == "none" and panel.head_spin.isEnabled()
    assert panel.status.text().startswith(f"ran: {line}\n1HPX.pdb: antiberty")
    assert panel.buttons["pairs"].isEnabled()
    drawn = drawn_pairs(shown.structure)
    assert drawn == core_pairs("2-5", threshold=0.1) and len(drawn) > 10
    assert qt.post.threads == {threading.main_thread().ident}  # posted back to the GUI thread


def test_the_buttons_run_their_commands_on_the_chosen_chain(shown, session, qt):
    from chimerax.atomic import Residue

    panel, structure = shown.panel, shown.structure
    panel.chain_combo.setCurrentIndex(panel.chain_combo.findData("B"))
    wait_idle(qt, panel)  # the grid of chain B, computed in the background
    panel.layer_spin.setValue(6)
    panel.aggregate_combo.setCurrentText("max")
    assert not panel.head_spin.isEnabled()
    panel.top_k_spin.setValue(7)
    assert not panel.threshold_spin.isEnabled()
    panel.min_separation_spin.setValue(6)
    click(qt, panel.buttons["pairs"])
    wait_idle(qt, panel)
    assert (
        panel.controller.history[-1]
        == "attention pairs #1/B layerHead 6-max topK 7 minSeparation 6"
    )
    assert drawn_pairs(structure) == core_pairs("6-max", "B", top_k=7, min_separation=6)
    assert len(drawn_pairs(structure)) == 7

    click(qt, panel.buttons["color"])
    wait_idle(qt, panel)
    assert panel.controller.history[-1] == "attention color #1/B layerHead 6-max"
    chain_b = [
        r for r in structure.residues if r.chain_id == "B" and r.polymer_type == Residue.PT_AMINO
    ]
    scores = protattn.compute_scores(
        [c for c in protattn.read_structure(HPX).chains if c.id == "B"], "6-max"
    ).scores["B"]
    np.testing.assert_allclose([r.attention for r in chain_b], scores[: len(chain_b)], rtol=1e-5)

    click(qt, panel.buttons["clear"])
    assert panel.controller.history[-1] == "attention clear #1"
    assert drawn_pairs(structure) == set()
    assert not any(hasattr(r, "attention") for r in structure.residues)
    panel.top_k_spin.setValue(0)
    panel.min_separation_spin.setValue(1)
    panel.chain_combo.setCurrentIndex(0)
    wait_idle(qt, panel)


def test_errors_show_on_the_status_line(shown, session, qt, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    panel = shown.panel
    panel.layer_spin.setValue(3)
    panel.aggregate_combo.setCurrentText("none")
    panel.model_combo.setEditText("no_such_model_here")
    panel.model_combo.lineEdit().editingFinished.emit()
    qt.app.processEvents()
    assert panel.grid.rowCount() == 0  # its layers and heads are not known
    assert panel.layer_spin.maximum() == 99
    ran = list(panel.controller.history)
    click(qt, panel.buttons["pairs"])
    wait_idle(qt, panel)
    assert "no_such_model_here" in panel.status.text()
    assert "#b00020" in panel.status.styleSheet()
    assert panel.controller.history == ran  # nothing ran in ChimeraX
    choose_from_list(qt, panel.model_combo, panel.model_combo.findData("antiberty"))
    wait_idle(qt, panel)
    assert panel.model_combo.currentData() == "antiberty"
    assert (panel.grid.rowCount(), panel.grid.columnCount()) == (8, 8)
    cells, legend = expected_grid(session, shown.logic)
    assert panel.legend.text() == legend  # coloured again: the statistics are known
    assert [panel.grid.item(0, h).text() for h in range(8)] == [c.text for c in cells[0]]


def test_the_choosers_follow_structures_opened_and_closed(shown, session, qt):
    panel = shown.panel
    cxrun(session, f"open {VFB}")
    qt.app.processEvents()
    combo = panel.structure_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["#1 1HPX.pdb", "#2 1VFB.cif"]
    assert combo.currentData() == "#1"  # the choice is kept
    combo.setCurrentIndex(1)
    assert [panel.chain_combo.itemData(i) for i in range(panel.chain_combo.count())] == [
        None,
        "A",
        "B",
        "C",
    ]
    wait_idle(qt, panel)  # the grid of #2, computed in the background
    cells, legend = expected_grid(session, shown.logic, "#2")
    assert panel.legend.text() == legend
    assert panel.grid.item(0, 0).text() == cells[0][0].text
    cxrun(session, "close #2")
    qt.app.processEvents()
    assert [combo.itemText(i) for i in range(combo.count())] == ["#1 1HPX.pdb"]
    wait_idle(qt, panel)


def test_screenshot_shows_the_grid_colours(shown, session, qt):
    from PIL import Image

    panel, logic = shown.panel, shown.logic
    panel.structure_combo.setCurrentIndex(0)
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("antiberty"))
    wait_idle(qt, panel)
    click_cell(qt, panel, 6, 3)
    wait_idle(qt, panel)
    assert panel.controller.history[-1] == "attention pairs #1 layerHead 6-3 threshold 0.1"
    path = ARTIFACTS / "panel.png"
    assert panel.grab().save(str(path))
    image = Image.open(path).convert("RGB")
    ratio = image.width / panel.width()  # 1 unless the offscreen screen is scaled
    assert image.width >= 500 and image.height >= 600
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) >= 100  # text, widgets, the coloured grid: not a blank window

    cells, _ = expected_grid(session, logic)
    viewport = panel.grid.viewport().mapTo(panel, panel.grid.viewport().rect().topLeft())
    checked = 0
    for cell in (c for row in cells for c in row):
        if (cell.layer, cell.head) == (6, 3):
            continue  # framed in black: the chosen head
        rect = panel.grid.visualItemRect(panel.grid.item(cell.layer - 1, cell.head - 1))
        x = int((viewport.x() + rect.left() + 4) * ratio)  # inside the cell, clear of its text
        y = int((viewport.y() + rect.top() + 4) * ratio)
        want = np.array([round(255 * v) for v in cell.rgb])
        assert np.abs(np.array(image.getpixel((x, y))) - want).max() <= 3, (cell, x, y)
        checked += 1
    assert checked == 63
    frame = panel.grid.visualItemRect(panel.grid.item(5, 2))
    x = int((viewport.x() + frame.left() + 1) * ratio)
    y = int((viewport.y() + frame.center().y()) * ratio)
    assert image.getpixel((x, y)) == (0, 0, 0)  # the chosen head's black frame


def test_the_progress_bar_shows_only_while_a_job_runs(shown, session, qt):
    panel = shown.panel
    wait_idle(qt, panel)
    assert not panel.progress.isVisible()  # idle: no empty bar that looks like a text field
    click_cell(qt, panel, 2, 5)
    assert panel.controller.worker.busy and panel.progress.isVisible()
    wait_idle(qt, panel)
    assert not panel.progress.isVisible()
    assert panel.status.text().startswith("ran: attention pairs #1 layerHead 2-5")


def test_a_long_error_wraps_below_the_legend_and_is_read_whole(shown, qt):
    from PyQt6.QtCore import QPoint, QRect

    panel = shown.panel
    text = (
        "Attention panel: model 'esm2_t33_650M_UR50D' is not available offline: its "
        "weights are neither in a pip package nor in the Hugging Face cache "
        "(HF_HOME=/root/.cache/huggingface); download it once with network access, "
        "or choose a model marked offline, e.g. antiberty, and run the action again"
    )
    panel.error(text)
    qt.app.processEvents()

    def rect(widget) -> QRect:
        return QRect(widget.mapTo(panel, QPoint(0, 0)), widget.size())

    status, legend, grid = rect(panel.status), rect(panel.legend), rect(panel.grid)
    lines = panel.status.heightForWidth(panel.status.width())
    assert lines >= 3 * panel.status.fontMetrics().lineSpacing()  # it wraps to 3+ lines
    assert panel.status.height() >= lines  # every line shown, none cut off
    assert not status.intersects(grid) and not status.intersects(legend)
    assert status.top() >= legend.bottom() and status.bottom() <= panel.height()
    assert panel.status.text() == text and panel.status.toolTip() == text
    assert not panel.progress.isVisible()
    assert panel.grab().save(str(ARTIFACTS / "panel-long-error.png"))
    panel.say("ready")
    assert panel.status.toolTip() == ""
