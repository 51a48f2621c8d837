"""Per-head agreement of attention with a property of residue pairs, over a set of chains.

For a head α, a property ``f`` and the high-confidence threshold θ (0.3), the
share of the head's high-confidence attention that lands on the property,

    p_α(f) = Σ_x Σ_ij f(i,j)·1[α_ij ≥ θ] / Σ_x Σ_ij 1[α_ij ≥ θ]

(Vig et al. 2021, eq. 1), summed over the chains ``x`` of a set, against the
background frequency of ``f``. A property is either of the pair (``f(i,j) =
contact[i,j]``) or of the attended residue (``f(i,j) = g(j)``: binding site,
secondary structure, amino acid; rows of the attention are the attending
residues ``i``). Counts are summed over the set first; shares, intervals and
tests are computed once at the end. Two definitions differ in which pairs and
which rules they use (:data:`DEFINITIONS`):

``"paper"`` (the default): the paper's own analysis code (salesforce/provis,
``compute_edge_features.py``, ``background.py``, ``report_top_heads.py``,
``report_edge_features_combined.py``), rule for rule, so that a share can be set
beside the paper's figures:

- ``n_arcs = Σ 1[α_ij ≥ θ]`` over *every* pair of the chain: the diagonal,
  ``|i − j| < 6`` and unobserved residues included (``≥``, compared in the
  attention's own precision as PyTorch's ``attn >= 0.3`` is);
- ``hits = Σ f(i,j)·1[α_ij ≥ θ]``; ``f`` is false wherever the property is not
  judged (a contact needs ``|i − j| ≥ 6`` and both residues observed);
- ``background``: a pair property's frequency over the pairs it is judged on
  (the paper's contact background, over ProteinNet's valid pairs); a residue
  property's frequency over the residues (the paper's binding-site background
  is a per-residue count);
- ``enough_arcs = n_arcs > min_arcs`` (more than 100 arcs): heads kept in rankings
  and counted by the Bonferroni correction;
- ``ci_low, ci_high``: normal (Wald) interval of ``share``, clipped to [0, 1], at
  level ``1 − alpha / m``, ``m`` the number of heads with ``enough_arcs``
  (statsmodels' ``proportion_confint(method="normal")``);
- ``z, p_value``: ``proportions_ztest([background_hits, hits],
  [background_pairs, n_arcs])``: background minus head, so a head that favours
  the property has a *negative* z, as in the paper's code;
- ties in a ranking go to the higher layer, then the higher head (the paper
  sorts ``(share, layer, head)`` tuples in reverse);
- layer profile: the mean share of the layer's heads with ``n_arcs ≥ min_arcs``
  (the paper's combined figure masks heads below 100 arcs), and its centre of
  gravity ``Σ_l l·w_l / Σ_l w_l``, here 1-based (the paper's code counts layers
  from 0: its value is this one minus 1).

What :func:`protattn.api.stats.head_statistics` adds for this definition: chains
are truncated to the model's limit as the paper's code truncates them (510
residues, 512 tokens less two special tokens) instead of windowed. What differs
from the paper by necessity: the background is counted over the chains analysed,
not over a whole training set.

``"judged"``: share and background judged on the same pairs, the pairs on which
the property is defined:

- considered pairs of a chain: ``valid[i,j]`` (the property's own mask, all pairs
  if not given) and the attention of ``(i,j)`` finite in every layer and head
  (``NaN`` = not covered by any window; a pair uncovered anywhere is dropped for
  every head, so every head and the background are judged on the same pairs);
- ``n_arcs = Σ 1[α_ij > θ]`` over considered pairs (strictly greater; a weight
  equal to θ is a tie and does not count), ``hits = Σ f(i,j)·1[α_ij > θ]``;
- ``background = Σ f(i,j) / N`` over the ``N = background_pairs`` considered pairs
  (for a residue property, the pair-weighted frequency of ``g(j)``);
- ``enough_arcs = n_arcs >= min_arcs``;
- ``ci_low, ci_high``: Wilson score interval of ``share`` at level ``1 − α'``,
  Bonferroni-corrected over every head of the model, ``α' = alpha / (layers·heads)``
  (:func:`wilson_interval`; statsmodels' ``proportion_confint(method="wilson")``);
- ``z, p_value``: two-sided two-proportion z-test of head minus background
  with pooled variance (:func:`two_proportion_z`; ``proportions_ztest``). The
  head's arcs are themselves among the background pairs, so the two samples
  overlap: read ``z`` as a standardised effect size more than as an exact test;
- layer profile and centre of gravity: from the attention-weighted share
  (``weighted_share``) of every head.

In both, ``share = hits / n_arcs`` (NaN when ``n_arcs = 0``), ``weighted_share =
Σ f(i,j)·α_ij / Σ α_ij`` (no threshold) over the pairs counted, and ``p_value``
is not corrected: compare it with :attr:`PropertyStats.alpha_per_head`.

Attention is consumed one layer at a time and, within it, one head at a time
in its own precision (never a copy of the whole array), so
:meth:`HeadStatsAccumulator.add` needs a few ``(L, L)`` buffers beyond its input,
whatever the number of layers; :meth:`HeadStatsAccumulator.chain` takes the layers
as a forward pass computes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import numpy as np

from ..lm.counts import (
    DEFAULT_DEFINITION,
    DEFAULT_MIN_ARCS,
    DEFAULT_THRESHOLD,
    ChainCounter,
    Counts,
    check_definition,
    check_masks,
    finite,
)
from ..lm.masks import PropertyMask
from .intervals import two_proportion_z, wald_interval, wilson_interval
from .results import HeadStatistics, PropertyStats

__all__ = [
    "HeadStatsAccumulator",
]


class HeadStatsAccumulator:
    """Sums the counts of :class:`HeadStatistics` over the chains of a set.

    Parameters
    ----------
    n_layers, n_heads : int
        Size of the model.
    threshold : float
        θ (the paper's 0.3): arcs with attention of at least θ count under the
        paper's definition, strictly above it under ``"judged"``.
    definition : {"paper", "judged"}
        Which pairs and rules (see the module documentation).

    Examples
    --------
    >>> acc = HeadStatsAccumulator(1, 1)
    >>> att = np.array([[[[0.5, 0.5], [0.9, 0.1]]]], dtype=np.float32)
    >>> acc.add(att, {"A": PropertyMask.residue(np.array([True, False]))})
    >>> stats = acc.result(min_arcs=1)
    >>> int(stats["A"].n_arcs[0, 0]), int(stats["A"].hits[0, 0]), float(stats["A"].share[0, 0])
    (3, 2, 0.6666666666666666)
    """

    def __init__(
        self,
        n_layers: int,
        n_heads: int,
        threshold: float = DEFAULT_THRESHOLD,
        definition: str = DEFAULT_DEFINITION,
    ) -> None:
        if int(n_layers) < 1 or int(n_heads) < 1:
            raise ValueError(
                f"a model has at least one layer and one head, not {n_layers} x {n_heads}"
            )
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, not {threshold!r}")
        self.n_layers = int(n_layers)
        self.n_heads = int(n_heads)
        self.threshold = float(threshold)
        self.definition = check_definition(definition)
        self.n_chains = 0
        self._counts: dict[str, Counts] = {}

    @classmethod
    def from_counts(
        cls,
        n_layers: int,
        n_heads: int,
        threshold: float,
        definition: str,
        n_chains: int,
        counts: Mapping[str, Counts],
    ) -> HeadStatsAccumulator:
        """An accumulator holding sums made elsewhere (a
        :class:`~protattn.analysis.tally.Tally`): ``counts`` per property, each
        ``(layers, heads)``, over ``n_chains`` chains."""
        accumulator = cls(n_layers, n_heads, threshold, definition)
        shape = (accumulator.n_layers, accumulator.n_heads)
        for name, c in counts.items():
            if c.n_arcs.shape != shape:
                raise ValueError(f"counts of {name!r} are not of shape {shape}")
        accumulator.n_chains = int(n_chains)
        accumulator._counts = dict(counts)
        return accumulator

    @property
    def properties(self) -> tuple[str, ...]:
        """Property names seen so far, in order of first appearance."""
        return tuple(self._counts)

    def add(self, attention: np.ndarray, properties: Mapping[str, PropertyMask]) -> None:
        """Add the counts of one chain.

        Parameters
        ----------
        attention : numpy.ndarray
            ``shape=(layers, heads, L, L)``, floating point (float16/32/64); rows are
            the attending residues. ``NaN`` (not covered) pairs never count. Read one
            head at a time; never copied whole.
        properties : mapping of str to PropertyMask
            The properties of this chain (a bare array is taken as
            ``PropertyMask(values)``). A property missing from a chain simply gets
            no counts from it.
        """
        attention = np.asarray(attention)
        expected = (self.n_layers, self.n_heads)
        if (
            attention.ndim != 4
            or attention.shape[:2] != expected
            or attention.shape[2] != attention.shape[3]
        ):
            raise ValueError(
                f"attention must have shape (layers, heads, L, L) = "
                f"({self.n_layers}, {self.n_heads}, L, L), not {attention.shape}"
            )
        n = attention.shape[-1]
        covered = None
        if self.definition == "judged" and n:
            covered = np.ones((n, n), dtype=bool)
            for layer in attention:
                for head in layer:
                    np.logical_and(covered, finite(head), out=covered)
        self.count(attention, properties, covered)

    def count(
        self,
        attention: np.ndarray,
        properties: Mapping[str, PropertyMask],
        covered: np.ndarray | None = None,
    ) -> ChainCounter:
        """:meth:`add`, returning the chain's closed counter (for :meth:`add_chain` later)."""
        counter = self.chain(attention.shape[-1], properties, covered)
        for li, layer in enumerate(attention):
            counter.add_layer(li, layer)
        counter.close()
        return counter

    def chain(
        self,
        n_residues: int,
        properties: Mapping[str, PropertyMask],
        covered: np.ndarray | None = None,
    ) -> ChainCounter:
        """Count one chain layer by layer, as a forward pass computes its attention.

        Parameters
        ----------
        n_residues : int
            ``L``.
        properties : mapping of str to PropertyMask
            As for :meth:`add`.
        covered : numpy.ndarray, optional
            ``shape=(L, L), dtype=bool``: the pairs every layer and head has
            attention for (``"judged"``: the others are never considered). ``None``:
            every pair (one pass of the model covers them all).

        Returns
        -------
        ChainCounter
            Give it each layer (:meth:`ChainCounter.add_layer`), then
            :meth:`ChainCounter.close`: only then do the chain's counts join the
            accumulator, so a chain whose pass fails midway adds nothing.
        """
        return ChainCounter(
            self,
            int(n_residues),
            check_masks(int(n_residues), properties),
            covered,
            on_close=self.add_chain,
        )

    def add_chain(self, counter: ChainCounter) -> None:
        """Add the counts of a chain counted before (a closed :class:`ChainCounter`).

        The same counter may be added to several accumulators, or again: its counts
        are read, not moved.

        Raises
        ------
        ValueError
            If the counter is not closed, or was made by an accumulator of another
            size, threshold or definition.
        """
        source = counter.spec
        if not counter.closed:
            raise ValueError("close the chain's counter before adding it")
        if (source.n_layers, source.n_heads, source.threshold, source.definition) != (
            self.n_layers,
            self.n_heads,
            self.threshold,
            self.definition,
        ):
            raise ValueError(
                "the chain was counted for another model size, threshold or definition"
            )
        self.n_chains += 1
        for name, local in counter.counts.items():
            counts = self._counts.setdefault(name, Counts(self.n_layers, self.n_heads))
            counts.n_chains += 1
            counts.n_arcs += local.n_arcs
            counts.hits += local.hits
            counts.mass += local.mass
            counts.mass_on += local.mass_on
            counts.background_hits += local.background_hits
            counts.background_pairs += local.background_pairs

    def result(self, min_arcs: int = DEFAULT_MIN_ARCS, alpha: float = 0.05) -> HeadStatistics:
        """Shares, intervals and tests from the counts so far.

        Parameters
        ----------
        min_arcs : int
            Heads with too few high-confidence arcs for a property are flagged
            (``enough_arcs`` False): ``n_arcs <= min_arcs`` under the paper's
            definition (it keeps heads with more than 100), ``n_arcs < min_arcs``
            under ``"judged"``.
        alpha : float
            Family-wise error rate of the intervals: each is at ``1 - alpha / m``,
            ``m`` the heads with enough arcs (paper) or every head (judged).

        Returns
        -------
        HeadStatistics
        """
        if int(min_arcs) != min_arcs or min_arcs < 0:
            raise ValueError(f"min_arcs must be a non-negative integer, not {min_arcs!r}")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
        paper = self.definition == "paper"
        stats = {}
        for name, c in self._counts.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(c.n_arcs > 0, c.hits / c.n_arcs, np.nan)
                weighted = np.where(c.mass > 0, c.mass_on / c.mass, np.nan)
            if paper:
                enough = c.n_arcs > min_arcs
                per_head = alpha / max(int(enough.sum()), 1)
                low, high = wald_interval(c.hits, c.n_arcs, per_head)
                z, p = two_proportion_z(c.background_hits, c.background_pairs, c.hits, c.n_arcs)
            else:
                enough = c.n_arcs >= min_arcs
                per_head = alpha / (self.n_layers * self.n_heads)
                low, high = wilson_interval(c.hits, c.n_arcs, per_head)
                z, p = two_proportion_z(c.hits, c.n_arcs, c.background_hits, c.background_pairs)
            stats[name] = PropertyStats(
                name=name,
                n_arcs=c.n_arcs.copy(),
                hits=c.hits.copy(),
                share=share,
                # the counts are (layers, heads) arrays, so these are never 0-d floats
                weighted_share=weighted,
                ci_low=cast(np.ndarray, low),
                ci_high=cast(np.ndarray, high),
                z=cast(np.ndarray, z),
                p_value=cast(np.ndarray, p),
                enough_arcs=enough,
                attention_mass=c.mass.copy(),
                attention_on_property=c.mass_on.copy(),
                background=(
                    c.background_hits / c.background_pairs if c.background_pairs else math.nan
                ),
                background_hits=c.background_hits,
                background_pairs=c.background_pairs,
                n_chains=c.n_chains,
                alpha_per_head=per_head,
            )
        return HeadStatistics(
            tuple(stats),
            self.n_layers,
            self.n_heads,
            self.threshold,
            int(min_arcs),
            float(alpha),
            self.n_chains,
            stats,
            self.definition,
        )
