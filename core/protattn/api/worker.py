"""Where models run, as a host sets it: a saved setting, the environment, ``worker`` commands.

Both hosts keep the worker setting in their own preferences (PyMOL's plugin
preferences, ChimeraX's settings) and call these functions, so the rule "the
environment variables win over the saved value" holds everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..compute import backend

__all__ = [
    "ENV_PYTHON",
    "ENV_MODE",
    "worker_setting",
    "configure_saved",
    "WorkerChange",
    "set_worker",
]

#: Environment variables that, when set, win over a host's saved setting.
ENV_PYTHON, ENV_MODE = "PROTATTN_PYTHON", "PROTATTN_COMPUTE"


def worker_setting(
    python: str | None, mode: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """The saved setting, less what the environment sets: arguments of ``backend.configure``.

    Parameters
    ----------
    python, mode : str or None
        The host's saved worker Python and compute mode (empty: not set).
    environ : mapping, optional
        Default ``os.environ``.

    Returns
    -------
    dict
        ``python`` and ``mode``: the saved value, or None where it is not set or
        where ``PROTATTN_PYTHON`` / ``PROTATTN_COMPUTE`` is set (None lets the
        backend read the environment).

    Examples
    --------
    >>> worker_setting("/venv/bin/python", "", {"PROTATTN_COMPUTE": "worker"})
    {'python': '/venv/bin/python', 'mode': None}
    >>> worker_setting("/venv/bin/python", "worker", {"PROTATTN_PYTHON": "python3"})
    {'python': None, 'mode': 'worker'}
    """
    env = os.environ if environ is None else environ
    return {
        "python": None if env.get(ENV_PYTHON) else python or None,
        "mode": None if env.get(ENV_MODE) else mode or None,
    }


def configure_saved(
    python: str | None, mode: str | None, notify: Callable[[str], None] | None = None
) -> None:
    """Configure where models run from a host's saved setting (:func:`worker_setting`).

    Parameters
    ----------
    python, mode : str or None
        The saved setting.
    notify : callable, optional
        The host's log, told where models run when that is decided.
    """
    backend.configure(**worker_setting(python, mode), notify=notify)


@dataclass(frozen=True)
class WorkerChange:
    """What ``worker`` changed.

    Attributes
    ----------
    saved : dict of str to str
        ``python`` (a resolved path, or ``""``: cleared) and / or ``mode``, as the
        host should save them; empty when nothing was set.
    where : str
        Where models run now, in words.
    """

    saved: dict[str, str] = field(default_factory=dict)
    where: str = ""


def set_worker(
    python: str | None = None, mode: str | None = None, stop: bool = False
) -> WorkerChange:
    """Set the worker's Python and / or the compute mode, or stop the worker.

    Parameters
    ----------
    python : str, optional
        A path or a command on PATH; ``none`` clears it; empty: unchanged.
    mode : {"auto", "process", "worker"}, optional
        Empty: unchanged (case is ignored).
    stop : bool
        Stop a running worker (the next model run starts one).

    Returns
    -------
    WorkerChange

    Raises
    ------
    ProtattnError
        For a Python that cannot be found or an unknown mode; nothing is saved then.
    """
    saved: dict[str, str] = {}
    path = (python or "").strip()
    if path:
        path = "" if path.lower() == "none" else backend.resolve_python(path)
        backend.configure(python=path or None)
        saved["python"] = path
    chosen = (mode or "").strip().lower()
    if chosen:
        backend.configure(mode=chosen)
        saved["mode"] = chosen
    if stop:
        backend.stop_worker()
    return WorkerChange(saved, backend.describe())
