"""Probing by layer on the structures at hand: what each layer of a model knows.

For every chain the model's hidden states (every layer, and the input embeddings
as layer 0) are taken in one pass, and its attention in a streamed pass of the engine
(:func:`protattn.lm.inference.chain_attention`, which files the chain's compact
attention in the cache); the labels come from the
structure (:mod:`protattn.structure`): the paper's four secondary-structure
classes, binding sites (a heavy atom within 4 Å of a ligand's) and Cβ contacts
(< 8 Å, ``|i - j| ≥ 6``). The chains are split into training and test chains
(chains of the same sequence on one side) and
:func:`protattn.analysis.probing.probe_layers` fits and judges a probe per task
and layer.

Memory: the training chains' features are kept until the probes are fitted
(``(layers + 1) × residues × d`` floats for the residue tasks; sampled pairs
only for contacts), and the test chains' pair features for every candidate pair
(``layers × L²/2 × 2·heads`` floats per chain): fine for antibodies and domains,
heavy for a large model on long chains.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..analysis.probing import (
    TASKS,
    ChainExamples,
    ProbeResult,
    candidate_pairs,
    pair_features,
    probe_layers,
    residue_examples,
    split_chains,
    training_pairs,
)
from ..compute.backend import get_model
from ..errors import ModelError, ProtattnError, StructureError
from ..lm.contract import Model
from ..lm.inference import chain_attention
from ..structure.dssp import secondary_structure
from ..structure.model import Chain, Structure
from ..structure.properties import contact_map
from ..structure.sites import binding_sites, site_mask
from ..words import plural
from .stats import PAPER_MAX_RESIDUES, SS_CLASSES, ChainProgress, unknown_only_note

__all__ = ["probe_structures", "task_names"]

_CLASS_INDEX = {letter: k for k, letter in enumerate(SS_CLASSES.values())}


def task_names(tasks: str | Sequence[str] | None) -> tuple[str, ...]:
    """Validate task names (``secondary_structure``, ``binding_site``, ``contact``; or all).

    Examples
    --------
    >>> task_names("contact,secondary_structure")
    ('secondary_structure', 'contact')
    """
    if tasks is None or tasks == "all" or list(tasks) == ["all"]:
        return TASKS
    if isinstance(tasks, str):
        tasks = [t for t in tasks.replace(",", " ").split() if t]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise ProtattnError(
            f"unknown task {', '.join(map(repr, unknown)) or '(none given)'}; choose from "
            f"{', '.join(TASKS)}, or all"
        )
    return tuple(t for t in TASKS if t in tasks)


def _labels(
    structure: Structure, chain: Chain, tasks: Sequence[str], sites: list | None
) -> dict[str, np.ndarray]:
    """Per-residue labels (-1 unknown) and the contact map, over the whole chain."""
    valid = chain.observed & ~np.isnan(chain.cb).any(axis=1)
    labels: dict[str, np.ndarray] = {"valid": valid}
    if "secondary_structure" in tasks:
        ss = secondary_structure(chain, structure)
        labels["secondary_structure"] = np.array([_CLASS_INDEX.get(c, -1) for c in ss], dtype=int)
    if "binding_site" in tasks:
        mask = site_mask(chain, sites or [])
        labels["binding_site"] = np.where(chain.observed, mask.astype(int), -1)
    if "contact" in tasks:
        labels["contact"] = contact_map(chain, 8.0, 6)
    return labels


def probe_structures(
    structures: Iterable[Structure],
    model: str | Model = "antiberty",
    tasks: str | Sequence[str] | None = TASKS,
    held_out: float = 0.25,
    seed: int = 0,
    chains: Sequence[str] | None = None,
    device: str | None = None,
    dtype: str | None = None,
    negatives: float = 5.0,
    average: str = "pooled",
    resamples: int = 1000,
    progress: Callable[[ChainProgress], None] | None = None,
) -> ProbeResult:
    """Train and judge a diagnostic classifier per layer on a set of structures.

    See :mod:`protattn.analysis.probing` for the probes and metrics: accuracy over
    residues for secondary structure (4 classes), precision at L/20 for binding
    sites (both on hidden states, layer 0 the embeddings), precision at L/5 for
    contacts (on attention, both directions of every head; from layer 1), pooled
    over test chains with a bootstrap interval over test chains.

    Parameters
    ----------
    structures : iterable of Structure
    model : str or Model
        A name for :func:`protattn.compute.backend.get_model`, or a model it returned;
        it must run here (hidden states are not sent by a worker).
    tasks : str or sequence of str, optional
        See :func:`task_names`; default all three.
    held_out : float
        The share of chains (counted by distinct sequence) to test on.
    seed : int
        Seeds the split, the non-contacts drawn for training and the bootstrap.
    chains : sequence of str, optional
        Chain ids to use in every structure (default: all protein chains).
    device, dtype : str, optional
        Where and at what precision a model named by ``model`` runs.
    negatives : float
        Non-contacts per contact drawn from each training chain.
    average : {"pooled", "mean"}
        How test chains are combined (see :func:`~protattn.analysis.probing.probe_layers`).
    resamples : int
        Bootstrap resamples.
    progress : callable, optional
        Called with a :class:`~protattn.api.stats.ChainProgress` after each chain's pass.

    Chains longer than the model's input are cut, as the paper's code cuts them, to
    their first :data:`~protattn.api.stats.PAPER_MAX_RESIDUES` residues (or the
    model's limit if smaller), labels with them; the result's notes list them.

    Returns
    -------
    ProbeResult

    Raises
    ------
    ProtattnError
        For an unknown task, fewer than two distinct chains, or a model that cannot
        give hidden states and attention here (a worker's model).
    """
    names = task_names(tasks)
    lm = get_model(model, device, dtype) if isinstance(model, str) else model
    need = (["hidden_states"] if set(names) - {"contact"} else []) + (
        ["attention"] if "contact" in names else []
    )
    missing = [m for m in need if not callable(getattr(lm, m, None))]
    if missing:
        raise ModelError(
            f"{lm.name} gives no {' or '.join(m.replace('_', ' ') for m in missing)} here "
            "(it runs in a worker): probing needs the model in this Python, with torch "
            "(unset PROTATTN_PYTHON, or run protattn probe from a Python with torch)"
        )
    structures = list(structures)
    chosen = [(s, c) for s in structures for c in s.chains if chains is None or c.id in chains]
    todo = [(s, c) for s, c in chosen if not set(c.sequence) <= {"X"}]
    unknown = [unknown_only_note(f"{s.name} {c.id}") for s, c in chosen if set(c.sequence) <= {"X"}]
    if not todo:
        raise StructureError(
            "none of the structures has a protein chain to probe"
            + (f" among chains {', '.join(chains)}" if chains else "")
        )
    limit = min(PAPER_MAX_RESIDUES, lm.max_residues or PAPER_MAX_RESIDUES)
    _, test_index = split_chains([c.sequence[:limit] for _, c in todo], held_out, seed)
    testing = set(test_index.tolist())
    rng = np.random.default_rng(seed)
    examples: dict[str, tuple[list[ChainExamples], list[ChainExamples]]] = {
        t: ([], []) for t in names
    }
    notes: list[str] = []
    site_cache: dict[int, list] = {}
    started = time.perf_counter()
    for done, (structure, chain) in enumerate(todo, 1):
        name = f"{structure.name} {chain.id}"
        if "binding_site" in names and id(structure) not in site_cache:
            site_cache[id(structure)] = binding_sites(structure, 4.0, kinds=("ligand",))
        labels = _labels(structure, chain, names, site_cache.get(id(structure)))
        sequence = chain.sequence
        if len(sequence) > limit:
            notes.append(
                f"{name}: {len(sequence)} → {limit} residues: cut to the model's input, as "
                "the paper's code cuts it"
            )
            sequence = sequence[:limit]
        n = len(sequence)
        side = 1 if done - 1 in testing else 0
        lm_any: Any = lm
        if set(names) - {"contact"}:
            states = lm_any.hidden_states(sequence)
            for task in ("secondary_structure", "binding_site"):
                if task in names:
                    features, y = residue_examples(states, labels[task][:n])
                    k = round(len(y) / 20) if task == "binding_site" else 0
                    examples[task][side].append(ChainExamples(name, features, y, k))
            del states
        if "contact" in names:
            # through the engine: streamed, and the run's compact attention filed in the
            # cache, so drawing this chain's pairs afterwards runs nothing again
            attention = chain_attention(lm, sequence, memory=False).attention
            valid, contacts = labels["valid"][:n], labels["contact"][:n, :n]
            if side == 0:
                pairs, y = training_pairs(contacts, valid, 6, negatives, rng)
            else:
                pairs = candidate_pairs(valid, 6)
                y = contacts[pairs[:, 0], pairs[:, 1]].astype(int)
            examples["contact"][side].append(
                ChainExamples(name, pair_features(attention, pairs), y, round(n / 5))
            )
            del attention
        if progress is not None:
            progress(ChainProgress(done, len(todo), name, time.perf_counter() - started))
    probes = tuple(
        probe_layers(
            task,
            *examples[task],
            first_layer=1 if task == "contact" else 0,
            seed=seed,
            average=average,
            resamples=resamples,
        )
        for task in names
    )
    if "contact" in names:
        notes.append("contact probes start at layer 1: the embeddings (layer 0) have no attention")
    level = f"95% percentile bootstrap over test chains, {plural(resamples, 'resample')}"
    return ProbeResult(
        probes,
        tuple(f"{s.name} {c.id}" for k, (s, c) in enumerate(todo) if k not in testing),
        tuple(f"{s.name} {c.id}" for k, (s, c) in enumerate(todo) if k in testing),
        model=lm.name,
        interval=level,
        notes=tuple(notes + unknown),
    )
