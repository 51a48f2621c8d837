"""Attention for chains as analyses need it: streamed once, kept compact, cached.

Every analysis asks this module, which runs the model at most once per (model,
revision, sequence, windowing options) for what a cache entry answers:

- :func:`compact_attention` gives the :class:`~protattn.lm.compact.CompactAttention`
  of a run, from this process's memory, the disk cache (:mod:`protattn.lm.cache`) or a
  streamed pass (:func:`protattn.lm.stream.run_chain`), and files it there: changing
  head, aggregate, threshold (down to :data:`~protattn.lm.compact.FLOOR`), colouring or
  contact scores never re-runs the model;
- :func:`stream_chain` runs the pass with more consumers (per-head statistics, whole
  head maps, contact scores of chosen heads) when a question needs the weights below
  the floor, and files the compact attention it built on the way;
- :func:`head_maps` gives whole maps of chosen heads (kept for the session), for
  thresholds below the floor and ``mean`` symmetrisation;
- :func:`chain_attention` gives the dense array of every layer and head: the
  expensive call, for the Python API only (``layers × heads × L × L`` float32; never
  cached on disk nor sent by a worker).

Thresholds are always decided on the model's float32 values, whether an answer
came from the cache or from a new pass.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from .cache import AttentionCache, CacheWarning, cache_key
from .compact import CompactAttention
from .contract import Model, StreamRequest, StreamResult
from .heads import HeadSpec
from .masks import PropertyMask
from .registry import LINKER
from .windows import covered_pairs

__all__ = [
    "run_note",
    "ChainAttention",
    "clear_memory",
    "chain_attention_key",
    "stream_chain",
    "compact_attention",
    "cached_compact_attention",
    "head_maps",
    "chain_counts",
    "chain_attention",
]

_MEMORY: OrderedDict[str, CompactAttention] = OrderedDict()
_DENSE: OrderedDict[str, ChainAttention] = OrderedDict()
_MAPS: OrderedDict[tuple[str, HeadSpec], np.ndarray] = OrderedDict()
#: Compact attention kept in memory for the session, in bytes (the latest is always kept).
MEMORY_BUDGET = 1024**3
#: Dense attention (:func:`chain_attention`) and whole head maps kept, in bytes.
DENSE_BUDGET = 2 * 1024**3
MAPS_BUDGET = 256 * 1024**2
_MEMORY_LOCK = threading.Lock()  # a GUI's worker thread and the command line may both ask


def run_note(lengths: Sequence[int], windows: Sequence[tuple[int, int]]) -> str:
    """What a user should know about how a run's attention was obtained ('' if nothing)."""
    notes = []
    if len(lengths) > 1:
        notes.append(
            f"{len(lengths)} chains run concatenated ({'+'.join(map(str, lengths))} residues)"
        )
    if len(windows) > 1:
        size = max(e - s for s, e in windows)
        covered = covered_pairs(sum(lengths), windows)
        assert covered is not None  # None only for a single window
        notes.append(
            f"{len(windows)} overlapping windows of {size} residues (attention averaged "
            f"where they overlap; {int((~covered).sum()) // 2} pairs further apart "
            "than a window are not covered)"
        )
    return "; ".join(notes)


@dataclass(frozen=True)
class ChainAttention:
    """Attention over the residues of one chain, or of chains run concatenated (dense).

    Attributes
    ----------
    attention : numpy.ndarray
        ``shape=(layers, heads, L, L), dtype=float32``; ``NaN`` where no window
        holds both residues (see :mod:`protattn.lm.windows`).
    lengths : tuple of int
        Residues of each chain (one entry unless chains were concatenated).
    windows : tuple of (int, int)
        Residue ranges run as one pass; ``((0, L),)`` when the chain fits.
    from_cache : bool
        Whether it came from this process's memory (dense attention is never on disk).
    key : str
        The cache key its compact attention is filed under (:func:`chain_attention_key`).
    """

    attention: np.ndarray
    lengths: tuple[int, ...]
    windows: tuple[tuple[int, int], ...]
    from_cache: bool = False
    key: str = ""

    @property
    def windowed(self) -> bool:
        return len(self.windows) > 1

    @property
    def covered(self) -> np.ndarray:
        """Pairs seen together by the model, ``shape=(L, L), dtype=bool``."""
        return ~np.isnan(self.attention[0, 0])

    def note(self) -> str:
        """What a user should know about how this attention was obtained ('' if nothing)."""
        return run_note(self.lengths, self.windows)


def clear_memory() -> None:
    """Forget the attention kept in memory (the disk cache is untouched)."""
    with _MEMORY_LOCK:
        _MEMORY.clear()
        _DENSE.clear()
        _MAPS.clear()


def _options_and_key(
    lm: Model, sequences: Sequence[str], window: int | None, stride: int | None
) -> tuple[dict, str]:
    """The windowing options a run uses and its cache key; checks the window against the limit."""
    total = sum(len(s) for s in sequences)
    limit = lm.max_residues
    if window is not None and limit is not None and window > limit:
        raise ModelError(
            f"a window of {window} residues is larger than {lm.name}'s limit of "
            f"{limit}; use window={limit} or less"
        )
    if window is None and limit is not None and len(sequences) == 1 and total > limit:
        window = limit
    windowed = len(sequences) == 1 and window is not None and total > window
    if len(sequences) > 1 and window is not None and total > window:
        raise ModelError(
            "windows and concatenated chains cannot be combined; run long chains one by one"
        )
    options = {
        "window": window if windowed else None,
        "stride": (
            (stride or max(1, window // 2)) if windowed and window is not None else None
        ),  # windowed: it is not
        "joined_by": (lm.family.separator or LINKER) if len(sequences) > 1 else None,
        "device": lm.device,
        "dtype": lm.dtype,
    }
    return options, cache_key(lm.model_id, lm.revision, "/".join(sequences), options)


def chain_attention_key(
    lm: Model, sequences: str | Sequence[str], window: int | None = None, stride: int | None = None
) -> str:
    """The cache key the compact attention of this run is filed under.

    Parameters
    ----------
    lm : Model
    sequences : str or sequence of str
    window, stride : int, optional
        As given to :func:`compact_attention`.

    Returns
    -------
    str
        See :func:`protattn.lm.cache.cache_key`.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    return _options_and_key(lm, sequences, window, stride)[1]


def _store(cache: AttentionCache | bool) -> AttentionCache | None:
    return AttentionCache() if cache is True else (cache or None)


def _file(store: AttentionCache | None, compact: CompactAttention, meta: dict) -> None:
    """Write a compact attention to the disk cache; a full or read-only disk only warns."""
    if store is None:
        return
    try:
        store.put(compact.key, compact.arrays(), meta)
    except OSError as e:  # a full or read-only disk must not fail the analysis
        warnings.warn(f"attention not cached in {store.directory}: {e}", CacheWarning, stacklevel=3)


def _remember(compact: CompactAttention) -> None:
    with _MEMORY_LOCK:
        _MEMORY[compact.key] = compact
        _MEMORY.move_to_end(compact.key)
        while len(_MEMORY) > 1 and sum(a.nbytes for a in _MEMORY.values()) > MEMORY_BUDGET:
            _MEMORY.popitem(last=False)


def _cached(
    key: str, store: AttentionCache | None, lengths: tuple[int, ...], memory: bool
) -> CompactAttention | None:
    """The compact attention filed under ``key`` in this process's memory or in ``store``."""
    with _MEMORY_LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return _MEMORY[key]
    found = store.get(key) if store is not None else None
    if found is None:
        return None
    try:
        result = CompactAttention.from_arrays(found, key, from_cache=True)
    except ValueError:  # written by another version under this format number: recompute
        return None
    if result.lengths != lengths:
        return None
    if memory:
        _remember(result)
    return result


def stream_chain(
    lm: Model,
    sequences: str | Sequence[str],
    window: int | None = None,
    stride: int | None = None,
    request: StreamRequest | None = None,
    cache: AttentionCache | bool = True,
    memory: bool = True,
) -> StreamResult:
    """Run the model once over one input for ``request``, and file its compact attention.

    Parameters
    ----------
    lm : Model
        A model loaded here, or one a worker runs (which then streams, and writes the
        compact attention to the same cache).
    sequences : str or sequence of str
        One chain's sequence, or several run concatenated.
    window, stride : int, optional
        As for :func:`compact_attention`.
    request : StreamRequest, optional
        What to compute beside the compact attention (nothing by default).
    cache : AttentionCache or bool
        Where the compact attention is filed (``True``: the default cache).
    memory : bool
        Keep the compact attention in this process's memory.

    Returns
    -------
    StreamResult
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    request = request or StreamRequest()
    options, key = _options_and_key(lm, sequences, window, stride)
    store = _store(cache)
    # a model here only runs; one in a worker files the entry itself (result.filed):
    # either way it is filed once, under the key this host expects
    result = lm.stream(sequences, options["window"], options["stride"], request, store, key)
    compact = result.compact
    if not result.filed and _cached(key, store, compact.lengths, memory=False) is None:
        _file(
            store,
            compact,
            {
                "model_id": lm.model_id,
                "revision": lm.revision,
                "length": compact.length,
                "options": options,
            },
        )
    if memory:
        _remember(result.compact)
    return result


def compact_attention(
    lm: Model,
    sequences: str | Sequence[str],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
    memory: bool = True,
) -> CompactAttention:
    """The compact attention of one chain, or of several chains run as one input.

    Parameters
    ----------
    lm : Model
        A model loaded here, or one a worker runs (:func:`protattn.compute.backend.get_model`).
    sequences : str or sequence of str
        One chain's sequence; several are concatenated with the family's
        separator token or :data:`protattn.lm.registry.LINKER`, and the attention is
        over their residues only, in order.
    window : int, optional
        Run a longer chain as overlapping windows of this many residues. By
        default a chain longer than the model's limit is windowed at that limit
        and one that fits runs in one pass.
    stride : int, optional
        Residues between window starts (default half the window).
    cache : AttentionCache or bool
        The disk cache to use; ``True`` for the default one (``PROTATTN_CACHE`` or
        the user cache directory), ``False`` for none.
    memory : bool
        Keep the result in this process's memory for the session (a worker does
        not: its host keeps what it reads).

    Returns
    -------
    CompactAttention

    Raises
    ------
    ModelError
        If a window is larger than the model's limit, or concatenated chains do not fit.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    _, key = _options_and_key(lm, sequences, window, stride)
    found = _cached(key, _store(cache), tuple(len(s) for s in sequences), memory)
    if found is not None:
        return found
    return stream_chain(lm, sequences, window, stride, StreamRequest(), cache, memory).compact


def cached_compact_attention(
    lm: Model,
    sequences: str | Sequence[str],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
    memory: bool = True,
) -> CompactAttention | None:
    """The compact attention :func:`compact_attention` would return, if no model must run.

    Parameters
    ----------
    lm, sequences, window, stride, cache
        As for :func:`compact_attention`.
    memory : bool
        Keep what the disk cache gave in this process's memory (a worker does not).

    Returns
    -------
    CompactAttention or None
        From this process's memory or the disk cache; None if the model would
        have to run.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    _, key = _options_and_key(lm, sequences, window, stride)
    return _cached(key, _store(cache), tuple(len(s) for s in sequences), memory)


def head_maps(
    lm: Model,
    sequences: str | Sequence[str],
    specs: Sequence[HeadSpec],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
) -> dict[HeadSpec, np.ndarray]:
    """Whole maps of chosen heads or aggregates, every weight included.

    What the compact attention does not keep (weights below its floor) comes from
    one more pass, which keeps only these maps; they are remembered for the session.

    Returns
    -------
    dict of HeadSpec to numpy.ndarray
        ``shape=(L, L), dtype=float32``; ``NaN`` where no window held both residues.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    _, key = _options_and_key(lm, sequences, window, stride)
    with _MEMORY_LOCK:
        found = {s: _MAPS[(key, s)] for s in specs if (key, s) in _MAPS}
    missing = tuple(dict.fromkeys(s for s in specs if s not in found))
    if missing:
        result = stream_chain(
            lm, sequences, window, stride, StreamRequest(head_maps=missing), cache
        )
        with _MEMORY_LOCK:
            for spec, one in result.head_maps.items():
                _MAPS[(key, spec)] = one
                found[spec] = one
            while len(_MAPS) > 1 and sum(m.nbytes for m in _MAPS.values()) > MAPS_BUDGET:
                _MAPS.popitem(last=False)
    return {s: found[s] for s in specs}


def chain_counts(
    lm: Model,
    sequences: str | Sequence[str],
    definition: str,
    threshold: float,
    masks: Mapping[str, PropertyMask],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
) -> dict:
    """Per-head statistics counts of one chain, from one streamed pass.

    Returns
    -------
    dict
        :meth:`protattn.lm.counts.ChainCounter.to_message` of the chain.
    """
    result = stream_chain(
        lm,
        sequences,
        window,
        stride,
        StreamRequest(counts=(definition, threshold, dict(masks))),
        cache,
    )
    assert result.counts is not None  # every model's pass fills what the request asks
    return result.counts


def chain_attention(
    lm: Model,
    sequences: str | Sequence[str],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
    memory: bool = True,
) -> ChainAttention:
    """The dense attention of every layer and head: the expensive call.

    Every other question (pairs, residue scores, statistics, contacts) is answered
    from :func:`compact_attention` or a streamed pass; this one keeps
    ``layers × heads × L × L`` float32 (for ESM-2 650M at 1,000 residues, 2.6 GB).
    It is kept in this process's memory for the session, never on disk; the pass
    also files the run's compact attention.

    Parameters
    ----------
    lm : Model
        A model loaded in this process (one in a worker refuses: it never sends dense
        attention).
    sequences, window, stride
        As for :func:`compact_attention`.
    cache : AttentionCache or bool
        Where the run's compact attention is filed.
    memory : bool
        Keep the dense array in this process's memory.

    Returns
    -------
    ChainAttention

    Raises
    ------
    ModelError
        For a model run by a worker, or as :func:`compact_attention`.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    _, key = _options_and_key(lm, sequences, window, stride)
    with _MEMORY_LOCK:
        if key in _DENSE:
            _DENSE.move_to_end(key)
            found = _DENSE[key]
            return ChainAttention(found.attention, found.lengths, found.windows, True, key)
    result = stream_chain(lm, sequences, window, stride, StreamRequest(dense=True), cache)
    assert result.attention is not None  # a pass asked for dense attention keeps it
    dense = ChainAttention(
        result.attention, result.compact.lengths, result.compact.window_ranges, key=key
    )
    if memory:
        with _MEMORY_LOCK:
            _DENSE[key] = dense
            while (
                len(_DENSE) > 1 and sum(a.attention.nbytes for a in _DENSE.values()) > DENSE_BUDGET
            ):
                _DENSE.popitem(last=False)
    return dense
