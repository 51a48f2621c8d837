"""``protattn query``: every residue's attention exchanged with the residues you name.

protattn query 1vfb.cif --residues B:99-104 --layer-head 5-5 --direction from -o from.csv
protattn query 1vfb.cif --residues C:18-27 --layer-head 6-mean --concatenate --png q.png
"""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from ..api.checks import check_output
from ..palettes import parse_palette
from ..scene import parse_range
from ..words import plural
from .common import add_head_options, add_model_options, add_state, checked, read, selection_of

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add ``query`` to the command line's subcommands."""
    p = sub.add_parser(
        "query",
        help="colour every residue by the attention it receives from, or gives to, your residues",
        description="For one head or a layer's aggregate: the attention each residue "
        "receives from the residues named (mean over them; --direction from) or the share "
        "of its attention it gives to them (--direction to). Prints a table; --png draws it.",
    )
    p.add_argument("file", help="PDB or mmCIF file")
    add_state(p)
    p.add_argument(
        "--residues",
        required=True,
        metavar="LIST",
        help="[CHAIN:]FROM[-TO] items in the file's numbering, e.g. H:95-102,L:91",
    )
    add_head_options(p, pairs=False)
    p.add_argument("--direction", choices=("from", "to"), default="from")
    p.add_argument(
        "--chain", action="append", metavar="ID", help="chains to run (default: all protein)"
    )
    p.add_argument(
        "--concatenate",
        action="store_true",
        help="run the chains as one input, to see attention between them (antibody-antigen)",
    )
    add_model_options(p)
    p.add_argument("--palette", type=checked(parse_palette), default="attention")
    p.add_argument("--range", type=checked(parse_range), metavar="LO,HI")
    p.add_argument("-o", "--output", metavar="CSV", help="one row per residue")
    p.add_argument("--png", metavar="PATH", help="ray-trace the colours with their key (PyMOL)")
    p.add_argument("--top", type=int, default=10, metavar="K", help="residues listed (10)")


def run(args: argparse.Namespace) -> int:
    """Run ``protattn query``."""
    from ..api.query import query_scores
    from ..structure.model import ca_coordinates
    from .render import picture, renderer

    if args.output:
        check_output(args.output, (".csv",), "-o")
    render = None
    if args.png:
        check_output(args.png, (".png",), "--png")
        render = renderer()  # a missing renderer is refused before the model runs
    structure = read(args.file, args)
    ids = [c.strip() for item in args.chain or () for c in item.split(",") if c.strip()]
    chains = [structure.chain(c) for c in ids] if ids else list(structure.chains)
    selection = selection_of(args, [structure])
    assert selection is not None  # --residues is required
    result = query_scores(
        chains,
        args.layer_head,
        selection.ids,
        args.direction,
        model=args.model,
        palette=args.palette,
        device=args.device,
        window=args.window,
        stride=args.stride,
        concatenate=args.concatenate,
        dtype=args.dtype,
        value_range=args.range,
    )
    rows: list[dict[str, Any]] = [
        {
            "chain": c.id,
            "residue": str(rid),
            "aa": aa,
            "selected": rid in selection,
            "value": float(value),
        }
        for c in chains
        for rid, aa, value in zip(c.residue_ids, c.sequence, result.scores[c.id])
        if rid is not None
    ]
    print(f"{structure.name}: {result.summary()}", file=sys.stderr)
    shown = sorted((r for r in rows if r["value"] == r["value"]), key=lambda r: -float(r["value"]))
    print(f"{result.scene.title()}, selection {selection.describe()}; top {args.top}:")
    for row in shown[: args.top]:
        mark = " (selected)" if row["selected"] else ""
        print(f"  {row['residue']:>10} {row['aa']} {row['value']:.4f}{mark}")
    if args.output:
        with open(args.output, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {plural(len(rows), 'residue')} to {args.output}", file=sys.stderr)
    if render is not None:
        picture(
            render,
            args.file,
            result.scene,
            ca_coordinates(chains),
            args.png,
            f"{structure.name}, {result.model}, selection {selection.describe()}",
        )
        print(f"drew the colours into {args.png} with their key", file=sys.stderr)
    return 0
