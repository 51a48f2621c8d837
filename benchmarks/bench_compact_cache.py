"""Cache entries of compact attention against the dense float16 array, on real AntiBERTy attention.

For every protein chain of the structures given (default: the antibody set in
``../shared/data/structures/antibody``), one streamed pass files the chain's compact
attention; reported per chain: the entry's file size against the dense float16 array of
every layer and head (what an entry held before), the kept weights per row, and the time
of a redraw (``compute_pairs`` of another head, threshold 0.1) from memory and from the
disk (a new session) against the streamed pass itself, all in this process.

    .venv/bin/python benchmarks/bench_compact_cache.py
    .venv/bin/python benchmarks/bench_compact_cache.py ../shared/data/structures/ligand/1HPX.pdb

A Markdown table is printed and, unless ``--no-record``, appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import os
import platform
import sys
import tempfile

from timing import median_seconds

import protattn
from protattn.lm.inference import clear_memory, compact_attention

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "shared", "data", "structures", "antibody")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    paths = args.paths or sorted(glob.glob(os.path.join(DEFAULT, "*")))
    os.environ["PROTATTN_CACHE"] = tempfile.mkdtemp(prefix="protattn-bench-compact-")
    lm = protattn.load_model("antiberty", device="cpu")
    store = protattn.AttentionCache()
    lines = [
        "| chain | residues | dense float16 | entry on disk (ratio) | kept weights a row "
        "| streamed pass | redraw from memory (ratio) | redraw from disk (ratio) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print(*lines, sep="\n", flush=True)
    total_entry = total_dense = 0
    seen: set[str] = set()
    for path in paths:
        structure = protattn.read_structure(path)
        for chain in structure.chains:
            if chain.sequence in seen or len(chain) > lm.max_residues:
                continue
            seen.add(chain.sequence)

            def run(chain=chain) -> None:
                clear_memory()
                store.clear()
                compact_attention(lm, chain.sequence)

            run()  # warm
            pass_s = median_seconds(run, args.repeats)
            compact = compact_attention(lm, chain.sequence)
            entry = next(e for e in store.entries() if e.key == compact.key)
            dense = compact.dense_nbytes(2)
            total_entry += entry.n_bytes
            total_dense += dense
            kept = compact.values.size / (compact.n_layers * (compact.n_heads + 1) * len(chain))
            memory_s = median_seconds(
                lambda c=chain: protattn.compute_pairs([c], "6-3"), args.repeats
            )

            def from_disk(chain=chain) -> None:
                clear_memory()
                protattn.compute_pairs([chain], "6-3")

            disk_s = median_seconds(from_disk, args.repeats)
            line = (
                f"| {structure.name} {chain.id} | {len(chain)} | {dense / 1e6:.1f} MB | "
                f"{entry.n_bytes / 1e6:.2f} MB ({100 * entry.n_bytes / dense:.1f}%) | "
                f"{kept:.1f} | {1e3 * pass_s:.0f} ms | {1e3 * memory_s:.1f} ms "
                f"({memory_s / pass_s:.3f}) | {1e3 * disk_s:.1f} ms ({disk_s / pass_s:.3f}) |"
            )
            lines.append(line)
            print(line, flush=True)
    line = (
        f"| all {len(seen)} chains | | {total_dense / 1e6:.1f} MB | "
        f"{total_entry / 1e6:.2f} MB ({100 * total_entry / total_dense:.1f}%) | | | | |"
    )
    lines.append(line)
    print(line)
    if not args.no_record:
        record = [
            f"\n## {datetime.date.today()}: compact cache entries (`bench_compact_cache.py`)\n",
            f"Command: `{' '.join([os.path.relpath(sys.executable), *sys.argv])}`  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads, "
            f"{platform.python_implementation()} {platform.python_version()}, device cpu; "
            f"AntiBERTy, medians of {args.repeats} runs, same process\n",
            *lines,
            "",
        ]
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as fh:
            fh.write("\n".join(record) + "\n")


if __name__ == "__main__":
    main()
