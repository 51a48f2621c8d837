"""Protein language models behind one contract: a sequence in, attention over residues out.

>>> lm = load_model("antiberty")                      # doctest: +SKIP
>>> lm.attention("EVQLVESGGGLVQPGGSLRLSCAAS").shape  # doctest: +SKIP
(8, 8, 25, 25)

torch and transformers are imported here only, and only when a model is
loaded, so that importing :mod:`protattn` (and starting a host) stays cheap.
Models are loaded with ``attn_implementation="eager"``: transformers' SDPA
kernel returns no attention weights.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ModelError, SequenceTooLongError

__all__ = ["STANDARD_RESIDUES", "LanguageModel", "load_model", "available_models"]

#: The 20 standard amino acids, each of which must map to its own residue token.
STANDARD_RESIDUES = "ACDEFGHIKLMNPQRSTVWY"

_DEFAULT_MODEL = "antiberty"


def _antiberty_dir() -> str:
    try:
        import antiberty
    except ImportError as e:
        raise ModelError(
            "AntiBERTy is not installed; install its weights with "
            "`pip install antiberty==0.1.3` (later versions download them at run time)"
        ) from e
    root = os.path.join(os.path.dirname(antiberty.__file__), "trained_models")
    checkpoint = os.path.join(root, "AntiBERTy_md_smooth")
    if not os.path.isfile(os.path.join(checkpoint, "pytorch_model.bin")):
        raise ModelError(
            f"AntiBERTy's weights are not in {checkpoint}; antiberty>=1.0 no longer ships "
            "them: `pip install antiberty==0.1.3`"
        )
    return root


@dataclass
class LanguageModel:
    """A loaded protein language model and its residue tokenizer.

    Attributes
    ----------
    name : str
        Short name (``"antiberty"``).
    model : torch.nn.Module
        The transformers model (for AntiBERTy a ``BertForMaskedLM``), in eval mode.
    vocab : Mapping[str, int]
        Token to id.
    max_residues : int
        Longest chain accepted in one pass (position limit less the special tokens).
    device : str
    """

    name: str
    model: Any
    vocab: Mapping[str, int]
    max_residues: int
    device: str
    cls_token: str = "[CLS]"
    sep_token: str = "[SEP]"
    unk_token: str = "[UNK]"
    mask_token: str = "[MASK]"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        missing = [aa for aa in STANDARD_RESIDUES if aa not in self.vocab]
        ids = {self.vocab.get(aa) for aa in STANDARD_RESIDUES}
        unk = self.vocab.get(self.unk_token)
        if missing or len(ids) != 20 or unk in ids:
            raise ModelError(
                f"{self.name}: the tokenizer does not give the 20 standard residues 20 residue "
                f"tokens (missing: {''.join(missing) or 'none'}); the vocabulary is wrong for "
                "this model"
            )

    @property
    def n_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def n_heads(self) -> int:
        return int(self.model.config.num_attention_heads)

    def encode(self, sequence: str) -> list[int]:
        """Token ids of a residue sequence with the model's special tokens.

        Residues outside the vocabulary (X, B, Z, U, O) become the unknown token;
        the 20 standard residues never do (checked at load time). ``_`` marks a
        masked position.
        """
        unk = self.vocab[self.unk_token]
        ids = [self.vocab[self.cls_token]]
        for aa in sequence.upper():
            ids.append(self.vocab[self.mask_token] if aa == "_" else self.vocab.get(aa, unk))
        ids.append(self.vocab[self.sep_token])
        return ids

    def _check_length(self, sequence: str) -> None:
        if len(sequence) > self.max_residues:
            raise SequenceTooLongError(
                f"a chain of {len(sequence)} residues is longer than {self.name}'s limit of "
                f"{self.max_residues}; choose a shorter chain or a domain of it (a selection of "
                "its residues)"
            )
        if not sequence:
            raise ModelError("the sequence is empty; select residues of a protein chain")

    def forward(self, sequence: str, output_attentions: bool = True) -> Any:
        """Run the model on one sequence; the transformers output object."""
        import torch

        self._check_length(sequence)
        input_ids = torch.tensor([self.encode(sequence)], device=self.device)
        with self._lock, torch.inference_mode():
            return self.model(input_ids=input_ids, output_attentions=output_attentions)

    def attention(self, sequence: str) -> np.ndarray:
        """Attention over residues only.

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
        """
        out = self.forward(sequence)
        # layers x (1, heads, T, T) -> (layers, heads, T, T)
        full = np.stack([a[0].float().cpu().numpy() for a in out.attentions])
        return strip_special_tokens(full, len(sequence), n_prefix=1)


def strip_special_tokens(attention: np.ndarray, n_residues: int, n_prefix: int) -> np.ndarray:
    """Keep the residue block of token-level attention (the one place specials are removed).

    Parameters
    ----------
    attention : numpy.ndarray
        ``shape=(..., T, T)`` over tokens.
    n_residues : int
    n_prefix : int
        Number of special tokens before the first residue.

    Returns
    -------
    numpy.ndarray
        ``shape=(..., n_residues, n_residues)``, a contiguous copy.
    """
    block = slice(n_prefix, n_prefix + n_residues)
    return np.ascontiguousarray(attention[..., block, block])


_MODELS: dict[tuple[str, str], LanguageModel] = {}
_MODELS_LOCK = threading.Lock()


def available_models() -> list[str]:
    """Short names of the models that can be loaded here."""
    return [_DEFAULT_MODEL]


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _load_antiberty(device: str) -> LanguageModel:
    import transformers
    from transformers import BertForMaskedLM

    root = _antiberty_dir()
    with open(os.path.join(root, "vocab.txt")) as fh:
        vocab = {tok.strip(): i for i, tok in enumerate(fh) if tok.strip()}
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the checkpoint's extra heads are expected
    transformers.logging.disable_progress_bar()
    try:
        model = BertForMaskedLM.from_pretrained(
            os.path.join(root, "AntiBERTy_md_smooth"), attn_implementation="eager"
        )
    except Exception as e:
        raise ModelError(f"AntiBERTy could not be loaded from {root}: {e}") from e
    finally:
        transformers.logging.set_verbosity(verbosity)
        transformers.logging.enable_progress_bar()
    model.eval().to(device)
    max_residues = int(model.config.max_position_embeddings) - 2
    return LanguageModel("antiberty", model, vocab, max_residues, device)


def load_model(name: str = _DEFAULT_MODEL, device: str | None = None) -> LanguageModel:
    """Load a protein language model by short name (kept for reuse in this process).

    Parameters
    ----------
    name : str
        ``"antiberty"`` (its weights ship in ``antiberty==0.1.3``, so it works offline).
    device : str, optional
        ``"cpu"`` or ``"cuda"``; CUDA when available by default.

    Returns
    -------
    LanguageModel

    Raises
    ------
    ModelError
        If the model is unknown or cannot be loaded.
    """
    key = name.strip().lower()
    if key not in available_models():
        raise ModelError(
            f"unknown model {name!r}; available: {', '.join(available_models())}"
        )
    device = device or _default_device()
    with _MODELS_LOCK:
        if (key, device) not in _MODELS:
            _MODELS[(key, device)] = _load_antiberty(device)
        return _MODELS[(key, device)]
