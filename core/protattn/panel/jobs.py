"""Background jobs for the panel: one at a time, in a thread, results posted back to the GUI.

The host gives :class:`Worker` a ``post(callable)`` that runs a callable on its GUI
thread (a Qt queued signal, ChimeraX's ``session.ui.thread_safe``); a job's progress
lines and its result or exception come back through it, so widgets are only ever
touched from the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "Worker",
]


def _ignore(message: str) -> None:
    pass


class Worker:
    """Runs one function at a time in a background thread; posts its outcome back.

    ``busy`` is only changed on the GUI thread (in :meth:`start` and in the posted
    finish), so the panel can read it without a lock.

    Parameters
    ----------
    post : callable
        ``post(function, *args)`` calls ``function(*args)`` on the GUI thread
        (ChimeraX: ``session.ui.thread_safe``; PyMOL: a queued Qt signal).
    """

    def __init__(self, post: Callable[..., Any]) -> None:
        self._post = post
        self._thread: threading.Thread | None = None
        self.busy = False

    def start(
        self,
        work: Callable[[Callable[[str], None]], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        progress: Callable[[str], None] = _ignore,
    ) -> bool:
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
