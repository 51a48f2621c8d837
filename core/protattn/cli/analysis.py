"""The analysis verbs of the ``protattn`` command: features, stats, heads, contacts.

protattn features 1hpx.pdb --format json
protattn stats structures/ --property contact binding_site --heatmap contact.png
protattn heads 1hpx.pdb --property binding_site --top 10 --png top_head.png
protattn contacts 1a3a.pdb --chain A --method apc --format csv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterator

from ..errors import ProtattnError
from ..lm.counts import DEFAULT_DEFINITION, DEFINITIONS
from ..structure.io import read_structure
from ..structure.model import Structure
from .render import renderer

__all__ = [
    "expand_inputs",
    "add_parsers",
    "run",
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


def _structures(paths: list[str]) -> Iterator[Structure]:
    for path in paths:
        yield read_structure(path)


def _common(p: argparse.ArgumentParser, many: bool = True) -> None:
    if many:
        p.add_argument(
            "inputs",
            nargs="+",
            metavar="FILE",
            help="structure files, directories of them, or @list files",
        )
        p.add_argument(
            "--chain",
            action="append",
            metavar="ID",
            help="chains to use (repeat or comma-separate; default: all protein chains)",
        )
    else:
        p.add_argument(
            "--chain",
            action="append",
            metavar="ID",
            help="the chain to use (default: the first protein chain)",
        )
    p.add_argument(
        "--model",
        default="antiberty",
        help="short name, Hugging Face id or directory (default antiberty)",
    )
    p.add_argument("--device", help="cpu or cuda")
    p.add_argument(
        "--dtype",
        choices=("float32", "float16", "bfloat16"),
        help="the model's precision: half precision on a GPU only (default float32; "
        "thresholds are decided on float32 values either way)",
    )
    p.add_argument("--window", type=int, metavar="N", help="windows for long chains")
    p.add_argument("--stride", type=int, metavar="N", help="residues between window starts")


def _stat_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--property",
        nargs="+",
        default=None,
        metavar="NAME",
        help="contact, binding_site, binding_site:CODE, helix, strand, turn_bend, "
        "other, aa:X, or all (default all)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.3,
        help="high-confidence attention θ (default 0.3, the paper's)",
    )
    p.add_argument(
        "--min-arcs",
        type=int,
        default=100,
        help="flag heads with too few high-confidence arcs over the set: this many "
        "or fewer (paper), fewer (judged) (default 100)",
    )
    p.add_argument(
        "--definition",
        choices=DEFINITIONS,
        default=DEFAULT_DEFINITION,
        help="paper (default): the paper's own counting, comparable with its "
        "figures (arcs ≥ θ over every pair, chains cut to 510 residues, Wald "
        "intervals); judged: share and background on the pairs each property "
        "is judged on (arcs > θ, windows for long chains, Wilson intervals)",
    )
    p.add_argument(
        "--min-separation", type=int, default=6, help="minimum |i-j| for contacts (default 6)"
    )
    p.add_argument(
        "--site-kinds",
        default="ligand",
        help="HETATM kinds that make binding sites: ligand, ion, glycan, additive "
        "(comma-separated; default ligand)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def add_parsers(sub) -> None:
    """Add the analysis subcommands to the ``protattn`` parser."""
    features = sub.add_parser(
        "features",
        help="ground truth from a structure: contacts, binding sites, secondary structure",
    )
    features.add_argument("file", help="PDB or mmCIF file")
    features.add_argument("--chain", metavar="ID", help="one chain (default: all)")
    features.add_argument("--format", choices=("json",), default="json")
    features.add_argument("--contact-cutoff", type=float, default=8.0, help="CB-CB, Å (8)")
    features.add_argument("--min-separation", type=int, default=6)
    features.add_argument("--site-cutoff", type=float, default=4.0, help="Å (4)")
    features.add_argument(
        "--site-kinds",
        default="ligand,ion,glycan,additive",
        help="HETATM kinds whose sites are listed (default all four)",
    )
    features.add_argument("-o", "--output", metavar="PATH")

    stats = sub.add_parser(
        "stats",
        help="per-head statistics over one or more structures",
        description="The share of each head's high-confidence attention "
        "that lands on each property, against background.",
    )
    _common(stats)
    _stat_options(stats)
    stats.add_argument("--format", choices=("json", "csv"), default="json")
    stats.add_argument("-o", "--output", metavar="PATH")
    stats.add_argument(
        "--heatmap", metavar="PATH", help="layer x head figure (.png/.svg) of the first property"
    )
    stats.add_argument("--profile", metavar="PATH", help="per-layer profile figure (.png/.svg)")

    heads = sub.add_parser(
        "heads",
        help="rank heads by one property; draw the top head",
        description="Which heads of this model look at this property here.",
    )
    _common(heads)
    _stat_options(heads)
    heads.set_defaults(property=["contact"])
    heads.add_argument("--top", type=int, default=10, help="rows to show (default 10)")
    heads.add_argument(
        "--all-heads", action="store_true", help="also rank heads with fewer than --min-arcs arcs"
    )
    heads.add_argument("--format", choices=("table", "json", "csv"), default="table")
    heads.add_argument("--plot", metavar="PATH", help="top heads with intervals (.png/.svg)")
    heads.add_argument(
        "--png",
        metavar="PATH",
        help="ray-trace the top head's pairs on the first structure (PyMOL)",
    )
    heads.add_argument(
        "--map",
        metavar="PATH",
        help="the top head's attention map beside the contact map of the first chain (.png/.svg)",
    )

    contacts = sub.add_parser(
        "contacts", help="contact prediction from attention, scored against the structure"
    )
    contacts.add_argument("file", help="PDB or mmCIF file")
    _common(contacts, many=False)
    contacts.add_argument(
        "--method",
        choices=("apc", "esm"),
        default="apc",
        help="apc: APC-corrected attention averaged over heads (any model); "
        "esm: the ESM model's contact head",
    )
    contacts.add_argument(
        "--heads", default="all", help="heads averaged by apc, e.g. 6-3,7-1 (default all)"
    )
    contacts.add_argument("--min-separation", type=int, default=6)
    contacts.add_argument("--format", choices=("json", "csv"), default="json")
    contacts.add_argument("-o", "--output", metavar="PATH")
    contacts.add_argument(
        "--plot", metavar="PATH", help="predicted scores beside the true contact map (.png/.svg)"
    )
    contacts.add_argument(
        "--png", metavar="PATH", help="ray-trace the predictions, green true / red false (PyMOL)"
    )


def _chain_ids(args) -> list[str] | None:
    if not args.chain:
        return None
    return [c.strip() for item in args.chain for c in item.split(",") if c.strip()]


def _open(path: str | None):
    return open(path, "w", newline="") if path else _Stdout()


class _Stdout:
    def __enter__(self):
        return sys.stdout

    def __exit__(self, *exc) -> None:
        sys.stdout.flush()


def _check_folder(path: str | None) -> None:
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ProtattnError(f"folder {folder!r} does not exist; create it first")


def _statistics(args):
    from ..api.options import parse_site_kinds
    from ..api.stats import head_statistics

    paths = expand_inputs(args.inputs)
    return paths, head_statistics(
        _structures(paths),
        args.model,
        args.property,
        chains=_chain_ids(args),
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


def _notes(stats) -> None:
    """What a user must know about how the statistics were made, on standard error."""
    for entry in stats.truncated:
        print(
            f"note: {entry} residues: cut to the model's input, as the paper's code cuts it "
            "(--definition judged runs long chains in windows)",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    """Run one analysis subcommand; 0 on success."""
    for path in (getattr(args, a, None) for a in ("heatmap", "profile", "plot", "png", "output")):
        _check_folder(path)
    if args.command == "features":
        from ..api.options import parse_site_kinds
        from ..structure.records import chain_features, structure_features
        from ..structure.sites import LIGAND_KINDS

        kinds = tuple(parse_site_kinds(args.site_kinds))
        if set(kinds) - set(LIGAND_KINDS):
            raise ProtattnError(f"--site-kinds takes {', '.join(LIGAND_KINDS)}")
        structure = read_structure(args.file)
        options = dict(
            contact_cutoff=args.contact_cutoff,
            min_separation=args.min_separation,
            site_cutoff=args.site_cutoff,
            kinds=kinds,
        )
        if args.chain:
            structure.chain(args.chain)  # a clear error for an unknown chain
            data = chain_features(structure, args.chain, **options)
        else:
            data = structure_features(structure, **options)
        with _open(args.output) as out:
            json.dump(data, out, indent=1)
            out.write("\n")
        return 0
    if args.command == "stats":
        _, stats = _statistics(args)
        _notes(stats)
        with _open(args.output) as out:
            if args.format == "json":
                out.write(stats.to_json() + "\n")
            else:
                stats.to_csv(out)
        first = stats.properties[0]
        if args.heatmap:
            from ..api.stats import property_heatmap

            property_heatmap(stats, first, args.model, args.heatmap)
        if args.profile:
            from ..report.plots import layer_profile

            paper = stats.definition == "paper"
            layer_profile(
                stats.layer_profile(first, weighted=not paper),
                stats.center_of_gravity(first),
                title=f"{args.model}: {first} by layer ({stats.definition_name})",
                label=(
                    f"mean share ≥ {stats.threshold:g}\n(heads with ≥ {stats.min_arcs} arcs)"
                    if paper
                    else "mean attention-weighted share"
                ),
                path=args.profile,
            )
        for prop in stats.properties:
            best = stats.ranking(prop)[:1]
            if best:
                share = best[0]["share"]
                print(
                    f"{prop}: background {stats.stats[prop].background:.3f}, best head "
                    f"{best[0]['layer_head']} {'n/a' if share is None else f'{share:.3f}'} "
                    f"({stats.definition_name})",
                    file=sys.stderr,
                )
        return 0
    if args.command == "heads":
        return _heads(args)
    return _contacts(args)


def _heads(args) -> int:
    from ..api.stats import rank_heads, ranking_table

    if len(args.property) != 1 or args.property[0] == "all":
        raise ProtattnError("heads ranks by one property: give --property NAME")
    paths, stats = _statistics(args)
    _notes(stats)
    prop = args.property[0]
    rows = rank_heads(stats, prop, args.top, min_arcs_only=not args.all_heads)
    columns = [
        "layer_head",
        "share",
        "ci_low",
        "ci_high",
        "background",
        "n_arcs",
        "hits",
        "z",
        "p_value",
        "weighted_share",
        "enough_arcs",
        "definition",
    ]
    if args.format == "json":
        json.dump(
            {
                "property": prop,
                "definition": stats.definition,
                "background": stats.stats[prop].background,
                "alpha_per_head": stats.stats[prop].alpha_per_head,
                "truncated": list(stats.truncated),
                "heads": rows,
            },
            sys.stdout,
            indent=1,
        )
        print()
    elif args.format == "csv":
        writer = csv.DictWriter(
            sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    else:
        print("\n".join(ranking_table(stats, prop, rows)))
    if not rows:
        return 0
    if args.plot:
        from ..report.plots import top_heads

        top_heads(rows, title=f"{args.model}: {prop} ({stats.definition_name})", path=args.plot)
    if args.png:
        _draw_top_head(args, paths[0], rows[0]["layer_head"])
    if args.map:
        _head_map(args, paths[0], rows[0]["layer_head"])
    return 0


def _head_map(args, path: str, layer_head: str) -> None:
    from ..compute.backend import get_model
    from ..lm.heads import parse_layer_head
    from ..lm.inference import head_maps
    from ..report.contacts import head_vs_contacts
    from ..structure.properties import contact_map

    structure = read_structure(path)
    ids = _chain_ids(args)
    chain = next(c for c in structure.chains if not ids or c.id in ids)
    lm = get_model(args.model, args.device, args.dtype)
    spec = parse_layer_head(layer_head, lm.n_layers, lm.n_heads)
    (weights,) = head_maps(lm, chain.sequence, [spec], args.window, args.stride).values()
    head_vs_contacts(
        weights,
        contact_map(chain, 8.0, args.min_separation),
        title=f"{structure.name} {chain.id}: {args.model} head {spec}",
        path=args.map,
    )


def _draw_top_head(args, path: str, layer_head: str) -> None:
    render_png = renderer()

    from ..api.pairs import compute_pairs
    from ..structure.model import ca_coordinates

    structure = read_structure(path)
    ids = _chain_ids(args)
    chains = [c for c in structure.chains if ids is None or c.id in ids]
    result = compute_pairs(
        chains,
        layer_head,
        model=args.model,
        threshold=args.threshold,
        min_separation=args.min_separation,
        window=args.window,
        stride=args.stride,
        device=args.device,
        dtype=args.dtype,
    )
    n = render_png(path, result.scene, ca_coordinates(chains), args.png)
    print(
        f"{structure.name}: top head {result.summary()}; drew {n} pairs into {args.png}",
        file=sys.stderr,
    )


def _contacts(args) -> int:
    from ..api.contacts import predict_contacts
    from ..api.options import parse_heads

    structure = read_structure(args.file)
    ids = _chain_ids(args)
    if ids and len(ids) != 1:
        raise ProtattnError("contacts predicts one chain at a time: give --chain ID")
    chain = structure.chain(ids[0]) if ids else structure.chains[0]
    result = predict_contacts(
        chain,
        args.model,
        args.method,
        parse_heads(args.heads),
        min_separation=args.min_separation,
        window=args.window,
        stride=args.stride,
        device=args.device,
        dtype=args.dtype,
    )
    with _open(args.output) as out:
        if args.format == "json":
            json.dump(
                {
                    "chain": chain.id,
                    "method": result.method,
                    "heads": [str(h) for h in result.heads] or "all",
                    "precision": result.precision,
                    "predictions": [p.as_row() for p in result.pairs],
                },
                out,
                indent=1,
            )
            out.write("\n")
        else:
            rows = [p.as_row() for p in result.pairs]
            writer = csv.DictWriter(
                out, fieldnames=list(rows[0]) if rows else ["chain_i"], lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    print(f"{structure.name} chain {chain.id}: {result.summary()}", file=sys.stderr)
    if args.plot:
        from ..report.contacts import head_vs_contacts
        from ..structure.properties import contact_map

        head_vs_contacts(
            result.scores,
            contact_map(chain, 8.0, args.min_separation),
            title=f"{structure.name} {chain.id}: {result.method}",
            path=args.plot,
        )
    if args.png:
        render_png = renderer()

        from ..structure.model import ca_coordinates

        render_png(args.file, result.scene, ca_coordinates([chain]), args.png)
    return 0
