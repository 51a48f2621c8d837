"""protattn: protein language model attention on the structure you have open.

The core is host-neutral: it reads structures into :class:`~protattn.structure.model.Chain`
objects (or receives them from PyMOL / ChimeraX), runs a protein language model,
and turns attention into residue pairs, residue scores and a drawable
:class:`~protattn.scene.Scene`. torch is imported only when a model is loaded.
"""

from ._version import __version__
from .analysis.contacts import esm_contact_probabilities, unsupervised_contacts
from .analysis.pairs import Pair, residue_scores, select_pairs, symmetrize
from .analysis.precision import ContactPrecision, contact_precision, predicted_pairs
from .analysis.results import HeadStatistics
from .analysis.statistics import HeadStatsAccumulator
from .api.pairs import PairsResult, ScoresResult, compute_pairs, compute_scores
from .compute.backend import get_model
from .errors import (
    ChainError,
    LayerHeadError,
    ModelError,
    ProtattnError,
    SequenceTooLongError,
    StructureError,
    WorkerError,
)
from .lm.cache import AttentionCache, CacheWarning, cache_key, default_cache_dir
from .lm.compact import CompactAttention
from .lm.heads import HeadSpec, parse_layer_head
from .lm.inference import ChainAttention, chain_attention, compact_attention
from .lm.loading import load_model
from .lm.masks import PropertyMask
from .lm.model import LanguageModel
from .lm.registry import MODELS, available_models
from .scene import PseudoBond, ResidueColor, Scene, pair_scene, residue_scene
from .structure.dssp import secondary_structure
from .structure.io import read_structure
from .structure.model import (
    Chain,
    Ligand,
    ObservedResidue,
    ResidueId,
    Structure,
    ca_coordinates,
    chain_from_residues,
    join_chains,
)
from .structure.properties import AMINO_ACIDS, RANGE_BANDS, contact_map
from .structure.records import structure_features
from .structure.sites import LIGAND_KINDS, BindingSite, binding_sites, site_mask

__all__ = [
    "__version__",
    "AMINO_ACIDS",
    "AttentionCache",
    "BindingSite",
    "CacheWarning",
    "Chain",
    "ChainAttention",
    "ChainError",
    "CompactAttention",
    "ContactPrecision",
    "HeadSpec",
    "HeadStatistics",
    "HeadStatsAccumulator",
    "LIGAND_KINDS",
    "LanguageModel",
    "LayerHeadError",
    "Ligand",
    "MODELS",
    "ModelError",
    "ObservedResidue",
    "Pair",
    "PairsResult",
    "PropertyMask",
    "ProtattnError",
    "PseudoBond",
    "RANGE_BANDS",
    "ResidueColor",
    "ResidueId",
    "Scene",
    "ScoresResult",
    "SequenceTooLongError",
    "Structure",
    "StructureError",
    "WorkerError",
    "available_models",
    "binding_sites",
    "ca_coordinates",
    "cache_key",
    "chain_attention",
    "chain_from_residues",
    "compact_attention",
    "compute_pairs",
    "compute_scores",
    "contact_map",
    "contact_precision",
    "default_cache_dir",
    "esm_contact_probabilities",
    "get_model",
    "join_chains",
    "load_model",
    "pair_scene",
    "parse_layer_head",
    "predicted_pairs",
    "read_structure",
    "residue_scene",
    "residue_scores",
    "secondary_structure",
    "select_pairs",
    "site_mask",
    "structure_features",
    "symmetrize",
    "unsupervised_contacts",
]
