"""The worker's protocol under random and malformed requests: every one gets a reply, a
bad one a protattn error that says what was wrong, and none is an unexpected failure
(a traceback in the worker's log) or stops the worker.
"""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from protattn import errors
from protattn.compute.protocol import PROTOCOL
from protattn.compute.server import OPERATIONS, Server

#: Error types a reply may name: protattn's own, and a protocol version mismatch.
OWN = {name for name in dir(errors) if isinstance(getattr(errors, name), type)} | {"ProtocolError"}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

#: A chain as a host sends it, and near misses of one.
CHAIN = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["A", "", "H"]),
        "sequence": st.sampled_from(["EVQLVESGG", "GGG", "", "X1", "M"]),
    },
    optional={"residues": st.one_of(JSON, st.just([["A", 1, ""]] * 9))},
)

PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["antiberty", "no_such_model", "/no/such/dir", ""]) | JSON,
        "chains": st.lists(CHAIN | JSON, max_size=3) | JSON,
        "window": st.integers(-3, 600) | JSON,
        "stride": st.integers(-3, 600) | JSON,
        "inline": st.booleans() | JSON,
        "request": st.fixed_dictionaries(
            {}, optional={"counts": JSON, "heads": JSON, "contacts": JSON}
        )
        | JSON,
        "device": st.sampled_from(["cpu", "tpu"]) | JSON,
        "dtype": st.sampled_from(["float32", "float16", "int8"]) | JSON,
    },
)

REQUEST = st.fixed_dictionaries(
    {"op": st.sampled_from(sorted(set(OPERATIONS) - {"shutdown"})) | JSON},
    optional={
        "id": st.integers() | st.text(max_size=4),
        "params": PARAMS | JSON,
        "protocol": st.just(PROTOCOL) | JSON,
    },
)


def _reply(line: str | bytes, cache) -> tuple[dict, list[str]]:
    logged: list[str] = []
    server = Server(log=logged.append)
    reply = server.handle(line)
    # only a shutdown that was asked for (and answered) stops the worker
    try:
        asked = json.loads(line).get("op") == "shutdown"
    except (ValueError, UnicodeDecodeError, AttributeError):
        asked = False
    assert server.stopping == (reply["ok"] and asked)
    return reply, logged


def _check(request: object, reply: dict, logged: list[str]) -> None:
    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool)
    json.dumps(reply)  # a reply can always be written as a line
    if isinstance(request, dict) and "id" in request:
        assert reply["id"] == request["id"]
    if not reply["ok"]:
        assert reply["error"]["type"] in OWN, reply  # not a KeyError, TypeError, ...
        assert reply["error"]["message"]
    assert not any("Traceback" in line for line in logged), logged


@given(REQUEST)
@example(
    {
        "op": "stream",
        "params": {"model": "antiberty", "chains": [{"sequence": "GGG"}], "request": {"counts": 3}},
    }
)
@example(
    {"op": "check", "params": {"model": "antiberty", "chains": [{"id": "A", "sequence": "X1"}]}}
)
def test_random_requests_get_a_reply_and_never_an_unexpected_failure(tmp_path_factory, request):
    if isinstance(request.get("params"), dict) and "cache" not in request["params"]:
        request["params"]["cache"] = str(tmp_path_factory.mktemp("cache"))
    reply, logged = _reply(json.dumps(request), None)
    _check(request, reply, logged)


@given(st.binary(max_size=200) | st.text(max_size=200))
@example(b"\xff\xfe")
@example("[1, 2]")
@example('{"op": "hello"')
@example(b'{"":null,"op":"shutdown"}')  # found by this test: a real shutdown request
def test_lines_that_are_not_requests_are_refused_as_bad_requests(line):
    reply, logged = _reply(line, None)
    try:
        request = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        request = None
    _check(request, reply, logged)
    if not isinstance(request, dict):
        assert reply["ok"] is False and reply["error"]["type"] == "BadRequest"
