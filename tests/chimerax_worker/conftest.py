"""ChimeraX whose Python has no torch: every model runs in a worker in the main venv.

Run in the venv ``make chimerax-lite-venv`` makes (headless ChimeraX with the
bundle and the core, numpy and matplotlib; no torch), as ``make test-worker``
does::

    cd tests/chimerax_worker && ../../.venv-chimerax-lite/bin/python -m pytest .

The worker's Python is ``PROTATTN_TEST_WORKER_PYTHON`` (default: the project's
``.venv``). The session and bundle checks are those of tests/chimerax.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "chimerax")]  # shared test helpers

import pytest  # noqa: E402
from worker_support import require_host_without_torch, worker_python  # noqa: E402

# ChimeraX keeps settings (the worker setting among them) under ~/.config/ChimeraX, a
# path fixed when it starts: these tests get a home of their own.
_HOME = tempfile.mkdtemp(prefix="protattn-chimerax-home-")
os.environ["HOME"] = _HOME
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

# tests/chimerax/conftest.py: the checkout's core first on sys.path, the headless ChimeraX,
# the stale-bundle check and the `session` fixture
_spec = importlib.util.spec_from_file_location(
    "chimerax_conftest", ROOT / "tests" / "chimerax" / "conftest.py"
)
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)
session = _base.session
_private_attention_cache = _base._private_attention_cache


@pytest.fixture(autouse=True)
def _host_without_torch() -> None:
    require_host_without_torch("ChimeraX", "chimerax-lite-venv")


@pytest.fixture
def cx(session, monkeypatch):
    """The session, emptied, with models set to run in a worker in the main venv."""
    from chimerax.core.commands import run

    from protattn.compute import backend

    monkeypatch.setenv("PROTATTN_PYTHON", worker_python())
    monkeypatch.delenv("PROTATTN_COMPUTE", raising=False)
    run(session, "close session", log=False)
    run(session, "attention worker none mode auto", log=False)  # no saved setting
    yield session
    backend.stop_worker()
