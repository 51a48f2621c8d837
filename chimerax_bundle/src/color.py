"""``attention color``: residues coloured by the attention they receive from one head."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chimerax.atomic import Residue, Residues, ResiduesArg, concise_residue_spec
from chimerax.atomic import concatenate as join_collections
from chimerax.core.commands import CmdDesc, StringArg, register, run
from chimerax.core.logger import Logger
from chimerax.core.session import Session

import protattn
from protattn.api.options import run_options
from protattn.api.pairs import on_one_scale
from protattn.palettes import Palette

from .adapter import StructureChains
from .arguments import KEY, LAYER_HEAD, MODEL, PALETTE, RANGE, RUN
from .drawing import (
    ATTRIBUTE,
    check_attribute_name,
    core,
    nothing_drawn,
    register_float,
    remember_attribute,
    targets,
    warn_unknown_only,
)
from .key import KIND_COLOR, check_key, drop_keys, show_key, shown_keys
from .settings import use_settings

__all__ = ["attention_color", "paint_scores", "register_command"]


def attention_color(
    session: Session,
    residues: Residues,
    layer_head: str,
    *,
    model: str = "antiberty",
    palette: Palette | str = "attention",
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    attribute: str = ATTRIBUTE,
    range: tuple[float, float] | str | None = None,
    key: bool = False,
) -> Residues:
    """Colour residues by the attention they receive from one head.

    Usage: attention color atom-spec layerHead L-H [model name] [palette name|spec]
    [window n] [stride n] [concatenate true|false] [attribute name]
    [range lo,hi|full] [key true|false]

    Sets the float residue attribute ``attention`` (attention received: column
    sum over queries / L), or the one named by ``attribute``, and colours by it
    with ChimeraX's ``color byattribute r:attention``, so the values can be
    reused (``select ::attention>0.02``, ``color byattribute``, ``attention
    save``) and are kept in sessions. Give each head its own name
    (``attribute attention_8_mean``) to keep several. The model runs on each whole
    protein chain that the spec touches (its full SEQRES / entity sequence), so
    the values do not depend on the selection; only residues in the spec get a
    value and a colour. The colours span one scale for the whole command: the
    range of the coloured values over every structure in the spec (``#1,2``: a
    colour means the same value on both), or ``range``; each structure's log
    line states it. Other residues keep their colour. A run that finds no residue
    to colour says so and leaves every value, colour and key as it was. Of a
    multi-model file (NMR ensemble) the first model the spec touches is used, as
    the log says; name one (``#1.2``) for another.

    Parameters
    ----------
    residues : Residues
        Residues to colour; the model runs on their whole protein chains.
    layer_head : str
        ``L-H`` with 1-based layer and head (``7-1``), or ``L-mean`` / ``L-max``.
    model : str
        Language model (default antiberty).
    palette : Palette or str
        Colours from the least attention to the most (default attention: cream to
        dark red): a ChimeraX colormap as for ``color byattribute`` (``bluered``,
        ``^rdylbu``, ``blue:white:red``, ``0,blue:0.5,white:1,red``, whose values
        fix the scale) or protattn's ``attention``, ``white_red``, ``enrichment``,
        ``blue_white_red``, ``viridis``; ``^`` before any reverses it.
    window, stride, concatenate
        As for ``attention pairs``.
    attribute : str
        Residue attribute to set (default ``attention``); registered as a float
        attribute, so ChimeraX saves it in sessions. ASCII letters, digits and
        ``_`` only, as ChimeraX's atom specs (``::name>0.02``) read no others.
    range : (float, float) or str, optional
        A fixed colour scale, ``lo,hi`` or ``full`` (0 to 1), so a value has the
        same colour in every drawing (default: the coloured values' range over
        all structures of the command).
    key : bool
        Show the colours' key at the bottom left of the graphics window (default
        false): ChimeraX's colour key with the scale's values and 2D labels with
        the head and the scale in words. ChimeraX has one colour key per
        session: the latest drawing with ``key true`` takes it. Without ``key
        true``, the key of earlier colours of the same attribute is removed.

    Returns
    -------
    Residues
        The residues that were given a value.
    """
    use_settings(session)
    check_attribute_name(session, attribute)
    check_key(session, key)
    shown_keys(session)  # keys restored from a session, known before anything is drawn
    found = targets(session, residues)
    results = on_one_scale(
        [
            core(
                protattn.compute_scores,
                target.chains,
                layer_head,
                model=model,
                palette=palette,
                within=target.within,
                value_range=range,
                **run_options(window, stride, concatenate),
            )
            for target in found
        ]
    )
    return paint_scores(
        session, found, results, attribute, key, heading=lambda r: f"{r.model} {r.head}"
    )


def paint_scores(
    session: Session,
    found: Sequence[StructureChains],
    results: Sequence[protattn.ScoresResult],
    attribute: str,
    key: bool,
    heading: Callable[[protattn.ScoresResult], str],
) -> Residues:
    """Set each result's residue values as ``attribute`` and colour by it; its key.

    What ``attention color`` and ``attention query`` draw, after computing
    everything: ``results`` (one per target, on one scale) are set as the float
    residue attribute ``attribute`` and coloured with ``color byattribute``, one
    log line per structure (the core's summary, with the scale). A run with no
    residue to colour says so and changes nothing. ``key true`` shows the first
    result's key, titled ``heading(result): <the scene's title>``; without it the
    key of earlier colours of the same attribute is removed.

    Returns
    -------
    Residues
        The residues that were given a value.
    """
    named = "" if attribute == ATTRIBUTE else f" (attribute {attribute})"
    to_colour = [(t, r) for t, r in zip(found, results) if r.scene.residues]
    if not to_colour:
        for target, result in zip(found, results):
            session.logger.info(f"{target.structure}: {result.summary()}{named}")
        warn_unknown_only(session, found)
        session.logger.warning(
            nothing_drawn(
                f"{', '.join(str(t.structure) for t in found)}: no residue to colour "
                "(none of the specified residues has a value)",
                "specify observed residues of a protein chain",
                f"residue attribute {attribute}, the colours and their key are as they were",
            )
        )
        return Residues()
    register_float(session, Residue, attribute)
    remember_attribute(session, attribute)
    coloured = []
    for target, result in zip(found, results):
        scene = result.scene
        values = {c.residue: c.value for c in scene.residues}
        if not values:
            session.logger.info(f"{target.structure}: {result.summary()}{named}")
            session.logger.warning(
                f"{target.structure}: no residue to colour; its values and colours are left "
                "as they were"
            )
            continue
        res = Residues([target.residues[rid] for rid in values])
        for residue, value in zip(res, values.values()):
            setattr(residue, attribute, float(value))
        run(
            session,
            f"color byattribute r:{attribute} {concise_residue_spec(session, res)} "
            f"palette {scene.palette.spec(scene.vmin, scene.vmax)} "
            "logInfo false",
            log=False,
        )
        session.logger.info(f"{target.structure}: {result.summary()}{named}")
        coloured.append((target, result, res))
    warn_unknown_only(session, found)
    drop_keys(session, [KIND_COLOR], drawing=attribute)
    if key:
        first = coloured[0][1]
        show_key(
            session,
            KIND_COLOR,
            first.scene.key(),
            heading(first),
            [t.structure for t, _, _ in coloured],
            attribute,
        )
    return join_collections([res for _, _, res in coloured], Residues)


def register_command(logger: Logger) -> None:
    """Register ``attention color`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[
            LAYER_HEAD,
            MODEL,
            PALETTE,
            *RUN,
            ("attribute", StringArg),
            RANGE,
            KEY,
        ],
        required_arguments=["layer_head"],
        synopsis="color residues by the attention they receive from a language model head",
    )
    register("attention color", desc, attention_color, logger=logger)
