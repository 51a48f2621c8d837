"""The host's side of ``protattn worker``: a client that starts it, and models it runs.

A :class:`WorkerClient` starts the worker (:mod:`protattn.compute.server`) in another
Python on first use, sends it one request at a time and reads the reply. The
worker runs the very core the host imported (it is loaded from the host's
``protattn`` folder), so the two always speak the same protocol; the other Python
only needs torch, transformers and the models.

- A request the worker answers with an error raises the matching
  :mod:`protattn.errors` exception here; the worker keeps running.
- If the worker dies (a crash, out of memory, killed), the request is sent again
  to a new worker, once. If that fails too, :class:`~protattn.errors.WorkerError`
  says what happened, with the worker's last messages. The next request starts a
  worker afresh.
- The worker stops with the host: its standard input closes when the host exits,
  and :func:`stop_all` (registered with :mod:`atexit`) asks it to shut down.

The models a worker runs are :class:`protattn.compute.remote.RemoteModel`.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import queue
import subprocess
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from .. import errors
from ..errors import ProtattnError, WorkerError
from .protocol import PROTOCOL

__all__ = ["WorkerClient", "stop_all"]

__all__ = ["WorkerClient", "stop_all"]

#: Seconds a new worker has to say it is ready (it imports numpy and the core, not torch).
START_TIMEOUT = 120.0
_STDERR_LINES = 40

# The worker runs the core the host imported, loaded from its folder, so that no other
# package of the host's environment (its numpy, say) shadows the worker's own.
# Standard output is set aside for the protocol before anything is imported, so that nothing
# printed on the way (a sitecustomize, a .pth file, a library) can be taken for a reply.
_BOOTSTRAP = """\
import os, sys
protocol_fd = os.dup(1)
os.dup2(2, 1)
import importlib.util
core = sys.argv[1]
spec = importlib.util.spec_from_file_location(
    "protattn", os.path.join(core, "__init__.py"), submodule_search_locations=[core])
module = importlib.util.module_from_spec(spec)
sys.modules["protattn"] = module
spec.loader.exec_module(module)
from protattn.compute.server import main
sys.exit(main(protocol_fd))
"""
#: Seconds to wait for the replies of quick operations (no model is loaded or run for them).
QUICK_TIMEOUT = 60.0
_QUICK = {"hello": QUICK_TIMEOUT, "models": QUICK_TIMEOUT}


class _Died(Exception):
    """The worker process ended (or never started) while a request was out."""


class _Stopped(Exception):
    """The client was stopped (:meth:`WorkerClient.stop`) while a request was out."""


_CLIENTS: weakref.WeakSet[WorkerClient] = weakref.WeakSet()


class WorkerClient:
    """One worker process in another Python, started on the first request.

    Parameters
    ----------
    python : str
        The worker's Python: a path, or a command on ``PATH``.
    notify : callable, optional
        Told (one line) when a worker starts or restarts, for the host's log.
    env : dict, optional
        Extra environment variables for the worker.

    Attributes
    ----------
    restarts : int
        Workers started again after one died while a request was out.
    """

    def __init__(
        self,
        python: str,
        notify: Callable[[str], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.python = python
        self.notify = notify or (lambda message: None)
        self.env = dict(env or {})
        self.restarts = 0
        self.info: dict[str, Any] = {}
        self._process: subprocess.Popen | None = None
        self._stderr_reader: threading.Thread | None = None
        self._replies: queue.Queue = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._lock = threading.RLock()
        self._next_id = 0
        self._stopping = False
        self.closed = False
        _CLIENTS.add(self)

    def __repr__(self) -> str:
        return f"WorkerClient({self.python!r}, pid={self.pid})"

    @property
    def pid(self) -> int | None:
        """The running worker's process id, or None."""
        p = self._process
        return p.pid if p is not None and p.poll() is None else None

    def messages(self) -> list[str]:
        """The worker's last lines on standard error (what it ran, warnings, tracebacks)."""
        return list(self._stderr)

    def describe(self) -> str:
        """Which worker this is, for a log: Python, process id, torch."""
        where = f"a worker in {self.python}"
        if self.pid is not None:
            where += f" (pid {self.pid}, torch {self.info.get('torch') or 'not found'})"
        return where

    # ------------------------------------------------------------ process

    def _start(self) -> None:
        core = os.path.dirname(os.path.abspath(__file__))
        # the host's own search paths (PyMOL's, ChimeraX's) must not reach the other Python;
        # what the caller passes in `env` is kept
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        options: dict[str, Any] = {}
        if os.name == "nt":  # no console window; a Ctrl-C at the host's console is the host's
            # getattr: the constants exist on Windows only (and the stubs know it)
            options["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0) | getattr(
                subprocess, "CREATE_NEW_PROCESS_GROUP", 0
            )
        else:
            options["start_new_session"] = True
        try:
            process = subprocess.Popen(
                [self.python, "-c", _BOOTSTRAP, core],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                **options,
            )
        except OSError as e:
            raise WorkerError(
                f"could not start the protattn worker with {self.python!r}: {e}; set "
                "PROTATTN_PYTHON (or the host's worker setting) to a Python that has torch "
                "and transformers"
            ) from None
        self._process = process
        self._replies = queue.Queue()
        self._stderr = collections.deque(maxlen=_STDERR_LINES)  # this process's lines only
        threading.Thread(
            target=self._read_replies,
            args=(process, self._replies, self._stderr),
            daemon=True,
            name="protattn-worker-out",
        ).start()
        self._stderr_reader = threading.Thread(
            target=self._read_stderr,
            args=(process, self._stderr),
            daemon=True,
            name="protattn-worker-err",
        )
        self._stderr_reader.start()
        ready = self._receive(None, START_TIMEOUT)
        if ready.get("event") != "ready":
            raise _Died(f"the worker's first line was {json.dumps(ready)[:200]}, not 'ready'")
        if ready.get("protocol") != PROTOCOL:
            self._kill()
            raise WorkerError(
                f"the worker in {self.python} speaks protocol "
                f"{ready.get('protocol')}, this host {PROTOCOL}"
            )
        self.info = ready

    @staticmethod
    def _read_replies(
        process: subprocess.Popen, replies: queue.Queue, log: collections.deque[str]
    ) -> None:
        assert process.stdout is not None  # started with stdout=PIPE
        for line in process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                message = None
            if isinstance(message, dict):
                replies.put(message)
            else:  # not the protocol's: keep it with the worker's messages
                log.append(line.decode("utf-8", "replace").rstrip())
        replies.put(None)  # end of output: the worker is gone

    @staticmethod
    def _read_stderr(process: subprocess.Popen, log: collections.deque[str]) -> None:
        assert process.stderr is not None  # started with stderr=PIPE
        for line in process.stderr:
            log.append(line.decode("utf-8", "replace").rstrip())

    def _receive(self, request_id: int | None, timeout: float | None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                message = self._replies.get(timeout=wait)
            except queue.Empty:
                self._kill()
                raise _Died(f"no answer within {timeout:g} s") from None
            if message is None:
                if self._stopping:
                    raise _Stopped()
                raise _Died(self._exit_status())
            if request_id is None or message.get("id") == request_id:
                return message
            if message.get("id") is None and message.get("ok") is False:
                return message  # the worker could not read our request

    def _exit_status(self) -> str:
        process = self._process
        if process is None:
            return "not started"
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "its output closed"
        if self._stderr_reader is not None:  # its last words, for the error message
            self._stderr_reader.join(timeout=2)
        return f"killed by signal {-code}" if code < 0 else f"exited with status {code}"

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker: ask it to exit when idle, kill it when busy or hung.

        A request in flight (from another thread) then fails with
        :class:`~protattn.errors.WorkerError`, without a restart. The client can
        be used again: the next request starts a new worker.
        """
        if not self._lock.acquire(timeout=0.1):  # a request is out: end it now
            self._stopping = True
            process = self._process
            if process is not None and process.poll() is None:
                process.kill()
            with self._lock:  # the request has seen the end of the output
                self._stopping = False
                self._process = None
            return
        try:
            process, self._process = self._process, None
            if process is None:
                return
            try:
                if process.poll() is None:
                    assert process.stdin is not None  # started with stdin=PIPE
                    process.stdin.write(b'{"id":null,"op":"shutdown"}\n')
                    process.stdin.flush()
                    process.stdin.close()
                    process.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop the worker for good: later requests raise instead of starting a new one."""
        self.closed = True
        self.stop()

    # ------------------------------------------------------------ requests

    def _send(self, op: str, params: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        if self._process is None or self._process.poll() is not None:
            self._start()
        self._next_id += 1
        line = json.dumps(
            {"protocol": PROTOCOL, "id": self._next_id, "op": op, "params": params},
            separators=(",", ":"),
        )
        process = self._process
        assert process is not None and process.stdin is not None  # started, with stdin=PIPE
        try:
            process.stdin.write(line.encode("utf-8") + b"\n")
            process.stdin.flush()
        except OSError:
            raise _Died(self._exit_status()) from None
        return self._receive(self._next_id, timeout)

    def _send_with_restart(
        self, op: str, params: dict[str, Any], timeout: float | None
    ) -> dict[str, Any]:
        try:
            return self._send(op, params, timeout)
        except _Died as first:
            if self._stopping:
                raise _Stopped() from None
            self._kill()
            self.restarts += 1
            self.notify(f"protattn: the worker stopped during '{op}' ({first}); starting it again")
            try:
                return self._send(op, params, timeout)
            except _Died as second:
                if self._stopping:
                    raise _Stopped() from None
                log = "\n".join(self._stderr) or "(nothing)"
                self._kill()
                raise WorkerError(
                    f"the protattn worker ({self.python}) stopped twice during '{op}': "
                    f"{first}, then {second}. Its last messages:\n{log}\nCheck that "
                    f'`{self.python} -c "import torch, transformers"` runs and that the '
                    "machine has memory for the model, or compute in this Python (install "
                    "torch here); the next command starts a new worker"
                ) from None

    def request(
        self, op: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send one request and return its ``result``.

        Parameters
        ----------
        op : str
            A worker operation (see :mod:`protattn.compute.server`).
        params : dict, optional
            The operation's parameters.
        timeout : float, optional
            Seconds to wait for the reply; a worker that does not answer in time is
            killed and counts as died. Default: :data:`QUICK_TIMEOUT` for ``hello``
            and ``models``, else as long as the model takes.

        Returns
        -------
        dict
            The reply's ``result``.

        Raises
        ------
        ProtattnError
            The worker's error reply, as the :mod:`protattn.errors` class it names.
        WorkerError
            If the worker died twice (or could not start twice) for this request, or
            was stopped (:meth:`stop`) while it ran.
        """
        params = params or {}
        timeout = _QUICK.get(op) if timeout is None else timeout
        if self.closed:
            raise WorkerError(
                "this protattn worker was closed (the worker setting changed); "
                "run the command again"
            )
        with self._lock:
            try:
                reply = self._send_with_restart(op, params, timeout)
            except _Stopped:
                raise WorkerError(
                    f"the protattn worker was stopped during '{op}'; run the "
                    "command again to start a new one"
                ) from None
        if not reply.get("ok"):
            raise _error(reply.get("error") or {})
        return reply.get("result") or {}


def _error(error: dict[str, Any]) -> ProtattnError:
    kind, message = str(error.get("type")), str(error.get("message"))
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, ProtattnError):
        return cls(message)
    return WorkerError(f"the worker failed: {kind}: {message}")


def stop_all() -> None:
    """Stop every worker this process started (run at exit)."""
    for client in list(_CLIENTS):
        client.stop(timeout=2.0)


atexit.register(stop_all)
