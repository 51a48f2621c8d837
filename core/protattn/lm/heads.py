"""Layers and heads, written 1-based as the paper writes them (``"7-1"``, ``"6-mean"``).

>>> parse_layer_head("7-1", n_layers=8, n_heads=8)
HeadSpec(layer=7, head=1, aggregate=None)
>>> str(parse_layer_head("6:mean", 8, 8))
'6-mean'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import LayerHeadError

__all__ = [
    "HeadSpec",
    "parse_layer_head",
]

_AGGREGATES = ("mean", "max")
_LAYER_HEAD = re.compile(r"^\s*(\d+)\s*[-:.]\s*(\d+|mean|max)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class HeadSpec:
    """One attention head, or an aggregate over the heads of a layer (1-based).

    Examples
    --------
    >>> str(HeadSpec(7, 1)), str(HeadSpec(7, aggregate="mean"))
    ('7-1', '7-mean')
    """

    layer: int
    head: int | None = None
    aggregate: str | None = None

    def __str__(self) -> str:
        return f"{self.layer}-{self.head if self.head is not None else self.aggregate}"

    def select(self, attention: np.ndarray) -> np.ndarray:
        """The ``(L, L)`` map of this head from ``attention`` of ``shape=(layers, heads, L, L)``."""
        layer = attention[self.layer - 1]
        if self.head is not None:
            return layer[self.head - 1]
        return layer.mean(axis=0) if self.aggregate == "mean" else layer.max(axis=0)


def parse_layer_head(text: str | HeadSpec, n_layers: int, n_heads: int) -> HeadSpec:
    """Parse ``"7-1"``, ``"7-mean"`` or ``"7-max"`` and check it against the model.

    Parameters
    ----------
    text : str or HeadSpec
    n_layers, n_heads : int
        Size of the model.

    Returns
    -------
    HeadSpec

    Raises
    ------
    LayerHeadError
        With the valid range, if ``text`` is malformed or outside the model.

    Examples
    --------
    >>> parse_layer_head("8-3", 8, 8)
    HeadSpec(layer=8, head=3, aggregate=None)
    """
    if isinstance(text, HeadSpec):
        spec = text
    else:
        m = _LAYER_HEAD.match(str(text))
        if not m:
            raise LayerHeadError(
                f"layer-head {text!r} is not understood; write LAYER-HEAD with 1-based numbers, "
                f"e.g. 7-1, or LAYER-mean / LAYER-max (layers 1-{n_layers}, heads 1-{n_heads})"
            )
        which = m.group(2).lower()
        spec = (
            HeadSpec(int(m.group(1)), aggregate=which)
            if which in _AGGREGATES
            else HeadSpec(int(m.group(1)), int(which))
        )
    if not 1 <= spec.layer <= n_layers:
        raise LayerHeadError(
            f"layer {spec.layer} in {str(spec)!r} is outside the model, which has layers "
            f"1-{n_layers}; layers and heads are 1-based"
        )
    if spec.head is not None and not 1 <= spec.head <= n_heads:
        raise LayerHeadError(
            f"head {spec.head} in {str(spec)!r} is outside the model, which has heads "
            f"1-{n_heads} in each layer; layers and heads are 1-based"
        )
    return spec
