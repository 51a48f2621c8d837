"""A survey on a real Ray cluster started here on 127.0.0.1 (``ray start --head``, 2 CPUs):
the counts of the single-process run, also when a worker is killed midway."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from support import require

require("ray", "make venv installs it (requirements.txt)")

RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A head node on 127.0.0.1 with 2 CPUs and token authentication (Ray's default), the
    token in a file of its own; its address. The surveys here are given the same token."""
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must be short
    token = Path(temp) / "token"
    token.write_text(secrets.token_hex(32))
    mp = pytest.MonkeyPatch()
    mp.setenv("RAY_AUTH_MODE", "token")
    mp.setenv("RAY_AUTH_TOKEN_PATH", str(token))
    start = [RAY, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
             f"--temp-dir={temp}"]  # fmt: skip
    done = subprocess.run(start, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    yield f"127.0.0.1:{port}"
    subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120)
    mp.undo()


def _survey(*args: str) -> list[str]:
    return [sys.executable, "-m", "protattn", "survey", *args, "--no-figures", "-q"]


def _counter_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "ray::_Counter"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_two_ray_workers_give_the_counts_of_one_process_even_when_one_is_killed(
    cluster, small_table, tmp_path
):
    args = [str(small_table), "--shard-size", "2"]
    here = subprocess.run(_survey(*args, "-o", str(tmp_path / "here")), capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert here.returncode == 0, here.stderr

    out = tmp_path / "ray"
    command = _survey(*args, "-o", str(out), "--ray", cluster, "--workers", "2")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed, shards_then = None, None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and killed is None:
        pids = _counter_pids()
        shards = list((out / "shards").glob("*.npz")) if (out / "shards").is_dir() else []
        if len(pids) == 2 and shards:
            shards_then = len(shards)
            killed = pids[0]
            subprocess.run(["kill", "-KILL", str(killed)])
        time.sleep(0.05)
    _, err = proc.communicate(timeout=600)

    assert killed is not None and shards_then < 7, "no worker was killed midway"
    assert proc.returncode == 0, err
    assert "a Ray worker died counting shard" in err
    assert (out / "heads.csv").read_bytes() == (tmp_path / "here" / "heads.csv").read_bytes()
    assert len(list((out / "shards").glob("*.npz"))) == 7


def test_no_cluster_at_the_address_says_how_to_start_one(small_table, tmp_path):
    done = subprocess.run(
        _survey(str(small_table), "-o", str(tmp_path / "x"), "--ray", f"127.0.0.1:{_free_port()}"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "cannot reach a Ray cluster" in done.stderr and "ray start --head" in done.stderr
    assert "Traceback" not in done.stderr
