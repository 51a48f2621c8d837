"""``protattn aminoacids``: every head's attention between amino acids, against BLOSUM62.

protattn aminoacids provis_binding_site_valid.tsv --png aa.png -o aa.csv
protattn aminoacids structures/ --threshold 0.3 --top 10
"""

from __future__ import annotations

import argparse
import csv
import sys

from ..api.checks import check_output, check_threshold
from ..errors import ProtattnError
from ..report.plots import FORMATS
from .common import checked

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add ``aminoacids`` to the command line's subcommands."""
    p = sub.add_parser(
        "aminoacids",
        help="attention between amino acids per head, and its similarity against BLOSUM62",
        description="Count every head's high-confidence arcs between amino acids over the "
        "inputs' chains; print how the amino acids' attention similarity (the paper's "
        "Pearson r over heads) and each head's own similarity compare with BLOSUM62.",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="structure files, directories of them, @list files, or tables of sequences "
        "(.tsv/.csv with a sequence column)",
    )
    p.add_argument("--model", default="antiberty", help="short name, Hugging Face id or directory")
    p.add_argument("--device", help="cpu or cuda")
    p.add_argument(
        "--threshold",
        type=checked(check_threshold),
        default=0.3,
        help="arcs are weights of at least θ, in [0.05, 1] (default 0.3, the paper's)",
    )
    p.add_argument(
        "--min-arcs",
        type=int,
        default=100,
        help="heads with fewer arcs are left out of the similarity (default 100, the paper's)",
    )
    p.add_argument("--top", type=int, default=5, metavar="K", help="heads to list (default 5)")
    p.add_argument("--png", metavar="PATH", help="the figure (.png, .svg or .pdf)")
    p.add_argument(
        "-o", "--output", metavar="CSV", help="one row per head and amino acid: arcs, share, r"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``protattn aminoacids``."""
    from ..api.aminoacids import amino_acid_profiles
    from ..survey.inputs import Reject, read_units, survey_units

    if args.png:
        check_output(args.png, tuple(FORMATS), "--png")
    if args.output:
        check_output(args.output, (".csv",), "-o")
    if args.min_arcs < 0 or args.top < 1:
        raise ProtattnError("--min-arcs must be 0 or more and --top 1 or more")
    chains, rejects = [], []
    for item in read_units(survey_units(args.inputs), ["aa:A"]):
        if isinstance(item, Reject):
            rejects.append((item.source, item.reason))
        else:
            chains.append((item.name, item.sequence))
    for source, reason in rejects:
        print(f"protattn: left out {source}: {reason}", file=sys.stderr)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(chains), unit="chain", file=sys.stderr, desc="attention")
    result = amino_acid_profiles(
        chains,
        args.model,
        threshold=args.threshold,
        min_arcs=args.min_arcs,
        device=args.device,
        progress=None if bar is None else (lambda _: bar.update(1)),
        rejects=rejects,
    )
    if bar is not None:
        bar.close()
    for entry in result.truncated:
        print(
            f"note: {entry} residues: cut to the model's input, as the paper's code cuts it",
            file=sys.stderr,
        )
    print("\n".join(result.table(args.top)))
    if args.output:
        rows = result.rows()
        with open(args.output, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows (head × amino acid) to {args.output}", file=sys.stderr)
    if args.png:
        result.figure(args.png)
        print(f"drew the figure into {args.png}", file=sys.stderr)
    return 0
