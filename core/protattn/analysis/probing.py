"""Probing by layer: a diagnostic classifier per layer, trained on some chains, judged on others.

What a layer "knows" is measured as in the paper (Vig et al. 2021, section 5): a
linear classifier is trained on that layer's output alone and evaluated on chains
it never saw. Here it is a logistic regression (scikit-learn, lbfgs, features
standardised on the training examples) per task and layer:

- ``secondary_structure``: each residue's hidden state (``d`` features) to the
  paper's four classes (helix, strand, turn/bend, other); **accuracy** over every
  observed residue of the test chains (micro). Layer 0 is the input embeddings.
- ``binding_site``: each residue's hidden state to binding site or not;
  **precision at L/20**: among each test chain's ``round(n/20)`` highest-scored
  observed residues (``n`` of them), the share that are binding sites.
- ``contact``: each pair's attention, ``a[l, h, i, j]`` and ``a[l, h, j, i]`` for
  every head ``h`` (``2·heads`` features), to contact or not; **precision at L/5**:
  among each test chain's ``round(L/5)`` highest-scored pairs (``|i - j| ≥ 6``, both
  residues observed, each pair once, ``L`` the chain's length), the share in contact.
  There is no layer 0: the embeddings have no attention.

Precision at k is pooled over test chains as the paper's public code pools it
(``precision_at_ks`` there): the hits in every chain's top k over the sum of the
k's; accuracy is pooled over residues likewise. ``average="mean"`` takes the mean
of the per-chain values instead. Intervals are percentile bootstraps over test
chains (seeded): a chain is the unit that is sampled, not a residue or a pair.

Training for contacts takes every contact pair of a training chain and a seeded
sample of its non-contacts (at most ``negatives`` times as many); evaluation scores
every candidate pair of the test chains.

Where the paper's code differs: it probes secondary structure one class against
the rest, reported as F1, and ranks contact pairs over the full ``L × L`` matrix,
where each pair appears twice; here one four-class probe is reported as accuracy,
and each pair counts once.

Everything here is numpy in, numpy out; scikit-learn is imported when a probe is
fitted (``pip install scikit-learn``, or ``protattn[probe]``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ProtattnError

__all__ = [
    "TASKS",
    "METRICS",
    "ChainExamples",
    "LayerScore",
    "TaskProbe",
    "ProbeResult",
    "split_chains",
    "residue_examples",
    "candidate_pairs",
    "training_pairs",
    "pair_features",
    "top_k_hits",
    "probe_layers",
]

#: The tasks, in the order they are reported.
TASKS = ("secondary_structure", "binding_site", "contact")

#: Each task's metric, as written in tables and on axes.
METRICS = {
    "secondary_structure": "accuracy (4 classes)",
    "binding_site": "precision at L/20",
    "contact": "precision at L/5",
}

#: The divisor of L in each precision-at-k task.
_K_DIVISOR = {"binding_site": 20, "contact": 5}

AVERAGES = ("pooled", "mean")


def _sklearn() -> Any:
    """scikit-learn's pieces the probes use, or an error that says how to install it."""
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from threadpoolctl import threadpool_limits
    except ImportError as e:
        raise ProtattnError(
            "probing needs scikit-learn: pip install scikit-learn (or pip install "
            "'protattn[probe]')"
        ) from e
    return LogisticRegression, StandardScaler, make_pipeline, ConvergenceWarning, threadpool_limits


# ------------------------------------------------------------------------- the split


def split_chains(
    keys: Sequence[str], held_out: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Chains to train on and chains to test on; no chain (and no key) in both.

    Chains with the same key (e.g. the same sequence, as the two copies of a chain
    in an asymmetric unit) always fall on the same side, so a test chain is never
    one the probe was trained on. ``round(held_out · groups)`` groups are held out,
    at least one and at most all but one.

    Parameters
    ----------
    keys : sequence of str
        One per chain: what makes two chains the same.
    held_out : float
        The share of groups to test on, in (0, 1).
    seed : int
        The permutation's seed: the same keys and seed give the same split.

    Returns
    -------
    train, test : numpy.ndarray
        Indices into ``keys``, ``shape=(n,), dtype=int``, sorted.

    Raises
    ------
    ProtattnError
        If ``held_out`` is not in (0, 1), or there are fewer than two groups.

    Examples
    --------
    >>> train, test = split_chains(["A", "B", "A", "C"], held_out=0.25, seed=0)
    >>> sorted(train.tolist() + test.tolist())
    [0, 1, 2, 3]
    >>> bool({0, 2} <= set(train.tolist()) or {0, 2} <= set(test.tolist()))
    True
    """
    if isinstance(held_out, bool) or not (
        isinstance(held_out, (int, float)) and 0.0 < held_out < 1.0
    ):
        raise ProtattnError(
            f"the held-out share must be a number above 0 and below 1 (e.g. 0.25), not {held_out!r}"
        )
    groups = list(dict.fromkeys(keys))
    if len(groups) < 2:
        raise ProtattnError(
            f"probing needs at least 2 different chains (one to train on, one to test "
            f"on), not {len(groups)}"
            + (f" (of {len(keys)} chains, with identical sequences)" if len(keys) > 1 else "")
            + "; give more structures"
        )
    n_test = min(len(groups) - 1, max(1, round(held_out * len(groups))))
    order = np.random.default_rng(seed).permutation(len(groups))
    tested = {groups[k] for k in order[:n_test]}
    test = np.array([k for k, key in enumerate(keys) if key in tested], dtype=int)
    train = np.array([k for k, key in enumerate(keys) if key not in tested], dtype=int)
    return train, test


# --------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class ChainExamples:
    """One chain's examples for one task, at every layer.

    Attributes
    ----------
    name : str
        The chain (``"1vfb A"``).
    features : numpy.ndarray
        ``shape=(layers, n, f), dtype=float32``: example ``k``'s features at each layer.
    labels : numpy.ndarray
        ``shape=(n,), dtype=int``: a class index (secondary structure) or 0/1.
    k : int
        For precision at k: how many of the chain's top-scored examples are judged
        (``round(L/5)`` pairs, ``round(n/20)`` residues); 0 for accuracy.
    """

    name: str
    features: np.ndarray
    labels: np.ndarray
    k: int = 0

    def __post_init__(self) -> None:
        if self.features.ndim != 3 or self.features.shape[1] != len(self.labels):
            raise ProtattnError(
                f"{self.name}: features of shape {self.features.shape} do not match "
                f"{len(self.labels)} labels; give shape=(layers, n, features)"
            )


def residue_examples(states: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The residues with a label, and their hidden states at every layer.

    Parameters
    ----------
    states : numpy.ndarray
        ``shape=(layers + 1, L, d)`` (:meth:`protattn.lm.model.LanguageModel.hidden_states`).
    labels : numpy.ndarray
        ``shape=(L,), dtype=int``; negative where unknown (an unobserved residue).

    Returns
    -------
    features : numpy.ndarray
        ``shape=(layers + 1, n, d), dtype=float32``.
    labels : numpy.ndarray
        ``shape=(n,), dtype=int``.

    Examples
    --------
    >>> f, y = residue_examples(np.zeros((2, 3, 4)), np.array([1, -1, 0]))
    >>> f.shape, y.tolist()
    ((2, 2, 4), [1, 0])
    """
    labels = np.asarray(labels)
    if states.ndim != 3 or states.shape[1] != len(labels):
        raise ProtattnError(
            f"hidden states of shape {states.shape} do not match {len(labels)} residues; "
            "give shape=(layers + 1, L, d)"
        )
    known = labels >= 0
    return np.ascontiguousarray(states[:, known], dtype=np.float32), labels[known].astype(int)


def candidate_pairs(valid: np.ndarray, min_separation: int = 6) -> np.ndarray:
    """The pairs a contact is judged on: ``i < j``, ``j - i >= min_separation``, both valid.

    Parameters
    ----------
    valid : numpy.ndarray
        ``shape=(L,), dtype=bool``: observed residues (with a Cβ, real or virtual).
    min_separation : int

    Returns
    -------
    numpy.ndarray
        ``shape=(n, 2), dtype=int``, in row-major order.

    Examples
    --------
    >>> candidate_pairs(np.array([True, True, False, True]), min_separation=2).tolist()
    [[0, 3], [1, 3]]
    """
    valid = np.asarray(valid, dtype=bool)
    i, j = np.triu_indices(len(valid), k=max(1, min_separation))
    keep = valid[i] & valid[j]
    return np.stack([i[keep], j[keep]], axis=1).astype(int)


def training_pairs(
    contacts: np.ndarray,
    valid: np.ndarray,
    min_separation: int = 6,
    negatives: float = 5.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs a chain trains the contact probe on: every contact, and some non-contacts.

    Parameters
    ----------
    contacts : numpy.ndarray
        ``shape=(L, L), dtype=bool`` (:func:`protattn.structure.properties.contact_map`).
    valid : numpy.ndarray
        ``shape=(L,), dtype=bool``.
    min_separation : int
    negatives : float
        At most this many non-contacts per contact, drawn without replacement.
    rng : numpy.random.Generator, optional
        The draw (seed it for the same pairs every time).

    Returns
    -------
    pairs : numpy.ndarray
        ``shape=(n, 2), dtype=int``: the contacts, then the drawn non-contacts.
    labels : numpy.ndarray
        ``shape=(n,), dtype=int``: 1 for a contact.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    pairs = candidate_pairs(valid, min_separation)
    hit = np.asarray(contacts, dtype=bool)[pairs[:, 0], pairs[:, 1]]
    positive, negative = np.flatnonzero(hit), np.flatnonzero(~hit)
    n_negative = min(len(negative), math.ceil(negatives * max(len(positive), 1)))
    drawn = np.sort(rng.choice(negative, size=n_negative, replace=False))
    chosen = np.concatenate([positive, drawn])
    return pairs[chosen], hit[chosen].astype(int)


def pair_features(attention: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Each pair's attention in both directions, every head, at every layer.

    Parameters
    ----------
    attention : numpy.ndarray
        ``shape=(layers, heads, L, L)`` over residues.
    pairs : numpy.ndarray
        ``shape=(n, 2), dtype=int``.

    Returns
    -------
    numpy.ndarray
        ``shape=(layers, n, 2 * heads), dtype=float32``: ``a[l, h, i, j]`` for each head,
        then ``a[l, h, j, i]``.

    Examples
    --------
    >>> a = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> pair_features(a, np.array([[0, 3]])).tolist()
    [[[3.0, 12.0]]]
    """
    i, j = pairs[:, 0], pairs[:, 1]
    forward = attention[:, :, i, j]  # (layers, heads, n)
    backward = attention[:, :, j, i]
    return np.ascontiguousarray(
        np.concatenate([forward, backward], axis=1).transpose(0, 2, 1), dtype=np.float32
    )


def top_k_hits(scores: np.ndarray, labels: np.ndarray, k: int) -> int:
    """How many of the ``k`` highest scores are positives (ties broken by position).

    Examples
    --------
    >>> top_k_hits(np.array([0.9, 0.1, 0.8, 0.7]), np.array([1, 1, 0, 1]), 2)
    1
    """
    if k <= 0:
        return 0
    top = np.argsort(-np.asarray(scores), kind="stable")[:k]
    return int(np.asarray(labels)[top].sum())


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LayerScore:
    """One task's probe at one layer.

    Attributes
    ----------
    task, metric : str
    layer : int
        0 for the input embeddings, else the 1-based layer.
    value, low, high : float
        The metric over the test chains and its bootstrap interval (NaN: no probe).
    n_train_chains, n_test_chains, n_train_examples, n_test_examples : int
    """

    task: str
    metric: str
    layer: int
    value: float
    low: float
    high: float
    n_train_chains: int
    n_test_chains: int
    n_train_examples: int
    n_test_examples: int


@dataclass(frozen=True)
class TaskProbe:
    """One task's probes at every layer, and what a probe without information scores.

    Attributes
    ----------
    task, metric : str
    layers : tuple of LayerScore
    baseline : float
        Secondary structure: the accuracy of always answering the training chains'
        most common class; precision tasks: the test chains' rate of positives
        (what a random ranking scores). NaN where undefined.
    baseline_label : str
        What the baseline is, for a figure's key.
    notes : tuple of str
    """

    task: str
    metric: str
    layers: tuple[LayerScore, ...]
    baseline: float
    baseline_label: str
    notes: tuple[str, ...] = ()

    @property
    def values(self) -> np.ndarray:
        """``shape=(n,), dtype=float``: the metric at each probed layer."""
        return np.array([s.value for s in self.layers], dtype=float)

    @property
    def best(self) -> LayerScore | None:
        """The layer with the highest value (None if no probe was fitted)."""
        scored = [s for s in self.layers if not math.isnan(s.value)]
        return max(scored, key=lambda s: s.value) if scored else None


@dataclass(frozen=True)
class ProbeResult:
    """Probes of every task at every layer (:func:`probe_layers`, :func:`protattn.api.probe`).

    Attributes
    ----------
    tasks : tuple of TaskProbe
    train_chains, test_chains : tuple of str
    model : str
    interval : str
        What the intervals are (``"95% bootstrap over test chains, 1000 resamples"``).
    notes : tuple of str
        What a user must know (chains cut to the model's input, tasks left out).
    """

    tasks: tuple[TaskProbe, ...]
    train_chains: tuple[str, ...]
    test_chains: tuple[str, ...]
    model: str = ""
    interval: str = ""
    notes: tuple[str, ...] = field(default=())

    def task(self, name: str) -> TaskProbe:
        """The probes of task ``name``."""
        for probe in self.tasks:
            if probe.task == name:
                return probe
        raise ProtattnError(
            f"no task {name!r} was probed; probed: {', '.join(p.task for p in self.tasks)}"
        )

    def to_rows(self) -> list[dict[str, object]]:
        """One row per task and layer, for CSV (NaN written as empty by the caller)."""
        rows: list[dict[str, object]] = []
        for probe in self.tasks:
            for s in probe.layers:
                rows.append(
                    {
                        "task": s.task,
                        "layer": s.layer,
                        "metric": s.metric,
                        "value": s.value,
                        "ci_low": s.low,
                        "ci_high": s.high,
                        "baseline": probe.baseline,
                        "n_train_chains": s.n_train_chains,
                        "n_test_chains": s.n_test_chains,
                        "n_train_examples": s.n_train_examples,
                        "n_test_examples": s.n_test_examples,
                    }
                )
        return rows

    def table(self) -> list[str]:
        """Lines of a plain-text table: per task, the metric at each layer with its interval."""
        lines = [
            f"{self.model + ': ' if self.model else ''}probes trained on "
            f"{len(self.train_chains)} chains, tested on {len(self.test_chains)}"
            + (f"; intervals: {self.interval}" if self.interval else "")
        ]
        for probe in self.tasks:
            lines.append("")
            baseline = "" if math.isnan(probe.baseline) else f"{probe.baseline:.3f}"
            lines.append(
                f"{probe.task}: {probe.metric}"
                + (f" ({probe.baseline_label} {baseline})" if baseline else "")
            )
            lines.append(f"{'layer':>5}  {'value':>6}  {'interval':<15}  {'test examples':>13}")
            for s in probe.layers:
                value = "-" if math.isnan(s.value) else f"{s.value:.3f}"
                interval = "" if math.isnan(s.low) else f"{s.low:.3f}-{s.high:.3f}"
                lines.append(f"{s.layer:>5}  {value:>6}  {interval:<15}  {s.n_test_examples:>13}")
            lines.extend(f"note: {note}" for note in probe.notes)
        return lines


# ---------------------------------------------------------------------------- probing


def _ratio(numerator: np.ndarray, denominator: np.ndarray, average: str) -> np.ndarray:
    """Per-layer metric from per-chain counts ``shape=(chains, layers)`` and ``(chains,)``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if average == "pooled":
            return numerator.sum(axis=0) / denominator.sum()
        judged = denominator > 0
        return (numerator[judged] / denominator[judged, None]).mean(axis=0)


def _bootstrap(
    numerator: np.ndarray,
    denominator: np.ndarray,
    average: str,
    resamples: int,
    level: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per layer, test chains resampled with replacement."""
    n = len(denominator)
    values = np.empty((resamples, numerator.shape[1]))
    for r in range(resamples):
        pick = rng.integers(0, n, size=n)
        values[r] = _ratio(numerator[pick], denominator[pick], average)
    tail = 100 * (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN layers
        low, high = np.nanpercentile(values, [tail, 100 - tail], axis=0)
    return low, high


def probe_layers(
    task: str,
    train: Sequence[ChainExamples],
    test: Sequence[ChainExamples],
    first_layer: int = 0,
    seed: int = 0,
    average: str = "pooled",
    resamples: int = 1000,
    level: float = 0.95,
    max_iter: int = 1000,
) -> TaskProbe:
    """Train a probe per layer on ``train`` and judge it on ``test``.

    Parameters
    ----------
    task : str
        One of :data:`TASKS`; ``secondary_structure`` is judged by accuracy, the
        others by precision at k (each chain's :attr:`ChainExamples.k`).
    train, test : sequence of ChainExamples
        The same number of layers and features in every chain.
    first_layer : int
        The number of the first layer in the features (0: the embeddings come first;
        1 for attention).
    seed : int
        Seeds the bootstrap.
    average : {"pooled", "mean"}
        Pool the counts over test chains (the paper's code: hits in every chain's top
        k over the sum of the k's; correct residues over all residues), or take the
        mean of the per-chain values.
    resamples : int
        Bootstrap resamples of the test chains.
    level : float
        The interval's coverage.
    max_iter : int
        lbfgs iterations of each logistic regression.

    Returns
    -------
    TaskProbe
        Values NaN at every layer when the training chains hold one class only (a
        note says so).

    Raises
    ------
    ProtattnError
        For an unknown task or average, no train or test chain, or chains that do not
        agree in layers or features; if scikit-learn is missing.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def chain(name):
    ...     y = rng.integers(0, 4, 50)
    ...     x = np.stack([np.eye(4)[y], rng.normal(size=(50, 4))])  # layer 0 knows, 1 not
    ...     return ChainExamples(name, x.astype(np.float32), y)
    >>> probe = probe_layers("secondary_structure", [chain("a"), chain("b")], [chain("c")],
    ...                      resamples=50)
    >>> probe.layers[0].value, probe.layers[0].layer
    (1.0, 0)
    """
    if task not in TASKS:
        raise ProtattnError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    if average not in AVERAGES:
        raise ProtattnError(f"unknown average {average!r}; choose from {', '.join(AVERAGES)}")
    if not train or not test:
        raise ProtattnError(
            f"a probe needs at least 1 training and 1 test chain, not {len(train)} and {len(test)}"
        )
    shapes = {(c.features.shape[0], c.features.shape[2]) for c in [*train, *test]}
    if len(shapes) != 1:
        raise ProtattnError(
            f"{task}: chains differ in (layers, features): {sorted(shapes)}; give every "
            "chain's features from the same model"
        )
    ((n_layers, _),) = shapes
    LogisticRegression, StandardScaler, make_pipeline, ConvergenceWarning, one_thread = _sklearn()
    metric = METRICS[task]
    accuracy = task == "secondary_structure"
    y_train = np.concatenate([c.labels for c in train])
    classes, counts = np.unique(y_train, return_counts=True)
    n_train_examples = len(y_train)
    n_test_examples = sum(len(c.labels) for c in test)
    notes: list[str] = []

    # what a probe without information scores
    if accuracy:
        majority = classes[np.argmax(counts)] if len(classes) else -1
        denominator = np.array([len(c.labels) for c in test], dtype=float)
        base_numerator = np.array([np.sum(c.labels == majority) for c in test], dtype=float)
        baseline_label = "majority class"
    else:
        denominator = np.array([min(c.k, len(c.labels)) for c in test], dtype=float)
        base_numerator = np.array(
            [c.labels.mean() * d if len(c.labels) else 0.0 for c, d in zip(test, denominator)]
        )
        baseline_label = (
            "contact rate of the test pairs"
            if task == "contact"
            else "site rate of the test residues"
        )
    baseline = float(_ratio(base_numerator[:, None], denominator, average)[0])

    def scores(values: float, low: float, high: float, layer: int) -> LayerScore:
        return LayerScore(
            task,
            metric,
            layer,
            values,
            low,
            high,
            len(train),
            len(test),
            n_train_examples,
            n_test_examples,
        )

    layers = range(first_layer, first_layer + n_layers)
    if len(classes) < 2:
        what = "class" if accuracy else "label"
        notes.append(
            f"the training chains hold one {what} only ({', '.join(map(str, classes)) or 'none'}):"
            " there is nothing to learn; no probe was fitted"
        )
        nan = math.nan
        return TaskProbe(
            task,
            metric,
            tuple(scores(nan, nan, nan, layer) for layer in layers),
            baseline,
            baseline_label,
            tuple(notes),
        )
    if not accuracy and not any(c.labels.any() for c in test):
        notes.append(f"no test chain has a positive example: {metric} is 0 whatever the probe")

    numerator = np.zeros((len(test), n_layers))
    unconverged = []
    for index in range(n_layers):
        x_train = np.concatenate([c.features[index] for c in train])
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
        # one BLAS thread: these matrices are small, and threads fighting over busy
        # cores make each lbfgs step many times slower
        with warnings.catch_warnings(record=True) as caught, one_thread(1, user_api="blas"):
            warnings.simplefilter("always", ConvergenceWarning)
            probe.fit(x_train, y_train)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            unconverged.append(str(first_layer + index))
        for row, chain in enumerate(test):
            if not len(chain.labels):
                continue
            x = chain.features[index]
            if accuracy:
                numerator[row, index] = np.sum(probe.predict(x) == chain.labels)
            else:
                positive = probe.predict_proba(x)[:, list(probe.classes_).index(1)]
                numerator[row, index] = top_k_hits(positive, chain.labels, int(denominator[row]))
    if unconverged:
        notes.append(
            f"lbfgs did not converge in {max_iter} iterations at layer {', '.join(unconverged)}"
        )
    values = _ratio(numerator, denominator, average)
    low, high = _bootstrap(
        numerator, denominator, average, resamples, level, np.random.default_rng(seed)
    )
    return TaskProbe(
        task,
        metric,
        tuple(
            scores(float(values[k]), float(low[k]), float(high[k]), layer)
            for k, layer in enumerate(layers)
        ),
        baseline,
        baseline_label,
        tuple(notes),
    )
