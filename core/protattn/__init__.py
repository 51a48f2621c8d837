"""protattn: protein language model attention on the structure you have open.

The core is host-neutral: it reads structures into :class:`~protattn.structure.Chain`
objects (or receives them from PyMOL / ChimeraX), runs a protein language model,
and turns attention into residue pairs, residue scores and a drawable
:class:`~protattn.scene.Scene`. torch is imported only when a model is loaded.
"""

from .api import PairsResult, ScoresResult, compute_pairs, compute_scores
from .attention import HeadSpec, Pair, parse_layer_head, residue_scores, select_pairs, symmetrize
from .backend import get_model
from .cache import AttentionCache, CacheWarning, cache_key, default_cache_dir
from .compact import CompactAttention
from .contacts import (
    ContactPrecision,
    contact_precision,
    esm_contact_probabilities,
    predicted_pairs,
    unsupervised_contacts,
)
from .errors import (
    ChainError,
    LayerHeadError,
    ModelError,
    ProtattnError,
    SequenceTooLongError,
    StructureError,
    WorkerError,
)
from .features import (
    AMINO_ACIDS,
    LIGAND_KINDS,
    RANGE_BANDS,
    BindingSite,
    binding_sites,
    contact_map,
    secondary_structure,
    site_mask,
    structure_features,
)
from .inference import ChainAttention, chain_attention, compact_attention
from .models import MODELS, LanguageModel, available_models, load_model
from .scene import PseudoBond, ResidueColor, Scene, pair_scene, residue_scene
from .statistics import HeadStatistics, HeadStatsAccumulator, PropertyMask
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
    "AMINO_ACIDS", "AttentionCache", "BindingSite", "CacheWarning", "Chain", "ChainAttention",
    "ChainError", "CompactAttention", "ContactPrecision", "HeadSpec", "HeadStatistics",
    "HeadStatsAccumulator", "LIGAND_KINDS", "LanguageModel", "LayerHeadError", "Ligand",
    "MODELS", "ModelError", "ObservedResidue", "Pair", "PairsResult", "PropertyMask",
    "ProtattnError", "PseudoBond", "RANGE_BANDS", "ResidueColor", "ResidueId", "Scene",
    "ScoresResult", "SequenceTooLongError", "Structure", "StructureError", "WorkerError",
    "available_models", "binding_sites", "ca_coordinates", "cache_key", "chain_attention",
    "chain_from_residues", "compact_attention", "compute_pairs", "compute_scores",
    "contact_map", "contact_precision", "default_cache_dir", "esm_contact_probabilities",
    "get_model", "join_chains", "load_model", "pair_scene", "parse_layer_head",
    "predicted_pairs", "read_structure", "residue_scene", "residue_scores",
    "secondary_structure", "select_pairs", "site_mask", "structure_features", "symmetrize",
    "unsupervised_contacts",
]
