"""protattn: protein language model attention on the structure you have open.

The core is host-neutral: it reads structures into :class:`~protattn.structure.Chain`
objects (or receives them from PyMOL / ChimeraX), runs a protein language model,
and turns attention into residue pairs, residue scores and a drawable
:class:`~protattn.scene.Scene`. torch is imported only when a model is loaded.
"""

from .api import PairsResult, ScoresResult, compute_pairs, compute_scores
from .attention import HeadSpec, Pair, parse_layer_head, residue_scores, select_pairs, symmetrize
from .cache import AttentionCache, CacheWarning, cache_key, default_cache_dir
from .errors import (
    ChainError,
    LayerHeadError,
    ModelError,
    ProtattnError,
    SequenceTooLongError,
    StructureError,
)
from .inference import ChainAttention, chain_attention
from .models import MODELS, LanguageModel, available_models, load_model
from .scene import PseudoBond, ResidueColor, Scene, pair_scene, residue_scene
from .structure import (
    Chain,
    Ligand,
    ObservedResidue,
    ResidueId,
    Structure,
    ca_coordinates,
    chain_from_residues,
    join_chains,
    read_structure,
)

__version__ = "0.1.0"

__all__ = [
    "AttentionCache", "CacheWarning", "Chain", "ChainAttention", "ChainError", "HeadSpec",
    "LanguageModel", "LayerHeadError", "Ligand", "MODELS", "ModelError", "ObservedResidue",
    "Pair", "PairsResult", "ProtattnError", "PseudoBond", "ResidueColor", "ResidueId", "Scene",
    "ScoresResult", "SequenceTooLongError", "Structure", "StructureError", "available_models",
    "ca_coordinates", "cache_key", "chain_attention", "chain_from_residues", "compute_pairs",
    "compute_scores", "default_cache_dir", "join_chains", "load_model", "pair_scene",
    "parse_layer_head", "read_structure", "residue_scene", "residue_scores", "select_pairs",
    "symmetrize",
]
