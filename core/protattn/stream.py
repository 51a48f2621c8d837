"""Attention as a stream: each layer handed over while the forward pass runs, then dropped.

:func:`stream_attention` runs a model once on one chain (or chains run as one
input) and gives each layer's attention over the residues to a consumer as the
pass computes it; the pass keeps none of it, so at most one layer's attention
over tokens exists at a time, beside what the consumer keeps (for per-head
statistics: counts).

>>> counter = accumulator.chain(len(sequence), masks)     # doctest: +SKIP
>>> stream_attention(lm, [sequence], counter.add_layer)   # doctest: +SKIP
>>> counter.close()                                       # doctest: +SKIP

The layers are exactly those of :meth:`protattn.models.LanguageModel.attention`
(the same eager kernels, read by forward hooks instead of collected by
``output_attentions``): ``shape=(heads, N, N), dtype=float32``, special tokens
stripped, rows not renormalised, in float32 as the model computed them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import ModelError
from .models import LanguageModel

__all__ = ["stream_attention"]


def stream_attention(lm: LanguageModel, segments: Sequence[str],
                     consumer: Callable[[int, np.ndarray], None]) -> int:
    """Run ``lm`` once and give each layer's attention over the residues to ``consumer``.

    Parameters
    ----------
    lm : LanguageModel
        A model loaded in this process.
    segments : sequence of str
        One chain's sequence, or several run concatenated (as
        :meth:`~protattn.models.LanguageModel.segment_attention` joins them).
    consumer : callable
        Called as ``consumer(layer_index, attention)`` for each layer in order,
        ``layer_index`` 0-based, ``attention`` of ``shape=(heads, N, N),
        dtype=float32``, ``N`` the residues of all segments: for one chain a view of
        the layer's weights (no copy; rows are strided), which the consumer may keep
        but must not write to.

    Returns
    -------
    int
        ``N``.

    Raises
    ------
    SequenceTooLongError
        If the segments do not fit one pass (use windows through
        :func:`protattn.inference.chain_attention`).
    ModelError
        If the model gave attention for another number of layers than it has.
    """
    import torch

    ids, positions = lm.tokenize(list(segments))
    lm.check_length(len(ids) - lm._n_added)
    residues = np.concatenate(positions)
    # each segment's residues are consecutive tokens: slices, not gathers (a gather along
    # the last axis costs several times the layer itself)
    runs = [(int(p[0]), int(p[-1]) + 1) for p in positions if len(p)]
    rows = torch.as_tensor(residues, device=lm.device)
    seen = [0]

    def on_attention(tokens: Any) -> None:
        index = seen[0]
        seen[0] += 1
        if index >= lm.n_layers:
            return
        heads = tokens[0]
        if len(runs) == 1:
            start, end = runs[0]
            layer = heads[:, start:end, start:end]
        else:
            layer = torch.cat([heads[:, :, a:b] for a, b in runs], dim=-1).index_select(-2, rows)
        layer = layer.float()
        consumer(index, (layer if layer.device.type == "cpu" else layer.cpu()).numpy())

    lm.forward(ids, output_attentions=False, on_attention=on_attention)
    if seen[0] != lm.n_layers:
        raise ModelError(f"{lm.name} gave attention for {seen[0]} layers, but has "
                         f"{lm.n_layers}; it cannot be streamed")
    return int(residues.size)
