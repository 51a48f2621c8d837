"""What running the model in a worker costs a host, against running it in process.

Baseline and measurements run in the same process on the same chains, with the
model already loaded on both sides: `compute_pairs` with the model in this
process, and with the model in a worker (`protattn worker` in this same Python,
reached over its pipes; the attention comes back through the shared disk cache).
A cache miss (the model runs) and a disk-cache hit (a new session: only the
worker's model info is needed) are reported as ratios to the in-process time.
The worker's start (spawn, torch import, model load) is reported on its own.

    .venv/bin/python benchmarks/bench_worker.py [structure.pdb ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from timing import median_seconds

import protattn
from protattn.compute import backend
from protattn.lm.inference import clear_memory


def _bench(path: str, repeats: int) -> None:
    chains = list(protattn.read_structure(path).chains)
    store = protattn.AttentionCache()

    def run(mode: str, keep: bool):
        def once() -> None:
            backend.configure(mode=mode)
            clear_memory()
            if not keep:
                store.clear()
            protattn.compute_pairs(chains, "6-3", device="cpu")

        return once

    rows = {}
    for mode in ("process", "worker"):
        run(mode, False)()  # warm-up: model loaded on this side
        rows[mode] = (
            median_seconds(run(mode, False), repeats),
            median_seconds(run(mode, True), repeats),
        )
    (p_miss, p_hit), (w_miss, w_hit) = rows["process"], rows["worker"]
    n = sum(len(c) for c in chains)
    print(
        f"| {os.path.basename(path)} ({len(chains)} chains, {n} residues) "
        f"| {p_miss * 1e3:.1f} ms | {w_miss * 1e3:.1f} ms ({w_miss / p_miss:.2f}x) "
        f"| {p_hit * 1e3:.1f} ms | {w_hit * 1e3:.1f} ms ({w_hit / p_hit:.2f}x) |"
    )


def main(paths: list[str]) -> None:
    if not paths:
        from pymol import cmd

        paths = [cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb")]
    os.environ["PROTATTN_CACHE"] = tempfile.mkdtemp(prefix="protattn_bench_")
    backend.configure(python=sys.executable, mode="worker")
    start = time.perf_counter()
    backend.get_model("antiberty", "cpu")
    print(f"worker start with AntiBERTy loaded: {time.perf_counter() - start:.1f} s")
    backend.configure(mode="process")
    start = time.perf_counter()
    backend.get_model("antiberty", "cpu")
    print(f"in-process AntiBERTy load (torch imported first): {time.perf_counter() - start:.1f} s")
    print(
        "| structure | model run, in process | in worker | disk-cache hit, in process | in worker |"
    )
    print("|---|---|---|---|---|")
    for path in paths:
        _bench(path, repeats=5)
    backend.stop_worker()


if __name__ == "__main__":
    main(sys.argv[1:])
