"""``protattn contacts``: contacts predicted from attention, scored, tabled and plotted."""

from __future__ import annotations

import csv
import json
import sys

from ..errors import ProtattnError
from .common import chain_ids, open_output, read
from .render import picture, renderer

__all__ = ["run_contacts"]


def run_contacts(args) -> int:
    from ..api.contacts import predict_contacts
    from ..api.options import parse_heads

    structure = read(args.file, args)
    ids = chain_ids(args)
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
    with open_output(args.output) as out:
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
        render = renderer()

        from ..structure.model import ca_coordinates

        picture(
            render,
            args.file,
            result.scene,
            ca_coordinates([chain]),
            args.png,
            f"{structure.name} {chain.id} predicted contacts ({result.method})",
        )
    return 0
