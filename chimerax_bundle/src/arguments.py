"""Argument annotations the ``attention`` commands share (their CmdDesc pieces)."""

from __future__ import annotations

from chimerax.core.commands import BoolArg, EnumOf, PositiveIntArg, StringArg

import protattn

__all__ = ["LAYER_HEAD", "MODEL", "DEFINITION", "RUN"]

#: ``layerHead L-H``: 1-based layer and head, or ``L-mean`` / ``L-max``.
LAYER_HEAD = ("layer_head", StringArg)
#: ``model name``: short name, Hugging Face id or model directory.
MODEL = ("model", StringArg)
#: ``definition paper|judged``: how per-head statistics are counted.
DEFINITION = ("definition", EnumOf(protattn.lm.counts.DEFINITIONS))
#: ``window n``, ``stride n``, ``concatenate true|false``: how chains are run.
RUN = [("window", PositiveIntArg), ("stride", PositiveIntArg), ("concatenate", BoolArg)]
