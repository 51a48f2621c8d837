"""The README's picture of the PyMOL dialog: its grid, legend and status after drawing pairs.

Run from the repository root, with an X server (Xvfb will do)::

    xvfb-run -a .venv/bin/python docs/pictures/pymol_dialog.py docs/pymol_dialog.png

It opens the dialog on 1HPV (the HIV-1 protease PyMOL ships) in a headless PyMOL,
colours the grid by contacts for both chains with AntiBERTy (offline), draws head
6-3's pairs as a click on its cell does, and saves a screenshot of the dialog
(``QWidget.grab``). 1HPV is small: at the default minimum of 100 arcs only a few of
its heads are judged, so the picture sets min arcs to 20 (``--min-arcs``). Exits
with the dialog's error if a step fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAD = (6, 3)  # the demo's head: layer 6, head 3


def _wait(app, dialog, what: str, timeout: float = 300.0) -> None:
    """Let Qt run until the dialog's background job is done; fail on its error."""
    until = time.monotonic() + timeout
    while dialog.busy:
        if time.monotonic() > until:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()
    if dialog.last_error:
        raise SystemExit(f"{what}: {dialog.last_error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", help="where to save the screenshot (e.g. docs/pymol_dialog.png)")
    parser.add_argument("--width", type=int, default=620, help="dialog width in pixels")
    parser.add_argument("--height", type=int, default=760, help="dialog height in pixels")
    parser.add_argument("--min-arcs", type=int, default=20, help="the grid's minimum arcs")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path[:0] = [str(REPO / "core"), str(REPO / "plugin")]  # a checkout without install

    from pymol import cmd  # headless PyMOL: the dialog runs its commands there
    from pymol.Qt import QtWidgets

    import protattn_pymol
    from protattn_pymol.dialog import AttentionDialog

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["protattn"])
    protattn_pymol.register()
    cmd.load(cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb"), "1hpv")

    dialog = AttentionDialog(_self=cmd)
    dialog.resize(args.width, args.height)
    dialog.refresh_objects()
    dialog.show()
    _wait(app, dialog, "the model list")
    dialog.min_arcs_spin.setValue(args.min_arcs)
    dialog.property_combo.setCurrentText("contacts")
    _wait(app, dialog, "the grid")
    dialog.grid.cellClicked.emit(HEAD[0] - 1, HEAD[1] - 1)  # a click on the head's cell
    _wait(app, dialog, f"the pairs of head {HEAD[0]}-{HEAD[1]}")
    for _ in range(20):  # let the layout settle before the grab
        app.processEvents()
        time.sleep(0.01)
    out = Path(args.png)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not dialog.grab().save(str(out)):
        raise SystemExit(f"could not save {out}")
    print(f"{out}: {dialog.status.text()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
