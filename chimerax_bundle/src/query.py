"""``attention query``: every residue coloured by the attention it exchanges with your residues."""

from __future__ import annotations

from chimerax.atomic import Residues, ResiduesArg
from chimerax.core.commands import CmdDesc, EnumOf, StringArg, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.options import run_options
from protattn.api.pairs import on_one_scale
from protattn.api.query import DIRECTIONS, query_scores
from protattn.palettes import Palette
from protattn.words import plural

from .arguments import KEY, LAYER_HEAD, MODEL, PALETTE, RANGE, RUN
from .color import paint_scores
from .drawing import check_attribute_name, core, selected_in, show_sticks, targets
from .key import check_key, shown_keys
from .settings import use_settings

__all__ = ["QUERY_ATTRIBUTE", "attention_query", "register_command"]

#: Residue attribute (float) that ``attention query`` sets (another with ``attribute``).
QUERY_ATTRIBUTE = "attention_query"


def attention_query(
    session: Session,
    chains: Residues,
    *,
    residues: Residues,
    layer_head: str,
    direction: str = "from",
    model: str = "antiberty",
    palette: Palette | str = "attention",
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    attribute: str = QUERY_ATTRIBUTE,
    range: tuple[float, float] | str | None = None,
    key: bool = False,
) -> Residues:
    """Colour every residue by the attention it exchanges with your residues, for one head.

    Usage: attention query atom-spec residues atom-spec layerHead L-H
    [direction from|to] [model name] [palette name|spec] [window n] [stride n]
    [concatenate true|false] [attribute name] [range lo,hi|full] [key true|false]

    e.g. attention query #1 residues /B:99-104 layerHead 5-5 direction to key true

    The model runs on each whole protein chain the first spec touches; every
    residue of those chains is given the value of ``direction from`` (the
    default): the attention it receives from the residues named by
    ``residues`` (the mean over them of their attention to it), or of
    ``direction to``: the share of its own attention that it gives to them
    (0 to 1), as the command line's ``protattn query``. A chain run without
    any of those residues is not coloured (the log says so): ``concatenate
    true`` runs a structure's chains as one input, so that attention between
    an antibody and its antigen is seen. The values are set as the float
    residue attribute ``attention_query`` (or the one named by ``attribute``)
    and coloured with ``color byattribute``, on one scale for the whole
    command, as ``attention color`` does; each structure's log line states the
    scale. The atoms of the residues named are then shown as sticks (hydrogens
    left as they were), as the log says; your selection is left as it was.
    ``key true`` shows the key (ChimeraX's colour key and 2D labels, as
    ``attention color ... key true``), titled with the head, the direction
    and the number of residues. A spec of no residue, or of none in the protein
    chains used, and an unknown direction or head, are refused before anything
    changes.

    Returns
    -------
    Residues
        The residues that were given a value.
    """
    use_settings(session)
    check_attribute_name(session, attribute)
    check_key(session, key)
    shown_keys(session)  # keys restored from a session, known before anything is drawn
    found = targets(session, chains)
    selections = selected_in(found, residues, every=True)
    results = on_one_scale(
        [
            core(
                query_scores,
                target.chains,
                layer_head,
                selection.ids,
                direction,
                model=model,
                palette=palette,
                value_range=range,
                **run_options(window, stride, concatenate),
            )
            for target, selection in zip(found, selections)
        ]
    )
    coloured = paint_scores(session, found, results, attribute, key, heading=lambda r: r.model)
    if len(coloured):
        chosen = Residues(
            [t.residues[rid] for t, selection in zip(found, selections) for rid in selection.ids]
        )
        show_sticks(chosen)
        session.logger.info(
            f"{plural(len(chosen), 'residue')} of the query ({selections[0].text}) shown as "
            "sticks (your selection is left as it was)"
        )
    return coloured


def register_command(logger: Logger) -> None:
    """Register ``attention query`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("chains", ResiduesArg)],
        keyword=[
            ("residues", ResiduesArg),
            LAYER_HEAD,
            ("direction", EnumOf(tuple(DIRECTIONS))),
            MODEL,
            PALETTE,
            *RUN,
            ("attribute", StringArg),
            RANGE,
            KEY,
        ],
        required_arguments=["residues", "layer_head"],
        synopsis="color every residue by the attention it exchanges with your residues",
    )
    register("attention query", desc, attention_query, logger=logger)
