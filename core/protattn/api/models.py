"""The ``models`` request: the models protattn knows, which load offline, where they run.

PyMOL's ``attention_models`` and ChimeraX's ``attention models`` show this table,
each in its own form (text lines, an HTML table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..compute import backend
from ..lm.registry import MODELS

__all__ = [
    "ModelRow",
    "ModelsTable",
    "models_table",
]


@dataclass(frozen=True)
class ModelRow:
    """One known model.

    Attributes
    ----------
    name, parameters, family, source, note : str
        As in :data:`protattn.lm.registry.MODELS`.
    status : {"package", "cache", "missing"}
        Where its weights are, where models run (:func:`protattn.lm.registry.model_status`).
    """

    name: str
    parameters: str
    family: str
    source: str
    note: str
    status: str

    @property
    def offline(self) -> bool:
        """Whether it loads without a network."""
        return self.status != "missing"


@dataclass(frozen=True)
class ModelsTable:
    """The known models and where models run.

    Attributes
    ----------
    rows : tuple of ModelRow
    status : dict of str to str
        Short name to status, as :func:`protattn.compute.backend.model_statuses` gave it.
    where : str
        Where models run, in words (:func:`protattn.compute.backend.describe`).
    """

    rows: tuple[ModelRow, ...]
    status: Mapping[str, str]
    where: str

    @property
    def n_offline(self) -> int:
        """How many known models load without a network."""
        return sum(row.offline for row in self.rows)

    def lines(self) -> list[str]:
        """The table as text: name, size, family, ``offline`` / ``not here``, source."""
        return [
            f"{r.name:<16} {r.parameters:<16} {r.family:<10} "
            f"{'offline' if r.offline else 'not here':<9} {r.source}"
            for r in self.rows
        ]


def models_table(status: Mapping[str, str] | None = None) -> ModelsTable:
    """The models protattn knows by short name, each with whether it loads offline.

    Parameters
    ----------
    status : mapping of str to str, optional
        Short name to ``"package"``, ``"cache"`` or ``"missing"``; default: asked
        where models run (this Python or the worker, which may start).

    Returns
    -------
    ModelsTable

    Raises
    ------
    ProtattnError
        When the worker that should answer cannot start.
    """
    status = dict(backend.model_statuses() if status is None else status)
    rows = tuple(
        ModelRow(
            name, spec.parameters, spec.family, spec.source, spec.note, status.get(name, "missing")
        )
        for name, spec in MODELS.items()
    )
    return ModelsTable(rows, status, backend.describe())
