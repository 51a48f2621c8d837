"""Per-head statistics counts of many chains, in padded batches of similar length.

:func:`batch_counts` gives, for each :class:`CountJob` (a chain and its property masks
under one or both definitions), the counts :func:`protattn.lm.inference.chain_counts`
gives for that chain alone, from far fewer passes: chains are sorted by length and
grouped (:func:`buckets`) into batches within a memory budget, none padded by more
than a tenth of its longest input; each batch is one padded forward pass
(:func:`protattn.lm.stream.run_padded`), and every layer is cut into each chain's
residues and counted at once, for every definition of every job of that chain, by the
consumers :func:`protattn.lm.stream.count_consumer` builds (as for
:func:`~protattn.lm.stream.run_chain`). A chain thus needs one pass for both
definitions, and a sequence given by several jobs is run once.

>>> job = CountJob(sequence, {"paper": masks, "judged": judged})   # doctest: +SKIP
>>> paper, judged = batch_counts(lm, [job], 0.3)[0].values()       # doctest: +SKIP

Counts only: no compact attention is built or cached, and nothing is remembered; a
chain longer than one pass is refused (count it alone with ``chain_counts``, which
windows it). Arcs, hits and backgrounds equal those of one chain at a time; weight
sums agree to within float32 rounding (the batch's products are summed in another
order, and the layer is summed by another consumer than the one-chain pass uses).

The budget
----------
``max_tokens`` bounds the tokens of a padded batch: its chains times its longest
input's tokens (residues and special tokens), ``B × T <= max_tokens``. One layer's
attention of a batch, ``B × heads × T × T`` float32, is then at most
``max_tokens × heads × T × 4`` bytes: for AntiBERTy (8 heads, ``T <= 512``) and the
default :data:`DEFAULT_MAX_TOKENS` at most 128 MiB, 29 MiB for a batch of antibody
chains of 120 residues (the :data:`DEFAULT_MAX_BATCH` cap); while a layer runs, eager
attention holds two or three tensors of that size (scores, masked scores, weights).
For a model of more heads or longer inputs (ESM-2 650M: 20 heads, ``T <= 1024``,
at most 640 MiB) give a smaller ``max_tokens`` where memory is short. The counters of
a batch add about ``6 × N²`` bytes per chain and definition (``N`` its residues).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError
from .consumers import LayerConsumer
from .counts import ChainCounter, check_definition, check_masks
from .masks import PropertyMask
from .model import LanguageModel, _out_of_memory
from .stream import count_consumer, run_padded

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_PADDING",
    "CountJob",
    "buckets",
    "batch_counts",
]

#: Tokens of one padded batch, chains × longest input (see the module documentation).
DEFAULT_MAX_TOKENS = 8192
#: Chains in one batch at most.
DEFAULT_MAX_BATCH = 64
#: An input's padding in a batch at most, as a share of the batch's longest input.
DEFAULT_MAX_PADDING = 0.1


@dataclass(frozen=True)
class CountJob:
    """One chain to count, under one or more definitions.

    Attributes
    ----------
    sequence : str
        One chain's one-letter sequence; it must fit one pass of the model
        (``lm.max_residues``).
    masks : mapping of str to mapping of str to PropertyMask
        Definition (``"paper"``, ``"judged"``) to the chain's properties under it,
        each mask for ``len(sequence)`` residues (as given to
        :func:`protattn.lm.inference.chain_counts`).
    """

    sequence: str
    masks: Mapping[str, Mapping[str, PropertyMask]]


def buckets(
    lengths: Sequence[int],
    max_tokens: int,
    max_batch: int,
    *,
    max_padding: float = DEFAULT_MAX_PADDING,
) -> list[list[int]]:
    """Indices grouped into batches of similar length (sorted by length), each within the budget.

    Longest first (a batch too large for the device fails at once, not after the
    others): the indices sorted by length, then cut greedily into batches of at most
    ``max_batch`` whose size times their longest length is at most ``max_tokens``, and
    whose shortest is at least ``1 - max_padding`` of their longest. Padding is work
    thrown away: on a CPU a batch's pass costs about what its chains' own passes cost
    together, plus its padding (for AntiBERTy on 100 chains of 20-510 residues, 0.9x
    their own passes' time with at most 10% padding, 1.2x with at most 20%), so the
    default keeps it small; on a GPU larger batches gain more. A length above
    ``max_tokens`` is a batch of its own.

    Parameters
    ----------
    lengths : sequence of int
        Each input's cost, for :func:`batch_counts` its tokens.
    max_tokens : int
        The budget of one batch: ``len(batch) * max(length) <= max_tokens``.
    max_batch : int
        Inputs of one batch at most.
    max_padding : float
        The largest share of a batch's longest length an input may be padded by, from
        0 (equal lengths only) to 1 (the budget alone decides).

    Returns
    -------
    list of list of int
        Every index once; within a batch longest first, ties in the order given.

    Raises
    ------
    ValueError
        If the budget or the batch size is below 1, ``max_padding`` outside 0-1, or a
        length negative.

    Examples
    --------
    >>> buckets([100, 95, 120, 35, 90, 33], max_tokens=250, max_batch=8)
    [[2], [0, 1], [4], [3, 5]]
    >>> buckets([100, 95, 120, 35, 90, 33], max_tokens=250, max_batch=8, max_padding=1)
    [[2, 0], [1, 4], [3, 5]]
    >>> buckets([10, 10, 10], max_tokens=1000, max_batch=2)
    [[0, 1], [2]]
    >>> buckets([], 100, 4)
    []
    """
    if int(max_tokens) < 1 or int(max_batch) < 1:
        raise ValueError(
            f"max_tokens and max_batch must be at least 1, not {max_tokens} and {max_batch}"
        )
    if not 0 <= max_padding <= 1:
        raise ValueError(f"max_padding must be from 0 to 1, not {max_padding}")
    sizes = [int(n) for n in lengths]
    if any(n < 0 for n in sizes):
        raise ValueError(f"lengths must not be negative, not {min(sizes)}")
    order = sorted(range(len(sizes)), key=lambda k: -sizes[k])  # stable: ties as given
    batches: list[list[int]] = []
    longest = 0
    for k in order:
        batch = batches[-1] if batches else None
        if (
            batch is None
            or len(batch) >= max_batch
            or (len(batch) + 1) * longest > max_tokens
            or sizes[k] < (1 - max_padding) * longest
        ):
            batches.append([k])
            longest = sizes[k]  # the first of a batch is its longest
        else:
            batch.append(k)
    return batches


def _checked(lm: LanguageModel, jobs: Sequence[CountJob]) -> list[dict[str, dict]]:
    """Every job's masks per definition, checked before any pass runs.

    Raises
    ------
    ValueError
        For a chain longer than one pass, an unknown definition or a mask for another
        number of residues (the job named).
    ModelError
        For an empty sequence.
    """
    checked = []
    limit = lm.max_residues
    for k, job in enumerate(jobs):
        n = len(job.sequence)
        shown = job.sequence if n <= 20 else f"{job.sequence[:20]}..."
        if limit is not None and n > limit:
            raise ValueError(
                f"job {k}: the chain {shown} has {n} residues, more than {lm.name} takes "
                f"in one pass ({limit}); batches hold single passes: count it alone with "
                "protattn.lm.inference.chain_counts, which runs it as windows"
            )
        if job.masks:
            lm.check_length(n)  # an empty sequence, as chain_counts refuses it
        masks = {}
        for definition, properties in job.masks.items():
            try:
                masks[check_definition(definition)] = check_masks(n, properties)
            except ValueError as e:
                raise ValueError(f"job {k} ({shown}), {definition!r}: {e}") from None
        checked.append(masks)
    return checked


def batch_counts(
    lm: LanguageModel,
    jobs: Sequence[CountJob],
    threshold: float,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    max_batch: int = DEFAULT_MAX_BATCH,
    *,
    max_padding: float = DEFAULT_MAX_PADDING,
) -> list[dict[str, dict]]:
    """Per-head statistics counts of many chains, from padded batches of similar length.

    For each job (in the order given), for each definition in its masks: the counts
    message (:meth:`~protattn.lm.counts.ChainCounter.to_message`) equal to what
    ``protattn.lm.inference.chain_counts(lm, job.sequence, definition, threshold,
    job.masks[definition], cache=False)`` gives for that chain alone: arcs, hits and
    backgrounds the same, weight sums within float32 rounding (see the module
    documentation). One padded pass per batch serves every job in it and every
    definition of each job; jobs of the same sequence share its place in a batch.

    Counts only: no compact attention is built, nothing is cached or remembered. For
    a model whose family cannot pad (:attr:`~protattn.lm.model.LanguageModel.pads`:
    an ``auto`` architecture) every batch holds one chain, so the counts are still
    right, from one pass a chain.

    Parameters
    ----------
    lm : LanguageModel
        A model loaded in this process.
    jobs : sequence of CountJob
        The chains; each must fit one pass (longer ones: ``chain_counts``, windowed).
    threshold : float
        θ of both definitions.
    max_tokens : int
        The tokens of one padded batch at most: chains times the longest input's
        tokens (residues and special tokens), which bounds one layer's attention of a
        batch by ``max_tokens × heads × T`` float32 (for AntiBERTy at most 128 MiB by
        default; see the module documentation). A chain above it runs alone.
    max_batch : int
        Chains in one batch at most.
    max_padding : float
        A chain's padding at most, as a share of its batch's longest input
        (:func:`buckets`); 1 lets the budget alone decide.

    Returns
    -------
    list of dict of str to dict
        One dict per job, definition to counts message, in the order of its masks
        (empty for a job without masks).

    Raises
    ------
    ValueError
        For a sequence longer than ``lm.max_residues`` (named, with its job), an
        unknown definition, a mask for another number of residues, or options out of
        range (:func:`buckets`); all checked before any pass runs.
    ModelError
        For an empty sequence, or a pass or its counters out of memory (with what to
        change).
    """
    buckets([], max_tokens, max_batch, max_padding=max_padding)  # the options, checked
    checked = _checked(lm, jobs)
    results: list[dict[str, dict]] = [{} for _ in jobs]
    # one place in a batch per distinct sequence, for every job of it
    chains: dict[str, list[int]] = {}
    for k, job in enumerate(jobs):
        if checked[k]:
            chains.setdefault(job.sequence, []).append(k)
    sequences = list(chains)
    plan = buckets(
        [len(s) + lm.n_added for s in sequences],  # one token per residue, checked by tokenize
        max_tokens,
        max_batch if lm.pads else 1,
        max_padding=max_padding,
    )
    for batch in plan:
        counters: list[tuple[int, str, ChainCounter]] = []
        consumers: list[list[LayerConsumer]] = []
        try:
            for c in batch:
                mine: list[LayerConsumer] = []
                for k in chains[sequences[c]]:
                    for definition, masks in checked[k].items():
                        counter, consumer = count_consumer(
                            lm, len(sequences[c]), definition, threshold, masks
                        )
                        counters.append((k, definition, counter))
                        mine.append(consumer)
                consumers.append(mine)
            run_padded(lm, [sequences[c] for c in batch], consumers)
        except (MemoryError, RuntimeError) as e:  # the counters' arrays; the pass says its own
            if not _out_of_memory(e):
                raise
            raise ModelError(_short_of_memory(lm, [sequences[c] for c in batch])) from e
        for k, definition, counter in counters:
            counter.close()
            results[k][definition] = counter.to_message()
    return results


def _short_of_memory(lm: Any, sequences: Sequence[str]) -> str:
    longest = max(map(len, sequences))
    return (
        f"{lm.name} ran out of memory counting a batch of {len(sequences)} chains of up to "
        f"{longest} residues on {lm.device}: give batch_counts a smaller max_tokens "
        "(or max_batch), or use another device"
    )
