"""One headless ChimeraX session that installs, or checks, the bundle through ChimeraX's toolshed.

Run by ``test_toolshed_install.py`` with the ChimeraX venv's Python, one process per
step (a ChimeraX session per process, as in the application)::

    python toolshed_driver.py install WHEEL REPORT.json   # toolshed uninstall + install
    python toolshed_driver.py check STRUCTURE REPORT.json  # a new session after that

Writes what ChimeraX said and did as JSON; the test asserts on it.

``install`` runs ChimeraX's ``toolshed uninstall ChimeraX-ProtAttn`` and
``toolshed install WHEEL userOnly false``, which run pip through
``chimerax.core.python_utils.run_pip`` (recorded here, then run unchanged). One
thing differs from the application: ChimeraX runs pip with
``chimerax_python_executable()``, the ``python3.11`` beside
``realpath(sys.executable)``. In the application that is ChimeraX's own Python;
in this venv ``realpath`` follows ``bin/python`` to the interpreter the venv was
made from, which has neither ChimeraX nor the venv's packages, so here it is
pointed at the venv's Python (``sys.executable``), as the application's layout
has it. ``userOnly false`` installs into ChimeraX's own site-packages (here the
venv's): pip refuses ``--user`` (the default, ``userOnly true``) inside a venv
that does not see the system's site-packages.

``check`` changes nothing: a fresh session lists the installed bundles and runs
the bundle's commands.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT.parent / "shared" / "chimerax"))
sys.path.insert(0, str(ROOT / "core"))  # this checkout's core, as conftest.py does

BUNDLE = "ChimeraX-ProtAttn"


def _session():
    from cxheadless import make_session

    return make_session(offscreen=False)


def _record_log(session) -> list[dict[str, Any]]:
    """Everything the session logs from now on, as ``{"level", "text"}``."""
    messages: list[dict[str, Any]] = []
    logger = session.logger
    for level in ("info", "warning", "error"):
        original = getattr(logger, level)

        def record(msg, *args, _level=level, _original=original, **kw):
            messages.append({"level": _level, "text": str(msg)})
            return _original(msg, *args, **kw)

        setattr(logger, level, record)
    return messages


def _bundle(session) -> dict[str, Any] | None:
    bundle = session.toolshed.find_bundle(BUNDLE, session.logger, installed=True)
    if bundle is None:
        return None
    return {
        "name": bundle.name,
        "short_name": bundle.short_name,
        "version": bundle.version,
        "synopsis": bundle.synopsis,
        "categories": list(bundle.categories),
        "commands": sorted(c.name for c in bundle.commands),
        "tools": sorted(t.name for t in bundle.tools),
        "package": bundle.package_name,
    }


def _run(session, report: dict[str, Any], command: str) -> Any:
    """Run one ChimeraX command; its exception, if any, goes to the report."""
    from chimerax.core.commands import run

    try:
        return run(session, command)
    except Exception as e:  # noqa: BLE001 - reported, the test asserts on it
        report.setdefault("exceptions", []).append(
            {"command": command, "type": type(e).__name__, "text": str(e)}
        )
        return None


def _package_dir() -> str | None:
    import importlib.util

    spec = importlib.util.find_spec("chimerax.protattn")
    return None if spec is None else str(Path(spec.origin).parent)


def install(wheel: str, report: dict[str, Any]) -> None:
    """``toolshed uninstall`` the bundle, then ``toolshed install`` the wheel, in one session."""
    from chimerax.core import python_utils

    session = _session()
    log = _record_log(session)
    report["log"] = log
    report["chimerax_python_executable"] = python_utils.chimerax_python_executable()
    python_utils.chimerax_python_executable = lambda: sys.executable  # the app's layout
    pip_runs: list[list[str]] = []
    run_pip = python_utils.run_pip

    def recorded_run_pip(command):
        pip_runs.append(list(command))
        result = run_pip(command)
        pip_runs[-1].append(f"-> exit {result.returncode}")
        return result

    python_utils.run_pip = recorded_run_pip
    report["pip"] = pip_runs
    report["before"] = _bundle(session)

    _run(session, report, f"toolshed uninstall {BUNDLE}")
    report["after_uninstall"] = _bundle(session)
    report["package_dir_after_uninstall"] = _package_dir()
    report["log_uninstall_end"] = len(log)

    _run(session, report, f"toolshed install {wheel} userOnly false")
    report["after_install"] = _bundle(session)
    report["package_dir_after_install"] = _package_dir()
    usage = len(log)
    _run(session, report, "usage attention pairs")
    report["usage_same_session"] = [m["text"] for m in log[usage:]]


def check(structure: str, report: dict[str, Any]) -> None:
    """A new session after the install: the toolshed's list, the commands, a drawing."""
    import importlib.metadata

    import protattn

    session = _session()
    log = _record_log(session)
    report["log"] = log
    report["bundle"] = _bundle(session)
    report["core_version"] = importlib.metadata.version("ChimeraX-Core")
    report["requires"] = importlib.metadata.requires(BUNDLE)
    start = len(log)
    _run(session, report, "toolshed list")
    report["toolshed_list"] = [m["text"] for m in log[start:]]
    start = len(log)
    _run(session, report, "usage attention pairs")
    report["usage"] = [m["text"] for m in log[start:]]
    models = _run(session, report, "attention models")
    report["models"] = models
    import chimerax.protattn

    report["module"] = chimerax.protattn.__file__
    m = _run(session, report, f"open {structure}")[0]
    pbonds = _run(session, report, "attention pairs #1/A layerHead 6-3")
    a, b = pbonds.atoms
    drawn = sorted({(x.residue.number, y.residue.number) for x, y in zip(a, b)})
    chain = next(c for c in protattn.read_structure(structure).chains if c.id == "A")
    expected = sorted(
        {(p.a.number, p.b.number) for p in protattn.compute_pairs([chain], "6-3").scene.bonds}
    )
    report["pairs"] = {"drawn": drawn, "core": expected, "structure": m.name}


def main(argv: list[str]) -> int:
    mode, arg, out = argv[1:4]
    report: dict[str, Any] = {"mode": mode, "ok": False}
    try:
        {"install": install, "check": check}[mode](arg, report)
        report["ok"] = True
    except Exception:  # noqa: BLE001 - reported, the test asserts on it
        report["error"] = traceback.format_exc()
    Path(out).write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
