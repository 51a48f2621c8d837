"""Protein language models behind one contract: a sequence in, attention over residues out.

>>> lm = load_model("antiberty")                      # doctest: +SKIP
>>> lm.attention("EVQLVESGGGLVQPGGSLRLSCAAS").shape  # doctest: +SKIP
(8, 8, 25, 25)

A model is named by a short name (:data:`MODELS`), a Hugging Face id, or a local
directory. One :class:`Family` per architecture holds what differs between
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

import json
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ModelError, SequenceTooLongError

__all__ = [
    "STANDARD_RESIDUES",
    "LINKER",
    "ModelSpec",
    "MODELS",
    "Family",
    "FAMILIES",
    "LanguageModel",
    "load_model",
    "available_models",
    "model_status",
    "antiberty_checkpoint",
    "config_shape",
]

#: The 20 standard amino acids, each of which must map to its own residue token.
STANDARD_RESIDUES = "ACDEFGHIKLMNPQRSTVWY"

#: Linker put between concatenated chains for families without a separator token
#: (the poly-glycine linker ESMFold uses for complexes).
LINKER = "G" * 25

_DEFAULT_MODEL = "antiberty"


@dataclass(frozen=True)
class ModelSpec:
    """A model known by a short name."""

    name: str
    source: str
    family: str
    parameters: str
    note: str = ""


#: Short names of the models the field uses, their Hugging Face ids and sizes.
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("antiberty", "pip:antiberty==0.1.3", "antiberty", "26M",
                  "antibody sequences; weights ship in the pip package"),
        ModelSpec("esm2_t6_8M", "facebook/esm2_t6_8M_UR50D", "esm", "8M"),
        ModelSpec("esm2_t12_35M", "facebook/esm2_t12_35M_UR50D", "esm", "35M"),
        ModelSpec("esm2_t30_150M", "facebook/esm2_t30_150M_UR50D", "esm", "150M"),
        ModelSpec("esm2_t33_650M", "facebook/esm2_t33_650M_UR50D", "esm", "650M",
                  "the default for general proteins"),
        ModelSpec("esm2_t36_3B", "facebook/esm2_t36_3B_UR50D", "esm", "3B"),
        ModelSpec("esm1b", "facebook/esm1b_t33_650M_UR50S", "esm", "650M"),
        ModelSpec("prot_bert", "Rostlab/prot_bert", "bert", "420M"),
        ModelSpec("prot_bert_bfd", "Rostlab/prot_bert_bfd", "bert", "420M"),
        ModelSpec("prot_albert", "Rostlab/prot_albert", "albert", "224M"),
        ModelSpec("prot_xlnet", "Rostlab/prot_xlnet", "xlnet", "409M"),
        ModelSpec("prot_t5_xl_u50", "Rostlab/prot_t5_xl_uniref50", "t5", "1.2B (encoder)",
                  "encoder only"),
    )
}


@dataclass(frozen=True)
class Family:
    """What differs between architectures, in one place.

    Attributes
    ----------
    name : str
    model_class : str
        transformers class that returns attention (``"EsmModel"``, ``"T5EncoderModel"``).
    tokenizer_class : str or None
        transformers tokenizer class; None for ``AutoTokenizer``.
    spaced : bool
        Residues are written space-separated (``"M K T"``), as Rostlab's models expect.
    rare_to_x : bool
        U, Z, O and B are written as X (Rostlab's preprocessing).
    separator : str or None
        Special token put between concatenated chains; None puts :data:`LINKER`.
    max_positions_less : int or None
        The longest chain is ``config.max_position_embeddings`` less this (the
        special tokens); None when the architecture has no position limit.
    max_residues_cap : int or None
        A fixed cap instead (ESM: 1022, its training crop).
    tokenizer_kwargs : dict
    """

    name: str
    model_class: str
    tokenizer_class: str | None
    spaced: bool
    rare_to_x: bool
    separator: str | None
    max_positions_less: int | None = 2
    max_residues_cap: int | None = None
    tokenizer_kwargs: dict[str, Any] = field(default_factory=dict)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("esm", "EsmModel", "EsmTokenizer", spaced=False, rare_to_x=False, separator=None,
               max_residues_cap=1022),
        Family("bert", "BertModel", "BertTokenizer", spaced=True, rare_to_x=True,
               separator="[SEP]", tokenizer_kwargs={"do_lower_case": False}),
        Family("albert", "AlbertModel", "AlbertTokenizer", spaced=True, rare_to_x=True,
               separator="[SEP]", tokenizer_kwargs={"do_lower_case": False}),
        Family("xlnet", "XLNetModel", "XLNetTokenizer", spaced=True, rare_to_x=True,
               separator="<sep>", max_positions_less=None,
               tokenizer_kwargs={"do_lower_case": False}),
        Family("t5", "T5EncoderModel", "T5Tokenizer", spaced=True, rare_to_x=True,
               separator="</s>", max_positions_less=None,
               tokenizer_kwargs={"do_lower_case": False}),
        Family("antiberty", "BertForMaskedLM", "BertTokenizer", spaced=True, rare_to_x=False,
               separator="[SEP]", tokenizer_kwargs={"do_lower_case": False}),
        Family("auto", "AutoModel", None, spaced=False, rare_to_x=False, separator=None,
               max_positions_less=2),
    )
}

_MODEL_TYPE_FAMILY = {"esm": "esm", "bert": "bert", "albert": "albert", "xlnet": "xlnet",
                      "t5": "t5"}
_RARE = re.compile(r"[UZOB]")


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
        self._n_added = len(self.tokenizer("", add_special_tokens=True)["input_ids"])
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
            positions.append(np.asarray(residues[k:k + len(s)], dtype=int))
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
        unknown = [aa for aa, t in zip(STANDARD_RESIDUES, tokens)
                   if t == self.tokenizer.unk_token_id]
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

    def check_segments(self, segments: Sequence[str]) -> list[int]:
        """Token ids of chains run as one input, refused if longer than one pass takes.

        The limit counts residues plus the separators or linker between chains.
        """
        ids, _ = self.tokenize(segments)
        self.check_length(len(ids) - self._n_added)
        return ids

    def _attention_modules(self) -> tuple[list[Any], int] | None:
        """:func:`attention_modules` of this model, found once."""
        if not hasattr(self, "_hooked"):
            self._hooked = attention_modules(self.model)
        return self._hooked

    def forward(self, ids: Sequence[int] | Sequence[Sequence[int]],
                output_attentions: bool = True,
                on_attention: Callable[[Any], None] | None = None) -> Any:
        """Run the model on token ids; the transformers output object.

        Parameters
        ----------
        ids : sequence of int, or sequence of sequences of int
            One input, or a batch of inputs of the same number of tokens (the
            windows of one chain), run as one batch without padding.
        output_attentions : bool
            Collect every layer's attention in the output (``out.attentions``).
        on_attention : callable, optional
            Called with each layer's attention over tokens, in layer order, while the
            pass runs (``torch.Tensor`` of ``shape=(1, heads, T, T)`` on the model's
            device; ``shape=(batch, heads, T, T)`` for a batch), which then keeps none
            of it: forward hooks on the attention
            modules transformers names in ``_can_record_outputs``. For a family whose
            modules return their weights only when asked (XLNet), the pass collects
            them (``output_attentions``) and hands them over after it.
        """
        import torch

        batch = [list(ids)] if ids and isinstance(ids[0], (int, np.integer)) else \
            [list(one) for one in ids]
        if len({len(one) for one in batch}) != 1:
            raise ValueError("a batch's inputs must have the same number of tokens")
        input_ids = torch.tensor(batch, device=self.device)
        hooked = self._attention_modules() if on_attention is not None else None
        with self._lock, torch.inference_mode():
            if on_attention is None or hooked is None:
                out = self.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                 output_attentions=output_attentions or on_attention is not None)
                if on_attention is not None:
                    for layer in out.attentions:
                        on_attention(layer)
                    if not output_attentions:
                        out.attentions = None
                return out
            modules, index = hooked
            handles = [m.register_forward_hook(
                lambda module, args, output: on_attention(output[index])) for m in modules]
            try:
                return self.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                  output_attentions=output_attentions)
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
        self.check_length(len(ids) - self._n_added)  # residues, and linker or separators
        residues = np.concatenate(positions)
        out = self.forward(ids)
        if not getattr(out, "attentions", None):
            raise ModelError(
                f"{self.name} returned no attention; it must be loaded with "
                "attn_implementation='eager' and support output_attentions"
            )
        # one layer at a time: (1, heads, T, T) -> (heads, N, N), never all layers over tokens
        return np.stack([strip_special_tokens(a[0].float().cpu().numpy(), residues)
                         for a in out.attentions])

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
                (recorder, None, None, 1) if isinstance(recorder, type)
                else (None, recorder, None, 1))
        else:
            target, class_name = recorder.target_class, recorder.class_name
            layer_name, index = recorder.layer_name, recorder.index
        for name, module in model.named_modules():
            if not ((target is not None and isinstance(module, target))
                    or (class_name is not None and name.endswith(class_name))):
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

_MODELS: dict[tuple[str, str, str], LanguageModel] = {}
_MODELS_LOCK = threading.Lock()


def available_models() -> list[str]:
    """Short names of the models protattn knows (see :func:`model_status` for what is here)."""
    return list(MODELS)


def _antiberty_dir() -> str:
    """Where antiberty==0.1.3 keeps its weights; found without importing the package
    (which imports torch)."""
    import importlib.util

    spec = importlib.util.find_spec("antiberty")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "AntiBERTy is not installed; install its weights with "
            "`pip install antiberty==0.1.3` (later versions download them at run time)"
        )
    root = os.path.join(list(spec.submodule_search_locations)[0], "trained_models")
    if not os.path.isfile(os.path.join(root, "AntiBERTy_md_smooth", "pytorch_model.bin")):
        raise ModelError(
            f"AntiBERTy's weights are not in {root}; antiberty>=1.0 no longer ships "
            "them: `pip install antiberty==0.1.3`"
        )
    return root


def antiberty_checkpoint() -> str | None:
    """AntiBERTy's checkpoint folder (config.json and weights), or None if it is not installed.

    Found without importing the ``antiberty`` package (which imports torch).
    """
    try:
        return os.path.join(_antiberty_dir(), "AntiBERTy_md_smooth")
    except ModelError:
        return None


def _config_shape(path: str | None) -> tuple[int, int] | None:
    if not path or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    layers = config.get("num_hidden_layers") or config.get("num_layers")
    heads = config.get("num_attention_heads") or config.get("num_heads")
    return (int(layers), int(heads)) if layers and heads else None


def config_shape(name: str) -> tuple[int, int] | None:
    """``(layers, heads)`` of a model from its config.json, without loading it or torch.

    Parameters
    ----------
    name : str
        Short name, Hugging Face id or model directory.

    Returns
    -------
    tuple of int or None
        None when the config is not here (a hub model not downloaded, a host's
        Python without ``huggingface_hub`` whose models run in a worker) or not
        readable.
    """
    spec = MODELS.get(name)
    try:
        if spec is not None and spec.family == "antiberty":
            folder = antiberty_checkpoint()
            return _config_shape(os.path.join(folder, "config.json")) if folder else None
        folder = os.path.expanduser(name)
        if os.path.isdir(folder):
            return _config_shape(os.path.join(folder, "config.json"))
        from huggingface_hub import try_to_load_from_cache  # light; only for hub models

        found = try_to_load_from_cache(spec.source if spec else name, "config.json")
        return _config_shape(found if isinstance(found, str) else None)
    except (ImportError, OSError, ValueError, TypeError):  # not here, unreadable or foreign
        return None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_cache() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def model_status(name: str) -> str:
    """Where a known model would be loaded from: ``"package"``, ``"cache"`` or ``"missing"``."""
    spec = MODELS[name]
    if spec.family == "antiberty":
        try:
            _antiberty_dir()
        except ModelError:
            return "missing"
        return "package"
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # a host's Python without the model stack (models run in a worker)
        return "missing"
    found = try_to_load_from_cache(spec.source, "config.json")
    return "cache" if isinstance(found, str) else "missing"


def _not_found(name: str, source: str, error: Exception) -> ModelError:
    where = f"the Hugging Face cache ({_hub_cache()})"
    how = ("download it on a networked machine (`hf download " + source + "`) and copy "
           "its cache folder here (HF_HOME), or pass a local directory of the model")
    reason = "HF_HUB_OFFLINE is set" if _offline() else "the hub could not be reached"
    return ModelError(f"model {name!r} ({source}) is not in {where} and {reason}; {how}. "
                      f"({type(error).__name__}: {error})")


def _load_antiberty(device: str) -> LanguageModel:
    from transformers import BertForMaskedLM, BertTokenizer

    root = _antiberty_dir()
    with open(os.path.join(root, "vocab.txt")) as fh:
        vocab = {tok.strip(): i for i, tok in enumerate(fh) if tok.strip()}
    # BertTokenizer (transformers >= 5) ignores vocab_file= and lower-cases by default
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=False)
    with _quiet_transformers():
        try:
            model = BertForMaskedLM.from_pretrained(
                os.path.join(root, "AntiBERTy_md_smooth"), attn_implementation="eager")
        except Exception as e:
            raise ModelError(f"AntiBERTy could not be loaded from {root}: {e}") from e
    model.eval().to(device)
    max_residues = int(model.config.max_position_embeddings) - 2
    return LanguageModel("antiberty", "antiberty==0.1.3", None, FAMILIES["antiberty"], model,
                         tokenizer, max_residues, device, spaced=True)


class _quiet_transformers:
    """Silence transformers' load report and progress bars (expected unused heads)."""

    def __enter__(self) -> None:
        import transformers

        self._verbosity = transformers.logging.get_verbosity()
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

    def __exit__(self, *exc: object) -> None:
        import transformers

        transformers.logging.set_verbosity(self._verbosity)
        transformers.logging.enable_progress_bar()


def _family_of(config: Any, name: str) -> Family:
    return FAMILIES[_MODEL_TYPE_FAMILY.get(getattr(config, "model_type", ""), "auto")]


def _load_transformers(name: str, source: str, revision: str | None, device: str,
                       dtype: str | None) -> LanguageModel:
    import torch
    import transformers
    from transformers import AutoConfig

    local = os.path.isdir(source)
    kwargs: dict[str, Any] = {"revision": revision}
    if not local and _offline():
        kwargs["local_files_only"] = True
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
    except Exception as e:  # OSError, HF hub errors, connection errors
        if local:
            raise ModelError(f"{source!r} is not a model directory (no usable config.json): "
                             f"{e}") from e
        raise _not_found(name, source, e) from e
    family = _family_of(config, name)
    model_class = getattr(transformers, family.model_class)
    tokenizer_class = getattr(transformers, family.tokenizer_class or "AutoTokenizer")
    torch_dtype = {None: None, "float32": torch.float32, "float16": torch.float16,
                   "bfloat16": torch.bfloat16}[dtype]
    if torch_dtype in (torch.float16, torch.bfloat16) and device == "cpu":
        raise ModelError(f"dtype {dtype} is for GPUs; on the CPU protattn runs in float32")
    with _quiet_transformers():
        try:
            tokenizer = tokenizer_class.from_pretrained(source, **family.tokenizer_kwargs,
                                                        **kwargs)
            model = model_class.from_pretrained(source, attn_implementation="eager",
                                                dtype=torch_dtype, **kwargs)
        except Exception as e:
            if local:
                raise ModelError(f"the model in {source!r} could not be loaded: {e}") from e
            raise _not_found(name, source, e) from e
    model.eval().to(device)
    if family.max_residues_cap is not None:
        max_residues = family.max_residues_cap
    elif family.max_positions_less is not None and getattr(
            config, "max_position_embeddings", None):
        max_residues = int(config.max_position_embeddings) - family.max_positions_less
    else:
        max_residues = None
    model_id = os.path.abspath(source) if local else source
    commit = getattr(config, "_commit_hash", None) or revision
    spaced = family.spaced
    if family.name == "auto":
        spaced = _detect_spacing(tokenizer)
    try:
        return LanguageModel(name, model_id, commit, family, model, tokenizer, max_residues,
                             device, spaced, dtype or "float32")
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"{name}: its tokenizer cannot be used for protein sequences: {e}") from e


def _detect_spacing(tokenizer: Any) -> bool:
    """For an unknown family: are residues written space-separated? (the one that tokenizes)."""
    special = set(tokenizer.all_special_ids)
    for spaced in (False, True):
        text = (" " if spaced else "").join(STANDARD_RESIDUES)
        ids = [t for t in tokenizer(text)["input_ids"] if t not in special]
        if len(ids) == 20 and tokenizer.unk_token_id not in ids:
            return spaced
    raise ModelError(
        "this tokenizer gives no single token per residue, written either as 'ACD…' or "
        "'A C D …'; protattn cannot map its attention to residues"
    )


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(name: str = _DEFAULT_MODEL, device: str | None = None,
               dtype: str | None = None, revision: str | None = None) -> LanguageModel:
    """Load a protein language model (kept for reuse in this process).

    Parameters
    ----------
    name : str
        A short name of :data:`MODELS` (``"antiberty"``, ``"esm2_t33_650M"``, …), a
        Hugging Face id (``"facebook/esm2_t6_8M_UR50D"``), or a local directory
        holding a model saved with ``save_pretrained`` and its tokenizer.
    device : str, optional
        ``"cpu"`` or ``"cuda"``; CUDA when available by default.
    dtype : {"float32", "float16", "bfloat16"}, optional
        Weights' precision; half precision only on a GPU. Default float32.
    revision : str, optional
        Hub revision (branch, tag or commit).

    Returns
    -------
    LanguageModel

    Raises
    ------
    ModelError
        If the model is unknown, is neither in the local Hugging Face cache nor
        reachable (or ``HF_HUB_OFFLINE`` is set), or returns no attention.

    Notes
    -----
    Models come from the Hugging Face cache (``HF_HOME``) or a directory; the
    hub is asked only when ``HF_HUB_OFFLINE`` is not set.
    """
    device = device or _default_device()
    key = name.strip()
    spec = next((m for m in MODELS.values() if m.name.lower() == key.lower()), None)
    cache_key = (spec.name if spec else key, device, f"{dtype}:{revision}")
    with _MODELS_LOCK:
        if cache_key not in _MODELS:
            if spec is not None and spec.family == "antiberty":
                if dtype not in (None, "float32"):
                    raise ModelError(f"AntiBERTy runs in float32 only, not {dtype}; leave the "
                                     "precision out (--dtype / dtype=) for it")
                _MODELS[cache_key] = _load_antiberty(device)
            elif spec is not None:
                _MODELS[cache_key] = _load_transformers(spec.name, spec.source, revision,
                                                        device, dtype)
            elif os.path.isdir(os.path.expanduser(key)) or "/" in key:
                _MODELS[cache_key] = _load_transformers(key, os.path.expanduser(key),
                                                        revision, device, dtype)
            else:
                raise ModelError(
                    f"unknown model {name!r}; give one of {', '.join(MODELS)}, a Hugging Face "
                    "id (owner/name) or a model directory (`protattn models` lists them)"
                )
        return _MODELS[cache_key]
