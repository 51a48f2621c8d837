"""The model contract: what every stage asks of a language model, here or in a worker.

A :class:`~protattn.lm.model.LanguageModel` loaded in this process and a
:class:`~protattn.compute.remote.RemoteModel` run by a worker both satisfy
:class:`Model`; no stage asks which one it has. One method does the work:
:meth:`Model.stream` runs one pass over an input for a :class:`StreamRequest`
(what to compute beside the compact attention) and gives a :class:`StreamResult`,
the compact attention filed in the cache it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import ModelError
from .cache import AttentionCache
from .compact import CompactAttention
from .heads import HeadSpec, parse_layer_head
from .masks import PropertyMask

__all__ = ["Family", "LocalModel", "Model", "StreamRequest", "StreamResult"]


class Family(Protocol):
    """What the stages read of a model's family (:class:`protattn.lm.families.Family`).

    Read-only: the implementations are frozen dataclasses.
    """

    @property
    def name(self) -> str: ...

    @property
    def separator(self) -> str | None: ...


class Model(Protocol):
    """A language model as every stage sees it.

    Attributes
    ----------
    name, model_id : str
        The short name (or id) asked for, and the Hugging Face id or directory.
    revision : str or None
        The weights' revision, part of every cache key.
    family : Family
        ``name`` (``"esm"``, ``"bert"``, …) and the separator of concatenated chains.
    n_layers, n_heads : int
    max_residues : int or None
        The longest chain one pass takes.
    device, dtype : str
        Where and at what precision the model runs.
    """

    name: str
    model_id: str
    revision: str | None
    max_residues: int | None
    device: str
    dtype: str

    # read-only: LanguageModel computes the sizes from its config, and its family is
    # a frozen dataclass of its own class
    @property
    def family(self) -> Family: ...

    @property
    def n_layers(self) -> int: ...

    @property
    def n_heads(self) -> int: ...

    def check_segments(self, segments: Sequence[str]) -> Any:
        """Refuse chains run as one input that do not fit one pass (SequenceTooLongError)."""
        ...

    def stream(
        self,
        sequences: Sequence[str],
        window: int | None,
        stride: int | None,
        request: StreamRequest,
        store: AttentionCache | None,
        key: str,
    ) -> StreamResult:
        """One pass over ``sequences`` for ``request``.

        Parameters
        ----------
        sequences : sequence of str
            One chain, or chains run as one input.
        window, stride : int or None
            As resolved by :func:`protattn.lm.inference.stream_chain`.
        request : StreamRequest
            What to compute beside the compact attention.
        store : AttentionCache or None
            The cache the caller files the result in; a model that runs elsewhere (a
            worker) writes it there itself, as the way large results cross.
        key : str
            The cache key of this run (:func:`protattn.lm.inference.chain_attention_key`).

        Returns
        -------
        StreamResult
            Its compact attention keyed ``key``.
        """
        ...


class LocalModel(Model, Protocol):
    """A model whose forward pass runs in this process: what the engine
    (:mod:`protattn.lm.stream`) needs beyond :class:`Model`
    (:class:`~protattn.lm.model.LanguageModel` is one).

    Attributes
    ----------
    model : torch.nn.Module
        The network, whose attention modules the engine hooks.
    n_added : int
        Special tokens the tokenizer adds to an input.
    """

    model: Any
    n_added: int

    def tokenize(self, segments: Sequence[str]) -> tuple[list[int], list[np.ndarray]]:
        """Token ids of the joined segments, and each segment's residue positions."""
        ...

    def check_length(self, n_residues: int) -> None:
        """Refuse an input longer than one pass takes (SequenceTooLongError)."""
        ...

    def forward(
        self,
        ids: Sequence[int] | Sequence[Sequence[int]],
        output_attentions: bool = True,
        on_attention: Callable[[Any], None] | None = None,
    ) -> Any:
        """One forward pass (inputs of different lengths padded at the end and masked);
        ``on_attention`` receives each layer's attention as computed."""
        ...


@dataclass(frozen=True)
class StreamRequest:
    """What one pass computes beside its :class:`~protattn.compact.CompactAttention`.

    Attributes
    ----------
    head_maps : tuple of HeadSpec
        Heads or aggregates whose whole ``(L, L)`` map is kept, every weight included.
    contact_heads : tuple of (int, int), optional
        1-based heads whose unsupervised contact scores are wanted
        (:func:`protattn.contacts.unsupervised_contacts` of these heads).
    counts : (str, float, dict of str to PropertyMask), optional
        Per-head statistics counts: definition, θ and the chain's property masks.
    dense : bool
        Keep every layer: the dense array (the expensive request; never sent by a worker).
    """

    head_maps: tuple[HeadSpec, ...] = ()
    contact_heads: tuple[tuple[int, int], ...] | None = None
    counts: tuple[str, float, Mapping[str, PropertyMask]] | None = None
    dense: bool = False

    def to_message(self) -> dict[str, Any]:
        """JSON-ready form (for the worker protocol)."""
        if self.dense:
            raise ModelError(
                "a worker never sends dense attention; load the model in this "
                "process (protattn.load_model) for the dense array"
            )
        counts = None
        if self.counts is not None:
            definition, threshold, masks = self.counts
            counts = {
                "definition": definition,
                "threshold": float(threshold),
                "properties": {name: m.to_message() for name, m in masks.items()},
            }
        return {
            "head_maps": [str(s) for s in self.head_maps],
            "contact_heads": (
                None if self.contact_heads is None else [list(h) for h in self.contact_heads]
            ),
            "counts": counts,
        }

    @classmethod
    def from_message(cls, message: Mapping[str, Any], n_layers: int, n_heads: int) -> StreamRequest:
        """The request of :meth:`to_message`, checked against the model's size.

        Raises
        ------
        ValueError
            If a part is malformed.
        """
        counts = message.get("counts")
        if counts is not None:
            counts = (
                str(counts["definition"]),
                float(counts["threshold"]),
                {
                    str(name): PropertyMask.from_message(m)
                    for name, m in counts["properties"].items()
                },
            )
        heads = message.get("contact_heads")
        return cls(
            tuple(
                parse_layer_head(str(s), n_layers, n_heads) for s in message.get("head_maps") or ()
            ),
            None if heads is None else tuple((int(a), int(b)) for a, b in heads),
            counts,
        )


@dataclass(frozen=True, eq=False)
class StreamResult:
    """What one pass computed (see :class:`StreamRequest`).

    Attributes
    ----------
    compact : CompactAttention
    head_maps : dict of HeadSpec to numpy.ndarray
        ``shape=(L, L), dtype=float32``, ``NaN`` where no window held both residues.
    contact_scores : numpy.ndarray or None
        ``shape=(L, L), dtype=float64``.
    counts : dict or None
        :meth:`protattn.statistics.ChainCounter.to_message` of the chain.
    attention : numpy.ndarray or None
        ``shape=(layers, heads, L, L), dtype=float32`` when ``dense`` was asked.
    filed : bool
        The model filed ``compact`` in the store it was given itself (a worker does:
        it is how large results cross); otherwise the caller files it.
    """

    compact: CompactAttention
    head_maps: dict[HeadSpec, np.ndarray] = field(default_factory=dict)
    contact_scores: np.ndarray | None = None
    counts: dict | None = None
    attention: np.ndarray | None = None
    filed: bool = False
