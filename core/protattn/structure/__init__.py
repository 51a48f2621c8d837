"""Stage 1, the structure: chains, residues and ligands, and the properties the analysis judges.

- :mod:`.model`: :class:`Chain`, :class:`Structure`, :class:`ResidueId`, built from a
  file or from a host's own objects (:func:`chain_from_residues`);
- :mod:`.io`: PDB and mmCIF files (:func:`read_structure`);
- :mod:`.properties`: contacts, sequence-separation bands, amino acids;
- :mod:`.sites`: ligands and their binding sites;
- :mod:`.dssp`: secondary structure (DSSP, in numpy);
- :mod:`.records`: all of these as JSON-ready records.

Nothing here knows of language models; numpy and Biopython only.
"""

from .dssp import SS_CLASSES, dssp, secondary_structure
from .io import read_structure
from .model import (
    BACKBONE_ATOMS,
    Chain,
    Ligand,
    ObservedResidue,
    ResidueId,
    Structure,
    ca_coordinates,
    chain_from_residues,
    join_chains,
    one_letter,
    virtual_cb,
)
from .properties import (
    AMINO_ACIDS,
    CONTACT_CUTOFF,
    RANGE_BANDS,
    amino_acid_mask,
    band_mask,
    band_of,
    contact_map,
    observed_pairs,
)
from .records import chain_features, structure_features
from .sites import (
    LIGAND_KINDS,
    SITE_CUTOFF,
    BindingSite,
    binding_sites,
    ligand_kind,
    site_mask,
    site_record_sites,
)

__all__ = [
    "AMINO_ACIDS",
    "BACKBONE_ATOMS",
    "CONTACT_CUTOFF",
    "LIGAND_KINDS",
    "RANGE_BANDS",
    "SITE_CUTOFF",
    "SS_CLASSES",
    "BindingSite",
    "Chain",
    "Ligand",
    "ObservedResidue",
    "ResidueId",
    "Structure",
    "amino_acid_mask",
    "band_mask",
    "band_of",
    "binding_sites",
    "ca_coordinates",
    "chain_features",
    "chain_from_residues",
    "contact_map",
    "dssp",
    "join_chains",
    "ligand_kind",
    "observed_pairs",
    "one_letter",
    "read_structure",
    "secondary_structure",
    "site_mask",
    "site_record_sites",
    "structure_features",
    "virtual_cb",
]
