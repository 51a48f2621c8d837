"""How much the attention caches save when the user changes head or threshold.

Baseline and measurements run in the same process on the same chains: the time
of `compute_pairs` when the model must run (both caches empty), when attention
comes from the disk cache (a new session), and when it is still in memory (the
same session, another head). Reported as ratios to the model run.

    .venv/bin/python benchmarks/bench_attention_cache.py [structure.pdb]
"""

from __future__ import annotations

import os
import sys
import tempfile

from timing import median_seconds

import protattn
from protattn.lm.inference import clear_memory


def main(path: str | None = None) -> None:
    if path is None:
        from pymol import cmd

        path = cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb")
    os.environ["PROTATTN_CACHE"] = tempfile.mkdtemp(prefix="protattn_bench_")
    chains = list(protattn.read_structure(path).chains)
    lm = protattn.load_model("antiberty", device="cpu")
    protattn.compute_pairs(chains, "1-1", device="cpu")  # warm-up: model load, first run
    store = protattn.AttentionCache()

    def model_run() -> None:
        clear_memory()
        store.clear()
        protattn.compute_pairs(chains, "6-3", device="cpu")

    def disk_hit() -> None:
        clear_memory()
        protattn.compute_pairs(chains, "6-3", device="cpu")

    heads = iter(
        f"{layer}-{head}" for _ in range(100) for layer in range(1, 9) for head in range(1, 9)
    )

    def memory_hit() -> None:
        protattn.compute_pairs(chains, next(heads), device="cpu")

    t_run = median_seconds(model_run, 5)
    t_disk = median_seconds(disk_hit, 5)
    t_memory = median_seconds(memory_hit, 20)
    lengths = "+".join(str(len(c)) for c in chains)
    print(
        f"{lm.name} on {path} ({lengths} residues), CPU; "
        f"disk entries {store.size_bytes() / 1e6:.1f} MB"
    )
    print(f"model run (caches empty):     {t_run * 1e3:8.1f} ms  median of 5")
    print(
        f"disk cache hit (new session): {t_disk * 1e3:8.1f} ms  median of 5   "
        f"{t_run / t_disk:5.0f}x faster"
    )
    print(
        f"memory hit (another head):    {t_memory * 1e3:8.1f} ms  median of 20  "
        f"{t_run / t_memory:5.0f}x faster"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
