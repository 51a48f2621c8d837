"""The ``protattn`` command line: attention pairs of a structure file as a table or a picture.

    protattn pairs 1hpv.pdb --chain A --layer-head 6-3 --format csv
    protattn render 1hpv.pdb --layer-head 6-3 --top-k 40 --png pairs.png
    protattn pairs 1vfb.cif --chain A,B --concatenate --layer-head 8-max --top-k 30
    protattn models
    protattn cache [--clear]
    protattn worker                 (model runs for PyMOL / ChimeraX without torch)
    protattn features | stats | heads | contacts ...   (see protattn.cli.analysis)
    protattn survey set.tsv -o survey/ [--ray auto]    (see protattn.cli.survey)

Errors print one line saying what was wrong and how to fix it, and exit with status 2.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from collections.abc import Sequence

from .._version import __version__
from ..api.checks import check_output
from ..api.pairs import PairsResult, compute_pairs
from ..errors import ProtattnError
from ..palettes import parse_palette
from ..scene import parse_radius, parse_range
from ..structure.model import Chain, ca_coordinates
from ..words import plural
from . import analysis as cli_analysis
from .common import add_head_options, add_model_options, add_state, checked, read
from .render import picture, renderer

__all__ = [
    "main",
]

#: Commands that live in a module of their own (``protattn.cli.<name>``), each with
#: ``add_parser(sub)`` and ``run(args) -> int``; imported when the parser is built.
COMMAND_MODULES = ("survey", "aminoacids", "diff", "query", "probe")

_COLUMNS = [
    "chain_i",
    "pos_i",
    "chain_j",
    "pos_j",
    "residue_i",
    "residue_j",
    "aa_i",
    "aa_j",
    "weight",
    "cb_distance",
    "contact",
]


def _add_pair_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="PDB or mmCIF file")
    add_state(p)
    p.add_argument(
        "--chain",
        action="append",
        metavar="ID",
        help="protein chain to analyse (repeat or comma-separate; default: all)",
    )
    add_head_options(p)
    add_model_options(p)
    p.add_argument(
        "--concatenate",
        action="store_true",
        help="run the chosen chains as one input, to see attention between chains",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="protattn",
        description="Protein language model attention on a protein structure.",
    )
    parser.add_argument("--version", action="version", version=f"protattn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pairs = sub.add_parser(
        "pairs",
        help="table of high-attention residue pairs",
        description="Print the residue pairs one attention head links "
        "most strongly, with their 3D contact status.",
    )
    _add_pair_options(pairs)
    pairs.add_argument("--format", choices=("csv", "json"), default="csv")
    pairs.add_argument("-o", "--output", metavar="PATH", help="write here instead of stdout")

    render = sub.add_parser(
        "render",
        help="ray-traced PNG of the pairs on a cartoon (PyMOL)",
        description="Draw the high-attention pairs on the structure in "
        "headless PyMOL and ray-trace a PNG.",
    )
    _add_pair_options(render)
    render.add_argument("--png", required=True, metavar="PATH", help="output image")
    render.add_argument(
        "--palette",
        type=checked(parse_palette),
        default="attention",
        metavar="NAME|C1:C2:...",
        help="pair colours: a name (attention, viridis, bluered, YlOrRd, ...), colours "
        "joined by ':' (blue:white:red) or '_', '^' before any to reverse it "
        "(default attention)",
    )
    render.add_argument(
        "--range",
        type=checked(parse_range),
        metavar="LO,HI",
        help="fixed scale of colour and radius: LO,HI or 'full' (0-1), so a weight looks "
        "the same in every picture (default: the drawn weights' range)",
    )
    render.add_argument(
        "--radius",
        type=checked(parse_radius),
        default=(0.05, 0.3),
        metavar="R|LO,HI",
        help="pair radius in A: one for all, or LO,HI at the scale's ends (default 0.05,0.3)",
    )
    render.add_argument("--width", type=int, default=1200)
    render.add_argument("--height", type=int, default=900)
    render.add_argument(
        "--no-key",
        action="store_true",
        help="leave out the key under the picture (colour and thickness with their values)",
    )

    sub.add_parser(
        "models",
        help="the models protattn knows, and which are here offline",
        description="List the short names of known models, their size, and whether "
        "they can be loaded here without a network.",
    )

    cache = sub.add_parser(
        "cache",
        help="show or clear the attention cache",
        description="Attention is cached on disk per model, sequence and "
        "windowing options (PROTATTN_CACHE overrides where).",
    )
    cache.add_argument("--clear", action="store_true", help="remove every cached entry")
    cli_analysis.add_parsers(sub)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").add_parser(sub)
    sub.add_parser(
        "worker",
        help="serve model runs to PyMOL / ChimeraX over stdin and stdout",
        description="Run language models for a host whose Python has no torch: "
        "JSON lines on standard input and output (protocol "
        "described in protattn.compute.server). Hosts start it themselves "
        "when PROTATTN_PYTHON points at this Python.",
    )
    return parser


def _models(out) -> int:
    from ..lm.registry import MODELS, model_status

    out.write(f"{'name':<16}{'parameters':<16}{'family':<11}{'offline':<9}source\n")
    for name, spec in MODELS.items():
        status = model_status(name)
        here = {"package": "yes", "cache": "yes", "missing": "no"}[status]
        out.write(
            f"{name:<16}{spec.parameters:<16}{spec.family:<11}{here:<9}{spec.source}"
            f"{'  (' + spec.note + ')' if spec.note else ''}\n"
        )
    out.write("Any other Hugging Face id or model directory also works (--model).\n")
    return 0


def _cache(args: argparse.Namespace, out) -> int:
    from ..lm.cache import AttentionCache

    store = AttentionCache()
    if args.clear:
        n = store.clear()
        out.write(f"removed {n} cached attention entries from {store.directory}\n")
        return 0
    entries = store.entries()
    out.write(f"{store.directory}: {len(entries)} entries, {store.size_bytes() / 1e6:.1f} MB\n")
    for e in sorted(entries, key=lambda e: e.created):
        out.write(
            f"  {e.model_id:<32} {e.length:>6} residues {e.n_bytes / 1e6:8.2f} MB  {e.key[:12]}\n"
        )
    return 0


def _chains(args: argparse.Namespace) -> tuple[str, list[Chain]]:
    structure = read(args.file, args)
    if not args.chain:
        return structure.name, list(structure.chains)
    ids = [c.strip() for item in args.chain for c in item.split(",") if c.strip()]
    return structure.name, [structure.chain(c) for c in ids]


def _compute(args: argparse.Namespace, chains: list[Chain], **extra) -> PairsResult:
    return compute_pairs(
        chains,
        args.layer_head,
        model=args.model,
        threshold=args.threshold,
        top_k=args.top_k,
        min_separation=args.min_separation,
        symmetrize=args.symmetrize,
        device=args.device,
        window=args.window,
        stride=args.stride,
        concatenate=args.concatenate,
        dtype=args.dtype,
        **extra,
    )


def _write_pairs(result: PairsResult, fmt: str, out) -> None:
    rows = [p.as_row() for p in result.pairs]
    if fmt == "json":
        json.dump(
            {"model": result.model, "layer_head": str(result.head), "pairs": rows}, out, indent=1
        )
        out.write("\n")
    else:
        segments = [k for k in ("segment_i", "segment_j") if any(k in row for row in rows)]
        writer = csv.DictWriter(out, fieldnames=[*_COLUMNS, *segments], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


def _run(args: argparse.Namespace) -> int:
    if args.command == "models":
        return _models(sys.stdout)
    if args.command == "cache":
        return _cache(args, sys.stdout)
    if args.command == "worker":
        from ..compute.server import main as serve

        return serve()
    if args.command in ("features", "stats", "heads", "contacts"):
        return cli_analysis.run(args)
    if args.command in COMMAND_MODULES:
        return importlib.import_module(f"{__package__}.{args.command}").run(args)
    if args.command == "pairs" and args.output:
        check_output(args.output, None, "-o")
    if args.command == "render":
        check_output(args.png, (".png",), "--png")
    name, chains = _chains(args)
    if args.command == "pairs":
        result = _compute(args, chains)
        if args.output:
            with open(args.output, "w", newline="") as out:
                _write_pairs(result, args.format, out)
        else:
            _write_pairs(result, args.format, sys.stdout)
        print(f"{name}: {result.summary()}", file=sys.stderr)
        return 0
    # render
    render = renderer()  # a missing renderer is refused before the model runs
    result = _compute(
        args, chains, palette=args.palette, value_range=args.range, radius=args.radius
    )
    n = picture(
        render,
        args.file,
        result.scene,
        ca_coordinates(chains),
        args.png,
        f"{name} {result.model} {result.head}",
        args.width,
        args.height,
        key=not args.no_key,
    )
    print(
        f"{name}: {result.summary()}; drew {plural(n, 'pair')} into {args.png}"
        + ("" if args.no_key else " with its key"),
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``protattn`` console command."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ProtattnError as e:
        print(f"protattn: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
