"""What keeping attention weights of 0.01 and more exactly costs the cache, against float16 alone.

For real AntiBERTy attention of each chain of the given structures: the bytes of the
float16 array and of the exact part (float32 values and uint32 indices of the weights
>= EXACT_FROM), the time of ``cached_precision`` against the float16 round trip it
replaced, and how many weights float16 alone would put on the wrong side of θ = 0.3.

    .venv/bin/python benchmarks/bench_exact_weights.py [STRUCTURE ...]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from timing import median_seconds  # noqa: E402

import protattn  # noqa: E402
from protattn.cache import EXACT_FROM, cached_precision  # noqa: E402

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "structures")
DEFAULT = [os.path.join(SHARED, "ligand", "1HPX.pdb"),
           os.path.join(SHARED, "antibody", "1IGY.pdb"),
           os.path.join(SHARED, "ligand", "1EVE.pdb")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("structures", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    lm = protattn.get_model("antiberty")
    print(f"| chain | residues | float16 | exact part (ratio) | weights >= {EXACT_FROM:g} a row | "
          "float16 round trip | cached_precision (ratio) | arcs float16 gets wrong at 0.3 |")
    print("|---|---|---|---|---|---|---|---|")
    seen = set()
    for path in args.structures:
        structure = protattn.read_structure(path)
        for chain in structure.chains:
            sequence = chain.sequence[:lm.max_residues]
            if sequence in seen:
                continue
            seen.add(sequence)
            attention = lm.attention(sequence)
            exact = int(np.count_nonzero(attention >= EXACT_FROM))
            half = attention.size * 2
            index_bytes = 4 if attention.size < 2**32 else 8  # uint32 or int64, as stored
            extra = exact * (index_bytes + 4)
            naive = median_seconds(lambda a=attention: a.astype(np.float16).astype(np.float32), 5)
            ours = median_seconds(lambda a=attention: cached_precision(a), 5)
            rounded = attention.astype(np.float16).astype(np.float32)
            wrong = int(np.count_nonzero((rounded >= np.float32(0.3)) != (attention >= 0.3)))
            rows = attention.shape[0] * attention.shape[1] * attention.shape[2]
            print(f"| {structure.name} {chain.id} | {len(sequence)} | {half / 1e6:.1f} MB | "
                  f"{extra / 1e6:.2f} MB ({extra / half:.1%}) | {exact / rows:.1f} | "
                  f"{naive * 1e3:.1f} ms | {ours * 1e3:.1f} ms ({ours / naive:.1f}×) | "
                  f"{wrong} |")


if __name__ == "__main__":
    main()
