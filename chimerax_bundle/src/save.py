"""``attention save``: attention values (defattr) or pairs (alphafold contacts form) to a file."""

from __future__ import annotations

import os

import numpy as np
from chimerax.atomic import (
    AtomicStructure,
    AtomicStructuresArg,
    Pseudobonds,
    Residues,
    all_atomic_structures,
)
from chimerax.atomic import concatenate as join_collections
from chimerax.core.commands import (
    CmdDesc,
    EnumOf,
    SaveFileNameArg,
    StringArg,
    quote_if_necessary,
    register,
)
from chimerax.core.errors import UserError
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.checks import check_output
from protattn.words import plural

from .drawing import ATTRIBUTE, WEIGHT, attention_groups, check_attribute_name, checked

__all__ = ["SUFFIXES", "attention_save", "register_command"]


#: The extension of each format's files (``open x.defattr`` reads the first back).
SUFFIXES = {"defattr": ".defattr", "contacts": ".txt"}


def attention_save(
    session: Session,
    path: str,
    *,
    format: str | None = None,
    models: list[AtomicStructure] | None = None,
    attribute: str = ATTRIBUTE,
    name: str | None = None,
) -> Residues | Pseudobonds:
    """Save attention values or pairs to a file that ChimeraX (or a script) reads back.

    Usage: attention save path [format defattr|contacts] [models spec]
    [attribute name] [name group-name]

    ``defattr`` writes the residues' ``attention`` values (or those of
    ``attribute``) in ChimeraX's attribute-assignment format: ``open x.defattr``
    sets them again (``open x.defattr models #2`` on another structure). Residue
    specifiers name the model only when the file covers several structures, as
    ChimeraX's own ``save x.defattr``. ``contacts`` writes the pseudobonds of one
    attention group of one structure in the form of ``alphafold contacts ...
    outputFile``: one ``/A:25 /B:30 0.42`` line per pair (residue, residue,
    weight to 2 decimals; an insertion code follows the number). When the
    structure has several attention groups, ``name`` chooses one; without it the
    command refuses and lists them (a contacts file holds one drawing, and one
    file per group would write files that were not asked for).

    The format comes from the path's extension, as for ChimeraX's ``save``:
    ``.defattr`` for defattr, ``.txt`` for contacts; ``format``, if given, must
    agree with it. The path (extension, folder exists and is writable) is checked
    before anything else; the file is written only when everything was found,
    and nothing else changes.

    Returns
    -------
    Residues or Pseudobonds
        What was written.
    """
    format = _check_path(path, format)
    structures = all_atomic_structures(session) if models is None else models
    if format == "defattr":
        check_attribute_name(session, attribute)
        written, text, what = _defattr_text(structures, attribute)
    else:
        written, text, what = _contacts_text(session, structures, name, path)
    _write(path, text)
    session.logger.info(f"saved {what} to {path}")
    return written


def _check_path(path: str, format: str | None) -> str:
    """The format of ``path`` (its extension, or ``format``), checked with its folder."""
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder; give a file name, e.g. {path}/attention.defattr")
    forms = ", ".join(f"{suffix} ({fmt})" for fmt, suffix in SUFFIXES.items())
    suffix = os.path.splitext(path)[1].lower()
    by_suffix = {v: k for k, v in SUFFIXES.items()}.get(suffix)
    if format is None and by_suffix is None:
        raise UserError(
            f"attention save {path}: cannot tell the format from "
            f"{repr(suffix) if suffix else 'a name without an extension'}; give a path "
            f"ending in {forms}"
        )
    format = format or by_suffix
    if suffix != SUFFIXES[format]:
        raise UserError(
            f"attention save {path}: format {format} writes {SUFFIXES[format]} files; give "
            f"a path ending in {SUFFIXES[format]}"
            + (f", or format {by_suffix} for a {suffix} file" if by_suffix else "")
        )
    checked(check_output, path, (SUFFIXES[format],), "attention save")
    return format


def _defattr_text(structures, attribute: str) -> tuple[Residues, str, str]:
    """The residues with ``attribute`` and the .defattr text of their values."""
    per_structure = [(s, [r for r in s.residues if hasattr(r, attribute)]) for s in structures]
    per_structure = [(s, res) for s, res in per_structure if res]
    if not per_structure:
        raise UserError(
            f"no residue has attribute {attribute!r}; set it first with "
            "attention color SPEC layerHead L-H"
            + ("" if attribute == ATTRIBUTE else f" attribute {attribute}")
        )
    omit_model = len(per_structure) == 1
    lines = [f"attribute: {attribute}", "recipient: residues", "match mode: 1-to-1"]
    for _, res in per_structure:
        lines += [
            f"\t{r.string(style='command', omit_structure=omit_model)}"
            f"\t{float(getattr(r, attribute))!r}"
            for r in res
        ]
    residues = Residues([r for _, res in per_structure for r in res])
    where = ", ".join(str(s) for s, _ in per_structure)
    return (
        residues,
        "\n".join(lines) + "\n",
        f"attribute {attribute} of {plural(len(residues), 'residue')} of {where} (defattr)",
    )


def _contacts_text(
    session: Session, structures, name: str | None, path: str = "x.txt"
) -> tuple[Pseudobonds, str, str]:
    """One group's attention pseudobonds and the ``alphafold contacts`` file text."""
    found = [
        (s, g) for s in structures for g in attention_groups(session, s, name) if g.num_pseudobonds
    ]
    what = "attention pairs" if name is None else f"attention pairs in group {name!r}"
    if not found:
        raise UserError(
            f"no {what} to save; draw them first with attention pairs SPEC "
            "layerHead L-H" + ("" if name is None else f" name {name!r}")
        )
    with_pairs = list(dict.fromkeys(s for s, _ in found))
    if len(with_pairs) > 1:
        raise UserError(
            f"{len(with_pairs)} structures have {what} ("
            + ", ".join(s.atomspec for s in with_pairs)
            + "); a contacts file names no model: give one, e.g. models "
            + with_pairs[0].atomspec
        )
    groups = list(dict.fromkeys(g.name for _, g in found))
    if len(groups) > 1:
        listed = ", ".join(repr(g) for g in groups)
        raise UserError(
            f"{with_pairs[0]} has {len(groups)} attention groups ({listed}); a contacts "
            f"file holds one: name one, e.g. attention save {quote_if_necessary(path)} "
            f"name {quote_if_necessary(groups[-1])}"
        )
    pbonds = join_collections([g.pseudobonds for _, g in found], Pseudobonds)
    pbonds = pbonds.filter(np.array([hasattr(p, WEIGHT) for p in pbonds], dtype=bool))
    if not pbonds:
        raise UserError(
            f"the {what} of {with_pairs[0]} have no weights; draw them again with attention pairs"
        )
    a, b = pbonds.atoms
    lines = [
        f"{x.residue.string(style='command', omit_structure=True)} "
        f"{y.residue.string(style='command', omit_structure=True)} "
        f"{getattr(p, WEIGHT):.2f}"
        for p, x, y in zip(pbonds, a, b)
    ]
    return (
        pbonds,
        "\n".join(lines),
        f"{plural(len(pbonds), 'attention pair')} of {with_pairs[0]} (alphafold contacts format)",
    )


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path``, or raise UserError having written nothing."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"folder {folder} does not exist; create it or save elsewhere")
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder; give a file name, e.g. {path}/attention.defattr")
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}; save elsewhere") from e


def register_command(logger: Logger) -> None:
    """Register ``attention save`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("path", SaveFileNameArg)],
        keyword=[
            ("format", EnumOf(tuple(SUFFIXES))),
            ("models", AtomicStructuresArg),
            ("attribute", StringArg),
            ("name", StringArg),
        ],
        synopsis="save attention values (defattr) or pairs (alphafold contacts form) to a file",
    )
    register("attention save", desc, attention_save, logger=logger)
