"""The ``attention`` commands: adapt ChimeraX structures, call the protattn core, draw.

Every command computes everything first (model, pairs or scores, the atoms to
draw between) and only then changes the session, so an error leaves it as it
was. :class:`protattn.ProtattnError` becomes ChimeraX's ``UserError``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from chimerax.atomic import (
    Atom,
    Pseudobonds,
    Residue,
    Residues,
    ResiduesArg,
    all_atomic_structures,
    all_residues,
    concise_residue_spec,
)
from chimerax.atomic import concatenate as join_collections
from chimerax.core.commands import (
    BoolArg,
    CmdDesc,
    EnumOf,
    FloatArg,
    PositiveIntArg,
    StringArg,
    register,
    run,
)
from chimerax.core.errors import UserError
from chimerax.core.logger import Logger
from chimerax.core.session import Session

import protattn
from protattn.scene import PALETTES, PseudoBond, palette_spec

from .adapter import StructureChains, protein_chains

__all__ = [
    "ATTRIBUTE",
    "PAIRS_GROUP",
    "attention_pairs",
    "attention_color",
    "attention_clear",
    "attention_heads",
    "attention_contacts",
    "attention_stats",
    "register_command",
]

#: Default name of the pseudobond group that ``attention pairs`` draws into.
PAIRS_GROUP = "attention pairs"
#: Residue attribute (float) that ``attention color`` sets.
ATTRIBUTE = "attention"

_NO_PROTEIN = (
    "no protein chain in the specified atoms; specify residues of a protein, "
    "e.g. '#1', '#1/H' or 'protein'"
)

# Names of the pseudobond groups drawn by protattn in each session, so that
# `attention clear` finds groups given another name with `name`.
_GROUP_NAMES: weakref.WeakKeyDictionary[Session, set[str]] = weakref.WeakKeyDictionary()


def _group_names(session: Session) -> set[str]:
    return _GROUP_NAMES.setdefault(session, {PAIRS_GROUP})


def _targets(residues: Residues) -> list[StructureChains]:
    targets = protein_chains(residues)
    if not targets:
        raise UserError(_NO_PROTEIN)
    return targets


_T = TypeVar("_T")


def _core(compute: Callable[..., _T], *args, **kwargs) -> _T:
    """Call the core, turning its errors into ``UserError``."""
    try:
        return compute(*args, **kwargs)
    except protattn.ProtattnError as e:
        raise UserError(str(e)) from e


@dataclass
class _PairsPlan:
    """What ``attention pairs`` draws on one structure, computed before drawing."""

    target: StructureChains
    result: protattn.PairsResult
    bonds: list[PseudoBond]
    ends: list[tuple[Atom, Atom]]

    @classmethod
    def make(cls, target: StructureChains, result: protattn.PairsResult) -> _PairsPlan:
        bonds, ends = [], []
        for bond in result.scene.bonds:
            a = target.residues[bond.a].find_atom("CA")
            b = target.residues[bond.b].find_atom("CA")
            if a is not None and b is not None:
                bonds.append(bond)
                ends.append((a, b))
        return cls(target, result, bonds, ends)

    def log_line(self) -> str:
        line = f"{self.target.structure}: {self.result.summary()}"
        no_ca = len(self.result.scene.bonds) - len(self.bonds)
        if no_ca:
            line += f"; {no_ca} not drawn (residue without CA atom)"
        return line


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
    palette: str = "attention",
    name: str = PAIRS_GROUP,
    replace: bool = True,
    window: int | None = None,
    stride: int | None = None,
    concatenate: bool = False,
) -> Pseudobonds:
    """Draw high-attention residue pairs of one head as pseudobonds between CA atoms.

    Usage: attention pairs atom-spec layerHead L-H [threshold t] [topK n]
    [minSeparation n] [symmetrize max|mean] [model name] [palette name]
    [name group-name] [replace true|false] [window n] [stride n]
    [concatenate true|false]

    The model runs on each whole protein chain that the spec touches (its full
    SEQRES / entity sequence), so attention does not depend on the selection;
    only pairs with both residues in the spec are drawn. Pairs are drawn into one
    pseudobond group per structure, coloured and sized by weight over the drawn
    pairs (strongest: thickest, darkest), and one summary line per structure is
    logged.

    Parameters
    ----------
    residues : Residues
        Residues whose protein chains are analysed; ligands and nucleic acids are ignored.
    layer_head : str
        ``L-H`` with 1-based layer and head (``7-1``), or ``L-mean`` / ``L-max``.
    threshold : float
        Keep pairs whose symmetrised weight is above it (default 0.1).
    top_k : int, optional
        Keep the ``top_k`` strongest pairs of each chain instead of thresholding.
    min_separation : int
        Minimum sequence separation ``|i - j|`` (default 1: every pair but self-pairs).
    symmetrize : "max" or "mean"
        How the two directions of attention of a pair are combined (default max).
    model : str
        Language model (default antiberty).
    palette : str
        Pseudobond colours, one of protattn's palettes (default attention).
    name : str
        Pseudobond group name (default "attention pairs").
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

    Returns
    -------
    Pseudobonds
        The pseudobonds drawn, over all structures.
    """
    plans = [
        _PairsPlan.make(target, _core(
            protattn.compute_pairs, target.chains, layer_head, model=model,
            threshold=threshold, top_k=top_k, min_separation=min_separation,
            symmetrize=symmetrize, palette=palette, within=target.selected,
            window=window, stride=stride, concatenate=concatenate,
        ))
        for target in _targets(residues)
    ]
    drawn = _draw_plans(session, plans, name, replace)
    for plan in plans:
        session.logger.info(plan.log_line())
    return drawn


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
) -> Residues:
    """Colour residues by the attention they receive from one head.

    Usage: attention color atom-spec layerHead L-H [model name] [palette name]
    [window n] [stride n] [concatenate true|false]

    Sets the float residue attribute ``attention`` (attention received: column
    sum over queries / L) and colours by it with ChimeraX's
    ``color byattribute r:attention``, so the values can be reused (``select
    ::attention>0.02``, ``color byattribute``). The model runs on each whole
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

    Returns
    -------
    Residues
        The residues that were given a value.
    """
    plans = []
    for target in _targets(residues):
        result = _core(protattn.compute_scores, target.chains, layer_head, model=model,
                       palette=palette, within=target.selected, window=window, stride=stride,
                       concatenate=concatenate)
        values = {c.residue: c.value for c in result.scene.residues}
        plans.append((target, result, values))
    Residue.register_attr(session, ATTRIBUTE, "protattn", attr_type=float)
    coloured = []
    for target, result, values in plans:
        if not values:
            continue
        res = Residues([target.residues[rid] for rid in values])
        for residue, value in zip(res, values.values()):
            setattr(residue, ATTRIBUTE, value)
        scene = result.scene
        run(session, f"color byattribute r:{ATTRIBUTE} {concise_residue_spec(session, res)} "
                     f"palette {palette_spec(scene.palette, scene.vmin, scene.vmax)} "
                     "logInfo false", log=False)
        session.logger.info(f"{target.structure}: {result.summary()}")
        coloured.append(res)
    return join_collections(coloured, Residues)


def attention_clear(session: Session, residues: Residues | None = None, *,
                    attribute: bool = True) -> None:
    """Remove what the attention commands drew.

    Usage: attention clear [atom-spec] [attribute true|false]

    Deletes the attention pseudobonds with an end in the spec (all of them
    without a spec) from every group ``attention pairs`` made, closing groups left
    empty, and with ``attribute true`` (default) removes the ``attention``
    residue attribute values of the residues in the spec. Colours are left as
    they are (recolour with e.g. ``color bychain``).
    """
    if residues is None:
        structures, atoms = all_atomic_structures(session), None
        residues = all_residues(session)
    else:
        structures, atoms = residues.unique_structures, residues.atoms
    names = _group_names(session)
    removed, closed = 0, []
    for structure in structures:
        for name in sorted(names):
            group = structure.pseudobond_group(name, create_type=None)
            if group is None:
                continue
            pbonds = group.pseudobonds
            if atoms is not None:
                ends = pbonds.atoms
                pbonds = pbonds.filter(ends[0].mask(atoms) | ends[1].mask(atoms))
            removed += len(pbonds)
            pbonds.delete()
            if group.num_pseudobonds == 0:
                closed.append(group)
    if closed:
        session.models.close(closed)
    cleared = 0
    if attribute:
        for residue in residues:
            if hasattr(residue, ATTRIBUTE):
                delattr(residue, ATTRIBUTE)
                cleared += 1
    session.logger.info(f"removed {removed} attention pseudobonds"
                        + (f" and the attention values of {cleared} residues" if attribute else ""))


def _draw_plans(session: Session, plans: list[_PairsPlan], name: str,
                replace: bool = True) -> Pseudobonds:
    """Draw each plan's pseudobonds into its structure's group ``name``.

    With ``replace`` the group's earlier pseudobonds go first; a group left empty is closed.
    """
    drawn = []
    for plan in plans:
        structure = plan.target.structure
        group = structure.pseudobond_group(name, create_type="normal" if plan.ends else None)
        if group is None:
            continue
        if replace:
            group.pseudobonds.delete()
        if plan.ends:
            group.dashes = 0
            pbonds = Pseudobonds([group.new_pseudobond(a, b) for a, b in plan.ends])
            pbonds.halfbonds = False
            pbonds.colors = np.array(
                [np.round(np.asarray(b.rgba) * 255) for b in plan.bonds], dtype=np.uint8)
            pbonds.radii = np.array([b.radius for b in plan.bonds], dtype=np.float32)
            drawn.append(pbonds)
        elif group.num_pseudobonds == 0:
            session.models.close([group])
        _group_names(session).add(name)
    return join_collections(drawn, Pseudobonds)


def attention_heads(
    session: Session,
    residues: Residues,
    prop: str = "contact",
    *,
    top: int = 10,
    threshold: float = 0.3,
    min_arcs: int = 100,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    draw: bool = True,
) -> list[dict]:
    """Rank heads by the share of their high-confidence attention on a property; draw the top.

    Usage: attention heads atom-spec [property name] [top n] [threshold t]
    [minArcs n] [model name] [siteKinds kinds] [draw true|false]

    property is contact, binding_site, binding_site:CODE, helix, strand,
    turn_bend, other or aa:X. A head's share is the fraction of its arcs with
    attention above threshold (the paper's 0.3) that are contacts (|i-j| >= 6,
    CB-CB < 8 A) or whose attended residue has the property; each share comes
    with a Bonferroni-corrected 95% interval, against the property's background
    rate in the structures. The ranked table is logged and returned; the top
    head's pairs are drawn (contacts green / red) into "attention pairs".
    """
    from protattn.analysis import head_statistics, rank_heads, ranking_table

    targets = _targets(residues)
    stats = _core(head_statistics, [t.core_structure() for t in targets], model, [prop],
                  threshold=threshold, min_arcs=min_arcs,
                  site_kinds=[k.strip() for k in site_kinds.split(",") if k.strip()])
    rows = rank_heads(stats, prop, top)
    plans = []
    if rows and draw:
        options = ({"min_separation": 6, "color_by": "contact"} if prop == "contact"
                   else {"min_separation": 1})
        plans = [_PairsPlan.make(t, _core(
            protattn.compute_pairs, t.chains, rows[0]["layer_head"], model=model,
            threshold=threshold, within=t.selected, **options)) for t in targets]
    session.logger.info("\n".join(ranking_table(stats, prop, rows)))
    if plans:
        _draw_plans(session, plans, PAIRS_GROUP)
        for plan in plans:
            session.logger.info(f"top head {plan.log_line()}")
    return rows


def attention_contacts(
    session: Session,
    residues: Residues,
    *,
    method: str = "apc",
    heads: str = "all",
    model: str = "antiberty",
    name: str = "attention contacts",
) -> Pseudobonds:
    """Predict contacts from attention; draw the top L per chain, green true / red false.

    Usage: attention contacts atom-spec [method apc|esm] [heads all|L-H,L-H]
    [model name] [name group-name]

    apc averages APC-corrected symmetrised attention over the heads (any
    model); esm uses the ESM model's contact head. Precision at L, L/2 and L/5
    by range (short 6-11, medium 12-23, long >= 24) is logged per chain.
    """
    from protattn.analysis import predict_contacts

    chosen = None if heads.strip() in ("", "all") else [
        h for h in heads.replace("+", ",").split(",") if h.strip()]
    plans, lines = [], []
    for target in _targets(residues):
        results = [_core(predict_contacts, c, model, method, chosen) for c in target.chains]
        bonds = tuple(b for r in results for b in r.scene.bonds)
        merged = protattn.PairsResult(model, protattn.HeadSpec(1, 1), (), protattn.Scene(bonds))
        plans.append(_PairsPlan.make(target, merged))
        lines += [f"{target.structure} /{c.id}: {r.summary()}"
                  for c, r in zip(target.chains, results)]
    drawn = _draw_plans(session, plans, name)
    session.logger.info("\n".join(lines) + "\n(green: true contact, red: false)")
    return drawn


def attention_stats(
    session: Session,
    residues: Residues,
    prop: str = "contact",
    *,
    threshold: float = 0.3,
    min_arcs: int = 100,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    top: int = 10,
):
    """Per-head statistics of a property over the structures; table and heatmap to the log.

    Usage: attention stats atom-spec [property name] [threshold t] [minArcs n]
    [model name] [siteKinds kinds] [top n]

    Logs the property's background rate, the centre of gravity of its layer
    profile, the top heads with Bonferroni-corrected 95% intervals, and the
    layer x head figure (the paper's heatmap). Returns the statistics.
    """
    import base64
    import html
    import io

    from protattn.analysis import head_statistics, ranking_table
    from protattn.plots import heatmap

    targets = _targets(residues)
    stats = _core(head_statistics, [t.core_structure() for t in targets], model, [prop],
                  threshold=threshold, min_arcs=min_arcs,
                  site_kinds=[k.strip() for k in site_kinds.split(",") if k.strip()])
    result = stats[prop]
    figure = heatmap(result.share, title=f"{model}: {prop}",
                     label=f"share of attention > {threshold:g}", mask=~result.enough_arcs,
                     background=result.background)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    table = ranking_table(stats, prop, stats.ranking(prop)[:top])
    summary = (f"{int(result.enough_arcs.sum())} heads with at least {min_arcs} arcs, centre of "
               f"gravity layer {stats.center_of_gravity(prop):.2f}")
    session.logger.info(
        f"<pre>{html.escape(chr(10).join([*table, summary]))}</pre>"
        f'<img src="data:image/png;base64,{image}">', is_html=True)
    return stats


_LAYER_HEAD = ("layer_head", StringArg)
_MODEL = ("model", StringArg)
_RUN = [("window", PositiveIntArg), ("stride", PositiveIntArg), ("concatenate", BoolArg)]


def _pairs_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[_LAYER_HEAD, ("threshold", FloatArg), ("top_k", PositiveIntArg),
                 ("min_separation", PositiveIntArg), ("symmetrize", EnumOf(("max", "mean"))),
                 _MODEL, ("palette", EnumOf(tuple(PALETTES))), ("name", StringArg),
                 ("replace", BoolArg), *_RUN],
        required_arguments=["layer_head"],
        synopsis="draw high-attention residue pairs of a language model head",
    )


def _color_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[_LAYER_HEAD, _MODEL, ("palette", EnumOf(tuple(PALETTES))), *_RUN],
        required_arguments=["layer_head"],
        synopsis="color residues by the attention they receive from a language model head",
    )


def _clear_desc() -> CmdDesc:
    return CmdDesc(
        optional=[("residues", ResiduesArg)],
        keyword=[("attribute", BoolArg)],
        synopsis="remove attention pseudobonds and residue attribute values",
    )


def _heads_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        optional=[("prop", StringArg)],
        keyword=[("top", PositiveIntArg), ("threshold", FloatArg), ("min_arcs", PositiveIntArg),
                 _MODEL, ("site_kinds", StringArg), ("draw", BoolArg)],
        synopsis="rank attention heads by a structural property and draw the top head",
    )


def _contacts_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[("method", EnumOf(("apc", "esm"))), ("heads", StringArg), _MODEL,
                 ("name", StringArg)],
        synopsis="predict contacts from attention and draw them, true / false",
    )


def _stats_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        optional=[("prop", StringArg)],
        keyword=[("threshold", FloatArg), ("min_arcs", PositiveIntArg), _MODEL,
                 ("site_kinds", StringArg), ("top", PositiveIntArg)],
        synopsis="per-head statistics of a structural property, with the layer x head figure",
    )


_COMMANDS: dict[str, tuple[Callable[[], CmdDesc], Callable[..., object]]] = {
    "attention pairs": (_pairs_desc, attention_pairs),
    "attention color": (_color_desc, attention_color),
    "attention clear": (_clear_desc, attention_clear),
    "attention heads": (_heads_desc, attention_heads),
    "attention contacts": (_contacts_desc, attention_contacts),
    "attention stats": (_stats_desc, attention_stats),
}


def register_command(command_name: str, logger: Logger) -> None:
    """Register one of the ``attention`` commands (called by the bundle API on first use)."""
    desc, function = _COMMANDS[command_name]
    register(command_name, desc(), function, logger=logger)
