"""How much the in-process attention cache saves when the user changes head or threshold.

Baseline and measurement run in the same process on the same chains: the time
of `compute_pairs` when the model must run (cache cleared) against the time
when only the head changes (attention reused). Reported as a ratio.

    .venv/bin/python benchmarks/bench_attention_cache.py [structure.pdb]
"""

from __future__ import annotations

import statistics
import sys
import time

import protattn
from protattn import api


def _median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(path: str | None = None) -> None:
    if path is None:
        from pymol import cmd

        path = cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb")
    chains = list(protattn.read_structure(path).chains)
    lm = protattn.load_model("antiberty", device="cpu")
    protattn.compute_pairs(chains, "1-1", device="cpu")  # warm-up: model load, first run

    def cold() -> None:
        api._ATTENTION_CACHE.clear()
        protattn.compute_pairs(chains, "6-3", device="cpu")

    heads = iter(f"{layer}-{head}" for _ in range(100) for layer in range(1, 9)
                 for head in range(1, 9))

    def warm() -> None:
        protattn.compute_pairs(chains, next(heads), device="cpu")

    t_cold = _median_seconds(cold, 5)
    t_warm = _median_seconds(warm, 20)
    lengths = "+".join(str(len(c)) for c in chains)
    print(f"{lm.name} on {path} ({lengths} residues), CPU")
    print(f"model run (cache cleared): {t_cold * 1e3:8.1f} ms  median of 5")
    print(f"head change (cache hit):   {t_warm * 1e3:8.1f} ms  median of 20")
    print(f"speed-up: {t_cold / t_warm:.0f}x")


if __name__ == "__main__":
    main(*sys.argv[1:])
