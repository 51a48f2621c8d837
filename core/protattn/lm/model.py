"""Protein language models behind one contract: a sequence in, attention over residues out.

>>> lm = load_model("antiberty")                      # doctest: +SKIP
>>> lm.attention("EVQLVESGGGLVQPGGSLRLSCAAS").shape  # doctest: +SKIP
(8, 8, 25, 25)

A model is named by a short name (:data:`MODELS`), a Hugging Face id, or a local
directory. One :class:`~protattn.lm.families.Family` per architecture holds what differs between
models: how residues are written for the tokenizer (ESM: ``MKT``; Rostlab's
ProtBert, ProtAlbert, ProtXLNet and ProtT5: ``M K T`` with U, Z, O, B as X), where
the special tokens go (BERT ``[CLS] … [SEP]``, ESM ``<cls> … <eos>``, XLNet
``… <sep> <cls>``, T5 ``… </s>``), what separates concatenated chains, and the
longest chain one pass takes. Special tokens are recognised by the tokenizer's
own list of special ids and dropped in one place (:meth:`LanguageModel.tokenize`).

torch and transformers are imported only when a model is loaded, so that
importing :mod:`protattn` (and starting a host) stays cheap. Models are loaded
with ``attn_implementation="eager"``: transformers' SDPA kernel returns no
attention weights.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ..errors import ModelError, SequenceTooLongError
from .cache import AttentionCache
from .contract import StreamRequest, StreamResult
from .families import Family
from .registry import LINKER, STANDARD_RESIDUES
from .stream import run_chain

__all__ = [
    "LanguageModel",
]

_RARE = re.compile(r"[UZOB]")


def _out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is the model running out of memory (CPU or GPU)."""
    if isinstance(error, MemoryError):
        return True
    text = str(error).lower()
    return (
        "out of memory" in text
        or "can't allocate memory" in text
        or ("defaultcpuallocator" in text)
    )


@dataclass
class LanguageModel:
    """A loaded protein language model and its tokenizer.

    Attributes
    ----------
    name : str
        Short name, Hugging Face id or directory as given.
    model_id : str
        What identifies the weights: Hugging Face id or absolute directory.
    revision : str or None
        Commit of the weights where known (part of cache keys).
    family : Family
    model : torch.nn.Module
        In eval mode.
    tokenizer : transformers tokenizer
    max_residues : int or None
        Longest chain one pass takes; None for no limit.
    device : str
    spaced : bool
        Residues written space-separated (from the family, or detected for ``auto``).
    dtype : str
        The weights' precision (``"float32"``, or ``"float16"`` / ``"bfloat16"`` on a GPU);
        attention is always handed on in float32.
    """

    name: str
    model_id: str
    revision: str | None
    family: Family
    model: Any
    tokenizer: Any
    max_residues: int | None
    device: str
    spaced: bool
    dtype: str = "float32"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        special = set(self.tokenizer.all_special_ids)
        special -= {self.tokenizer.unk_token_id, self.tokenizer.mask_token_id}
        self._special = frozenset(special)
        self.n_added = len(self.tokenizer("", add_special_tokens=True)["input_ids"])
        self._check_residues()

    # ------------------------------------------------------------ sizes

    @property
    def n_layers(self) -> int:
        config = self.model.config
        return int(getattr(config, "num_hidden_layers", None) or config.num_layers)

    @property
    def n_heads(self) -> int:
        config = self.model.config
        return int(getattr(config, "num_attention_heads", None) or config.num_heads)

    @property
    def pads(self) -> bool:
        """Whether chains of different lengths can run as one padded batch: the family
        pads correctly (:attr:`Family.pads`) and the tokenizer has a pad token."""
        return bool(self.family.pads) and self.tokenizer.pad_token_id is not None

    @property
    def vocab(self) -> dict[str, int]:
        """Token to id."""
        return self.tokenizer.get_vocab()

    # ------------------------------------------------------------ tokenization

    def _text(self, sequence: str) -> str:
        sequence = sequence.upper()
        if self.family.rare_to_x:
            sequence = _RARE.sub("X", sequence)
        mask = self.tokenizer.mask_token
        pieces = [mask if aa == "_" and mask else aa for aa in sequence]
        return (" " if self.spaced else "").join(pieces)

    def tokenize(self, segments: Sequence[str]) -> tuple[list[int], list[np.ndarray]]:
        """Token ids for one or more chains, and where each chain's residues are.

        This is the one place where special tokens are told from residues: a
        token is a residue unless its id is one of the tokenizer's special ids
        (the unknown and mask tokens count as residues). Chains are joined by the
        family's separator token, or by :data:`LINKER` residues that are dropped.

        Parameters
        ----------
        segments : sequence of str
            One-letter sequences; ``_`` marks a masked residue.

        Returns
        -------
        ids : list of int
        positions : list of numpy.ndarray
            For each segment, the token index of each of its residues,
            ``shape=(len(segment),), dtype=int``.

        Raises
        ------
        ModelError
            If the tokenizer does not give exactly one token per residue.
        """
        join = self.family.separator
        glue = f" {join} " if join else (" " if self.spaced else "").join(LINKER)
        if join is None and self.spaced:
            glue = f" {glue} "
        text = glue.join(self._text(s) for s in segments)
        ids = list(self.tokenizer(text, add_special_tokens=True)["input_ids"])
        residues = [k for k, t in enumerate(ids) if t not in self._special]
        linker = 0 if join else len(LINKER)
        expected = sum(len(s) for s in segments) + linker * (len(segments) - 1)
        if len(residues) != expected:
            raise ModelError(
                f"{self.name}: the tokenizer made {len(residues)} residue tokens of "
                f"{expected} residues; it must give one token per residue (check that "
                "the model directory holds this model's own tokenizer files)"
            )
        positions, k = [], 0
        for s in segments:
            positions.append(np.asarray(residues[k : k + len(s)], dtype=int))
            k += len(s) + linker
        return ids, positions

    def encode(self, sequence: str) -> list[int]:
        """Token ids of one sequence, with the model's special tokens."""
        return self.tokenize([sequence])[0]

    def _check_residues(self) -> None:
        """The 20 standard residues must tokenize to 20 distinct residue tokens, none unknown."""
        try:
            ids, (where,) = self.tokenize([STANDARD_RESIDUES])
        except ModelError as e:
            raise ModelError(f"{e}; the 20 standard residues do not tokenize one by one") from e
        tokens = [ids[k] for k in where]
        unknown = [
            aa for aa, t in zip(STANDARD_RESIDUES, tokens) if t == self.tokenizer.unk_token_id
        ]
        if unknown or len(set(tokens)) != 20:
            raise ModelError(
                f"{self.name}: the tokenizer maps standard residues to the unknown token "
                f"({''.join(unknown) or 'duplicates'}); it is misconfigured (for BERT-style "
                "tokenizers: lower-casing must be off)"
            )

    # ------------------------------------------------------------ running

    def check_length(self, n_residues: int) -> None:
        """Refuse a single pass longer than the model takes."""
        if n_residues < 1:
            raise ModelError("the sequence is empty; select residues of a protein chain")
        if self.max_residues is not None and n_residues > self.max_residues:
            raise SequenceTooLongError(
                f"{n_residues} residues is longer than {self.name}'s limit of "
                f"{self.max_residues} in one pass; use windows (window=, stride=) or a "
                "shorter chain"
            )

    def stream(
        self,
        sequences: Sequence[str],
        window: int | None,
        stride: int | None,
        request: StreamRequest,
        store: AttentionCache | None = None,
        key: str = "",
    ) -> StreamResult:
        """One streamed pass (:func:`protattn.lm.stream.run_chain`), as
        :meth:`protattn.lm.contract.Model.stream` describes; its compact attention keyed
        ``key``. ``store`` is not written here:
        :func:`~protattn.lm.inference.stream_chain` files what a model in this process
        computes.
        """
        try:
            result = run_chain(self, sequences, window, stride, request)
        except (MemoryError, RuntimeError) as e:  # the engine's own arrays, past the pass
            if not _out_of_memory(e):
                raise
            n = sum(map(len, sequences))
            fix = (
                "run a part of the chain (a selection in PyMOL or ChimeraX)"
                if self.max_residues is not None and n > self.max_residues
                else "use a smaller model (esm2_t12_35M, esm2_t30_150M)"
            )
            raise ModelError(
                f"{self.name} ran out of memory on a chain of {n} residues on {self.device} "
                f"(its attention takes {n}x{n} values per head): {fix}, or another device "
                "(cuda: a GPU with more memory)"
            ) from e
        return dataclasses.replace(result, compact=result.compact.filed(key, from_cache=False))

    def check_segments(self, segments: Sequence[str]) -> list[int]:
        """Token ids of chains run as one input, refused if longer than one pass takes.

        The limit counts residues plus the separators or linker between chains.
        """
        ids, _ = self.tokenize(segments)
        self.check_length(len(ids) - self.n_added)
        return ids

    def _attention_modules(self) -> tuple[list[Any], int] | None:
        """:func:`attention_modules` of this model, found once."""
        if not hasattr(self, "_hooked"):
            self._hooked = attention_modules(self.model)
        return self._hooked

    def forward(
        self,
        ids: Sequence[int] | Sequence[Sequence[int]],
        output_attentions: bool = True,
        on_attention: Callable[[Any], None] | None = None,
        output_hidden_states: bool = False,
    ) -> Any:
        """Run the model on token ids; the transformers output object.

        Parameters
        ----------
        ids : sequence of int, or sequence of sequences of int
            One input, or a batch: inputs of the same number of tokens (the windows of
            one chain) run as they are; inputs of different numbers (chains batched by
            :mod:`protattn.lm.batch`) are padded at the end to the longest with the
            tokenizer's pad token, and the attention mask marks the padding, so no token
            attends to it (a family that cannot pad, :attr:`pads`, refuses them).
        output_attentions : bool
            Collect every layer's attention in the output (``out.attentions``).
        on_attention : callable, optional
            Called with each layer's attention over tokens, in layer order, while the
            pass runs (``torch.Tensor`` of ``shape=(1, heads, T, T)`` on the model's
            device; ``shape=(batch, heads, T, T)`` for a batch, ``T`` its longest input:
            a shorter input's weights on padding are 0, the rows of its padding are
            not attention of anything), which then keeps none
            of it: forward hooks on the attention
            modules transformers names in ``_can_record_outputs``. For a family whose
            modules return their weights only when asked (XLNet), the pass collects
            them (``output_attentions``) and hands them over after it.
        output_hidden_states : bool
            Also return every layer's hidden states (``out.hidden_states``: the
            embedding layer's output and each layer's, over tokens).

        Raises
        ------
        ModelError
            If the pass runs out of memory, or inputs of different lengths are given to
            a model that cannot pad.
        """
        batch: list[list[int]] = (
            [[int(i) for i in cast("Sequence[int]", ids)]]
            if ids and isinstance(ids[0], (int, np.integer))
            else [list(one) for one in cast("Sequence[Sequence[int]]", ids)]
        )
        if not batch or not all(batch):
            raise ValueError("a forward pass needs at least one input of at least one token")
        padded = len({len(one) for one in batch}) > 1
        if padded and not self.pads:
            raise ModelError(
                f"{self.name} cannot run inputs of different lengths as one batch: "
                + (
                    "its tokenizer has no pad token"
                    if self.family.pads
                    else f"protattn does not know how its architecture ({self.family.name}) "
                    "treats padding"
                )
                + "; run them one at a time"
            )
        try:
            return self._forward(batch, output_attentions, on_attention, output_hidden_states)
        except (MemoryError, RuntimeError) as e:  # torch.OutOfMemoryError is a RuntimeError
            if not _out_of_memory(e):
                raise
            fix = (
                "run smaller batches (batch_counts(max_tokens=...)), "
                if padded
                else "run long chains in smaller windows (window=256, --window 256), "
            )
            raise ModelError(
                f"{self.name} ran out of memory on {max(map(len, batch))} tokens "
                f"(x{len(batch)}) on {self.device}: {fix}use a smaller model (esm2_t12_35M, "
                "esm2_t30_150M), or another device (cuda: a GPU with more memory)"
            ) from e

    def _forward(
        self,
        batch: list[list[int]],
        output_attentions: bool,
        on_attention: Callable[[Any], None] | None,
        output_hidden_states: bool = False,
    ) -> Any:
        """The pass of :meth:`forward`; inputs of different lengths padded at the end."""
        import torch

        longest = max(map(len, batch))
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor(
            [one + [pad] * (longest - len(one)) for one in batch], device=self.device
        )
        attention_mask = torch.tensor(
            [[1] * len(one) + [0] * (longest - len(one)) for one in batch], device=self.device
        )
        hooked = self._attention_modules() if on_attention is not None else None
        with self._lock, torch.inference_mode():
            if on_attention is None or hooked is None:
                out = self.model(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    output_attentions=output_attentions or on_attention is not None,
                    output_hidden_states=output_hidden_states,
                )
                if on_attention is not None:
                    for layer in out.attentions:
                        on_attention(layer)
                    if not output_attentions:
                        out.attentions = None
                return out
            modules, index = hooked
            handles = [
                m.register_forward_hook(lambda module, args, output: on_attention(output[index]))
                for m in modules
            ]
            try:
                return self.model(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    output_attentions=output_attentions,
                    output_hidden_states=output_hidden_states,
                )
            finally:
                for handle in handles:
                    handle.remove()

    def segment_attention(self, segments: Sequence[str]) -> np.ndarray:
        """Attention over the residues of one or more concatenated chains, one pass.

        Returns
        -------
        numpy.ndarray
            ``shape=(layers, heads, N, N), dtype=float32`` with ``N`` the total number
            of residues (linker and special tokens removed), chains in order.
        """
        ids, positions = self.tokenize(segments)
        self.check_length(len(ids) - self.n_added)  # residues, and linker or separators
        residues = np.concatenate(positions)
        out = self.forward(ids)
        if not getattr(out, "attentions", None):
            raise ModelError(
                f"{self.name} returned no attention; it must be loaded with "
                "attn_implementation='eager' and support output_attentions"
            )
        # one layer at a time: (1, heads, T, T) -> (heads, N, N), never all layers over tokens
        return np.stack(
            [strip_special_tokens(a[0].float().cpu().numpy(), residues) for a in out.attentions]
        )

    def attention(self, sequence: str) -> np.ndarray:
        """Attention over the residues of one chain, in one pass.

        Parameters
        ----------
        sequence : str
            One-letter residue sequence of one chain.

        Returns
        -------
        numpy.ndarray
            ``shape=(layers, heads, L, L), dtype=float32``; entry ``[l, h, i, j]`` is
            the weight with which residue ``i`` (query) attends to residue ``j``.
            Rows are not renormalised after removing the special tokens (the
            paper's convention), so they sum to at most 1.

        Raises
        ------
        SequenceTooLongError
            Above :attr:`max_residues` (see :func:`protattn.api.chain_attention`
            for windows).
        """
        return self.segment_attention([sequence])

    def hidden_states(self, sequence: str) -> np.ndarray:
        """Every layer's hidden states over the residues of one chain, in one pass.

        Parameters
        ----------
        sequence : str
            One-letter residue sequence of one chain.

        Returns
        -------
        numpy.ndarray
            ``shape=(layers + 1, L, d), dtype=float32``: index 0 is the embedding
            layer's output (the input embeddings), index ``l`` layer ``l``'s output;
            residue positions only (special tokens dropped, as :meth:`tokenize` finds
            them).

        Raises
        ------
        SequenceTooLongError
            Above :attr:`max_residues`.
        ModelError
            If the model returns no hidden states, or not one per layer and the embeddings.
        """
        ids, (residues,) = self.tokenize([sequence])
        self.check_length(len(ids) - self.n_added)
        out = self.forward(ids, output_attentions=False, output_hidden_states=True)
        states = getattr(out, "hidden_states", None)
        if not states or len(states) != self.n_layers + 1:
            raise ModelError(
                f"{self.name} returned {len(states) if states else 'no'} hidden states; "
                f"{self.n_layers + 1} are needed (the embeddings and each of its "
                f"{self.n_layers} layers)"
            )
        return np.stack([h[0, residues].float().cpu().numpy() for h in states]).astype(
            np.float32, copy=False
        )


def attention_modules(model: Any) -> tuple[list[Any], int] | None:
    """The modules whose outputs hold each layer's attention weights, and the index there.

    Read from transformers' ``_can_record_outputs["attentions"]``, matched as its own
    ``output_attentions`` recording matches it (a class or a class-name suffix, an
    optional ``layer_name`` between dots of the module's name, output index 1 unless
    the recorder says otherwise). None for a model that does not declare it, or
    whose modules are not found (e.g. XLNet, whose attention modules return weights
    only when asked).
    """
    spec = getattr(model, "_can_record_outputs", None) or {}
    recorders = spec.get("attentions")
    if recorders is None:
        return None
    if not isinstance(recorders, (list, tuple)):
        recorders = [recorders]
    found: list[Any] = []
    indices = set()
    for recorder in recorders:
        if isinstance(recorder, (type, str)):  # a bare class or class name: output [1]
            target, class_name, layer_name, index = (
                (recorder, None, None, 1)
                if isinstance(recorder, type)
                else (None, recorder, None, 1)
            )
        else:
            target, class_name = recorder.target_class, recorder.class_name
            layer_name, index = recorder.layer_name, recorder.index
        for name, module in model.named_modules():
            if not (
                (target is not None and isinstance(module, target))
                or (class_name is not None and name.endswith(class_name))
            ):
                continue
            if layer_name is not None and f".{layer_name.strip('.')}." not in f".{name}.":
                continue
            found.append(module)
            indices.add(index)
    if not found or len(indices) != 1:
        return None
    return found, indices.pop()


def strip_special_tokens(attention: np.ndarray, residues: np.ndarray) -> np.ndarray:
    """Keep the residue rows and columns of token-level attention.

    Parameters
    ----------
    attention : numpy.ndarray
        ``shape=(..., T, T)`` over tokens.
    residues : numpy.ndarray
        Token indices of the residues, in sequence order.

    Returns
    -------
    numpy.ndarray
        ``shape=(..., N, N)``, a contiguous copy.
    """
    return np.ascontiguousarray(attention[..., residues[:, None], residues[None, :]])


# ---------------------------------------------------------------------------- loading
