"""What the engine hands each layer to: the consumers of one streamed pass.

A consumer has ``add(index, layer)`` with ``layer`` a ``torch.Tensor`` of shape
``(heads, L, L)`` (float32, on the model's device, merged over windows, ``NaN`` where
no window covers a pair) and reduces it at once: whole maps of chosen heads
(:class:`HeadMaps`), contact scores of chosen heads, per-head counts on the device
(:class:`TorchCounts`) or from the kept weights (:class:`SparseCounts`), numpy layers
(:class:`NumpyLayers`), the dense array (:class:`Dense`). The compact attention's
builder (:class:`protattn.lm.compact.CompactBuilder`) is one too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .compact import CompactBuilder, apc_sum
from .heads import HeadSpec

__all__ = [
    "HeadMaps",
    "ChosenContacts",
    "Dense",
    "LayerConsumer",
    "NumpyLayers",
    "TorchCounts",
    "SparseCounts",
]


class LayerConsumer(Protocol):
    """What :func:`run_stream` feeds: ``add_layer(index, layer)`` once per layer, in order."""

    def add_layer(self, index: int, layer: Any) -> None:
        """Take layer ``index`` (0-based), ``torch.Tensor`` of ``shape=(heads, N, N)``."""


class NumpyLayers:
    """A consumer of numpy layers: ``function(index, layer)``, the layer on the CPU.

    Parameters
    ----------
    function : callable
        Called as ``function(index, layer)``; ``layer`` is ``numpy.ndarray`` of
        ``shape=(heads, N, N), dtype=float32``, which the function may keep but must
        not write to.
    """

    def __init__(self, function: Callable[[int, np.ndarray], None]) -> None:
        self.function = function

    def add_layer(self, index: int, layer: Any) -> None:
        self.function(index, (layer if layer.device.type == "cpu" else layer.cpu()).numpy())


class HeadMaps:
    def __init__(self, specs: Sequence[HeadSpec]) -> None:
        self.by_layer: dict[int, list[HeadSpec]] = {}
        for spec in specs:
            self.by_layer.setdefault(spec.layer - 1, []).append(spec)
        self.maps: dict[HeadSpec, np.ndarray] = {}

    def add_layer(self, index: int, layer: Any) -> None:
        for spec in self.by_layer.get(index, ()):
            if spec.head is not None:
                one = layer[spec.head - 1]
            else:
                one = layer.mean(0) if spec.aggregate == "mean" else layer.amax(0)
            self.maps[spec] = one.cpu().numpy().astype(np.float32, copy=True)


class ChosenContacts:
    """Σ over chosen heads of apc(a + aᵀ), one layer at a time."""

    def __init__(self, heads: Sequence[tuple[int, int]], covered: np.ndarray | None) -> None:
        self.by_layer: dict[int, list[int]] = {}
        for layer, head in heads:
            chosen = self.by_layer.setdefault(layer - 1, [])
            if head - 1 not in chosen:
                chosen.append(head - 1)
        self.count = sum(map(len, self.by_layer.values()))
        self.covered = covered
        self.total: Any = None

    def add_layer(self, index: int, layer: Any) -> None:
        import torch

        chosen = self.by_layer.get(index)
        if not chosen:
            return
        a = layer[chosen].double()  # a few heads: summed in float64, as the numpy reference
        if self.covered is not None:
            a = torch.nan_to_num(a, nan=0.0)
        part = apc_sum(a)
        self.total = part if self.total is None else self.total + part

    def scores(self) -> np.ndarray:
        scores = (self.total / self.count).cpu().numpy()
        if self.covered is not None:
            scores[~self.covered] = np.nan
        return scores


class TorchCounts:
    """Per-head statistics counts of a layer in torch, on the layer's device (a layer consumer).

    Parameters
    ----------
    counter : protattn.lm.counts.ChainCounter
    threshold : float
        θ.
    paper : bool
        Arcs are weights at or above θ (the paper's definition), else above it.
    finite : bool
        The layers hold no ``NaN`` (no windows).

    Makes the reductions of :meth:`protattn.lm.counts.ChainCounter.add_layer` for all heads
    at once (comparisons and sums over a layer, a matrix product per residue property
    group, a gather per pair property), in the layer's float32, and hands them to the
    counter (:meth:`~protattn.lm.counts.ChainCounter.add_sums`): arcs and hits are the
    same; weight sums are summed over queries in float32, then in float64 (within 1e-6).
    """

    def __init__(self, counter: Any, threshold: float, paper: bool, finite: bool) -> None:
        self.counter = counter
        self.finite = finite
        self.threshold = float(threshold)
        self.paper = paper
        self._plan: list | None = None

    def add_layer(self, index: int, layer: Any) -> None:
        import torch

        from .counts import LayerSums

        if self._plan is None:
            self._plan = _device_plan(self.counter, layer.device)
        a = layer
        uncovered = self.counter.uncovered
        if not self.finite:  # windows: NaN where not covered
            a = torch.nan_to_num(a, nan=0.0)
        if uncovered is not None:
            a = a.masked_fill(torch.as_tensor(uncovered, device=a.device), 0.0)
        high = a >= self.threshold if self.paper else a > self.threshold
        sums = []
        for considered, values, pairs in self._plan:
            if considered is None:
                weights, chosen = a, high
            else:
                weights, chosen = a * considered, high & considered
            # no dtype= on these sums: it would cast the whole layer first
            column_arcs = torch.count_nonzero(chosen, dim=1)  # (H, L)
            column_mass = weights.sum(1).double()
            pair_hits = [torch.count_nonzero(chosen[:, r, c], dim=-1) for r, c in pairs]
            pair_mass = [weights[:, r, c].double().sum(-1) for r, c in pairs]
            sums.append(
                LayerSums(
                    column_arcs.sum(1).cpu().numpy(),
                    column_mass.sum(1).cpu().numpy(),
                    *_residue_sums(column_arcs, column_mass, values),
                    _stacked(pair_hits, a.shape[0], np.int64),
                    _stacked(pair_mass, a.shape[0], np.float64),
                )
            )
        self.counter.add_sums(index, sums)


def _device_plan(counter: Any, device: Any) -> list:
    """:attr:`ChainCounter.plan` as tensors on ``device`` (residue values as float64)."""
    import torch

    return [
        (
            None if considered is None else torch.as_tensor(considered, device=device),
            torch.as_tensor(values, dtype=torch.float64, device=device),
            [
                (torch.as_tensor(r, device=device), torch.as_tensor(c, device=device))
                for r, c in pairs
            ],
        )
        for considered, values, pairs in counter.plan
    ]


def _residue_sums(column_arcs: Any, column_mass: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Arcs and weight on each residue property: ``(H, L) @ (L, P)``."""
    heads = column_arcs.shape[0]
    if values.numel() == 0:
        return np.zeros((heads, 0), np.int64), np.zeros((heads, 0))
    return (
        (column_arcs.double() @ values).round().long().cpu().numpy(),
        (column_mass @ values).cpu().numpy(),
    )


def _stacked(parts: list, heads: int, dtype: Any) -> np.ndarray:
    """Per-property sums ``(heads,)`` side by side: ``(heads, Q)``."""
    import torch

    return torch.stack(parts, 1).cpu().numpy() if parts else np.zeros((heads, 0), dtype=dtype)


class SparseCounts:
    """Per-head statistics counts from the weights a :class:`CompactBuilder` kept (a consumer).

    For θ at or above the builder's floor every arc is among the weights it kept, so the
    arcs and hits of a layer come from those few per row, not from another scan of the
    layer: arcs per column by a count over the kept weights at or above θ (above it
    under ``judged``) on considered pairs, hits as for :meth:`ChainCounter.add_layer`.
    The weight sums are the builder's column sums, or one masked sum per group of
    properties judged on other pairs, and a gather per pair property. Give it after the
    builder, in the same pass.

    Parameters
    ----------
    counter : protattn.lm.counts.ChainCounter
    threshold : float
        θ, at least ``builder.floor``.
    paper : bool
        Arcs are weights at or above θ (the paper's definition), else above it.
    builder : CompactBuilder
    """

    def __init__(
        self, counter: Any, threshold: float, paper: bool, builder: CompactBuilder
    ) -> None:
        if threshold < builder.floor:
            raise ValueError(
                f"θ = {threshold:g} is below the kept weights' floor "
                f"{builder.floor:g}; count the whole layer instead"
            )
        self.counter, self.threshold, self.paper, self.builder = (
            counter,
            float(threshold),
            paper,
            builder,
        )
        self._plan: list | None = None

    def add_layer(self, index: int, layer: Any) -> None:
        import torch

        from .counts import LayerSums

        last = self.builder.last
        if last is None:  # what unpacking it would raise
            raise TypeError(
                "cannot unpack non-iterable NoneType object: the CompactBuilder "
                "must be given each layer before this consumer"
            )
        at, values, a, received = last
        heads, n = a.shape[0], a.shape[-1]
        if self._plan is None:  # each pair property also as a flat mask of the L x L pairs
            self._plan = []
            for considered, residue_values, pairs in _device_plan(self.counter, a.device):
                masks = []
                for r, c in pairs:
                    mask = torch.zeros((n, n), dtype=torch.bool, device=a.device)
                    mask[r, c] = True
                    masks.append((mask.view(-1), r, c))
                self._plan.append((considered, residue_values, masks))
        arc = values >= self.threshold if self.paper else values > self.threshold
        at, values = at[arc], values[arc]
        head = at // (n * n)
        pair_at = at % (n * n)  # i * L + j within the head's map
        sums = []
        for considered, residue_values, masks in self._plan:
            if considered is None:
                chosen_head, chosen_pair = head, pair_at
                column_mass = received.double()
            else:
                keep = considered.view(-1)[pair_at]
                chosen_head, chosen_pair = head[keep], pair_at[keep]
                column_mass = (a * considered).sum(1).double()
            column_arcs = torch.bincount(
                chosen_head * n + chosen_pair % n, minlength=heads * n
            ).reshape(heads, n)
            pair_hits = [
                torch.bincount(chosen_head[mask[chosen_pair]], minlength=heads)
                for mask, _, _ in masks
            ]
            pair_mass = [a[:, r, c].double().sum(-1) for _, r, c in masks]
            sums.append(
                LayerSums(
                    column_arcs.sum(1).cpu().numpy(),
                    column_mass.sum(1).cpu().numpy(),
                    *_residue_sums(column_arcs, column_mass, residue_values),
                    _stacked(pair_hits, heads, np.int64),
                    _stacked(pair_mass, heads, np.float64),
                )
            )
        self.counter.add_sums(index, sums)


class Dense:
    def __init__(self, n_layers: int) -> None:
        self.layers: list[Any] = [None] * n_layers

    def add_layer(self, index: int, layer: Any) -> None:
        self.layers[index] = layer.cpu().numpy().astype(np.float32, copy=True)
