"""PyMOL commands that draw attention: attention_pairs, attention_color, attention_query,
attention_key, attention_clear.

Each command checks its arguments (the core's checks, :mod:`protattn.api.checks`),
adapts the selection to protattn chains, asks the core, and only then draws: a bad
argument raises ``CmdException`` with nothing drawn, and a run that finds nothing
says so and what to change, leaving what was drawn before as it was. The objects
of one command share one colour (and radius) scale unless ``range`` fixes it, and
every drawing's log line states the scale and the core's notes.
"""

from __future__ import annotations

from pymol import CmdException, cmd

import protattn
from protattn import PairsResult, ScoresResult
from protattn.api.pairs import on_one_scale
from protattn.api.query import query_scores
from protattn.words import plural

from . import draw
from .adapter import chains_by_object, state_notes
from .arguments import (
    core,
    flag,
    min_separation_of,
    palette_of,
    residues_by_object,
    run_options_of,
    selected_residues,
    state_of,
    threshold_of,
    top_k_of,
)

__all__ = [
    "attention_pairs",
    "attention_color",
    "attention_query",
    "attention_key",
    "attention_clear",
]


#: Pairs (residues) listed with quiet=0, strongest first.
_LISTED = 10


def _finish(command: str, obj: str, key: bool, _self) -> None:
    """Draw (or refresh) the object's key when asked for; say where it is."""
    if key and draw.draw_key(obj, _self=_self):
        print(f" {command}: {obj}: key drawn as {draw.key_name(obj)}")


def _nothing_found(
    result: PairsResult, threshold: float, top_k: int | None, min_separation: int, selected: int
) -> str:
    """Why a pairs run found no pair to draw among ``selected`` residues, and what to change."""
    if result.pairs:  # found, but none between residues with coordinates
        return (
            f"{plural(len(result.pairs), 'pair')} found, none between residues with CA coordinates"
        )
    if selected < 2:
        return f"the selection holds {plural(selected, 'residue')}: a pair needs two; select more"
    if top_k is None:
        return (
            f"no pair of the {selected} selected residues has attention above {threshold:g} "
            f"at |i - j| >= {min_separation}; lower threshold or min_separation, give top_k "
            "(e.g. top_k=20) or select more residues"
        )
    return (
        f"no pair of the {selected} selected residues is {min_separation} or more apart in "
        "sequence; lower min_separation or select more residues"
    )


def attention_pairs(
    selection: str = "polymer.protein",
    layer_head: str = "",
    threshold: float | str = 0.1,
    top_k: int | str | None = None,
    min_separation: int | str = 1,
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
    key: int = 0,
    state: int = -1,
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
        The objects of one command share one scale (the range of all their drawn
        weights) unless range fixes it; the log line of each object states the
        scale, what is not drawn and how the attention was obtained.

        A run that finds no pair says so and what to change, and leaves the
        object's earlier drawing (pairs, key) as it was.

    USAGE

        attention_pairs selection, layer_head [, threshold [, top_k
            [, min_separation [, symmetrize [, model [, palette [, window
            [, stride [, concatenate [, color_by [, quiet [, range
            [, radius [, key [, state ]]]]]]]]]]]]]]]

    ARGUMENTS

        selection = str: protein residues to analyse {default: polymer.protein}

        layer_head = str: 1-based "layer-head" (7-1), or a layer's heads
        averaged (7-mean) or their maximum (7-max)

        threshold = float: keep pairs whose attention max(a_ij, a_ji) is above
        it; above 0 and at most 1 {default: 0.1}

        top_k = int or off: keep the k strongest pairs per chain instead of
        the threshold, k at least 1; off (or left out) uses the threshold
        {default: off}

        min_separation = int: minimum |i - j| in sequence, from 0 and below the
        longest chain's length {default: 1}

        symmetrize = max or mean: how a_ij and a_ji are combined {default: max}

        model = str: short name (attention_models lists them), Hugging Face id
        or model directory {default: antiberty}

        palette = str: attention (cream to dark red), white_red,
        blue_white_red, viridis or enrichment; spectrum's palettes (rainbow,
        rainbow_rev, gcbmry, ...); PyMOL colours joined by _ or :
        (green_white_magenta, red_blue, blue:white:red); value,colour stops
        (0,white:0.5,red); ChimeraX or matplotlib colormap names (bluered,
        YlOrRd); ^ before any of them reverses it {default: attention}

        window = int: run chains longer than this as overlapping windows (0:
        only chains longer than the model's limit, at that limit) {default: 0}

        stride = int: residues between window starts (0: half the window)

        concatenate = 0/1: run the selected chains of an object as one input,
        to see attention between chains {default: 0}

        color_by = weight or contact: colour by attention weight (palette), or
        blue / magenta for pairs that are / are not 3D contacts (CB-CB < 8 A;
        grey: unknown) {default: weight}

        quiet = 0/1: 0 also lists the 10 strongest pairs {default: 1}

        range = lo,hi, full or auto: a fixed scale of colour and radius (full: 0
        to 1), so a weight looks the same in every drawing {default: auto, the
        drawn weights' range, shared by the objects of the selection}

        radius = r or lo,hi: cylinder radius in A, one for all pairs or at the
        scale's ends {default: 0.05,0.3}

        key = 0/1: also draw the key (attention_key) {default: 0}

        state = int: the object state whose coordinates are used (an NMR
        file's model, a trajectory's frame), 1-based; 0 or -1: the current
        state, as the viewer shows it {default: -1}. For an object of several
        states the log says which state is used.

    EXAMPLE

        attention_pairs 1hpv, 6-3
        attention_pairs 1hpv and chain A, 8-max, top_k=20, min_separation=6
        attention_pairs 2k39, 6-3, state=5
        attention_pairs 1vfb and chain A+B, 8-max, top_k=30, concatenate=1
        attention_pairs 1hpv, 6-3, range=full, radius=0.2, key=1
        attention_pairs 1hpv, 6-3, palette=rainbow, color_by=weight

    SEE ALSO

        attention_color, attention_key, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException("give a layer-head, e.g. attention_pairs 1hpv, 7-1")
    show_key = flag(key, "key")
    listed = not flag(quiet, "quiet")
    state = state_of(state)
    cutoff, k = threshold_of(threshold), top_k_of(top_k)
    separation = min_separation_of(min_separation)  # the core checks it against the chains
    options = dict(
        model=model,
        threshold=cutoff,
        top_k=k,
        min_separation=separation,
        symmetrize=str(symmetrize),
        palette=palette_of(palette, _self=_self),
        color_by=str(color_by),
        value_range=str(range).strip() or None,
        radius=str(radius).strip() or (0.05, 0.3),
        **run_options_of(window, stride, concatenate),
    )
    by_object = chains_by_object(selection, state, _self=_self)
    for note in state_notes("attention_pairs", by_object, state, _self=_self):
        print(note)
    within = {obj: selected_residues(selection, obj, c, _self) for obj, c in by_object.items()}
    computed: list[PairsResult] = [  # everything is computed before anything is drawn
        core(protattn.compute_pairs, chains, layer_head, within=within[obj], **options)
        for obj, chains in by_object.items()
    ]
    results = dict(zip(by_object, on_one_scale(computed, "objects")))
    pairs: list[protattn.Pair] = []
    for obj, result in results.items():
        pairs.extend(result.pairs)
        n = draw.draw_pairs(obj, result.scene, protattn.ca_coordinates(by_object[obj]), _self=_self)
        if not n:  # the earlier drawing stays
            why = _nothing_found(result, cutoff, k, separation, len(within[obj]))
            print(
                f" attention_pairs: {obj}: {result.model} {result.head}: nothing found: {why}; "
                f"{draw.kept(obj, _self=_self)}"
            )
            continue
        print(
            f" attention_pairs: {obj}: {result.summary()}; drew {plural(n, 'pair')} into group "
            f"{draw.group_name(obj)}"
        )
        if listed:  # the strongest pairs
            for p in result.pairs[:_LISTED]:
                contact = {True: "contact", False: "no contact", None: "unknown"}[p.contact]
                print(
                    f"   {p.residue_i} {p.aa_i} - {p.residue_j} {p.aa_j}  {p.weight:.3f}  {contact}"
                )
        _finish("attention_pairs", obj, show_key, _self)
    return pairs


def attention_color(
    selection: str = "polymer.protein",
    layer_head: str = "",
    model: str = "antiberty",
    palette: str = "attention",
    window: int = 0,
    stride: int = 0,
    concatenate: int = 0,
    quiet: int = 1,
    range: str = "",
    key: int = 0,
    state: int = -1,
    *,
    _self=cmd,
) -> dict[str, ScoresResult]:
    """
    DESCRIPTION

        Colour residues by the attention they receive from one head: for each
        residue j, the column sum over queries i of a_ij divided by the chain
        length. The values are written into the b-factor column (the original
        b-factors come back with attention_clear) and each residue takes its
        colour on the palette's scale. The objects of one command share one
        scale unless range fixes it; the log line states it. When no residue
        gets a value, the log says so and b-factors and colours stay as they
        were.

    USAGE

        attention_color selection, layer_head [, model [, palette [, window
            [, stride [, concatenate [, quiet [, range [, key [, state ]]]]]]]]]

    ARGUMENTS

        selection = str: protein residues to colour {default: polymer.protein}

        layer_head = str: 1-based "layer-head" (7-1), 7-mean or 7-max

        model = str: protein language model {default: antiberty}

        palette = str: attention (cream to dark red), white_red,
        blue_white_red, viridis; spectrum's palettes (rainbow, rainbow_rev,
        gcbmry, ...); PyMOL colours joined by _ or : (green_white_magenta,
        blue:white:red); value,colour stops; ChimeraX or matplotlib colormap
        names; ^ before any of them reverses it {default: attention}

        window, stride, concatenate: as for attention_pairs

        quiet = 0/1: 0 also lists the 10 residues receiving most attention
        {default: 1}

        range = lo,hi, full or auto: a fixed colour scale (full: 0 to 1)
        {default: auto, the coloured residues' range, shared by the objects}

        key = 0/1: also draw the key (attention_key) {default: 0}

        state = int: the object state whose residues are read, 1-based; 0 or
        -1: the current state {default: -1}, as for attention_pairs

    EXAMPLE

        attention_color 1hpv, 8-mean
        attention_color 1hpv or 1hpx, 8-mean, range=0,0.05, key=1
        iterate 1hpv and name CA, print(resi, b)

    SEE ALSO

        attention_pairs, attention_query, attention_key, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException("give a layer-head, e.g. attention_color 1hpv, 7-1")
    show_key = flag(key, "key")
    listed = not flag(quiet, "quiet")
    state = state_of(state)
    pal = palette_of(palette, _self=_self)
    options = run_options_of(window, stride, concatenate)
    by_object = chains_by_object(selection, state, _self=_self)
    for note in state_notes("attention_color", by_object, state, _self=_self):
        print(note)
    computed: list[ScoresResult] = [
        core(
            protattn.compute_scores,
            chains,
            layer_head,
            model=model,
            palette=pal,
            within=selected_residues(selection, obj, chains, _self),
            value_range=str(range).strip() or None,
            **options,
        )
        for obj, chains in by_object.items()
    ]
    results = dict(zip(by_object, on_one_scale(computed, "objects")))
    for obj, result in results.items():
        n = draw.color_residues(obj, result.scene, selection, _self=_self)
        if not n:  # b-factors and colours untouched
            print(
                f" attention_color: {obj}: {result.model} {result.head}: nothing found: no "
                f"selected residue of {obj} got a value; b-factors and colours stay as they "
                "were; select protein residues the model ran on, e.g. "
                f"attention_color {obj}, {result.head}"
            )
            continue
        print(
            f" attention_color: {obj}: {result.summary()}; {plural(n, 'residue')} coloured, "
            "b-factors = attention received (attention_clear restores them)"
        )
        if listed:  # the residues receiving most attention
            for r in sorted(result.scene.residues, key=lambda r: -r.value)[:_LISTED]:
                print(f"   {r.residue}  {r.value:.4f}")
        _finish("attention_color", obj, show_key, _self)
    return results


#: attention_query with a good residues=, for messages.
_QUERY_EXAMPLE = "attention_query 1vfb, 1vfb and chain B and resi 99-104, 5-5"


def attention_query(
    selection: str = "polymer.protein",
    residues: str = "",
    layer_head: str = "",
    direction: str = "from",
    model: str = "antiberty",
    palette: str = "attention",
    window: int = 0,
    stride: int = 0,
    concatenate: int = 0,
    quiet: int = 1,
    range: str = "",
    key: int = 0,
    state: int = -1,
    *,
    _self=cmd,
) -> dict[str, ScoresResult]:
    """
    DESCRIPTION

        The query view: colour every residue by the attention it exchanges
        with your residues (an epitope, a CDR, an active site), for one head.
        direction=from: the attention each residue receives from the selected
        residues, the mean over them of a_ij (what they look at); direction=to:
        the share of its own attention each residue gives to them (who looks
        at them, 0 to 1). Every weight counts.

        The values are written into the b-factor column (attention_clear puts
        the original b-factors back) and each residue takes its colour on the
        palette's scale; the selected residues are shown as sticks. The chains
        of the selection run one at a time (concatenate=1: as one input, to see
        attention between an antibody and its antigen); a chain holding none
        of the residues is then not coloured, as the log says. The objects of
        one command share one scale unless range fixes it.

    USAGE

        attention_query selection, residues, layer_head [, direction [, model
            [, palette [, window [, stride [, concatenate [, quiet [, range
            [, key [, state ]]]]]]]]]]

    ARGUMENTS

        selection = str: the protein chains to run and colour, each whole
        {default: polymer.protein}

        residues = str: a PyMOL selection of the residues asked about (sele,
        or 1vfb and chain B and resi 99-104), in the chains run

        layer_head = str: 1-based "layer-head" (5-5), 6-mean or 6-max

        direction = from or to: attention received from the residues (mean
        over them), or the share of attention given to them {default: from}

        model, palette, window, stride, concatenate, range, key, state: as for
        attention_color

        quiet = 0/1: 0 also lists the 10 residues of highest value
        {default: 1}

    EXAMPLE

        attention_query 1vfb, 1vfb and chain B and resi 99-104, 5-5
        attention_query 1vfb, sele, 6-mean, direction=to, concatenate=1, key=1
        iterate 1vfb and chain C and name CA, print(resi, b)

    SEE ALSO

        attention_color, attention_heads, attention_key, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException(f"give a layer-head, e.g. {_QUERY_EXAMPLE}")
    show_key = flag(key, "key")
    listed = not flag(quiet, "quiet")
    state = state_of(state)
    pal = palette_of(palette, _self=_self)
    options = run_options_of(window, stride, concatenate)
    by_object = chains_by_object(selection, state, _self=_self)
    held, notes = residues_by_object(residues, by_object, "attention_query", _QUERY_EXAMPLE, _self)
    computed: list[ScoresResult] = [  # everything is computed before anything is drawn
        core(
            query_scores,
            by_object[obj],
            layer_head,
            chosen.ids,
            str(direction).strip(),
            model=model,
            palette=pal,
            value_range=str(range).strip() or None,
            **options,
        )
        for obj, chosen in held.items()
    ]
    for note in [*state_notes("attention_query", held, state, _self=_self), *notes]:
        print(note)  # once all is computed: a refused command says only why
    results = dict(zip(held, on_one_scale(computed, "objects")))
    for obj, result in results.items():
        n = draw.color_residues(obj, result.scene, obj, _self=_self)
        if not n:  # b-factors and colours untouched
            print(
                f" attention_query: {obj}: {result.model} {result.head}: nothing found: no "
                f"residue of {obj} got a value; b-factors and colours stay as they were"
            )
            continue
        shown = f"({residues}) and {obj} and (bychain ({selection})) and polymer.protein"
        _self.show("sticks", f"{shown} and not hydro")
        print(
            f" attention_query: {obj}: {result.summary()}; {plural(n, 'residue')} coloured, "
            "b-factors = these values (attention_clear restores them); the "
            f"{plural(len(held[obj]), 'selected residue')} shown as sticks"
        )
        if listed:  # the residues of highest value
            for r in sorted(result.scene.residues, key=lambda r: -r.value)[:_LISTED]:
                mark = "  (selected)" if r.residue in held[obj] else ""
                print(f"   {r.residue}  {r.value:.4f}{mark}")
        _finish("attention_query", obj, show_key, _self)
    return results


def attention_key(selection: str = "all", zoom: int = 1, *, _self=cmd) -> list[str]:
    """
    DESCRIPTION

        Draw the key of protattn's last drawings of each object in the
        selection: a colour bar with its values (or the contact colours: blue
        contact, magenta no contact, grey unknown), the title saying what is
        measured and, for pairs, cylinders of the radii drawn at a few weights.
        The key is a CGO object "attention_<object>_key" in the object's group,
        to the right of the object and facing the current view, so ray and png
        show it; drawings made later update it, attention_clear removes it.

    USAGE

        attention_key [ selection [, zoom ]]

    ARGUMENTS

        selection = str: objects whose key to draw {default: all}

        zoom = 0/1: move the camera back (keeping its orientation) when the key
        lies outside the view {default: 1}

    EXAMPLE

        attention_pairs 1hpv, 6-3, range=full
        attention_key 1hpv
        png pairs.png, width=1200, height=900, ray=1

    SEE ALSO

        attention_pairs, attention_color, attention_clear
    """
    move = flag(zoom, "zoom")
    objects = _self.get_object_list(f"({selection})") or []
    drawn = [obj for obj in objects if draw.scenes(obj, _self=_self)]
    if not drawn:
        raise CmdException(
            f"nothing protattn drew is shown for {selection!r}; draw first, e.g. "
            "attention_pairs 1hpv, 6-3 or attention_color 1hpv, 8-mean"
        )
    for obj in drawn:
        draw.draw_key(obj, zoom=move, _self=_self)
        for line in (s.key().text for s in draw.scenes(obj, _self=_self)):
            print(f" attention_key: {obj}: {draw.key_name(obj)}: {line}")
    return [draw.key_name(obj) for obj in drawn]


def attention_clear(selection: str = "all", *, _self=cmd) -> None:
    """
    DESCRIPTION

        Remove the attention pairs and keys drawn for the objects in the
        selection and put back the b-factors that attention_color replaced.

    USAGE

        attention_clear [ selection ]

    EXAMPLE

        attention_clear 1hpv
    """
    objects = _self.get_object_list(f"({selection})") or []
    for obj in objects:
        draw.clear(obj, _self=_self)
