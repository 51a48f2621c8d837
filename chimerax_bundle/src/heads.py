"""``attention heads``: heads ranked by a structural property; the top head drawn."""

from __future__ import annotations

from chimerax.atomic import Residues, ResiduesArg
from chimerax.core.commands import BoolArg, CmdDesc, FloatArg, PositiveIntArg, StringArg, register
from chimerax.core.errors import UserError
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.checks import check_threshold
from protattn.api.heads import property_attribute, top_heads
from protattn.lm.counts import DEFAULT_MIN_ARCS
from protattn.structure.selection import ResidueSelection

from .arguments import DEFINITION, MODEL
from .drawing import (
    PAIRS_GROUP,
    PairsPlan,
    check_attribute_name,
    checked,
    core,
    draw_plans,
    selected_in,
    set_attribute,
    targets,
)
from .key import KIND_COLOR, KIND_PAIRS, drop_keys, shown_keys
from .settings import use_settings
from .tables import ranking_log

__all__ = ["SELECTION", "attention_heads", "property_attribute", "property_of", "register_command"]

#: The property of the residues the user names (``residues``).
SELECTION = "selection"


def attention_heads(
    session: Session,
    chains: Residues,
    prop: str | None = None,
    *,
    residues: Residues | None = None,
    top: int = 10,
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    draw: bool = True,
    definition: str = "paper",
) -> list[dict]:
    """Rank heads by the share of their high-confidence attention on a property; draw the top.

    Usage: attention heads atom-spec [property name] [residues atom-spec] [top n]
    [threshold t] [minArcs n] [model name] [siteKinds kinds] [draw true|false]
    [definition paper|judged]

    e.g. attention heads #1 selection residues /B:99-104

    property is contact (the default), binding_site, binding_site:CODE, helix,
    strand, turn_bend, other, aa:X, or selection: your residues (an active
    site, an epitope), given with ``residues`` (which makes selection the
    default property), as the command line's ``protattn heads --residues``.
    A residue is named by its chain id, number and insertion code, so in
    several structures the residues so numbered are the selection; heads are
    ranked over the chains that hold them, the top head is drawn on those
    chains, and its values go to ``attention_selection``. Under the paper's
    definition (the default, as the paper's code counts), a head's share is
    the fraction of all its arcs with attention of at least threshold (the
    paper's 0.3) that are contacts
    (|i-j| >= 6, CB-CB < 8 A) or whose attended residue has the property;
    heads with more than minArcs arcs are ranked, each share with a
    Bonferroni-corrected 95% (Wald) interval, against the property's
    background rate in the structures. definition judged counts only the
    pairs the property is judged on (attention above threshold; Wilson).
    The ranked table is logged (an HTML table) and returned; the top head's
    pairs are drawn into "attention pairs" (contact: blue for pairs in contact,
    magenta for the others; other properties: by weight), and the attention each
    residue receives from that head is set as the property's own residue
    attribute, ``attention_<property>`` (``attention_binding_site``,
    ``attention_helix``, ``attention_aa_C`` ...), so that ``color byattribute
    attention_binding_site`` shows it and several properties' values coexist.

    When nothing can be ranked (the structures have no positive of the property,
    e.g. binding_site without a ligand, or no head has more than minArcs arcs:
    the warning says how many the best head has and what to change), a warning
    says why, nothing is drawn and earlier drawings stay. A top head whose
    interval contains the background is drawn with a warning that says so.
    minArcs defaults to 100, as in ``attention stats`` and the Attention panel.
    threshold must be above 0 and at most 1; another value is refused before the
    model runs. Of a multi-model file (NMR ensemble) the first model the spec
    touches is used, as the log says.
    """
    use_settings(session)
    prop = property_of(prop, residues)
    threshold = checked(check_threshold, threshold, "threshold")
    shown_keys(session)  # keys restored from a session, known before anything is drawn
    found = targets(session, chains)
    selection = None
    if residues is not None:
        chosen = selected_in(found, residues)
        selection = ResidueSelection(frozenset().union(*(c.ids for c in chosen)), chosen[0].text)
        session.logger.info(f"selection: {selection.describe()}")
    attribute = property_attribute(prop)
    if draw:
        check_attribute_name(session, attribute)
    result = core(
        top_heads,
        [t.core_structure() for t in found],
        prop,
        model,
        top,
        threshold,
        min_arcs,
        site_kinds,
        definition,
        draw=draw,
        within=[t.within for t in found],
        scores=True,
        selection=None if selection is None else selection.ids,
    )
    log = ranking_log(result.statistics, prop, result.rows)
    session.logger.info(log.html, is_html=True)
    if log.problem:
        session.logger.warning(log.problem)
        return []
    if log.warning:
        session.logger.warning(log.warning + (" (drawn all the same)" if result.pairs else ""))
    if result.pairs:
        plans = [PairsPlan.of(t, pairs) for t, pairs in zip(found, result.pairs)]
        if any(plan.ends for plan in plans):
            draw_plans(session, plans, PAIRS_GROUP)
            drop_keys(session, [KIND_PAIRS], drawing=PAIRS_GROUP)
        drop_keys(session, [KIND_COLOR], drawing=attribute)
        for plan in plans:
            session.logger.info(f"top head {plan.log_line()}")
            if not plan.ends:
                session.logger.warning(
                    f"{plan.target.structure}: the top head has no pair to draw above "
                    f"threshold {threshold:g}; {PAIRS_GROUP!r} is left as it was"
                )
        set_attribute(session, attribute, zip(found, result.scores))
        session.logger.info(
            f"residue attribute {attribute}: attention received from head "
            f"{result.best} (color byattribute {attribute})"
        )
    return list(result.rows)


def property_of(prop: str | None, residues: Residues | None) -> str:
    """The property ranked: as given, else selection with ``residues``, else contact.

    ``residues`` name the property selection's residues only: with another
    property, or selection without them, a UserError says what to write.
    """
    if prop is None:
        return SELECTION if residues is not None else "contact"
    if prop == SELECTION and residues is None:
        raise UserError(
            "the property selection needs your residues: give them with residues, "
            "e.g. attention heads #1 selection residues /B:99-104"
        )
    if prop != SELECTION and residues is not None:
        raise UserError(
            f"residues names the residues of the property selection, not of {prop!r}: "
            f"leave residues out to rank by {prop}, or write selection (or no property) "
            "to rank by your residues"
        )
    return prop


def register_command(logger: Logger) -> None:
    """Register ``attention heads`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("chains", ResiduesArg)],
        optional=[("prop", StringArg)],
        keyword=[
            ("residues", ResiduesArg),
            ("top", PositiveIntArg),
            ("threshold", FloatArg),
            ("min_arcs", PositiveIntArg),
            MODEL,
            ("site_kinds", StringArg),
            ("draw", BoolArg),
            DEFINITION,
        ],
        synopsis="rank attention heads by a property or your residues and draw the top head",
    )
    register("attention heads", desc, attention_heads, logger=logger)
