"""A survey: the per-head statistics of a set of chains, in shards that are checkpointed.

The inputs' units (:mod:`.inputs`) are cut into shards of ``shard_size`` in their
order. Each shard is counted whole, into a :class:`~protattn.analysis.tally.Tally`
(per definition and property) and a list of rejects, and written to
``DIR/shards/NNNNNN.npz`` in one atomic step; the manifest ``DIR/survey.json`` holds
everything that decides the counts (model, θ, properties, labels, inputs). Run again
with the same ``DIR``, a survey counts only the shards not yet written, so after
Ctrl-C, SIGKILL or a lost node it ends with exactly the counts of an uninterrupted
run: shards are counted once each and tallies merge exactly in any order.

Shards run here (:func:`count_shard`, one process, chains batched by length) or on a
Ray cluster (:mod:`.cluster`), with the same code per shard.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.tally import Tally, save_arrays
from ..api.stats import PAPER_MAX_RESIDUES, property_names
from ..errors import ProtattnError
from ..lm.contract import Model
from ..lm.counts import DEFINITIONS, ChainCounter, CountSpec
from .inputs import Reject, Unit, Work, read_units, survey_units, table_labels

__all__ = [
    "MANIFEST",
    "SurveyPlan",
    "ShardResult",
    "shard_ranges",
    "count_shard",
    "plan_survey",
    "run_shards",
    "load_shards",
    "survey",
    "SurveyResult",
]

MANIFEST = "survey.json"
SHARDS = "shards"
_VERSION = 1


@dataclass(frozen=True)
class SurveyPlan:
    """Everything that decides a survey's counts (its manifest); sent to every worker.

    Attributes
    ----------
    model : str
        The model as named (a short name, a Hub id or a directory).
    model_id, revision : str
        What it resolved to.
    n_layers, n_heads, max_residues : int
    threshold : float
    definitions : tuple of str
    properties : tuple of str, optional
        As asked (None: every property the inputs support).
    labels : dict
        Per table, its label columns and their property names.
    min_separation : int
    site_kinds : tuple of str
    max_length : int, optional
        Chains longer than this are rejected (None: none is).
    shard_size : int
    units : tuple of Unit
    fingerprint : str
        Of the units and their files' sizes and times: a changed input is noticed.
    """

    model: str
    model_id: str
    revision: str | None
    n_layers: int
    n_heads: int
    max_residues: int | None
    threshold: float
    definitions: tuple[str, ...]
    properties: tuple[str, ...] | None
    labels: Mapping[str, Mapping[str, str]]
    min_separation: int
    site_kinds: tuple[str, ...]
    max_length: int | None
    shard_size: int
    units: tuple[Unit, ...] = field(repr=False)
    fingerprint: str = ""

    @property
    def n_shards(self) -> int:
        return len(shard_ranges(len(self.units), self.shard_size))

    def manifest(self) -> dict[str, Any]:
        """JSON-ready: what must match for a checkpointed shard to be used again."""
        document = asdict(self)
        document.pop("units")
        document["n_units"] = len(self.units)
        document["labels"] = {k: dict(v) for k, v in self.labels.items()}
        document["version"] = _VERSION
        return document

    def shard(self, index: int) -> tuple[Unit, ...]:
        start, stop = shard_ranges(len(self.units), self.shard_size)[index]
        return self.units[start:stop]

    def paper_limit(self) -> int:
        """Residues the paper's definition keeps of a chain (510, or the model's limit)."""
        return min(PAPER_MAX_RESIDUES, self.max_residues or PAPER_MAX_RESIDUES)


def shard_ranges(n_units: int, shard_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each shard of ``n_units`` units.

    >>> shard_ranges(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, not {shard_size}")
    return [(s, min(s + shard_size, n_units)) for s in range(0, n_units, shard_size)]


def _fingerprint(units: Sequence[Unit]) -> str:
    digest = hashlib.sha256()
    seen: set[str] = set()
    for unit in units:
        digest.update(f"{unit.path}\0{unit.row}\n".encode())
        if unit.path not in seen:
            seen.add(unit.path)
            try:
                info = os.stat(unit.path)
                digest.update(f"{info.st_size}:{info.st_mtime_ns}\n".encode())
            except OSError:
                digest.update(b"missing\n")  # rejected when its shard is read
    return digest.hexdigest()


def plan_survey(
    inputs: Sequence[str],
    lm: Model,
    model: str,
    *,
    properties: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    definitions: Sequence[str] = DEFINITIONS,
    threshold: float = 0.3,
    min_separation: int = 6,
    site_kinds: Sequence[str] = ("ligand",),
    max_length: int | None = None,
    shard_size: int = 64,
) -> SurveyPlan:
    """The plan of a survey of ``inputs`` (see :class:`SurveyPlan`); checks every option.

    Raises
    ------
    ProtattnError
        For inputs that hold nothing, a table without sequences or with a missing
        label column, an unknown property or definition.
    """
    unknown = [d for d in definitions if d not in DEFINITIONS]
    if unknown or not definitions:
        raise ProtattnError(
            f"definitions must be among {', '.join(DEFINITIONS)}, "
            f"not {', '.join(unknown) or 'none'}"
        )
    if properties is not None:
        property_names(properties)  # unknown names say so now
    if shard_size < 1:
        raise ProtattnError(f"the shard size must be at least 1, not {shard_size}")
    if max_length is not None and max_length < 1:
        raise ProtattnError(f"the maximum length must be at least 1, not {max_length}")
    units = tuple(survey_units(inputs))
    tables = sorted({u.path for u in units if u.row is not None})
    return SurveyPlan(
        model=model,
        model_id=lm.model_id,
        revision=lm.revision,
        n_layers=lm.n_layers,
        n_heads=lm.n_heads,
        max_residues=lm.max_residues,
        threshold=float(threshold),
        definitions=tuple(dict.fromkeys(definitions)),
        properties=None if properties is None else tuple(properties),
        labels={t: table_labels(t, labels) for t in tables},
        min_separation=int(min_separation),
        site_kinds=tuple(site_kinds),
        max_length=max_length,
        shard_size=int(shard_size),
        units=units,
        fingerprint=_fingerprint(units),
    )


# --------------------------------------------------------------------------- one shard
@dataclass
class ShardResult:
    """One shard's counts: its tally, rejects, and how many chains and units it held."""

    index: int
    tally: Tally
    rejects: list[Reject]
    n_chains: int
    n_units: int
    seconds: float = 0.0

    def save(self, path: str | os.PathLike) -> Path:
        """Write it to ``path`` in one atomic step (a reader never sees part of it)."""
        arrays = self.tally.to_arrays()
        arrays["shard"] = np.array(
            json.dumps(
                {
                    "index": self.index,
                    "rejects": [r.row() for r in self.rejects],
                    "n_chains": self.n_chains,
                    "n_units": self.n_units,
                    "seconds": self.seconds,
                }
            )
        )
        return save_arrays(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ShardResult:
        """The shard saved at ``path``; ValueError if it is damaged."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                meta = json.loads(str(arrays["shard"]))
                tally = Tally.from_arrays(arrays)
            return cls(
                int(meta["index"]),
                tally,
                [Reject(r["source"], r["name"], r["reason"]) for r in meta["rejects"]],
                int(meta["n_chains"]),
                int(meta["n_units"]),
                float(meta.get("seconds", 0.0)),
            )
        except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path} is not a readable shard: {e}") from e


def _jobs(plan: SurveyPlan, work: Work) -> tuple[list[tuple[str, dict]], list[dict]]:
    """What to count of one chain: one-pass jobs (sequence, {definition: masks}) and the
    judged definition's windowed chains (whole masks) where the chain is too long."""
    limit = plan.paper_limit()
    fits = plan.max_residues is None or len(work.sequence) <= plan.max_residues
    passes: dict[str, dict] = {}
    windowed: list[dict] = []
    if "paper" in plan.definitions:
        if len(work.sequence) > limit:
            cut = {name: mask.truncated(limit) for name, mask in work.masks.items()}
            passes[work.sequence[:limit]] = {"paper": cut}
        else:
            passes[work.sequence] = {"paper": dict(work.masks)}
    if "judged" in plan.definitions:
        if fits:
            passes.setdefault(work.sequence, {})["judged"] = dict(work.masks)
        else:
            windowed.append(dict(work.masks))
    return list(passes.items()), windowed


def count_shard(
    lm: Model,
    plan: SurveyPlan,
    index: int,
    batch: bool = True,
    max_tokens: int | None = None,
) -> ShardResult:
    """Count shard ``index`` of ``plan`` with ``lm`` (a model in this process).

    Chains that fit one pass are counted for every definition from one pass, batched
    by length (:func:`protattn.lm.batch.batch_counts`) unless ``batch`` is False; a
    chain longer than the model's input is cut to the paper's limit for the paper's
    definition and windowed for the judged one. Nothing is cached on disk: the shard
    file is the survey's record.
    """
    from ..lm.inference import chain_counts

    started = time.perf_counter()
    units = plan.shard(index)
    tally = Tally(plan.n_layers, plan.n_heads, plan.threshold)
    rejects: list[Reject] = []
    jobs: list[tuple[str, dict]] = []
    windowed: list[tuple[str, dict]] = []
    n_chains = 0
    for item in read_units(
        units, plan.properties, plan.labels, plan.min_separation, plan.site_kinds
    ):
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        if plan.max_length is not None and len(item.sequence) > plan.max_length:
            rejects.append(
                Reject(
                    item.source,
                    item.name,
                    f"{len(item.sequence)} residues is longer than the survey's maximum "
                    f"{plan.max_length} (--max-length)",
                )
            )
            continue
        n_chains += 1
        passes, long = _jobs(plan, item)
        jobs.extend(passes)
        windowed.extend((item.sequence, masks) for masks in long)
    specs = {d: CountSpec(plan.n_layers, plan.n_heads, plan.threshold, d) for d in DEFINITIONS}
    from ..lm.model import LanguageModel

    if batch and jobs and isinstance(lm, LanguageModel):  # a model in a worker: one by one
        from ..lm.batch import CountJob, batch_counts

        options = {} if max_tokens is None else {"max_tokens": max_tokens}
        results = batch_counts(lm, [CountJob(s, m) for s, m in jobs], plan.threshold, **options)
    else:
        results = [
            {
                d: chain_counts(lm, sequence, d, plan.threshold, masks, cache=False)
                for d, masks in per_definition.items()
            }
            for sequence, per_definition in jobs
        ]
    for result in results:
        for definition, message in result.items():
            tally.add(definition, ChainCounter.from_message(specs[definition], message))
    for sequence, masks in windowed:
        message = chain_counts(lm, sequence, "judged", plan.threshold, masks, cache=False)
        tally.add("judged", ChainCounter.from_message(specs["judged"], message))
    return ShardResult(index, tally, rejects, n_chains, len(units), time.perf_counter() - started)


# --------------------------------------------------------------------------- the whole
def _manifest_path(out: Path) -> Path:
    return out / MANIFEST


def _shard_path(out: Path, index: int) -> Path:
    return out / SHARDS / f"{index:06d}.npz"


def prepare_directory(out: str | os.PathLike, plan: SurveyPlan, restart: bool = False) -> Path:
    """Make ``out`` the survey's folder: its manifest written, or the same one found.

    Raises
    ------
    ProtattnError
        If ``out`` holds a survey of other settings or inputs (``restart`` clears it),
        or is not a folder that can be written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ProtattnError(f"{out} is a file; give a folder for the survey (-o DIR)")
    manifest = json.loads(json.dumps(plan.manifest()))  # as read back: lists, not tuples
    path = _manifest_path(out)
    if path.exists() and not restart:
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ProtattnError(
                f"{path} is unreadable ({e}); give another folder or --restart"
            ) from e
        if found != manifest:
            changed = sorted(
                k for k in set(found) | set(manifest) if found.get(k) != manifest.get(k)
            )
            raise ProtattnError(
                f"{out} holds a survey of other settings or inputs (differing: "
                f"{', '.join(changed)}); give another folder, or --restart to count it afresh"
            )
    if restart and (out / SHARDS).exists():
        shutil.rmtree(out / SHARDS)
    try:
        (out / SHARDS).mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        os.replace(temporary, path)
    except OSError as e:
        raise ProtattnError(f"cannot write the survey's folder {out}: {e.strerror or e}") from e
    return out


def done_shards(out: Path, plan: SurveyPlan, warn: Callable[[str], None] | None = None) -> set[int]:
    """Shards of ``plan`` already counted in ``out`` (a damaged file is counted again)."""
    done = set()
    for index in range(plan.n_shards):
        path = _shard_path(out, index)
        if not path.exists():
            continue
        try:
            result = ShardResult.load(path)
            if result.index != index or result.n_units != len(plan.shard(index)):
                raise ValueError("it is of another shard")
        except ValueError as e:
            if warn is not None:
                warn(f"shard {index} is counted again: {e}")
            path.unlink(missing_ok=True)
            continue
        done.add(index)
    for stale in (out / SHARDS).glob(".*.tmp"):  # a write cut off by a kill
        stale.unlink(missing_ok=True)
    return done


class Progress:
    """Chains and shards done, chains/s and the time left, on standard error (tqdm)."""

    def __init__(self, plan: SurveyPlan, done: int, quiet: bool = False) -> None:
        self.bar = None
        self.chains = 0
        self.started = time.perf_counter()
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(
                total=len(plan.units),
                initial=sum(len(plan.shard(i)) for i in range(done)) if done else 0,
                unit="input",
                file=sys.stderr,
                desc="survey",
                dynamic_ncols=True,
            )

    def update(self, result: ShardResult) -> None:
        self.chains += result.n_chains
        if self.bar is not None:
            rate = self.chains / max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(
                f"{rate:.2f} chains/s, {len(result.rejects)} rejected in shard"
            )
            self.bar.update(result.n_units)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_shards(
    out: Path,
    plan: SurveyPlan,
    todo: Iterable[int],
    results: Callable[[list[int]], Iterator[ShardResult]],
    quiet: bool = False,
    n_done: int = 0,
) -> int:
    """Count the shards ``todo`` with ``results`` (here or on a cluster), writing each
    shard's file as it comes; returns how many were counted."""
    todo = list(todo)
    progress = Progress(plan, n_done, quiet)
    counted = 0
    try:
        for result in results(todo):
            result.save(_shard_path(out, result.index))
            progress.update(result)
            counted += 1
    finally:
        progress.close()
    return counted


def load_shards(out: Path, plan: SurveyPlan) -> tuple[Tally, list[Reject], int]:
    """Every shard's tally merged, the rejects in input order, and the chains counted.

    Raises
    ------
    ProtattnError
        If a shard is missing or damaged (run the survey again to count it).
    """
    total = Tally(plan.n_layers, plan.n_heads, plan.threshold)
    rejects: list[Reject] = []
    chains = 0
    for index in range(plan.n_shards):
        try:
            result = ShardResult.load(_shard_path(out, index))
        except ValueError as e:
            raise ProtattnError(
                f"shard {index} of {out} is missing or damaged ({e}); run again"
            ) from e
        total.merge(result.tally)
        rejects.extend(result.rejects)
        chains += result.n_chains
    return total, rejects, chains


@dataclass
class SurveyResult:
    """A finished survey: its merged counts, rejects, and the files written."""

    out: Path
    plan: SurveyPlan
    tally: Tally
    rejects: list[Reject]
    n_chains: int
    counted: int
    outputs: Any = None

    def statistics(self, definition: str = "paper", min_arcs: int | None = None):
        """The :class:`~protattn.analysis.results.HeadStatistics` of ``definition``."""
        from ..lm.counts import DEFAULT_MIN_ARCS

        return self.tally.statistics(definition, DEFAULT_MIN_ARCS if min_arcs is None else min_arcs)


def survey(
    inputs: Sequence[str],
    out: str | os.PathLike,
    model: str = "antiberty",
    *,
    properties: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    definitions: Sequence[str] = DEFINITIONS,
    threshold: float = 0.3,
    min_arcs: int | None = None,
    min_separation: int = 6,
    site_kinds: Sequence[str] = ("ligand",),
    max_length: int | None = None,
    shard_size: int = 64,
    batch: bool = True,
    max_tokens: int | None = None,
    device: str | None = None,
    ray: str | None = None,
    workers: int | None = None,
    restart: bool = False,
    figures: bool = True,
    quiet: bool = False,
    warn: Callable[[str], None] | None = None,
) -> SurveyResult:
    """Survey ``inputs`` into the folder ``out``; resume what an earlier run left there.

    Parameters
    ----------
    inputs : sequence of str
        Tables of sequences with labels, structure files, directories, ``@list`` files
        (:func:`.inputs.survey_units`).
    out : path
        The survey's folder: manifest, shards, and the outputs (:mod:`.outputs`).
    model : str
        Short name, Hub id or directory.
    properties, labels
        Structure properties (default all) and table label columns
        (``{column: property}``; default those named ``*_label_string``/``*_labels``).
    definitions : sequence of str
        ``paper`` and/or ``judged`` (default both).
    threshold, min_arcs, min_separation, site_kinds
        As for :func:`protattn.api.stats.head_statistics`.
    max_length : int, optional
        Reject chains longer than this.
    shard_size : int
        Inputs per shard (the unit of checkpoint and of work on a cluster).
    batch, max_tokens
        Batch chains by length (:func:`protattn.lm.batch.batch_counts`).
    device : str, optional
    ray : str, optional
        ``auto`` or a cluster's address: count the shards on Ray (:mod:`.cluster`).
    workers : int, optional
        Ray actors, each holding the model once (default: the cluster's CPUs).
    restart : bool
        Clear ``out``'s shards and count everything again.
    figures : bool
    quiet : bool
        No progress bar.
    warn : callable, optional
        Called with a sentence for each shard counted again (a damaged file, a Ray
        worker lost).

    Returns
    -------
    SurveyResult
    """
    from ..compute.backend import get_model
    from ..lm.counts import DEFAULT_MIN_ARCS
    from .outputs import write_outputs

    min_arcs = DEFAULT_MIN_ARCS if min_arcs is None else int(min_arcs)
    if ray is None:
        lm: Any = get_model(model, device)
        describe = lm
    else:
        from .cluster import describe_model

        lm = None
        describe = describe_model(model, device, ray, workers)
    plan = plan_survey(
        inputs,
        describe,
        model,
        properties=properties,
        labels=labels,
        definitions=definitions,
        threshold=threshold,
        min_separation=min_separation,
        site_kinds=site_kinds,
        max_length=max_length,
        shard_size=shard_size,
    )
    folder = prepare_directory(out, plan, restart)
    done = done_shards(folder, plan, warn)
    todo = [i for i in range(plan.n_shards) if i not in done]
    if ray is None:

        def results(indices: list[int]) -> Iterator[ShardResult]:
            for index in indices:
                yield count_shard(lm, plan, index, batch, max_tokens)

    else:
        from .cluster import shard_results

        def results(indices: list[int]) -> Iterator[ShardResult]:
            return shard_results(plan, indices, ray, device, workers, batch, max_tokens, warn)

    counted = run_shards(folder, plan, todo, results, quiet, n_done=len(done)) if todo else 0
    tally, rejects, n_chains = load_shards(folder, plan)
    outputs = write_outputs(folder, tally, rejects, model, min_arcs, figures)
    return SurveyResult(folder, plan, tally, rejects, n_chains, counted, outputs)
