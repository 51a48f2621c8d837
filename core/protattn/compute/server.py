"""``protattn worker``: runs language models for a host whose Python has no torch.

PyMOL and ChimeraX ship their own Python, and torch is the package that most
often fails to install there. A host then starts this worker in a Python that
has torch and transformers (``PROTATTN_PYTHON``) and asks it for attention;
everything else (reading the structure, pairs, statistics, drawing) stays in the
host, which needs only numpy. :mod:`protattn.compute.client` is the host's side.

Protocol (version :data:`PROTOCOL`)
-----------------------------------
JSON lines over the worker's standard input and output, one object per line,
UTF-8. Standard output carries nothing else (the worker moves anything a library
prints to standard error); standard error is free text for people.

1. On start the worker writes ``{"event": "ready", "protocol": 2, "pid": …,
   "python": …, "protattn": …}``.
2. Each request is ``{"id": ID, "op": OP, "params": {…}, "protocol": 2}``
   (``protocol`` optional; ``id`` any JSON value, echoed back). Requests are
   answered one at a time, in order.
3. Each reply is ``{"id": ID, "ok": true, "result": {…}}`` or
   ``{"id": ID, "ok": false, "error": {"type": NAME, "message": TEXT}}``. A
   request that cannot be read gets an error reply with ``"id": null``; the
   worker keeps serving after every error.

Operations and their ``params``:

``hello``
    → ``{"protocol", "pid", "python", "protattn", "torch"}`` (torch's version, or
    null when it is not installed; it is not imported).
``models``
    → ``{"models": {short name: "package" | "cache" | "missing"}}``.
``model`` ``{"model": name, "device": null | "cpu" | "cuda", "dtype": null |
"float32" | "float16" | "bfloat16"}``
    Loads the model (kept for later requests) → ``{"name", "model_id",
    "revision", "family", "separator", "n_layers", "n_heads", "max_residues",
    "device", "dtype"}``.
``check`` ``{"model", "device", "chains": [CHAIN, …]}``
    Refuses chains run as one input that are longer than one pass takes
    → ``{"tokens": n}``.
``stream`` ``{"model", "device", "chains": [CHAIN, …], "window", "stride",
"cache": directory | null, "inline": false, "request": REQUEST}``
    One streamed pass over one chain, or several run as one input
    (:func:`protattn.lm.stream.run_chain`): every layer is reduced as the model computes
    it and dropped, and only reductions cross. The run's compact attention
    (:class:`protattn.lm.compact.CompactAttention`) is written to the attention cache
    in ``cache`` (the host's, so that both share one cache; null: the worker's
    default) and the host reads it at ``path``; with ``"inline": true``, or when the
    cache cannot be written, ``"compact"`` holds its arrays (``{name: ARRAY}``)
    instead. A ``REQUEST`` (:meth:`protattn.lm.contract.StreamRequest.to_message`) asks
    for more: ``head_maps`` (``["7-1", "5-mean"]``: whole maps), ``contact_heads``
    (``[[7, 1], …]``: contact scores of these heads), ``counts``
    (``{"definition", "threshold", "properties": {name: MASK}}``: per-head
    statistics counts). When the request asks for nothing more and the compact
    attention is cached, the model does not run. → ``{"key", "lengths", "windows",
    "from_cache", "chains", "path" | "compact", "head_maps": {spec: ARRAY},
    "contact_scores": ARRAY | null, "counts": COUNTS | null}``, ``COUNTS`` being
    :meth:`protattn.lm.counts.ChainCounter.to_message` (nested lists of the
    ``(layers, heads)`` arrays). A ``MASK`` is
    :meth:`protattn.lm.masks.PropertyMask.to_message`.
``shutdown``
    → ``{}``; the worker then exits. It also exits when its standard input closes
    (the host quit or died).

A ``CHAIN`` is ``{"id": "A", "sequence": "EVQL…", "residues": [[chain, number,
insertion code] | null, …]}``; ``residues`` is optional and, when given, must
have one entry per residue of ``sequence`` (null for residues not observed).
An ``ARRAY`` is ``{"dtype": NAME, "shape": […], "base64": …}``, the array's bytes
in C order, little-endian; ``NAME`` a numpy numeric type (``float32``, ``uint16`` …).

Error ``type`` is the name of a :mod:`protattn.errors` class where one applies
(``ModelError``, ``SequenceTooLongError`` …), ``BadRequest`` for a malformed
request, ``ProtocolError`` for another protocol version, else the Python
exception's name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import IO, Any

from ..errors import BadRequest, ProtattnError
from .protocol import PROTOCOL, encode_array

__all__ = [
    "Server",
    "main",
]

_MISSING = object()


def _param(
    params: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = _MISSING
) -> Any:
    """``params[name]``, checked to be of ``kind``; ``default`` (None allowed) when absent."""
    value = params.get(name, default)
    if value is _MISSING:
        raise BadRequest(f"parameter {name!r} is missing")
    if value is None and default is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BadRequest(f"parameter {name!r} must be {names}, not {json.dumps(value)[:60]}")
    return value


def _chain(value: Any, where: str) -> dict[str, Any]:
    """A checked CHAIN object."""
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be a CHAIN object {{'id', 'sequence', 'residues'}}")
    chain_id = _param(value, "id", str, "")
    sequence = _param(value, "sequence", str)
    if not sequence or not sequence.isalpha() or not sequence.isascii():
        raise BadRequest(
            f"{where} (chain {chain_id!r}): the sequence must be one-letter "
            f"amino-acid codes, not {sequence[:30]!r}"
        )
    residues = _param(value, "residues", list, None)
    if residues is not None:
        if len(residues) != len(sequence):
            raise BadRequest(
                f"{where} (chain {chain_id!r}): {len(residues)} residue ids for "
                f"a sequence of {len(sequence)}; give one per residue, null for "
                "residues not observed"
            )
        for r in residues:
            if r is not None and not (isinstance(r, list) and len(r) in (3, 4)):
                raise BadRequest(
                    f"{where} (chain {chain_id!r}): a residue id is "
                    f"[chain, number, insertion code(, segment)] or null, not {r!r}"
                )
    return {"id": chain_id, "sequence": sequence}


def _chains(params: dict[str, Any]) -> list[dict[str, Any]]:
    chains = _param(params, "chains", list)
    if not chains:
        raise BadRequest("parameter 'chains' is empty; send at least one CHAIN")
    return [_chain(c, f"chains[{i}]") for i, c in enumerate(chains)]


def _positive(params: dict[str, Any], name: str) -> int | None:
    value = _param(params, name, int, None)
    if value is not None and value < 1:
        raise BadRequest(f"parameter {name!r} must be a positive number of residues")
    return value


# ------------------------------------------------------------------ operations


def _model(params: dict[str, Any]):
    from ..lm.loading import load_model

    return load_model(
        _param(params, "model", str),
        device=_param(params, "device", str, None),
        dtype=_param(params, "dtype", str, None),
    )


def _torch_version() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "unknown"


def _hello(params: dict[str, Any]) -> dict[str, Any]:
    from .._version import __version__

    return {
        "protocol": PROTOCOL,
        "pid": os.getpid(),
        "python": sys.executable,
        "protattn": __version__,
        "torch": _torch_version(),
    }


def _models(params: dict[str, Any]) -> dict[str, Any]:
    from ..lm.registry import MODELS, model_status

    return {"models": {name: model_status(name) for name in MODELS}}


def model_info(lm: Any) -> dict[str, Any]:
    """What a host needs to know about a loaded model (the ``model`` reply)."""
    return {
        "name": lm.name,
        "model_id": lm.model_id,
        "revision": lm.revision,
        "family": lm.family.name,
        "separator": lm.family.separator,
        "n_layers": lm.n_layers,
        "n_heads": lm.n_heads,
        "max_residues": lm.max_residues,
        "device": lm.device,
        "dtype": lm.dtype,
    }


def _model_op(params: dict[str, Any]) -> dict[str, Any]:
    return model_info(_model(params))


def _check(params: dict[str, Any]) -> dict[str, Any]:
    chains = _chains(params)
    lm = _model(params)
    return {"tokens": len(lm.check_segments([c["sequence"] for c in chains]))}


def _stream(params: dict[str, Any]) -> dict[str, Any]:
    from ..lm.cache import AttentionCache
    from ..lm.contract import StreamRequest
    from ..lm.inference import cached_compact_attention, chain_attention_key, stream_chain

    chains = _chains(params)
    window, stride = _positive(params, "window"), _positive(params, "stride")
    directory = _param(params, "cache", str, None)
    inline = _param(params, "inline", bool, False)
    lm = _model(params)
    try:
        request = StreamRequest.from_message(
            _param(params, "request", dict, {}), lm.n_layers, lm.n_heads
        )
    except (KeyError, TypeError, ValueError) as e:
        raise BadRequest(f"parameter 'request': {e}") from None
    sequences = [c["sequence"] for c in chains]
    # no cache and inline: the host wants no disk cache at all
    store = AttentionCache(directory) if directory or not inline else None
    key = chain_attention_key(lm, sequences, window, stride)
    compact = None
    if request == StreamRequest():  # only the compact attention: maybe cached already
        compact = cached_compact_attention(
            lm, sequences, window, stride, store or False, memory=False
        )
    result = None
    if compact is None:
        result = stream_chain(lm, sequences, window, stride, request, store or False, memory=False)
        compact = result.compact
    reply: dict[str, Any] = {
        "key": key,
        "lengths": list(compact.lengths),
        "windows": [list(w) for w in compact.window_ranges],
        "from_cache": result is None,
        "chains": [c["id"] for c in chains],
        "head_maps": {},
        "contact_scores": None,
        "counts": None,
    }
    path = store.path_for(key) if store is not None else None
    if inline or path is None or not path.is_file():  # asked for, or not written
        reply["compact"] = {name: encode_array(a) for name, a in compact.arrays().items()}
    else:
        reply["path"] = str(path)
    if result is not None:
        reply["head_maps"] = {str(s): encode_array(m) for s, m in result.head_maps.items()}
        if result.contact_scores is not None:
            reply["contact_scores"] = encode_array(result.contact_scores)
        reply["counts"] = result.counts
    return reply


class _Stop(Exception):
    """Raised by ``shutdown`` after its reply is written."""


#: The operations a worker serves.
OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "hello": _hello,
    "models": _models,
    "model": _model_op,
    "check": _check,
    "stream": _stream,
    "shutdown": lambda params: {},
}


class Server:
    """Answers protocol lines; never raises for a bad request.

    Parameters
    ----------
    log : callable
        Where tracebacks of unexpected errors go (standard error by default).
    """

    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.stopping = False

    def handle(self, line: str | bytes) -> dict[str, Any]:
        """The reply to one request line.

        Parameters
        ----------
        line : str or bytes
            One JSON request (UTF-8).

        Returns
        -------
        dict
            The reply: ``{"id", "ok": true, "result"}`` or ``{"id", "ok": false,
            "error": {"type", "message"}}``; never raises.
        """
        request_id = None
        try:
            try:
                text = line.decode("utf-8") if isinstance(line, bytes) else line
                request = json.loads(text)
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise BadRequest(f"a request must be one JSON object on one line ({e})") from None
            if not isinstance(request, dict):
                raise BadRequest("a request must be a JSON object {'id', 'op', 'params'}")
            request_id = request.get("id")
            version = request.get("protocol", PROTOCOL)
            if version != PROTOCOL:
                return _error(
                    request_id,
                    "ProtocolError",
                    f"this worker speaks protocol {PROTOCOL}, not {version!r}; run "
                    "the same protattn version in the host and the worker",
                )
            op = request.get("op")
            handler = OPERATIONS.get(op) if isinstance(op, str) else None
            if handler is None:
                raise BadRequest(f"unknown operation {op!r}; one of {', '.join(OPERATIONS)}")
            params = request.get("params", {})
            if not isinstance(params, dict):
                raise BadRequest("'params' must be a JSON object")
            self.log(f"protattn worker: {op} {_summary(params)}".rstrip())
            result = handler(params)
            self.stopping = op == "shutdown"
            return {"id": request_id, "ok": True, "result": result}
        except ProtattnError as e:
            return _error(request_id, type(e).__name__, str(e))
        except Exception as e:  # a bug or a library failure: report it and keep serving
            self.log(traceback.format_exc())
            return _error(request_id, type(e).__name__, str(e) or repr(e))

    def serve(self, lines: Iterable[bytes], reply: Callable[[dict[str, Any]], None]) -> None:
        """Answer ``lines`` until they end or a ``shutdown`` request.

        Parameters
        ----------
        lines : iterable of bytes
            Request lines (standard input).
        reply : callable
            Writes one reply (a JSON line on the protocol's output).
        """
        for line in lines:
            if not line.strip():
                continue
            reply(self.handle(line))
            if self.stopping:
                break


def _summary(params: dict[str, Any]) -> str:
    """A request's parameters in a few words, for the worker's log."""
    words = [str(params[k]) for k in ("model", "device") if params.get(k)]
    chains = params.get("chains")
    if isinstance(chains, list):
        lengths = [len(c.get("sequence", "")) for c in chains if isinstance(c, dict)]
        words.append(f"{len(chains)} chain(s), {sum(lengths)} residues")
    return " ".join(words)


def _error(request_id: Any, kind: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": {"type": kind, "message": message}}


def _writer(stream: IO[str]) -> Callable[[dict[str, Any]], None]:
    def write(message: dict[str, Any]) -> None:
        try:
            line = json.dumps(message, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as e:  # a result JSON cannot hold: say so, keep serving
            line = json.dumps(
                _error(
                    message.get("id"),
                    type(e).__name__,
                    f"the reply could not be written as JSON: {e}",
                )
            )
        stream.write(line + "\n")
        stream.flush()

    return write


def main(protocol_fd: int | None = None) -> int:
    """Serve the protocol on standard input and output until input ends or ``shutdown``.

    Parameters
    ----------
    protocol_fd : int, optional
        A descriptor of the original standard output, already set aside (the
        bootstrap hosts use does so before importing anything). By default it is
        set aside here.

    Returns
    -------
    int
        The exit status, 0.
    """
    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so that
    # whatever torch, transformers or C code print cannot break a reply.
    sys.stdout.flush()
    if protocol_fd is None:
        protocol_fd = os.dup(sys.stdout.fileno())
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    protocol_out = os.fdopen(protocol_fd, "w", encoding="utf-8")
    sys.stdout = sys.stderr
    reply = _writer(protocol_out)
    reply({"event": "ready", **_hello({})})
    Server().serve(sys.stdin.buffer, reply)
    return 0
