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

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import LayerHeadError, ModelError, SequenceTooLongError
from ..lm.contract import Model
from ..lm.heads import HeadSpec, parse_layer_head

__all__ = [
    "symmetrize_sum",
    "apc",
    "unsupervised_contacts",
    "esm_contact_probabilities",
]


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


def _heads_by_layer(
    heads: Iterable[Any] | None, n_layers: int, n_heads: int
) -> dict[int, list[int]]:
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


def unsupervised_contacts(attention: np.ndarray, heads: Iterable[Any] | None = None) -> np.ndarray:
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
            f"{lm.name} has no contact head (only ESM models have one); "
            "use the unsupervised APC prediction (method apc)"
        )
    from ..lm.inference import compact_attention

    if lm.max_residues is not None and len(sequence) > lm.max_residues:
        raise SequenceTooLongError(
            f"{len(sequence)} residues is longer than {lm.name}'s limit of {lm.max_residues} "
            "in one pass, and the contact head is not applied to windows; use the "
            "unsupervised APC prediction (method='apc'), which takes windows"
        )
    probabilities = compact_attention(lm, sequence).esm_contact_probabilities()
    if probabilities is None:
        raise ModelError(
            f"{lm.name} has no contact head (a regression over its {lm.n_layers} x "
            f"{lm.n_heads} heads); use the unsupervised APC prediction (method='apc')"
        )
    return probabilities.astype(np.float64)


# ---------------------------------------------------------------------------- evaluation
