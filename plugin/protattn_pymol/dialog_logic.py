"""The protattn dialog without Qt: command strings, grid colours, model choices, background jobs.

Every action of the dialog is a PyMOL command string built here and run with
``cmd.do``, so that it is echoed, logged and replayable, and testable headless::

    >>> state = DialogState(obj="1hpv", chain="A", layer=6, head=3)
    >>> command("pairs", state)
    'attention_pairs 1hpv and chain A, 6-3, threshold=0.1'
    >>> command("color", DialogState(obj="1hpv", layer=8, aggregate="mean"))
    'attention_color 1hpv, 8-mean'

The grid (rows: layers, columns: heads) is coloured by each head's share of
high-confidence attention (≥ :data:`STATS_THRESHOLD`, the paper's θ, under the paper's
definition by default) on a
property, from :func:`protattn.api.stats.head_statistics`; :func:`grid_cells`
maps those statistics to colours. :func:`prepare` and :func:`grid_statistics`
are the long jobs the dialog runs in a background thread: plain core calls on
chains the dialog read from PyMOL beforehand, never a PyMOL call. Nothing here
imports Qt or torch; torch comes with the first model a job loads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import protattn
from protattn.compute import backend
from protattn.lm.counts import DEFINITIONS
from protattn.lm.registry import MODELS
from protattn.panel import grid
from protattn.panel.grid import (
    AGGREGATES,
    FLAGGED_RGB,
    GRID_PALETTE,
    PROPERTIES,
    STATS_THRESHOLD,
    GridCell,
    GridStats,
    grid_cells,
    grid_legend,
    layer_head_text,
    loaded_shape,
    model_name,
    model_shape,
    number_text,
    property_of,
    text_is_dark,
)

__all__ = [
    "ACTIONS", "AGGREGATES", "MODELS", "PROPERTIES", "DEFAULT_MODEL", "DEFINITIONS",
    "STATS_THRESHOLD",
    "FLAGGED_RGB", "GRID_PALETTE", "DialogState", "GridCell", "GridStats", "command",
    "grid_cells", "grid_legend", "text_is_dark", "model_statuses", "model_label", "model_name",
    "model_shape", "grid_statistics", "prepare", "loaded_shape",
]

#: The dialog's buttons, in order, and the command each runs.
ACTIONS = {
    "pairs": "attention_pairs",
    "color": "attention_color",
    "contacts": "attention_contacts",
    "clear": "attention_clear",
}

#: The commands' default model (left out of the command strings).
DEFAULT_MODEL = "antiberty"


_DEFAULTS = {"threshold": 0.1, "top_k": 0, "min_separation": 1}


@dataclass(frozen=True)
class DialogState:
    """What the dialog's widgets say, as plain values.

    Attributes
    ----------
    obj : str
        PyMOL object; ``""`` when none is loaded.
    chain : str
        Chain id, or ``None`` for all chains of the object (``""`` is a blank chain id).
    model : str
        Short name, Hugging Face id or model directory.
    layer, head : int
        1-based, as in the paper.
    aggregate : {"none", "mean", "max"}
        ``none`` draws one head; ``mean`` / ``max`` combine the layer's heads.
    threshold : float
        Pairs with attention above it are drawn (unless ``top_k``).
    top_k : int
        Draw the ``top_k`` strongest pairs per chain instead (0: use the threshold).
    min_separation : int
        Minimum ``|i - j|`` in sequence of a drawn pair.
    prop : str
        A key of :data:`PROPERTIES`: what the grid is coloured by.
    min_arcs : int
        Grid cells of heads with too few high-confidence arcs are grey.
    definition : str
        Of the grid's statistics: ``paper`` (the paper's own counting) or ``judged``.
    """

    obj: str = ""
    chain: str | None = None
    model: str = DEFAULT_MODEL
    layer: int = 1
    head: int = 1
    aggregate: str = "none"
    threshold: float = 0.1
    top_k: int = 0
    min_separation: int = 1
    prop: str = "none"
    min_arcs: int = 20
    definition: str = grid.DEFAULT_DEFINITION

    @property
    def selection(self) -> str:
        """The PyMOL selection of the chosen object and chain (``1hpv and chain A``)."""
        if not self.obj.strip():
            raise ValueError("no object chosen; load a protein structure into PyMOL first")
        if self.chain is None:
            return self.obj
        chain = self.chain or '""'  # a blank chain id
        return f"{self.obj} and chain {chain}"

    @property
    def layer_head(self) -> str:
        """``"6-3"``, or ``"6-mean"`` / ``"6-max"`` with an aggregate."""
        return layer_head_text(self.layer, self.head, self.aggregate)

    @property
    def property_name(self) -> str | None:
        """The grid's property as :func:`~protattn.api.stats.head_statistics` names it."""
        return property_of(self.prop)

    def model_option(self) -> list[str]:
        """``["model=..."]`` unless it is the commands' default."""
        model = self.model.strip()
        if not model:
            raise ValueError("no model given; choose one, or type a Hugging Face id or folder")
        if any(c in model for c in ",;\n"):
            raise ValueError(f"model {model!r} contains ',' or ';', which PyMOL's command line "
                             "splits on; rename or link the folder")
        return [] if model == DEFAULT_MODEL else [f"model={model}"]


def command(action: str, state: DialogState) -> str:
    """The PyMOL command a dialog button runs.

    Parameters
    ----------
    action : {"pairs", "color", "contacts", "clear"}
    state : DialogState

    Returns
    -------
    str
        One line for ``cmd.do``; options equal to the command's defaults are left
        out (the threshold of ``pairs`` is always written, unless ``top_k`` replaces it).

    Raises
    ------
    ValueError
        With a message for the dialog's status line, if the state cannot make a command.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    name = ACTIONS[action]
    if action == "clear":
        return f"{name} {state.obj}" if state.obj.strip() else name
    args = [state.selection]
    if action == "pairs":
        args.append(state.layer_head)
        if int(state.top_k) > 0:
            args.append(f"top_k={int(state.top_k)}")
        else:
            args.append(f"threshold={number_text(state.threshold)}")
        if int(state.min_separation) != _DEFAULTS["min_separation"]:
            args.append(f"min_separation={int(state.min_separation)}")
    elif action == "color":
        args.append(state.layer_head)
    args += state.model_option()
    return f"{name} {', '.join(args)}"


# ---------------------------------------------------------------------------------- the grid


# -------------------------------------------------------------------------------- the models

def model_statuses() -> dict[str, str]:
    """Where each known model loads from, where models run (``backend.model_statuses``).

    Imports no torch; asks the worker when models run in one (starting it).
    """
    return backend.model_statuses()


def model_label(name: str, status: str | None = None) -> str:
    """The model chooser's text: ``antiberty  (26M, offline)`` (:func:`.grid.model_label`)."""
    return grid.model_label(name, status, missing="not here")


# ------------------------------------------------------------------ jobs for the worker thread

def grid_statistics(structures: Sequence[protattn.Structure], state: DialogState,
                    progress: Callable[[str], None] = lambda message: None) -> GridStats:
    """Per-head statistics of the state's property over ``structures`` (core only, no PyMOL).

    Runs the model over every chain (slow the first time: it loads the model); see
    :func:`protattn.panel.grid.grid_statistics`.
    """
    return grid.grid_statistics(structures, state.model, state.prop, state.min_arcs, progress,
                                state.definition)


def prepare(action: str, state: DialogState, chains: Mapping[str, Sequence[protattn.Chain]],
            progress: Callable[[str], None] = lambda message: None) -> str:
    """Compute what ``command(action, state)`` will draw, so that it then runs in an instant.

    The model is loaded and its attention kept in memory (and the disk cache) by
    the core, so the command, run afterwards on PyMOL's GUI thread, finds it
    there. ``chains`` are :func:`protattn_pymol.adapter.chains_by_object` of the
    state's selection, read from PyMOL by the caller.

    Returns
    -------
    str
        A one-line summary for the dialog's status line.

    Raises
    ------
    protattn.ProtattnError, ValueError
        What the command would say (an unknown model, a head out of range …).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "clear":
        return ""
    progress(f"loading {state.model}")
    protattn.get_model(state.model)
    progress(f"running {state.model}")
    lines = []
    for obj, object_chains in chains.items():
        if action == "pairs":
            result = protattn.compute_pairs(
                object_chains, state.layer_head, model=state.model, threshold=state.threshold,
                top_k=state.top_k if state.top_k > 0 else None,
                min_separation=state.min_separation)
            lines.append(f"{obj}: {result.summary()}")
        elif action == "color":
            result = protattn.compute_scores(object_chains, state.layer_head, model=state.model)
            lines.append(f"{obj}: {result.summary()}")
        else:
            from protattn.api.contacts import predict_contacts

            for chain in object_chains:
                lines.append(f"{obj}/{chain.id}: "
                             f"{predict_contacts(chain, state.model, 'apc').summary()}")
    return "; ".join(lines)
