"""The query view: colour every residue by the attention it exchanges with your residues.

Given a selection (an active site, an epitope, a motif) and one head or a layer's
aggregate, :func:`query_scores` gives every residue

- ``direction="from"``: the attention it *receives from* the selection, the mean over
  the selected residues ``i`` of ``a_ij`` (what the selection looks at; the values of
  a row of the selection sum to at most 1, so the colours sum to at most 1);
- ``direction="to"``: the share of its own attention that it *gives to* the
  selection, ``Σ_{j in selection} a_ij`` (who looks at the selection; 0 to 1).

Every weight counts (the head's whole map, one streamed pass, kept for the session).
Chains run one at a time see only their own selected residues; ``concatenate`` runs
them as one input, so attention between an antibody and its antigen is seen.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from ..errors import ProtattnError
from ..lm.heads import HeadSpec
from ..lm.inference import compact_attention, head_maps
from ..palettes import Palette
from ..scene import Scene, residue_scene
from ..scene import value_range as _value_range
from ..structure.model import Chain, ResidueId, join_chains
from ..words import plural
from .checks import DIRECTIONS, check_direction
from .pairs import ScoresResult, _notes, _prepare, _scale

__all__ = ["DIRECTIONS", "query_scores", "query_label"]


def query_label(direction: str, n_selected: int, head: HeadSpec | str) -> str:
    """The key's heading: ``"6-3: attention received from the 7 selected residues (mean)"``."""
    residues = f"the {n_selected} selected residue{'' if n_selected == 1 else 's'}"
    if direction == "from":
        return f"{head}: attention received from {residues} (mean)"
    return f"{head}: share of attention given to {residues}"


def query_scores(
    chains: Sequence[Chain],
    layer_head: str | HeadSpec,
    selection: Collection[ResidueId],
    direction: str = "from",
    model: str = "antiberty",
    palette: str | Palette = "attention",
    device: str | None = None,
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    dtype: str | None = None,
    value_range: tuple[float, float] | str | None = None,
) -> ScoresResult:
    """Every residue's attention exchanged with the selected residues, for one head.

    Parameters
    ----------
    chains : sequence of Chain
    layer_head : str or HeadSpec
        ``"6-3"``, or a layer's ``"6-mean"`` / ``"6-max"``.
    selection : collection of ResidueId
        The residues asked about (:class:`~protattn.structure.selection.ResidueSelection`).
    direction : {"from", "to"}
        See the module's description.
    model, palette, device, window, stride, concatenate, dtype, value_range
        As for :func:`protattn.api.pairs.compute_scores`.

    Returns
    -------
    ScoresResult
        ``scores`` per chain id, ``shape=(L,)``, NaN for the residues of a chain run
        without any selected residue (not coloured); the scene's key names the head,
        the direction and the selection's size.

    Raises
    ------
    ProtattnError
        For an unknown direction, or a selection with no residue in ``chains``.
    """
    direction = check_direction(direction)
    fixed, pal = _scale(value_range, palette=palette)
    held = [c for c in chains if any(r in selection for r in c.residue_ids if r is not None)]
    if not held:
        raise ProtattnError(
            "none of the selected residues is in the chains asked about; select residues "
            f"of {', '.join(c.id for c in chains) or 'a protein chain'}"
        )
    lm, spec = _prepare(chains, layer_head, model, device, window, stride, concatenate, dtype)
    groups = [list(chains)] if concatenate and len(chains) > 1 else [[c] for c in chains]
    scores: dict[str, np.ndarray] = {}
    runs = []
    alone = []
    for parts in groups:
        chosen = np.concatenate(
            [[r is not None and r in selection for r in c.residue_ids] for c in parts]
        )
        if not chosen.any():  # nothing to ask of this input: the model does not run on it
            values = np.full(len(chosen), np.nan)
            alone += [c.id for c in parts]
        else:
            sequences = [c.sequence for c in parts]
            # the whole map first: its pass also files the compact attention the notes
            # are read from, so each input runs once
            (one,) = head_maps(lm, sequences, [spec], window, stride).values()
            runs.append(
                (join_chains(parts), parts, compact_attention(lm, sequences, window, stride))
            )
            one = np.nan_to_num(one, nan=0.0)
            values = one[chosen].mean(axis=0) if direction == "from" else one[:, chosen].sum(axis=1)
        for part, piece in zip(parts, np.split(values, np.cumsum([len(c) for c in parts])[:-1])):
            scores[part.id] = piece.astype(float)
    shown = np.array(
        [s for c in chains for rid, s in zip(c.residue_ids, scores[c.id]) if rid is not None]
    )
    shown = shown[np.isfinite(shown)]
    lo, hi = fixed if fixed is not None else _value_range(shown)
    residues = [
        r
        for c in chains
        if c.id not in alone
        for r in residue_scene(c, scores[c.id], pal, lo, hi).residues
    ]
    scene = Scene(
        residues=tuple(residues),
        vmin=lo,
        vmax=hi,
        palette=pal,
        fixed=fixed is not None,
        label=query_label(direction, len(set(selection)), spec),
    )
    notes = list(_notes(runs))
    if alone:
        notes.append(
            f"{plural(len(alone), 'chain')} ({', '.join(alone)}) hold none of the selected "
            "residues and are not coloured: run the chains as one input (concatenate) to "
            "see attention between chains"
        )
    return ScoresResult(lm.name, spec, scores, scene, tuple(notes))
