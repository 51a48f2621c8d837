"""Loading a language model: AntiBERTy from its pip package, the rest with transformers.

:func:`load_model` takes a short name, a Hugging Face id or a local directory,
loads it once per (name, device, dtype) with eager attention, checks that its
tokenizer gives one token per residue, and refuses what cannot be loaded offline
with the name, where it was looked for and the fix.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ..errors import ModelError
from .families import FAMILIES, MODEL_TYPE_FAMILY, Family
from .model import LanguageModel
from .registry import (
    DEFAULT_MODEL,
    MODELS,
    STANDARD_RESIDUES,
    antiberty_dir,
    hub_cache,
    offline,
)

__all__ = [
    "load_model",
]

_MODELS: dict[tuple[str, str, str], LanguageModel] = {}
_MODELS_LOCK = threading.Lock()


def _refuse_own_code(directory: str) -> None:
    """Refuse a model directory whose config asks to run its own code (``auto_map``)."""
    import json

    try:
        with open(os.path.join(directory, "config.json")) as fh:
            config = json.load(fh)
    except (OSError, ValueError):
        return  # no readable config: transformers says so
    if isinstance(config, dict) and config.get("auto_map"):
        raise ModelError(
            f"the model in {directory!r} asks to run its own code (auto_map in its "
            "config.json: custom code); protattn never runs code from a model directory. "
            "Use a model of an architecture transformers ships (ESM, BERT, ALBERT, XLNet, T5)"
        )


def _looks_like_path(key: str) -> bool:
    """A model written as a path (``/models/esm``, ``./esm``, ``~/esm``), not ``owner/name``."""
    return key.startswith(("/", ".", "~")) or key.count("/") > 1 or "\\" in key


def _not_found(name: str, source: str, error: Exception) -> ModelError:
    where = f"the Hugging Face cache ({hub_cache()})"
    how = (
        "download it on a networked machine (`hf download " + source + "`) and copy "
        "its cache folder here (HF_HOME), or pass a local directory of the model"
    )
    reason = "HF_HUB_OFFLINE is set" if offline() else "the hub could not be reached"
    return ModelError(
        f"model {name!r} ({source}) is not in {where} and {reason}; {how}. "
        f"({type(error).__name__}: {error})"
    )


def _load_antiberty(device: str) -> LanguageModel:
    from transformers import BertForMaskedLM, BertTokenizer

    root = antiberty_dir()
    with open(os.path.join(root, "vocab.txt")) as fh:
        vocab = {tok.strip(): i for i, tok in enumerate(fh) if tok.strip()}
    # BertTokenizer (transformers >= 5) ignores vocab_file= and lower-cases by default
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=False)
    with _quiet_transformers():
        try:
            model = BertForMaskedLM.from_pretrained(
                os.path.join(root, "AntiBERTy_md_smooth"), attn_implementation="eager"
            )
        except Exception as e:
            raise ModelError(f"AntiBERTy could not be loaded from {root}: {e}") from e
    model.eval().to(device)
    max_residues = int(model.config.max_position_embeddings) - 2
    return LanguageModel(
        "antiberty",
        "antiberty==0.1.3",
        None,
        FAMILIES["antiberty"],
        model,
        tokenizer,
        max_residues,
        device,
        spaced=True,
    )


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
    return FAMILIES[MODEL_TYPE_FAMILY.get(getattr(config, "model_type", ""), "auto")]


def _load_transformers(
    name: str, source: str, revision: str | None, device: str, dtype: str | None
) -> LanguageModel:
    import torch
    import transformers
    from transformers import AutoConfig

    local = os.path.isdir(source)
    if local:
        _refuse_own_code(source)
    # a model never runs code it brings with it (transformers' remote code)
    kwargs: dict[str, Any] = {"revision": revision, "trust_remote_code": False}
    if not local and offline():
        kwargs["local_files_only"] = True
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
    except Exception as e:  # OSError, HF hub errors, connection errors
        if local:
            raise ModelError(
                f"{source!r} is not a model directory (no usable config.json): {e}"
            ) from e
        raise _not_found(name, source, e) from e
    family = _family_of(config, name)
    model_class = getattr(transformers, family.model_class)
    tokenizer_class = getattr(transformers, family.tokenizer_class or "AutoTokenizer")
    torch_dtype = {
        None: None,
        "float32": torch.float32,
        "float16": torch.float16,
        "bfloat16": torch.bfloat16,
    }[dtype]
    if torch_dtype in (torch.float16, torch.bfloat16) and device == "cpu":
        raise ModelError(f"dtype {dtype} is for GPUs; on the CPU protattn runs in float32")
    with _quiet_transformers():
        try:
            tokenizer = tokenizer_class.from_pretrained(source, **family.tokenizer_kwargs, **kwargs)
            model = model_class.from_pretrained(
                source, attn_implementation="eager", dtype=torch_dtype, **kwargs
            )
        except Exception as e:
            if "weights only load failed" in str(e).lower():
                raise ModelError(
                    f"the weights in {source!r} are a pickle that holds more than tensors: "
                    "protattn loads weights only as safetensors or with weights_only, so it "
                    "runs nothing a checkpoint holds; save the model again with "
                    "save_pretrained (safetensors) from a copy you trust"
                ) from e
            if local:
                raise ModelError(f"the model in {source!r} could not be loaded: {e}") from e
            raise _not_found(name, source, e) from e
    model.eval().to(device)
    if family.max_residues_cap is not None:
        max_residues = family.max_residues_cap
    elif family.max_positions_less is not None and getattr(config, "max_position_embeddings", None):
        max_residues = int(config.max_position_embeddings) - family.max_positions_less
    else:
        max_residues = None
    model_id = os.path.abspath(source) if local else source
    commit = getattr(config, "_commit_hash", None) or revision
    spaced = family.spaced
    if family.name == "auto":
        spaced = _detect_spacing(tokenizer)
    try:
        return LanguageModel(
            name,
            model_id,
            commit,
            family,
            model,
            tokenizer,
            max_residues,
            device,
            spaced,
            dtype or "float32",
        )
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


def load_model(
    name: str = DEFAULT_MODEL,
    device: str | None = None,
    dtype: str | None = None,
    revision: str | None = None,
) -> LanguageModel:
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
                    raise ModelError(
                        f"AntiBERTy runs in float32 only, not {dtype}; leave the "
                        "precision out (--dtype / dtype=) for it"
                    )
                _MODELS[cache_key] = _load_antiberty(device)
            elif spec is not None:
                _MODELS[cache_key] = _load_transformers(
                    spec.name, spec.source, revision, device, dtype
                )
            elif _looks_like_path(key) and not os.path.isdir(os.path.expanduser(key)):
                raise ModelError(
                    f"model directory {name!r} does not exist; give a folder saved with "
                    "save_pretrained (model and tokenizer), a Hugging Face id (owner/name) or "
                    "a short name (`protattn models` lists them)"
                )
            elif os.path.isdir(os.path.expanduser(key)) or "/" in key:
                _MODELS[cache_key] = _load_transformers(
                    key, os.path.expanduser(key), revision, device, dtype
                )
            else:
                raise ModelError(
                    f"unknown model {name!r}; give one of {', '.join(MODELS)}, a Hugging Face "
                    "id (owner/name) or a model directory (`protattn models` lists them)"
                )
        return _MODELS[cache_key]
