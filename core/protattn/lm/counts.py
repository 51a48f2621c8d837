"""Per-head counts of high-confidence attention on a property, one layer at a time.

The reduction the streaming engine makes of each layer for the statistics of
:mod:`protattn.analysis.statistics`: per head, the arcs (weights at or above θ),
their hits on each property, and the same sums of the weights. A
:class:`PropertyMask` says which pairs (or attended residues) have the property
and on which it is judged; a :class:`ChainCounter` counts one chain, layer by
layer, in a few ``(L, L)`` buffers; its closed counts cross to a host as a message.
The definitions (``"paper"``, ``"judged"``) are those of
:mod:`protattn.analysis.statistics`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .masks import PropertyMask, as_bool

__all__ = [
    "DEFINITIONS",
    "DEFAULT_DEFINITION",
    "DEFAULT_MIN_ARCS",
    "check_definition",
    "ChainCounter",
]

#: High-confidence attention threshold θ of the paper.
DEFAULT_THRESHOLD = 0.3

#: The definitions of the statistics (see the module documentation).
DEFINITIONS = ("paper", "judged")
#: The one every front end uses unless told otherwise: the paper's own.
DEFAULT_DEFINITION = "paper"
#: Heads with fewer high-confidence arcs than this are not ranked, in every front end
#: (the paper's 100; its definition keeps heads with more than 100).
DEFAULT_MIN_ARCS = 100


def check_definition(definition: str) -> str:
    """``definition`` if it is one of :data:`DEFINITIONS`; else a ValueError saying which are."""
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {', '.join(DEFINITIONS)}, not {definition!r}")
    return definition


def finite(values: np.ndarray) -> np.ndarray:
    """``np.isfinite``, reading float16 through its exponent bits (10x faster)."""
    if values.dtype == np.float16:
        return (values.view(np.uint16) & 0x7C00) != 0x7C00
    return np.isfinite(values)


@dataclass
class LayerSums:
    """One layer's reductions for one group of properties (see :attr:`ChainCounter.plan`).

    Attributes
    ----------
    arcs, mass : numpy.ndarray
        ``shape=(heads,)``: arcs and total weight on the group's considered pairs.
    hits, mass_on : numpy.ndarray
        ``shape=(heads, P)``: arcs and weight on each residue property.
    pair_hits, pair_mass : numpy.ndarray
        ``shape=(heads, Q)``: arcs and weight on each pair property.
    """

    arcs: np.ndarray
    mass: np.ndarray
    hits: np.ndarray
    mass_on: np.ndarray
    pair_hits: np.ndarray
    pair_mass: np.ndarray

    @classmethod
    def zeros(cls, n_heads: int, n_residue: int, n_pair: int) -> LayerSums:
        return cls(
            np.zeros(n_heads, np.int64),
            np.zeros(n_heads),
            np.zeros((n_heads, n_residue), np.int64),
            np.zeros((n_heads, n_residue)),
            np.zeros((n_heads, n_pair), np.int64),
            np.zeros((n_heads, n_pair)),
        )


class Counts:
    """Sums over chains for one property, ``shape=(layers, heads)`` each.

    ``n_arcs`` and ``hits`` count arcs; ``mass`` and ``mass_on`` sum their weights;
    the background counts are of the property over the pairs (or residues) judged.
    """

    def __init__(self, n_layers: int, n_heads: int) -> None:
        shape = (n_layers, n_heads)
        self.n_arcs = np.zeros(shape, dtype=np.int64)
        self.hits = np.zeros(shape, dtype=np.int64)
        self.mass = np.zeros(shape, dtype=np.float64)
        self.mass_on = np.zeros(shape, dtype=np.float64)
        self.background_pairs = 0
        self.background_hits = 0
        self.n_chains = 0


@dataclass(frozen=True)
class CountSpec:
    """What a chain is counted for: the model's size, θ and the definition.

    :class:`~protattn.analysis.statistics.HeadStatsAccumulator` is one; the
    streaming engine makes this bare one when a chain's counts are all it sends on.
    """

    n_layers: int
    n_heads: int
    threshold: float
    definition: str

    def chain(
        self,
        n_residues: int,
        properties: Mapping[str, PropertyMask],
        covered: np.ndarray | None = None,
    ) -> ChainCounter:
        """A counter for one chain (see :meth:`HeadStatsAccumulator.chain`)."""
        return ChainCounter(
            self, int(n_residues), check_masks(int(n_residues), properties), covered
        )


def check_masks(n: int, properties: Mapping[str, PropertyMask]) -> dict[str, PropertyMask]:
    """The properties of an ``n``-residue chain as masks (a bare array: a pair mask).

    Raises
    ------
    ValueError
        If a property is for another number of residues.
    """
    masks = {}
    for name, mask in properties.items():
        if not isinstance(mask, PropertyMask):
            mask = PropertyMask(mask)
        if len(mask) != n:
            raise ValueError(
                f"property {name!r} is for {len(mask)} residues, but the attention is for {n}"
            )
        masks[str(name)] = mask
    return masks


class ChainCounter:
    """The counts of one chain, fed one layer at a time (:meth:`CountSpec.chain`,
    :meth:`~protattn.analysis.statistics.HeadStatsAccumulator.chain`).

    Each layer is read one head at a time, in its own precision, with a few
    ``(L, L)`` buffers whatever the number of heads.
    """

    def __init__(
        self,
        spec: CountSpec | Any,
        n: int,
        masks: dict[str, PropertyMask],
        covered: np.ndarray | None,
        on_close: Callable[[ChainCounter], None] | None = None,
    ) -> None:
        accumulator = spec
        self.spec = spec
        self._on_close = on_close
        self.n = n
        self.counts = {name: Counts(accumulator.n_layers, accumulator.n_heads) for name in masks}
        self._seen = np.zeros(accumulator.n_layers, dtype=bool)
        self._closed = False
        self._paper = accumulator.definition == "paper"
        if covered is not None:
            covered = as_bool(covered, "covered")
            if covered.shape != (n, n):
                raise ValueError(f"covered must have shape ({n}, {n}), not {covered.shape}")
        self._uncovered = None if covered is None or covered.all() else ~covered
        if n == 0 or not masks:
            self._groups: list = []
            return
        if self._paper:
            self._groups = [self._paper_group(masks)]
        else:
            self._groups = self._judged_groups(masks, covered)
        self._high = np.empty((n, n), dtype=bool)
        self._high_considered = np.empty((n, n), dtype=bool)
        self._product = np.empty((n, n), dtype=np.float32)  # in the layer's dtype

    @staticmethod
    def _group(considered: np.ndarray | None, residue: list, pair: list) -> tuple:
        """What one set of considered pairs needs per head: residue properties stacked as
        ``(L, P)`` matrices (one product per head for all of them), pair properties as
        the indices of their (considered) pairs."""
        counts = [c for c, _ in residue]
        values = (
            np.stack([v for _, v in residue], axis=1) if residue else np.zeros((0, 0), dtype=bool)
        )
        return (
            considered,
            counts,
            values.astype(np.int64),
            values.astype(np.float64),
            [(c, np.nonzero(v)) for c, v in pair],
        )

    def _paper_group(self, masks: dict[str, PropertyMask]) -> tuple:
        """Every pair's arc counts; the property is false where it is not judged."""
        residue, pair = [], []
        for name, mask in masks.items():
            counts = self.counts[name]
            of = mask.background_from or mask
            if mask.kind == "residue":
                counts.background_hits += int(np.count_nonzero(of.values))
                counts.background_pairs += len(of)
                residue.append((counts, mask.values))
            else:
                counts.background_hits += int(
                    np.count_nonzero(of.values if of.valid is None else of.values & of.valid)
                )
                counts.background_pairs += (
                    len(of) ** 2 if of.valid is None else int(np.count_nonzero(of.valid))
                )
                pair.append(
                    (counts, mask.values if mask.valid is None else mask.values & mask.valid)
                )
        return self._group(None, residue, pair)

    def _judged_groups(self, masks: dict[str, PropertyMask], covered: np.ndarray | None) -> list:
        """Only considered pairs count: the property's valid pairs, covered by the model."""
        n = self.n
        if covered is None:
            covered = np.ones((n, n), dtype=bool)
        # Properties sharing a `valid` array share its considered pairs.
        groups: dict[int, tuple[np.ndarray, list, list]] = {}
        for name, mask in masks.items():
            key = id(mask.valid) if mask.valid is not None else 0
            if key not in groups:
                considered = covered if mask.valid is None else covered & mask.valid
                groups[key] = (considered, [], [])
            considered, residue, pair = groups[key]
            counts = self.counts[name]
            if mask.kind == "residue":
                per_column = np.count_nonzero(considered, axis=0)
                counts.background_hits += int(per_column @ mask.values.astype(np.int64))
                residue.append((counts, mask.values))
            else:
                counts.background_hits += int(np.count_nonzero(considered & mask.values))
                pair.append((counts, considered & mask.values))
            counts.background_pairs += int(np.count_nonzero(considered))
        return [
            self._group(None if considered.all() else considered, residue, pair)
            for considered, residue, pair in groups.values()
        ]

    def add_layer(self, index: int, layer: np.ndarray, finite: bool = False) -> None:
        """Count one layer's attention.

        Parameters
        ----------
        index : int
            The layer, 0-based; each once.
        layer : numpy.ndarray
            ``shape=(heads, L, L)``, floating point; ``NaN`` pairs never count.
            Read in its own precision, one head at a time.
        finite : bool
            The caller knows the layer holds no ``NaN`` (one pass of a model, no
            windows): the check for it is skipped.
        """
        acc = self.spec
        layer = np.asarray(layer)
        if self._closed:
            raise ValueError("this chain is closed; start another with accumulator.chain()")
        if not 0 <= int(index) < acc.n_layers or self._seen[index]:
            raise ValueError(
                f"layer index {index} is out of range 0-{acc.n_layers - 1} or was given twice"
            )
        if layer.shape != (acc.n_heads, self.n, self.n):
            raise ValueError(
                f"a layer must have shape (heads, L, L) = ({acc.n_heads}, "
                f"{self.n}, {self.n}), not {layer.shape}"
            )
        if not np.issubdtype(layer.dtype, np.floating):
            raise TypeError(f"attention must be floating point, not {layer.dtype}")
        self._seen[index] = True
        if not self._groups:
            return
        high = self._high
        if self._product.dtype != layer.dtype:  # float16 or float64 attention
            self._product = np.empty(self._product.shape, dtype=layer.dtype)
        # θ rounded to the attention's precision: comparing there, as PyTorch's
        # `attn >= 0.3` does
        threshold = layer.dtype.type(acc.threshold)
        compare = np.greater_equal if self._paper else np.greater
        has_nan = not finite and not np.isfinite(np.add.reduce(layer, axis=None, dtype=np.float64))
        n_heads = layer.shape[0]
        sums = [LayerSums.zeros(n_heads, len(r), len(p)) for _, r, _, _, p in self._groups]
        for hi, head in enumerate(layer):
            if has_nan:  # NaN (not covered) is never an arc and weighs nothing
                head = np.where(np.isnan(head), 0, head)
            if self._uncovered is not None:
                head = np.where(self._uncovered, 0, head)
            compare(head, threshold, out=high)
            for (considered, residue, values, values_float, pairs), total in zip(
                self._groups, sums
            ):
                if considered is None:
                    weights, chosen = head, high
                else:
                    weights, chosen = self._product, self._high_considered
                    np.multiply(head, considered, out=weights)
                    np.logical_and(high, considered, out=chosen)
                column_arcs = np.add.reduce(chosen.view(np.uint8), axis=0, dtype=np.int64)
                column_mass = np.add.reduce(weights, axis=0, dtype=np.float64)
                total.arcs[hi] = column_arcs.sum()
                total.mass[hi] = column_mass.sum()
                if residue:
                    total.hits[hi] = column_arcs @ values
                    total.mass_on[hi] = column_mass @ values_float
                for k, (_, where) in enumerate(pairs):
                    total.pair_hits[hi, k] = np.count_nonzero(chosen[where])
                    total.pair_mass[hi, k] = np.add.reduce(weights[where], dtype=np.float64)
        self._add(int(index), sums)

    @property
    def plan(self) -> list[tuple]:
        """What a layer is reduced to, per group of properties judged on the same pairs.

        One tuple per group: ``(considered, residue values, pair indices)`` with
        ``considered`` the ``(L, L)`` bool mask of the pairs that count (None: all),
        ``residue values`` an ``(L, P)`` int64 matrix (one column per residue
        property) and ``pair indices`` one ``(rows, columns)`` pair of arrays per pair
        property. :meth:`add_sums` takes the reductions of a layer in this order.
        """
        return [
            (considered, values, [where for _, where in pairs])
            for considered, _, values, _, pairs in self._groups
        ]

    @property
    def uncovered(self) -> np.ndarray | None:
        """Pairs no window covered, ``(L, L)`` bool (None: every pair); they never count."""
        return self._uncovered

    def add_sums(self, index: int, sums: Sequence[LayerSums]) -> None:
        """Add one layer's counts reduced elsewhere (in torch), one per :attr:`plan` group.

        The reductions are those :meth:`add_layer` makes: per head, the arcs (weights
        at or above θ under the paper's definition, above it otherwise, on considered
        pairs), their hits on each residue property (arcs per column times the
        property) and on each pair property, and the same sums of the weights.
        """
        acc = self.spec
        if self._closed:
            raise ValueError("this chain is closed; start another with accumulator.chain()")
        if not 0 <= int(index) < acc.n_layers or self._seen[index]:
            raise ValueError(
                f"layer index {index} is out of range 0-{acc.n_layers - 1} or was given twice"
            )
        if len(sums) != len(self._groups):
            raise ValueError(f"{len(sums)} sums for {len(self._groups)} groups")
        self._seen[index] = True
        self._add(int(index), sums)

    def _add(self, li: int, sums: Sequence[LayerSums]) -> None:
        for (_, residue, _, _, pairs), total in zip(self._groups, sums):
            members = [(c, total.hits[:, k], total.mass_on[:, k]) for k, c in enumerate(residue)]
            members += [
                (c, total.pair_hits[:, k], total.pair_mass[:, k]) for k, (c, _) in enumerate(pairs)
            ]
            for counts, on, on_mass in members:
                counts.n_arcs[li] += total.arcs
                counts.mass[li] += total.mass
                counts.hits[li] += on
                counts.mass_on[li] += on_mass

    def close(self) -> None:
        """Close the chain (its counts join the accumulator it came from); every layer must
        have been given."""
        if self._closed:
            raise ValueError("this chain was closed already")
        missing = np.flatnonzero(~self._seen)
        if missing.size and self.n:
            raise ValueError(
                f"layers {', '.join(str(k + 1) for k in missing)} were never "
                "given; the chain's counts are not added"
            )
        self._closed = True
        if self._on_close is not None:
            self._on_close(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the counts are then final)."""
        return self._closed

    def to_message(self) -> dict:
        """The closed chain's counts as JSON-ready data (for the worker protocol)."""
        if not self._closed:
            raise ValueError("close the chain's counter before sending it")
        return {
            "n": self.n,
            "counts": {
                name: {
                    "n_arcs": c.n_arcs.tolist(),
                    "hits": c.hits.tolist(),
                    "mass": c.mass.tolist(),
                    "mass_on": c.mass_on.tolist(),
                    "background_hits": c.background_hits,
                    "background_pairs": c.background_pairs,
                }
                for name, c in self.counts.items()
            },
        }

    @classmethod
    def from_message(cls, accumulator: CountSpec | Any, message: Mapping) -> ChainCounter:
        """A closed counter for ``accumulator`` holding the counts of :meth:`to_message`.

        Raises
        ------
        ValueError
            If the counts are not of the accumulator's size.
        """
        counter = cls(accumulator, int(message["n"]), {}, None)
        shape = (accumulator.n_layers, accumulator.n_heads)
        for name, sent in message["counts"].items():
            counts = Counts(*shape)
            counts.n_arcs = np.asarray(sent["n_arcs"], dtype=np.int64)
            counts.hits = np.asarray(sent["hits"], dtype=np.int64)
            counts.mass = np.asarray(sent["mass"], dtype=np.float64)
            counts.mass_on = np.asarray(sent["mass_on"], dtype=np.float64)
            if any(
                a.shape != shape for a in (counts.n_arcs, counts.hits, counts.mass, counts.mass_on)
            ):
                raise ValueError(f"counts of {name!r} are not of shape {shape}")
            counts.background_hits = int(sent["background_hits"])
            counts.background_pairs = int(sent["background_pairs"])
            counter.counts[str(name)] = counts
        counter._seen[:] = True
        counter._closed = True
        return counter


# ----------------------------------------------------------------------- results
