"""A survey's shards on a Ray cluster: one actor per worker, each holding the model once.

Each actor loads the model when it starts and counts whole shards with the same
:func:`~.run.count_shard` as a survey in one process; the driver hands one shard at
a time to each idle actor and writes each shard's file when its result comes back.
An actor that dies (its process killed, its node lost) is replaced and its shard
given to another: a shard's counts are only ever taken from one finished result, so
nothing is counted twice and the merged counts equal those of one process.

Why Ray and not Dask: the work is stateful (a model of hundreds of MB to 2.5 GB,
loaded once per worker and kept for thousands of chains), which Ray's actors are
made for, and Ray schedules GPUs as resources (``num_gpus`` per actor), so the same
survey spreads over a node's GPUs or a cluster's without code of its own. Dask's
strength, collections of arrays and data frames split into partitions, is not what a
survey needs: its results are a few KB of counts per shard.

``address`` is ``local`` (start a cluster in this process, for one machine),
``auto`` (the cluster this machine belongs to, ``ray start``) or an address
(``127.0.0.1:6379``, ``ray://host:10001``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import ProtattnError
from .run import ShardResult, SurveyPlan, count_shard

__all__ = ["ModelDescription", "describe_model", "shard_results", "connect"]

#: How often one shard is tried before the survey stops (its actors keep dying).
MAX_TRIES = 3


@dataclass(frozen=True)
class ModelDescription:
    """What a survey's plan needs to know of the model, asked of a worker."""

    name: str
    model_id: str
    revision: str | None
    n_layers: int
    n_heads: int
    max_residues: int | None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ProtattnError(
            "--ray needs Ray: pip install protattn[ray] (or run without --ray, in this process)"
        ) from None
    return ray


def connect(address: str) -> Any:
    """Join (or, for ``local``, start) the cluster; returns the ``ray`` module."""
    ray = _ray()
    if ray.is_initialized():
        return ray
    _check_reachable(address)
    try:
        if address == "local":
            ray.init(include_dashboard=False, logging_level="WARNING")
        else:
            ray.init(address=address, logging_level="WARNING")
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ProtattnError(
            f"cannot reach a Ray cluster at {address!r} ({e}); start one with "
            "'ray start --head' (a cluster with token authentication also needs its token "
            "here: RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH), or give --ray local for a "
            "cluster on this machine only"
        ) from e
    return ray


def _check_reachable(address: str) -> None:
    """Refuse at once a ``host:port`` nobody listens on (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    if address in ("local", "auto") or address.startswith("ray://") or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as e:
        raise ProtattnError(
            f"cannot reach a Ray cluster at {address!r} ({e.strerror or e}); start one with "
            "'ray start --head', or give --ray local for a cluster on this machine only"
        ) from e


class _Counter:
    """The actor: a model loaded once, shards counted one after another."""

    def __init__(self, model: str, device: str | None, threads: int | None) -> None:
        import torch

        from ..compute.backend import get_model

        if threads:
            torch.set_num_threads(threads)
        self.lm = get_model(model, device)

    def describe(self) -> ModelDescription:
        lm = self.lm
        return ModelDescription(
            lm.name, lm.model_id, lm.revision, lm.n_layers, lm.n_heads, lm.max_residues
        )

    def pid(self) -> int:
        return os.getpid()

    def count(
        self, plan: SurveyPlan, index: int, batch: bool, max_tokens: int | None
    ) -> ShardResult:
        return count_shard(self.lm, plan, index, batch, max_tokens)


_ACTORS: dict[tuple, list] = {}


def _actors(address: str, model: str, device: str | None, workers: int | None) -> list:
    """The survey's actors on the cluster (made once per model, device and size)."""
    ray = connect(address)
    key = (model, device, workers)
    if key not in _ACTORS:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = workers or max(cpus, 1)
        gpu = 1 if device and device.startswith("cuda") else 0
        remote = ray.remote(num_cpus=max(cpus // n, 1) if not gpu else 1, num_gpus=gpu)(_Counter)
        threads = max(cpus // n, 1)
        _ACTORS[key] = [remote.remote(model, device, threads) for _ in range(n)]
    return _ACTORS[key]


def _replace(address: str, model: str, device: str | None, workers: int | None, dead) -> Any:
    ray = connect(address)
    actors = _ACTORS[(model, device, workers)]
    cpus = int(ray.cluster_resources().get("CPU", 1))
    gpu = 1 if device and device.startswith("cuda") else 0
    n = len(actors)
    remote = ray.remote(num_cpus=max(cpus // n, 1) if not gpu else 1, num_gpus=gpu)(_Counter)
    fresh = remote.remote(model, device, max(cpus // n, 1))
    actors[actors.index(dead)] = fresh
    return fresh


def describe_model(
    model: str, device: str | None, address: str, workers: int | None = None
) -> ModelDescription:
    """The model as a worker of the cluster loaded it (its name, size and limit)."""
    ray = connect(address)
    actor = _actors(address, model, device, workers)[0]
    try:
        return ray.get(actor.describe.remote())
    except ray.exceptions.RayActorError as e:
        raise ProtattnError(f"the Ray workers could not load {model!r}: {e}") from e


def shard_results(
    plan: SurveyPlan,
    indices: list[int],
    address: str,
    device: str | None,
    workers: int | None,
    batch: bool,
    max_tokens: int | None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[ShardResult]:
    """Count ``indices`` of ``plan`` on the cluster; each shard's result as it comes.

    ``warn`` is called with a sentence when a worker dies and its shard is given again.

    Raises
    ------
    ProtattnError
        If one shard failed :data:`MAX_TRIES` times (its actor died each time), or a
        shard raised an error (a bug, not a lost worker: retrying would not help).
    """
    ray = connect(address)
    actors = _actors(address, plan.model, device, workers)
    shared = ray.put(plan)
    waiting = list(indices)
    tries: dict[int, int] = {}
    running: dict[Any, tuple[int, Any]] = {}  # object ref -> (shard, actor)
    idle = list(actors)
    while waiting or running:
        while waiting and idle:
            index, actor = waiting.pop(0), idle.pop(0)
            tries[index] = tries.get(index, 0) + 1
            running[actor.count.remote(shared, index, batch, max_tokens)] = (index, actor)
        ready, _ = ray.wait(list(running), num_returns=1)
        index, actor = running.pop(ready[0])
        try:
            result = ray.get(ready[0])
        except ray.exceptions.RayActorError:
            if tries[index] >= MAX_TRIES:
                raise ProtattnError(
                    f"shard {index} failed {MAX_TRIES} times (its Ray worker died each "
                    "time: out of memory?); the shards counted are kept, run again to resume"
                ) from None
            if warn is not None:
                warn(
                    f"a Ray worker died counting shard {index}; a new worker counts it "
                    f"(try {tries[index] + 1} of {MAX_TRIES})"
                )
            waiting.insert(0, index)
            idle.append(_replace(address, plan.model, device, workers, actor))
            continue
        except ray.exceptions.RayTaskError as e:
            raise ProtattnError(f"shard {index} failed on a Ray worker: {e}") from e
        idle.append(actor)
        yield result
