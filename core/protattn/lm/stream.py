"""Attention as a stream: each layer handed over while the forward pass runs, then dropped.

:func:`run_stream` runs a model once on one chain, on chains run as one input, or
on a long chain's windows (one batch), and gives each layer's attention over the
residues to every consumer as the pass computes it; the pass keeps none of it, so
at most one layer's attention exists at a time (over the batch's tokens, and once
over the chain's residues), beside what the consumers keep: for per-head
statistics counts, for a cache entry the weights above a floor
(:mod:`protattn.lm.compact`), for a drawing one head's map. :func:`run_padded` runs
chains of different lengths as one padded batch and gives each chain its own layers
(what :mod:`protattn.lm.batch` counts with); :func:`count_consumer` builds what
counts one chain, for :func:`run_chain` and for that batch alike.

>>> counter = accumulator.chain(len(sequence), masks)          # doctest: +SKIP
>>> run_stream(lm, [sequence], [NumpyLayers(counter.add_layer)])  # doctest: +SKIP
>>> counter.close()                                            # doctest: +SKIP

A layer is ``torch.Tensor`` of ``shape=(heads, N, N), dtype=float32`` on the
model's device, ``N`` the residues: the same eager weights
:meth:`protattn.lm.model.LanguageModel.attention` collects with
``output_attentions`` (read by forward hooks instead), special tokens stripped,
rows not renormalised, upcast to float32 if the model runs in half precision.
For windows, each layer is the windows' weights merged as
:func:`protattn.lm.windows.merge_windows` merges them (the mean where windows
overlap, ``NaN`` for pairs no window holds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ModelError
from .compact import CompactBuilder
from .consumers import (
    ChosenContacts,
    Dense,
    HeadMaps,
    LayerConsumer,
    NumpyLayers,
    SparseCounts,
    TorchCounts,
)
from .contract import LocalModel, StreamRequest, StreamResult
from .counts import ChainCounter, CountSpec
from .masks import PropertyMask
from .windows import covered_pairs, plan_windows

__all__ = [
    "stream_windows",
    "run_stream",
    "run_padded",
    "stream_attention",
    "count_consumer",
    "run_chain",
]


def stream_windows(
    lm: LocalModel, sequences: Sequence[str], window: int | None, stride: int | None
) -> list[tuple[int, int]]:
    """The residue ranges a run of ``sequences`` passes through the model as one input each.

    Parameters
    ----------
    lm : LocalModel
    sequences : sequence of str
        One chain, or chains run as one input (never windowed).
    window, stride : int or None
        As resolved by :func:`protattn.lm.inference.chain_attention` (None: one pass).

    Returns
    -------
    list of (int, int)
        ``[(0, N)]`` for one pass, else :func:`protattn.lm.windows.plan_windows`.
    """
    total = sum(len(s) for s in sequences)
    if len(sequences) > 1:
        if window is not None:
            raise ModelError(
                "windows and concatenated chains cannot be combined; run long chains one by one"
            )
        return [(0, total)]
    if window is None or total <= window:
        return [(0, total)]
    return plan_windows(total, window, stride or max(1, window // 2))


def _residue_selector(positions: Sequence[np.ndarray], device: Any) -> Callable[[Any], Any]:
    """From one input's attention over tokens ``(heads, T, T)`` to its residues' ``(heads, N, N)``.

    The one place the engine drops special tokens (and a linker) from a layer: the rows and
    columns of the residues at ``positions`` (:meth:`LocalModel.tokenize`), in order. Each
    segment's residues are consecutive tokens, so one segment is a slice of the layer (a
    view); several are column slices joined, then their rows gathered (a gather along the
    last axis costs several times the layer itself). Tokens past the last residue, such as
    padding, are never read.
    """
    import torch

    runs = [(int(p[0]), int(p[-1]) + 1) for p in positions if len(p)]
    rows = torch.as_tensor(np.concatenate(positions), device=device)

    def select(heads: Any) -> Any:
        if len(runs) == 1:
            start, end = runs[0]
            return heads[:, start:end, start:end]
        return torch.cat([heads[:, :, a:b] for a, b in runs], dim=-1).index_select(-2, rows)

    return select


def run_stream(
    lm: LocalModel,
    sequences: Sequence[str],
    consumers: Sequence[LayerConsumer],
    window: int | None = None,
    stride: int | None = None,
) -> list[tuple[int, int]]:
    """Run ``lm`` once and give each layer's attention over the residues to every consumer.

    Parameters
    ----------
    lm : LocalModel
        A model loaded in this process.
    sequences : sequence of str
        One chain's sequence, or several run concatenated (joined as
        :meth:`~protattn.lm.model.LanguageModel.segment_attention` joins them).
    consumers : sequence of LayerConsumer
        Each gets ``add_layer(index, layer)`` for every layer in order (see the
        module documentation); a consumer may keep the layer but must not write to it.
    window, stride : int, optional
        Run one chain as overlapping windows of ``window`` residues every ``stride``
        (all windows as one batch, merged per layer); None: one pass, which must fit.

    Returns
    -------
    list of (int, int)
        The windows run (``[(0, N)]`` for one pass).

    Raises
    ------
    SequenceTooLongError
        If one pass does not fit the model.
    ModelError
        If the model gave attention for another number of layers than it has.
    """
    import torch

    windows = stream_windows(lm, sequences, window, stride)
    if len(windows) == 1:
        ids, positions = lm.tokenize(list(sequences))
        lm.check_length(len(ids) - lm.n_added)
        batch = [ids]
    else:
        (sequence,) = sequences
        tokenized = [lm.tokenize([sequence[s:e]]) for s, e in windows]
        batch = [ids for ids, _ in tokenized]
        positions = tokenized[0][1]  # every window has the same residues' token positions
        lm.check_length(len(batch[0]) - lm.n_added)
    residues = np.concatenate(positions)
    n = int(residues.size) if len(windows) == 1 else windows[-1][1]
    select = _residue_selector(positions, lm.device)
    count = None
    if len(windows) > 1:
        count = torch.zeros((n, n), dtype=torch.int32, device=lm.device)
        for s, e in windows:
            count[s:e, s:e] += 1
        uncovered = count == 0
    seen = [0]

    def on_attention(tokens: Any) -> None:
        index = seen[0]
        seen[0] += 1
        if index >= lm.n_layers:
            return
        if count is None:  # contiguous: every consumer reads it several times
            layer = select(tokens[0]).float().contiguous()
        else:  # windows merged as merge_windows merges them, in float32
            layer = torch.zeros((tokens.shape[1], n, n), dtype=torch.float32, device=tokens.device)
            for piece, (s, e) in zip(tokens, windows):
                layer[:, s:e, s:e] += select(piece).float()
            layer.div_(count.clamp(min=1))
            layer[:, uncovered] = float("nan")
        for consumer in consumers:
            consumer.add_layer(index, layer)

    lm.forward(
        batch if len(batch) > 1 else batch[0], output_attentions=False, on_attention=on_attention
    )
    if seen[0] != lm.n_layers:
        raise ModelError(
            f"{lm.name} gave attention for {seen[0]} layers, but has "
            f"{lm.n_layers}; it cannot be streamed"
        )
    return windows


def run_padded(
    lm: LocalModel, sequences: Sequence[str], consumers: Sequence[Sequence[LayerConsumer]]
) -> None:
    """Run ``lm`` once on chains of different lengths, one padded batch; each chain's layers
    go to its own consumers.

    The chains' token ids are padded at the end to the longest with the tokenizer's pad
    token and masked (:meth:`~protattn.lm.model.LanguageModel.forward`), so a residue
    never attends to padding. Each layer of the batch, ``shape=(batch, heads, T, T)``, is
    cut as :func:`run_stream` cuts one chain's: each chain's residue rows and columns
    (special tokens and padding dropped), float32, contiguous, handed to that chain's
    consumers before the next chain's is cut; so beside the batch's layer at most one
    chain's exists at a time. The weights equal those of each chain run alone to within
    float32 rounding (the batch's products are summed in other orders).

    Parameters
    ----------
    lm : LocalModel
        A model loaded in this process, whose family pads (:attr:`Family.pads`).
    sequences : sequence of str
        One chain each (never windowed nor concatenated); each must fit one pass.
    consumers : sequence of sequences of LayerConsumer
        For each chain, the consumers of its layers (``add_layer(index, layer)`` with
        ``layer`` of ``shape=(heads, N, N)``, ``N`` its residues).

    Raises
    ------
    SequenceTooLongError
        If a chain does not fit one pass.
    ModelError
        If the model gave attention for another number of layers than it has, or its
        family cannot pad.
    """
    if len(consumers) != len(sequences):
        raise ValueError(f"{len(consumers)} lists of consumers for {len(sequences)} chains")
    if not sequences:
        return
    batch, selects = [], []
    for sequence in sequences:
        ids, positions = lm.tokenize([sequence])
        lm.check_length(len(ids) - lm.n_added)
        batch.append(ids)
        selects.append(_residue_selector(positions, lm.device))
    seen = [0]

    def on_attention(tokens: Any) -> None:
        index = seen[0]
        seen[0] += 1
        if index >= lm.n_layers:
            return
        for select, chain, ones in zip(selects, tokens, consumers):
            layer = select(chain).float().contiguous()
            for consumer in ones:
                consumer.add_layer(index, layer)
            del layer

    lm.forward(batch, output_attentions=False, on_attention=on_attention)
    if seen[0] != lm.n_layers:
        raise ModelError(
            f"{lm.name} gave attention for {seen[0]} layers, but has "
            f"{lm.n_layers}; it cannot be streamed"
        )


def stream_attention(
    lm: LocalModel, segments: Sequence[str], consumer: Callable[[int, np.ndarray], None]
) -> int:
    """Run ``lm`` once and give each layer's attention over the residues to ``consumer``.

    Parameters
    ----------
    lm : LocalModel
        A model loaded in this process.
    segments : sequence of str
        One chain's sequence, or several run concatenated.
    consumer : callable
        Called as ``consumer(layer_index, attention)`` for each layer in order,
        ``attention`` a numpy array of ``shape=(heads, N, N), dtype=float32`` (see
        :class:`NumpyLayers`).

    Returns
    -------
    int
        ``N``.
    """
    windows = run_stream(lm, segments, [NumpyLayers(consumer)])
    return windows[-1][1]


# ------------------------------------------------------------ one pass, every consumer


def esm_head(lm: LocalModel) -> tuple[np.ndarray, float] | None:
    """An ESM model's contact-head regression: weights ``shape=(layers, heads)`` and bias."""
    head = getattr(lm.model, "contact_head", None)
    regression = getattr(head, "regression", None)
    if lm.family.name != "esm" or regression is None:
        return None
    weight = regression.weight.detach().float().cpu().numpy().astype(np.float64)
    if weight.size != lm.n_layers * lm.n_heads:
        return None
    bias = regression.bias
    return (
        weight.reshape(lm.n_layers, lm.n_heads),
        float(bias.detach().float().cpu()) if bias is not None else 0.0,
    )


def count_consumer(
    lm: LocalModel,
    n: int,
    definition: str,
    threshold: float,
    masks: Mapping[str, PropertyMask],
    covered: np.ndarray | None = None,
    builder: CompactBuilder | None = None,
) -> tuple[ChainCounter, LayerConsumer]:
    """What counts one chain's per-head statistics during a pass: its counter and the
    consumer that feeds it each layer.

    The one place the counting of a chain is set up, for :func:`run_chain` and for the
    padded batches of :func:`protattn.lm.batch.batch_counts`. With a builder of compact
    attention in the same pass and θ at or above its floor, the counts come from the
    weights it kept (:class:`SparseCounts`; give the consumer after the builder); else on
    a GPU the layer is reduced where it is (:class:`TorchCounts`), and on the CPU by
    numpy's per-head loop (:meth:`ChainCounter.add_layer`), faster there than torch's
    reductions of the whole layer (1.3 s against 2.8 s for the 30 layers of a
    150M-shaped ESM-2 at 1,000 residues, 26 properties). Arcs and hits are the same
    whichever counts; weight sums agree to float32 rounding.

    Parameters
    ----------
    lm : LocalModel
    n : int
        The chain's residues (the layers are ``(heads, n, n)``).
    definition : {"paper", "judged"}
    threshold : float
        θ.
    masks : mapping of str to PropertyMask
        The chain's properties, each for ``n`` residues.
    covered : numpy.ndarray, optional
        Pairs some window holds (:func:`protattn.lm.windows.covered_pairs`); None for
        one pass. Only the judged definition reads it.
    builder : CompactBuilder, optional
        The pass's builder of compact attention, fed before this consumer.

    Returns
    -------
    (ChainCounter, LayerConsumer)
        Close the counter after the pass (:meth:`ChainCounter.close`).

    Raises
    ------
    ValueError
        If a mask is not for ``n`` residues.
    """
    counter = CountSpec(lm.n_layers, lm.n_heads, threshold, definition).chain(
        n, masks, covered if definition == "judged" else None
    )
    paper = definition == "paper"
    consumer: LayerConsumer
    if builder is not None and threshold >= builder.floor:  # every arc is among the kept
        consumer = SparseCounts(counter, threshold, paper, builder)
    elif str(lm.device).startswith("cuda"):
        consumer = TorchCounts(counter, threshold, paper, finite=covered is None)
    else:
        consumer = NumpyLayers(
            lambda index, layer: counter.add_layer(index, layer, finite=covered is None)
        )
    return counter, consumer


def run_chain(
    lm: LocalModel,
    sequences: Sequence[str],
    window: int | None,
    stride: int | None,
    request: StreamRequest | None = None,
) -> StreamResult:
    """Run ``lm`` once over one input and reduce every layer for each consumer asked for.

    Parameters
    ----------
    lm : LocalModel
    sequences : sequence of str
        One chain, or chains run as one input.
    window, stride : int or None
        As resolved by :func:`protattn.lm.inference.chain_attention` (None: one pass).
    request : StreamRequest, optional
        What to compute beside the compact attention (nothing by default).

    Returns
    -------
    StreamResult
    """
    request = request or StreamRequest()
    windows = stream_windows(lm, sequences, window, stride)
    n = sum(len(s) for s in sequences)
    covered = covered_pairs(n, windows)
    one_chain = len(sequences) == 1 and len(windows) == 1
    builder = CompactBuilder(
        lm.n_layers,
        lm.n_heads,
        n,
        [len(s) for s in sequences],
        windows,
        esm_head=esm_head(lm) if one_chain else None,
    )
    consumers: list[Any] = [builder]
    maps = HeadMaps(request.head_maps) if request.head_maps else None
    contacts = ChosenContacts(request.contact_heads, covered) if request.contact_heads else None
    dense = Dense(lm.n_layers) if request.dense else None
    counter = None
    if request.counts is not None:
        definition, threshold, masks = request.counts
        counter, counting = count_consumer(lm, n, definition, threshold, masks, covered, builder)
        consumers.append(counting)
    consumers += [c for c in (maps, contacts, dense) if c is not None]
    run_stream(lm, sequences, consumers, window, stride)
    if counter is not None:
        counter.close()
    return StreamResult(
        builder.close(),
        maps.maps if maps else {},
        contacts.scores() if contacts else None,
        counter.to_message() if counter else None,
        np.stack(dense.layers) if dense else None,
    )
