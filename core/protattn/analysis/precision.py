"""How good contacts predicted from attention are: precision at L, L/2, L/5 by range.

The evaluation of the contact-prediction literature (ESM; Rao et al. 2021): the
``k`` highest-scoring pairs of a sequence-separation band (short 6-11, medium 12-23,
long 24 and more) against the structure's contacts, with ``k`` a fraction of the
chain's length; unobserved residues never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, cast

import numpy as np

from .pairs import select_pairs

__all__ = [
    "BANDS",
    "DEFAULT_BANDS",
    "DEFAULT_KS",
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

    def __init__(
        self,
        precision: dict[str, dict[str, float]],
        *,
        length: int,
        k: dict[str, int],
        true_positives: dict[str, dict[str, int]],
        candidates: dict[str, int],
        contacts: dict[str, int],
        auc: dict[str, float],
    ) -> None:
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
            {
                "band": band,
                "top": label,
                "k": self.k[label],
                "precision": value,
                "true_positives": self.true_positives[band][label],
                "candidates": self.candidates[band],
                "contacts": self.contacts[band],
                "auc": self.auc[band],
                "length": self.length,
            }
            for band, values in self.items()
            for label, value in values.items()
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


def _checked(
    scores: np.ndarray, contacts: np.ndarray | None, valid: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
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
        raise ValueError(
            f"valid must have shape ({n},) (residues) or ({n}, {n}) (pairs), not {valid.shape}"
        )
    return scores, contacts, valid


def _ranked(
    scores: np.ndarray, valid: np.ndarray, min_separation: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every valid, scored pair ``i < j``, highest score first (ties: lower i, then j)."""
    n = scores.shape[0]
    return select_pairs(scores, top_k=n * n, min_separation=max(1, min_separation), eligible=valid)


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
    return ContactPrecision(
        precision,
        length=length,
        k=labels,
        true_positives=true_positives,
        candidates=candidates,
        contacts=n_contacts,
        auc=auc,
    )


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
    return [
        PredictedPair(a, b, s, t) for a, b, s, t in zip(i.tolist(), j.tolist(), w.tolist(), truth)
    ]
