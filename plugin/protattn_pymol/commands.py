"""PyMOL commands that draw attention: attention_pairs, attention_color, attention_query,
attention_diff, attention_key, attention_clear.

Each command checks its arguments (the core's checks, :mod:`protattn.api.checks`),
adapts the selection to protattn chains, asks the core, and only then draws: a bad
argument raises ``CmdException`` with nothing drawn, and a run that finds nothing
says so and what to change, leaving what was drawn before as it was. The objects
of one command share one colour (and radius) scale unless ``range`` fixes it, and
every drawing's log line states the scale and the core's notes.
"""

from __future__ import annotations

from dataclasses import replace

from pymol import CmdException, cmd

import protattn
from protattn import PairsResult, ScoresResult
from protattn.api.diff import (
    GAINED_COLOR,
    LOST_COLOR,
    DiffResult,
    compare,
    compare_heads,
    head_changes,
)
from protattn.api.pairs import on_one_scale
from protattn.api.query import query_scores
from protattn.scene import parse_range
from protattn.structure.mutations import parse_mutations
from protattn.words import plural

from . import draw
from .adapter import chains_by_object, state_notes, structures_by_object
from .arguments import (
    core,
    flag,
    min_separation_of,
    number,
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
    "attention_diff",
    "attention_key",
    "attention_clear",
]


#: Pairs (residues) listed with quiet=0, strongest first.
_LISTED = 10

#: The colours of attention_diff's gained and lost pairs.
_CLASS_COLORS = (GAINED_COLOR, LOST_COLOR)


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


#: attention_diff with good arguments, for messages.
_DIFF_EXAMPLE = "attention_diff 1vfb and chain B, B:Y101A, 6-3"


def _one_chain(selection: str, mutations: str, state: int, _self) -> tuple[str, protattn.Chain]:
    """The one protein chain of one object that ``selection`` names; CmdException if not one."""
    by_object = chains_by_object(selection, state, _self=_self)
    if len(by_object) > 1:
        raise CmdException(
            f"selection {selection!r} holds protein chains of {len(by_object)} objects "
            f"({', '.join(by_object)}); attention_diff compares one chain of one object: "
            f"select it, e.g. {_DIFF_EXAMPLE}"
        )
    ((obj, chains),) = by_object.items()
    if len(chains) > 1:
        try:  # the chain the mutations name, for the example
            found = parse_mutations(mutations.replace("+", ",")) if mutations else ()
            named = [m.chain for m in found if m.chain]
        except protattn.ProtattnError:
            named = []
        ids = [c.id for c in chains]
        pick = (named[0] if named and named[0] in ids else ids[0]) or '""'
        raise CmdException(
            f"selection {selection!r} holds {len(chains)} protein chains of {obj} "
            f"({', '.join(i or '(blank)' for i in ids)}); attention_diff compares one chain: "
            f"select it, e.g. attention_diff {obj} and chain {pick}, "
            f"{mutations or '<mutations>'}, <layer-head>"
        )
    return obj, chains[0]


def _range_of(text: str) -> tuple[float, float] | None:
    """``range`` of attention_diff: m (the scale -m to m), lo,hi, full (-1 to 1) or auto."""
    text = str(text).strip().lower()
    if text in ("", "auto"):
        return None
    if text == "full":
        return (-1.0, 1.0)
    if "," not in text:
        m = number(text, "range")
        if not m > 0 or m == float("inf"):
            raise CmdException(
                f"range must be a change m above 0 (the scale -m to m), lo,hi, full or "
                f"auto, not {text!r}"
            )
        return (-m, m)
    return core(parse_range, text)


def _fixed(result: DiffResult, scale: tuple[float, float] | None) -> DiffResult:
    """``result`` with both scenes on the fixed scale ``scale`` (None: as computed)."""
    if scale is None:
        return result
    lo, hi = scale
    return replace(
        result,
        scene=replace(result.scene.rescaled(lo, hi), fixed=True),
        residues=replace(result.residues.rescaled(lo, hi), fixed=True),
    )


def _residue_selection(obj: str, rid: protattn.ResidueId) -> str:
    """The PyMOL selection of one residue of ``obj``."""
    chain = rid.chain or '""'
    number = str(rid.number).replace("-", "\\-")
    where = f"{obj} and chain {chain} and resi {number}{rid.icode}"
    return where + (f" and segi {rid.segment}" if rid.segment else "")


def _partners(text: str) -> list[str]:
    return [p for p in str(text).replace("+", ",").replace(" ", ",").split(",") if p]


def attention_diff(
    selection: str = "",
    mutations: str = "",
    layer_head: str = "",
    threshold: float | str = 0.1,
    top_k: int | str | None = None,
    versus: str = "",
    heads: int = 0,
    partner: str = "",
    model: str = "antiberty",
    range: str = "",
    key: int = 0,
    quiet: int = 0,
    state: int = -1,
    min_separation: int | str = 1,
    symmetrize: str = "max",
    radius: str = "",
    window: int = 0,
    stride: int = 0,
    *,
    _self=cmd,
) -> DiffResult:
    """
    DESCRIPTION

        What one head does differently for a mutant of one chain: the chain and
        its mutant (mutations in the structure's own numbering, or a whole
        second sequence) run through the same head, and the pairs each run
        selects (attention above threshold, or the top_k strongest) are
        compared. Pairs gained by the mutant are drawn red and pairs lost
        blue, thicker for a larger change of weight, into the group
        "attention_<object>"; each residue of the chain is coloured by the
        change of attention it receives (mutant - wild type, column sum / L)
        on the diverging scale, white at 0, red more, blue less, and the
        change is written into the b-factor column (attention_clear puts the
        original b-factors back). The mutated residues are shown as sticks.
        The log line gives the counts gained, lost and kept and the residues
        that change most; unless quiet, the pairs and residues are listed.

        versus=L-H compares two heads on the chain's own sequence instead:
        pairs only in versus are "gained", only in layer_head "lost".
        heads=1 also ranks every head by how much its agreement with the
        structure's contacts and binding sites (and, with partner=, the
        interface with those chains: an antibody chain's paratope) changes
        with the mutation.

        A mutation that does not fit the chain (a wrong wild type, an unknown
        residue number) or any other bad argument is refused in one line,
        before the model runs, and nothing is drawn or changed. When no pair
        is gained or lost, the earlier pairs drawing stays as it was.

    USAGE

        attention_diff selection, mutations, layer_head [, threshold [, top_k
            [, versus [, heads [, partner [, model [, range [, key [, quiet
            [, state [, min_separation [, symmetrize [, radius [, window
            [, stride ]]]]]]]]]]]]]]]

    ARGUMENTS

        selection = str: one protein chain of one object (1vfb and chain B);
        the chain runs whole

        mutations = str: [CHAIN:]WT NUMBER[ICODE] MUT, several separated by
        + or spaces (B:Y101A, H:A52aG, TYR101ALA, B:Y101A+B:D100A), or the
        mutant's whole sequence, as long as the chain's; leave it out with
        versus

        layer_head = str: 1-based "layer-head" (6-3), 6-mean or 6-max

        threshold = float: pairs of each run: attention max(a_ij, a_ji) above
        it, above 0 and at most 1 {default: 0.1}

        top_k = int or off: pairs of each run: the k strongest instead
        {default: off}

        versus = L-H: compare layer_head with this head on the chain's own
        sequence, instead of a mutant {default: none}

        heads = 0/1: also print every head ranked by the change of its share
        of high-confidence attention (0.3) on contacts and binding sites, and
        the interface with partner {default: 0}

        partner = str: with heads=1, chains of the same object whose atoms
        within 4 A make the interface property, e.g. C or C+D {default: none}

        model = str: protein language model {default: antiberty}

        range = m, lo,hi, full or auto: a fixed scale of the change: residues
        coloured from -m (blue) to m (red), pairs' radius growing from a
        change of 0 to m, so that mutants drawn apart compare (full: -1 to
        1) {default: auto, the largest change drawn}

        key = 0/1: also draw the key (attention_key) {default: 0}

        quiet = 0/1: 1 prints the log lines only, without the pairs and
        residues listed {default: 0}

        state = int: the object state whose coordinates are used, 1-based;
        0 or -1: the current state {default: -1}

        min_separation, symmetrize, window, stride: as for attention_pairs

        radius = r or lo,hi: cylinder radius in A, at the scale's ends
        {default: 0.05,0.3}

    EXAMPLE

        attention_diff 1vfb and chain B, B:Y101A, 6-3
        attention_diff 1vfb and chain B, B:Y101A, 6-3, heads=1, partner=C
        attention_diff 1jrh and chain H, H:N100aA+H:H100bA, 8-mean, top_k=30, key=1
        attention_diff 1vfb and chain B, layer_head=6-3, versus=7-1
        iterate 1vfb and chain B and name CA, print(resi, b)

    SEE ALSO

        attention_pairs, attention_color, attention_key, attention_clear
    """
    selection, text = str(selection).strip(), str(mutations).strip()
    other = str(versus).strip()
    if not selection:
        raise CmdException(f"give one protein chain of one object, e.g. {_DIFF_EXAMPLE}")
    if not str(layer_head).strip():
        raise CmdException(f"give a layer-head, e.g. {_DIFF_EXAMPLE}")
    if not text and not other:
        raise CmdException(
            "give the mutations (or the mutant's sequence), e.g. "
            f"{_DIFF_EXAMPLE}, or versus=L-H to compare two heads"
        )
    if text and other:
        raise CmdException(
            f"versus={other} compares two heads on the chain's own sequence; leave the "
            f"mutations out ({text}), or leave versus out to compare the mutant"
        )
    ranking, partners = flag(heads, "heads"), _partners(partner)
    if ranking and other:
        raise CmdException("heads=1 compares a mutant with the wild type; leave out versus")
    if partners and not ranking:
        raise CmdException("partner= is for heads=1 (the interface property); add heads=1")
    show_key = flag(key, "key")
    listed = not flag(quiet, "quiet")
    state = state_of(state)
    scale = _range_of(range)
    runs = run_options_of(window, stride, 0)
    options = dict(
        model=model,
        threshold=threshold_of(threshold),
        top_k=top_k_of(top_k),
        min_separation=min_separation_of(min_separation),
        symmetrize=str(symmetrize).strip(),
        radius=str(radius).strip() or (0.05, 0.3),
        window=runs["window"],
        stride=runs["stride"],
    )
    obj, chain = _one_chain(selection, text, state, _self)
    structure = None
    if ranking:
        structure = structures_by_object(obj, state, _self=_self)[obj]
        for p in partners:  # an unknown partner is refused before the model runs
            core(structure.chain, p)
    for note in state_notes("attention_diff", [obj], state, _self=_self):
        print(note)
    if other:
        result = core(compare_heads, chain, layer_head, other, **options)
    else:
        result = core(compare, chain, text.replace("+", ","), layer_head, **options)
    changes = None
    if structure is not None and result.mutant is not None:
        changes = core(
            head_changes,
            structure,
            chain,
            result.mutant,
            model,
            partners=partners,
            window=options["window"],
            stride=options["stride"],
        )
    result = _fixed(result, scale)  # everything is computed: now draw
    print(f" attention_diff: {obj}: {result.summary()}")
    n = draw.draw_pairs(obj, result.scene, protattn.ca_coordinates([chain]), _self=_self)
    gained, lost = (sum(b.rgba == c for b in result.scene.bonds) for c in _CLASS_COLORS)
    if n:
        pairs = f"drew {plural(n, 'pair')} ({gained} red, {lost} blue) into group "
        pairs += draw.group_name(obj)
    else:  # the earlier drawing stays
        pairs = f"no pair gained or lost to draw: {draw.kept(obj, _self=_self)}"
    coloured = draw.color_residues(obj, result.residues, obj, _self=_self)
    line = (
        f" attention_diff: {obj}: {pairs}; {plural(coloured, 'residue')} coloured by the "
        f"change of attention received ({result.residues.scale_text()}), b-factors = the "
        "change (attention_clear restores them)"
    )
    if result.mutant is not None:
        shown = [rid for k in result.mutant.positions if (rid := chain.residue_ids[k])]
        if shown:
            where = " or ".join(f"({_residue_selection(obj, rid)})" for rid in shown)
            _self.show("sticks", f"({where}) and not hydro")
            line += f"; {', '.join(map(str, shown))} shown as sticks"
    print(line)
    if listed:
        for row in result.table():
            print(f"   {row}")
    if changes is not None:
        print(f" attention_diff: {obj}: {changes.summary()}")
        if listed:
            for row in changes.table():
                print(f"   {row}")
    _finish("attention_diff", obj, show_key, _self)
    return result


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
