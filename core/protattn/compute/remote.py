"""A language model a worker runs: sizes here, every pass there, behind the model contract.

:class:`RemoteModel` satisfies :class:`protattn.lm.contract.Model` as a model loaded
in this process does: its :meth:`~RemoteModel.stream` sends one request to the worker
(:mod:`protattn.compute.server`) through a :class:`~protattn.compute.client.WorkerClient`
and reads back only reductions (the compact attention, through the shared cache or
inline; head maps; contact scores; counts), never dense attention.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError, WorkerError
from ..lm.cache import AttentionCache
from ..lm.compact import CompactAttention
from ..lm.contract import StreamRequest, StreamResult
from .client import WorkerClient
from .protocol import decode_array

__all__ = [
    "RemoteFamily",
    "RemoteModel",
]


@dataclass(frozen=True)
class RemoteFamily:
    """What the core needs of a worker model's :class:`~protattn.lm.families.Family`."""

    name: str
    separator: str | None


def _chain_message(sequence: str, chain_id: str = "") -> dict[str, Any]:
    return {"id": chain_id, "sequence": sequence}


class RemoteModel:
    """A language model loaded in a worker: sizes here, every model run there.

    Made by :func:`protattn.compute.backend.get_model`; has the attributes of
    :class:`~protattn.lm.model.LanguageModel` the analyses read (``name``,
    ``model_id``, ``revision``, ``family``, ``n_layers``, ``n_heads``,
    ``max_residues``, ``device``).
    """

    def __init__(
        self,
        client: WorkerClient,
        requested: str,
        device: str | None,
        info: dict[str, Any],
        dtype: str | None = None,
    ) -> None:
        self.client = client
        self.requested, self.requested_device, self.requested_dtype = requested, device, dtype
        self.name: str = info["name"]
        self.model_id: str = info["model_id"]
        self.revision: str | None = info["revision"]
        self.family = RemoteFamily(info["family"], info["separator"])
        self.n_layers: int = int(info["n_layers"])
        self.n_heads: int = int(info["n_heads"])
        self.max_residues: int | None = info["max_residues"]
        self.device: str = info["device"]
        self.dtype: str = info.get("dtype") or "float32"

    def __repr__(self) -> str:
        return f"RemoteModel({self.name!r}, {self.client!r})"

    def _params(self, **more: Any) -> dict[str, Any]:
        return {
            "model": self.requested,
            "device": self.requested_device,
            "dtype": self.requested_dtype,
            **more,
        }

    def check_segments(self, segments: Sequence[str]) -> int:
        """Refuse chains run as one input that do not fit one pass.

        Parameters
        ----------
        segments : sequence of str
            The chains' sequences.

        Returns
        -------
        int
            Tokens of the joined input (:meth:`LanguageModel.check_segments` returns
            the token ids themselves).

        Raises
        ------
        SequenceTooLongError
            If they do not fit.
        """
        chains = [_chain_message(s) for s in segments]
        return self.client.request("check", self._params(chains=chains))["tokens"]

    def stream(
        self,
        sequences: Sequence[str],
        window: int | None,
        stride: int | None,
        request: StreamRequest,
        store: AttentionCache | None,
        key: str,
    ) -> StreamResult:
        """One streamed pass in the worker (:meth:`protattn.lm.contract.Model.stream`).

        The worker files the compact attention in ``store`` (None: it comes inline);
        only reductions cross: the compact attention, maps of the heads asked for,
        contact scores, counts, never the dense array.

        Raises
        ------
        WorkerError
            If the worker filed it under another key: the model it has loaded is no
            longer the one this host described (another revision or device).
        """
        if request.dense:
            raise ModelError(
                f"{self.name} runs in a worker, which never sends dense attention; load the "
                "model in this process (protattn.load_model) for the dense array, or ask for "
                "pairs, scores or statistics"
            )
        params = self._params(
            chains=[_chain_message(s) for s in sequences],
            window=window,
            stride=stride,
            cache=os.path.abspath(store.directory) if store else None,
            inline=store is None,
            request=request.to_message(),
        )
        reply = self.client.request("stream", params)
        if reply.get("key") != key:
            raise WorkerError(
                f"the worker filed the attention under another cache key than this host: its "
                f"{self.name} is not the one it described when loaded (another revision or "
                "device, e.g. after a restart); stop the worker (attention_worker stop=1 / "
                "attention worker stop true) and run the command again"
            )
        from_cache = bool(reply["from_cache"])
        compact = None
        if "compact" not in reply:
            assert store is not None  # without a store the worker sends it inline
            found = store.get(key)
            if found is not None:
                try:
                    compact = CompactAttention.from_arrays(found, key, from_cache)
                except ValueError:
                    compact = None
            if compact is None:  # removed or damaged since the worker wrote it: inline
                reply = self.client.request("stream", {**params, "inline": True})
                from_cache = False
        if compact is None:
            try:
                compact = CompactAttention.from_arrays(
                    {name: decode_array(a) for name, a in reply["compact"].items()}, key, from_cache
                )
            except (KeyError, ValueError) as e:
                raise WorkerError(
                    f"the worker sent attention this host cannot read ({e}); "
                    "host and worker run different protattn versions? stop the "
                    "worker and run the command again"
                ) from None
        specs = {str(s): s for s in request.head_maps}
        maps = {specs[name]: decode_array(a) for name, a in reply.get("head_maps", {}).items()}
        scores = reply.get("contact_scores")
        return StreamResult(
            compact,
            maps,
            None if scores is None else decode_array(scores),
            reply.get("counts"),
            filed=True,  # the worker filed it in the store, if it was given one
        )
