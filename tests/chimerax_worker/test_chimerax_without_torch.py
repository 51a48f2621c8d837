"""ChimeraX without torch: the attention commands run AntiBERTy in a worker.

What ChimeraX draws is compared with the pairs the command line computes on
the same file in the main venv, with torch in process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cxtesting import HPX, STRUCTURES, cxrun, logged
from worker_support import assert_exits, kill_when_running, worker_python

from protattn.compute import backend

HEAD = "6-3"
GROUP = "attention pairs"


def test_torch_is_not_importable_here() -> None:
    with pytest.raises(ImportError):
        import torch  # noqa: F401


def _reference(min_separation: int) -> list[tuple]:
    """Pairs of the command line in the main venv, torch in process."""
    out = subprocess.run(
        [
            worker_python(),
            "-m",
            "protattn",
            "pairs",
            str(HPX),
            "--layer-head",
            HEAD,
            "--min-separation",
            str(min_separation),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PROTATTN_COMPUTE": "process"},
    ).stdout
    return sorted(
        (p["residue_i"], p["residue_j"], round(p["weight"], 4))
        for p in json.loads(out)["pairs"]
        if p["residue_i"] and p["residue_j"]
    )


def _drawn(pbonds) -> list[tuple]:
    """(residue, residue, weight) of pseudobonds, residues written as the core writes them."""

    def name(atom) -> str:
        r = atom.residue
        return f"{r.chain_id}:{r.number}{r.insertion_code}"

    a, b = pbonds.atoms
    return sorted(
        (name(x), name(y), round(float(p.attention_weight), 4)) for x, y, p in zip(a, b, pbonds)
    )


def test_pairs_run_in_the_worker_and_match_torch_in_process(cx) -> None:
    (structure,) = cxrun(cx, f"open {HPX}")
    with logged(cx) as log:
        pbonds = cxrun(cx, f"attention pairs #1 layerHead {HEAD} minSeparation 6")
    client = backend.current_worker()
    assert f"language models run a worker in {worker_python()} (pid {client.pid}" in "\n".join(log)
    assert len(pbonds) > 10
    assert _drawn(pbonds) == _reference(6)
    assert structure.pseudobond_group(GROUP, create_type=None).num_pseudobonds == len(pbonds)


def test_color_and_the_attribute_work_through_the_worker(cx) -> None:
    cxrun(cx, f"open {HPX}")
    residues = cxrun(cx, f"attention color #1 layerHead {HEAD}")
    assert len(residues) == 198
    values = {r: r.attention for r in residues}
    cut = float(f"{sorted(values.values())[len(values) // 2]:.6g}")
    cxrun(cx, f"select ::attention>{cut}")
    from chimerax.atomic import selected_residues

    assert set(selected_residues(cx)) == {r for r, v in values.items() if v > cut}


def test_attention_worker_shows_sets_and_saves_the_setting(cx, tmp_path) -> None:
    with logged(cx) as log:
        where = cxrun(cx, "attention worker")
    assert where == f"a worker in {worker_python()} (starts on first use)"
    assert f"protattn: models run {where}" in "\n".join(log)
    from chimerax.core.errors import UserError

    with pytest.raises(UserError, match="is not an executable file"):
        cxrun(cx, f"attention worker {tmp_path / 'nothing'}")
    cxrun(cx, f"open {HPX}")
    cxrun(cx, "attention worker mode process")
    with pytest.raises(
        UserError, match="compute mode is 'process', but torch and transformers not installed"
    ):
        cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
    assert cx.models[0].pseudobond_group(GROUP, create_type=None) is None  # nothing drawn
    # saved in ChimeraX's settings: a new ChimeraX reads it back
    cxrun(cx, f"attention worker {worker_python()} mode worker")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from cxheadless import make_session\n"
        "from chimerax.core.commands import run\n"
        "s = make_session()\n"
        "print(run(s, 'attention worker', log=False))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROTATTN_")}
    out = subprocess.run(
        [sys.executable, "-c", script, str(STRUCTURES.parents[1] / "chimerax")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert out.strip().endswith(f"a worker in {worker_python()} (starts on first use)")


def test_worker_errors_and_bad_requests_leave_it_serving(cx) -> None:
    from chimerax.core.errors import UserError

    cxrun(cx, f"open {HPX}")
    with pytest.raises(UserError, match="unknown model 'nonsense'"):
        cxrun(cx, f"attention pairs #1 layerHead {HEAD} model nonsense")
    client = backend.current_worker()
    pid = client.pid
    from protattn.errors import BadRequest

    with pytest.raises(BadRequest, match="'chains' must be list"):
        client.request("stream", {"model": "antiberty", "chains": "EVQL"})
    with pytest.raises(BadRequest, match="parameter 'model' is missing"):
        client.request("model")
    assert len(cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 3")) == 6
    assert client.pid == pid and client.restarts == 0


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (f"attention pairs #1 layerHead {HEAD} threshold 0", "threshold must be above 0"),
        (f"attention pairs #1 layerHead {HEAD} topK -5", "topK must be a whole number"),
        (f"attention pairs #1 layerHead {HEAD} minSeparation 1000", "leaves no pair"),
        ("attention stats #1 helix threshold 2", "^threshold must be above 0"),
        (f"attention save {HPX.parent}/no/such/dir/x.txt", "does not exist"),
    ],
)
def test_bad_numbers_and_paths_are_refused_before_a_worker_starts(cx, command, message) -> None:
    from chimerax.core.errors import UserError

    (structure,) = cxrun(cx, f"open {HPX}")
    with pytest.raises(UserError, match=message):
        cxrun(cx, command)
    client = backend.current_worker()
    assert client is None or client.pid is None  # refused in ChimeraX, no model asked for
    assert structure.pseudobond_group(GROUP, create_type=None) is None


def test_worker_killed_mid_request_is_restarted_and_the_command_completes(cx) -> None:
    cxrun(cx, f"open {HPX}")
    cxrun(cx, "attention models")  # starts the worker
    client = backend.current_worker()
    first = client.pid
    killer = kill_when_running(client, "stream", times=1)
    with logged(cx) as log:
        pbonds = cxrun(cx, f"attention pairs #1 layerHead {HEAD} window 24 stride 2")
    killer.join()
    assert (
        "the worker stopped during 'stream' (killed by signal 9); starting it again"
        in "\n".join(log)
    )
    assert client.restarts == 1 and client.pid not in (None, first)
    assert len(pbonds) > 0


def test_a_second_crash_is_a_clear_error_and_nothing_is_drawn(cx) -> None:
    from chimerax.core.errors import UserError

    (structure,) = cxrun(cx, f"open {HPX}")
    cxrun(cx, "attention models")
    killer = kill_when_running(backend.current_worker(), "stream", times=2)
    with pytest.raises(UserError) as error:
        cxrun(cx, f"attention pairs #1 layerHead {HEAD} window 20 stride 3")
    killer.join()
    assert "stopped twice during 'stream'" in str(error.value)
    assert structure.pseudobond_group(GROUP, create_type=None) is None
    assert len(cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 2")) == 4  # next one works


def test_worker_stops_when_chimerax_exits() -> None:
    script = (
        "import os, sys; sys.path.insert(0, sys.argv[1])\n"
        "from cxheadless import make_session\n"
        "from chimerax.core.commands import run\n"
        "from protattn.compute import backend\n"
        "s = make_session()\n"
        "run(s, 'attention models', log=False)\n"
        "print(backend.current_worker().pid, flush=True)\n"
        "os._exit(0)\n"
    )  # no clean-up at all: as if ChimeraX crashed
    out = subprocess.run(
        [sys.executable, "-c", script, str(STRUCTURES.parents[1] / "chimerax")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PROTATTN_PYTHON": worker_python()},
    ).stdout
    pid = int(out.split()[-1])
    assert_exits(pid, "ChimeraX")


def test_the_panels_model_chooser_asks_the_worker(cx) -> None:
    import importlib.util

    from chimerax.protattn import tool_logic

    assert importlib.util.find_spec("antiberty") is None  # not in ChimeraX's Python
    choices = {c.name: c for c in tool_logic.model_choices()}
    assert choices["antiberty"].status == "package"  # but where models run
    assert "offline" in choices["antiberty"].label
    assert tool_logic.model_shape("esm2_t6_8M") is None  # no huggingface_hub here: unknown
