"""The analysis verbs of the ``protattn`` command: features, stats, heads, contacts.

protattn features 1hpx.pdb --format json
protattn stats structures/ --property contact binding_site --heatmap contact.png
protattn heads 1hpx.pdb --property binding_site --top 10 --png top_head.png
protattn contacts 1a3a.pdb --chain A --method apc --format csv
"""

from __future__ import annotations

import argparse
import json
import sys

from ..api.checks import check_min_separation, check_threshold
from ..errors import ProtattnError
from ..lm.counts import DEFAULT_DEFINITION, DEFAULT_MIN_ARCS, DEFINITIONS
from .common import (
    add_model_options,
    add_state,
    check_outputs,
    open_output,
    print_notes,
    read,
    statistics_of,
)
from .common import checked as _checked
from .contacts import run_contacts
from .heads import run_heads

__all__ = [
    "add_parsers",
    "run",
]


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
    add_model_options(p)
    add_state(p)


def _stat_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--property",
        nargs="+",
        default=None,
        metavar="NAME",
        help="contact, binding_site, binding_site:CODE, helix, strand, turn_bend, "
        "other, aa:X, selection (the --residues), or all (default all)",
    )
    p.add_argument(
        "--residues",
        metavar="LIST",
        help="your residues as a property (selection): [CHAIN:]FROM[-TO] items in the "
        "file's numbering, e.g. H:95-102,L:91 (only the chains holding them are counted)",
    )
    p.add_argument(
        "--threshold",
        type=_checked(check_threshold),
        default=0.3,
        help="high-confidence attention θ, in (0, 1] (default 0.3, the paper's)",
    )
    p.add_argument(
        "--min-arcs",
        type=int,
        default=DEFAULT_MIN_ARCS,
        help="flag heads with too few high-confidence arcs over the set: this many "
        f"or fewer (paper), fewer (judged) (default {DEFAULT_MIN_ARCS})",
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
        "--min-separation",
        type=_checked(check_min_separation),
        default=6,
        help="minimum |i-j| for contacts (default 6)",
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
    features.add_argument("--min-separation", type=_checked(check_min_separation), default=6)
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
    stats.add_argument(
        "--enrichment",
        action="store_true",
        help="draw the heatmap as share minus background (diverging, white at the "
        "background) instead of the share",
    )
    stats.add_argument("--profile", metavar="PATH", help="per-layer profile figure (.png/.svg)")

    heads = sub.add_parser(
        "heads",
        help="rank heads by one property; draw the top head",
        description="Which heads of this model look at this property here.",
    )
    _common(heads)
    _stat_options(heads)
    heads.set_defaults(property=None)  # contact, or selection with --residues
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
    contacts.add_argument("--min-separation", type=_checked(check_min_separation), default=6)
    contacts.add_argument("--format", choices=("json", "csv"), default="json")
    contacts.add_argument("-o", "--output", metavar="PATH")
    contacts.add_argument(
        "--plot", metavar="PATH", help="predicted scores beside the true contact map (.png/.svg)"
    )
    contacts.add_argument(
        "--png", metavar="PATH", help="ray-trace the predictions, blue true / magenta false (PyMOL)"
    )


def run(args: argparse.Namespace) -> int:
    """Run one analysis subcommand; 0 on success."""
    check_outputs(args)
    if args.command == "features":
        from ..api.options import parse_site_kinds
        from ..structure.records import chain_features, structure_features
        from ..structure.sites import LIGAND_KINDS

        kinds = tuple(parse_site_kinds(args.site_kinds))
        if set(kinds) - set(LIGAND_KINDS):
            raise ProtattnError(f"--site-kinds takes {', '.join(LIGAND_KINDS)}")
        structure = read(args.file, args)
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
        with open_output(args.output) as out:
            json.dump(data, out, indent=1)
            out.write("\n")
        return 0
    if args.command == "stats":
        _, stats = statistics_of(args)
        print_notes(stats)
        with open_output(args.output) as out:
            if args.format == "json":
                out.write(stats.to_json() + "\n")
            else:
                stats.to_csv(out)
        first = stats.properties[0]
        if args.heatmap:
            from ..api.report import property_heatmap

            property_heatmap(stats, first, args.model, args.heatmap, args.enrichment)
        if args.profile:
            from ..api.report import property_profile

            property_profile(stats, first, args.model, args.profile)
        from ..api.report import interval_warning, nothing_to_rank, too_few_arcs

        for prop in stats.properties:
            best = stats.ranking(prop)[:1]
            empty = nothing_to_rank(stats, prop) or (None if best else too_few_arcs(stats, prop))
            if empty:
                print(f"{prop}: {empty}" if not empty.startswith(prop) else empty, file=sys.stderr)
            else:
                warning = interval_warning(stats, prop, best[0])
                share = best[0]["share"]
                print(
                    f"{prop}: background {stats.stats[prop].background:.3f}, best head "
                    f"{best[0]['layer_head']} {'n/a' if share is None else f'{share:.3f}'} "
                    f"({stats.definition_name})" + (f"; warning: {warning}" if warning else ""),
                    file=sys.stderr,
                )
        return 0
    if args.command == "heads":
        return run_heads(args)
    return run_contacts(args)
