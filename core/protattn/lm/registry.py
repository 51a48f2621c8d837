"""The language models protattn knows by short name, and where each can be loaded from.

:data:`MODELS` maps short names to Hugging Face ids and sizes;
:func:`model_status` says, without loading anything, whether a model loads here
("package", "cache") or is missing; :func:`config_shape` reads layers and heads
from a saved config.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..errors import ModelError

__all__ = [
    "STANDARD_RESIDUES",
    "LINKER",
    "ModelSpec",
    "MODELS",
    "available_models",
    "antiberty_checkpoint",
    "config_shape",
    "model_status",
]

#: The 20 standard amino acids, each of which must map to its own residue token.
STANDARD_RESIDUES = "ACDEFGHIKLMNPQRSTVWY"

#: Linker put between concatenated chains for families without a separator token
#: (the poly-glycine linker ESMFold uses for complexes).
LINKER = "G" * 25

DEFAULT_MODEL = "antiberty"


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
        ModelSpec(
            "antiberty",
            "pip:antiberty==0.1.3",
            "antiberty",
            "26M",
            "antibody sequences; weights ship in the pip package",
        ),
        ModelSpec("esm2_t6_8M", "facebook/esm2_t6_8M_UR50D", "esm", "8M"),
        ModelSpec("esm2_t12_35M", "facebook/esm2_t12_35M_UR50D", "esm", "35M"),
        ModelSpec("esm2_t30_150M", "facebook/esm2_t30_150M_UR50D", "esm", "150M"),
        ModelSpec(
            "esm2_t33_650M",
            "facebook/esm2_t33_650M_UR50D",
            "esm",
            "650M",
            "the default for general proteins",
        ),
        ModelSpec("esm2_t36_3B", "facebook/esm2_t36_3B_UR50D", "esm", "3B"),
        ModelSpec("esm1b", "facebook/esm1b_t33_650M_UR50S", "esm", "650M"),
        ModelSpec("prot_bert", "Rostlab/prot_bert", "bert", "420M"),
        ModelSpec("prot_bert_bfd", "Rostlab/prot_bert_bfd", "bert", "420M"),
        ModelSpec("prot_albert", "Rostlab/prot_albert", "albert", "224M"),
        ModelSpec("prot_xlnet", "Rostlab/prot_xlnet", "xlnet", "409M"),
        ModelSpec(
            "prot_t5_xl_u50", "Rostlab/prot_t5_xl_uniref50", "t5", "1.2B (encoder)", "encoder only"
        ),
    )
}


def available_models() -> list[str]:
    """Short names of the models protattn knows (see :func:`model_status` for what is here)."""
    return list(MODELS)


def antiberty_dir() -> str:
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
        return os.path.join(antiberty_dir(), "AntiBERTy_md_smooth")
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


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def hub_cache() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def model_status(name: str) -> str:
    """Where a known model would be loaded from: ``"package"``, ``"cache"`` or ``"missing"``."""
    spec = MODELS[name]
    if spec.family == "antiberty":
        try:
            antiberty_dir()
        except ModelError:
            return "missing"
        return "package"
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # a host's Python without the model stack (models run in a worker)
        return "missing"
    found = try_to_load_from_cache(spec.source, "config.json")
    return "cache" if isinstance(found, str) else "missing"
