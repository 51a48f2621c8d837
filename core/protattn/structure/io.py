"""Structures read from PDB and mmCIF files (Biopython), with SEQRES and SITE records.

:func:`read_structure` gives the same :class:`~protattn.structure.model.Structure`
a host adapter builds from its own objects: chains with their full sequence where
the file has one (SEQRES / entity sequence), unobserved positions marked, ligands
kept apart from the polymer.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping

import numpy as np

from ..errors import StructureError
from .model import (
    WATER,
    Chain,
    Ligand,
    ObservedResidue,
    ResidueId,
    Structure,
    chain_from_residues,
    chain_label,
    nucleic_names,
    one_letter,
    protein_letters,
)

__all__ = [
    "read_structure",
]


def _seqres_from_pdb(path: str) -> dict[str, str]:
    seqres: dict[str, list[str]] = {}
    with open(path, errors="replace") as fh:
        for line in fh:
            if line.startswith("SEQRES"):
                seqres.setdefault(line[11], []).extend(line[19:70].split())  # 71+: old ids
            elif line.startswith(("ATOM", "HETATM")):
                break
    return {c: "".join(one_letter(n) for n in names) for c, names in seqres.items()}


#: Chain ids handed to the PDB parser for segments that share a chain id.
_PLACEHOLDERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _pdb_segments(path: str) -> tuple[str | None, dict[str, tuple[str, str]]]:
    """A PDB file's text with each (chain id, segment) given a chain id of its own.

    Returns ``(None, {})`` when every chain id holds one segment (the usual file);
    else the rewritten text and, for each chain id it now uses, the original chain
    id and segment. CHARMM, NAMD and other MD tools write chains as segments
    (``PROA``, ``PROB``), often with a blank chain id and numbers that start again.
    """
    with open(path, errors="replace") as fh:
        lines = fh.readlines()
    segments: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith(("ATOM", "HETATM")) and len(line) > 72:
            found = segments.setdefault(line[21], [])
            segid = line[72:76].strip()
            if segid not in found:
                found.append(segid)
    if all(len(found) <= 1 for found in segments.values()):
        return None, {}
    free = [c for c in _PLACEHOLDERS if c not in segments]
    groups = [(chain, seg) for chain, found in segments.items() for seg in found]
    if len(groups) > len(free) + sum(1 for found in segments.values() if len(found) == 1):
        raise StructureError(
            f"{path!r} has {len(groups)} chain segments, more than one PDB file can name; "
            "split it, or save it as mmCIF"
        )
    names: dict[tuple[str, str], str] = {}
    for chain, found in segments.items():
        if len(found) == 1:  # its own chain id still names it
            names[(chain, found[0])] = chain
    for group in groups:
        if group not in names:
            names[group] = free.pop(0)
    text = []
    for line in lines:
        if line.startswith(("ATOM", "HETATM", "ANISOU", "TER")) and len(line) > 21:
            group = (line[21], line[72:76].strip() if len(line) > 72 else "")
            if group in names:
                line = line[:21] + names[group] + line[22:]
        text.append(line)
    split = {  # a blank chain id is "" in a segment's residue ids, as PyMOL writes it
        name: (chain.strip(), seg) if len(segments[chain]) > 1 else (chain, "")
        for (chain, seg), name in names.items()
    }
    return "".join(text), split


def _sites_from_pdb(
    path: str,
) -> tuple[list[tuple[str, tuple[ResidueId, ...]]], list[tuple[str, str]]]:
    """SITE records (waters left out) and REMARK 800 site descriptions of a PDB file."""
    residues: dict[str, list[ResidueId]] = {}
    descriptions: dict[str, str] = {}
    site_id = None
    with open(path, errors="replace") as fh:
        for line in fh:
            if line.startswith("SITE  "):
                sid = line[11:14].strip()
                entries = residues.setdefault(sid, [])
                for base in range(18, 52, 11):  # four residues per line
                    resname = line[base : base + 3].strip()
                    number = line[base + 5 : base + 9].strip()
                    if not resname or resname in WATER or not number.lstrip("-").isdigit():
                        continue
                    rid = ResidueId(line[base + 4], int(number), line[base + 9 : base + 10].strip())
                    if rid not in entries:
                        entries.append(rid)
            elif line.startswith("REMARK 800"):
                text = line[10:].strip()
                if text.startswith("SITE_IDENTIFIER:"):
                    site_id = text.split(":", 1)[1].strip()
                elif text.startswith("SITE_DESCRIPTION:") and site_id:
                    descriptions[site_id] = text.split(":", 1)[1].strip()
            elif line.startswith(("ATOM", "HETATM")):
                break
    return (
        [(sid, tuple(res)) for sid, res in residues.items()],
        [(sid, d) for sid, d in descriptions.items() if sid in residues],
    )


def _cif_column(cif: Mapping[str, list[str]], key: str, n: int) -> list[str]:
    values = cif.get(key)
    if isinstance(values, str):
        values = [values]
    return list(values) if values is not None and len(values) == n else ["?"] * n


def _sites_from_cif(
    cif: Mapping[str, list[str]],
) -> tuple[list[tuple[str, tuple[ResidueId, ...]]], list[tuple[str, str]]]:
    """``_struct_site_gen`` residues (waters and symmetry mates left out) and site details."""
    key = "_struct_site_gen."
    site_ids = cif.get(key + "site_id")
    residues: dict[str, list[ResidueId]] = {}
    if site_ids:
        if isinstance(site_ids, str):
            site_ids = [site_ids]
        n = len(site_ids)
        comp = _cif_column(cif, key + "auth_comp_id", n)
        label_comp = _cif_column(cif, key + "label_comp_id", n)
        chain = _cif_column(cif, key + "auth_asym_id", n)
        number = _cif_column(cif, key + "auth_seq_id", n)
        icode = _cif_column(cif, key + "pdbx_auth_ins_code", n)
        symmetry = _cif_column(cif, key + "symmetry", n)
        for k, sid in enumerate(site_ids):
            entries = residues.setdefault(sid, [])
            name = comp[k] if comp[k] not in ("?", ".") else label_comp[k]
            if (
                name in WATER
                or symmetry[k] not in ("?", ".", "1_555")
                or not number[k].lstrip("-").isdigit()
            ):
                continue
            ins = "" if icode[k] in ("?", ".") else icode[k]
            rid = ResidueId(chain[k], int(number[k]), ins)
            if rid not in entries:
                entries.append(rid)
    ids = cif.get("_struct_site.id") or []
    ids = [ids] if isinstance(ids, str) else ids
    details = _cif_column(cif, "_struct_site.details", len(ids))
    descriptions = [
        (sid, d) for sid, d in zip(ids, details) if d not in ("?", ".") and sid in residues
    ]
    return [(sid, tuple(res)) for sid, res in residues.items()], descriptions


def _poly_seq_scheme(cif: Mapping[str, list[str]]) -> dict[str, list[tuple[str, ResidueId | None]]]:
    """Per author chain: (residue name, residue id or None if unobserved) by sequence position."""
    key = "_pdbx_poly_seq_scheme."
    if key + "seq_id" not in cif:
        return {}
    cols = {
        name: cif[key + name]
        for name in (
            "asym_id",
            "seq_id",
            "mon_id",
            "pdb_seq_num",
            "auth_seq_num",
            "pdb_ins_code",
            "pdb_strand_id",
        )
    }
    out: dict[str, list[tuple[str, ResidueId | None]]] = {}
    seen: set[tuple[str, str]] = set()
    for k in range(len(cols["seq_id"])):
        strand = cols["pdb_strand_id"][k]
        if (strand, cols["seq_id"][k]) in seen:  # microheterogeneity: keep the first
            continue
        seen.add((strand, cols["seq_id"][k]))
        rid = None
        if cols["auth_seq_num"][k] not in ("?", "."):
            icode = cols["pdb_ins_code"][k]
            icode = "" if icode in ("?", ".") else icode
            rid = ResidueId(strand, int(cols["pdb_seq_num"][k]), icode)
        out.setdefault(strand, []).append((cols["mon_id"][k], rid))
    return out


#: Longest C-N distance (Å) taken for a peptide bond (ideal 1.33).
_PEPTIDE_BOND = 2.0


def _peptide_bonded(c_residue, n_residue) -> bool:
    if c_residue is None or n_residue is None or "C" not in c_residue or "N" not in n_residue:
        return False
    return float(np.linalg.norm(c_residue["C"].coord - n_residue["N"].coord)) < _PEPTIDE_BOND


def _is_polymer_residue(residue, previous=None, following=None) -> bool:
    """ATOM residues, and HETATM amino acids (MSE) peptide-bonded to a neighbour.

    A HETATM group whose name has a parent amino acid but that is not bonded into
    the chain (SAH, a free amino acid) is a ligand.
    """
    hetflag = residue.id[0]
    if hetflag == " ":
        return True
    name = residue.get_resname().strip()
    if not (hetflag.startswith("H_") and name in protein_letters() and "CA" in residue):
        return False
    return _peptide_bonded(previous, residue) or _peptide_bonded(residue, following)


def _heavy_atoms(residue) -> dict[str, np.ndarray]:
    atoms = {}
    for atom in residue.get_atoms():  # one altloc: Biopython keeps the selected child
        element = (atom.element or "").strip().upper()
        if element in ("H", "D") or (not element and atom.get_id().startswith("H")):
            continue
        atoms[atom.get_id()] = np.asarray(atom.coord, dtype=float)
    return atoms


_PDB_RECORDS = ("HEADER", "ATOM  ", "HETATM", "CRYST1", "REMARK", "MODEL ", "COMPND", "TITLE ")


def _sniff(head: bytes) -> str | None:
    """``"cif"`` or ``"pdb"`` by a file's first bytes, None if they say neither."""
    text = head.decode("utf-8", "replace").lstrip()
    if text.startswith("data_"):
        return "cif"
    if any(line.startswith(_PDB_RECORDS) for line in text.splitlines()[:50]):
        return "pdb"
    return None


def read_structure(path: str | os.PathLike, name: str | None = None, state: int = 1) -> Structure:
    """Read the protein chains and ligands of one model of a PDB or mmCIF file.

    Parameters
    ----------
    path : str or path-like
        A ``.pdb``/``.ent`` or ``.cif``/``.mmcif`` file.
    name : str, optional
        Name for the structure; defaults to the file's stem.
    state : int
        Which model (1-based, in file order) of a file with several (an NMR
        ensemble); the structure's notes say which was used and how many there are.

    Returns
    -------
    Structure

    Raises
    ------
    StructureError
        If the file is missing, is not a structure, or has no protein chain.

    Notes
    -----
    The sequence is the SEQRES (PDB) or entity sequence (mmCIF
    ``_pdbx_poly_seq_scheme``) when the file has one, with unobserved residues
    as ``None``; otherwise the observed residues. Non-standard residues map to
    their parent (MSE → M) or X. Hydrogens are ignored, one altloc is kept.
    Nucleic-acid and HETATM-only chains are skipped with a note. The file's
    site annotation (PDB ``SITE``, mmCIF ``_struct_site_gen``) is kept in
    :attr:`Structure.sites`.
    """
    import warnings

    from Bio.PDB import MMCIFParser, PDBParser
    from Bio.PDB.MMCIF2Dict import MMCIF2Dict
    from Bio.PDB.PDBExceptions import PDBConstructionWarning

    split: dict[str, tuple[str, str]] = {}
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise StructureError(f"no such file: {path!r}; give the path of a PDB or mmCIF file")
    stem = os.path.splitext(os.path.basename(path))[0]
    name = name or stem
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise StructureError(f"{path!r} is empty; give a PDB (.pdb) or mmCIF (.cif) structure file")
    if b"\x00" in head:
        raise StructureError(
            f"{path!r} is not a text file (it holds binary data); give a PDB (.pdb) or "
            "mmCIF (.cif) structure file (a compressed one: decompress it first)"
        )
    named_cif = path.lower().endswith((".cif", ".mmcif", ".cif.gz"))
    content = _sniff(head)
    is_cif = named_cif if content is None else content == "cif"
    misnamed = content is not None and is_cif != named_cif
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PDBConstructionWarning)
            if is_cif:
                cif = MMCIF2Dict(path)
                if not any(key.startswith("_atom_site.") for key in cif):
                    raise StructureError(
                        f"{path!r} is an mmCIF file without an atom_site table, so it holds "
                        "no coordinates (a header or a sequence-only entry, or the file is cut "
                        "short); give a structure file with its atoms"
                    )
                model_set = MMCIFParser(QUIET=True).get_structure(name, path)
                scheme = _poly_seq_scheme(cif)
                seqres: dict[str, str] = {}
                sites, site_descriptions = _sites_from_cif(cif)
            else:
                text, split = _pdb_segments(path)
                parser = PDBParser(QUIET=True)
                model_set = parser.get_structure(
                    name, io.StringIO(text) if text is not None else path
                )
                scheme = {}
                seqres = _seqres_from_pdb(path)
                sites, site_descriptions = _sites_from_pdb(path)
    except StructureError:
        raise
    except Exception as e:  # Biopython raises many types on garbage input
        raise StructureError(
            f"{path!r} could not be read as a {'mmCIF' if is_cif else 'PDB'} file ({e}); "
            "give a PDB (.pdb) or mmCIF (.cif) structure file"
        ) from e
    models = list(model_set)
    if not models:
        raise StructureError(
            f"{path!r} holds no atoms; give a PDB (.pdb) or mmCIF (.cif) structure file"
        )
    if int(state) != state or not 1 <= state <= len(models):
        raise StructureError(
            f"{path!r} has {len(models)} model{'s' if len(models) > 1 else ''}; "
            f"choose a state from 1 to {len(models)}, not {state!r}"
        )
    model = models[int(state) - 1]

    chains: list[Chain] = []
    ligands: list[Ligand] = []
    notes: list[str] = []
    nucleic = nucleic_names()
    for bchain in model:
        observed: list[ObservedResidue] = []
        n_nucleic = 0
        residues = list(bchain)
        chain_id, segment = split.get(bchain.id, (bchain.id, ""))
        label = chain_label(chain_id, segment)
        for k, residue in enumerate(residues):
            resname = residue.get_resname().strip()
            hetflag, number, icode = residue.id
            rid = ResidueId(chain_id, int(number), icode.strip(), segment)
            if hetflag == "W" or resname in WATER:
                continue
            neighbours = (
                residues[k - 1] if k else None,
                residues[k + 1] if k + 1 < len(residues) else None,
            )
            if _is_polymer_residue(residue, *neighbours) and resname not in nucleic:
                observed.append(ObservedResidue(rid, resname, _heavy_atoms(residue)))
            elif resname in nucleic and hetflag == " ":
                n_nucleic += 1
            else:
                coords = np.array(list(_heavy_atoms(residue).values()), dtype=float).reshape(-1, 3)
                if len(coords):
                    ligands.append(Ligand(resname, rid, coords))
        if not observed:
            if n_nucleic:
                notes.append(f"chain {label}: nucleic acid ({n_nucleic} residues), skipped")
            elif len(bchain):
                notes.append(f"chain {label}: no polymer residues (HETATM only), skipped")
            continue
        if n_nucleic > len(observed):
            notes.append(f"chain {label}: nucleic acid ({n_nucleic} residues), skipped")
            continue
        if bchain.id in scheme:
            entries = scheme[bchain.id]
            sequence = "".join(one_letter(mon) for mon, _ in entries)
            where = {rid: k for k, (_, rid) in enumerate(entries) if rid is not None}
            chains.append(
                chain_from_residues(
                    bchain.id, observed, sequence, [where.get(r.id) for r in observed]
                )
            )
        elif segment:  # SEQRES names chain ids, not the segments that share one
            chains.append(chain_from_residues(chain_id, observed, segment=segment))
        else:
            chains.append(chain_from_residues(bchain.id, observed, seqres.get(bchain.id)))
    if misnamed:
        notes.append(
            f"read as {'mmCIF' if is_cif else 'PDB'}, as its content is, though named "
            f"{os.path.splitext(path)[1] or 'without an extension'}"
        )
    if len(models) > 1:
        notes.append(
            f"{len(models)} models in the file: model {state} is used (state chooses another)"
        )
    segmented = sorted({c.id for c in chains if c.segment})
    if segmented:
        notes.append(
            f"chains told apart by segment: {', '.join(segmented)} (their residues are "
            "written segment/chain:number; SEQRES, per chain id, is not used for them)"
        )
    if not chains:
        raise StructureError(
            f"{path!r} has no protein chain"
            + (f" ({'; '.join(notes)})" if notes else "")
            + "; protattn needs a protein structure"
        )
    return Structure(
        name, tuple(chains), tuple(ligands), tuple(notes), tuple(sites), tuple(site_descriptions)
    )
