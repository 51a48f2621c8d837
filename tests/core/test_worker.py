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

from protattn import backend
from protattn.cache import AttentionCache
from protattn.errors import ModelError, ProtattnError, WorkerError
from protattn.inference import chain_attention, chain_attention_key, clear_memory
from protattn.remote import RemoteModel, WorkerClient
from protattn.worker import PROTOCOL, BadRequest, Server, decode_array, encode_array

HEAVY = ("EVQLVESGGGLVQPGGSLRLSCAASGFNIKDTYIHWVRQAPGKGLEWVARIYPTNGYTRYADSVKGRFTISADTSKNTAYLQ"
         "MNSLRAEDTAVYYCSRWGGDGFYAMDYWGQGTLVTVSS")
LIGHT = ("DIQMTQSPSSLSASVGDRVTITCRASQDVNTAVAWYQQKPGKAPKLLIYSASFLYSGVPSRFSGSRSGTDFTLTISSLQPE"
         "DFATYYCQQHYTTPPTFGQGTKVEIK")


def _long_sequence(n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), n))


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
    with pytest.raises(BadRequest, match="ARRAY"):
        decode_array({"dtype": "float32", "shape": [5], "base64": "AAAA"})


@pytest.mark.parametrize("line, expected", [
    (b"not json", "one JSON object"),
    (b"\xff\xfe", "one JSON object"),
    (b"[1, 2]", "JSON object"),
    (b'{"id": 3, "op": "fly"}', "unknown operation 'fly'"),
    (b'{"id": 3, "op": "model"}', "parameter 'model' is missing"),
    (b'{"id": 3, "op": "model", "params": []}', "'params' must be a JSON object"),
    (b'{"id": 3, "op": "model", "params": {"model": 7}}', "'model' must be str"),
    (b'{"id": 3, "op": "attention", "params": {"model": "antiberty", "chains": []}}',
     "'chains' is empty"),
    (b'{"id": 3, "op": "attention", "params": {"model": "antiberty", "chains": '
     b'[{"id": "A", "sequence": "EV QL"}]}}', "one-letter amino-acid codes"),
    (b'{"id": 3, "op": "attention", "params": {"model": "antiberty", "chains": '
     b'[{"id": "H", "sequence": "EVQL", "residues": [["H", 1, ""]]}]}}',
     "1 residue ids for a sequence of 4"),
    (b'{"id": 3, "op": "attention", "params": {"model": "antiberty", "window": 0, '
     b'"chains": [{"sequence": "EVQL"}]}}', "'window' must be a positive"),
    (b'{"id": 3, "op": "attention", "params": {"model": "antiberty", "window": true, '
     b'"chains": [{"sequence": "EVQL"}]}}', "'window' must be int"),
])
def test_bad_requests_get_an_error_reply_naming_the_problem(line: bytes, expected: str) -> None:
    reply = Server(log=lambda text: None).handle(line)
    assert reply["ok"] is False
    assert reply["error"]["type"] == "BadRequest"
    assert expected in reply["error"]["message"]
    assert reply["id"] == (3 if b'"id": 3' in line else None)


def test_another_protocol_version_is_refused() -> None:
    reply = Server().handle(json.dumps({"id": "x", "op": "hello", "protocol": PROTOCOL + 1}))
    assert reply == {"id": "x", "ok": False, "error": {
        "type": "ProtocolError", "message": reply["error"]["message"]}}
    assert f"speaks protocol {PROTOCOL}" in reply["error"]["message"]


def test_model_errors_keep_their_type_and_the_server_keeps_serving(tmp_path) -> None:
    server = Server(log=lambda text: None)
    bad = server.handle(json.dumps({"id": 1, "op": "model", "params": {"model": "nonsense"}}))
    assert bad["error"]["type"] == "ModelError" and "unknown model 'nonsense'" in \
        bad["error"]["message"]
    too_long = server.handle(json.dumps({"id": 2, "op": "check", "params": {
        "model": "antiberty", "chains": [{"sequence": HEAVY * 3}, {"sequence": LIGHT * 3}]}}))
    assert too_long["error"]["type"] == "SequenceTooLongError"
    ok = server.handle(json.dumps({"id": 3, "op": "attention", "params": {
        "model": "antiberty", "chains": [{"id": "H", "sequence": HEAVY}],
        "cache": str(tmp_path)}}))
    assert ok["ok"] and ok["id"] == 3 and ok["result"]["lengths"] == [len(HEAVY)]
    assert not server.stopping
    server.handle('{"id": 4, "op": "shutdown"}')
    assert server.stopping


# ------------------------------------------------------------------ a real worker process

def _worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "protattn", "worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


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
        assert _ask(process, '{"id": 1, "op": "model", "params": {"model": "nope"}}')[
            "error"]["type"] == "ModelError"
        reply = _ask(process, json.dumps({"id": 2, "op": "attention", "params": {
            "model": "antiberty", "chains": [{"id": "H", "sequence": HEAVY}],
            "cache": str(cache_dir.directory)}}))
        assert reply["ok"] and reply["id"] == 2
        result = reply["result"]
        assert result["path"].startswith(str(cache_dir.directory))
        assert result["chains"] == ["H"] and result["windows"] == [[0, len(HEAVY)]]
        stored = cache_dir.get(result["key"])["attention"]
        assert stored.shape == (8, 8, len(HEAVY), len(HEAVY))
        inline = _ask(process, json.dumps({"id": 3, "op": "attention", "params": {
            "model": "antiberty", "chains": [{"sequence": HEAVY}], "inline": True,
            "cache": str(cache_dir.directory)}}))["result"]
        assert "path" not in inline
        np.testing.assert_array_equal(decode_array(inline["attention"]), stored)
        assert _ask(process, '{"id": 4, "op": "shutdown"}') == {"id": 4, "ok": True,
                                                                "result": {}}
        assert process.wait(timeout=30) == 0
        assert process.stdout.read() == b""  # nothing after the last reply
        log = process.stderr.read().decode()
        assert "protattn worker: attention antiberty 1 chain(s)" in log
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
        client, cache_dir, antiberty) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    clear_memory()
    got = chain_attention(remote, [HEAVY, LIGHT], cache=cache_dir)
    key = chain_attention_key(antiberty, [HEAVY, LIGHT])
    assert chain_attention_key(remote, [HEAVY, LIGHT]) == key == got.key
    assert cache_dir.path_for(key).is_file()  # the worker wrote the host's cache
    clear_memory()
    here = chain_attention(antiberty, [HEAVY, LIGHT], cache=False)
    np.testing.assert_array_equal(got.attention, here.attention)
    assert got.lengths == (len(HEAVY), len(LIGHT))
    # a second host process (or the command line) finds it without asking the worker
    clear_memory()
    asked = []
    real = client.request
    client.request = lambda op, params=None, timeout=None: asked.append(op) or real(op, params)
    again = chain_attention(remote, [HEAVY, LIGHT], cache=cache_dir)
    assert again.from_cache and asked == []


def test_windows_run_in_the_worker_match_in_process(client, cache_dir, antiberty) -> None:
    sequence = _long_sequence(700)
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    clear_memory()
    got = chain_attention(remote, sequence, window=300, stride=200, cache=cache_dir)
    clear_memory()
    here = chain_attention(antiberty, sequence, window=300, stride=200, cache=False)
    assert got.windows == here.windows == ((0, 300), (200, 500), (400, 700))
    np.testing.assert_array_equal(got.attention, here.attention)


def test_entry_removed_since_the_worker_wrote_it_is_computed_again(client, cache_dir) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    clear_memory()
    first = chain_attention(remote, LIGHT, cache=cache_dir)
    cache_dir.clear()  # e.g. `protattn cache --clear` from another terminal
    clear_memory()
    again = chain_attention(remote, LIGHT, cache=cache_dir)
    np.testing.assert_array_equal(again.attention, first.attention)
    assert cache_dir.path_for(chain_attention_key(remote, LIGHT)).is_file()


def test_worker_killed_mid_request_is_restarted_once(client, cache_dir, antiberty) -> None:
    notes: list[str] = []
    client.notify = notes.append
    sequence = _long_sequence(500, seed=2)
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    first_pid = client.pid
    clear_memory()
    killer = kill_when_running(client, "attention", times=1)
    got = chain_attention(remote, sequence, window=64, stride=16, cache=cache_dir)
    killer.join()
    assert client.restarts == 1 and client.pid not in (None, first_pid)
    assert notes and "stopped during 'attention' (killed by signal 9)" in notes[0]
    clear_memory()
    here = chain_attention(antiberty, sequence, window=64, stride=16, cache=False)
    np.testing.assert_array_equal(got.attention, here.attention)


def test_a_second_crash_gives_a_clear_message_and_the_next_request_starts_afresh(
        client) -> None:
    killer = kill_when_running(client, "model", times=2)
    with pytest.raises(WorkerError) as error:
        client.request("model", {"model": "antiberty"})
    killer.join()
    message = str(error.value)
    assert "stopped twice during 'model': killed by signal 9, then killed by signal 9" in message
    assert "protattn worker: model antiberty" in message  # its last messages
    assert "-c \"import torch, transformers\"" in message  # what to check
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
    assert notes == [f"protattn: language models run a worker in {sys.executable} "
                     f"(pid {lm.client.pid}, torch {lm.client.info['torch']})"]
    assert settings.model_statuses()["antiberty"] == "package"  # asked of the worker
    settings.configure(mode="auto")  # torch imports here: in this process
    assert not isinstance(settings.get_model("antiberty"), RemoteModel)
    assert notes[-1].startswith(f"protattn: language models run in this process ({sys.executable}")
    settings.stop_worker()
    assert lm.client.pid is None


def test_compute_errors_from_the_worker_reach_the_front_end(settings, monkeypatch, shared_dir,
                                                           load_structure) -> None:
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
    reply = Server(log=lambda text: None).handle(json.dumps({"id": 1, "op": "attention",
        "params": {"model": "antiberty", "chains": [{"sequence": LIGHT}],
                   "cache": str(blocked)}}))
    result = reply["result"]
    assert "path" not in result
    assert decode_array(result["attention"]).shape == (8, 8, len(LIGHT), len(LIGHT))


def test_stop_ends_a_request_in_flight_without_a_restart(client) -> None:
    client.request("model", {"model": "antiberty"})
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            chain_attention(remote, _long_sequence(600, seed=5), window=40, stride=5,
                            cache=False)
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            outcome.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not any("protattn worker: attention" in m for m in client.messages()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    start = time.monotonic()
    client.stop(timeout=1)
    stopped_in = time.monotonic() - start
    thread.join(timeout=30)
    assert stopped_in < 5  # not after the request
    assert len(outcome) == 1 and isinstance(outcome[0], WorkerError)
    assert "was stopped during 'attention'" in str(outcome[0])
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
    noisy.write_text(f"#!/bin/sh\necho 'Welcome to the cluster'\necho 42\n"
                     f"exec {sys.executable} \"$@\"\n")
    noisy.chmod(0o755)
    talkative = WorkerClient(str(noisy))
    try:
        assert talkative.request("hello")["protocol"] == PROTOCOL
        assert talkative.restarts == 0
        assert "Welcome to the cluster" in talkative.messages()
    finally:
        talkative.stop()


def test_lowercase_and_uncached_requests_match_in_process(client, tmp_path, antiberty,
                                                          monkeypatch) -> None:
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    clear_memory()
    got = chain_attention(remote, LIGHT.lower(), cache=False)
    clear_memory()
    here = chain_attention(antiberty, LIGHT.lower(), cache=False)
    np.testing.assert_array_equal(got.attention, here.attention)
    # cache=False reaches the worker: it wrote nothing into its default cache
    default = AttentionCache()
    assert not any(default.path_for(chain_attention_key(antiberty, s)).is_file()
                   for s in (LIGHT.lower(), LIGHT))


def test_a_python_is_found_on_path_or_refused_by_name(tmp_path) -> None:
    from protattn.backend import resolve_python

    assert resolve_python(os.path.basename(sys.executable)) == os.path.abspath(
        shutil.which(os.path.basename(sys.executable)))
    assert resolve_python(sys.executable) == os.path.abspath(sys.executable)
    with pytest.raises(ModelError, match="'nothing-here' is not an executable file"):
        resolve_python("nothing-here")


def test_statistics_stream_in_the_worker_and_only_counts_come_back(
        client, cache_dir, antiberty, shared_dir, load_structure, monkeypatch) -> None:
    from protattn import analysis

    structure = load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")
    remote = RemoteModel(client, "antiberty", None, client.request("model",
                                                                   {"model": "antiberty"}))
    monkeypatch.setenv("PROTATTN_CACHE", str(cache_dir.directory))
    clear_memory()
    analysis.clear_counts()
    asked = []
    real = client.request
    client.request = lambda op, params=None, timeout=None: asked.append(op) or real(op, params)
    props = ["contact", "binding_site", "helix"]
    for definition in ("paper", "judged"):
        got = analysis.head_statistics([structure], remote, props, min_arcs=0,
                                       definition=definition, stream=True)
        analysis.clear_counts()
        here = analysis.head_statistics([structure], antiberty, props, min_arcs=0,
                                        definition=definition, stream=True)
        for prop in props:
            np.testing.assert_array_equal(got[prop].n_arcs, here[prop].n_arcs)
            np.testing.assert_array_equal(got[prop].hits, here[prop].hits)
            np.testing.assert_array_equal(got[prop].attention_mass, here[prop].attention_mass)
            assert got[prop].background_pairs == here[prop].background_pairs
        assert got["contact"].hits.sum() > 0
    assert asked.count("counts") == 4 and "attention" not in asked  # no attention crossed
    assert not cache_dir.entries()
    # a malformed mask is the worker's BadRequest, and the worker keeps serving
    with pytest.raises(ProtattnError, match="properties"):
        real("counts", {"model": "antiberty", "chain": {"sequence": "ACDEF"},
                        "definition": "paper", "threshold": 0.3,
                        "properties": {"s": {"values": {"shape": [5], "base64": "AAAA"}}}})
    assert real("hello", {})["protocol"] == PROTOCOL
