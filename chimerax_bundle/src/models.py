"""``attention models``: the language models protattn knows, and which load offline."""

from __future__ import annotations

from chimerax.core.commands import CmdDesc, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.models import models_table
from protattn.words import plural

from .drawing import core
from .settings import use_settings
from .tables import html_lines, html_table

__all__ = ["attention_models", "register_command"]


def attention_models(session: Session) -> dict[str, str]:
    """List the language models protattn knows by short name, and which load offline here.

    Usage: attention models

    Logs a table of each model's short name, parameters, family, whether it is
    available offline (its weights in a pip package or the Hugging Face cache)
    where models run (ChimeraX's Python, or the worker's: see ``attention
    worker``) and its source. Any other Hugging Face id or model directory also works as
    ``model`` in the other commands.

    Returns
    -------
    dict
        Short name to ``"package"``, ``"cache"`` or ``"missing"``
        (:func:`protattn.lm.registry.model_status`).
    """
    use_settings(session)
    table = core(models_table)
    rows = [
        (
            row.name,
            row.parameters,
            row.family,
            {"package": "yes (package)", "cache": "yes (cache)"}.get(row.status, "no"),
            row.source + (f" ({row.note})" if row.note else ""),
        )
        for row in table.rows
    ]
    session.logger.info(
        html_table(("model", "parameters", "family", "offline", "source"), rows)
        + html_lines(
            [
                f"{plural(len(table.status), 'known model')}, {table.n_offline} available "
                "offline; any other Hugging Face id or model directory also works (model "
                f"NAME). Models run {table.where}."
            ]
        ),
        is_html=True,
    )
    return dict(table.status)


def register_command(logger: Logger) -> None:
    """Register ``attention models`` (the bundle API calls it on first use)."""
    desc = CmdDesc(synopsis="list the language models protattn knows and which load offline")
    register("attention models", desc, attention_models, logger=logger)
