"""PyMOL without torch: the commands run AntiBERTy in a worker and draw what they would draw."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pymol import CmdException
from worker_support import assert_exits, kill_when_running, worker_python

from protattn.compute import backend
from protattn_pymol import (
    attention_color,
    attention_models,
    attention_pairs,
    attention_worker,
)
from protattn_pymol.draw import pairs_name

HEAD = "6-3"


def test_torch_is_not_importable_here() -> None:
    with pytest.raises(ImportError):
        import torch  # noqa: F401


def _reference_pairs(pm, tmp_path) -> list[tuple]:
    """The same pairs computed by the command line in the main venv (torch in process)."""
    path = tmp_path / "1hpv_observed.pdb"
    pm.save(str(path), "1hpv and polymer.protein")  # no SEQRES: the residues PyMOL has
    out = subprocess.run(
        [
            worker_python(),
            "-m",
            "protattn",
            "pairs",
            str(path),
            "--layer-head",
            HEAD,
            "--min-separation",
            "6",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PROTATTN_COMPUTE": "process"},
    ).stdout
    return sorted(
        (p["chain_i"], p["pos_i"], p["chain_j"], p["pos_j"], round(p["weight"], 4))
        for p in json.loads(out)["pairs"]
    )


def _pairs(pairs) -> list[tuple]:
    return sorted(
        (p.chain, p.i + 1, p.chain_j or p.chain, p.j + 1, round(p.weight, 4)) for p in pairs
    )


def test_attention_pairs_runs_in_the_worker_and_matches_torch_in_process(
    pm, tmp_path, capsys
) -> None:
    pairs = attention_pairs("1hpv", HEAD, min_separation=6)
    said = capsys.readouterr().out
    client = backend.current_worker()
    assert f"language models run a worker in {worker_python()} (pid {client.pid}" in said
    assert len(pairs) > 10
    assert _pairs(pairs) == _reference_pairs(pm, tmp_path)
    assert pairs_name("1hpv") in pm.get_names("objects")


def test_attention_worker_shows_and_checks_the_setting(pm, tmp_path) -> None:
    where = attention_worker()
    assert where == f"a worker in {worker_python()} (starts on first use)"
    with pytest.raises(CmdException, match="is not an executable file"):
        attention_worker(str(tmp_path / "nothing"))
    with pytest.raises(CmdException, match="compute mode must be one of auto, process, worker"):
        attention_worker(mode="fast")
    attention_worker(mode="process")
    with pytest.raises(
        CmdException, match="compute mode is 'process', but torch and transformers not installed"
    ):
        attention_pairs("1hpv", HEAD)
    assert not [n for n in pm.get_names("all") if n.startswith("attention")]  # nothing drawn


def test_without_a_worker_python_the_error_says_how_to_set_one(pm, monkeypatch) -> None:
    monkeypatch.delenv("PROTATTN_PYTHON")
    backend.configure(python=None)
    with pytest.raises(CmdException) as error:
        attention_color("1hpv", HEAD)
    assert "torch and transformers not installed in" in str(error.value)
    assert "attention_worker python=/path/to/python" in str(error.value)


def test_worker_errors_and_bad_requests_leave_it_serving(pm) -> None:
    with pytest.raises(CmdException, match="unknown model 'nonsense'"):
        attention_pairs("1hpv", HEAD, model="nonsense")
    client = backend.current_worker()
    pid = client.pid
    from protattn.errors import BadRequest

    with pytest.raises(BadRequest, match="one-letter amino-acid codes"):
        client.request("stream", {"model": "antiberty", "chains": [{"sequence": "12"}]})
    with pytest.raises(BadRequest, match="unknown operation"):
        client.request("train")
    result = attention_color("1hpv", HEAD)["1hpv"]
    assert len(result.scene.residues) == 198
    assert client.pid == pid and client.restarts == 0


def test_worker_killed_mid_request_is_restarted_and_the_command_completes(pm, capsys) -> None:
    attention_models()  # starts the worker
    client = backend.current_worker()
    first = client.pid
    killer = kill_when_running(client, "stream", times=1)
    pairs = attention_pairs("1hpv", HEAD, min_separation=6, window=24, stride=2)
    killer.join()
    said = capsys.readouterr().out
    assert "the worker stopped during 'stream' (killed by signal 9); starting it again" in said
    assert client.restarts == 1 and client.pid not in (None, first)
    assert pairs and pairs_name("1hpv") in pm.get_names("objects")


def test_a_second_crash_is_a_clear_error_and_nothing_is_drawn(pm) -> None:
    attention_models()
    killer = kill_when_running(backend.current_worker(), "stream", times=2)
    with pytest.raises(CmdException) as error:
        attention_pairs("1hpv", HEAD, window=20, stride=3)  # not in the cache yet
    killer.join()
    assert "stopped twice during 'stream'" in str(error.value)
    assert "the next command starts a new worker" in str(error.value)
    assert not [n for n in pm.get_names("all") if n.startswith("attention")]
    assert len(attention_pairs("1hpv", HEAD, top_k=5)) == 10  # the next one works (2 chains)


def test_worker_stops_when_pymol_exits(tmp_path) -> None:
    script = (
        "import os, sys\n"
        "from pymol import cmd\n"
        "import protattn_pymol\n"
        "from protattn.compute import backend\n"
        "protattn_pymol.register()\n"
        "backend.model_statuses()\n"
        "print(backend.current_worker().pid, flush=True)\n"
        "os._exit(0)\n"  # no clean-up at all: as if PyMOL crashed
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PROTATTN_PYTHON": worker_python()},
    )
    pid = int(out.stdout.split()[-1])
    assert_exits(pid, "PyMOL")


def test_the_dialogs_model_chooser_asks_the_worker(worker) -> None:
    import importlib.util

    from protattn_pymol import dialog_logic

    assert importlib.util.find_spec("antiberty") is None  # not in PyMOL's Python
    assert dialog_logic.model_statuses()["antiberty"] == "package"  # but where models run
    assert worker.current_worker().pid is not None
    # no huggingface_hub here either: the shape of a hub model is unknown, not an error
    assert importlib.util.find_spec("huggingface_hub") is None
    assert dialog_logic.model_shape("esm2_t6_8M") is None
