"""Fixtures for the ChimeraX bundle's tests: one real headless ChimeraX session per process.

Run with the ChimeraX venv, from the repository root::

    chimerax_bundle/setup-test-env.sh /tmp/cxvenv
    /tmp/cxvenv/bin/python -m pytest tests/chimerax

The headless ChimeraX (``cxheadless.py``) and the test structures live in
``../shared`` beside the checkout. Without it, or without ChimeraX, the tests
are skipped with the reason; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
STRUCTURES = SHARED / "data" / "structures"
BUNDLE_SRC = ROOT / "chimerax_bundle" / "src"
IN_CI = os.environ.get("CI", "").lower() == "true"
SETUP_HINT = "set up the test venv with chimerax_bundle/setup-test-env.sh VENV"

# The tests exercise this checkout's core, whatever protattn the venv may hold.
sys.path.insert(0, str(ROOT / "core"))
if (SHARED / "chimerax").is_dir():
    sys.path.insert(0, str(SHARED / "chimerax"))


def _unavailable() -> str | None:
    """Why these tests cannot run here, or None."""
    if not (SHARED / "chimerax" / "cxheadless.py").is_file() or not STRUCTURES.is_dir():
        return f"no headless ChimeraX and test data in {SHARED} (../shared beside the checkout)"
    try:
        found = importlib.util.find_spec("chimerax.core") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        return f"ChimeraX is not installed in {sys.executable}'s environment; {SETUP_HINT}"
    return None


def _stale_bundle_files() -> list[str]:
    """Source files of the bundle that the installed ChimeraX-ProtAttn does not match."""
    spec = importlib.util.find_spec("chimerax.protattn")
    if spec is None or not spec.submodule_search_locations:
        return ["(not installed)"]
    installed = Path(list(spec.submodule_search_locations)[0])
    return [
        src.name
        for src in sorted(BUNDLE_SRC.glob("*.py"))
        if not (installed / src.name).is_file()
        or not filecmp.cmp(src, installed / src.name, shallow=False)
    ]


# Property-based tests (test_cx_fuzz_arguments.py): a fixed budget and seed, as the core's
# (tests/conftest.py), smaller, since each example is a command in ChimeraX; the model runs
# are cached, so 40 examples a test take seconds. HYPOTHESIS_PROFILE=deep runs 400, with
# fresh seeds.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - setup-test-env.sh installs it
    pass
else:
    settings.register_profile(
        "protattn-chimerax",
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,  # the same examples every run: nothing to replay, nothing written
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.register_profile(
        "deep",
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "protattn-chimerax"))


@pytest.fixture(scope="session", autouse=True)
def _private_attention_cache(tmp_path_factory):
    """An empty attention disk cache for this test session (never the user's)."""
    os.environ["PROTATTN_CACHE"] = str(tmp_path_factory.mktemp("protattn_cache"))


@pytest.fixture(scope="session")
def session():
    """The process's one headless ChimeraX session, with the installed bundle."""
    reason = _unavailable()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    stale = _stale_bundle_files()
    if stale:
        pytest.fail(
            f"the installed ChimeraX-ProtAttn bundle is missing or older than "
            f"chimerax_bundle/src ({', '.join(stale)}); {SETUP_HINT}"
        )
    from cxheadless import make_session

    return make_session(offscreen=True)


@pytest.fixture(scope="session")
def language_model(session):
    """AntiBERTy, loaded once (about 6 s) and reused by the core for every command."""
    import protattn

    return protattn.load_model("antiberty")


@pytest.fixture
def cx(session, language_model):
    """The session, emptied before each test (``close session``)."""
    from chimerax.core.commands import run

    run(session, "close session", log=False)
    return session
