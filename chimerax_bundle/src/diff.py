"""``attention diff``: what one head does differently for a mutant, or what two heads do."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from chimerax.atomic import Residues, ResiduesArg
from chimerax.core.commands import (
    BoolArg,
    CmdDesc,
    EnumOf,
    FloatArg,
    IntArg,
    NonNegativeIntArg,
    PositiveIntArg,
    StringArg,
    register,
)
from chimerax.core.errors import UserError
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.checks import check_threshold
from protattn.api.diff import DiffResult, DiffScene, HeadChanges, compare, compare_heads
from protattn.api.diff import head_changes as rank_head_changes
from protattn.lm.counts import DEFAULT_DEFINITION
from protattn.palettes import Palette, parse_palette
from protattn.scene import parse_radius, parse_range
from protattn.words import plural

from .adapter import StructureChains
from .arguments import DEFINITION, KEY, LAYER_HEAD, MODEL, PALETTE, RANGE
from .color import paint_scores
from .drawing import (
    PairsPlan,
    check_attribute_name,
    check_group_name,
    check_pair_numbers,
    checked,
    core,
    draw_plans,
    show_sticks,
    targets,
)
from .key import KIND_PAIRS, check_key, drop_keys, show_key, shown_keys
from .settings import use_settings
from .tables import diff_tables, head_changes_tables

__all__ = ["DIFF_ATTRIBUTE", "DIFF_GROUP", "attention_diff", "register_command"]

#: Pseudobond group of the pairs gained and lost (another with ``name``).
DIFF_GROUP = "attention diff"
#: Residue attribute (float): the change of attention received (another with ``attribute``).
DIFF_ATTRIBUTE = "attention_diff"


def attention_diff(
    session: Session,
    chain: Residues,
    *,
    layer_head: str,
    mutations: str | None = None,
    sequence: str | None = None,
    versus: str | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    min_separation: int = 1,
    symmetrize: str = "max",
    heads: bool = False,
    partner: str | None = None,
    theta: float = 0.3,
    min_arcs: int = 20,
    top: int = 10,
    definition: str = DEFAULT_DEFINITION,
    listed: int = 20,
    model: str = "antiberty",
    palette: Palette | str | None = None,
    range: tuple[float, float] | str | None = None,
    radius: str | None = None,
    name: str = DIFF_GROUP,
    replace: bool = True,
    attribute: str = DIFF_ATTRIBUTE,
    window: int | None = None,
    stride: int | None = None,
    key: bool = False,
) -> DiffResult:
    """What one head does differently for a mutant of one chain, or what two heads do.

    Usage: attention diff atom-spec layerHead L-H (mutations list | sequence seq |
    versus L-H) [threshold t | topK n] [minSeparation n] [symmetrize max|mean]
    [heads true|false] [partner chain-ids] [theta t] [minArcs n] [top n]
    [definition paper|judged] [listed n] [model name] [palette name|spec]
    [range lo,hi|full] [radius r|lo,hi] [name group-name] [replace true|false]
    [attribute name] [window n] [stride n] [key true|false]

    e.g. attention diff #1/B mutations B:Y101A layerHead 6-3 heads true partner C

    The spec names one protein chain of one structure (any of its residues);
    the model runs on the whole chain and on its mutant: ``mutations`` in the
    structure's own numbering ([CHAIN:]WT NUMBER[ICODE] MUT, comma-separated:
    ``B:Y101A,B:D100A``, ``H:A52aG``, ``TYR101ALA``), or ``sequence``, the
    mutant's whole sequence, as long as the chain's. ``versus L-H`` instead
    compares layerHead with another head on the chain's own sequence. As the
    command line's ``protattn diff``: each run's pairs are selected as
    ``attention pairs`` selects them (weight above threshold, default 0.1, or
    the topK strongest); the pairs only the mutant has (gained, red) and only
    the wild type has (lost, blue) are drawn as pseudobonds into the group
    "attention diff" (``name``; ``replace false`` keeps its earlier ones), their
    radius growing with the change of weight (kept as ``attention_weight``);
    every residue of the chain is given the change of attention it receives,
    mutant minus wild type, as the float residue attribute ``attention_diff``
    (``attribute``) and coloured by it on a diverging scale centred at 0
    (``palette``; ``range lo,hi`` fixes it at +-max(|lo|, |hi|), ``full`` at
    -1 to 1). The mutated residues' atoms are shown as sticks. One log line
    gives the summary and both scales; the pairs gained, lost and kept (the
    ``listed`` largest changes of each, default 20; 0: all) and the residues
    that change most follow as tables. ``heads true`` also ranks every head by
    how much its agreement with contacts, binding sites and, with ``partner``
    (an antibody chain's antigen, e.g. ``partner C``), the interface changes
    (arcs of attention >= theta, default 0.3; heads with minArcs arcs in both
    sequences, default 20; the top of each property, default 10), logged as
    tables. ``key true`` shows the pairs' key (top left) and the residue
    colours' key (bottom left, with ChimeraX's colour key). A mutation that
    does not fit the chain (a wrong wild type, an unknown number) or any other
    bad argument is refused before anything in the session changes.

    Returns
    -------
    DiffResult
        The core's result: pairs gained, lost and kept, the change per residue.
    """
    use_settings(session)
    check_group_name(name)
    check_attribute_name(session, attribute)
    check_key(session, key)
    given = [
        k
        for k, v in (("mutations", mutations), ("sequence", sequence), ("versus", versus))
        if v is not None
    ]
    if len(given) != 1:
        raise UserError(
            "give one of mutations (e.g. mutations B:Y101A), sequence (the mutant's whole "
            "sequence) or versus (another head, e.g. versus 7-1)"
            + (f", not {' and '.join(given)}" if given else "")
        )
    if heads and versus is not None:
        raise UserError("heads true compares a mutant with the wild type; leave out versus")
    if partner is not None and not heads:
        raise UserError("partner names the interface's chains for heads true; add heads true")
    if threshold is not None and top_k is not None:
        raise UserError("give threshold or topK, not both")
    if listed < 0:
        raise UserError(f"listed is a whole number from 0 (0: all), not {listed}")
    if heads:
        theta = checked(check_threshold, theta, "theta")
    try:
        radii = parse_radius(radius or (0.05, 0.3))
        pal = None if palette is None else parse_palette(palette)
        fixed = parse_range(range)
    except ValueError as e:
        raise UserError(str(e)) from None
    shown_keys(session)  # keys restored from a session, known before anything is drawn
    target = _one_chain(session, chain, mutations)
    threshold, top_k, min_separation = check_pair_numbers(
        [target], 0.1 if threshold is None else threshold, top_k, min_separation
    )
    options = {
        "model": model,
        "threshold": threshold,
        "top_k": top_k,
        "min_separation": min_separation,
        "symmetrize": symmetrize,
        "radius": radii,
        "window": window,
        "stride": stride,
    }
    (wild,) = target.chains
    if versus is not None:
        result = core(compare_heads, wild, layer_head, versus, **options)
    else:
        result = core(
            compare, wild, mutations if mutations is not None else sequence, layer_head, **options
        )
    changes = None
    if heads:
        whole = _whole(target)
        changes = core(
            rank_head_changes,
            whole.core_structure(),
            wild.id,
            result.mutant,
            model,
            partners=[p for p in re.split(r"[\s,]+", partner or "") if p],
            threshold=theta,
            min_arcs=min_arcs,
            definition=definition,
            window=window,
            stride=stride,
        )
    colours = _Colours(result, _residue_scene(result.residues, pal, fixed))
    plan = PairsPlan.make(target, result.scene, result.summary())
    _draw(session, result, colours, plan, name, replace, attribute, key)
    session.logger.info(diff_tables(result, listed or None), is_html=True)
    if changes is not None:
        _log_heads(session, changes, top)
    return result


@dataclass(frozen=True)
class _Colours:
    """A diff's residue colours as :func:`~.color.paint_scores` takes a result."""

    result: DiffResult
    scene: DiffScene
    sticks: str = ""

    @property
    def model(self) -> str:
        return self.result.model

    def summary(self) -> str:
        """The diff's summary, the residues' scale and the residues shown as sticks."""
        line = f"{self.result.summary()}; residues: {self.scene.scale_text()}"
        return line + (f"; {self.sticks}" if self.sticks else "")


def _one_chain(session: Session, chain: Residues, mutations: str | None) -> StructureChains:
    """The one protein chain the spec names; UserError naming the choices for more."""
    found = targets(session, chain)
    held = [(t, c.id) for t in found for c in t.chains]
    if len(held) == 1:
        return found[0]
    named = sorted(set(re.findall(r"([^:\s,;]+):", mutations or "")))
    first = found[0]
    example = f"{first.structure.atomspec}/{named[0] if len(named) == 1 else held[0][1]}"
    raise UserError(
        f"attention diff compares one protein chain; the spec holds {len(held)}: "
        + ", ".join(f"{t.structure.atomspec}/{cid}" for t, cid in held)
        + f"; name one, e.g. {example}"
    )


def _whole(target: StructureChains) -> StructureChains:
    """Every protein chain of the target's structure (the partners of heads true)."""
    from .adapter import protein_chains

    (whole,) = protein_chains(target.structure.residues)
    return whole


def _residue_scene(
    scene: DiffScene, palette: Palette | None, fixed: tuple[float, float] | None
) -> DiffScene:
    """The residues' scene in ``palette``, on the scale ``fixed`` (centred at 0) if given."""
    if palette is None and fixed is None:
        return scene
    painted = scene if palette is None else replace(scene, palette=palette)
    scale = fixed if fixed is not None else (palette.values if palette is not None else None)
    if scale is None:
        return painted.rescaled(scene.vmin, scene.vmax)
    return replace(painted.rescaled(*scale), fixed=True)


def _draw(
    session: Session,
    result: DiffResult,
    colours: _Colours,
    plan: PairsPlan,
    name: str,
    replace_pairs: bool,
    attribute: str,
    key: bool,
) -> None:
    """Draw what was computed: pairs, their key, the mutated residues, the colours."""
    target = plan.target
    heading = f"{result.model} {result.heads[0]}" if result.mutant is not None else result.model
    if plan.ends:
        draw_plans(session, [plan], name, replace_pairs)
        drop_keys(session, [KIND_PAIRS], drawing=name)
        if key:
            show_key(session, KIND_PAIRS, result.scene.key(), heading, [target.structure], name)
    else:
        what = "gained or lost" if result.mutant is not None else "in one head only"
        session.logger.warning(
            f"{target.structure}: no pair {what} to draw; {name!r} is left as it was"
        )
    mutated = Residues([])
    if result.mutant is not None:
        ids = [result.residue_ids[k] for k in result.mutant.positions]
        mutated = Residues([target.residues[rid] for rid in ids if rid in target.residues])
        if len(mutated):
            colours = replace(
                colours,
                sticks=f"{plural(len(mutated), 'mutated residue')} shown as sticks",
            )
    paint_scores(session, [target], [colours], attribute, key, heading=lambda _: heading)
    if len(mutated):
        show_sticks(mutated)


def _log_heads(session: Session, changes: HeadChanges, top: int) -> None:
    """The heads whose agreement changes most: the summary and a table per property."""
    session.logger.info(head_changes_tables(changes, top or None), is_html=True)


def register_command(logger: Logger) -> None:
    """Register ``attention diff`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("chain", ResiduesArg)],
        keyword=[
            LAYER_HEAD,
            ("mutations", StringArg),
            ("sequence", StringArg),
            ("versus", StringArg),
            ("threshold", FloatArg),
            ("top_k", IntArg),
            ("min_separation", IntArg),
            ("symmetrize", EnumOf(("max", "mean"))),
            ("heads", BoolArg),
            ("partner", StringArg),
            ("theta", FloatArg),
            ("min_arcs", NonNegativeIntArg),
            ("top", NonNegativeIntArg),
            DEFINITION,
            ("listed", NonNegativeIntArg),
            MODEL,
            PALETTE,
            RANGE,
            ("radius", StringArg),
            ("name", StringArg),
            ("replace", BoolArg),
            ("attribute", StringArg),
            ("window", PositiveIntArg),
            ("stride", PositiveIntArg),
            KEY,
        ],
        required_arguments=["layer_head"],
        synopsis="pairs gained and lost, and the change per residue, for a mutant or two heads",
    )
    register("attention diff", desc, attention_diff, logger=logger)
