"""What the analysis commands share: structure files in, tables out, the statistics of the files."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

from ..errors import ProtattnError
from ..structure.io import read_structure
from ..structure.model import Structure

__all__ = [
    "expand_inputs",
    "structures_of",
    "chain_ids",
    "open_output",
    "Stdout",
    "check_folder",
    "statistics_of",
    "print_notes",
]


_STRUCTURE_SUFFIXES = (".pdb", ".ent", ".cif", ".mmcif")


def expand_inputs(items: list[str]) -> list[str]:
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
                if f.lower().endswith(_STRUCTURE_SUFFIXES)
            )
            if not found:
                raise ProtattnError(f"directory {item!r} holds no .pdb/.cif files")
            paths.extend(found)
        else:
            paths.append(item)
    if not paths:
        raise ProtattnError("give at least one structure file, directory or @list file")
    return paths


def structures_of(paths: list[str]) -> Iterator[Structure]:
    for path in paths:
        yield read_structure(path)


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


def check_folder(path: str | None) -> None:
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ProtattnError(f"folder {folder!r} does not exist; create it first")


def statistics_of(args):
    from ..api.options import parse_site_kinds
    from ..api.stats import head_statistics

    paths = expand_inputs(args.inputs)
    return paths, head_statistics(
        structures_of(paths),
        args.model,
        args.property,
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
