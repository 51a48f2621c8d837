"""Where language models run: in this process when torch imports here, else in a worker.

Every front end gets its models from :func:`get_model`. The choice is made once
per setting:

``mode``
    ``"auto"`` (default): in this process when torch and transformers import,
    else in a worker; ``"process"``: always here; ``"worker"``: always in a worker.
    Set by :func:`configure` (the hosts' worker setting) or ``PROTATTN_COMPUTE``.
``python``
    The worker's Python, one with torch, transformers and the models: set by
    :func:`configure` or ``PROTATTN_PYTHON``.

A worker (:mod:`protattn.compute.client`) starts on the first model a command needs,
not when a host starts, and stops with the host. Both sides use the one
attention cache (:func:`protattn.lm.cache.default_cache_dir`), so attention computed
by a worker, by the command line or in PyMOL or ChimeraX is never computed twice.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..errors import ModelError, WorkerError
from ..lm.contract import Model
from ..lm.loading import load_model
from ..lm.registry import MODELS, model_status
from .client import WorkerClient
from .remote import RemoteModel

__all__ = [
    "MODES",
    "configure",
    "resolve_python",
    "worker_python",
    "compute_mode",
    "torch_here",
    "uses_worker",
    "describe",
    "get_model",
    "model_statuses",
    "current_worker",
    "stop_worker",
]

MODES = ("auto", "process", "worker")
_KEEP: Any = object()
_LOCK = threading.RLock()


class _Settings:
    python: str | None = None
    mode: str | None = None
    notify: Callable[[str], None] | None = None
    client: WorkerClient | None = None
    models: dict[tuple[str, str | None, str | None], RemoteModel] = {}
    torch: tuple[bool, str] | None = None
    announced: str | None = None


_S = _Settings()


def configure(
    python: str | None = _KEEP,
    mode: str | None = _KEEP,
    notify: Callable[[str], None] | None = _KEEP,
) -> None:
    """Set where models run (arguments left out keep their setting).

    Parameters
    ----------
    python : str or None
        The worker's Python (path or command); None: ``PROTATTN_PYTHON``.
    mode : {"auto", "process", "worker"} or None
        None: ``PROTATTN_COMPUTE``, else ``"auto"``.
    notify : callable or None
        Told, in one line, where models run when that is first decided and when a
        worker starts again (a host's log).

    Raises
    ------
    ModelError
        If ``mode`` is not one of :data:`MODES`.
    """
    if mode is not _KEEP and mode is not None and mode not in MODES:
        raise ModelError(f"compute mode must be one of {', '.join(MODES)}, not {mode!r}")
    with _LOCK:
        if notify is not _KEEP:
            _S.notify = notify
            if _S.client is not None:
                _S.client.notify = _notify
        if python is not _KEEP:
            python = os.path.expanduser(python) if python else None
            if python != _S.python:
                stop_worker()
            _S.python = python
        if mode is not _KEEP:
            _S.mode = mode
        _S.announced = None


def _notify(message: str) -> None:
    if _S.notify is not None:
        _S.notify(message)


def resolve_python(text: str) -> str:
    """The absolute path of a Python given as a path (``~`` allowed) or a command on PATH.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Raises
    ------
    ModelError
        If it names no executable file.
    """
    path = os.path.expanduser(text.strip())
    if path and os.sep not in path and not os.path.isfile(path):
        path = shutil.which(path) or path
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise ModelError(
            f"{text.strip()!r} is not an executable file; give the path of a Python "
            "with torch and transformers, e.g. ~/protattn-env/bin/python"
        )
    return os.path.abspath(path)


def worker_python() -> str | None:
    """The worker's Python as set (:func:`configure`, else ``PROTATTN_PYTHON``), or None."""
    return _S.python or os.environ.get("PROTATTN_PYTHON", "").strip() or None


def compute_mode() -> str:
    """The mode in force: :func:`configure`'s, else ``PROTATTN_COMPUTE``, else ``"auto"``."""
    mode = _S.mode or os.environ.get("PROTATTN_COMPUTE", "").strip().lower() or "auto"
    if mode not in MODES:
        raise ModelError(f"PROTATTN_COMPUTE must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def torch_here(probe: bool = True) -> tuple[bool, str]:
    """Whether torch and transformers import in this Python: (yes, version or reason).

    Imports them the first time (as loading a model would) and keeps the answer;
    with ``probe=False`` only looks whether they are installed, importing nothing
    (what listings use, so that they stay fast and torch-free).
    """
    with _LOCK:
        if _S.torch is None:
            missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
            if missing:
                _S.torch = (False, f"{' and '.join(missing)} not installed in {sys.executable}")
            elif not probe:
                return True, "torch installed, not imported yet"
            else:
                try:
                    import torch
                    import transformers  # noqa: F401

                    _S.torch = (True, f"torch {torch.__version__}")
                except Exception as e:  # a broken install fails in many ways
                    _S.torch = (
                        False,
                        f"torch does not import in {sys.executable} ({type(e).__name__}: {e})",
                    )
        return _S.torch


def uses_worker(probe: bool = True) -> bool:
    """Whether :func:`get_model` runs models in a worker.

    Parameters
    ----------
    probe : bool
        Import torch to decide (see :func:`torch_here`); False: assume an
        installed torch imports.

    Raises
    ------
    ModelError
        If models would run in a worker but no worker Python is set, or in this
        process (mode ``process``) but torch does not import here.
    """
    mode = compute_mode()
    if mode == "process" and not torch_here(probe)[0]:
        raise ModelError(
            f"compute mode is 'process', but {torch_here(probe)[1]}: install torch "
            "and transformers into this Python, or let a worker run models "
            "(mode auto or worker, with PROTATTN_PYTHON set)"
        )
    worker = mode == "worker" or mode == "auto" and not torch_here(probe)[0]
    if worker and worker_python() is None:
        why = "compute mode is 'worker'" if mode == "worker" else torch_here(probe)[1]
        raise ModelError(
            f"no language model can run here: {why}. Either point protattn at a Python that "
            "has torch and transformers (PROTATTN_PYTHON=/path/to/python, or the host's "
            "setting: `attention_worker python=/path/to/python` in PyMOL, `attention worker "
            "python /path/to/python` in ChimeraX), or install torch into this Python "
            f"({sys.executable} -m pip install torch transformers); see README, 'Hosts "
            "without torch'"
        )
    return worker


def _client() -> WorkerClient:
    python = worker_python()
    assert python is not None  # every caller asked uses_worker(), which refuses without one
    if _S.client is None or _S.client.python != python:
        stop_worker()
        _S.client = WorkerClient(python, notify=_notify)
    return _S.client


def describe() -> str:
    """Where models run now, in words (for a host's log and ``attention models``).

    Imports no torch: before the first model, an installed torch is taken to import.
    """
    try:
        if not uses_worker(probe=False):
            return f"in this process ({sys.executable}, {torch_here(probe=False)[1]})"
    except ModelError as e:
        return f"nowhere yet: {e}"
    with _LOCK:
        client = _client()
        started = "" if client.pid is not None else " (starts on first use)"
        return client.describe() + started


def get_model(
    name: str = "antiberty", device: str | None = None, dtype: str | None = None
) -> Model:
    """A model to run: loaded here, or in the worker (see the module's description).

    Parameters
    ----------
    name : str
        Short name, Hugging Face id or directory (see :func:`protattn.load_model`).
    device : str, optional
    dtype : {"float32", "float16", "bfloat16"}, optional
        The weights' precision; half precision on a GPU only (default float32).

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        If the model cannot be loaded, or no Python here or set can run it.
    WorkerError
        If the worker cannot be started or died twice.
    """
    key = (name.strip(), device, dtype)
    with _LOCK:
        worker = uses_worker()
        client = _client() if worker else None
        remote = _S.models.get(key) if worker else None
    model: Model
    if client is not None:  # worker
        if remote is None:  # loading may take a while: not under the lock
            info = client.request("model", {"model": key[0], "device": device, "dtype": dtype})
            remote = RemoteModel(client, key[0], device, info, dtype)
            with _LOCK:
                if _S.client is client:
                    remote = _S.models.setdefault(key, remote)
        model = remote
    else:
        model = load_model(name, device=device, dtype=dtype)
    with _LOCK:
        where = describe()
        if where != _S.announced:
            _S.announced = where
            _notify(f"protattn: language models run {where}")
    return model


def model_statuses() -> dict[str, str]:
    """Where each known model loads from (``package``, ``cache``, ``missing``), where it runs.

    In the worker's Python when models run there (which starts the worker, without
    loading a model), else here, also when the worker cannot be started (its
    error comes with the first model run); neither imports torch.
    """
    try:
        if uses_worker(probe=False):
            with _LOCK:
                client = _client()
            return dict(client.request("models")["models"])
    except (ModelError, WorkerError):
        pass
    return {name: model_status(name) for name in MODELS}


def current_worker() -> WorkerClient | None:
    """The worker client models run in now (its process may not be started), or None."""
    return _S.client


def stop_worker() -> None:
    """Stop the worker, if one runs (the next model starts a new one).

    Models it ran (:class:`~protattn.compute.remote.RemoteModel`) refuse further requests
    instead of starting it again; :func:`get_model` gives new ones.
    """
    with _LOCK:
        client, _S.client = _S.client, None
        _S.models = {}
    if client is not None:
        client.close()  # not under the lock: a request in flight is ended, not waited for
