"""Stand-ins for a panel's widgets and GUI thread, for the panel controller's tests.

Used by ``tests/core/panel`` (with fake hosts) and ``tests/chimerax/test_tool_logic.py``
(in a real ChimeraX session).
"""

from __future__ import annotations

import queue
import threading
import time

__all__ = ["GuiQueue", "FakeView"]


class GuiQueue:
    """Stands in for the GUI thread's post (``session.ui.thread_safe``).

    Posted calls run when the test pumps them.
    """

    def __init__(self) -> None:
        self.calls: queue.Queue = queue.Queue()
        self.thread = threading.get_ident()
        self.ran_on: set[int] = set()

    def __call__(self, function, *args, **kw) -> None:
        self.calls.put((function, args, kw))

    def pump(self, worker, timeout: float = 300.0) -> None:
        """Run posted calls on this thread until the worker's job has finished."""
        end = time.monotonic() + timeout
        while worker.busy or not self.calls.empty():
            function, args, kw = self.calls.get(timeout=max(0.1, end - time.monotonic()))
            self.ran_on.add(threading.get_ident())
            function(*args, **kw)


class FakeView:
    """A PanelView that records what the controller shows."""

    def __init__(self, state) -> None:
        self.current = state
        self.messages: list[str] = []
        self.errors: list[str] = []
        self.busy: list[bool] = []
        self.shapes: list = []
        self.grids: list = []

    def state(self):
        return self.current

    def say(self, text: str) -> None:
        self.messages.append(text)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def set_busy(self, busy: bool) -> None:
        self.busy.append(busy)

    def set_shape(self, shape) -> None:
        self.shapes.append(shape)

    def show_grid(self, cells, legend: str) -> None:
        self.grids.append((cells, legend))
