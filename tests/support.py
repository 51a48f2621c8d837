"""What every test module may need: one CI-aware way to require an optional package.

``require("pymol")`` imports and returns the module. Where it is missing the test
(or the module, at import) is skipped on a developer's machine, and fails under
``CI=true``: CI installs everything, so a missing package there is a broken set-up,
never a reason to run fewer tests.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

__all__ = ["IN_CI", "require"]

IN_CI = os.environ.get("CI") == "true"


def require(module: str, how: str = "make venv installs it") -> ModuleType:
    """``module`` imported; skipped without it, failed without it in CI."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        reason = f"{module} cannot be imported ({e}); {how}"
        if IN_CI:
            pytest.fail(f"{reason}: CI must have it", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
        raise  # pytest.skip raises; this keeps type checkers content
