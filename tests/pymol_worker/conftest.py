"""PyMOL whose Python has no torch: every model runs in a worker in the main venv.

Run in the venv `make pymol-lite-venv` makes (PyMOL, numpy, Biopython, matplotlib;
no torch), as `make test-worker` does. The worker's Python is
``PROTATTN_TEST_WORKER_PYTHON`` (default: the project's ``.venv``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from worker_support import require_host_without_torch, worker_python

# PyMOL keeps plugin preferences (the worker setting among them) in ~/.pymolpluginsrc.py,
# a path fixed when pymol.plugins is imported: these tests get a home of their own.
_HOME = tempfile.mkdtemp(prefix="protattn-pymol-home-")
os.environ["HOME"] = _HOME
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _host_without_torch() -> None:
    require_host_without_torch("PyMOL", "pymol-lite-venv", "pymol")


@pytest.fixture
def worker(monkeypatch):
    """protattn set to run models in a worker in the main venv (as PROTATTN_PYTHON does)."""
    from protattn.compute import backend

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
    from protattn_pymol.settings import PREF_MODE, PREF_PYTHON

    for key in (PREF_PYTHON, PREF_MODE):  # each test starts with no saved setting
        pymol.plugins.preferences.pop(key, None)
    cmd.reinitialize()
    protattn_pymol.register()
    cmd.load(cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb"), "1hpv")
    yield cmd
    cmd.reinitialize()
