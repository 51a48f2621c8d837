"""Drive PyMOL's real Qt GUI through the protattn dialog, as a user would; write what happened.

Run inside PyMOL by ``test_dialog_gui.py`` (under Xvfb)::

    PROTATTN_GUI_OUT=/tmp/out python -m pymol -q -l tests/pymol_gui/gui_driver.py

``-l`` runs this file as a module in a thread of its own once the GUI is up
(run as a plain startup script, it starts that thread itself). Qt widgets are
touched only on the GUI thread (through :class:`_GuiCaller`), PyMOL through ``cmd``.
The steps: find the Plugin menu's "protattn" action and trigger it; check torch
was imported neither at start-up nor when the dialog opened; colour the grid by
contacts; click the grid cell of head 6-3 and wait for its pairs; press Colour,
take screenshots; then Pairs (top k, a layer's max), a model that is not there,
Contacts and Clear; then the object is deleted and the buttons are pressed again.
``report.json``, ``dialog.png``, ``main_window.png`` and ``screen.png`` are written
to ``PROTATTN_GUI_OUT``; then PyMOL quits, also after a failure (the report then
holds the traceback, ``hang.txt`` where a hang hung).
"""

import faulthandler
import importlib
import json
import os
import sys
import threading
import time
import traceback

from pymol import cmd

OUT = os.environ["PROTATTN_GUI_OUT"]
TIMEOUT = float(os.environ.get("PROTATTN_GUI_TIMEOUT", "100"))
HEAD = (6, 3)  # the demo's head: layer 6, head 3 of AntiBERTy
PAIRS = "attention_1hpv_pairs"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pymol_plugin"))
from readback import cgo_cylinders  # noqa: E402

report: dict = {"steps": [], "ok": False}
_start = time.monotonic()


class _GuiCaller:
    """Runs functions on the GUI thread for this thread, with a timeout.

    (PyMOL's ``cmd._call_in_gui_thread`` can miss its wake-up and wait forever.)
    """

    def __init__(self):
        from pymol.Qt import QtCore, QtWidgets

        class Receiver(QtCore.QObject):
            call = QtCore.Signal(object)

            @QtCore.Slot(object)
            def run(self, job):
                job()

        self._receiver = Receiver()
        self._receiver.moveToThread(QtWidgets.QApplication.instance().thread())
        self._receiver.call.connect(self._receiver.run)

    def __call__(self, function, timeout: float = 30.0):
        done, box = threading.Event(), {}

        def job():
            try:
                box["value"] = function()
            except BaseException as e:  # raised again in the calling thread
                box["error"] = e
            done.set()

        self._receiver.call.emit(job)
        if not done.wait(timeout):
            raise TimeoutError(f"the GUI thread did not run {function} within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")


_gui = None


def gui(function, timeout: float = 30.0):
    """Run ``function()`` on the GUI thread and return its result."""
    global _gui
    if _gui is None:
        _gui = _GuiCaller()
    return _gui(function, timeout)


def step(name: str, **values) -> None:
    report["steps"].append({"step": name, "t": round(time.monotonic() - _start, 2), **values})


def wait_for(what: str, predicate, timeout: float = 60.0, poll: float = 0.1):
    """Poll ``predicate()`` until it is true; its value is returned."""
    until = min(time.monotonic() + timeout, _start + TIMEOUT)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > until:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(poll)


def wait_idle(dialog, what: str, timeout: float = 60.0) -> float:
    """Wait for the dialog's background job to end; the GUI thread's worst latency meanwhile."""
    worst = 0.0

    def idle():
        nonlocal worst
        t = time.monotonic()
        busy = gui(lambda: dialog.busy)
        worst = max(worst, time.monotonic() - t)
        return not busy

    wait_for(what, idle, timeout)
    error = gui(lambda: dialog.last_error)
    if error:
        raise RuntimeError(f"{what}: the dialog reports an error: {error}")
    return worst


def cylinders() -> int:
    return len(cgo_cylinders(cmd, PAIRS)) if PAIRS in cmd.get_names("all") else 0


def find_action(window, text: str):
    """The menu action labelled ``text`` anywhere in the menu bar, with its menu path."""

    def walk(menu, path):
        for action in menu.actions():
            if action.menu() is not None:
                yield from walk(action.menu(), path + [action.menu().title()])
            elif action.text().replace("&", "") == text:
                yield path, action

    for action in window.menuBar().actions():
        if action.menu() is not None:
            for found in walk(action.menu(), [action.menu().title()]):
                return found
    return [], None


def b_factors() -> list[float]:
    values: list[float] = []
    cmd.iterate("1hpv and chain A and name CA", "values.append(b)", space={"values": values})
    return values


def screenshots(window, dialog) -> dict:
    """dialog.png, main_window.png and screen.png: the two windows side by side, as shown.

    PyMOL's viewport is an OpenGL window of its own, which ``QWidget.grab`` does
    not see: the main window is taken from the screen (the X server's pixels).
    """
    from pymol.Qt import QtWidgets

    def place():
        window.move(0, 0)
        dialog.move(window.frameGeometry().right() + 10, 0)
        dialog.raise_()

    gui(place)
    time.sleep(1.0)  # let the X server map the moves and the viewport draw the pairs
    cmd.refresh()

    def grab():
        screen = QtWidgets.QApplication.primaryScreen()
        shots = {
            "dialog.png": dialog.grab(),
            "main_window.png": screen.grabWindow(window.winId()),
            "screen.png": screen.grabWindow(0),
        }
        sizes = {}
        for name, pixmap in shots.items():
            pixmap.save(os.path.join(OUT, name))
            sizes[name] = [pixmap.width(), pixmap.height()]
        return sizes

    return gui(grab)


def layout(dialog, status: str | None = None, picture: str | None = None) -> dict:
    """Where the status band, the grid and the legend are (dialog coordinates), and more.

    With ``status``, that text is shown first; with ``picture``, the dialog is then
    grabbed into that file of ``OUT``.
    """
    from pymol.Qt import QtCore, QtWidgets

    def rect(widget, clip=None) -> list[int]:
        r = QtCore.QRect(widget.mapTo(dialog, QtCore.QPoint(0, 0)), widget.size())
        if clip is not None:
            r = r.intersected(QtCore.QRect(clip.mapTo(dialog, QtCore.QPoint(0, 0)), clip.size()))
        return [r.x(), r.y(), r.width(), r.height()]

    def read():
        if status is not None:
            dialog.say(status)
        for _ in range(5):
            QtWidgets.QApplication.processEvents()
        label = dialog.status
        found = {
            "status_label": rect(label, dialog.status_area.viewport()),
            "status_area": rect(dialog.status_area),
            "grid": rect(dialog.grid),
            "legend": rect(dialog.legend),
            "status_text": label.text(),
            "status_tooltip": label.toolTip(),
            "status_word_wrap": label.wordWrap(),
            "status_height": label.height(),
            "status_needs": label.heightForWidth(label.width()),
            "status_scrollable": dialog.status_area.verticalScrollBar().maximum() > 0,
            "progress_visible": dialog.progress.isVisible(),
            "busy": dialog.busy,
        }
        if picture:
            dialog.grab().save(os.path.join(OUT, picture))
        return found

    return gui(read)


def drive() -> None:
    from pymol import plugins
    from pymol.Qt import PYQT_NAME, QtCore, QtWidgets

    qtest = importlib.import_module(f"{PYQT_NAME}.QtTest").QTest
    from pmg_qt import pymol_qt_gui

    window = wait_for("PyMOL's main window", lambda: pymol_qt_gui.window, 30)
    info = wait_for(
        "the protattn plugin to load",
        lambda: (
            plugins.plugins.get("protattn_pymol")
            if getattr(plugins.plugins.get("protattn_pymol"), "loaded", False)
            else None
        ),
        30,
    )
    report["plugin_module"] = info.mod_name
    report["torch_at_startup"] = "torch" in sys.modules
    report["dialog_module_at_startup"] = f"{info.mod_name}.dialog" in sys.modules
    step("started")

    def menu_item():
        path, action = gui(lambda: find_action(window, "protattn"))
        return (path, action) if action is not None else None

    path, action = wait_for("the protattn menu item", menu_item, 30)
    report["menu_action_found"] = action is not None
    report["menu_path"] = path + ["protattn"]

    cmd.load(cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb"), "1hpv")
    gui(action.trigger)
    dialog = wait_for(
        "the dialog",
        lambda: gui(
            lambda: next(
                (
                    w
                    for w in QtWidgets.QApplication.topLevelWidgets()
                    if w.objectName() == "protattn" and w.isVisible()
                ),
                None,
            )
        ),
        30,
    )
    wait_idle(dialog, "the model list")
    report["torch_after_dialog_open"] = "torch" in sys.modules
    report["dialog_title"] = gui(dialog.windowTitle)
    report["objects"] = gui(
        lambda: [dialog.object_combo.itemText(i) for i in range(dialog.object_combo.count())]
    )
    report["chains"] = gui(
        lambda: [dialog.chain_combo.itemText(i) for i in range(dialog.chain_combo.count())]
    )
    report["models"] = gui(
        lambda: [dialog.model_combo.itemText(i) for i in range(dialog.model_combo.count())]
    )
    step("dialog open")

    # the grid, coloured by contacts: loads the model in the background; one chain of 1hpv
    # has no head with more than the default 100 arcs, so min arcs is lowered as a user would
    report["min_arcs_default"] = gui(dialog.min_arcs_spin.value)
    gui(lambda: dialog.min_arcs_spin.setValue(20))
    gui(lambda: dialog.chain_combo.setCurrentIndex(dialog.chain_combo.findData("A")))
    gui(lambda: dialog.property_combo.setCurrentText("contacts"))
    report["busy_during_grid_job"] = gui(lambda: dialog.busy)
    report["progress_visible_during_job"] = gui(dialog.progress.isVisible)
    report["gui_latency_during_grid_job_s"] = round(wait_idle(dialog, "the grid", 90), 3)
    report["progress_visible_when_idle"] = gui(dialog.progress.isVisible)
    report["torch_after_grid"] = "torch" in sys.modules

    def grid_summary():
        g = dialog.grid
        colours = {
            g.item(r, c).background().color().name()
            for r in range(g.rowCount())
            for c in range(g.columnCount())
        }
        texts = [g.item(r, c).text() for r in range(g.rowCount()) for c in range(g.columnCount())]
        return {
            "rows": g.rowCount(),
            "columns": g.columnCount(),
            "distinct_colours": len(colours),
            "cells_with_value": sum(1 for t in texts if t),
            "legend": dialog.legend.text(),
        }

    report["grid"] = gui(grid_summary)
    step("grid coloured")

    # click the grid cell of layer 6, head 3: selects the head and draws its pairs
    def click_cell():
        g = dialog.grid
        rect = g.visualRect(g.model().index(HEAD[0] - 1, HEAD[1] - 1))
        qtest.mouseClick(g.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, rect.center())

    gui(click_cell)
    wait_idle(dialog, "the pairs of the clicked head")
    report["pairs_object_created"] = bool(wait_for("the pairs object", cylinders, 30))
    report["pairs_after_click"] = cylinders()
    state = gui(dialog.state)
    report["state_after_click"] = {
        k: getattr(state, k)
        for k in ("obj", "chain", "model", "layer", "head", "aggregate", "threshold", "top_k")
    }
    report["marked_cells"] = gui(
        lambda: [
            [r + 1, c + 1]
            for r in range(dialog.grid.rowCount())
            for c in range(dialog.grid.columnCount())
            if dialog._marked(r, c)
        ]
    )
    step("cell clicked")

    before = b_factors()
    gui(lambda: qtest.mouseClick(dialog.buttons["color"], QtCore.Qt.LeftButton))
    wait_idle(dialog, "the Colour button")
    report["b_factors_changed"] = bool(
        wait_for("attention in the b-factors", lambda: b_factors() != before, 30)
    )
    step("colour button")

    report["screenshots"] = screenshots(window, dialog)
    step("screenshots")

    # a status of three long lines: wrapped in its band, clear of the grid and the legend
    three = "\n".join(f"line {k} of the status, short enough not to wrap" for k in (1, 2, 3))
    report["three_line_status"] = layout(dialog, three, "status3.png")
    step("three-line status")

    # top k, then the Pairs button
    gui(lambda: dialog.top_k_spin.setValue(5))
    gui(lambda: qtest.mouseClick(dialog.buttons["pairs"], QtCore.Qt.LeftButton))
    wait_idle(dialog, "the Pairs button")
    report["pairs_after_top_k"] = wait_for("5 pairs", lambda: cylinders() == 5 and 5, 30)
    step("pairs button")

    # a layer's heads combined
    gui(lambda: dialog.aggregate_combo.setCurrentText("max"))
    report["head_enabled_with_aggregate"] = gui(dialog.head_spin.isEnabled)
    gui(lambda: qtest.mouseClick(dialog.buttons["pairs"], QtCore.Qt.LeftButton))
    wait_idle(dialog, "the Pairs button with max")
    step("aggregate")

    # a model that is not there: an error in the dialog, no command run
    ran = gui(lambda: len(dialog.history))

    def type_model(text):
        dialog.model_combo.setEditText(text)
        dialog.model_combo.lineEdit().editingFinished.emit()

    gui(lambda: type_model("no_such_model"))
    wait_for("the grid's failed job", lambda: not gui(lambda: dialog.busy), 30)
    gui(lambda: qtest.mouseClick(dialog.buttons["pairs"], QtCore.Qt.LeftButton))
    wait_for("the failed job", lambda: not gui(lambda: dialog.busy), 30)
    report["bad_model_error"] = gui(lambda: dialog.last_error)
    report["bad_model_layout"] = layout(dialog, picture="error.png")
    report["bad_model_ran_nothing"] = gui(lambda: len(dialog.history)) == ran
    gui(lambda: type_model("antiberty"))
    wait_idle(dialog, "the grid for antiberty again")
    report["grid_after_bad_model"] = gui(grid_summary)
    step("bad model")

    gui(lambda: qtest.mouseClick(dialog.buttons["contacts"], QtCore.Qt.LeftButton))
    wait_idle(dialog, "the Contacts button")
    report["pairs_after_contacts"] = wait_for(
        "the contacts", lambda: cylinders() not in (0, 5) and cylinders(), 30
    )
    step("contacts button")

    gui(lambda: qtest.mouseClick(dialog.buttons["clear"], QtCore.Qt.LeftButton))
    report["cleared"] = bool(
        wait_for(
            "the drawings to go",
            lambda: not [n for n in cmd.get_names("all") if n.startswith("attention_")],
            30,
        )
    )
    report["b_factors_restored"] = b_factors() == before
    step("clear button")

    # the object deleted behind the dialog's back: each button names it and says to Refresh
    ran = gui(lambda: len(dialog.history))
    cmd.delete("1hpv")
    report["deleted_object_errors"] = {}
    for button in ("pairs", "color", "contacts"):
        gui(lambda b=dialog.buttons[button]: qtest.mouseClick(b, QtCore.Qt.LeftButton))
        wait_for(f"{button} on a deleted object", lambda: not gui(lambda: dialog.busy), 30)
        report["deleted_object_errors"][button] = gui(lambda: dialog.last_error)
    report["deleted_object_ran_nothing"] = gui(lambda: len(dialog.history)) == ran
    gui(dialog.refresh_objects)
    report["objects_after_refresh"] = gui(
        lambda: [dialog.object_combo.itemText(i) for i in range(dialog.object_combo.count())]
    )
    step("deleted object")

    report["history"] = gui(lambda: list(dialog.history))
    report["status"] = gui(lambda: dialog.status.text())
    report["ok"] = True


def main() -> None:
    hangs = open(os.path.join(OUT, "hang.txt"), "w")  # PyMOL's sys.stderr has no fileno
    faulthandler.dump_traceback_later(TIMEOUT + 5, exit=False, file=hangs)
    try:
        drive()
    except BaseException:
        report["error"] = traceback.format_exc()
        try:  # what the screen looked like when it failed
            from pymol.Qt import QtWidgets

            gui(
                lambda: (
                    QtWidgets.QApplication.primaryScreen()
                    .grabWindow(0)
                    .save(os.path.join(OUT, "screen.png"))
                ),
                10,
            )
        except BaseException:
            pass
    finally:
        faulthandler.cancel_dump_traceback_later()
        hangs.close()
        report["seconds"] = round(time.monotonic() - _start, 2)
        with open(os.path.join(OUT, "report.json"), "w") as fh:
            json.dump(report, fh, indent=1, default=str)
        cmd.quit()


if cmd.is_gui_thread():  # run as a startup script: never block PyMOL's GUI thread
    threading.Thread(target=main, name="protattn-gui-driver", daemon=True).start()
else:  # pymol -l: already a thread of its own
    main()
