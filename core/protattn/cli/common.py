"""What the analysis commands share: structure files in, tables out, the statistics of the files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..api.checks import check_output
from ..errors import ProtattnError
from ..report.plots import FORMATS
from ..structure.io import read_structure
from ..structure.model import Structure
from ..survey.inputs import expand_inputs

__all__ = [
    "expand_inputs",
    "read",
    "structures_of",
    "add_state",
    "chain_ids",
    "open_output",
    "Stdout",
    "check_outputs",
    "checked",
    "selection_of",
    "statistics_of",
    "print_notes",
]


def read(path: str, args=None) -> Structure:
    """One structure file, at the state ``--state`` asks for; its notes on standard error."""
    structure = read_structure(path, state=getattr(args, "state", 1) or 1)
    for note in structure.notes:
        if "(HETATM only)" not in note:  # a ligand's own chain id: nothing to tell
            print(f"note: {structure.name}: {note}", file=sys.stderr)
    return structure


def structures_of(paths: list[str], args=None) -> Iterator[Structure]:
    for path in paths:
        yield read(path, args)


def add_state(p: argparse.ArgumentParser) -> None:
    """``--state N``: which model of a file with several (an NMR ensemble)."""
    p.add_argument(
        "--state",
        type=checked(_state),
        default=1,
        metavar="N",
        help="the model to use in a file with several, 1-based (default 1)",
    )


def _state(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ProtattnError(f"a state is a model number from 1, not {text!r}")
    return int(text)


def chain_ids(args) -> list[str] | None:
    if not args.chain:
        return None
    return [c.strip() for item in args.chain for c in item.split(",") if c.strip()]


def open_output(path: str | None):
    return open(path, "w", newline="") if path else Stdout()


class Stdout:
    def __enter__(self):
        return sys.stdout

    def __exit__(self, *exc) -> None:
        sys.stdout.flush()


#: Where each option of the analysis commands writes, and the extensions it can write.
_OUTPUTS: dict[str, tuple[str, ...] | None] = {
    "heatmap": tuple(FORMATS),
    "profile": tuple(FORMATS),
    "plot": tuple(FORMATS),
    "map": tuple(FORMATS),
    "png": (".png",),
    "output": None,
}


def check_outputs(args) -> None:
    """Every output path of ``args`` checked before any work (folder, writable, format)."""
    for name, suffixes in _OUTPUTS.items():
        path = getattr(args, name, None)
        if path:
            check_output(path, suffixes, f"--{name}")


def checked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from a core checker: its message, not a traceback (exit status 2)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except (ValueError, ProtattnError) as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def selection_of(args, structures: list[Structure]):
    """``--residues`` read against every structure: the residue ids of all of them, or None.

    The same residue list names the same residues in each file (conformers, models of one
    protein numbered alike); a residue missing from one file is refused, naming the file.
    """
    text = getattr(args, "residues", None)
    if not text:
        return None
    from ..structure.selection import ResidueSelection, parse_residues

    ids: set = set()
    for structure in structures:
        try:
            ids |= parse_residues(text, structure.chains).ids
        except ProtattnError as e:
            raise ProtattnError(f"{structure.name}: {e}") from None
    return ResidueSelection(frozenset(ids), text)


def statistics_of(args):
    from ..api.options import parse_site_kinds
    from ..api.stats import head_statistics

    paths = expand_inputs(args.inputs)
    structures = list(structures_of(paths, args))
    selection = selection_of(args, structures)
    properties = args.property
    if selection is not None and "selection" not in (properties or ()):
        properties = [*(properties or ()), "selection"]
    return paths, head_statistics(
        structures,
        args.model,
        properties,
        chains=chain_ids(args),
        threshold=args.threshold,
        min_arcs=args.min_arcs,
        min_separation=args.min_separation,
        site_kinds=parse_site_kinds(args.site_kinds),
        window=args.window,
        stride=args.stride,
        device=args.device,
        quiet=args.quiet,
        definition=args.definition,
        dtype=args.dtype,
        selection=None if selection is None else selection.ids,
    )


def print_notes(stats) -> None:
    """What a user must know about how the statistics were made, on standard error."""
    for entry in stats.truncated:
        print(
            f"note: {entry} residues: cut to the model's input, as the paper's code cuts it "
            "(--definition judged runs long chains in windows)",
            file=sys.stderr,
        )
    for note in stats.notes:
        print(f"warning: {note}", file=sys.stderr)
