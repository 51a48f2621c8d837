"""The compute worker: its protocol, surviving bad requests and crashes, and the shared cache.

The worker runs in this venv's Python (which has torch and AntiBERTy), as a real
subprocess; the hosts' own Pythons without torch drive it in
tests/pymol_worker and tests/chimerax_worker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from worker_support import kill_when_running

from protattn.analysis.contacts import unsupervised_contacts
from protattn.compute import backend
from protattn.compute.client import WorkerClient
from protattn.compute.protocol import PROTOCOL, decode_array, encode_array
from protattn.compute.remote import RemoteModel
from protattn.compute.server import Server
from protattn.errors import BadRequest, ModelError, ProtattnError, WorkerError
from protattn.lm.cache import AttentionCache
from protattn.lm.compact import CompactAttention
from protattn.lm.contract import StreamRequest
from protattn.lm.heads import parse_layer_head
from protattn.lm.inference import (
    chain_attention,
    chain_attention_key,
    clear_memory,
    compact_attention,
    head_maps,
)

HEAVY = (
    "EVQLVESGGGLVQPGGSLRLSCAASGFNIKDTYIHWVRQAPGKGLEWVARIYPTNGYTRYADSVKGRFTISADTSKNTAYLQ"
    "MNSLRAEDTAVYYCSRWGGDGFYAMDYWGQGTLVTVSS"
)
LIGHT = (
    "DIQMTQSPSSLSASVGDRVTITCRASQDVNTAVAWYQQKPGKAPKLLIYSASFLYSGVPSRFSGSRSGTDFTLTISSLQPE"
    "DFATYYCQQHYTTPPTFGQGTKVEIK"
)


def _long_sequence(n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), n))


def _assert_same_compact(got: CompactAttention, expected: CompactAttention) -> None:
    """Every array of two compact attentions equal, in the same dtype."""
    got_arrays, expected_arrays = got.arrays(), expected.arrays()
    assert got_arrays.keys() == expected_arrays.keys()
    for name, array in expected_arrays.items():
        assert got_arrays[name].dtype == array.dtype, name
        np.testing.assert_array_equal(got_arrays[name], array, err_msg=name)


def _decoded(compact: dict) -> CompactAttention:
    """The compact attention a reply sends inline (``{name: ARRAY}``)."""
    return CompactAttention.from_arrays({name: decode_array(a) for name, a in compact.items()})


@pytest.fixture
def cache_dir(tmp_path) -> AttentionCache:
    return AttentionCache(tmp_path / "cache")


@pytest.fixture
def client():
    c = WorkerClient(sys.executable)
    yield c
    c.stop()


# ------------------------------------------------------------------ the protocol, in process


def test_arrays_round_trip_through_the_protocol() -> None:
    a = np.random.default_rng(1).random((2, 3, 4)).astype(np.float32)
    a[0, 0, 0] = np.nan
    back = decode_array(json.loads(json.dumps(encode_array(a))))
    np.testing.assert_array_equal(back, a)
    half = decode_array(encode_array(a, "float16"))
    np.testing.assert_allclose(half, a, atol=5e-4)
    # any numeric type comes back as itself, 0-d arrays too (a compact attention's floor)
    for array in (
        np.arange(7, dtype=np.uint16),
        np.array([[0, 300]], dtype=np.int64),
        np.array(0.05),
        np.array([True, False]),
    ):
        back = decode_array(json.loads(json.dumps(encode_array(array))))
        assert back.dtype == array.dtype and back.shape == array.shape
        np.testing.assert_array_equal(back, array)
    with pytest.raises(BadRequest, match="ARRAY"):
        decode_array({"dtype": "float32", "shape": [5], "base64": "AAAA"})


@pytest.mark.parametrize(
    "line, expected",
    [
        (b"not json", "one JSON object"),
        (b"\xff\xfe", "one JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"id": 3, "op": "fly"}', "unknown operation 'fly'"),
        (b'{"id": 3, "op": "model"}', "parameter 'model' is missing"),
        (b'{"id": 3, "op": "model", "params": []}', "'params' must be a JSON object"),
        (b'{"id": 3, "op": "model", "params": {"model": 7}}', "'model' must be str"),
        (
            b'{"id": 3, "op": "stream", "params": {"model": "antiberty", "chains": []}}',
            "'chains' is empty",
        ),
        (
            b'{"id": 3, "op": "stream", "params": {"model": "antiberty", "chains": '
            b'[{"id": "A", "sequence": "EV QL"}]}}',
            "one-letter amino-acid codes",
        ),
        (
            b'{"id": 3, "op": "stream", "params": {"model": "antiberty", "chains": '
            b'[{"id": "H", "sequence": "EVQL", "residues": [["H", 1, ""]]}]}}',
            "1 residue ids for a sequence of 4",
        ),
        (
            b'{"id": 3, "op": "stream", "params": {"model": "antiberty", "window": 0, '
            b'"chains": [{"sequence": "EVQL"}]}}',
            "'window' must be a positive",
        ),
        (
            b'{"id": 3, "op": "stream", "params": {"model": "antiberty", "window": true, '
            b'"chains": [{"sequence": "EVQL"}]}}',
            "'window' must be int",
        ),
    ],
)
def test_bad_requests_get_an_error_reply_naming_the_problem(line: bytes, expected: str) -> None:
    reply = Server(log=lambda text: None).handle(line)
    assert reply["ok"] is False
    assert reply["error"]["type"] == "BadRequest"
    assert expected in reply["error"]["message"]
    assert reply["id"] == (3 if b'"id": 3' in line else None)


def test_another_protocol_version_is_refused() -> None:
    reply = Server().handle(json.dumps({"id": "x", "op": "hello", "protocol": PROTOCOL + 1}))
    assert reply == {
        "id": "x",
        "ok": False,
        "error": {"type": "ProtocolError", "message": reply["error"]["message"]},
    }
    assert f"speaks protocol {PROTOCOL}" in reply["error"]["message"]


def test_model_errors_keep_their_type_and_the_server_keeps_serving(tmp_path) -> None:
    server = Server(log=lambda text: None)
    bad = server.handle(json.dumps({"id": 1, "op": "model", "params": {"model": "nonsense"}}))
    assert (
        bad["error"]["type"] == "ModelError"
        and "unknown model 'nonsense'" in bad["error"]["message"]
    )
    too_long = server.handle(
        json.dumps(
            {
                "id": 2,
                "op": "check",
                "params": {
                    "model": "antiberty",
                    "chains": [{"sequence": HEAVY * 3}, {"sequence": LIGHT * 3}],
                },
            }
        )
    )
    assert too_long["error"]["type"] == "SequenceTooLongError"
    ok = server.handle(
        json.dumps(
            {
                "id": 3,
                "op": "stream",
                "params": {
                    "model": "antiberty",
                    "chains": [{"id": "H", "sequence": HEAVY}],
                    "cache": str(tmp_path),
                },
            }
        )
    )
    assert ok["ok"] and ok["id"] == 3 and ok["result"]["lengths"] == [len(HEAVY)]
    assert ok["result"]["path"].startswith(str(tmp_path)) and "attention" not in ok["result"]
    assert not server.stopping
    server.handle('{"id": 4, "op": "shutdown"}')
    assert server.stopping


# ------------------------------------------------------------------ a real worker process


def _worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "protattn", "worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _ask(process: subprocess.Popen, line: str | bytes) -> dict:
    process.stdin.write(line if isinstance(line, bytes) else line.encode() + b"\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def test_protattn_worker_serves_after_bad_requests_and_writes_only_json(cache_dir) -> None:
    process = _worker()
    try:
        ready = json.loads(process.stdout.readline())
        assert ready["event"] == "ready" and ready["protocol"] == PROTOCOL
        assert ready["pid"] == process.pid and ready["torch"]
        assert _ask(process, b"{{{\n")["error"]["type"] == "BadRequest"
        assert (
            _ask(process, '{"id": 1, "op": "model", "params": {"model": "nope"}}')["error"]["type"]
            == "ModelError"
        )
        reply = _ask(
            process,
            json.dumps(
                {
                    "id": 2,
                    "op": "stream",
                    "params": {
                        "model": "antiberty",
                        "chains": [{"id": "H", "sequence": HEAVY}],
                        "cache": str(cache_dir.directory),
                    },
                }
            ),
        )
        assert reply["ok"] and reply["id"] == 2
        result = reply["result"]
        assert result["path"].startswith(str(cache_dir.directory))
        assert "compact" not in result and "attention" not in result
        assert result["chains"] == ["H"] and result["windows"] == [[0, len(HEAVY)]]
        assert not result["from_cache"]
        stored = CompactAttention.from_arrays(cache_dir.get(result["key"]))
        assert (stored.n_layers, stored.n_heads, stored.length) == (8, 8, len(HEAVY))
        inline = _ask(
            process,
            json.dumps(
                {
                    "id": 3,
                    "op": "stream",
                    "params": {
                        "model": "antiberty",
                        "chains": [{"sequence": HEAVY}],
                        "inline": True,
                        "cache": str(cache_dir.directory),
                    },
                }
            ),
        )["result"]
        assert "path" not in inline and inline["key"] == result["key"]
        assert inline["from_cache"]  # the entry it wrote, not another pass
        _assert_same_compact(_decoded(inline["compact"]), stored)
        assert _ask(process, '{"id": 4, "op": "shutdown"}') == {"id": 4, "ok": True, "result": {}}
        assert process.wait(timeout=30) == 0
        assert process.stdout.read() == b""  # nothing after the last reply
        log = process.stderr.read().decode()
        assert "protattn worker: stream antiberty 1 chain(s)" in log
    finally:
        process.kill()
        process.wait()


def test_worker_exits_when_its_host_goes() -> None:
    process = _worker()
    try:
        assert json.loads(process.stdout.readline())["event"] == "ready"
        process.stdin.close()  # what the host's exit does to the pipe
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()


# ------------------------------------------------------------------ the client


def test_client_starts_lazily_and_raises_the_workers_errors(client) -> None:
    assert client.pid is None  # nothing runs until the first request
    with pytest.raises(ModelError, match="unknown model 'nonsense'"):
        client.request("model", {"model": "nonsense"})
    pid = client.pid
    assert pid is not None
    info = client.request("model", {"model": "antiberty"})
    assert (info["n_layers"], info["n_heads"], info["family"]) == (8, 8, "antiberty")
    assert client.pid == pid and client.restarts == 0  # the error did not cost the worker


def test_remote_attention_equals_in_process_and_is_read_from_the_shared_cache(
    client, cache_dir, antiberty
) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    clear_memory()
    got = compact_attention(remote, [HEAVY, LIGHT], cache=cache_dir)
    key = chain_attention_key(antiberty, [HEAVY, LIGHT])
    assert chain_attention_key(remote, [HEAVY, LIGHT]) == key == got.key
    assert cache_dir.path_for(key).is_file()  # the worker wrote the host's cache
    assert not got.from_cache
    clear_memory()
    here = compact_attention(antiberty, [HEAVY, LIGHT], cache=False)
    assert not here.from_cache
    _assert_same_compact(got, here)
    assert got.lengths == (len(HEAVY), len(LIGHT))
    # a second host process (or the command line) finds it without asking the worker
    clear_memory()
    asked = []
    real = client.request
    client.request = lambda op, params=None, timeout=None: asked.append(op) or real(op, params)
    again = compact_attention(remote, [HEAVY, LIGHT], cache=cache_dir)
    assert again.from_cache and asked == []
    _assert_same_compact(again, here)


def test_windows_run_in_the_worker_match_in_process(client, cache_dir, antiberty) -> None:
    sequence = _long_sequence(700)
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    clear_memory()
    got = compact_attention(remote, sequence, window=300, stride=200, cache=cache_dir)
    assert cache_dir.path_for(chain_attention_key(remote, sequence, 300, 200)).is_file()
    clear_memory()
    here = compact_attention(antiberty, sequence, window=300, stride=200, cache=False)
    assert got.window_ranges == here.window_ranges == ((0, 300), (200, 500), (400, 700))
    assert np.isnan(got.contacts).any()  # pairs no window held: NaN in both, at the same places
    _assert_same_compact(got, here)


def test_entry_removed_since_the_worker_wrote_it_is_computed_again(client, cache_dir) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    key = chain_attention_key(remote, LIGHT)
    clear_memory()
    first = compact_attention(remote, LIGHT, cache=cache_dir)
    cache_dir.clear()  # e.g. `protattn cache --clear` from another terminal
    assert not cache_dir.path_for(key).is_file()
    clear_memory()
    again = compact_attention(remote, LIGHT, cache=cache_dir)
    assert not again.from_cache
    _assert_same_compact(again, first)
    assert cache_dir.path_for(key).is_file()
    # removed between the worker's writing it and the host's reading it: sent inline instead
    clear_memory()
    cache_dir.clear()
    asked: list[dict] = []
    real = client.request

    def request(op, params=None, timeout=None):
        result = real(op, params, timeout)
        asked.append(params)
        if op == "stream" and "path" in result:
            os.remove(result["path"])
        return result

    client.request = request
    raced = compact_attention(remote, LIGHT, cache=cache_dir)
    assert [p["inline"] for p in asked] == [False, True]
    assert not raced.from_cache
    _assert_same_compact(raced, first)


def test_worker_killed_mid_request_is_restarted_once(client, cache_dir, antiberty) -> None:
    notes: list[str] = []
    client.notify = notes.append
    sequence = _long_sequence(500, seed=2)
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    first_pid = client.pid
    clear_memory()
    killer = kill_when_running(client, "stream", times=1)
    got = compact_attention(remote, sequence, window=64, stride=16, cache=cache_dir)
    killer.join()
    assert client.restarts == 1 and client.pid not in (None, first_pid)
    assert notes and "stopped during 'stream' (killed by signal 9)" in notes[0]
    clear_memory()
    here = compact_attention(antiberty, sequence, window=64, stride=16, cache=False)
    _assert_same_compact(got, here)


def test_a_second_crash_gives_a_clear_message_and_the_next_request_starts_afresh(client) -> None:
    killer = kill_when_running(client, "model", times=2)
    with pytest.raises(WorkerError) as error:
        client.request("model", {"model": "antiberty"})
    killer.join()
    message = str(error.value)
    assert "stopped twice during 'model': killed by signal 9, then killed by signal 9" in message
    assert "protattn worker: model antiberty" in message  # its last messages
    assert '-c "import torch, transformers"' in message  # what to check
    assert client.request("hello")["pid"] == client.pid  # a new worker serves again


def test_a_python_that_cannot_run_the_worker_is_named(tmp_path) -> None:
    with pytest.raises(WorkerError, match="could not start the protattn worker with"):
        WorkerClient(str(tmp_path / "no-python")).request("hello")
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'no module named torch' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(WorkerError) as error:
        WorkerClient(str(broken)).request("hello")
    assert "exited with status 3, then exited with status 3" in str(error.value)
    assert "no module named torch" in str(error.value)


# ------------------------------------------------------------------ choosing where to compute


@pytest.fixture
def settings():
    yield backend
    backend.configure(python=None, mode=None, notify=None)


def test_worker_mode_without_a_python_says_how_to_set_one(settings, monkeypatch) -> None:
    monkeypatch.delenv("PROTATTN_PYTHON", raising=False)
    settings.configure(mode="worker")
    with pytest.raises(ModelError, match="PROTATTN_PYTHON=/path/to/python"):
        settings.get_model("antiberty")
    assert settings.describe().startswith("nowhere yet")
    with pytest.raises(ModelError, match="one of auto, process, worker"):
        settings.configure(mode="gpu")


def test_get_model_says_where_models_run(settings, monkeypatch) -> None:
    notes: list[str] = []
    monkeypatch.setenv("PROTATTN_PYTHON", sys.executable)
    settings.configure(mode="worker", notify=notes.append)
    lm = settings.get_model("antiberty")
    assert isinstance(lm, RemoteModel) and settings.get_model("antiberty") is lm
    assert notes == [
        f"protattn: language models run a worker in {sys.executable} "
        f"(pid {lm.client.pid}, torch {lm.client.info['torch']})"
    ]
    assert settings.model_statuses()["antiberty"] == "package"  # asked of the worker
    settings.configure(mode="auto")  # torch imports here: in this process
    assert not isinstance(settings.get_model("antiberty"), RemoteModel)
    assert notes[-1].startswith(f"protattn: language models run in this process ({sys.executable}")
    settings.stop_worker()
    assert lm.client.pid is None


def test_compute_errors_from_the_worker_reach_the_front_end(
    settings, monkeypatch, shared_dir, load_structure
) -> None:
    import protattn

    monkeypatch.setenv("PROTATTN_PYTHON", sys.executable)
    settings.configure(mode="worker")
    chains = load_structure(shared_dir / "data/structures/antibody/1IGY.pdb").chains[:2]
    with pytest.raises(ProtattnError, match="longer than antiberty's limit"):
        protattn.compute_pairs(chains, "8-1", concatenate=True)
    result = protattn.compute_pairs(chains[:1], "8-1", top_k=5)
    assert len(result.pairs) == 5


def test_attention_is_sent_inline_when_the_cache_cannot_be_written(tmp_path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    reply = Server(log=lambda text: None).handle(
        json.dumps(
            {
                "id": 1,
                "op": "stream",
                "params": {
                    "model": "antiberty",
                    "chains": [{"sequence": LIGHT}],
                    "cache": str(blocked),
                },
            }
        )
    )
    assert reply["ok"], reply
    result = reply["result"]
    assert "path" not in result and "attention" not in result
    compact = _decoded(result["compact"])
    assert (compact.n_layers, compact.n_heads, compact.length) == (8, 8, len(LIGHT))
    assert compact.lengths == (len(LIGHT),) and compact.window_ranges == ((0, len(LIGHT)),)


def test_stop_ends_a_request_in_flight_without_a_restart(client) -> None:
    client.request("model", {"model": "antiberty"})
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            compact_attention(remote, _long_sequence(600, seed=5), window=40, stride=5, cache=False)
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            outcome.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not any("protattn worker: stream" in m for m in client.messages()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    start = time.monotonic()
    client.stop(timeout=1)
    stopped_in = time.monotonic() - start
    thread.join(timeout=30)
    assert stopped_in < 5  # not after the request
    assert len(outcome) == 1 and isinstance(outcome[0], WorkerError)
    assert "was stopped during 'stream'" in str(outcome[0])
    assert client.restarts == 0 and client.pid is None
    assert client.request("hello")["pid"] == client.pid  # usable again


def test_a_closed_client_refuses_instead_of_starting_again(client) -> None:
    client.request("hello")
    client.close()
    with pytest.raises(WorkerError, match="was closed"):
        client.request("hello")
    assert client.pid is None


def test_output_before_the_worker_starts_is_not_taken_for_a_reply(tmp_path, client) -> None:
    noisy = tmp_path / "python"
    noisy.write_text(
        f"#!/bin/sh\necho 'Welcome to the cluster'\necho 42\nexec {sys.executable} \"$@\"\n"
    )
    noisy.chmod(0o755)
    talkative = WorkerClient(str(noisy))
    try:
        assert talkative.request("hello")["protocol"] == PROTOCOL
        assert talkative.restarts == 0
        assert "Welcome to the cluster" in talkative.messages()
    finally:
        talkative.stop()


def test_lowercase_and_uncached_requests_match_in_process(
    client, tmp_path, antiberty, monkeypatch
) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    clear_memory()
    got = compact_attention(remote, LIGHT.lower(), cache=False)
    clear_memory()
    here = compact_attention(antiberty, LIGHT.lower(), cache=False)
    assert not got.from_cache and got.length == len(LIGHT)
    _assert_same_compact(got, here)
    # cache=False reaches the worker: it wrote nothing into its default cache
    default = AttentionCache()
    assert not any(
        default.path_for(chain_attention_key(antiberty, s)).is_file()
        for s in (LIGHT.lower(), LIGHT)
    )


def test_a_python_is_found_on_path_or_refused_by_name(tmp_path) -> None:
    from protattn.compute.backend import resolve_python

    assert resolve_python(os.path.basename(sys.executable)) == os.path.abspath(
        shutil.which(os.path.basename(sys.executable))
    )
    assert resolve_python(sys.executable) == os.path.abspath(sys.executable)
    with pytest.raises(ModelError, match="'nothing-here' is not an executable file"):
        resolve_python("nothing-here")


def test_statistics_stream_in_the_worker_and_only_counts_come_back(
    client, cache_dir, tmp_path, antiberty, shared_dir, load_structure, monkeypatch
) -> None:
    from protattn.api import stats as analysis

    structure = load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    clear_memory()
    analysis.clear_counts()
    asked: list[tuple[str, dict, dict]] = []
    real = client.request

    def request(op, params=None, timeout=None):
        result = real(op, params, timeout)
        asked.append((op, params, result))
        return result

    client.request = request
    props = ["contact", "binding_site", "helix"]
    for definition in ("paper", "judged"):
        monkeypatch.setenv("PROTATTN_CACHE", str(cache_dir.directory))
        got = analysis.head_statistics(
            [structure], remote, props, min_arcs=0, definition=definition
        )
        # in process, with a cache of its own: nothing the worker filed can answer it
        monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "in-process"))
        analysis.clear_counts()
        here = analysis.head_statistics(
            [structure], antiberty, props, min_arcs=0, definition=definition
        )
        analysis.clear_counts()
        for prop in props:
            np.testing.assert_array_equal(got[prop].n_arcs, here[prop].n_arcs)
            np.testing.assert_array_equal(got[prop].hits, here[prop].hits)
            np.testing.assert_array_equal(got[prop].attention_mass, here[prop].attention_mass)
            assert got[prop].background_pairs == here[prop].background_pairs
        assert got["contact"].hits.sum() > 0
    # one streamed pass per chain and definition, each asking for counts only
    assert [op for op, _, _ in asked] == ["stream"] * (2 * len(structure.chains))
    for definition, (_, params, result) in zip(
        ["paper"] * len(structure.chains) + ["judged"] * len(structure.chains), asked
    ):
        counts = params["request"]["counts"]
        assert counts is not None and counts["definition"] == definition
        assert set(counts["properties"]) == set(props)
        assert params["request"]["head_maps"] == [] and params["request"]["contact_heads"] is None
        assert result["counts"] is not None and result["head_maps"] == {}
        # no attention crossed: the compact attention stays in the shared cache
        assert "attention" not in result and "compact" not in result
        assert result["path"].startswith(str(cache_dir.directory))
    # the counts were filed in the host's cache: asking again runs nothing in the worker
    monkeypatch.setenv("PROTATTN_CACHE", str(cache_dir.directory))
    asked.clear()
    again = analysis.head_statistics([structure], remote, props, min_arcs=0, definition="judged")
    assert asked == []
    np.testing.assert_array_equal(again["contact"].hits, here["contact"].hits)
    # a malformed mask is the worker's BadRequest, and the worker keeps serving
    with pytest.raises(BadRequest, match=r"parameter 'request'.*mask"):
        real(
            "stream",
            {
                "model": "antiberty",
                "chains": [{"sequence": "ACDEF"}],
                "inline": True,
                "request": {
                    "counts": {
                        "definition": "paper",
                        "threshold": 0.3,
                        "properties": {"s": {"values": {"shape": [5], "base64": "AAAA"}}},
                    }
                },
            },
        )
    assert real("hello", {})["protocol"] == PROTOCOL


def test_dense_attention_never_comes_from_a_worker(client) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    asked = []
    real = client.request
    client.request = lambda op, params=None, timeout=None: asked.append(op) or real(op, params)
    clear_memory()
    with pytest.raises(ModelError, match="worker"):
        chain_attention(remote, LIGHT, cache=False)
    assert asked == []  # refused in the host, before anything was sent
    with pytest.raises(ModelError, match="worker"):
        StreamRequest(dense=True).to_message()  # nor can a request ask for it


def test_head_maps_and_chosen_contact_scores_stream_from_the_worker(client, antiberty) -> None:
    result = client.request(
        "stream",
        {
            "model": "antiberty",
            "chains": [{"sequence": LIGHT}],
            "inline": True,
            "request": {"head_maps": ["3-2"], "contact_heads": [[3, 2]]},
        },
    )
    dense = antiberty.attention(LIGHT)
    assert list(result["head_maps"]) == ["3-2"] and "attention" not in result
    one = decode_array(result["head_maps"]["3-2"])
    assert one.dtype == np.float32 and one.shape == (len(LIGHT), len(LIGHT))
    np.testing.assert_array_equal(one, dense[2, 1])
    scores = decode_array(result["contact_scores"])
    assert scores.shape == (len(LIGHT), len(LIGHT))
    np.testing.assert_allclose(scores, unsupervised_contacts(dense, [(3, 2)]), rtol=1e-6)
    assert _decoded(result["compact"]).length == len(LIGHT)
    # the host's side: head_maps() through the worker gives the same map
    remote = RemoteModel(client, "antiberty", None, client.request("model", {"model": "antiberty"}))
    clear_memory()
    spec = parse_layer_head("3-2", remote.n_layers, remote.n_heads)
    np.testing.assert_array_equal(head_maps(remote, LIGHT, [spec], cache=False)[spec], dense[2, 1])
