"""The Attention panel's ChimeraX side without Qt: command spelling, structure choices, running.

Every drawing action of the panel (Tools -> Structure Analysis -> Attention) is an
``attention ...`` command built here and run with ChimeraX's ``run``, so that it
is logged, replayable and testable without the panel::

    >>> state = PanelState(structure="#1", chain="A", layer=6, head=3)
    >>> command("pairs", state)
    'attention pairs #1/A layerHead 6-3 threshold 0.1'
    >>> command("color", PanelState(structure="#1", layer=8, aggregate="mean"))
    'attention color #1 layerHead 8-mean'

The panel's behaviour (background jobs, the grid's statistics and colours) is the
core's :class:`protattn.panel.controller.PanelController`, shared with PyMOL's
dialog; :class:`ChimeraXHost` gives it what is ChimeraX's: the command lines, the
core chains read from the session on the GUI thread (:func:`read_structures`),
``run`` and ``session.ui.thread_safe``. Nothing here imports Qt or torch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chimerax.atomic import Residue, ResiduesArg, all_atomic_structures
from chimerax.core.commands import quote_if_necessary, run
from chimerax.core.errors import UserError
from chimerax.core.session import Session

import protattn
from protattn.lm.counts import DEFINITIONS
from protattn.panel import controller as core
from protattn.panel import state as core_state
from protattn.panel.controller import PanelView, grid_statistics, prepare
from protattn.panel.grid import (
    AGGREGATES,
    FLAGGED_RGB,
    GRID_PALETTE,
    PROPERTIES,
    STATS_THRESHOLD,
    CellPaint,
    GridCell,
    GridStats,
    cell_paints,
    grid_cells,
    grid_legend,
    is_marked,
    loaded_shape,
    model_label,
    model_name,
    model_shape,
    text_is_dark,
)
from protattn.panel.jobs import Worker
from protattn.panel.state import (
    DEFAULT_MIN_ARCS,
    DEFAULT_MODEL,
    ModelChoice,
    command_names,
    command_options,
    model_choices,
)

from .adapter import protein_chains

__all__ = [
    "ACTIONS",
    "AGGREGATES",
    "PROPERTIES",
    "DEFAULT_MODEL",
    "DEFINITIONS",
    "STATS_THRESHOLD",
    "DEFAULT_MIN_ARCS",
    "FLAGGED_RGB",
    "GRID_PALETTE",
    "PanelState",
    "command",
    "chain_spec",
    "state_spec",
    "ChainChoice",
    "StructureChoice",
    "structure_choices",
    "GridCell",
    "GridStats",
    "grid_cells",
    "grid_legend",
    "text_is_dark",
    "CellPaint",
    "cell_paints",
    "is_marked",
    "ModelChoice",
    "model_choices",
    "model_label",
    "model_name",
    "model_shape",
    "read_structures",
    "grid_statistics",
    "prepare",
    "loaded_shape",
    "Worker",
    "PanelView",
    "ChimeraXHost",
    "PanelController",
]

#: What each action runs: the panel's buttons (pairs, color, contacts, clear) and the
#: grid's "log statistics" (stats).
ACTIONS = command_names("attention ")

#: The commands' keywords of the core's option names (None: a positional argument).
_KEYWORDS = {
    "layer_head": "layerHead",
    "top_k": "topK",
    "threshold": "threshold",
    "min_separation": "minSeparation",
    "property": None,
    "min_arcs": "minArcs",
    "definition": "definition",
    "model": "model",
}
_SIMPLE_CHAIN_ID = re.compile(r"[A-Za-z0-9]+")


def chain_spec(structure: str, chain_id: str | None) -> str:
    """The atom spec of one chain of a structure (``#1/A``), or of the structure (``#1``).

    Chain ids that the ``/`` syntax cannot name (blank, ``A-2``) use the residue
    attribute test ``::chain_id=="..."`` (``==``: case-sensitive).

    >>> chain_spec("#1", "A"), chain_spec("#1", None), chain_spec("#2", " ")
    ('#1/A', '#1', '#2::chain_id==" "')
    """
    if chain_id is None:
        return structure
    if _SIMPLE_CHAIN_ID.fullmatch(chain_id):
        return f"{structure}/{chain_id}"
    for quote in ('"', "'"):
        if quote not in chain_id:
            return f"{structure}::chain_id=={quote}{chain_id}{quote}"
    raise ValueError(
        f"chain id {chain_id!r} has both kinds of quotes and cannot be specified; choose all chains"
    )


def state_spec(state: core_state.PanelState) -> str:
    """The atom spec of a state's structure and chain (``#1/A``); ValueError without one."""
    target = state.chosen_target("no structure chosen; open a protein structure first")
    return chain_spec(target, state.chain)


class PanelState(core_state.PanelState, target_name="structure"):
    """The core's :class:`~protattn.panel.state.PanelState`; ``structure`` is its spec (``#1``)."""

    @property
    def spec(self) -> str:
        """The atom spec of the chosen structure and chain (``#1/A``)."""
        return state_spec(self)


def command(action: str, state: core_state.PanelState) -> str:
    """The ChimeraX command a panel action runs.

    Parameters
    ----------
    action : {"pairs", "color", "contacts", "clear", "stats"}
        One of :data:`ACTIONS`.
    state : protattn.panel.state.PanelState
        Its target is a structure's spec.

    Returns
    -------
    str
        One ``attention ...`` command line, with the options of
        :func:`protattn.panel.state.command_options` (a model name quoted if needed).

    Raises
    ------
    ValueError
        With a message for the panel's status line, if the state makes no command.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    words = [ACTIONS[action]]
    if action == "clear":
        if state.target.strip():
            words.append(state.target.strip())  # the whole structure, as drawn
        return " ".join(words)
    words.append(state_spec(state))
    for name, text in command_options(action, state):
        if name == "model":
            if any(c in text for c in "\n\r"):
                raise ValueError(f"model {text!r} spans lines; give one name, id or folder")
            text = quote_if_necessary(text)
        keyword = _KEYWORDS[name]
        words += [text] if keyword is None else [keyword, text]
    return " ".join(words)


# ----------------------------------------------------------------- structures and chains


@dataclass(frozen=True)
class ChainChoice:
    """One protein chain in the chain chooser."""

    chain_id: str
    spec: str
    label: str


@dataclass(frozen=True)
class StructureChoice:
    """One atomic structure with protein chains, in the structure chooser."""

    spec: str
    label: str
    chains: tuple[ChainChoice, ...]


def structure_choices(session: Session) -> list[StructureChoice]:
    """The open atomic structures that have a protein chain, by model id, with those chains."""
    found = []
    for structure in sorted(all_atomic_structures(session), key=lambda s: s.id):
        chains = [c for c in structure.chains if c.polymer_type == Residue.PT_AMINO]
        if not chains:
            continue
        spec = "#" + structure.id_string
        choices = []
        for chain in chains:
            try:
                cspec = chain_spec(spec, chain.chain_id)
            except ValueError:  # an id no spec can name: only "all chains" covers it
                continue
            observed, total = chain.num_existing_residues, len(chain)
            count = f"{total}" if observed == total else f"{observed} of {total}"
            choices.append(
                ChainChoice(
                    chain.chain_id,
                    cspec,
                    f"{chain.chain_id.strip() or '(blank)'}  ({count} residues)",
                )
            )
        found.append(StructureChoice(spec, f"{spec} {structure.name}", tuple(choices)))
    return found


def read_structures(session: Session, spec: str) -> list[protattn.Structure]:
    """The core's view of the protein chains that ``spec`` touches (on the GUI thread).

    Each structure's chosen chains, whole, with the structure's ligands: what
    the ``attention`` commands give the core for the same spec.

    Raises
    ------
    UserError
        If ``spec`` is not a valid atom spec.
    ValueError
        If it touches no protein chain.
    """
    residues, _, rest = ResiduesArg.parse(spec, session)
    if rest.strip():
        raise ValueError(f"only part of {spec!r} is an atom spec")
    targets = protein_chains(residues)
    if not targets:
        raise ValueError(f"no protein chain in {spec}; choose a structure with a protein")
    return [t.core_structure() for t in targets]


# --------------------------------------------------------------------- the controller


class ChimeraXHost:
    """The core controller's :class:`~protattn.panel.controller.PanelHost` in a session.

    Parameters
    ----------
    session : Session
    post : callable, optional
        Calls a function on the GUI thread; ``session.ui.thread_safe`` by default.
    """

    actions = ACTIONS
    errors = (UserError,)

    def __init__(self, session: Session, post: Callable[..., Any] | None = None) -> None:
        self.session = session
        self.post = post if post is not None else session.ui.thread_safe

    def command(self, action: str, state: core_state.PanelState) -> str:
        return command(action, state)

    def where(self, state: core_state.PanelState) -> str:
        return state_spec(state)

    def read_structures(self, state: core_state.PanelState) -> list[protattn.Structure]:
        return read_structures(self.session, self.where(state))

    def run(self, line: str) -> None:
        try:
            run(self.session, line)
        except UserError as e:
            self.session.logger.error(str(e))
            raise

    def job_failed(self, message: str) -> None:
        self.session.logger.error(f"Attention panel: {message}")


class PanelController(core.PanelController):
    """The core's panel controller on a ChimeraX session (:class:`ChimeraXHost`).

    Parameters
    ----------
    session : Session
    view : PanelView
    post : callable, optional
        Calls a function on the GUI thread; ``session.ui.thread_safe`` by default.
    """

    def __init__(
        self, session: Session, view: PanelView, post: Callable[..., Any] | None = None
    ) -> None:
        super().__init__(ChimeraXHost(session, post), view)
        self.session = session
