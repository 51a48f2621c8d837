"""The panels' controller without a host or Qt: its worker thread, its actions, its grid.

A fake host records the command lines it runs and posts calls to a queue that the
test pumps, as the GUI thread would; the model work (prepare, statistics) is
replaced by quick stand-ins, so only the controller's decisions are tested here
(the hosts' tests run them with the real model).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from panel_support import FakeView, GuiQueue

import protattn
from protattn.panel import controller as core
from protattn.panel.controller import PanelController
from protattn.panel.grid import GridStats, grid_cells
from protattn.panel.jobs import Worker
from protattn.panel.state import PanelState


class HostError(Exception):
    pass


class FakeHost:
    """A PanelHost that spells verb target option=value and records what it ran."""

    actions = {"pairs": "pairs", "clear": "clear", "stats": "stats"}
    errors = (HostError,)

    def __init__(self) -> None:
        self.post = GuiQueue()
        self.ran: list[str] = []
        self.failures: list[str] = []

    def command(self, action, state):
        if action not in self.actions:
            raise ValueError(f"unknown action {action!r}")
        options = protattn.panel.state.command_options(action, state)
        return " ".join([action, self.where(state)] + [f"{k}={v}" for k, v in options])

    def where(self, state):
        if not state.target:
            raise ValueError("no target")
        return state.target + ("" if state.chain is None else f"/{state.chain}")

    def read_structures(self, state):
        if state.target == "bad":
            raise HostError("no such target")
        return [protattn.Structure(state.target, (), ())]

    def run(self, line):
        if "99" in line:
            raise HostError(f"cannot run {line}")
        self.ran.append(line)

    def job_failed(self, message):
        self.failures.append(message)


STATS = GridStats(
    "contact", np.full((8, 8), 0.25), np.ones((8, 8), bool), np.full((8, 8), 40), 0.1, 20
)


@pytest.fixture
def quick(monkeypatch):
    """The model work replaced: prepare says what it did, statistics are STATS, 8 x 8 heads."""
    threads = []

    def prepare(action, state, structures, progress):
        threads.append(threading.get_ident())
        if state.layer > 8:
            raise protattn.ProtattnError(f"layer {state.layer}: layers 1-8")
        progress("working")
        return f"{action} prepared"

    def statistics(structures, state, progress):
        threads.append(threading.get_ident())
        return STATS

    monkeypatch.setattr(core, "prepare", prepare)
    monkeypatch.setattr(core, "grid_statistics", statistics)
    monkeypatch.setattr(core, "loaded_shape", lambda model: (8, 8))
    return threads


def controller_for(state):
    host, view = FakeHost(), FakeView(state)
    return host, view, PanelController(host, view)


def test_worker_runs_off_the_gui_thread_and_posts_back():
    gui = GuiQueue()
    worker = Worker(gui)
    seen = {}
    release = threading.Event()

    def work(progress):
        seen["work"] = threading.get_ident()
        progress("half way")
        release.wait(30)
        return 42

    assert worker.start(
        work,
        lambda v: seen.setdefault("done", (v, threading.get_ident())),
        lambda e: seen.setdefault("failed", e),
        lambda m: seen.setdefault("progress", (m, threading.get_ident())),
    )
    assert worker.busy
    assert not worker.start(work, print, print)  # one job at a time
    release.set()
    gui.pump(worker)
    assert seen["work"] != gui.thread
    assert seen["done"] == (42, gui.thread) and seen["progress"] == ("half way", gui.thread)
    assert "failed" not in seen and not worker.busy

    def broken(progress):
        raise protattn.ModelError("no such model")

    worker.start(
        broken, lambda v: seen.setdefault("done2", v), lambda e: seen.setdefault("failed", e)
    )
    gui.pump(worker)
    assert isinstance(seen["failed"], protattn.ModelError) and "done2" not in seen
    assert not worker.busy


def test_an_action_runs_in_the_background_then_its_command(quick):
    state = PanelState("1abc", "A", layer=6, head=3)
    host, view, controller = controller_for(state)
    assert controller.run_action("pairs", state)
    assert view.busy == [True] and controller.busy and host.ran == []
    assert not controller.run_action("pairs", state)  # one job at a time, told
    assert view.messages[-1].startswith("busy:")
    host.post.pump(controller.worker)
    line = "pairs 1abc/A layer_head=6-3 threshold=0.1"
    assert quick and quick[0] != host.post.thread and host.post.ran_on == {host.post.thread}
    assert host.ran == controller.history == [line]
    assert view.busy == [True, False] and view.errors == [] and view.shapes == [(8, 8)]
    assert "working" in view.messages
    assert view.messages[-1] == f"ran: {line}\npairs prepared"

    assert controller.run_action("clear", state)  # nothing to compute: runs at once
    assert host.ran[-1] == "clear 1abc/A" and not controller.busy


def test_errors_reach_the_status_line(quick):
    host, view, controller = controller_for(PanelState())
    assert not controller.run_action("pairs", PanelState())
    assert view.errors[-1] == "no target"
    assert not controller.run_action("pairs", PanelState("bad"))
    assert view.errors[-1] == "no such target"
    assert not controller.run_action("color", PanelState("1abc"))
    assert "unknown action" in view.errors[-1]

    assert controller.run_action("pairs", PanelState("1abc", layer=9))
    host.post.pump(controller.worker)
    assert "layers 1-8" in view.errors[-1] and host.failures == [view.errors[-1]]
    assert host.ran == [] and view.busy == [True, False]
    assert not controller.run_command("pairs 1abc layer_head=1-99")
    assert "cannot run" in view.errors[-1]


def test_the_grid_is_computed_once_shown_and_deferred_while_busy(quick):
    state = PanelState("1abc", None, prop="contacts")
    host, view, controller = controller_for(state)
    assert not controller.update_grid(PanelState("1abc"))  # no property: blank, no job
    assert view.grids[-1][0] is None and "Choose a property" in view.grids[-1][1]

    assert controller.update_grid(state)
    assert view.grids[-1][0] is None and "Colours by contacts come once" in view.grids[-1][1]
    host.post.pump(controller.worker)
    cells, legend = view.grids[-1]
    assert cells == grid_cells(
        STATS.share, STATS.enough_arcs, STATS.n_arcs, STATS.background, "contacts"
    )
    assert "on contacts" in legend
    assert view.messages[-1] == (
        "grid: contacts for 1abc with antiberty (same statistics as: "
        "stats 1abc property=contact threshold=0.3 min_arcs=100)"
    )
    assert controller.grid_stats(state) is STATS
    assert not controller.update_grid(state)  # known: shown at once
    assert view.grids[-1][0] == cells

    assert controller.click_cell(state, 2, 5)
    other = PanelState("1abc", "A", prop="binding site")
    view.current = other
    assert not controller.update_grid(other)  # busy: deferred until the job is done
    host.post.pump(controller.worker)
    host.post.pump(controller.worker)
    assert host.ran == ["pairs 1abc layer_head=2-5 threshold=0.1"]
    assert controller.grid_stats(other) is STATS

    controller.close()
    assert not controller.run_action("pairs", state) and not controller.update_grid(
        PanelState("1abc", prop="binding site", min_arcs=5)
    )


def test_a_model_change_resizes_the_grid_and_says_its_shape(quick):
    state = PanelState("1abc", model="antiberty")
    host, view, controller = controller_for(state)
    controller.model_changed(state)
    assert view.shapes == [(8, 8)] and view.messages[-1] == "model antiberty: 8 layers x 8 heads"
    controller.known_shapes({"my/model": (3, 4)})
    controller.model_changed(PanelState("1abc", model="my/model"))
    assert view.shapes[-1] == (3, 4)
    controller.model_changed(PanelState("1abc", model="nobody/no_such_model"))
    assert view.shapes[-1] is None and "known once it is loaded" in view.messages[-1]
