"""The protattn dialog's PyMOL side without Qt: command strings, reading objects, running.

Every action of the dialog is a PyMOL command string built here and run with
``cmd.do``, so that it is echoed, logged and replayable, and testable headless::

    >>> state = DialogState(obj="1hpv", chain="A", layer=6, head=3)
    >>> command("pairs", state)
    'attention_pairs 1hpv and chain A, 6-3, threshold=0.1'
    >>> command("color", DialogState(obj="1hpv", layer=8, aggregate="mean"))
    'attention_color 1hpv, 8-mean'

The dialog's behaviour (background jobs, the grid's statistics and colours,
:func:`prepare`) is the core's :class:`protattn.panel.controller.PanelController`,
shared with ChimeraX's panel; :class:`PymolHost` gives it what is PyMOL's: the
command strings, the chains read from PyMOL on the GUI thread, ``cmd.do``, and a
way back to the GUI thread (the dialog's). Nothing here imports Qt or torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymol import CmdException, cmd

import protattn
from protattn.compute import backend
from protattn.panel import grid
from protattn.panel import state as core_state
from protattn.panel.controller import grid_statistics, prepare
from protattn.panel.grid import grid_cells, model_name, model_shape
from protattn.panel.state import DEFAULT_MODEL, command_names, command_options

from .adapter import structures_by_object

__all__ = [
    "ACTIONS",
    "DEFAULT_MODEL",
    "DialogState",
    "selection",
    "check_loaded",
    "command",
    "model_statuses",
    "model_label",
    "model_name",
    "model_shape",
    "grid_cells",
    "grid_statistics",
    "prepare",
    "PymolHost",
]

#: The dialog's buttons, in order, and the command each runs.
ACTIONS = command_names("attention_", ("pairs", "color", "contacts", "clear"))

_POSITIONAL = {"layer_head"}  # the core's options written without their name


def selection(state: core_state.PanelState) -> str:
    """The PyMOL selection of a state's object and chain (``1hpv and chain A``).

    A ValueError says to load a structure if no object is chosen.
    """
    target = state.chosen_target("no object chosen; load a protein structure into PyMOL first")
    if state.chain is None:
        return target
    chain = state.chain or '""'  # a blank chain id
    return f"{target} and chain {chain}"


def check_loaded(state: core_state.PanelState, *, _self=cmd) -> None:
    """That the dialog's object (and chain) are still loaded in PyMOL.

    Raises
    ------
    ValueError
        Naming the object (or chain) and saying to press Refresh, if it was deleted
        or renamed since the dialog listed it (or its chain is gone).
    """
    obj = state.chosen_target("no object chosen; load a protein structure into PyMOL first")
    names = _self.get_object_list() or []
    if obj not in names:
        now = f" (loaded now: {', '.join(names)})" if names else " (none is loaded now)"
        raise ValueError(
            f"object {obj!r} is no longer loaded in PyMOL{now}: it was deleted or renamed; "
            "press Refresh to list the objects loaded now"
        )
    if state.chain is not None:
        chains = _self.get_chains(f"({obj}) and polymer.protein") or []
        if state.chain not in chains:
            raise ValueError(
                f"object {obj!r} has no protein chain {state.chain or '(blank)'!r} any more; "
                "press Refresh to list its chains"
            )


def command(action: str, state: core_state.PanelState) -> str:
    """The PyMOL command a dialog button runs.

    Parameters
    ----------
    action : {"pairs", "color", "contacts", "clear"}
    state : DialogState

    Returns
    -------
    str
        One line for ``cmd.do``, with the options of
        :func:`protattn.panel.state.command_options`.

    Raises
    ------
    ValueError
        With a message for the dialog's status line, if the state cannot make a command.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    name = ACTIONS[action]
    if action == "clear":
        return f"{name} {state.target}" if state.target.strip() else name
    args = [selection(state)]
    for option, text in command_options(action, state):
        if option == "model" and any(c in text for c in ",;\n"):
            raise ValueError(
                f"model {text!r} contains ',' or ';', which PyMOL's command line "
                "splits on; rename or link the folder"
            )
        args.append(text if option in _POSITIONAL else f"{option}={text}")
    return f"{name} {', '.join(args)}"


class DialogState(core_state.PanelState, target_name="obj"):
    """The core's :class:`~protattn.panel.state.PanelState`, its target ``obj`` a PyMOL object.

    ``selection`` is the PyMOL selection of its object and chain (``1hpv and chain A``).
    """

    selection = property(selection)


def model_statuses() -> dict[str, str]:
    """Where each known model loads from, where models run (``backend.model_statuses``).

    Imports no torch; asks the worker when models run in one (starting it).
    """
    return backend.model_statuses()


def model_label(name: str, status: str | None = None) -> str:
    """The model chooser's text: ``antiberty  (26M, offline)`` (:func:`.grid.model_label`)."""
    return grid.model_label(name, status, missing="not here")


class PymolHost:
    """The core controller's :class:`~protattn.panel.controller.PanelHost` in PyMOL.

    Parameters
    ----------
    post : callable
        ``post(function, *args)`` calls ``function(*args)`` on Qt's GUI thread.
    _self : PyMOL's ``cmd`` (or a ``pymol2.PyMOL().cmd``)
    """

    actions = ACTIONS
    errors = (CmdException,)

    def __init__(self, post: Callable[..., Any], *, _self=cmd) -> None:
        self.post = post
        self._cmd = _self

    def command(self, action: str, state: core_state.PanelState) -> str:
        return command(action, state)

    def where(self, state: core_state.PanelState) -> str:
        check_loaded(state, _self=self._cmd)
        return selection(state)

    def read_structures(self, state: core_state.PanelState) -> list[protattn.Structure]:
        check_loaded(state, _self=self._cmd)
        return list(structures_by_object(selection(state), _self=self._cmd).values())

    def run(self, line: str) -> None:
        self._cmd.do(line)  # echoed and logged; PyMOL prints its own errors

    def job_failed(self, message: str) -> None:
        pass  # the dialog prints every error it shows
