"""``attention pairs``: high-attention residue pairs of one head, drawn as pseudobonds."""

from __future__ import annotations

from chimerax.atomic import Pseudobonds, Residues, ResiduesArg
from chimerax.core.commands import (
    BoolArg,
    CmdDesc,
    EnumOf,
    FloatArg,
    IntArg,
    StringArg,
    register,
)
from chimerax.core.logger import Logger
from chimerax.core.session import Session

import protattn
from protattn.api.options import run_options
from protattn.api.pairs import on_one_scale
from protattn.palettes import Palette

from .adapter import StructureChains
from .arguments import DASHES, KEY, LAYER_HEAD, MODEL, PALETTE, RANGE, RUN
from .drawing import (
    PAIRS_GROUP,
    PairsPlan,
    check_group_name,
    check_pair_numbers,
    core,
    draw_plans,
    nothing_drawn,
    targets,
    warn_unknown_only,
)
from .key import KIND_PAIRS, check_key, drop_keys, show_key, shown_keys
from .settings import use_settings

__all__ = ["attention_pairs", "register_command"]


def attention_pairs(
    session: Session,
    residues: Residues,
    layer_head: str,
    *,
    threshold: float = 0.1,
    top_k: int | None = None,
    min_separation: int = 1,
    symmetrize: str = "max",
    model: str = "antiberty",
    palette: Palette | str = "attention",
    name: str = PAIRS_GROUP,
    replace: bool = True,
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
    dashes: int = 0,
    color_by: str = "weight",
    range: tuple[float, float] | str | None = None,
    radius: str | None = None,
    key: bool = False,
) -> Pseudobonds:
    """Draw high-attention residue pairs of one head as pseudobonds between CA atoms.

    Usage: attention pairs atom-spec layerHead L-H [threshold t] [topK n]
    [minSeparation n] [symmetrize max|mean] [model name] [palette name|spec]
    [name group-name] [replace true|false] [window n] [stride n]
    [concatenate true|false] [dashes n] [colorBy weight|contact]
    [range lo,hi|full] [radius r|lo,hi] [key true|false]

    The model runs on each whole protein chain that the spec touches (its full
    SEQRES / entity sequence), so attention does not depend on the selection;
    only pairs with both residues in the spec are drawn. Pairs are drawn into one
    pseudobond group per structure, coloured and sized by weight (strongest:
    thickest, darkest) on one scale for the whole command: the drawn weights'
    range over every structure in the spec, or ``range``. One line per
    structure is logged, with the scale, the pairs not drawn (unobserved
    residues) and how the chains were run (windows, concatenation, chains of
    unknown residues). Each pseudobond keeps its weight in the float attribute
    ``attention_weight`` (saved in sessions, written by ``attention save``).

    The numbers mean what they mean on the command line and in PyMOL, and are
    checked before the model runs: threshold above 0 and at most 1, topK a whole
    number from 1, minSeparation from 0 and below the longest chain; anything
    else is refused with a message and changes nothing. A run that finds no pair
    to draw says so and what to change, and leaves the group (and its key) as it
    was; a structure without pairs in a command over several keeps its group too.
    Of a multi-model file (NMR ensemble, ``#1.1``, ``#1.2`` ...) the first model
    the spec touches is used, as the log says; name one (``#1.2``) for another.

    Parameters
    ----------
    residues : Residues
        Residues whose protein chains are analysed; ligands and nucleic acids are ignored.
    layer_head : str
        ``L-H`` with 1-based layer and head (``7-1``), or ``L-mean`` / ``L-max``.
    threshold : float
        Keep pairs whose symmetrised weight is above it (default 0.1); above 0
        and at most 1.
    top_k : int, optional
        Keep the ``top_k`` strongest pairs of each chain instead of thresholding;
        at least 1 (0 and negative numbers are refused, as on the command line).
    min_separation : int
        Minimum sequence separation ``|i - j|`` (default 1: every pair but
        self-pairs; 0 keeps those too, as on the command line: they count for
        ``topK`` and the log, but no pseudobond joins an atom to itself, so they
        are not drawn); below the longest chain.
    symmetrize : "max" or "mean"
        How the two directions of attention of a pair are combined (default max).
    model : str
        Language model (default antiberty).
    palette : Palette or str
        Pseudobond colours, low to high (default attention: cream to dark red): a
        ChimeraX colormap as for ``color byattribute`` (``bluered``, ``^rdylbu``,
        ``blue:white:red``, ``0,blue:0.5,white:1,red``, whose values fix the
        scale) or protattn's ``attention``, ``white_red``, ``enrichment``,
        ``blue_white_red``, ``viridis``; ``^`` before any reverses it.
    name : str
        Pseudobond group name (default "attention pairs"); blank names and names
        with control characters are refused.
    replace : bool
        Delete the group's previous pseudobonds first (default true).
    window : int, optional
        Run chains longer than this as overlapping windows (default: only chains
        longer than the model's limit, at that limit).
    stride : int, optional
        Residues between window starts (default half the window).
    concatenate : bool
        Run the structure's chosen chains as one input, so that pairs between
        chains appear (default false).
    dashes : int
        Dashes per pseudobond (default 0: solid), as the group's ``dashes``; at
        most 100 (ChimeraX draws every dash, and a million of them per pseudobond
        would stop it).
    color_by : "weight" or "contact"
        Colour by weight with ``palette`` (default), or blue for pairs that are
        contacts (CB-CB < 8 A), magenta for the others and grey where unknown.
    range : (float, float) or str, optional
        A fixed scale of colour and radius, ``lo,hi`` or ``full`` (0 to 1), so a
        weight looks the same in every drawing (default: the drawn weights'
        range over all structures of the command).
    radius : str, optional
        Pseudobond radius in A: one for all (``0.2``) or ``lo,hi`` at the scale's
        ends (default 0.05,0.3).
    key : bool
        Show the pairs' key at the top left of the graphics window (default
        false): ChimeraX's colour key (the weights' colours, or the contact
        classes) and 2D labels with the head and the scale in words, radii
        included. ChimeraX has one colour key per session: the latest drawing
        with ``key true`` takes it. Without ``key true``, the key of earlier pairs
        in the same group is removed, as it no longer describes them.

    Returns
    -------
    Pseudobonds
        The pseudobonds drawn, over all structures.
    """
    use_settings(session)
    check_group_name(name)
    check_key(session, key)
    shown_keys(session)  # keys restored from a session, known before anything is drawn
    found = targets(session, residues)
    threshold, top_k, min_separation = check_pair_numbers(
        found, threshold, top_k, min_separation, concatenate
    )
    results = on_one_scale(
        [
            core(
                protattn.compute_pairs,
                target.chains,
                layer_head,
                model=model,
                threshold=threshold,
                top_k=top_k,
                min_separation=min_separation,
                symmetrize=symmetrize,
                palette=palette,
                within=target.within,
                color_by=color_by,
                value_range=range,
                radius=radius or (0.05, 0.3),
                **run_options(window, stride, concatenate),
            )
            for target in found
        ]
    )
    plans = [PairsPlan.of(target, result) for target, result in zip(found, results)]
    for plan in plans:
        session.logger.info(plan.log_line())
    warn_unknown_only(session, found)
    empty = [plan for plan in plans if not plan.ends]
    if len(empty) == len(plans):
        session.logger.warning(
            nothing_drawn(
                f"{', '.join(str(p.target.structure) for p in empty)}: no pair to draw "
                f"({_why_none(empty, threshold, top_k)})",
                _fix(found, threshold, top_k, min_separation),
                f"the pairs in {name!r} and their key are as they were",
            )
        )
        return Pseudobonds()
    for plan in empty:
        session.logger.warning(
            f"{plan.target.structure}: no pair to draw; its {name!r} is left as it was"
        )
    drawn = draw_plans(session, plans, name, replace, dashes)
    drop_keys(session, [KIND_PAIRS], drawing=name)
    shown = [(plan.target, result) for plan, result in zip(plans, results) if plan.ends]
    if key:
        first = shown[0][1]
        show_key(
            session,
            KIND_PAIRS,
            first.scene.key(),
            f"{first.model} {first.head}",
            [t.structure for t, _ in shown],
            name,
        )
    return drawn


def _why_none(plans: list[PairsPlan], threshold: float, top_k: int | None) -> str:
    """Why the plans have nothing to draw, in words."""
    if any(plan.scene.bonds or plan.scene.skipped for plan in plans):
        return "every pair found involves a residue without coordinates or a CA atom"
    if top_k is not None:
        return "no pair within the specified residues"
    return f"no weight above threshold {threshold:g} within the specified residues"


def _fix(
    found: list[StructureChains], threshold: float, top_k: int | None, min_separation: int
) -> str:
    """What to change so that a pairs run finds something."""
    fixes = []
    if top_k is None:
        fixes.append(f"lower threshold (now {threshold:g}) or give topK, e.g. topK 20")
    if min_separation > 1:
        fixes.append(f"lower minSeparation (now {min_separation})")
    if any(target.partial for target in found):
        fixes.append("specify more residues")
    return "; ".join(fixes) if fixes else "specify other residues or another head"


def register_command(logger: Logger) -> None:
    """Register ``attention pairs`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[
            LAYER_HEAD,
            ("threshold", FloatArg),
            ("top_k", IntArg),
            ("min_separation", IntArg),
            ("symmetrize", EnumOf(("max", "mean"))),
            MODEL,
            PALETTE,
            ("name", StringArg),
            ("replace", BoolArg),
            *RUN,
            DASHES,
            ("color_by", EnumOf(("weight", "contact"))),
            RANGE,
            ("radius", StringArg),
            KEY,
        ],
        required_arguments=["layer_head"],
        synopsis="draw high-attention residue pairs of a language model head",
    )
    register("attention pairs", desc, attention_pairs, logger=logger)
