"""Compact attention: what a model run leaves for every later question, built as it streams.

A :class:`CompactAttention` is built layer by layer during one pass
(:class:`CompactBuilder`, a consumer of :func:`protattn.lm.stream.run_stream`) and
is what the cache keeps (:func:`protattn.lm.inference.compact_attention`). It holds,
for every layer:

- each head's weights of at least :attr:`~CompactAttention.floor` (0.05) and
  those of the mean over the layer's heads, exactly as the model computed them
  (float32), sparse: per row the number of kept weights, then their columns and
  values. The max over the layer's heads is at or above the floor exactly where
  one head is, so it is rebuilt from the heads. A row sums to at most 1, so at
  most 20 weights of a row are kept; AntiBERTy has 1-3.
- the attention each residue receives from each head, from the mean and from
  the max of the layer (column sums over every query, float32), so residue
  scores are exact for every head and aggregate;

and for the whole model the unsupervised contact scores of every head
(:func:`protattn.analysis.contacts.unsupervised_contacts` with all heads) and, for ESM
models with a contact head, that head's probabilities: both symmetric, kept as
their upper triangle in float32.

What it answers exactly: pairs of any head or aggregate with weights above a
threshold of at least the floor (symmetrised by ``max``: a pair is above when one
of its two weights is), the ``k`` strongest pairs when ``k`` pairs reach the floor,
residue scores, contact scores over all heads. Anything else (a threshold below
the floor, ``mean`` symmetrisation, contact scores of chosen heads, per-head
statistics) needs the weights below the floor, and
:mod:`protattn.lm.inference` runs the model again for it: never a silently
different answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .heads import HeadSpec
from .windows import covered_pairs

__all__ = [
    "FLOOR",
    "add_apc",
    "apc_sum",
    "CompactAttention",
    "CompactBuilder",
]

#: Weights kept exactly: at or above this (the floor of thresholds answered from a cache entry).
FLOOR = 0.05

_ARRAYS = ("row_counts", "columns", "values", "received", "contacts", "esm_contacts", "windows")


def _triangle(matrix: np.ndarray) -> np.ndarray:
    """The upper triangle (diagonal included) of a symmetric ``(L, L)`` matrix, flat."""
    return matrix[np.triu_indices(matrix.shape[0])].astype(np.float32)


def _from_triangle(flat: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros((length, length), dtype=np.float32)
    i, j = np.triu_indices(length)
    out[i, j] = flat
    out[j, i] = flat
    return out


def add_apc(total: Any, summed: Any, rows: Any, weights: Any | None = None) -> None:
    """``total += (W + Wᵀ) - Σ_h (w_h / t_h) r_h r_hᵀ``, in place (see :func:`apc_sum`).

    Parameters
    ----------
    total : torch.Tensor
        ``shape=(L, L), dtype=float64``, added to.
    summed : torch.Tensor
        ``W = Σ_h w_h a_h``, ``shape=(L, L)``.
    rows : torch.Tensor
        ``r_h``, the row sums of each ``a_h + a_hᵀ``, ``shape=(H, L)``.
    weights : torch.Tensor, optional
        ``w_h``, ``shape=(H,)``; 1 for every head by default.
    """
    rows = rows.double()
    scale = 1.0 / rows.sum(-1) if weights is None else weights.double() / rows.sum(-1)
    total.add_(summed).add_(summed.T)
    total.addmm_(rows.T * scale, rows, alpha=-1.0)


def apc_sum(a: Any, weights: Any | None = None) -> Any:
    """``Σ_h w_h apc(a_h + a_hᵀ)`` of one layer's heads, in float64, no head's features formed.

    ``(W + Wᵀ) - Σ_h (w_h / t_h) r_h r_hᵀ`` with ``W = Σ_h w_h a_h``, ``r_h`` the row
    sums of ``a_h + a_hᵀ`` and ``t_h`` their total: what
    :func:`protattn.analysis.contacts.apc` of
    :func:`protattn.analysis.contacts.symmetrize_sum` of each head gives, summed, at the
    cost of a few passes over the layer.

    Parameters
    ----------
    a : torch.Tensor
        ``shape=(heads, L, L)``, finite.
    weights : torch.Tensor, optional
        ``shape=(heads,)``; 1 for every head by default.

    Returns
    -------
    torch.Tensor
        ``shape=(L, L), dtype=float64``.
    """
    import torch

    summed = a.sum(0) if weights is None else torch.einsum("h,hij->ij", weights.to(a.dtype), a)
    total = torch.zeros(summed.shape, dtype=torch.float64, device=a.device)
    add_apc(total, summed, a.sum(-1) + a.sum(-2), weights)
    return total


@dataclass(frozen=True, eq=False)
class CompactAttention:
    """The compact attention of one model run over ``L`` residues (see the module documentation).

    Attributes
    ----------
    n_layers, n_heads, length : int
    floor : float
        Weights at or above it are kept exactly.
    lengths : tuple of int
        Residues of each chain run (one entry unless chains were concatenated).
    windows : numpy.ndarray
        ``shape=(W, 2), dtype=int64``: the residue ranges run as one pass each.
    row_counts : numpy.ndarray
        ``shape=(layers, heads + 1, L)``, unsigned: kept weights of each row, of each
        head and (last) of the layer's mean.
    columns : numpy.ndarray
        ``shape=(n,)``, unsigned: the kept weights' columns, row by row, ordered by
        layer, then head (the mean last), then row and column.
    values : numpy.ndarray
        ``shape=(n,), dtype=float32``: their weights.
    received : numpy.ndarray
        ``shape=(layers, heads + 2, L), dtype=float32``: column sums of each head's
        map, of the layer's mean and of its max (``NaN`` pairs counted as 0).
    contacts : numpy.ndarray
        ``shape=(L(L+1)/2,), dtype=float32``: upper triangle of the contact scores
        of all heads (``NaN`` where no window held both residues).
    esm_contacts : numpy.ndarray or None
        The same for an ESM model's contact head, where it has one and ran in one pass.
    key : str
        The cache key it is filed under.
    from_cache : bool
    """

    n_layers: int
    n_heads: int
    length: int
    floor: float
    lengths: tuple[int, ...]
    windows: np.ndarray
    row_counts: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    received: np.ndarray
    contacts: np.ndarray
    esm_contacts: np.ndarray | None = None
    key: str = ""
    from_cache: bool = False
    _offsets: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        per_map = self.row_counts.reshape(-1, self.length).sum(axis=1, dtype=np.int64)
        object.__setattr__(self, "_offsets", np.concatenate([[0], np.cumsum(per_map)]))

    # ------------------------------------------------------------ what it holds

    @property
    def window_ranges(self) -> tuple[tuple[int, int], ...]:
        return tuple((int(s), int(e)) for s, e in self.windows)

    @property
    def windowed(self) -> bool:
        return len(self.windows) > 1

    @property
    def covered(self) -> np.ndarray:
        """Pairs seen together by the model, ``shape=(L, L), dtype=bool``."""
        covered = covered_pairs(self.length, self.window_ranges)
        return np.ones((self.length, self.length), dtype=bool) if covered is None else covered

    @property
    def nbytes(self) -> int:
        """Bytes of its arrays (what a cache entry stores, before the file's own overhead)."""
        return sum(a.nbytes for a in self.arrays().values())

    def dense_nbytes(self, itemsize: int = 2) -> int:
        """Bytes of the dense attention it replaces (float16 by default)."""
        return self.n_layers * self.n_heads * self.length**2 * itemsize

    def answers(self, threshold: float | None = None, symmetrize: str = "max") -> bool:
        """Whether pairs at ``threshold`` (None: top-k) are exact from the kept weights alone."""
        if symmetrize != "max":
            return False
        return threshold is None or threshold >= self.floor

    # ------------------------------------------------------------ maps and scores

    def _map(self, layer: int, column: int) -> np.ndarray:
        """``(L, L)`` float32 map of head ``column`` (``n_heads``: the mean) of 0-based ``layer``;
        0 below the floor."""
        index = layer * (self.n_heads + 1) + column
        start, end = self._offsets[index], self._offsets[index + 1]
        counts = self.row_counts[layer, column].astype(np.int64)
        out = np.zeros((self.length, self.length), dtype=np.float32)
        rows = np.repeat(np.arange(self.length), counts)
        out[rows, self.columns[start:end].astype(np.int64)] = self.values[start:end]
        return out

    def head_map(self, spec: HeadSpec) -> np.ndarray:
        """One head's or aggregate's map, ``shape=(L, L), dtype=float32``.

        Weights below :attr:`floor` are 0 (they are not kept); ``NaN`` where no
        window held both residues.
        """
        layer = spec.layer - 1
        if spec.head is not None:
            out = self._map(layer, spec.head - 1)
        elif spec.aggregate == "mean":
            out = self._map(layer, self.n_heads)
        else:
            out = self._map(layer, 0)
            for head in range(1, self.n_heads):
                np.maximum(out, self._map(layer, head), out=out)
        if self.windowed:
            out[~self.covered] = np.nan
        return out

    def scores(self, spec: HeadSpec) -> np.ndarray:
        """Attention each residue receives (column sum / L, as
        :func:`protattn.analysis.pairs.residue_scores`), ``shape=(L,), dtype=float32``."""
        column = (
            spec.head - 1
            if spec.head is not None
            else self.n_heads + (0 if spec.aggregate == "mean" else 1)
        )
        return self.received[spec.layer - 1, column] / np.float32(self.length)

    def contact_scores(self) -> np.ndarray:
        """Contact scores of all heads, ``shape=(L, L), dtype=float32``, symmetric."""
        return _from_triangle(self.contacts, self.length)

    def esm_contact_probabilities(self) -> np.ndarray | None:
        """The ESM contact head's probabilities, ``shape=(L, L)``; None without one."""
        if self.esm_contacts is None:
            return None
        return _from_triangle(self.esm_contacts, self.length)

    # ------------------------------------------------------------ storage

    def arrays(self) -> dict[str, np.ndarray]:
        """Its arrays by name, for a cache entry or a worker's reply."""
        out = {name: getattr(self, name) for name in _ARRAYS}
        if out["esm_contacts"] is None:
            del out["esm_contacts"]
        out["shape"] = np.array([self.n_layers, self.n_heads, self.length], dtype=np.int64)
        out["floor"] = np.array(self.floor, dtype=np.float64)
        out["lengths"] = np.array(self.lengths, dtype=np.int64)
        return out

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], key: str = "", from_cache: bool = False
    ) -> CompactAttention:
        """The compact attention of :meth:`arrays`.

        Raises
        ------
        ValueError
            If the arrays do not fit together (not a compact attention entry).
        """
        try:
            n_layers, n_heads, length = (int(x) for x in arrays["shape"])
            result = cls(
                n_layers,
                n_heads,
                length,
                float(arrays["floor"]),
                tuple(int(x) for x in arrays["lengths"]),
                np.asarray(arrays["windows"], dtype=np.int64).reshape(-1, 2),
                arrays["row_counts"],
                arrays["columns"],
                np.asarray(arrays["values"], dtype=np.float32),
                np.asarray(arrays["received"], dtype=np.float32),
                np.asarray(arrays["contacts"], dtype=np.float32),
                arrays.get("esm_contacts"),
                key,
                from_cache,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a compact attention entry: {e}") from None
        if (
            result.row_counts.shape != (n_layers, n_heads + 1, length)
            or result.received.shape != (n_layers, n_heads + 2, length)
            or result.columns.shape != result.values.shape
            or int(result._offsets[-1]) != result.values.size
            or result.contacts.size != length * (length + 1) // 2
            or sum(result.lengths) != length
        ):
            raise ValueError("not a compact attention entry: its arrays do not fit together")
        return result

    def filed(self, key: str, from_cache: bool) -> CompactAttention:
        """The same, filed under ``key``."""
        return replace(self, key=key, from_cache=from_cache)


class CompactBuilder:
    """Builds a :class:`CompactAttention` from the layers of one pass (a layer consumer).

    Every reduction runs in torch on the layer's device; only the kept weights and
    the ``(L,)`` sums leave it, and two ``(L, L)`` contact accumulators are kept.

    Parameters
    ----------
    n_layers, n_heads, length : int
    lengths : sequence of int
        Residues of each chain run.
    windows : sequence of (int, int)
        Residue ranges run as one pass (``[(0, L)]`` for one pass).
    floor : float
    esm_head : (numpy.ndarray, float), optional
        An ESM contact head's regression weights ``shape=(layers, heads)`` and bias.
    """

    def __init__(
        self,
        n_layers: int,
        n_heads: int,
        length: int,
        lengths: Any,
        windows: Any,
        floor: float = FLOOR,
        esm_head: tuple[np.ndarray, float] | None = None,
    ) -> None:
        self.n_layers, self.n_heads, self.length = int(n_layers), int(n_heads), int(length)
        self.lengths = tuple(int(x) for x in lengths)
        self.windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
        self.floor = float(floor)
        self.esm_head = esm_head
        self._counts: list[Any] = [None] * self.n_layers
        self._columns: list[Any] = [None] * self.n_layers
        self._values: list[Any] = [None] * self.n_layers
        self._received = np.zeros((self.n_layers, self.n_heads + 2, self.length), np.float32)
        self._buf: dict[str, Any] | None = None
        self._seen = np.zeros(self.n_layers, dtype=bool)
        self.last: tuple[Any, Any, Any, Any] | None = None

    def _buffers(self, a: Any) -> dict[str, Any]:
        """The ``(L, L)`` and ``(H, L, L)`` arrays every layer reuses (allocated once: a new
        one a layer would grow the allocator's heap by their sizes, 4-32 MB at 1,000
        residues, which it keeps)."""
        import torch

        buf = getattr(self, "_buf", None)
        if buf is None:
            n, heads = self.length, self.n_heads
            square = (n, n)
            self._buf = buf = {
                "kept": torch.empty((heads, n, n), dtype=torch.bool, device=a.device),
                "kept_mean": torch.empty(square, dtype=torch.bool, device=a.device),
                "summed": torch.empty(square, dtype=a.dtype, device=a.device),
                "mean": torch.empty(square, dtype=a.dtype, device=a.device),
                "max": torch.empty(square, dtype=a.dtype, device=a.device),
                "contacts": torch.zeros(square, dtype=torch.float64, device=a.device),
            }
            if self.esm_head is not None:
                buf["weighted"] = torch.empty(square, dtype=a.dtype, device=a.device)
                buf["esm"] = torch.zeros(square, dtype=torch.float64, device=a.device)
        return buf

    def add_layer(self, index: int, layer: Any) -> None:
        """Reduce one layer, ``torch.Tensor`` of ``shape=(heads, L, L)`` (``NaN``: not covered)."""
        import torch

        if self._seen[index]:
            raise ValueError(f"layer {index} was given twice")
        self._seen[index] = True
        a = layer if len(self.windows) == 1 else torch.nan_to_num(layer, nan=0.0)
        n, heads = self.length, self.n_heads
        buf = self._buffers(a)
        # each sum once: over heads, over queries (received), over keys
        summed = torch.sum(a, 0, out=buf["summed"])
        mean = torch.div(summed, heads, out=buf["mean"])
        received_heads = a.sum(1)  # (H, L)
        given = a.sum(2)
        # kept weights: one comparison and one nonzero per map kind over the flat layer; rows
        # counted from the flat indices, never from a widened copy of the mask
        at = torch.ge(a, self.floor, out=buf["kept"]).view(-1).nonzero().squeeze(1)
        at_mean = torch.ge(mean, self.floor, out=buf["kept_mean"]).view(-1).nonzero().squeeze(1)
        head_rows = at // n
        head_values = a[head_rows // n, head_rows % n, at % n]
        #: this layer's kept head weights (flat indices into (H, L, L), values), the layer with
        #: NaN as 0 and its column sums: for consumers after this one (statistics counts)
        self.last = (at, head_values, a, received_heads)
        values = torch.cat([head_values, mean.view(-1)[at_mean]])
        rows = torch.cat([head_rows, at_mean // n + heads * n])
        columns = torch.cat([at % n, at_mean % n])
        counts = torch.bincount(rows, minlength=(heads + 1) * n).reshape(heads + 1, n)
        self._counts[index] = counts.cpu().numpy()
        self._columns[index] = columns.cpu().numpy()
        self._values[index] = values.cpu().numpy()
        largest = torch.amax(a, 0, out=buf["max"])
        received = torch.cat([received_heads, mean.sum(0)[None], largest.sum(0)[None]])
        self._received[index] = received.float().cpu().numpy()
        add_apc(buf["contacts"], summed, received_heads + given)
        if self.esm_head is not None:
            weights = torch.as_tensor(self.esm_head[0][index], device=a.device).to(a.dtype)
            weighted = torch.matmul(
                weights[None], a.view(heads, n * n), out=buf["weighted"].view(1, n * n)
            ).view(n, n)
            add_apc(buf["esm"], weighted, received_heads + given, weights)

    def close(self) -> CompactAttention:
        """The compact attention of the layers given (all of them)."""
        if not self._seen.all():
            missing = ", ".join(str(k + 1) for k in np.flatnonzero(~self._seen))
            raise ValueError(f"layers {missing} were never given")
        counts = np.stack(self._counts)
        count_type = np.uint8 if counts.max(initial=0) < 256 else np.uint16
        column_type = np.uint16 if self.length < 2**16 else np.uint32
        assert self._buf is not None  # allocated by the first layer, and every layer was given
        contacts = (self._buf["contacts"] / (self.n_layers * self.n_heads)).cpu().numpy()
        covered = covered_pairs(self.length, self.windows.tolist())
        if covered is not None:
            contacts[~covered] = np.nan
        esm = None
        if self.esm_head is not None and covered is None:
            logits = self._buf["esm"].cpu().numpy() + self.esm_head[1]
            esm = _triangle(np.exp(-np.logaddexp(0.0, -logits)))
        return CompactAttention(
            self.n_layers,
            self.n_heads,
            self.length,
            self.floor,
            self.lengths,
            self.windows,
            counts.astype(count_type),
            np.concatenate(self._columns).astype(column_type),
            np.concatenate(self._values),
            self._received,
            _triangle(contacts),
            esm,
        )
