"""PyMOL whose Python has no torch: every model runs in a worker in the main venv.

Run in the venv `make pymol-lite-venv` makes (PyMOL, numpy, Biopython, matplotlib;
no torch), as `make test-worker` does. The worker's Python is
``PROTATTN_TEST_WORKER_PYTHON`` (default: the project's ``.venv``).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"

# PyMOL keeps plugin preferences (the worker setting among them) in ~/.pymolpluginsrc.py,
# a path fixed when pymol.plugins is imported: these tests get a home of their own.
_HOME = tempfile.mkdtemp(prefix="protattn-pymol-home-")
os.environ["HOME"] = _HOME
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)


def _why_not() -> str | None:
    if importlib.util.find_spec("torch") is not None:
        return (f"torch is installed in {sys.executable}: these tests need a PyMOL Python "
                "without it (make pymol-lite-venv; make test-worker runs them)")
    if importlib.util.find_spec("pymol") is None:
        return f"PyMOL is not installed in {sys.executable}; make pymol-lite-venv"
    if not Path(worker_python()).is_file():
        return f"no worker Python at {worker_python()}; make venv"
    return None


def worker_python() -> str:
    """The main venv's Python: torch, transformers and AntiBERTy."""
    return os.environ.get("PROTATTN_TEST_WORKER_PYTHON", str(ROOT / ".venv" / "bin" / "python"))


@pytest.fixture(autouse=True)
def _host_without_torch() -> None:
    """Skip outside such a venv; in CI (``CI=true``) fail instead."""
    reason = _why_not()
    if reason is not None:
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def worker(monkeypatch):
    """protattn set to run models in a worker in the main venv (as PROTATTN_PYTHON does)."""
    from protattn import backend

    monkeypatch.setenv("PROTATTN_PYTHON", worker_python())
    monkeypatch.delenv("PROTATTN_COMPUTE", raising=False)
    backend.configure(python=None, mode=None)
    yield backend
    backend.stop_worker()
    backend.configure(python=None, mode=None, notify=None)


@pytest.fixture
def pm(worker):
    """PyMOL's global cmd, reinitialised, with protattn registered and 1hpv loaded."""
    import pymol.plugins
    from pymol import cmd

    import protattn_pymol
    from protattn_pymol.commands import PREF_MODE, PREF_PYTHON

    for key in (PREF_PYTHON, PREF_MODE):  # each test starts with no saved setting
        pymol.plugins.preferences.pop(key, None)
    cmd.reinitialize()
    protattn_pymol.register()
    cmd.load(cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb"), "1hpv")
    yield cmd
    cmd.reinitialize()
