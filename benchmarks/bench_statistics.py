"""Per-head statistics: protattn's counting against a loop over pairs, as the paper's code counts.

For each chain of the given structures (real AntiBERTy attention, computed once and kept
out of the timing), the paper's definition of contacts and binding sites is counted

- naively: a Python loop over every (i, j), each step updating all heads at once with
  numpy, as salesforce/provis's ``compute_mean_attention`` does with torch;
- by :class:`protattn.analysis.statistics.HeadStatsAccumulator`.

The counts are checked equal before the times are compared.

    .venv/bin/python benchmarks/bench_statistics.py [STRUCTURE ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import protattn  # noqa: E402
from protattn.analysis.statistics import HeadStatsAccumulator
from protattn.api import stats as api_stats

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "structures")
DEFAULT = [os.path.join(SHARED, "ligand", "1HPX.pdb"), os.path.join(SHARED, "antibody", "1VFB.cif")]


def naive(attention: np.ndarray, contact: np.ndarray, site: np.ndarray, theta: float = 0.3):
    """Arcs, contact hits and site hits per head, one pair at a time."""
    shape = attention.shape[:2]
    arcs, on_contact, on_site = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    t = np.float32(theta)
    n = attention.shape[-1]
    for j in range(n):
        for i in range(n):
            high = attention[:, :, i, j] >= t
            arcs += high
            if contact[i, j]:
                on_contact += high
            if site[j]:
                on_site += high
    return arcs, on_contact, on_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("structures", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    lm = protattn.get_model("antiberty")
    print("| chain | residues | pair loop | protattn | ratio |")
    print("|---|---|---|---|---|")
    for path in args.structures:
        structure = protattn.read_structure(path)
        for chain in structure.chains:
            n = min(len(chain), api_stats.PAPER_MAX_RESIDUES)
            masks = {
                name: mask.truncated(n) if n < len(chain) else mask
                for name, mask in api_stats.chain_properties(
                    structure, chain, ["contact", "binding_site"]
                ).items()
            }
            attention = protattn.chain_attention(lm, chain.sequence[:n]).attention
            contact = masks["contact"].values & masks["contact"].valid
            start = time.perf_counter()
            arcs, on_contact, on_site = naive(attention, contact, masks["binding_site"].values)
            slow = time.perf_counter() - start
            acc = HeadStatsAccumulator(lm.n_layers, lm.n_heads)
            start = time.perf_counter()
            acc.add(attention, masks)
            fast = time.perf_counter() - start
            stats = acc.result(min_arcs=0)
            assert (stats["contact"].n_arcs == arcs).all()
            assert (stats["contact"].hits == on_contact).all()
            assert (stats["binding_site"].hits == on_site).all()
            print(
                f"| {structure.name} {chain.id} | {n} | {slow * 1e3:.0f} ms | "
                f"{fast * 1e3:.1f} ms | {slow / fast:.0f}× |",
                flush=True,
            )


if __name__ == "__main__":
    main()
