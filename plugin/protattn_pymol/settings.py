"""PyMOL commands of where models run: attention_models, attention_worker, and the saved setting.

The worker setting is saved in PyMOL's plugin preferences; the environment
(``PROTATTN_PYTHON``, ``PROTATTN_COMPUTE``) comes before it
(:func:`protattn.api.worker.configure_saved`).
"""

from __future__ import annotations

from pymol import cmd

from protattn.api import worker as worker_requests
from protattn.api.models import models_table

from .arguments import core, number

__all__ = [
    "PREF_PYTHON",
    "PREF_MODE",
    "attention_models",
    "attention_worker",
    "configure_backend",
]

#: PyMOL plugin preferences (``~/.pymolpluginsrc.py``) holding the worker setting.
PREF_PYTHON, PREF_MODE = "protattn_python", "protattn_compute"


def attention_models(quiet: int = 1, *, _self=cmd) -> dict[str, str]:
    """
    DESCRIPTION

        List the protein language models protattn knows by short name, their
        size, and whether each can be loaded without a network (its weights in a
        pip package or the Hugging Face cache) where models run: in PyMOL's
        Python, or in the worker's (see attention_worker), which is then asked.
        Any Hugging Face id or model directory also works as model= in the other
        commands.

    USAGE

        attention_models

    EXAMPLE

        attention_models
        attention_pairs 1hpv, 6-3, model=esm2_t33_650M
    """
    table = core(models_table)
    for line in table.lines():
        print(f" {line}")
    print(f" models run {table.where}")
    return dict(table.status)


def _say(message: str) -> None:
    print(f" {message}")


def configure_backend() -> None:
    """Where models run, from the plugin preferences (PROTATTN_PYTHON / _COMPUTE win)."""
    try:
        from pymol.plugins import pref_get
    except ImportError:  # PyMOL without its plugin system
        pref_get = None  # noqa: N806
    worker_requests.configure_saved(
        pref_get(PREF_PYTHON) if pref_get else None,
        pref_get(PREF_MODE) if pref_get else None,
        notify=_say,
    )


def attention_worker(
    python: str = "", mode: str = "", stop: int = 0, quiet: int = 0, *, _self=cmd
) -> str:
    """
    DESCRIPTION

        Show or set where protattn runs language models. PyMOL's own Python
        needs only numpy: when torch does not import there (mode auto), models
        run in a worker process started in another Python that has torch,
        transformers and the models, e.g. a virtual environment made for
        protattn. The worker starts on the first command that needs a model and
        stops with PyMOL. Both share one attention cache. Settings are saved in
        PyMOL's plugin preferences; the environment variables PROTATTN_PYTHON
        and PROTATTN_COMPUTE, when set, take precedence at start-up.

    USAGE

        attention_worker [ python [, mode [, stop ]]]

    ARGUMENTS

        python = str: the worker's Python, a path or a command on PATH {default:
        unchanged; "none" clears it}

        mode = auto, process or worker: auto runs models in PyMOL's Python when
        torch imports there, else in the worker {default: unchanged}

        stop = 0/1: stop the running worker (the next model run starts one) {default: 0}

    EXAMPLE

        attention_worker /home/me/protattn-env/bin/python
        attention_worker mode=worker
        attention_worker stop=1

    SEE ALSO

        attention_models
    """
    change = core(
        worker_requests.set_worker, str(python), str(mode), bool(number(stop, "stop", int))
    )
    prefs = {"python": PREF_PYTHON, "mode": PREF_MODE}
    if change.saved:
        _save_preferences({prefs[key]: value for key, value in change.saved.items()})
    if not number(quiet, "quiet", int):
        print(f" attention_worker: models run {change.where}")
    return change.where


def _save_preferences(values: dict[str, str]) -> None:
    """Keep the worker setting in PyMOL's plugin preferences for the next sessions."""
    try:
        from pymol.plugins import pref_save, pref_set
    except ImportError:  # no plugin system: the setting lasts for this session
        return
    for key, value in values.items():
        pref_set(key, value)
    pref_save(quiet=1)
