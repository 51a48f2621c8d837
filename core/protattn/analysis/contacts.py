"""Contact prediction from attention, and its precision against a structure.

Two predictors, both scoring every residue pair ``(i, j)`` of one chain:

- :func:`unsupervised_contacts`: each chosen head's map is symmetrised
  (``a + aᵀ``) and corrected by the average product (APC), the features of
  ESM's contact head (Rao et al. 2021, "Transformer protein language models are
  unsupervised structure learners"), then averaged over the heads. Works for
  every model; no training.
- :func:`esm_contact_probabilities`: ESM's own contact head, a logistic
  regression over those features of every head, trained by its authors.

:func:`contact_precision` scores a prediction as the contact-prediction
literature and ESM's example notebook do (precision of the top ``L``, ``L/2``,
``L/5`` pairs in sequence-separation ranges), and :func:`predicted_pairs` lists
the top pairs, each marked as a true or false contact, for drawing.

Everything here is numpy except the ESM head, which runs the model. Positions
are 0-based sequence positions of the chain (:attr:`protattn.structure.model.Chain.residue_ids`
maps them back to residues); layers and heads are 1-based, as in the paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, cast

import numpy as np

from ..errors import LayerHeadError, ModelError, SequenceTooLongError
from ..lm.contract import Model
from ..lm.heads import HeadSpec, parse_layer_head
from .pairs import select_pairs

__all__ = [
    "BANDS",
    "DEFAULT_BANDS",
    "DEFAULT_KS",
    "symmetrize_sum",
    "apc",
    "unsupervised_contacts",
    "esm_contact_probabilities",
    "PredictedPair",
    "ContactPrecision",
    "contact_precision",
    "predicted_pairs",
]

#: Sequence-separation ranges ``|i - j|`` (inclusive; None: no upper bound) of the
#: contact-prediction literature. ``"all"`` is every pair at ``min_separation`` or more.
BANDS: dict[str, tuple[int, int | None]] = {
    "local": (3, 5),
    "short": (6, 11),
    "medium": (12, 23),
    "long": (24, None),
}

DEFAULT_BANDS = ("short", "medium", "long", "all")
DEFAULT_KS = ("L", "L/2", "L/5")


# ---------------------------------------------------------------------------- features


def symmetrize_sum(x: np.ndarray) -> np.ndarray:
    """``x + xᵀ`` over the last two axes (ESM's ``symmetrize``).

    Parameters
    ----------
    x : numpy.ndarray
        ``shape=(..., L, L)``.

    Returns
    -------
    numpy.ndarray
        ``shape=(..., L, L)``, symmetric.

    Examples
    --------
    >>> symmetrize_sum(np.array([[0.0, 1.0], [3.0, 0.0]]))
    array([[0., 4.],
           [4., 0.]])
    """
    x = np.asarray(x)
    return x + np.swapaxes(x, -1, -2)


def apc(x: np.ndarray) -> np.ndarray:
    """Average product correction over the last two axes (ESM's ``apc``).

    ``x_ij - (Σ_k x_ik)(Σ_k x_kj) / Σ_kl x_kl``: removes from each pair what
    its row and column would give it by themselves (residues that every head
    attends to, whatever their partner).

    Parameters
    ----------
    x : numpy.ndarray
        ``shape=(..., L, L)``; usually symmetric (:func:`symmetrize_sum`).

    Returns
    -------
    numpy.ndarray
        ``shape=(..., L, L)``.

    Examples
    --------
    >>> apc(np.array([[1.0, 1.0], [1.0, 1.0]]))
    array([[0., 0.],
           [0., 0.]])
    """
    x = np.asarray(x)
    a1 = x.sum(-1, keepdims=True)
    a2 = x.sum(-2, keepdims=True)
    a12 = x.sum((-1, -2), keepdims=True)
    return x - a1 * a2 / a12


def _apc_features(maps: np.ndarray) -> np.ndarray:
    """APC(symmetrize_sum(maps)) for ``shape=(..., L, L)``; NaN pairs count 0 and stay NaN."""
    missing = np.isnan(maps)
    if not missing.any():
        return apc(symmetrize_sum(maps))
    missing = missing | np.swapaxes(missing, -1, -2)
    features = apc(symmetrize_sum(np.where(missing, 0.0, maps)))
    features[missing] = np.nan
    return features


# ---------------------------------------------------------------------------- predictors


def _heads_by_layer(heads: Iterable[Any] | None, n_layers: int,
                    n_heads: int) -> dict[int, list[int]]:
    """0-based ``{layer: [head, …]}`` from 1-based ``(layer, head)``, ``"7-1"`` or HeadSpec."""
    if heads is None:
        return {layer: list(range(n_heads)) for layer in range(n_layers)}
    chosen: dict[int, list[int]] = {}
    for item in heads:
        if isinstance(item, (HeadSpec, str)):
            spec = parse_layer_head(item, n_layers, n_heads)
        else:
            try:
                layer, head = (int(v) for v in item)
            except (TypeError, ValueError):
                raise LayerHeadError(
                    f"head {item!r} is not understood; give (layer, head) pairs or 'LAYER-HEAD' "
                    "text with 1-based numbers, e.g. (7, 1) or '7-1'"
                ) from None
            spec = parse_layer_head(HeadSpec(layer, head), n_layers, n_heads)
        if spec.head is None:
            raise LayerHeadError(
                f"{spec} is an aggregate; contact prediction takes single heads (e.g. "
                f"{spec.layer}-1), each corrected on its own before averaging"
            )
        layer_heads = chosen.setdefault(spec.layer - 1, [])
        if spec.head - 1 not in layer_heads:
            layer_heads.append(spec.head - 1)
    if not chosen:
        raise LayerHeadError("no heads given; give at least one (layer, head), or None for all")
    return chosen


def unsupervised_contacts(attention: np.ndarray,
                          heads: Iterable[Any] | None = None) -> np.ndarray:
    """Contact scores from attention alone: APC-corrected symmetric maps, averaged over heads.

    For each chosen head, ``apc(symmetrize_sum(map))`` (the features ESM's
    contact head is trained on), then their mean. No training: all chosen heads
    weigh the same, so choosing the heads that agree with contacts (the paper's
    top heads) matters more than with ESM's regression, which weighs them.

    Parameters
    ----------
    attention : numpy.ndarray
        ``shape=(layers, heads, L, L)`` over the residues of one chain (as from
        :func:`protattn.chain_attention`); NaN where no window held both residues.
        Read one layer at a time, so a memory-mapped array is never loaded whole.
    heads : iterable, optional
        The heads to use, 1-based: ``(layer, head)`` pairs, ``"7-1"`` text or
        :class:`~protattn.lm.heads.HeadSpec`; all heads by default.

    Returns
    -------
    numpy.ndarray
        ``shape=(L, L), dtype=float``, symmetric; higher is more likely a contact.
        The scores are not probabilities. Pairs that no window covered are NaN;
        in the row and column sums of the correction they count as 0.

    Raises
    ------
    LayerHeadError
        If a head is outside the model or is an aggregate (``"7-mean"``).
    """
    attention = np.asarray(attention)
    if attention.ndim != 4 or attention.shape[-1] != attention.shape[-2]:
        raise ValueError(f"attention must have shape (layers, heads, L, L), not {attention.shape}")
    n_layers, n_heads, length, _ = attention.shape
    chosen = _heads_by_layer(heads, n_layers, n_heads)
    total = np.zeros((length, length))
    count = 0
    for layer in sorted(chosen):  # one layer at a time
        maps = np.asarray(attention[layer, chosen[layer]], dtype=np.float64)
        total += _apc_features(maps).sum(axis=0)
        count += len(chosen[layer])
    return total / count


def esm_contact_probabilities(lm: Model, sequence: str) -> np.ndarray:
    """Contact probabilities from ESM's own contact head (a logistic regression on attention).

    The head is ``sigmoid(w · apc(symmetrize_sum(a)) + b)`` over every layer and
    head's map ``a`` restricted to the residues (ESM drops ``<cls>`` and ``<eos>``);
    the run's compact attention (:func:`protattn.lm.inference.compact_attention`)
    applies it to each layer as the pass computes it, which gives what
    transformers' ``EsmModel.predict_contacts`` gives for ``<cls> sequence <eos>``
    (float32 sums, float64 correction; kept in float32).

    Parameters
    ----------
    lm : Model
        An ESM model (``lm.family.name == "esm"``), loaded here or in a worker.
    sequence : str
        One chain, at most ``lm.max_residues`` residues (the head is not applied
        to windows).

    Returns
    -------
    numpy.ndarray
        ``shape=(L, L), dtype=float``, symmetric, in [0, 1].

    Raises
    ------
    ModelError
        If the model is not an ESM model, or has no contact head.
    SequenceTooLongError
        If the chain is longer than the model takes in one pass.

    Notes
    -----
    The regression weights are part of Meta's ESM-2 checkpoints on the Hugging Face
    hub. A model directory whose weights lack them (a fine-tuned or freshly
    initialised model) gets a randomly initialised head, and transformers only
    reports that when loading: its probabilities are then meaningless. Use
    :func:`unsupervised_contacts` for such models.
    """
    if lm.family.name != "esm":
        raise ModelError(
            f"{lm.name} is a {lm.family.name} model: only ESM models have a contact head; "
            "use the unsupervised APC prediction (method='apc')"
        )
    from ..lm.inference import compact_attention

    if lm.max_residues is not None and len(sequence) > lm.max_residues:
        raise SequenceTooLongError(
            f"{len(sequence)} residues is longer than {lm.name}'s limit of {lm.max_residues} "
            "in one pass, and the contact head is not applied to windows; use the "
            "unsupervised APC prediction (method='apc'), which takes windows")
    probabilities = compact_attention(lm, sequence).esm_contact_probabilities()
    if probabilities is None:
        raise ModelError(
            f"{lm.name} has no contact head (a regression over its {lm.n_layers} x "
            f"{lm.n_heads} heads); use the unsupervised APC prediction (method='apc')"
        )
    return probabilities.astype(np.float64)


# ---------------------------------------------------------------------------- evaluation


class PredictedPair(NamedTuple):
    """A scored residue pair ``i < j`` (0-based) and whether it is a contact (None: unknown)."""

    i: int
    j: int
    score: float
    is_contact: bool | None


class ContactPrecision(dict):
    """Precision of a contact prediction: ``{band: {label: precision}}``, with its counts.

    A plain dict (JSON-ready as it is): ``result["long"]["L/5"]`` is the precision of
    the ``L/5`` highest-scoring pairs with separation ≥ 24. The counts behind each
    value are attributes.

    Attributes
    ----------
    length : int
        ``L``: residues that count (the valid ones).
    k : dict of str to int
        Pairs counted for each label (``{"L": 145, "L/2": 72, "L/5": 29}``).
    true_positives : dict of str to dict of str to int
        ``true_positives[band][label]``: true contacts among the top ``k`` (the numerators).
    candidates : dict of str to int
        Scored, valid pairs in each band (fewer than ``k`` means the missing
        pairs counted as false).
    contacts : dict of str to int
        True contacts among each band's candidates.
    auc : dict of str to float
        ESM's "AUC": mean precision over the top ``0.1 L, 0.2 L, …, L`` pairs.
    """

    def __init__(self, precision: dict[str, dict[str, float]], *, length: int,
                 k: dict[str, int], true_positives: dict[str, dict[str, int]],
                 candidates: dict[str, int], contacts: dict[str, int],
                 auc: dict[str, float]) -> None:
        super().__init__(precision)
        self.length = length
        self.k = k
        self.true_positives = true_positives
        self.candidates = candidates
        self.contacts = contacts
        self.auc = auc

    def rows(self) -> list[dict[str, object]]:
        """One flat, JSON-ready record per band and label, with its counts."""
        return [
            {"band": band, "top": label, "k": self.k[label], "precision": value,
             "true_positives": self.true_positives[band][label],
             "candidates": self.candidates[band], "contacts": self.contacts[band],
             "auc": self.auc[band], "length": self.length}
            for band, values in self.items() for label, value in values.items()
        ]


def _k_of(label: str | int, length: int) -> int:
    """``"L"`` → L, ``"L/5"`` → ⌊L/5⌋ (at least 1), an int → itself."""
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        if label < 1:
            raise ValueError(f"a number of pairs must be at least 1, not {label}")
        return int(label)
    text = str(label).replace(" ", "")
    if text == "L":
        return max(1, length)
    if text.startswith("L/"):
        try:
            divisor = int(text[2:])
        except ValueError:
            divisor = 0
        if divisor >= 1:
            return max(1, length // divisor)
    raise ValueError(f"top {label!r} is not understood; write 'L', 'L/2', 'L/5' or a number")


def _band_range(band: str, min_separation: int) -> tuple[int, int | None]:
    if band == "all":
        return min_separation, None
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}; give one of {', '.join([*BANDS, 'all'])}")
    low, high = BANDS[band]
    return max(low, min_separation), high


def _checked(scores: np.ndarray, contacts: np.ndarray | None,
             valid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores must have shape (L, L), not {scores.shape}")
    n = scores.shape[0]
    if contacts is not None:
        contacts = np.asarray(contacts)
        if contacts.shape != scores.shape:
            raise ValueError(f"contacts {contacts.shape} and scores {scores.shape} differ in shape")
        contacts = contacts.astype(bool)
    valid = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    if valid.shape == (n, n):  # pairs: a residue counts if any of its pairs does
        scores = np.where(valid, scores, np.nan)
        valid = cast(np.ndarray, valid.any(axis=1))  # an array: valid is 2-D
    elif valid.shape != (n,):
        raise ValueError(f"valid must have shape ({n},) (residues) or ({n}, {n}) (pairs), "
                         f"not {valid.shape}")
    return scores, contacts, valid


def _ranked(scores: np.ndarray, valid: np.ndarray,
            min_separation: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every valid, scored pair ``i < j``, highest score first (ties: lower i, then j)."""
    n = scores.shape[0]
    return select_pairs(scores, top_k=n * n, min_separation=max(1, min_separation),
                        eligible=valid)


def contact_precision(
    scores: np.ndarray,
    contacts: np.ndarray,
    valid: np.ndarray | None = None,
    min_separation: int = 6,
    ks: Sequence[str | int] = DEFAULT_KS,
    bands: Sequence[str] = DEFAULT_BANDS,
    length: int | None = None,
) -> ContactPrecision:
    """Precision of the top ``L``, ``L/2``, ``L/5`` scoring pairs in each separation band.

    The definition of ESM's contact-prediction example (and of CASP): within a
    band of sequence separations ``j - i``, rank the valid pairs ``i < j`` by
    score and count the true contacts among the first ``k``, over ``k``.
    ``L`` is the number of valid residues.

    Parameters
    ----------
    scores : numpy.ndarray
        ``shape=(L, L)``; read at ``i < j`` (the upper triangle). NaN pairs (not
        covered by any window) are never counted, but ``k`` stays a share of ``L``.
    contacts : numpy.ndarray
        ``shape=(L, L), dtype=bool``: true contacts
        (:func:`protattn.structure.properties.contact_map`).
    valid : numpy.ndarray, optional
        ``shape=(L,), dtype=bool``: residues that count (observed in the structure);
        pairs with another residue are left out and ``L`` is the number of valid ones.
        Or ``shape=(L, L)``: pairs that count
        (:func:`protattn.structure.properties.observed_pairs`); ``L`` is then the number of
        residues with any valid pair.
    min_separation : int
        The band ``"all"`` is ``j - i >= min_separation``; no band goes below it
        (pass 3 to use ``"local"``, 3–5).
    ks : sequence of str or int
        ``"L"``, ``"L/n"`` (⌊L/n⌋, at least 1) or a number of pairs.
    bands : sequence of str
        Names of :data:`BANDS` (``short`` 6–11, ``medium`` 12–23, ``long`` ≥ 24) or ``"all"``.
    length : int, optional
        ``L`` to use instead of the number of valid residues.

    Returns
    -------
    ContactPrecision
        ``result[band][label]`` is a precision in [0, 1], with the counts behind it.

    Notes
    -----
    Ties are broken by position (lower ``i``, then ``j``), so results are
    reproducible; ESM's sort leaves their order unspecified. When a band has fewer
    candidates than ``k`` the missing pairs count as false, as in ESM's code.
    ESM's "AUC" bins are ⌊m L / 10⌋ here, where its float32 arithmetic can give
    one pair less for ``m = 7, 9``.
    """
    scores, checked, valid = _checked(scores, contacts, valid)
    length = int(valid.sum()) if length is None else int(length)
    labels = {str(label): _k_of(label, length) for label in ks}
    i, j, _ = _ranked(scores, valid, min_separation)
    if checked is None:  # what indexing None would raise
        raise TypeError("contacts must be an (L, L) array, not None")
    truth = checked[i, j]
    separation = j - i
    precision: dict[str, dict[str, float]] = {}
    true_positives: dict[str, dict[str, int]] = {}
    candidates: dict[str, int] = {}
    n_contacts: dict[str, int] = {}
    auc: dict[str, float] = {}
    auc_ks = [max(1, m * length // 10) for m in range(1, 11)]
    for band in bands:
        low, high = _band_range(band, min_separation)
        inside = separation >= low
        if high is not None:
            inside &= separation <= high
        hits = np.concatenate([[0], np.cumsum(truth[inside])])  # hits[k]: true among top k

        def tp(k: int, hits: np.ndarray = hits) -> int:
            return int(hits[min(k, len(hits) - 1)])

        true_positives[band] = {label: tp(k) for label, k in labels.items()}
        precision[band] = {label: true_positives[band][label] / k for label, k in labels.items()}
        candidates[band] = int(inside.sum())
        n_contacts[band] = int(hits[-1])
        auc[band] = float(np.mean([tp(k) / k for k in auc_ks]))
    return ContactPrecision(precision, length=length, k=labels, true_positives=true_positives,
                            candidates=candidates, contacts=n_contacts, auc=auc)


def predicted_pairs(
    scores: np.ndarray,
    contacts: np.ndarray | None = None,
    top: int | str | None = None,
    min_separation: int = 6,
    valid: np.ndarray | None = None,
) -> list[PredictedPair]:
    """The highest-scoring pairs, each marked as a true or false contact (for drawing).

    Parameters
    ----------
    scores : numpy.ndarray
        ``shape=(L, L)``, read at ``i < j``; NaN pairs are skipped.
    contacts : numpy.ndarray, optional
        ``shape=(L, L), dtype=bool``; without it ``is_contact`` is None.
    top : int or str, optional
        How many pairs: a number, ``"L"`` or ``"L/n"``; ``L`` by default (the
        number of valid residues), as in ``P@L``.
    min_separation : int
        Only pairs with ``j - i >= min_separation``.
    valid : numpy.ndarray, optional
        ``shape=(L,)`` residues or ``shape=(L, L)`` pairs that count, as in
        :func:`contact_precision`; others are skipped.

    Returns
    -------
    list of PredictedPair
        ``(i, j, score, is_contact)``, highest score first, the same pairs and order
        that :func:`contact_precision` counts for band ``"all"``.
    """
    scores, contacts, valid = _checked(scores, contacts, valid)
    k = _k_of("L" if top is None else top, int(valid.sum()))
    i, j, w = _ranked(scores, valid, min_separation)
    i, j, w = i[:k], j[:k], w[:k]
    truth = [None] * len(i) if contacts is None else contacts[i, j].tolist()
    return [PredictedPair(a, b, s, t) for a, b, s, t in zip(i.tolist(), j.tolist(), w.tolist(),
                                                            truth)]
