"""Per-head statistics counts of many chains: batched by length against one chain at a time.

Real sequences of the ProVis binding-site set (``../shared/data/reference/
provis_binding_site_valid.tsv``), cut to AntiBERTy's 510 residues, ``--chains`` of them
drawn with a fixed seed; each chain's masks: its binding sites (the set's labels, judged
where the attended residue is labelled), a pair property of the contact-prediction band
(``6 <= |i - j| < 12``) standing in for contacts (no structure here), and two amino acids.
In one process, for AntiBERTy on the CPU:

- one at a time: :func:`protattn.lm.inference.chain_counts` (``cache=False``) per chain
  and definition, one pass each (the paper's and the judged definition: two passes a chain);
- batched: :func:`protattn.lm.batch.batch_counts`, chains bucketed by length into padded
  batches, one pass per batch for both definitions;

and the same for the paper's definition alone (one pass a chain against batches: the gain of
batching itself). The counts of the two paths are checked equal first (arcs, hits and
backgrounds identical, weight sums to 1e-5), then chains a second, and the ratio.

    .venv/bin/python benchmarks/bench_batch.py                 # 100 chains: about a minute
    .venv/bin/python benchmarks/bench_batch.py --chains 300    # a few hundred

Chains are batched within rounds of ``--round`` (as a survey batches within a shard), and
timed batch by batch: each method in turn on the chains of one batch, in an order that
turns with every batch, so that a change in the machine's load weighs on every method alike
(the batched figure is then the sum of ``batch_counts`` over the round's batches, each call
forming that one batch).

A Markdown table is printed and, unless ``--no-record``, appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import time

import numpy as np

import protattn
from protattn.lm.batch import DEFAULT_MAX_BATCH, DEFAULT_MAX_TOKENS, CountJob, batch_counts
from protattn.lm.batch import buckets as plan_buckets
from protattn.lm.inference import chain_counts, clear_memory
from protattn.lm.masks import PropertyMask

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "shared", "data", "reference")
TSV = os.path.join(DEFAULT, "provis_binding_site_valid.tsv")
THRESHOLD = 0.3
DEFINITIONS = ("paper", "judged")


def read_jobs(path: str, n: int, limit: int, seed: int) -> list[CountJob]:
    """``n`` distinct sequences of the set, cut to ``limit``, with their masks."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    seen: set[str] = set()
    jobs = []
    for k in np.random.default_rng(seed).permutation(len(rows)):
        row = rows[int(k)]
        sequence, labels = row["sequence"][:limit], row["site_label_string"][:limit]
        if sequence in seen or len(labels) != len(sequence) or len(sequence) < 2:
            continue
        seen.add(sequence)
        jobs.append(CountJob(sequence, {d: masks_of(sequence, labels) for d in DEFINITIONS}))
        if len(jobs) == n:
            break
    return jobs


def masks_of(sequence: str, labels: str) -> dict[str, PropertyMask]:
    n = len(sequence)
    index = np.arange(n)
    separation = np.abs(np.subtract.outer(index, index))
    every = np.ones((n, n), dtype=bool)
    return {
        "binding_site": PropertyMask.residue(np.array([c == "1" for c in labels]), valid=every),
        "band_6_11": PropertyMask.pair(
            (separation >= 6) & (separation < 12), valid=separation >= 6
        ),
        "aa:C": PropertyMask.residue(np.array([aa == "C" for aa in sequence])),
        "aa:G": PropertyMask.residue(np.array([aa == "G" for aa in sequence])),
    }


def one_at_a_time(lm, jobs: list[CountJob], definitions) -> list[dict[str, dict]]:
    clear_memory()  # cache=False: nothing on disk; the session's memory is not asked either
    return [
        {
            d: chain_counts(lm, job.sequence, d, THRESHOLD, job.masks[d], cache=False)
            for d in definitions
        }
        for job in jobs
    ]


def batched(lm, jobs: list[CountJob], definitions, max_tokens: int, max_batch: int):
    chosen = [CountJob(job.sequence, {d: job.masks[d] for d in definitions}) for job in jobs]
    return batch_counts(lm, chosen, THRESHOLD, max_tokens, max_batch)


def check_equal(found: list[dict[str, dict]], expected: list[dict[str, dict]]) -> float:
    """Assert the two paths' counts equal; their largest relative weight-sum difference."""
    worst = 0.0
    for a, b in zip(found, expected, strict=True):
        assert list(a) == list(b)
        for definition in b:
            for name, want in b[definition]["counts"].items():
                got = a[definition]["counts"][name]
                for key in ("n_arcs", "hits", "background_hits", "background_pairs"):
                    assert np.array_equal(got[key], want[key]), (definition, name, key)
                for key in ("mass", "mass_on"):
                    x, y = np.asarray(got[key]), np.asarray(want[key])
                    scale = np.where(y == 0, 1.0, np.abs(y))
                    worst = max(worst, float((np.abs(x - y) / scale).max(initial=0)))
    assert worst <= 1e-5, worst
    return worst


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=100, help="sequences drawn (default 100)")
    parser.add_argument(
        "--round", type=int, default=100, help="chains batched together (default 100)"
    )
    parser.add_argument("--tsv", default=TSV)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS)
    parser.add_argument("--max-batch", type=int, default=DEFAULT_MAX_BATCH)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    import torch
    import transformers

    lm = protattn.load_model("antiberty", device="cpu")
    jobs = read_jobs(args.tsv, args.chains, lm.max_residues, args.seed)
    lengths = sorted(len(j.sequence) for j in jobs)
    tokens = [len(j.sequence) + lm.n_added for j in jobs]
    starts = range(0, len(jobs), args.round)
    # the batches batch_counts makes of each round (its chains are distinct)
    plans = {
        start: plan_buckets(tokens[start : start + args.round], args.max_tokens, args.max_batch)
        for start in starts
    }
    padded = sum(
        len(b) * max(tokens[start + k] for k in b) for start in starts for b in plans[start]
    )
    # warm: the allocator and the tokenizer, both paths
    one_at_a_time(lm, jobs[:2], DEFINITIONS)
    batched(lm, jobs[:2], DEFINITIONS, args.max_tokens, args.max_batch)

    # batch by batch (the batches batch_counts makes of each round), each method in turn on
    # the batch's chains, in an order that turns with every batch, so that the load of this
    # shared machine, which changes within seconds, weighs on every method alike
    keys = ("alone both", "batch both", "alone paper", "batch paper")
    seconds = {key: 0.0 for key in keys}
    passes = {key: 0 for key in keys}
    worst = 0.0
    load = [os.getloadavg()[0]]
    turn = 0
    for start in starts:
        for batch in plans[start]:
            part = [jobs[start + k] for k in batch]
            found = {}
            for key in keys[turn % 4 :] + keys[: turn % 4]:
                method, which = key.split()
                definitions = DEFINITIONS if which == "both" else ("paper",)
                if method == "alone":
                    found[key], took = timed(lambda d=definitions, p=part: one_at_a_time(lm, p, d))
                    passes[key] += len(part) * len(definitions)
                else:
                    found[key], took = timed(
                        lambda d=definitions, p=part: batched(
                            lm, p, d, args.max_tokens, args.max_batch
                        )
                    )
                    passes[key] += 1  # one batch: the chains of one bucket
                seconds[key] += took
            turn += 1
            worst = max(
                worst,
                check_equal(found["batch both"], found["alone both"]),
                check_equal(found["batch paper"], found["alone paper"]),
            )
            load.append(os.getloadavg()[0])
    rows = [
        ("paper + judged", "one at a time (chain_counts)", "alone both", "alone both"),
        ("paper + judged", "batched (batch_counts)", "batch both", "alone both"),
        ("paper", "one at a time (chain_counts)", "alone paper", "alone paper"),
        ("paper", "batched (batch_counts)", "batch paper", "alone paper"),
    ]

    lines = [
        "| definitions | method | passes | s | chains/s | ×one at a time |",
        "|---|---|---|---|---|---|",
    ]
    for label, method, key, reference in rows:
        lines.append(
            f"| {label} | {method} | {passes[key]} | {seconds[key]:.1f} "
            f"| {len(jobs) / seconds[key]:.2f} | {seconds[reference] / seconds[key]:.2f} |"
        )
    summary = (
        f"{len(jobs)} chains of {lengths[0]}–{int(np.median(lengths))}–{lengths[-1]} residues "
        f"(min–median–max; {sum(lengths)} in all), {passes['batch both']} batches "
        f"(max_tokens {args.max_tokens}, max_batch {args.max_batch}; padding "
        f"{100 * (padded - sum(tokens)) / padded:.1f}% of the batches' tokens); counts "
        f"equal, weight sums within {worst:.1e} (relative); load average "
        f"{min(load):.1f}–{max(load):.1f}"
    )
    print(summary)
    print(*lines, sep="\n")
    if not args.no_record:
        record = [
            f"\n## {datetime.date.today()}: batched statistics counts (`bench_batch.py`)\n",
            f"Command: `{' '.join([os.path.relpath(sys.executable), *sys.argv])}`  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads, "
            f"{platform.python_implementation()} {platform.python_version()}, torch "
            f"{torch.__version__}, transformers {transformers.__version__}, device cpu; "
            f"AntiBERTy, θ = {THRESHOLD}, 4 properties (binding sites, a separation band, "
            f"two amino acids) of ProVis sequences cut to 510; one run each, same process, "
            f"timed batch by batch with the methods in turn: {summary}\n",
            *lines,
            "",
        ]
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as fh:
            fh.write("\n".join(record) + "\n")


if __name__ == "__main__":
    main()
