"""What the worker tests share: the hosts' torch-free environments, and killing a busy worker.

Imported by tests/core/compute/test_worker.py (main venv) and by the hosts' tests without
torch (tests/pymol_worker, tests/chimerax_worker), each in its own venv.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def worker_python() -> str:
    """The main venv's Python: torch, transformers and AntiBERTy."""
    return os.environ.get("PROTATTN_TEST_WORKER_PYTHON", str(ROOT / ".venv" / "bin" / "python"))


def require_host_without_torch(host: str, venv_target: str, module: str | None = None) -> None:
    """Skip unless this Python is a host's without torch (with ``module``) and the worker's
    Python exists; in CI (``CI=true``) fail instead."""
    reason = None
    if importlib.util.find_spec("torch") is not None:
        reason = (
            f"torch is installed in {sys.executable}: these tests need a {host} Python "
            f"without it (make {venv_target}; make test-worker runs them)"
        )
    elif module is not None and importlib.util.find_spec(module) is None:
        reason = f"{host} is not installed in {sys.executable}; make {venv_target}"
    elif not Path(worker_python()).is_file():
        reason = f"no worker Python at {worker_python()}; make venv"
    if reason is not None:
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def assert_exits(pid: int, host: str, seconds: float = 30) -> None:
    """Fail unless process ``pid`` (a worker whose host is gone) exits within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail(f"the worker {pid} outlived {host} by {seconds:g} s")


def kill_when_running(client, op: str, times: int) -> threading.Thread:
    """Kill the worker with SIGKILL each time its log shows it running ``op``, ``times`` times.

    Runs in a thread (started here; join it): each new worker process is killed once.
    """

    def run() -> None:
        killed: set[int] = set()
        deadline = time.monotonic() + 120
        while len(killed) < times and time.monotonic() < deadline:
            pid = client.pid
            if (
                pid
                and pid not in killed
                and any(f"protattn worker: {op}" in line for line in client.messages())
            ):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            time.sleep(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
