"""``protattn diff``: what one head does differently for a mutant, or what two heads do.

protattn diff 1vfb.cif --chain B --mutations B:Y101A --layer-head 6-3 --heads --partner C
protattn diff 1vfb.cif --chain B --sequence QVQLQES... --layer-head 6-3 -o diff.csv
protattn diff 1vfb.cif --chain B --layer-head 6-3 --versus 7-1 --png heads.png
"""

from __future__ import annotations

import argparse
import csv
import sys

from ..api.checks import check_threshold
from ..errors import ProtattnError
from ..lm.counts import DEFAULT_DEFINITION, DEFINITIONS
from ..structure.model import Chain, Structure
from ..structure.mutations import parse_mutations
from .common import add_head_options, add_model_options, add_state, check_outputs, checked, read

__all__ = ["add_parser", "run"]


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise ProtattnError(f"a count is a whole number from 0, not {text!r}")
    return int(text)


def add_parser(sub) -> None:
    """Add ``diff`` to the command line's subcommands."""
    p = sub.add_parser(
        "diff",
        help="what attention does differently for a mutant, or for another head",
        description="Run a chain and its mutant (mutations in the structure's own "
        "numbering, or a second sequence of the same length) through one head and "
        "show the pairs gained and lost, the change of attention each residue "
        "receives and, with --heads, the heads whose agreement with contacts and "
        "binding sites changes most. --versus compares two heads on one sequence.",
    )
    p.add_argument("file", help="PDB or mmCIF file")
    add_state(p)
    p.add_argument(
        "--chain",
        metavar="ID",
        help="the chain to mutate (default: the chain the mutations name, or the only one)",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--mutations",
        action="append",
        metavar="LIST",
        help="mutations [CHAIN:]WT NUMBER[ICODE] MUT, comma-separated or repeated: "
        "B:Y101A, H:A52aG, TYR101ALA",
    )
    what.add_argument(
        "--sequence",
        metavar="SEQ",
        help="the mutant's whole sequence, as long as the chain's",
    )
    what.add_argument(
        "--versus",
        metavar="L-H",
        help="compare --layer-head with this head on the chain's own sequence",
    )
    add_head_options(p, of=" of each run")
    p.add_argument(
        "--list",
        type=checked(_count),
        default=20,
        metavar="N",
        help="pairs gained (and lost) listed, largest change first (default 20; 0: all)",
    )
    p.add_argument(
        "--heads",
        action="store_true",
        help="also rank every head by the change of its agreement with contacts and "
        "binding sites (the structure's, the same for both sequences)",
    )
    p.add_argument(
        "--partner",
        action="append",
        metavar="ID",
        help="with --heads: chains whose atoms within 4 A make the interface property "
        "(an antibody chain's antigen: its paratope); repeat or comma-separate",
    )
    p.add_argument(
        "--theta",
        type=checked(lambda t: check_threshold(t, "--theta")),
        default=0.3,
        help="with --heads: high-confidence attention θ (default 0.3, the paper's)",
    )
    p.add_argument(
        "--min-arcs",
        type=checked(_count),
        default=20,
        metavar="N",
        help="with --heads: rank heads with at least N arcs in both sequences (default 20)",
    )
    p.add_argument(
        "--top",
        type=checked(_count),
        default=10,
        metavar="N",
        help="with --heads: heads listed per property (default 10; 0: all)",
    )
    p.add_argument("--definition", choices=DEFINITIONS, default=DEFAULT_DEFINITION)
    add_model_options(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="write every pair (gained, lost, kept) and residue with both values here",
    )
    p.add_argument(
        "--png",
        metavar="PATH",
        help="ray-traced picture of the gained and lost pairs (PyMOL), with its key",
    )


def _chain(structure: Structure, args: argparse.Namespace) -> Chain:
    """The chain ``--chain`` names, else the one the mutations name, else the only one."""
    if args.chain:
        return structure.chain(args.chain.strip())
    named = (
        {m.chain for m in parse_mutations(args.mutations) if m.chain} if args.mutations else set()
    )
    if len(named) == 1:
        return structure.chain(named.pop())
    if len(structure.chains) == 1:
        return structure.chains[0]
    raise ProtattnError(
        f"give --chain ID: {structure.name} has chains {', '.join(structure.chain_ids)}"
        + (f" and the mutations name {', '.join(sorted(named))}" if named else "")
    )


def run(args: argparse.Namespace) -> int:
    from ..api.diff import ROW_FIELDS, compare, compare_heads, head_changes
    from ..structure.model import ca_coordinates
    from .render import picture, renderer

    check_outputs(args)
    if args.heads and args.versus:
        raise ProtattnError("--heads compares a mutant with the wild type; leave out --versus")
    if args.partner and not args.heads:
        raise ProtattnError("--partner is for --heads (the interface property); add --heads")
    render = renderer() if args.png else None  # a missing renderer is refused first
    structure = read(args.file, args)
    chain = _chain(structure, args)
    options = {
        "model": args.model,
        "threshold": args.threshold,
        "top_k": args.top_k,
        "min_separation": args.min_separation,
        "symmetrize": args.symmetrize,
        "device": args.device,
        "dtype": args.dtype,
        "window": args.window,
        "stride": args.stride,
    }
    if args.versus:
        result = compare_heads(chain, args.layer_head, args.versus, **options)
    else:
        mutant = ",".join(args.mutations) if args.mutations else args.sequence
        result = compare(chain, mutant, args.layer_head, **options)
    out = sys.stdout
    out.write(f"{structure.name}: {result.summary()}\n")
    for line in result.table(pairs=args.list or None):
        out.write(line + "\n")
    if args.heads:
        partners = [c.strip() for item in args.partner or () for c in item.split(",") if c.strip()]
        changes = head_changes(
            structure,
            chain,
            result.mutant if result.mutant is not None else args.sequence,
            args.model,
            partners=partners,
            threshold=args.theta,
            min_arcs=args.min_arcs,
            definition=args.definition,
            device=args.device,
            dtype=args.dtype,
            window=args.window,
            stride=args.stride,
        )
        out.write(f"\n{changes.summary()}\n")
        for line in changes.table(args.top or None):
            out.write(line + "\n")
    out.flush()
    if args.output:
        with open(args.output, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(ROW_FIELDS), lineterminator="\n")
            writer.writeheader()
            for row in result.rows():
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
    if render is not None:
        n = picture(
            render,
            args.file,
            result.scene,
            ca_coordinates([chain]),
            args.png,
            f"{structure.name} {chain.id} {result.model} {result.first} vs {result.second}",
        )
        print(f"wrote {args.png} ({n} pairs drawn)", file=sys.stderr)
    return 0
