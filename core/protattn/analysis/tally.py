"""Mergeable counts of a survey: partial results that combine exactly, in any order.

A :class:`Tally` holds, for each definition (``"paper"``, ``"judged"``) and property,
the sums :class:`~protattn.analysis.statistics.HeadStatsAccumulator` keeps: arcs,
hits and background counts (integers), and the attention mass (fixed point). Two
tallies of disjoint sets of chains add up to the tally of their union whatever the
order or grouping (``a + (b + c) == (a + b) + c`` exactly), so shards of a survey can
be counted in any process, on any machine, checkpointed, retried and merged, and the
statistics come out the same to the last bit.

The attention mass of a chain (a float64 sum of its float32 weights) is rounded to a
multiple of 2⁻³² (:data:`MASS_SCALE`) when it joins a tally: a share's weighted form
changes by less than 10⁻⁹ of a chain's mass, and float addition's dependence on order
is gone. A tally holds 2⁶³ / 2³² ≈ 2·10⁹ units of mass per head: about two million
chains of 1,000 residues (a full row of attention sums to at most 1, per residue);
:meth:`Tally.merge` refuses to overflow rather than wrap.

>>> import numpy as np
>>> from protattn.lm.masks import PropertyMask
>>> acc = HeadStatsAccumulator(1, 1)
>>> att = np.array([[[[0.5, 0.5], [0.9, 0.1]]]], dtype=np.float32)
>>> counter = acc.count(att, {"A": PropertyMask.residue(np.array([True, False]))})
>>> a, b = Tally(1, 1), Tally(1, 1)
>>> a.add("paper", counter); b.add("paper", counter)
>>> merged = Tally(1, 1).merge(a).merge(b)
>>> stats = merged.statistics("paper", min_arcs=1)
>>> int(stats["A"].n_arcs[0, 0]), int(stats["A"].hits[0, 0]), merged.n_chains("paper")
(6, 4, 2)
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..lm.cache import write_npz
from ..lm.counts import DEFAULT_MIN_ARCS, DEFAULT_THRESHOLD, ChainCounter, Counts, check_definition
from .results import HeadStatistics
from .statistics import HeadStatsAccumulator

__all__ = ["MASS_SCALE", "Tally", "save_arrays"]

#: Attention mass is kept in units of 1 / MASS_SCALE (fixed point, see the module docs).
MASS_SCALE = 2**32

_LIMIT = 2**62  # a sum beyond this could overflow int64 on the next merge
_FIELDS = ("n_arcs", "hits", "mass", "mass_on")


def _fixed(values: np.ndarray) -> np.ndarray:
    """Float64 masses as int64 multiples of 1 / MASS_SCALE."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * MASS_SCALE)
    if not np.all(np.isfinite(scaled)) or np.any(np.abs(scaled) >= _LIMIT):
        raise ValueError("an attention mass is not finite or too large for a tally")
    return scaled.astype(np.int64)


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an ``.npz`` at ``path`` in one atomic step (a temporary file
    beside it, synced, then renamed over it): a reader sees the old file or the new one."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as fh:
            write_npz(fh, arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


class _Sums:
    """One property's sums under one definition (``shape=(layers, heads)`` arrays)."""

    def __init__(self, n_layers: int, n_heads: int) -> None:
        shape = (n_layers, n_heads)
        self.n_arcs = np.zeros(shape, np.int64)
        self.hits = np.zeros(shape, np.int64)
        self.mass = np.zeros(shape, np.int64)  # fixed point
        self.mass_on = np.zeros(shape, np.int64)
        self.background_hits = 0
        self.background_pairs = 0
        self.n_chains = 0

    def check_add(self, other: _Sums) -> None:
        """OverflowError if adding ``other`` could overflow int64."""
        for name in _FIELDS:
            mine, theirs = getattr(self, name), getattr(other, name)
            if np.any(np.abs(mine) > _LIMIT - np.abs(theirs)):
                raise OverflowError(f"the tally's {name} would overflow int64")

    def add(self, other: _Sums) -> None:
        self.check_add(other)
        for name in _FIELDS:
            getattr(self, name)[...] += getattr(other, name)
        self.background_hits += other.background_hits
        self.background_pairs += other.background_pairs
        self.n_chains += other.n_chains

    def counts(self) -> Counts:
        n_layers, n_heads = self.n_arcs.shape
        counts = Counts(n_layers, n_heads)
        counts.n_arcs = self.n_arcs.copy()
        counts.hits = self.hits.copy()
        counts.mass = self.mass / MASS_SCALE
        counts.mass_on = self.mass_on / MASS_SCALE
        counts.background_hits = self.background_hits
        counts.background_pairs = self.background_pairs
        counts.n_chains = self.n_chains
        return counts

    def equals(self, other: _Sums) -> bool:
        return all(np.array_equal(getattr(self, f), getattr(other, f)) for f in _FIELDS) and (
            self.background_hits,
            self.background_pairs,
            self.n_chains,
        ) == (other.background_hits, other.background_pairs, other.n_chains)


class Tally:
    """Per-head counts of a set of chains for several definitions, exactly mergeable.

    Parameters
    ----------
    n_layers, n_heads : int
        Size of the model.
    threshold : float
        θ the chains were counted at.

    A chain joins with :meth:`add` (its closed
    :class:`~protattn.lm.counts.ChainCounter`, one per definition); tallies join
    with :meth:`merge`; :meth:`statistics` gives the
    :class:`~protattn.analysis.results.HeadStatistics` of a definition, as
    :class:`~protattn.analysis.statistics.HeadStatsAccumulator` would over the same
    chains. :meth:`save` and :meth:`load` keep one in a file.
    """

    def __init__(self, n_layers: int, n_heads: int, threshold: float = DEFAULT_THRESHOLD) -> None:
        if int(n_layers) < 1 or int(n_heads) < 1:
            raise ValueError(
                f"a model has at least one layer and one head, not {n_layers}x{n_heads}"
            )
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, not {threshold!r}")
        self.n_layers = int(n_layers)
        self.n_heads = int(n_heads)
        self.threshold = float(threshold)
        self._chains: dict[str, int] = {}
        self._sums: dict[str, dict[str, _Sums]] = {}

    # ------------------------------------------------------------------ building
    def _check(self, n_layers: int, n_heads: int, threshold: float) -> None:
        if (n_layers, n_heads, threshold) != (self.n_layers, self.n_heads, self.threshold):
            raise ValueError(
                f"counts of a {n_layers}x{n_heads} model at θ={threshold} cannot join a tally "
                f"of a {self.n_layers}x{self.n_heads} model at θ={self.threshold}"
            )

    def add(self, definition: str, counter: ChainCounter) -> None:
        """Add one chain's closed counter, counted under ``definition``.

        Raises
        ------
        ValueError
            If the counter is open, or of another size, θ or definition.
        """
        check_definition(definition)
        spec = counter.spec
        if not counter.closed:
            raise ValueError("close the chain's counter before adding it")
        self._check(spec.n_layers, spec.n_heads, float(spec.threshold))
        if spec.definition != definition:
            raise ValueError(f"the chain was counted under {spec.definition!r}, not {definition!r}")
        sums = self._sums.setdefault(definition, {})
        self._chains[definition] = self._chains.get(definition, 0) + 1
        for name, counts in counter.counts.items():
            one = _Sums(self.n_layers, self.n_heads)
            one.n_arcs[...] = counts.n_arcs
            one.hits[...] = counts.hits
            one.mass[...] = _fixed(counts.mass)
            one.mass_on[...] = _fixed(counts.mass_on)
            one.background_hits = int(counts.background_hits)
            one.background_pairs = int(counts.background_pairs)
            one.n_chains = 1
            sums.setdefault(name, _Sums(self.n_layers, self.n_heads)).add(one)

    def merge(self, other: Tally) -> Tally:
        """Add ``other``'s counts to this tally (in place); returns this tally.

        Nothing is added if any sum would overflow (OverflowError).
        """
        self._check(other.n_layers, other.n_heads, other.threshold)
        for definition, properties in other._sums.items():
            for name, sums in properties.items():
                held = self._sums.get(definition, {}).get(name)
                if held is not None:
                    held.check_add(sums)
        for definition, count in other._chains.items():
            self._chains[definition] = self._chains.get(definition, 0) + count
        for definition, properties in other._sums.items():
            mine = self._sums.setdefault(definition, {})
            for name, sums in properties.items():
                mine.setdefault(name, _Sums(self.n_layers, self.n_heads)).add(sums)
        return self

    @classmethod
    def merged(cls, tallies: Iterable[Tally]) -> Tally:
        """The sum of ``tallies`` (at least one)."""
        tallies = list(tallies)
        if not tallies:
            raise ValueError("merge at least one tally")
        first = tallies[0]
        total = cls(first.n_layers, first.n_heads, first.threshold)
        for tally in tallies:
            total.merge(tally)
        return total

    # ------------------------------------------------------------------ reading
    @property
    def definitions(self) -> tuple[str, ...]:
        """Definitions with chains, in the order they were first added."""
        return tuple(self._chains)

    def properties(self, definition: str) -> tuple[str, ...]:
        """Properties counted under ``definition``, in order of first appearance."""
        return tuple(self._sums.get(definition, {}))

    def n_chains(self, definition: str) -> int:
        """Chains counted under ``definition``."""
        return self._chains.get(definition, 0)

    def statistics(
        self, definition: str, min_arcs: int = DEFAULT_MIN_ARCS, alpha: float = 0.05
    ) -> HeadStatistics:
        """Shares, intervals and tests of ``definition``'s counts
        (:meth:`HeadStatsAccumulator.result`)."""
        check_definition(definition)
        accumulator = HeadStatsAccumulator.from_counts(
            self.n_layers,
            self.n_heads,
            self.threshold,
            definition,
            self.n_chains(definition),
            {name: sums.counts() for name, sums in self._sums.get(definition, {}).items()},
        )
        return accumulator.result(min_arcs=min_arcs, alpha=alpha)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tally):
            return NotImplemented
        if (self.n_layers, self.n_heads, self.threshold, self._chains) != (
            other.n_layers,
            other.n_heads,
            other.threshold,
            other._chains,
        ):
            return False
        if {d: set(p) for d, p in self._sums.items()} != {
            d: set(p) for d, p in other._sums.items()
        }:
            return False
        return all(
            sums.equals(other._sums[d][name])
            for d, properties in self._sums.items()
            for name, sums in properties.items()
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        chains = ", ".join(f"{d}: {n}" for d, n in self._chains.items()) or "none"
        return f"Tally({self.n_layers}x{self.n_heads}, θ={self.threshold}, chains {chains})"

    # ------------------------------------------------------------------ files
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tally as named arrays (an ``.npz``): a JSON header and one array per sum."""
        header: dict[str, Any] = {
            "version": 1,
            "n_layers": self.n_layers,
            "n_heads": self.n_heads,
            "threshold": self.threshold,
            "chains": self._chains,
            "properties": {},
        }
        arrays: dict[str, np.ndarray] = {}
        for d, properties in self._sums.items():
            header["properties"][d] = {}
            for i, (name, sums) in enumerate(properties.items()):
                header["properties"][d][name] = {
                    "index": i,
                    "background_hits": sums.background_hits,
                    "background_pairs": sums.background_pairs,
                    "n_chains": sums.n_chains,
                }
                for f in _FIELDS:
                    arrays[f"{d}/{i}/{f}"] = getattr(sums, f)
        arrays["header"] = np.array(json.dumps(header))
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> Tally:
        """The tally :meth:`to_arrays` wrote.

        Raises
        ------
        ValueError
            If the arrays are not a tally of this version (damaged, another format).
        """
        try:
            header = json.loads(str(arrays["header"]))
            if header.get("version") != 1:
                raise ValueError(f"a tally of version {header.get('version')!r}")
            tally = cls(header["n_layers"], header["n_heads"], header["threshold"])
            tally._chains = {str(d): int(n) for d, n in header["chains"].items()}
            shape = (tally.n_layers, tally.n_heads)
            for d, properties in header["properties"].items():
                check_definition(d)
                sums_of = tally._sums.setdefault(d, {})
                for name, meta in properties.items():
                    sums = _Sums(*shape)
                    for f in _FIELDS:
                        value = np.asarray(arrays[f"{d}/{meta['index']}/{f}"])
                        if value.shape != shape or value.dtype != np.int64:
                            raise ValueError(f"{d} {name} {f} is not int64 of shape {shape}")
                        setattr(sums, f, value.copy())
                    sums.background_hits = int(meta["background_hits"])
                    sums.background_pairs = int(meta["background_pairs"])
                    sums.n_chains = int(meta["n_chains"])
                    sums_of[str(name)] = sums
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as e:
            raise ValueError(f"not a tally: {e}") from e
        return tally

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tally to ``path`` (``.npz``) atomically: a reader sees the old file
        or the whole new one, never a part."""
        return save_arrays(path, self.to_arrays())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tally:
        """The tally saved at ``path``; ValueError if it is damaged or not a tally."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                return cls.from_arrays(arrays)
        except (OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path} is not a readable tally: {e}") from e
