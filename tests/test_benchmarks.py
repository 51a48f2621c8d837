"""The benchmarks run (quick mode): their figures are measured by hand, not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_streamed_statistics_benchmark_runs_in_quick_mode(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_stream.py"), "--quick", "--no-record",
         "--models", str(tmp_path / "models")],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| 8M | 64 |")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert len(cells) == 2 + 2 * 5  # shape, L, then time and peak memory of five methods
    assert all(float(c.split()[0]) > 0 for c in cells[2:])
