"""``protattn survey``: the per-head statistics of a whole set, resumable, here or on Ray.

protattn survey provis_binding_site_valid.tsv -o survey/
protattn survey structures/ @more.txt -o survey/ --property contact binding_site
protattn survey set.tsv -o survey/ --ray auto --workers 2
"""

from __future__ import annotations

import argparse
import sys

from ..api.checks import check_threshold
from ..errors import ProtattnError
from ..lm.counts import DEFAULT_MIN_ARCS, DEFINITIONS
from ..words import plural
from .common import checked

__all__ = ["add_parser", "run"]


def _label(text: str) -> tuple[str, str]:
    column, _, name = text.partition("=")
    if not column:
        raise argparse.ArgumentTypeError(f"give a label as COLUMN or COLUMN=PROPERTY, not {text!r}")
    return column, name or column


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number is needed, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1 is needed, not {value}")
    return value


def add_parser(sub) -> None:
    """Add ``survey`` to the command line's subcommands."""
    p = sub.add_parser(
        "survey",
        help="per-head statistics over a whole set of structures or labelled sequences",
        description="Count the per-head statistics of every chain of the inputs, under "
        "both definitions, in shards checkpointed in -o DIR: run the same command again "
        "to resume after an interruption. Writes heads.csv/.parquet, summary.csv/.md, "
        "rejects.csv and figures/ into DIR.",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="tables of sequences with labels (.tsv/.csv), structure files, directories "
        "of them, or @list files",
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the survey's folder")
    p.add_argument("--model", default="antiberty", help="short name, Hugging Face id or directory")
    p.add_argument("--device", help="cpu or cuda")
    p.add_argument(
        "--property",
        nargs="+",
        metavar="NAME",
        help="structure properties (default all; tables: their labels and aa:X)",
    )
    p.add_argument(
        "--label",
        action="append",
        type=_label,
        metavar="COLUMN[=PROPERTY]",
        help="a table's label column, and the property it is (default: columns named "
        "*_label_string or *_labels; site_label_string is binding_site)",
    )
    p.add_argument(
        "--definition",
        nargs="+",
        choices=DEFINITIONS,
        default=list(DEFINITIONS),
        help="the paper's counting and/or judged pairs (default both)",
    )
    p.add_argument(
        "--threshold",
        type=checked(check_threshold),
        default=0.3,
        help="high-confidence attention θ, in (0, 1] (default 0.3)",
    )
    p.add_argument(
        "--min-arcs",
        type=int,
        default=DEFAULT_MIN_ARCS,
        help=f"heads with fewer arcs are not ranked (default {DEFAULT_MIN_ARCS})",
    )
    p.add_argument("--max-length", type=_positive, metavar="N", help="reject longer chains")
    p.add_argument("--shard-size", type=_positive, default=64, metavar="N", help="inputs per shard")
    p.add_argument("--no-batch", action="store_true", help="one chain per pass")
    p.add_argument(
        "--max-tokens", type=_positive, metavar="N", help="tokens per batch (see README)"
    )
    p.add_argument("--ray", metavar="auto|ADDRESS", help="count the shards on a Ray cluster")
    p.add_argument(
        "--workers", type=_positive, metavar="N", help="Ray actors (default: one per CPU)"
    )
    p.add_argument("--restart", action="store_true", help="clear DIR's shards and start over")
    p.add_argument("--no-figures", action="store_true", help="tables only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``protattn survey``; print where everything went and the top heads."""
    import os

    from ..survey import survey

    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise ProtattnError(f"{args.output} is a file; give a folder for the survey (-o DIR)")
    labels = dict(args.label) if args.label else None
    try:
        result = survey(
            args.inputs,
            args.output,
            args.model,
            properties=args.property,
            labels=labels,
            definitions=args.definition,
            threshold=args.threshold,
            min_arcs=args.min_arcs,
            max_length=args.max_length,
            shard_size=args.shard_size,
            batch=not args.no_batch,
            max_tokens=args.max_tokens,
            device=args.device,
            ray=args.ray,
            workers=args.workers,
            restart=args.restart,
            figures=not args.no_figures,
            quiet=args.quiet,
            warn=lambda text: print(f"protattn: {text}", file=sys.stderr),
        )
    except KeyboardInterrupt:
        print(
            f"protattn: survey interrupted; the shards counted are kept in {args.output}: "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    plan = result.plan
    print(
        f"{args.output}: {plural(result.n_chains, 'chain')} counted from "
        f"{plural(len(plan.units), 'input')} in {plural(plan.n_shards, 'shard')} "
        f"({result.counted} counted now, {plan.n_shards - result.counted} from before); "
        f"{plural(len(result.rejects), 'reject')} (rejects.csv)",
        file=sys.stderr,
    )
    for note in result.outputs.notes:
        print(f"protattn: {note}", file=sys.stderr)
    sys.stdout.write(result.outputs.summary_md.read_text())
    return 0
