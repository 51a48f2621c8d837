"""The panels' behaviour without Qt: background jobs, the grid's statistics, actions as commands.

A panel (PyMOL's dialog, ChimeraX's tool) is a :class:`PanelView`: it shows a
:class:`~.state.PanelState` and forwards clicks to a :class:`PanelController`.
What differs between the hosts comes through a :class:`PanelHost`: how a command
line is spelled and run, how the target's structures are read (on the GUI
thread), and how a call gets back onto the GUI thread. The model runs in a
background thread (:class:`Worker`) on structures read beforehand
(:func:`prepare`, :func:`grid_statistics`: core calls only); the command then
runs on the GUI thread and finds the attention in the core's memory.
Nothing here imports Qt, a host or torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast

from ..structure import Chain, Structure
from .grid import (
    PROPERTIES,
    GridCell,
    GridStats,
    grid_cells,
    grid_legend,
    loaded_shape,
    model_name,
    model_shape,
)
from .grid import grid_statistics as _grid_statistics
from .jobs import Worker
from .state import ACTIONS, PanelState

__all__ = [
    "grid_statistics",
    "prepare",
    "PanelView",
    "PanelHost",
    "PanelController",
]


def _ignore(message: str) -> None:
    pass


def grid_statistics(
    structures: Sequence[Structure], state: PanelState, progress: Callable[[str], None] = _ignore
) -> GridStats:
    """The grid's statistics for ``state``: the core call of its ``stats`` command.

    Runs the model over every chain of ``structures`` (read from the host on the
    GUI thread); slow the first time (it loads the model), so the panels run it in a
    thread. See :func:`protattn.panel.grid.grid_statistics`.
    """
    return _grid_statistics(
        structures, state.model, state.prop, state.min_arcs, progress, state.definition
    )


def _named_chains(
    structures: Sequence[Structure] | Mapping[str, Sequence[Chain]],
) -> list[tuple[str, Sequence[Chain]]]:
    if isinstance(structures, Mapping):
        return list(structures.items())
    return [(s.name, s.chains) for s in structures]


def prepare(
    action: str,
    state: PanelState,
    structures: Sequence[Structure] | Mapping[str, Sequence[Chain]],
    progress: Callable[[str], None] = _ignore,
) -> str:
    """Compute what the command of ``action`` will draw, so that it then runs in an instant.

    The model is loaded and its attention kept in memory (and the disk cache) by
    the core, where the command, run afterwards on the GUI thread, finds it.

    Parameters
    ----------
    action : {"pairs", "color", "contacts", "clear", "stats"}
    state : PanelState
    structures : sequence of Structure, or mapping of str to sequence of Chain
        The target's structures (or chains by name), read from the host beforehand.
    progress : callable
        Told what is being done, a line at a time.

    Returns
    -------
    str
        A one-line summary for the status line (``""`` for ``clear``).

    Raises
    ------
    protattn.ProtattnError, ValueError
        What the command would say (an unknown model, a head out of range ...).
    """
    import protattn

    from ..api.contacts import predict_contacts

    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "clear":
        return ""
    if action == "stats":
        stats = grid_statistics(list(cast(Sequence[Structure], structures)), state, progress)
        return (
            f"{stats.prop}: {int(stats.enough_arcs.sum())} heads with enough arcs "
            f"({stats.definition} definition)"
        )
    model = model_name(state.model)
    progress(f"loading {model}")
    protattn.get_model(model)
    lines = []
    for name, chains in _named_chains(structures):
        progress(f"running {model} on {name}")
        if action == "pairs":
            result = protattn.compute_pairs(
                chains,
                state.layer_head,
                model=model,
                threshold=state.threshold,
                top_k=state.top_k if state.top_k > 0 else None,
                min_separation=state.min_separation,
            )
            lines.append(f"{name}: {result.summary()}")
        elif action == "color":
            scores = protattn.compute_scores(chains, state.layer_head, model=model)
            lines.append(f"{name}: {scores.summary()}")
        else:
            for chain in chains:
                lines.append(
                    f"{name}/{chain.id}: {predict_contacts(chain, model, 'apc').summary()}"
                )
    return "; ".join(lines)


class PanelView(Protocol):
    """What :class:`PanelController` asks of a panel's widgets."""

    def state(self) -> PanelState: ...

    def say(self, text: str) -> None: ...

    def error(self, text: str) -> None: ...

    def set_busy(self, busy: bool) -> None: ...

    def set_shape(self, shape: tuple[int, int] | None) -> None: ...

    def show_grid(self, cells: list[list[GridCell]] | None, legend: str) -> None: ...


class PanelHost(Protocol):
    """What differs between the hosts, for :class:`PanelController`.

    Attributes
    ----------
    actions : mapping of str to str
        The actions the host's panel offers (keys of :data:`~.state.ACTIONS`), each
        with its command's name.
    errors : tuple of type
        Exceptions of the host that :meth:`run` and :meth:`read_structures` raise with a
        message for the user (besides ValueError).
    """

    actions: Mapping[str, str]
    errors: tuple[type[BaseException], ...]

    def command(self, action: str, state: PanelState) -> str:
        """The command line of ``action`` on ``state``; ValueError if it makes none."""
        ...

    def where(self, state: PanelState) -> str:
        """The target and chain, as the host's commands spell them (``#1/A``)."""
        ...

    def read_structures(self, state: PanelState) -> Sequence[Structure]:
        """The core's structures of the target (on the GUI thread)."""
        ...

    def run(self, line: str) -> None:
        """Run one command line, logged as if typed; raises one of :attr:`errors`."""
        ...

    def post(self, function: Callable[..., Any], *args: Any) -> None:
        """Call ``function(*args)`` on the GUI thread (from any thread)."""
        ...

    def job_failed(self, message: str) -> None:
        """A background job failed with ``message`` (the view shows it too)."""
        ...


class PanelController:
    """A panel's behaviour: actions as logged commands, model work in the background, the grid.

    Parameters
    ----------
    host : PanelHost
    view : PanelView

    Attributes
    ----------
    history : list of str
        The commands the panel ran, in order (also in the host's log).
    worker : Worker
    closed : bool
        Set by :meth:`close`: outcomes of a running job are dropped.
    """

    def __init__(self, host: PanelHost, view: PanelView) -> None:
        self.host = host
        self.view = view
        self.worker = Worker(host.post)
        # what an action's errors may be: bad values, and the host's own errors
        self._caught: tuple[type[BaseException], ...] = (ValueError, *host.errors)
        self.history: list[str] = []
        self.closed = False
        self._shapes: dict[str, tuple[int, int] | None] = {}
        self._grid: tuple[tuple, GridStats] | None = None
        self._grid_pending = False

    @property
    def busy(self) -> bool:
        """Whether a background job runs."""
        return self.worker.busy

    # ----------------------------------------------------------------------- models

    def shape(self, model: str) -> tuple[int, int] | None:
        """``(layers, heads)`` of a model, from its config (remembered), None if unknown."""
        model = model_name(model)
        if model not in self._shapes:
            self._shapes[model] = model_shape(model)
        return self._shapes[model]

    def known_shapes(self, shapes: Mapping[str, tuple[int, int] | None]) -> None:
        """Remember models' shapes found elsewhere (e.g. by a job listing the models)."""
        self._shapes.update({model_name(m): s for m, s in shapes.items()})

    def _loaded(self, model: str, shape: tuple[int, int]) -> None:
        self._shapes[model_name(model)] = shape
        if model_name(self.view.state().model) == model_name(model):
            self.view.set_shape(shape)

    def model_changed(self, state: PanelState) -> None:
        """The model chooser changed: resize the grid, say the model's shape, update the grid."""
        model = model_name(state.model)
        shape = self.shape(model)
        self.view.set_shape(shape)
        if not self.busy:
            self.view.say(
                f"model {model}: "
                + (
                    f"{shape[0]} layers x {shape[1]} heads"
                    if shape
                    else "layers and heads known once it is loaded"
                )
            )
        self.update_grid(state)

    # ---------------------------------------------------------------------- actions

    def run_action(self, action: str, state: PanelState) -> bool:
        """A button: read the structures here, run the model in the background, then the command.

        Returns whether the action started (False: an error or a running job, told
        on the status line).
        """
        try:
            line = self.host.command(action, state)
            structures = [] if action == "clear" else self.host.read_structures(state)
        except self._caught as e:
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

        return self.start(f"{action}: {line}", work, done)

    def click_cell(self, state: PanelState, layer: int, head: int) -> bool:
        """A grid cell: draw that head's pairs (the view shows the head chosen first)."""
        return self.run_action("pairs", state.with_head(layer, head))

    def run_command(self, line: str, summary: str = "") -> bool:
        """Run one command line here (logged, as typed); errors go to the status line."""
        if self.closed:
            return False
        self.history.append(line)
        try:
            self.host.run(line)
        except self.host.errors as e:
            self.view.error(str(e))
            return False
        self.view.say(f"ran: {line}" + (f"\n{summary}" if summary else ""))
        return True

    # ------------------------------------------------------------------------- grid

    @staticmethod
    def grid_key(state: PanelState) -> tuple:
        """What the grid's statistics depend on."""
        return (
            state.target,
            state.chain,
            model_name(state.model),
            state.prop,
            int(state.min_arcs),
            state.definition,
        )

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
        if self.grid_stats(state) is not None or not state.target.strip():
            return False
        try:
            if state.property_name is None:
                return False
            where = self.host.where(state)
            if self.busy:
                self._grid_pending = True
                return False
            structures = self.host.read_structures(state)
        except self._caught as e:
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
            same = (
                f" (same statistics as: {self.host.command('stats', state)})"
                if "stats" in self.host.actions
                else ""
            )
            self.view.say(f"grid: {state.prop} for {where} with {model_name(state.model)}{same}")

        return self.start(f"{state.prop} statistics for {where}", work, done)

    def show_grid(self, state: PanelState) -> None:
        """Paint the grid for ``state``: coloured if its statistics are in, blank otherwise."""
        stats = self.grid_stats(state)
        if stats is not None and stats.shape != self.shape(state.model):
            stats = None
        if stats is None:
            wanted = state.prop if PROPERTIES.get(state.prop) and state.target.strip() else ""
            self.view.show_grid(None, grid_legend(label=wanted))
            return
        self.view.show_grid(
            grid_cells(stats.share, stats.enough_arcs, stats.n_arcs, stats.background, state.prop),
            grid_legend(stats, state.prop),
        )

    # ------------------------------------------------------------------------- jobs

    def start(
        self, label: str, work: Callable[[Callable[[str], None]], Any], done: Callable[[Any], None]
    ) -> bool:
        """Run ``work(progress)`` in the background, then ``done(value)`` on the GUI thread.

        The view is busy meanwhile and shows ``label`` and the progress; a failure is
        shown as an error. Returns False (and says so) while another job runs.
        """
        if self.closed:
            return False
        if self.busy:
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
            self.host.job_failed(message)
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
