"""The Attention panel without Qt: its state, the commands it runs, its grid, its jobs.

Every drawing action of the panel (Tools -> Structure Analysis -> Attention) is an
``attention ...`` command built here and run with ChimeraX's ``run``, so that it
is logged, replayable and testable without the panel::

    >>> state = PanelState(structure="#1", chain="A", layer=6, head=3)
    >>> command("pairs", state)
    'attention pairs #1/A layerHead 6-3 threshold 0.1'
    >>> command("color", PanelState(structure="#1", layer=8, aggregate="mean"))
    'attention color #1 layerHead 8-mean'

The layer x head grid is coloured by each head's share of high-confidence
attention (≥ :data:`STATS_THRESHOLD`, the paper's definition by default) on a
property, computed by the same core call as ``attention stats``
(:func:`grid_statistics`); :func:`grid_cells` maps
those statistics to colours. The model runs in a background thread
(:class:`Worker`) on core chains read from ChimeraX beforehand on the GUI thread
(:func:`read_structures`); results are posted back with
``session.ui.thread_safe``, and the command then runs on the GUI thread and finds
the attention in the core's memory. :class:`PanelController` ties these together
for the panel's widgets (:mod:`.tool`), which only show state and forward clicks.
Nothing here imports Qt or torch.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from chimerax.atomic import Residue, ResiduesArg, all_atomic_structures
from chimerax.core.commands import quote_if_necessary, run
from chimerax.core.errors import UserError
from chimerax.core.session import Session

import protattn
from protattn.api.contacts import predict_contacts
from protattn.compute import backend
from protattn.lm.counts import DEFINITIONS, check_definition
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
    model_label,
    model_name,
    model_shape,
    number_text,
    property_of,
    text_is_dark,
)

from .adapter import protein_chains

__all__ = [
    "ACTIONS", "AGGREGATES", "PROPERTIES", "DEFAULT_MODEL", "DEFINITIONS",
    "STATS_THRESHOLD",
    "DEFAULT_MIN_ARCS", "FLAGGED_RGB", "GRID_PALETTE", "PanelState", "command", "chain_spec",
    "ChainChoice", "StructureChoice", "structure_choices", "GridCell", "GridStats",
    "grid_cells", "grid_legend", "text_is_dark", "ModelChoice", "model_choices",
    "model_label", "model_name", "model_shape", "read_structures", "grid_statistics",
    "prepare", "loaded_shape", "Worker", "PanelView", "PanelController",
]

#: What each action runs: the panel's buttons (pairs, color, contacts, clear) and the
#: grid's "log statistics" (stats).
ACTIONS = {
    "pairs": "attention pairs",
    "color": "attention color",
    "contacts": "attention contacts",
    "clear": "attention clear",
    "stats": "attention stats",
}

#: The commands' default model (left out of the command lines).
DEFAULT_MODEL = "antiberty"

#: Heads with fewer high-confidence arcs are grey in the grid (one structure has few arcs;
#: ``attention stats`` defaults to 100 for data sets).
DEFAULT_MIN_ARCS = 20


_DEFAULT_MIN_SEPARATION = 1  # attention pairs' default
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
    raise ValueError(f"chain id {chain_id!r} has both kinds of quotes and cannot be "
                     "specified; choose all chains")


@dataclass(frozen=True)
class PanelState:
    """What the panel's widgets say, as plain values.

    Attributes
    ----------
    structure : str
        The structure's atom spec (``#1``); ``""`` when none is open.
    chain : str or None
        Chain id, or None for all protein chains of the structure.
    model : str
        Short name, Hugging Face id or model folder.
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

    structure: str = ""
    chain: str | None = None
    model: str = DEFAULT_MODEL
    layer: int = 1
    head: int = 1
    aggregate: str = "none"
    threshold: float = 0.1
    top_k: int = 0
    min_separation: int = _DEFAULT_MIN_SEPARATION
    prop: str = "none"
    min_arcs: int = DEFAULT_MIN_ARCS
    definition: str = grid.DEFAULT_DEFINITION

    @property
    def spec(self) -> str:
        """The atom spec of the chosen structure and chain (``#1/A``)."""
        if not self.structure.strip():
            raise ValueError("no structure chosen; open a protein structure first")
        return chain_spec(self.structure.strip(), self.chain)

    @property
    def layer_head(self) -> str:
        """``"6-3"``, or ``"6-mean"`` / ``"6-max"`` with an aggregate."""
        return layer_head_text(self.layer, self.head, self.aggregate)

    @property
    def property_name(self) -> str | None:
        """The grid's property as ``attention stats`` names it (None: no grid colours)."""
        return property_of(self.prop)

    def model_keyword(self) -> list[str]:
        """``["model", name]`` (quoted if needed) unless it is the commands' default."""
        model = self.model.strip()
        if not model:
            raise ValueError("no model given; choose one, or type a Hugging Face id or folder")
        if any(c in model for c in "\n\r"):
            raise ValueError(f"model {model!r} spans lines; give one name, id or folder")
        return [] if model == DEFAULT_MODEL else ["model", quote_if_necessary(model)]

    def with_head(self, layer: int, head: int) -> PanelState:
        """This state with one head chosen (what clicking a grid cell does)."""
        return replace(self, layer=int(layer), head=int(head), aggregate="none")


def command(action: str, state: PanelState) -> str:
    """The ChimeraX command a panel action runs.

    Parameters
    ----------
    action : {"pairs", "color", "contacts", "clear", "stats"}
    state : PanelState

    Returns
    -------
    str
        One ``attention ...`` command line. Options equal to the commands'
        defaults are left out, except the threshold of ``pairs`` (unless ``topK``
        replaces it) and the threshold and ``minArcs`` of ``stats``, which are the
        grid's.

    Raises
    ------
    ValueError
        With a message for the panel's status line, if the state makes no command.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    words = [ACTIONS[action]]
    if action == "clear":
        if state.structure.strip():
            words.append(state.structure.strip())  # the whole structure, as drawn
        return " ".join(words)
    words.append(state.spec)
    if action == "pairs":
        words += ["layerHead", state.layer_head]
        if int(state.top_k) > 0:
            words += ["topK", str(int(state.top_k))]
        else:
            if float(state.threshold) < 0:
                raise ValueError(f"threshold must be 0 or more, not {state.threshold}")
            words += ["threshold", number_text(state.threshold)]
        if int(state.min_separation) < 1:
            raise ValueError(f"minimum separation must be 1 or more, not {state.min_separation}")
        if int(state.min_separation) != _DEFAULT_MIN_SEPARATION:
            words += ["minSeparation", str(int(state.min_separation))]
    elif action == "color":
        words += ["layerHead", state.layer_head]
    elif action == "stats":
        prop = state.property_name
        if prop is None:
            raise ValueError("choose a property (contacts, binding site) for the statistics")
        if int(state.min_arcs) < 1:
            raise ValueError(f"minimum arcs must be 1 or more, not {state.min_arcs}")
        words += [prop, "threshold", number_text(STATS_THRESHOLD), "minArcs",
                  str(int(state.min_arcs))]
        check_definition(state.definition)
        if state.definition != grid.DEFAULT_DEFINITION:
            words += ["definition", state.definition]
    words += state.model_keyword()
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
            choices.append(ChainChoice(chain.chain_id, cspec,
                                       f"{chain.chain_id.strip() or '(blank)'}  "
                                       f"({count} residues)"))
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


# ---------------------------------------------------------------------------- the grid


# -------------------------------------------------------------------------- the models

@dataclass(frozen=True)
class ModelChoice:
    """One known model in the model chooser; ``offline``: usable without a network."""

    name: str
    status: str
    label: str
    tooltip: str

    @property
    def offline(self) -> bool:
        return self.status != "missing"


def model_choices() -> list[ModelChoice]:
    """Every model protattn knows, marked offline when its weights are where models run.

    Imports no torch; asks the worker when models run in one (starting it).
    """
    statuses = backend.model_statuses()
    out = []
    for name, spec in MODELS.items():
        status = statuses.get(name, "missing")
        where = ("weights here: works offline" if status != "missing"
                 else "not downloaded: needs the network on first use")
        out.append(ModelChoice(name, status, model_label(name, status),
                               f"{spec.source}; {where}" + (f"; {spec.note}" if spec.note
                                                            else "")))
    return out


# ------------------------------------------------------------- jobs for the worker thread

def _ignore(message: str) -> None:
    pass


def grid_statistics(structures: Sequence[protattn.Structure], state: PanelState,
                    progress: Callable[[str], None] = _ignore) -> GridStats:
    """The grid's statistics: the core call of ``command("stats", state)``, without ChimeraX.

    Runs the model over every chain of ``structures`` (:func:`read_structures`);
    slow the first time (it loads the model), so the panel runs it in a thread. See
    :func:`protattn.panel.grid.grid_statistics`.
    """
    return grid.grid_statistics(structures, state.model, state.prop, state.min_arcs, progress,
                                state.definition)


def prepare(action: str, state: PanelState, structures: Sequence[protattn.Structure],
            progress: Callable[[str], None] = _ignore) -> str:
    """Compute what ``command(action, state)`` will draw, so that it then runs in an instant.

    The model is loaded and its attention kept in memory (and the disk cache) by
    the core, where the command, run afterwards on the GUI thread, finds it.
    ``structures`` are :func:`read_structures` of the state's spec.

    Returns
    -------
    str
        A one-line summary for the panel's status line.

    Raises
    ------
    protattn.ProtattnError, ValueError
        What the command would say (an unknown model, a head out of range …).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "clear":
        return ""
    if action == "stats":
        stats = grid_statistics(structures, state, progress)
        return (f"{stats.prop}: {int(stats.enough_arcs.sum())} heads with enough arcs "
                f"({stats.definition} definition)")
    model = model_name(state.model)
    progress(f"loading {model}")
    protattn.get_model(model)
    lines = []
    for structure in structures:
        progress(f"running {model} on {structure.name}")
        if action == "pairs":
            result = protattn.compute_pairs(
                structure.chains, state.layer_head, model=model, threshold=state.threshold,
                top_k=state.top_k if state.top_k > 0 else None,
                min_separation=state.min_separation)
            lines.append(f"{structure.name}: {result.summary()}")
        elif action == "color":
            result = protattn.compute_scores(structure.chains, state.layer_head, model=model)
            lines.append(f"{structure.name}: {result.summary()}")
        else:
            for chain in structure.chains:
                lines.append(f"{structure.name}/{chain.id}: "
                             f"{predict_contacts(chain, model, 'apc').summary()}")
    return "; ".join(lines)


class Worker:
    """Runs one function at a time in a background thread; posts its outcome back.

    ``post`` is ``session.ui.thread_safe``: it calls a function on the GUI
    thread. ``busy`` is only changed on the GUI thread (in :meth:`start` and in the
    posted finish), so the panel can read it without a lock.

    Parameters
    ----------
    post : callable
        ``post(function, *args)`` calls ``function(*args)`` on the GUI thread.
    """

    def __init__(self, post: Callable[..., Any]) -> None:
        self._post = post
        self._thread: threading.Thread | None = None
        self.busy = False

    def start(self, work: Callable[[Callable[[str], None]], Any],
              done: Callable[[Any], None], failed: Callable[[BaseException], None],
              progress: Callable[[str], None] = _ignore) -> bool:
        """Run ``work(progress)`` in a thread, then ``done(value)`` or ``failed(error)``.

        Returns False (and runs nothing) while another job runs. ``progress``,
        ``done`` and ``failed`` are called through ``post``, on the GUI thread.
        """
        if self.busy:
            return False
        self.busy = True

        def report(message: str) -> None:
            self._post(progress, message)

        def body() -> None:
            try:
                value = work(report)
            except BaseException as e:  # reported to the panel: it must never stay busy
                self._post(self._finish, failed, e)
            else:
                self._post(self._finish, done, value)

        self._thread = threading.Thread(target=body, name="protattn panel job", daemon=True)
        self._thread.start()
        return True

    def _finish(self, callback: Callable[[Any], None], outcome: Any) -> None:
        self.busy = False
        callback(outcome)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running job's thread (for tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)


# --------------------------------------------------------------------- the controller

class PanelView(Protocol):
    """What :class:`PanelController` asks of the panel's widgets (:class:`.tool.AttentionPanel`)."""

    def state(self) -> PanelState: ...

    def say(self, text: str) -> None: ...

    def error(self, text: str) -> None: ...

    def set_busy(self, busy: bool) -> None: ...

    def set_shape(self, shape: tuple[int, int] | None) -> None: ...

    def show_grid(self, cells: list[list[GridCell]] | None, legend: str) -> None: ...


class PanelController:
    """The panel's behaviour: actions as logged commands, model work in the background, the grid.

    Parameters
    ----------
    session : Session
    view : PanelView
    post : callable, optional
        Calls a function on the GUI thread; ``session.ui.thread_safe`` by default.

    Attributes
    ----------
    history : list of str
        The commands the panel ran, in order (also in ChimeraX's log).
    """

    def __init__(self, session: Session, view: PanelView,
                 post: Callable[..., Any] | None = None) -> None:
        self.session = session
        self.view = view
        self.worker = Worker(post if post is not None else session.ui.thread_safe)
        self.history: list[str] = []
        self.closed = False
        self._shapes: dict[str, tuple[int, int] | None] = {}
        self._grid: tuple[tuple, GridStats] | None = None
        self._grid_pending = False

    # ----------------------------------------------------------------------- models

    def shape(self, model: str) -> tuple[int, int] | None:
        """``(layers, heads)`` of a model, from its config (remembered), None if unknown."""
        model = model_name(model)
        if model not in self._shapes:
            self._shapes[model] = model_shape(model)
        return self._shapes[model]

    def _loaded(self, model: str, shape: tuple[int, int]) -> None:
        self._shapes[model_name(model)] = shape
        if model_name(self.view.state().model) == model_name(model):
            self.view.set_shape(shape)

    # ---------------------------------------------------------------------- actions

    def run_action(self, action: str, state: PanelState) -> bool:
        """A button: read the chains here, run the model in the background, then the command.

        Returns whether the action started (False: an error or a running job, told
        on the status line).
        """
        try:
            line = command(action, state)
            structures = [] if action == "clear" else read_structures(self.session, state.spec)
        except (ValueError, UserError) as e:
            self.view.error(str(e))
            return False
        if action == "clear":
            return self.run_command(line)

        def work(progress):
            return prepare(action, state, structures, progress), loaded_shape(state.model)

        def done(value):
            summary, shape = value
            self._loaded(state.model, shape)
            self.run_command(line, summary)

        return self._start(f"{action}: {line}", work, done)

    def click_cell(self, state: PanelState, layer: int, head: int) -> bool:
        """A grid cell: draw that head's pairs (the view shows the head chosen first)."""
        return self.run_action("pairs", state.with_head(layer, head))

    def run_command(self, line: str, summary: str = "") -> bool:
        """Run one command line here (logged, as typed); errors go to the log and the status."""
        if self.closed:
            return False
        self.history.append(line)
        try:
            run(self.session, line)
        except UserError as e:
            self.session.logger.error(str(e))
            self.view.error(str(e))
            return False
        self.view.say(f"ran: {line}" + (f"\n{summary}" if summary else ""))
        return True

    # ------------------------------------------------------------------------- grid

    @staticmethod
    def grid_key(state: PanelState) -> tuple:
        """What the grid's statistics depend on."""
        return (state.structure, state.chain, model_name(state.model), state.prop,
                int(state.min_arcs), state.definition)

    def grid_stats(self, state: PanelState) -> GridStats | None:
        """The statistics computed for these choices, if any."""
        if self._grid is not None and self._grid[0] == self.grid_key(state):
            return self._grid[1]
        return None

    def update_grid(self, state: PanelState) -> bool:
        """Show the grid's colours for ``state``, computing them in the background if needed.

        Returns whether a job started.
        """
        self.show_grid(state)  # colours of these choices, or none until they are in
        if self.grid_stats(state) is not None or not state.structure.strip():
            return False
        try:
            if state.property_name is None:
                return False
            spec = state.spec
            if self.worker.busy:
                self._grid_pending = True
                return False
            structures = read_structures(self.session, spec)
        except (ValueError, UserError) as e:
            self.view.error(str(e))
            return False
        key = self.grid_key(state)

        def work(progress):
            return grid_statistics(structures, state, progress), loaded_shape(state.model)

        def done(value):
            stats, shape = value
            self._grid = (key, stats)
            self._loaded(state.model, shape)
            self.show_grid(self.view.state())
            self.view.say(f"grid: {state.prop} for {spec} with {model_name(state.model)} "
                          f"(same statistics as: {command('stats', state)})")

        return self._start(f"{state.prop} statistics for {spec}", work, done)

    def show_grid(self, state: PanelState) -> None:
        """Paint the grid for ``state``: coloured if its statistics are in, blank otherwise."""
        stats = self.grid_stats(state)
        if stats is not None and stats.shape != self.shape(state.model):
            stats = None
        if stats is None:
            wanted = state.prop if PROPERTIES.get(state.prop) and state.structure.strip() else ""
            self.view.show_grid(None, grid_legend(label=wanted))
            return
        self.view.show_grid(grid_cells(stats.share, stats.enough_arcs, stats.n_arcs,
                                       stats.background, state.prop),
                            grid_legend(stats, state.prop))

    # ------------------------------------------------------------------------- jobs

    def _start(self, label: str, work: Callable, done: Callable[[Any], None]) -> bool:
        if self.closed:
            return False
        if self.worker.busy:
            self.view.say(f"busy: {label} has to wait for the running job")
            return False

        def finished(value):
            if self.closed:
                return
            self.view.set_busy(False)
            try:
                done(value)
            except Exception as e:  # a GUI callback must not raise into the event loop
                self.view.error(str(e) or type(e).__name__)
            self._run_pending()

        def failed(error):
            if self.closed:
                return
            self.view.set_busy(False)
            message = str(error) or type(error).__name__
            self.session.logger.error(f"Attention panel: {message}")
            self.view.error(message)
            self._run_pending()

        def progress(message):
            if not self.closed:
                self.view.say(message)

        self.view.set_busy(True)
        self.view.say(label)
        return self.worker.start(work, finished, failed, progress)

    def _run_pending(self) -> None:
        if self._grid_pending:
            self._grid_pending = False
            self.update_grid(self.view.state())

    def close(self) -> None:
        """The panel is gone: outcomes of a running job are dropped."""
        self.closed = True
