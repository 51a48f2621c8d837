"""``protattn heads``: heads ranked by a property over the files given, the top one drawn."""

from __future__ import annotations

import csv
import json
import sys

from ..errors import ProtattnError
from ..words import plural
from .common import chain_ids, print_notes, read, statistics_of
from .render import picture, renderer

__all__ = ["run_heads"]


def run_heads(args) -> int:
    from ..api.report import (
        interval_warning,
        nothing_to_rank,
        rank_heads,
        ranking_table,
        too_few_arcs,
    )

    if args.property is None:
        args.property = ["selection"] if args.residues else ["contact"]
    if len(args.property) != 1 or args.property[0] == "all":
        raise ProtattnError("heads ranks by one property: give --property NAME")
    paths, stats = statistics_of(args)
    print_notes(stats)
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
                "notes": list(stats.notes),
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
        print("\n".join(ranking_table(stats, prop, rows, notes=False)))
    if args.format != "table":  # the table says these itself
        empty = nothing_to_rank(stats, prop) or (None if rows else too_few_arcs(stats, prop))
        warning = interval_warning(stats, prop, rows[0]) if rows else None
        for line in (empty, warning and f"warning: {warning}"):
            if line:
                print(line, file=sys.stderr)
    if not rows:
        if args.png or args.plot or args.map:
            print("nothing drawn: no head is ranked", file=sys.stderr)
        return 0
    if args.plot:
        from ..report.plots import top_heads

        top_heads(
            rows,
            title=f"{args.model}: {prop} ({stats.definition_name})\n"
            f"{plural(stats.n_chains, 'chain')}, θ = {stats.threshold:g}",
            path=args.plot,
            interval=f"95% interval ({stats.interval_name}, Bonferroni)",
        )
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

    structure = read(path, args)
    ids = chain_ids(args)
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
    render = renderer()  # a missing renderer is refused before the model runs

    from ..api.heads import top_head_options
    from ..api.pairs import compute_pairs
    from ..structure.model import ca_coordinates

    structure = read(path, args)
    ids = chain_ids(args)
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
        color_by=top_head_options(args.property[0])["color_by"],
    )
    n = picture(
        render,
        path,
        result.scene,
        ca_coordinates(chains),
        args.png,
        f"{structure.name} {result.model} top {args.property[0]} head {result.head}",
    )
    print(
        f"{structure.name}: top head {result.summary()}; drew {plural(n, 'pair')} into "
        f"{args.png} with its key",
        file=sys.stderr,
    )
