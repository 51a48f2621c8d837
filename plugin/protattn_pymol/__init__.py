"""protattn for PyMOL: protein language model attention drawn on the loaded structure.

Loaded by PyMOL's plugin system (``__init_plugin__``) or by hand::

    import protattn_pymol
    protattn_pymol.register()

torch is imported only when a command first runs a model, never at start-up.
"""

from __future__ import annotations

from pymol import cmd

from .commands import (
    attention_clear,
    attention_color,
    attention_contacts,
    attention_heads,
    attention_pairs,
    attention_stats,
)

__all__ = [
    "attention_pairs", "attention_color", "attention_clear", "attention_heads",
    "attention_contacts", "attention_stats", "register",
]

COMMANDS = {
    "attention_pairs": attention_pairs,
    "attention_color": attention_color,
    "attention_clear": attention_clear,
    "attention_heads": attention_heads,
    "attention_contacts": attention_contacts,
    "attention_stats": attention_stats,
}


def register(_self=cmd) -> None:
    """Add protattn's commands to PyMOL, with tab completion of the selection."""
    for name, function in COMMANDS.items():
        _self.extend(name, function)
        cmd.auto_arg[0][name] = cmd.auto_arg[0]["zoom"]


def __init_plugin__(app=None) -> None:
    """PyMOL plugin entry point."""
    register()
