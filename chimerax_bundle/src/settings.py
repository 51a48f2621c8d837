"""The ``attention worker`` setting in ChimeraX's settings, applied once per session.

Every command that runs a model (and the panel) calls :func:`use_settings` first;
the rule "PROTATTN_PYTHON / PROTATTN_COMPUTE win over the saved value" is the
core's (:func:`protattn.api.worker.configure_saved`).
"""

from __future__ import annotations

import weakref

from chimerax.core.session import Session

from protattn.api.worker import configure_saved

__all__ = ["WorkerSettings", "use_settings"]


class WorkerSettings:
    """The ``attention worker`` setting, kept in ChimeraX's settings (made on first use)."""

    instance = None

    @classmethod
    def get(cls, session: Session):
        if cls.instance is None:
            from chimerax.core.settings import Settings

            class ProtAttnSettings(Settings):
                AUTO_SAVE = {"worker_python": "", "compute": ""}

            cls.instance = ProtAttnSettings(session, "ProtAttn")
        return cls.instance


_CONFIGURED: weakref.WeakSet[Session] = weakref.WeakSet()


def use_settings(session: Session) -> None:
    """Where models run, from the saved setting (PROTATTN_PYTHON / _COMPUTE win), once."""
    if session in _CONFIGURED:
        return
    settings = WorkerSettings.get(session)

    def log(message: str) -> None:  # the panel runs models in a thread
        if session.ui.is_gui:
            session.ui.thread_safe(session.logger.info, message)
        else:
            session.logger.info(message)

    configure_saved(settings.worker_python, settings.compute, notify=log)
    _CONFIGURED.add(session)
