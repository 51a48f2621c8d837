"""Domain errors of protattn.

Every error says what was wrong and how to fix it. Hosts translate
:class:`ProtattnError` into their own error type (PyMOL's ``CmdException``,
ChimeraX's ``UserError``); the command line prints the message and exits with
status 2.
"""

from __future__ import annotations

__all__ = [
    "ProtattnError",
    "StructureError",
    "ChainError",
    "LayerHeadError",
    "ModelError",
    "SequenceTooLongError",
    "WorkerError",
    "BadRequest",
]


class ProtattnError(Exception):
    """Base class of every error protattn raises on purpose."""


class StructureError(ProtattnError):
    """A structure could not be read, or holds no protein chain."""


class ChainError(ProtattnError):
    """A chain was asked for that the structure does not have."""


class LayerHeadError(ProtattnError):
    """A layer-head specification is malformed or outside the model."""


class ModelError(ProtattnError):
    """A language model could not be loaded or run."""


class SequenceTooLongError(ModelError):
    """A chain is longer than the model accepts in one pass."""


class WorkerError(ProtattnError):
    """The compute worker (:mod:`protattn.compute.server`) could not be started or kept running."""


class BadRequest(WorkerError):
    """A request the worker cannot read: not JSON, an unknown operation, a missing parameter."""
