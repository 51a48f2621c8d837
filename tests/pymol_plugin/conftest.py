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


@pytest.fixture(scope="module")
def vfb_path(shared_dir) -> str:
    """1VFB: the antibody D1.3 (light chain A, heavy chain B) with lysozyme (chain C)."""
    return str(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif")


@pytest.fixture(scope="module")
def vfb_structure(vfb_path, antiberty):
    """1VFB read by the core's file reader, independently of PyMOL."""
    import protattn

    structure = protattn.read_structure(vfb_path)
    assert [c.id for c in structure.chains] == ["A", "B", "C"]
    assert all(c.observed.all() for c in structure.chains)  # PyMOL's sequences are the same
    return structure
