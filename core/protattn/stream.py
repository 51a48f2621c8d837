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
        dtype=float32`` (a fresh array the consumer may keep), ``N`` the residues
        of all segments.

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
    residues = torch.as_tensor(np.concatenate(positions), device=lm.device)
    seen = [0]

    def on_attention(tokens: Any) -> None:
        layer = tokens[0].index_select(-2, residues).index_select(-1, residues)
        index = seen[0]
        seen[0] += 1
        if index < lm.n_layers:
            consumer(index, layer.float().cpu().numpy())

    lm.forward(ids, output_attentions=False, on_attention=on_attention)
    if seen[0] != lm.n_layers:
        raise ModelError(f"{lm.name} gave attention for {seen[0]} layers, but has "
                         f"{lm.n_layers}; it cannot be streamed")
    return int(residues.numel())
