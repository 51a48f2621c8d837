"""A survey of the paper's binding-site validation set: chains/s and peak memory.

Each survey runs in a child process (its own model load, its own peak resident memory) on
the first N chains of ``provis_binding_site_valid.tsv``, both definitions, no figures:

- one chain at a time (``--no-batch``), batched by length, and on a local Ray cluster with
  2 workers (each holding the model), on the same ``--compare`` chains: chains/s and the
  ratio to one at a time; the three must give the same counts (checked);
- batched at each of ``--sizes`` chains: seconds and peak memory of the survey's process,
  to show memory flat in the number of chains.

    .venv/bin/python benchmarks/bench_survey.py --compare 100 --sizes 100 500 1418 --flat 1 5 14

The peak memory of a survey follows its longest chains (a batch's attention, a windowed
chain's merge), not their number: ``--flat`` repeats one set to show it flat in the number.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLE = HERE.parent.parent / "shared" / "data" / "reference" / "provis_binding_site_valid.tsv"

_CHILD = """
import json, resource, sys, time
from protattn.survey import survey
table, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.perf_counter()
options = dict(quiet=True, figures=False, batch=mode != "single")
if mode == "ray":
    options.update(ray="local", workers=2)
result = survey([table], out, "antiberty", **options)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GB (ru_maxrss is KB)
json.dump({"seconds": seconds, "chains": result.n_chains, "peak_gb": peak}, sys.stdout)
"""


def _subset(n: int, folder: Path, repeat: int = 1) -> Path:
    """The first ``n`` chains of the table (``repeat`` times over: the same lengths)."""
    with open(TABLE, newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader)
        rows = [row for _, row in zip(range(n), reader)]
    rows = [header] + rows * repeat
    path = folder / f"valid_{n}x{repeat}.tsv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows(rows)
    return path


def _run(table: Path, out: Path, mode: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(table), str(out), mode],
        capture_output=True,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} survey failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def _same_counts(a: Path, b: Path) -> bool:
    """heads.csv of two surveys: the same arcs and hits everywhere."""

    def counts(folder: Path) -> list[tuple]:
        with open(folder / "heads.csv", newline="") as fh:
            return [(r["definition"], r["property"], r["layer_head"], r["n_arcs"], r["hits"])
                    for r in csv.DictReader(fh)]  # fmt: skip

    return counts(a) == counts(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=int, default=100, help="chains for the three ways")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1418])
    parser.add_argument(
        "--flat",
        type=int,
        nargs="+",
        default=[],
        metavar="K",
        help="also the first --compare chains repeated K times: memory with the same lengths",
    )
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    command = "benchmarks/bench_survey.py " + " ".join(sys.argv[1:])
    lines = []
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        table = _subset(args.compare, folder)
        modes = ["single", "batched"] + ([] if args.no_ray else ["ray"])
        rates = {}
        for mode in modes:
            r = _run(table, folder / f"cmp_{mode}", mode)
            rates[mode] = (r["chains"] / r["seconds"], r)
            print(f"{mode}: {r['chains']} chains in {r['seconds']:.1f} s", flush=True)
        same = all(_same_counts(folder / "cmp_single", folder / f"cmp_{m}") for m in modes)
        lines += [
            f"Chains/s on the first {args.compare} chains (both definitions, a fresh process "
            "each, model load included; counts equal across the three: "
            f"{'yes' if same else 'NO'}):",
            "",
            "| way | seconds | chains/s | × one at a time |",
            "|---|---|---|---|",
        ]
        base = rates["single"][0]
        for mode in modes:
            rate, r = rates[mode]
            name = {"single": "one at a time", "batched": "batched by length",
                    "ray": "Ray, 2 workers"}[mode]  # fmt: skip
            lines.append(f"| {name} | {r['seconds']:.1f} | {rate:.2f} | {rate / base:.2f} |")
        lines += ["", "Batched, by the number of chains:", ""]
        lines += ["| chains | seconds | chains/s | peak memory GB |", "|---|---|---|---|"]
        for n in args.sizes:
            r = _run(_subset(n, folder), folder / f"size_{n}", "batched")
            lines.append(
                f"| {r['chains']} | {r['seconds']:.1f} | {r['chains'] / r['seconds']:.2f} "
                f"| {r['peak_gb']:.2f} |"
            )
            print(lines[-1], flush=True)
        if args.flat:
            lines += [
                "",
                f"Batched, the first {args.compare} chains repeated (the same lengths):",
                "",
            ]
            lines += ["| chains | seconds | chains/s | peak memory GB |", "|---|---|---|---|"]
        for k in args.flat:
            r = _run(_subset(args.compare, folder, k), folder / f"flat_{k}", "batched")
            lines.append(
                f"| {r['chains']} | {r['seconds']:.1f} | {r['chains'] / r['seconds']:.2f} "
                f"| {r['peak_gb']:.2f} |"
            )
            print(lines[-1], flush=True)
    import torch

    header = [
        f"## {date.today()}: a survey of the binding-site validation set (`bench_survey.py`)",
        "",
        f"Command: `.venv/bin/python {command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads, CPython "
        f"{platform.python_version()}, torch {torch.__version__}, AntiBERTy on the CPU",
        "",
    ]
    text = "\n".join(header + lines) + "\n"
    print(text)
    if not args.no_record:
        with open(HERE / "RESULTS.md", "a") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
