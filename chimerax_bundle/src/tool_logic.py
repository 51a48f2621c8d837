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

A structure closed after it was chosen is named in the panel's message, with the
advice to press Refresh: at the click, and when it was closed while its model ran
in the background (the command is then not run, so that it cannot draw on a
structure opened since under the same number).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chimerax.atomic import AtomicStructure, Residue, Residues, ResiduesArg, all_atomic_structures
from chimerax.core.commands import AnnotationError, quote_if_necessary, run
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

from .adapter import one_per_ensemble, protein_chains

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


# per session: the label each structure spec had when the panel last listed it, so that a
# structure closed since can be named ("#1 1HPX.pdb was closed")
_LABELS: weakref.WeakKeyDictionary[Session, dict[str, str]] = weakref.WeakKeyDictionary()


def structure_choices(session: Session) -> list[StructureChoice]:
    """The open atomic structures that have a protein chain, by model id, with those chains.

    Each submodel of a multi-model file (``#1.1``, ``#1.2`` ...) is a choice of its own.
    """
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
    _LABELS.setdefault(session, {}).update((c.spec, c.label) for c in found)
    return found


def _gone(session: Session, target: str, what: str) -> str:
    """The message for a chosen structure that is no longer open."""
    label = _LABELS.get(session, {}).get(target)
    if label is not None:
        return (
            f"{label} was closed {what}; press Refresh and choose an open structure "
            "(nothing was drawn)"
        )
    return (
        f"no open structure is {target}; press Refresh and choose an open structure "
        "(nothing was drawn)"
    )


def _residues(session: Session, spec: str) -> Residues:
    """The residues of an atom spec, or ValueError if it is not one."""
    try:
        residues, _, rest = ResiduesArg.parse(spec, session)
    except AnnotationError as e:
        raise ValueError(f"{spec!r} is not an atom spec ({e}); press Refresh") from e
    if rest.strip():
        raise ValueError(f"only part of {spec!r} is an atom spec")
    return residues


def read_structures(
    session: Session, spec: str, target: str | None = None
) -> list[protattn.Structure]:
    """The core's view of the protein chains that ``spec`` touches (on the GUI thread).

    Each structure's chosen chains, whole, with the structure's ligands: what
    the ``attention`` commands give the core for the same spec (the first model
    of a multi-model file, as they use).

    Parameters
    ----------
    session : Session
    spec : str
        The atom spec of the chosen structure and chain (``#1/A``).
    target : str, optional
        The chosen structure's spec (``#1``), to name it if it was closed.

    Raises
    ------
    ValueError
        If ``spec`` is not a valid atom spec, matches nothing (the structure was
        closed: the message names it and says to press Refresh) or touches no
        protein chain.
    """
    residues = _residues(session, spec)
    if not len(residues):
        raise ValueError(_gone(session, target or spec, "since it was chosen"))
    targets = protein_chains(residues)
    if not targets:
        raise ValueError(f"no protein chain in {spec}; choose a structure with a protein")
    targets, _ = one_per_ensemble(targets)
    return [t.core_structure() for t in targets]


# --------------------------------------------------------------------- the controller


def _is_about(line: str, target: str) -> bool:
    """Whether a panel command line draws on the structure ``target`` (``#1``)."""
    words = line.split()
    return (
        bool(target)
        and len(words) > 2
        and words[1] != "clear"
        and (words[2] == target or words[2].startswith((target + "/", target + ":")))
    )


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
        # the chosen structure's spec and the structures read for the action in progress
        self._pending: tuple[str, list[AtomicStructure]] | None = None

    def command(self, action: str, state: core_state.PanelState) -> str:
        return command(action, state)

    def where(self, state: core_state.PanelState) -> str:
        return state_spec(state)

    def read_structures(self, state: core_state.PanelState) -> list[protattn.Structure]:
        """The chosen structures as the core sees them; remembered for :meth:`run`."""
        spec = self.where(state)
        structures = read_structures(self.session, spec, state.target.strip())
        self._pending = (
            state.target.strip(),
            list(_residues(self.session, spec).unique_structures),
        )
        return structures

    def run(self, line: str) -> None:
        """Run a command line of the panel; UserError, logged, if it cannot.

        A structure read for the line (:meth:`read_structures`) and closed while its
        model ran in the background is named, with the advice to press Refresh,
        instead of the spec error the line would give.
        """
        pending, self._pending = self._pending, None
        try:
            if pending is not None and _is_about(line, pending[0]):
                target, structures = pending
                if any(s.deleted for s in structures):
                    raise UserError(_gone(self.session, target, "while its attention was computed"))
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
