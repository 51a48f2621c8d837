"""PyMOL fixtures: the real open-source PyMOL, headless, and a structure it ships."""

from __future__ import annotations

import pytest
from support import require

pymol = require("pymol")

from pymol import cmd  # noqa: E402

import protattn_pymol  # noqa: E402


@pytest.fixture(scope="session")
def hpv_path() -> str:
    """HIV-1 protease with an inhibitor, as shipped with PyMOL."""
    return cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb")


@pytest.fixture
def pm(hpv_path):
    """PyMOL's global cmd, reinitialised, with the commands registered and 1hpv loaded."""
    cmd.reinitialize()
    protattn_pymol.register()
    cmd.load(hpv_path, "1hpv")
    yield cmd
    cmd.reinitialize()
