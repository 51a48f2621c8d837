"""``protattn probe``: a diagnostic classifier per layer, trained and judged on held-out chains.

protattn probe structures/*.cif --png probe.png -o probe.csv
protattn probe 1vfb.cif 3hfm.cif 1s3k.cif --task contact --held-out 0.3 --seed 1
"""

from __future__ import annotations

import argparse
import csv
import math
import sys

from ..analysis.probing import TASKS
from ..errors import ProtattnError
from .common import add_state, check_outputs, checked, expand_inputs, structures_of

__all__ = ["add_parser", "run"]

_COLUMNS = [
    "task",
    "layer",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "baseline",
    "n_train_chains",
    "n_test_chains",
    "n_train_examples",
    "n_test_examples",
]


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ProtattnError(f"the held-out share is a number such as 0.25, not {text!r}") from None
    if not 0.0 < value < 1.0:
        raise ProtattnError(f"the held-out share must be above 0 and below 1, not {value}")
    return value


def add_parser(sub) -> None:
    """Add ``probe`` to the command line's subcommands."""
    p = sub.add_parser(
        "probe",
        help="what each layer knows: a probe per layer, judged on held-out chains",
        description="Train a logistic-regression probe on each layer of the model, on "
        "the chains of the files, and judge it on held-out chains (no sequence on both "
        "sides): secondary structure (4 classes, accuracy) and binding sites (precision "
        "at L/20) from hidden states, layer 0 the embeddings; contacts (precision at L/5) "
        "from attention, both directions of every head. Prints one table per task; "
        "intervals are bootstraps over test chains. Needs scikit-learn.",
    )
    p.add_argument("inputs", nargs="+", metavar="FILE", help="structure files, folders, @lists")
    add_state(p)
    p.add_argument("--model", default="antiberty", help="short name, Hugging Face id or directory")
    p.add_argument("--device", help="cpu or cuda")
    p.add_argument(
        "--task",
        nargs="+",
        choices=TASKS,
        default=list(TASKS),
        help="what to probe (default all)",
    )
    p.add_argument(
        "--held-out",
        type=checked(_share),
        default=0.25,
        metavar="SHARE",
        help="the share of chains tested on, in (0, 1) (default 0.25)",
    )
    p.add_argument("--seed", type=int, default=0, help="seeds the split and intervals (default 0)")
    p.add_argument("--png", metavar="PATH", help="draw the metric against the layer")
    p.add_argument("-o", "--output", metavar="CSV", help="one row per task and layer")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")


def run(args: argparse.Namespace) -> int:
    """Run ``protattn probe``: the table on standard output, notes on standard error."""
    check_outputs(args)  # before any model runs
    if args.output and not args.output.lower().endswith(".csv"):
        raise ProtattnError(f"-o writes a CSV table; give a path ending in .csv, not {args.output}")
    from ..api.probe import probe_structures

    paths = expand_inputs(args.inputs)

    def progress(step) -> None:
        if sys.stderr.isatty():  # one line, rewritten
            print(f"\rprobe: {step.text()}   ", end="", file=sys.stderr, flush=True)
            if step.done == step.total:
                print(file=sys.stderr)
        elif step.done == step.total:
            print(f"probe: {step.text()}; fitting the probes", file=sys.stderr)

    result = probe_structures(
        structures_of(paths, args),
        args.model,
        args.task,
        held_out=args.held_out,
        seed=args.seed,
        device=args.device,
        progress=None if args.quiet else progress,
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    sys.stdout.write("\n".join(result.table()) + "\n")
    if args.output:
        with open(args.output, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in result.to_rows():
                writer.writerow(
                    {k: "" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
                )
    if args.png:
        from ..report.probing import probe_figure

        probe_figure(result, path=args.png)
    wrote = [p for p in (args.output, args.png) if p]
    if wrote:
        print(f"probe: wrote {' and '.join(wrote)}", file=sys.stderr)
    return 0
