"""protattn for PyMOL: protein language model attention drawn on the loaded structure.

Loaded by PyMOL's plugin system (``__init_plugin__``) or by hand::

    import protattn_pymol
    protattn_pymol.register()

torch is imported only when a command first runs a model, never at start-up; without
torch in PyMOL's Python, models run in a worker (``attention_worker``).
"""

from __future__ import annotations

import os
import sys

from pymol import cmd

try:  # installed with pip, the core is a package of its own
    import protattn  # noqa: F401
except ImportError:  # installed from the plugin zip, the core travels inside the plugin
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_core"))

from protattn import __version__  # noqa: E402  (PyMOL's plugin manager shows it)

from .analysis import (  # noqa: E402
    attention_aminoacids,
    attention_contacts,
    attention_heads,
    attention_probe,
    attention_stats,
)
from .commands import (  # noqa: E402
    attention_clear,
    attention_color,
    attention_diff,
    attention_key,
    attention_pairs,
    attention_query,
)
from .sessions import watch  # noqa: E402
from .settings import attention_models, attention_worker, configure_backend  # noqa: E402

__all__ = [
    "__version__",
    "attention_pairs",
    "attention_color",
    "attention_query",
    "attention_diff",
    "attention_key",
    "attention_clear",
    "attention_heads",
    "attention_contacts",
    "attention_stats",
    "attention_aminoacids",
    "attention_probe",
    "attention_models",
    "attention_worker",
    "register",
]

COMMANDS = {
    "attention_pairs": attention_pairs,
    "attention_color": attention_color,
    "attention_query": attention_query,
    "attention_diff": attention_diff,
    "attention_key": attention_key,
    "attention_clear": attention_clear,
    "attention_heads": attention_heads,
    "attention_contacts": attention_contacts,
    "attention_stats": attention_stats,
    "attention_aminoacids": attention_aminoacids,
    "attention_probe": attention_probe,
    "attention_models": attention_models,
    "attention_worker": attention_worker,
}


def register(_self=cmd) -> None:
    """Add protattn's commands to PyMOL, with tab completion of the selection.

    Also reads where models run (PyMOL's Python or a worker, see
    ``attention_worker``) from the plugin preferences; nothing starts yet. Sessions
    saved from then on keep the original b-factors ``attention_clear`` puts back.
    """
    configure_backend()
    watch(_self)
    for name, function in COMMANDS.items():
        _self.extend(name, function)
        if name not in ("attention_models", "attention_worker"):
            cmd.auto_arg[0][name] = cmd.auto_arg[0]["zoom"]
    cmd.auto_arg[1]["attention_query"] = cmd.auto_arg[1]["align"]  # residues: a selection


watch()  # a session opened after ``import protattn_pymol`` gives back its b-factors


def __init_plugin__(app=None) -> None:
    """PyMOL plugin entry point: the commands, and the Plugin menu's "protattn" dialog.

    Only the menu item is added here; Qt widgets are made (and the dialog's
    module imported) when the item is first chosen.
    """
    from pymol.plugins import QtNotAvailableError, addmenuitemqt

    register()

    def open_dialog():
        from .dialog import show_dialog

        show_dialog()

    try:
        addmenuitemqt("protattn", open_dialog)
    except QtNotAvailableError:  # PyMOL without its Qt GUI: the commands alone
        pass
