"""What the analysis commands share: structure files in, tables out, the statistics of the files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..api.checks import check_min_separation, check_output, check_threshold, check_top_k
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
    "add_model_options",
    "add_head_options",
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


def add_model_options(p: argparse.ArgumentParser, windows: bool = True) -> None:
    """``--model``, ``--device``, ``--dtype`` and (with ``windows``) ``--window``/``--stride``:
    the same words and defaults in every command that runs a model."""
    p.add_argument(
        "--model",
        default="antiberty",
        help="short name (see `protattn models`), Hugging Face id or model directory "
        "(default antiberty)",
    )
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument(
        "--dtype",
        choices=("float32", "float16", "bfloat16"),
        help="the model's precision: half precision on a GPU only (default float32; "
        "thresholds are decided on float32 values either way)",
    )
    if windows:
        p.add_argument(
            "--window",
            type=int,
            metavar="N",
            help="run chains longer than N residues as overlapping windows (default: "
            "only chains longer than the model's limit, at that limit)",
        )
        p.add_argument(
            "--stride",
            type=int,
            metavar="N",
            help="residues between window starts (default half the window)",
        )


def add_head_options(p: argparse.ArgumentParser, pairs: bool = True, of: str = "") -> None:
    """``--layer-head`` and, with ``pairs``, which pairs are kept: ``--threshold`` or
    ``--top-k``, ``--min-separation`` and ``--symmetrize`` (``of``: what the pairs are of,
    for the help, e.g. ``" of each run"``)."""
    p.add_argument(
        "--layer-head",
        required=True,
        metavar="L-H",
        help="1-based layer-head, e.g. 7-1, or 7-mean / 7-max over a layer's heads",
    )
    if not pairs:
        return
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--threshold",
        type=checked(check_threshold),
        default=0.1,
        help=f"keep pairs{of} with symmetrised attention above it, in (0, 1] (default 0.1)",
    )
    group.add_argument(
        "--top-k",
        type=checked(check_top_k),
        metavar="K",
        help=f"keep the K strongest pairs{of} per chain instead (K >= 1)",
    )
    p.add_argument(
        "--min-separation",
        type=checked(check_min_separation),
        default=1,
        metavar="N",
        help="minimum sequence separation |i-j| (default 1: no self-pairs)",
    )
    p.add_argument(
        "--symmetrize",
        choices=("max", "mean"),
        default="max",
        help="combine a_ij and a_ji by max (default) or mean",
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
