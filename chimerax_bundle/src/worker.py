"""``attention worker``: show or set where language models run (this Python or a worker)."""

from __future__ import annotations

from chimerax.core.commands import BoolArg, CmdDesc, EnumOf, StringArg, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.worker import set_worker
from protattn.compute.backend import MODES

from .drawing import core
from .settings import WorkerSettings, use_settings

__all__ = ["attention_worker", "register_command"]


def attention_worker(
    session: Session, python: str | None = None, *, mode: str | None = None, stop: bool = False
) -> str:
    """Show or set where protattn runs language models: ChimeraX's Python or a worker.

    Usage: attention worker [python-path] [mode auto|process|worker] [stop true|false]

    ChimeraX's own Python needs only numpy: when torch does not import there
    (mode ``auto``), models run in a worker process started in another Python
    that has torch, transformers and the models (``python-path``, a path or a
    command on PATH, e.g. a virtual environment made for protattn; ``none`` clears
    it). The worker starts on the first command that needs a model and stops with
    ChimeraX; both share one attention cache. The setting is saved in ChimeraX's
    settings; the environment variables PROTATTN_PYTHON and PROTATTN_COMPUTE, when
    set, take precedence at start-up. ``stop true`` stops a running worker.

    Parameters
    ----------
    python : str, optional
        The worker's Python; ``none`` clears the setting.
    mode : {"auto", "process", "worker"}, optional
    stop : bool
        Stop the running worker.

    Returns
    -------
    str
        Where models run, as logged.
    """
    use_settings(session)
    change = core(set_worker, python, mode, stop)
    settings = WorkerSettings.get(session)
    if "python" in change.saved:
        settings.worker_python = change.saved["python"]
    if "mode" in change.saved:
        settings.compute = change.saved["mode"]
    session.logger.info(f"protattn: models run {change.where}")
    return change.where


def register_command(logger: Logger) -> None:
    """Register ``attention worker`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        optional=[("python", StringArg)],
        keyword=[("mode", EnumOf(MODES)), ("stop", BoolArg)],
        synopsis="show or set where language models run (this Python or a worker)",
    )
    register("attention worker", desc, attention_worker, logger=logger)
