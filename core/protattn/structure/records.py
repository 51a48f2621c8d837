"""A structure's ground-truth properties as JSON-ready records (``protattn features``).

One record per chain: its sequence, contacts, binding sites and secondary
structure, with positions that line up with the attention of the same chain.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from .dssp import dssp_classes, dssp_of_chains, secondary_structure
from .model import Chain, Structure
from .properties import CONTACT_CUTOFF, band_of, contact_map
from .sites import LIGAND_KINDS, SITE_CUTOFF, BindingSite, binding_sites, site_record_sites

__all__ = [
    "chain_features",
    "structure_features",
]


def _site_record(site: BindingSite, chain: Chain | None = None) -> dict[str, object] | None:
    residues = site.residues
    positions = None
    if chain is not None:
        where = {rid: k for k, rid in enumerate(chain.residue_ids) if rid is not None}
        residues = tuple(r for r in residues if r in where)
        if not residues:
            return None
        positions = [where[r] + 1 for r in residues]
    record: dict[str, object] = {
        "ligand": site.name,
        "instance": None if site.ligand is None else str(site.ligand.id),
        "kind": site.kind,
    }
    if site.site_id is not None:
        record["site_id"] = site.site_id
    record["residues"] = [str(r) for r in residues]
    if positions is not None:
        record["positions"] = positions
    return record


def _contacts_record(chain: Chain, cutoff: float, min_separation: int) -> dict[str, object]:
    i, j = np.nonzero(np.triu(contact_map(chain, cutoff, min_separation)))
    return {
        "cutoff": cutoff,
        "min_separation": min_separation,
        "pairs": [[a + 1, b + 1, band_of(b - a)] for a, b in zip(i.tolist(), j.tolist())],
    }


def chain_features(
    structure: Structure,
    chain: Chain | str,
    contact_cutoff: float = CONTACT_CUTOFF,
    min_separation: int = 6,
    site_cutoff: float = SITE_CUTOFF,
    kinds: Collection[str] = LIGAND_KINDS,
) -> dict[str, object]:
    """Every ground-truth property of one chain as a JSON-ready dict.

    Parameters
    ----------
    structure : Structure
    chain : Chain or str
        The chain, or its id in ``structure``.
    contact_cutoff, min_separation
        See :func:`contact_map`.
    site_cutoff, kinds
        See :func:`binding_sites`.

    Returns
    -------
    dict
        ``chain``, ``sequence``, ``residue_ids`` (``"A:27"`` or ``None`` where
        unobserved), ``secondary_structure`` (:func:`secondary_structure` with
        the structure's other chains taken into account),
        ``contacts`` (``cutoff``, ``min_separation`` and ``pairs`` as
        ``[i, j, band]`` with 1-based positions ``i < j`` and band ``short`` /
        ``medium`` / ``long``, or ``local`` under 6), ``binding_sites`` (per ligand
        touching the chain: ``ligand``, ``instance``, ``kind``, ``residues`` and
        1-based ``positions`` in this chain) and ``site_records`` (the file's own
        sites, same fields plus ``site_id``). Positions are 1-based throughout.
    """
    if isinstance(chain, str):
        chain = structure.chain(chain)
    return _chain_record(
        chain,
        contact_cutoff,
        min_separation,
        binding_sites(structure, site_cutoff, kinds),
        site_record_sites(structure),
        secondary_structure(chain, structure),
    )


def _chain_record(
    chain: Chain,
    contact_cutoff: float,
    min_separation: int,
    sites: Sequence[BindingSite],
    records: Sequence[BindingSite],
    ss: str,
) -> dict[str, object]:
    return {
        "chain": chain.id,
        "sequence": chain.sequence,
        "residue_ids": [None if r is None else str(r) for r in chain.residue_ids],
        "secondary_structure": ss,
        "contacts": _contacts_record(chain, contact_cutoff, min_separation),
        "binding_sites": [r for r in (_site_record(s, chain) for s in sites) if r],
        "site_records": [r for r in (_site_record(s, chain) for s in records) if r],
    }


def structure_features(
    structure: Structure,
    contact_cutoff: float = CONTACT_CUTOFF,
    min_separation: int = 6,
    site_cutoff: float = SITE_CUTOFF,
    kinds: Collection[str] = LIGAND_KINDS,
) -> dict[str, object]:
    """:func:`chain_features` of every protein chain, plus every site of the structure.

    Returns
    -------
    dict
        ``name``, ``chains`` (list of :func:`chain_features` dicts),
        ``binding_sites`` (every ligand of the chosen kinds with its residues in
        all chains, also when none is in reach) and ``site_records``.
    """
    sites = binding_sites(structure, site_cutoff, kinds)
    records = site_record_sites(structure)
    ss = [dssp_classes(codes) for codes in dssp_of_chains(structure.chains)]
    return {
        "name": structure.name,
        "chains": [
            _chain_record(chain, contact_cutoff, min_separation, sites, records, codes)
            for chain, codes in zip(structure.chains, ss)
        ],
        "binding_sites": [_site_record(s) for s in sites],
        "site_records": [_site_record(s) for s in records],
    }
