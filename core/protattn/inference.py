"""Attention for chains as analyses need it: windowed when long, concatenated for complexes, cached.

:func:`chain_attention` is the one way the rest of protattn gets attention. It
runs the model once per (model, revision, sequence, windowing options) and keeps
the result in memory for the session and on disk (:mod:`protattn.cache`), so
changing head, threshold or colour never re-runs the model. Attention is kept
at the precision the disk cache returns (:func:`protattn.cache.cached_precision`:
weights of at least 0.05 exactly as the model gave them, smaller ones at float16
precision) whether or not it came from the cache, so a result never depends on
whether it was cached, and thresholds are decided on the model's float32 values.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .cache import AttentionCache, CacheWarning, cache_key, cached_precision
from .errors import ModelError
from .models import LINKER, LanguageModel
from .remote import RemoteModel
from .windows import merge_windows, plan_windows

__all__ = ["ChainAttention", "cached_chain_attention", "chain_attention", "chain_attention_key",
           "clear_memory"]

_MEMORY: OrderedDict[str, ChainAttention] = OrderedDict()
#: Attention kept in memory for the session, in bytes (the most recent entry is always kept).
MEMORY_BUDGET = 2 * 1024**3
_MEMORY_LOCK = threading.Lock()  # a GUI's worker thread and the command line may both ask


@dataclass(frozen=True)
class ChainAttention:
    """Attention over the residues of one chain, or of chains run concatenated.

    Attributes
    ----------
    attention : numpy.ndarray
        ``shape=(layers, heads, L, L), dtype=float32``; ``NaN`` where no window
        holds both residues (see :mod:`protattn.windows`).
    lengths : tuple of int
        Residues of each chain (one entry unless chains were concatenated).
    windows : tuple of (int, int)
        Residue ranges run as one pass; ``((0, L),)`` when the chain fits.
    from_cache : bool
    key : str
        The attention cache key it is filed under (:func:`chain_attention_key`).
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
        notes = []
        if len(self.lengths) > 1:
            notes.append(f"{len(self.lengths)} chains run concatenated "
                         f"({'+'.join(map(str, self.lengths))} residues)")
        if self.windowed:
            size = max(e - s for s, e in self.windows)
            notes.append(
                f"{len(self.windows)} overlapping windows of {size} residues (attention averaged "
                f"where they overlap; {int((~self.covered).sum()) // 2} pairs further apart "
                "than a window are not covered)"
            )
        return "; ".join(notes)


def clear_memory() -> None:
    """Forget the attention kept in memory (the disk cache is untouched)."""
    with _MEMORY_LOCK:
        _MEMORY.clear()


def _run(lm: LanguageModel, sequences: Sequence[str], window: int | None,
         stride: int | None) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    if len(sequences) > 1:
        if window is not None:
            raise ModelError("windows and concatenated chains cannot be combined; run long "
                             "chains one by one")
        return lm.segment_attention(sequences), ((0, sum(map(len, sequences))),)
    (sequence,) = sequences
    if window is None or len(sequence) <= window:
        return lm.attention(sequence), ((0, len(sequence)),)
    plan = plan_windows(len(sequence), window, stride or max(1, window // 2))
    attention, _ = merge_windows(
        len(sequence), ((start, lm.attention(sequence[start:end])) for start, end in plan))
    return attention, tuple(plan)


def _options_and_key(lm: LanguageModel | RemoteModel, sequences: Sequence[str],
                     window: int | None, stride: int | None) -> tuple[dict, str]:
    """The windowing options a run uses and its cache key; checks the window against the limit."""
    total = sum(len(s) for s in sequences)
    limit = lm.max_residues
    if window is not None and limit is not None and window > limit:
        raise ModelError(f"a window of {window} residues is larger than {lm.name}'s limit of "
                         f"{limit}; use window={limit} or less")
    if window is None and limit is not None and len(sequences) == 1 and total > limit:
        window = limit
    windowed = len(sequences) == 1 and window is not None and total > window
    options = {
        "window": window if windowed else None,
        "stride": (stride or max(1, window // 2)) if windowed else None,
        "joined_by": (lm.family.separator or LINKER) if len(sequences) > 1 else None,
        "device": lm.device,
    }
    return options, cache_key(lm.model_id, lm.revision, "/".join(sequences), options)


def chain_attention_key(lm: LanguageModel | RemoteModel, sequences: str | Sequence[str],
                        window: int | None = None, stride: int | None = None) -> str:
    """The cache key :func:`chain_attention` files this attention under.

    Parameters
    ----------
    lm : LanguageModel or RemoteModel
    sequences : str or sequence of str
    window, stride : int, optional
        As given to :func:`chain_attention`.

    Returns
    -------
    str
        See :func:`protattn.cache.cache_key`.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    return _options_and_key(lm, sequences, window, stride)[1]


def chain_attention(
    lm: LanguageModel | RemoteModel,
    sequences: str | Sequence[str],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
    memory: bool = True,
) -> ChainAttention:
    """Attention for one chain, or for several chains run as one input.

    Parameters
    ----------
    lm : LanguageModel or RemoteModel
        A model loaded here, or one a worker runs (:func:`protattn.backend.get_model`):
        its attention is then computed by the worker and read from the shared cache.
    sequences : str or sequence of str
        One chain's sequence; several are concatenated with the family's
        separator token or :data:`protattn.models.LINKER`, and the attention is
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
    ChainAttention

    Raises
    ------
    ModelError
        If a window is larger than the model's limit, or concatenated chains do not fit.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    total = sum(len(s) for s in sequences)
    options, key = _options_and_key(lm, sequences, window, stride)
    store = AttentionCache() if cache is True else (cache or None)
    lengths = tuple(len(s) for s in sequences)
    result = _cached(key, store, lengths, memory)
    if result is not None:
        return result
    if isinstance(lm, RemoteModel):  # the worker runs it, and writes it to the same cache
        attention, windows, from_cache = lm.run_attention(sequences, options["window"],
                                                          options["stride"], store, key)
        result = ChainAttention(attention, lengths, windows, from_cache=from_cache, key=key)
    else:
        attention, windows = _run(lm, sequences, options["window"], options["stride"])
        attention = cached_precision(attention)  # what the cache returns
        if store is not None:
            try:
                store.put(key, {"attention": attention,
                                "windows": np.asarray(windows, dtype=int)},
                          {"model_id": lm.model_id, "revision": lm.revision, "length": total,
                           "options": options})
            except OSError as e:  # a full or read-only disk must not fail the analysis
                warnings.warn(f"attention not cached in {store.directory}: {e}", CacheWarning,
                              stacklevel=2)
        result = ChainAttention(attention, lengths, windows, key=key)
    if not memory:
        return result
    _remember(result)
    return result


def _cached(key: str, store: AttentionCache | None, lengths: tuple[int, ...],
            memory: bool) -> ChainAttention | None:
    """The attention filed under ``key`` in this process's memory or in ``store``."""
    with _MEMORY_LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return _MEMORY[key]
    found = store.get(key) if store is not None else None
    if found is None or found["attention"].shape[-1] != sum(lengths):
        return None
    windows = tuple(map(tuple, found["windows"].tolist()))
    result = ChainAttention(found["attention"], lengths, windows, from_cache=True, key=key)
    if memory:
        _remember(result)
    return result


def _remember(result: ChainAttention) -> None:
    with _MEMORY_LOCK:
        _MEMORY[result.key] = result
        while len(_MEMORY) > 1 and sum(a.attention.nbytes for a in _MEMORY.values()) > \
                MEMORY_BUDGET:
            _MEMORY.popitem(last=False)


def cached_chain_attention(
    lm: LanguageModel | RemoteModel,
    sequences: str | Sequence[str],
    window: int | None = None,
    stride: int | None = None,
    cache: AttentionCache | bool = True,
) -> ChainAttention | None:
    """The attention :func:`chain_attention` would return, if it needs no model run.

    Parameters
    ----------
    lm, sequences, window, stride, cache
        As for :func:`chain_attention`.

    Returns
    -------
    ChainAttention or None
        From this process's memory or the disk cache; None if the model would
        have to run.
    """
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    _, key = _options_and_key(lm, sequences, window, stride)
    store = AttentionCache() if cache is True else (cache or None)
    return _cached(key, store, tuple(len(s) for s in sequences), memory=True)
