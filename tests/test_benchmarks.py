"""The benchmarks run (quick mode): their figures are measured by hand, not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_streamed_statistics_benchmark_runs_in_quick_mode(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "bench_stream.py"),
            "--quick",
            "--no-record",
            "--models",
            str(tmp_path / "models"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in out.stdout.splitlines()
        if line.startswith("| 8M | 64 |")
    ]
    methods = ["bare", "eager", "naive", "pairs", "scores", "stats", "contacts", "grid", "whole"]
    assert [r[2] for r in rows] == methods  # one row per method, every consumer measured
    for row in rows:
        assert float(row[3]) > 0 and float(row[6]) > 0  # seconds, peak memory
        assert float(row[4]) > 0 and float(row[5]) > 0  # ratios to the eager and bare passes
    assert [r[4] for r in rows if r[2] == "eager"] == ["1.00"]
