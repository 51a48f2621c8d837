"""PyMOL commands that draw attention: attention_pairs, attention_color, attention_clear.

Each command adapts the selection to protattn chains, asks the core, and only
then draws: a bad argument raises ``CmdException`` with nothing drawn.
"""

from __future__ import annotations

from pymol import CmdException, cmd

import protattn
from protattn import PairsResult, ScoresResult

from . import draw
from .adapter import chains_by_object
from .arguments import core, number, run_options_of, selected_residues

__all__ = [
    "attention_pairs",
    "attention_color",
    "attention_clear",
]


def attention_pairs(
    selection: str = "polymer.protein",
    layer_head: str = "",
    threshold: float = 0.1,
    top_k: int = 0,
    min_separation: int = 1,
    symmetrize: str = "max",
    model: str = "antiberty",
    palette: str = "attention",
    window: int = 0,
    stride: int = 0,
    concatenate: int = 0,
    color_by: str = "weight",
    quiet: int = 1,
    range: str = "",
    radius: str = "",
    *,
    _self=cmd,
) -> list[protattn.Pair]:
    """
    DESCRIPTION

        Draw the residue pairs that one attention head of a protein language
        model links most strongly, as cylinders between CA atoms. Colour and
        radius grow with the attention weight. Each object's pairs go into the
        group "attention_<object>"; running the command again replaces them.

        The model sees each selected chain whole (its observed residues, as PyMOL
        keeps no SEQRES); only pairs with both residues in the selection are drawn.

    USAGE

        attention_pairs selection, layer_head [, threshold [, top_k
            [, min_separation [, symmetrize [, model [, palette [, window
            [, stride [, concatenate [, color_by [, quiet [, range
            [, radius ]]]]]]]]]]]]]

    ARGUMENTS

        selection = str: protein residues to analyse {default: polymer.protein}

        layer_head = str: 1-based "layer-head" (7-1), or a layer's heads
        averaged (7-mean) or their maximum (7-max)

        threshold = float: keep pairs whose attention max(a_ij, a_ji) is above
        it {default: 0.1}

        top_k = int: keep the k strongest pairs per chain instead (0: use the
        threshold) {default: 0}

        min_separation = int: minimum |i - j| in sequence {default: 1}

        symmetrize = max or mean: how a_ij and a_ji are combined {default: max}

        model = str: short name (attention_models lists them), Hugging Face id
        or model directory {default: antiberty}

        palette = attention, white_red, blue_white_red or viridis {default: attention}

        window = int: run chains longer than this as overlapping windows (0:
        only chains longer than the model's limit, at that limit) {default: 0}

        stride = int: residues between window starts (0: half the window)

        concatenate = 0/1: run the selected chains of an object as one input,
        to see attention between chains {default: 0}

        color_by = weight or contact: colour by attention weight (palette), or
        green / red for pairs that are / are not 3D contacts {default: weight}

        range = lo,hi or full: a fixed scale of colour and radius (full: 0 to
        1), so a weight looks the same in every drawing {default: the drawn
        weights' range}

        radius = r or lo,hi: cylinder radius in A, one for all pairs or at the
        scale's ends {default: 0.05,0.3}

    EXAMPLE

        attention_pairs 1hpv, 6-3
        attention_pairs 1hpv and chain A, 8-max, top_k=20, min_separation=6
        attention_pairs 1vfb and chain A+B, 8-max, top_k=30, concatenate=1
        attention_pairs 1hpv, 6-3, range=full, radius=0.2

    SEE ALSO

        attention_color, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException("give a layer-head, e.g. attention_pairs 1hpv, 7-1")
    top_k = number(top_k, "top_k", int)
    options = dict(
        model=model,
        threshold=number(threshold, "threshold"),
        top_k=top_k if top_k > 0 else None,
        min_separation=number(min_separation, "min_separation", int),
        symmetrize=str(symmetrize),
        palette=str(palette),
        color_by=str(color_by),
        value_range=str(range).strip() or None,
        radius=str(radius).strip() or (0.05, 0.3),
        **run_options_of(window, stride, concatenate),
    )
    by_object = chains_by_object(selection, _self=_self)
    results: dict[str, PairsResult] = {  # everything is computed before anything is drawn
        obj: core(
            protattn.compute_pairs,
            chains,
            layer_head,
            within=selected_residues(selection, obj, _self),
            **options,
        )
        for obj, chains in by_object.items()
    }
    pairs: list[protattn.Pair] = []
    for obj, result in results.items():
        n = draw.draw_pairs(obj, result.scene, protattn.ca_coordinates(by_object[obj]), _self=_self)
        pairs.extend(result.pairs)
        if not int(quiet) or n == 0 or result.notes:
            print(f" attention_pairs: {obj}: {result.summary()}")
        if n:
            print(
                f" attention_pairs: {obj}: drew {n} pairs into group "
                f"{draw.group_name(obj)}; {result.scene.scale_text()}"
            )
    return pairs


def attention_color(
    selection: str = "polymer.protein",
    layer_head: str = "",
    model: str = "antiberty",
    palette: str = "white_red",
    window: int = 0,
    stride: int = 0,
    concatenate: int = 0,
    quiet: int = 1,
    *,
    _self=cmd,
) -> dict[str, ScoresResult]:
    """
    DESCRIPTION

        Colour residues by the attention they receive from one head: for each
        residue j, the column sum over queries i of a_ij divided by the chain
        length. The values are written into the b-factor column (the original
        b-factors come back with attention_clear) and coloured with spectrum.

    USAGE

        attention_color selection, layer_head [, model [, palette [, window
            [, stride [, concatenate [, quiet ]]]]]]

    ARGUMENTS

        selection = str: protein residues to colour {default: polymer.protein}

        layer_head = str: 1-based "layer-head" (7-1), 7-mean or 7-max

        model = str: protein language model {default: antiberty}

        palette = white_red, attention, blue_white_red or viridis {default: white_red}

        window, stride, concatenate: as for attention_pairs

    EXAMPLE

        attention_color 1hpv, 8-mean
        iterate 1hpv and name CA, print(resi, b)

    SEE ALSO

        attention_pairs, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException("give a layer-head, e.g. attention_color 1hpv, 7-1")
    by_object = chains_by_object(selection, _self=_self)
    options = run_options_of(window, stride, concatenate)
    results: dict[str, ScoresResult] = {
        obj: core(
            protattn.compute_scores,
            chains,
            layer_head,
            model=model,
            palette=str(palette),
            within=selected_residues(selection, obj, _self),
            **options,
        )
        for obj, chains in by_object.items()
    }
    for obj, result in results.items():
        n = draw.color_residues(obj, result.scene, selection, _self=_self)
        if not int(quiet) or result.notes:
            print(f" attention_color: {obj}: {result.summary()}")
        print(
            f" attention_color: {obj}: {n} residues, b-factor = attention received, "
            f"{result.scene.vmin:.3g} (light) to {result.scene.vmax:.3g} (dark)"
        )
    return results


def attention_clear(selection: str = "all", *, _self=cmd) -> None:
    """
    DESCRIPTION

        Remove the attention pairs drawn for the objects in the selection and
        put back the b-factors that attention_color replaced.

    USAGE

        attention_clear [ selection ]

    EXAMPLE

        attention_clear 1hpv
    """
    objects = _self.get_object_list(f"({selection})") or []
    for obj in objects:
        draw.clear(obj, _self=_self)
