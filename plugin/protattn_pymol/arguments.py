"""What every PyMOL command shares: arguments as typed at the prompt, core errors as PyMOL's."""

from __future__ import annotations

from pymol import CmdException

from protattn import ProtattnError, ResidueId
from protattn.api.options import run_options

from .adapter import icode

__all__ = ["core", "number", "run_options_of", "selected_residues"]


def selected_residues(selection: str, obj: str, _self) -> set[ResidueId]:
    """The residues of ``obj`` in ``selection`` (protein CA atoms), as core residue ids."""
    found: set[ResidueId] = set()
    _self.iterate(
        f"({selection}) and {obj} and polymer.protein and name CA",
        "found.add(ResidueId(chain, resv, icode(resi, resv)))",
        space={"found": found, "ResidueId": ResidueId, "icode": icode},
    )
    return found


def number(value, name: str, kind=float):
    """``value`` (as typed at the prompt) as a ``kind``; a ``CmdException`` naming ``name``."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise CmdException(f"{name} must be a number, not {value!r}") from None


def run_options_of(window, stride, concatenate) -> dict:
    """The core's run options (:func:`protattn.api.options.run_options`) from the prompt's."""
    return run_options(
        number(window, "window", int),
        number(stride, "stride", int),
        number(concatenate, "concatenate", int),
    )


def core(compute, *args, **kwargs):
    """Call the core, turning its errors into ``CmdException``."""
    try:
        return compute(*args, **kwargs)
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e
