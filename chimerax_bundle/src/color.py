"""``attention color``: residues coloured by the attention they receive from one head."""

from __future__ import annotations

from chimerax.atomic import Residue, Residues, ResiduesArg, concise_residue_spec
from chimerax.atomic import concatenate as join_collections
from chimerax.core.commands import CmdDesc, EnumOf, StringArg, register, run
from chimerax.core.logger import Logger
from chimerax.core.session import Session

import protattn
from protattn.api.options import run_options
from protattn.scene import PALETTES, palette_spec

from .arguments import LAYER_HEAD, MODEL, RUN
from .drawing import (
    ATTRIBUTE,
    check_attribute_name,
    core,
    register_float,
    remember_attribute,
    targets,
)
from .settings import use_settings

__all__ = ["attention_color", "register_command"]


def attention_color(
    session: Session,
    residues: Residues,
    layer_head: str,
    *,
    model: str = "antiberty",
    palette: str = "white_red",
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    attribute: str = ATTRIBUTE,
) -> Residues:
    """Colour residues by the attention they receive from one head.

    Usage: attention color atom-spec layerHead L-H [model name] [palette name]
    [window n] [stride n] [concatenate true|false] [attribute name]

    Sets the float residue attribute ``attention`` (attention received: column
    sum over queries / L), or the one named by ``attribute``, and colours by it
    with ChimeraX's ``color byattribute r:attention``, so the values can be
    reused (``select ::attention>0.02``, ``color byattribute``, ``attention
    save``) and are kept in sessions. Give each head its own name
    (``attribute attention_8_mean``) to keep several. The model runs on each whole
    protein chain that the spec touches (its full SEQRES / entity sequence), so
    the values do not depend on the selection; only residues in the spec get a
    value and a colour, and the colours span their range (per structure). Other
    residues keep their colour.

    Parameters
    ----------
    residues : Residues
        Residues to colour; the model runs on their whole protein chains.
    layer_head : str
        ``L-H`` with 1-based layer and head (``7-1``), or ``L-mean`` / ``L-max``.
    model : str
        Language model (default antiberty).
    palette : str
        One of protattn's palettes (default white_red: white for the least attention).
    window, stride, concatenate
        As for ``attention pairs``.
    attribute : str
        Residue attribute to set (default ``attention``); registered as a float
        attribute, so ChimeraX saves it in sessions.

    Returns
    -------
    Residues
        The residues that were given a value.
    """
    use_settings(session)
    check_attribute_name(session, attribute)
    plans = []
    for target in targets(residues):
        result = core(
            protattn.compute_scores,
            target.chains,
            layer_head,
            model=model,
            palette=palette,
            within=target.selected,
            **run_options(window, stride, concatenate),
        )
        values = {c.residue: c.value for c in result.scene.residues}
        plans.append((target, result, values))
    register_float(session, Residue, attribute)
    remember_attribute(session, attribute)
    coloured = []
    for target, result, values in plans:
        if not values:
            continue
        res = Residues([target.residues[rid] for rid in values])
        for residue, value in zip(res, values.values()):
            setattr(residue, attribute, float(value))
        scene = result.scene
        run(
            session,
            f"color byattribute r:{attribute} {concise_residue_spec(session, res)} "
            f"palette {palette_spec(scene.palette, scene.vmin, scene.vmax)} "
            "logInfo false",
            log=False,
        )
        session.logger.info(
            f"{target.structure}: {result.summary()}"
            + ("" if attribute == ATTRIBUTE else f" (attribute {attribute})")
        )
        coloured.append(res)
    return join_collections(coloured, Residues)


def register_command(logger: Logger) -> None:
    """Register ``attention color`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[
            LAYER_HEAD,
            MODEL,
            ("palette", EnumOf(tuple(PALETTES))),
            *RUN,
            ("attribute", StringArg),
        ],
        required_arguments=["layer_head"],
        synopsis="color residues by the attention they receive from a language model head",
    )
    register("attention color", desc, attention_color, logger=logger)
