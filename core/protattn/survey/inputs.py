"""What a survey reads: structure files, or a table of sequences with per-residue labels.

Inputs are *units* in a fixed order: a structure file (each of its protein chains
is surveyed) or one row of a table. The order decides the shards, so a survey run
again over the same inputs makes the same shards; a unit is read only when its
shard is counted, so nothing of a chain is held beyond its counts.

A table (``.tsv`` tab-separated, ``.csv`` comma-separated; the format of the
paper's binding-site validation set) has a header row and:

- ``sequence``: the chain's residues, one letter each (``X`` for unknown);
- ``id`` (or ``name``): the chain's name (default: the table's name and row number);
- label columns: per-residue labels, one character per residue, ``1`` for a
  residue with the property, ``0`` without, ``-``, ``.`` or ``?`` where it is not
  known (not judged). Chosen with ``labels`` (``{column: property}``); by default
  every column named ``*_label_string`` or ``*_labels``, the property named after
  the column (``site_label_string`` is ``binding_site``, as in the paper's set).

Other columns are ignored. A table's properties are its labels and the amino acids
(``aa:X``); contacts and secondary structure need coordinates.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..api.stats import chain_properties, property_names
from ..errors import ProtattnError
from ..lm.masks import PropertyMask
from ..structure.io import read_structure
from ..structure.model import chain_label
from ..structure.properties import AMINO_ACIDS

__all__ = [
    "STRUCTURE_SUFFIXES",
    "TABLE_SUFFIXES",
    "Unit",
    "Work",
    "Reject",
    "expand_inputs",
    "survey_units",
    "table_labels",
    "read_units",
]

STRUCTURE_SUFFIXES = (".pdb", ".ent", ".cif", ".mmcif")
TABLE_SUFFIXES = (".tsv", ".csv")
_UNKNOWN_LABELS = "-.?"
_LABEL_SUFFIXES = ("_label_string", "_labels")
_KNOWN_LABELS = {"site_label_string": "binding_site"}
_STRUCTURE_ONLY = ("contact", "helix", "strand", "turn_bend", "other")


def expand_inputs(items: Sequence[str]) -> list[str]:
    """Structure files from files, directories (their structure files) and list files.

    A list file is named with a leading ``@`` (``@list.txt``) and holds one path
    per line (relative to the list file; ``#`` starts a comment).
    """
    paths: list[str] = []
    for item in items:
        if item.startswith("@"):
            listing = item[1:]
            if not os.path.isfile(listing):
                raise ProtattnError(f"no such list file: {listing!r}")
            base = os.path.dirname(os.path.abspath(listing))
            with open(listing) as fh:
                lines = [ln.split("#", 1)[0].strip() for ln in fh]
            paths.extend(os.path.join(base, ln) for ln in lines if ln)
        elif os.path.isdir(item):
            found = sorted(
                os.path.join(item, f)
                for f in os.listdir(item)
                if f.lower().endswith(STRUCTURE_SUFFIXES)
            )
            if not found:
                raise ProtattnError(f"directory {item!r} holds no .pdb/.cif files")
            paths.extend(found)
        else:
            paths.append(item)
    if not paths:
        raise ProtattnError("give at least one structure file, directory or @list file")
    return paths


@dataclass(frozen=True)
class Unit:
    """One input of a survey: a structure file (``row`` None) or a table's row (0-based)."""

    path: str
    row: int | None = None

    @property
    def label(self) -> str:
        """How rejects and progress name it."""
        return self.path if self.row is None else f"{self.path}:{self.row + 2}"  # file line


@dataclass(frozen=True)
class Work:
    """One chain to count: the input it is from, its name, sequence and property masks."""

    source: str
    name: str
    sequence: str
    masks: Mapping[str, PropertyMask]


@dataclass(frozen=True)
class Reject:
    """An input the survey left out, and why (the rejects table's row)."""

    source: str
    name: str
    reason: str

    def row(self) -> dict[str, str]:
        return {"source": self.source, "name": self.name, "reason": self.reason}


def _dialect(path: str) -> str:
    return "\t" if path.lower().endswith(".tsv") else ","


def _header(path: str) -> list[str]:
    with open(path, newline="") as fh:
        return next(csv.reader(fh, delimiter=_dialect(path)), [])


def table_labels(path: str, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """The label columns of table ``path`` and their property names (see the module docs).

    Raises
    ------
    ProtattnError
        If the table has no ``sequence`` column, a column named in ``labels`` is
        missing, or a property name is one protattn computes from coordinates.
    """
    header = _header(path)
    if "sequence" not in header:
        raise ProtattnError(
            f"table {path!r} has no 'sequence' column (its columns: {', '.join(header) or 'none'})"
        )
    if labels:
        missing = [c for c in labels if c not in header]
        if missing:
            raise ProtattnError(
                f"table {path!r} has no column {', '.join(map(repr, missing))}; "
                f"its columns: {', '.join(header)}"
            )
        chosen = dict(labels)
    else:
        chosen = {
            c: _KNOWN_LABELS.get(c, c.removesuffix(s))
            for c in header
            for s in _LABEL_SUFFIXES
            if c.endswith(s)
        }
    clash = [p for p in chosen.values() if p in _STRUCTURE_ONLY or p.startswith("aa:")]
    if clash:
        raise ProtattnError(
            f"label property {', '.join(clash)} is one protattn computes from structures; "
            "name the label otherwise (--label COLUMN=NAME)"
        )
    return chosen


def survey_units(items: Sequence[str]) -> list[Unit]:
    """Every unit of the inputs, in order: tables' rows, structure files.

    ``items`` are tables (``.tsv``, ``.csv``), structure files, directories of them,
    or ``@list`` files.
    """
    units: list[Unit] = []
    files = []
    for item in items:
        if item.lower().endswith(TABLE_SUFFIXES) and not item.startswith("@"):
            if not os.path.isfile(item):
                raise ProtattnError(f"no such table: {item!r}")
            table_labels(item)  # a table without sequences says so now
            with open(item, newline="") as fh:
                n = sum(1 for _ in csv.reader(fh, delimiter=_dialect(item))) - 1
            units.extend(Unit(item, i) for i in range(max(n, 0)))
        else:
            files.append(item)
    if files:
        units.extend(Unit(p) for p in expand_inputs(files))
    if not units:
        raise ProtattnError("the inputs hold nothing to survey (an empty table?)")
    return units


def _label_mask(text: str, n: int, column: str) -> PropertyMask:
    if len(text) != n:
        raise ProtattnError(f"its {column} has {len(text)} labels for {n} residues")
    bad = sorted(set(text) - set("01" + _UNKNOWN_LABELS))
    if bad:
        raise ProtattnError(
            f"its {column} holds {''.join(bad)!r}; labels are 0, 1, or - for unknown"
        )
    chars = np.frombuffer(text.encode(), dtype=np.uint8)
    known = chars != ord("-")
    for c in ".?":
        known &= chars != ord(c)
    values = chars == ord("1")
    return PropertyMask.residue(values, valid=np.broadcast_to(known[None, :], (n, n)))


def _aa_masks(sequence: str, names: Sequence[str]) -> dict[str, PropertyMask]:
    letters = np.frombuffer(sequence.encode(), dtype=np.uint8)
    return {
        name: PropertyMask.residue(letters == ord(name[3:]))
        for name in names
        if name.startswith("aa:")
    }


def _table_rows(path: str, rows: set[int]) -> Iterator[tuple[int, dict[str, str]]]:
    with open(path, newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter=_dialect(path))):
            if i in rows:
                yield i, row


def read_units(
    units: Sequence[Unit],
    properties: Sequence[str] | None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    min_separation: int = 6,
    site_kinds: Sequence[str] = ("ligand",),
) -> Iterator[Work | Reject]:
    """The chains of ``units`` (in order) with their masks, or why one was left out.

    Parameters
    ----------
    units : sequence of Unit
    properties : sequence of str, optional
        Properties of structures (default all); a table's are its labels and the
        amino acids named here (all by default).
    labels : mapping of str to mapping, optional
        Per table path, its label columns and their properties (:func:`table_labels`).
    min_separation, site_kinds
        As for :func:`protattn.api.stats.chain_properties`.
    """
    names = property_names(properties)
    aa = (
        [n for n in names if n.startswith("aa:")]
        if properties
        else [f"aa:{a}" for a in AMINO_ACIDS]
    )
    by_table: dict[str, set[int]] = {}
    for unit in units:
        if unit.row is not None:
            by_table.setdefault(unit.path, set()).add(unit.row)
    rows: dict[tuple[str, int], dict[str, str]] = {}
    for path, wanted in by_table.items():  # one read of each table per call
        rows.update(((path, i), row) for i, row in _table_rows(path, wanted))
    for unit in units:
        if unit.row is None:
            yield from _structure_work(unit, names, min_separation, site_kinds)
            continue
        row = rows.pop((unit.path, unit.row), None)
        if row is None:
            yield Reject(unit.label, "", "the row is missing (the table changed?)")
            continue
        columns = (labels or {}).get(unit.path) or table_labels(unit.path)
        name = row.get("id") or row.get("name") or f"{os.path.basename(unit.path)}:{unit.row + 2}"
        sequence = (row.get("sequence") or "").strip().upper()
        try:
            if not sequence:
                raise ProtattnError("it has no sequence")
            if not sequence.isalpha():
                raise ProtattnError("its sequence holds characters other than letters")
            if set(sequence) <= {"X"}:
                raise ProtattnError("its sequence is only unknown residues (X)")
            masks = {
                prop: _label_mask((row.get(column) or "").strip(), len(sequence), column)
                for column, prop in columns.items()
            }
        except ProtattnError as e:
            yield Reject(unit.label, name, str(e))
            continue
        masks.update(_aa_masks(sequence, aa))
        yield Work(unit.label, name, sequence, masks)


def _structure_work(
    unit: Unit, names: Sequence[str], min_separation: int, site_kinds: Sequence[str]
) -> Iterator[Work | Reject]:
    try:
        structure = read_structure(unit.path)
    except (ProtattnError, OSError, ValueError) as e:
        yield Reject(unit.label, "", f"unreadable: {e}")
        return
    if not structure.chains:
        yield Reject(unit.label, structure.name, "no protein chain")
        return
    for chain in structure.chains:
        name = f"{structure.name} {chain_label(chain.id, chain.segment)}"
        if set(chain.sequence) <= {"X"}:
            yield Reject(unit.label, name, "the chain is only unknown residues (X)")
            continue
        try:
            masks = chain_properties(structure, chain, names, min_separation, site_kinds=site_kinds)
        except (ProtattnError, ValueError) as e:
            yield Reject(unit.label, name, f"its properties could not be computed: {e}")
            continue
        yield Work(unit.label, name, chain.sequence, masks)
