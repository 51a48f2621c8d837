"""The worker setting: the environment wins over a host's saved value; ``worker`` changes."""

from __future__ import annotations

import sys

import pytest

from protattn.api import worker
from protattn.compute import backend
from protattn.errors import ProtattnError


def test_the_environment_wins_over_the_saved_setting():
    assert worker.worker_setting("/py", "worker", {}) == {"python": "/py", "mode": "worker"}
    assert worker.worker_setting("", "", {}) == {"python": None, "mode": None}
    assert worker.worker_setting("/py", "worker", {"PROTATTN_PYTHON": "/other"}) == {
        "python": None,
        "mode": "worker",
    }
    assert worker.worker_setting("/py", "worker", {"PROTATTN_COMPUTE": "process"}) == {
        "python": "/py",
        "mode": None,
    }
    assert worker.worker_setting(None, None, {"PROTATTN_PYTHON": ""}) == {
        "python": None,
        "mode": None,
    }  # set but empty: as if not set


@pytest.fixture
def restored(monkeypatch):
    """Leave the backend as the test found it."""
    monkeypatch.delenv("PROTATTN_PYTHON", raising=False)
    monkeypatch.delenv("PROTATTN_COMPUTE", raising=False)
    yield
    backend.configure(python=None, mode=None)


def test_configure_saved_uses_the_saved_value(restored, monkeypatch):
    told = []
    seen = {}
    monkeypatch.setattr(backend, "configure", lambda **kw: seen.update(kw))
    worker.configure_saved("/py", "process", notify=told.append)
    assert seen == {"python": "/py", "mode": "process", "notify": told.append}
    monkeypatch.setenv("PROTATTN_COMPUTE", "worker")
    worker.configure_saved("/py", "process")
    assert seen["mode"] is None and seen["python"] == "/py"


def test_set_worker_resolves_saves_and_clears(restored):
    change = worker.set_worker(sys.executable, "PROCESS ")
    assert change.saved == {"python": backend.resolve_python(sys.executable), "mode": "process"}
    assert "this process" in change.where
    assert worker.set_worker("none").saved == {"python": ""}
    assert worker.set_worker().saved == {}
    assert worker.set_worker("", "", stop=True).saved == {}


def test_set_worker_refuses_an_unknown_mode_or_python(restored):
    with pytest.raises(ProtattnError, match="compute mode"):
        worker.set_worker(mode="sometimes")
    with pytest.raises(ProtattnError):
        worker.set_worker("/no/such/python")
