"""The ``attention`` commands: adapt ChimeraX structures, call the protattn core, draw.

Every command computes everything first (model, pairs or scores, the atoms to
draw between) and only then changes the session, so an error leaves it as it
was. :class:`protattn.ProtattnError` becomes ChimeraX's ``UserError``.
"""

from __future__ import annotations

import html
import keyword
import os
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from chimerax.atomic import (
    Atom,
    AtomicStructure,
    AtomicStructuresArg,
    Pseudobond,
    PseudobondGroup,
    Pseudobonds,
    Residue,
    Residues,
    ResiduesArg,
    all_atomic_structures,
    all_residues,
    concise_residue_spec,
)
from chimerax.atomic import concatenate as join_collections
from chimerax.core.attributes import MANAGER_NAME, RegistrationConflict, type_attrs
from chimerax.core.commands import (
    BoolArg,
    CmdDesc,
    EnumOf,
    FloatArg,
    NonNegativeIntArg,
    PositiveIntArg,
    SaveFileNameArg,
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
    "WEIGHT",
    "attention_pairs",
    "attention_color",
    "attention_clear",
    "attention_heads",
    "attention_contacts",
    "attention_stats",
    "attention_models",
    "attention_save",
    "attention_worker",
    "property_attribute",
    "use_settings",
    "register_command",
]

#: Default name of the pseudobond group that ``attention pairs`` draws into.
PAIRS_GROUP = "attention pairs"
#: Residue attribute (float) that ``attention color`` sets (another with ``attribute``).
ATTRIBUTE = "attention"
#: Pseudobond attribute (float): the attention weight of each pair drawn. Registered, so
#: that sessions keep it and ``attention save ... format contacts`` works after a restore.
WEIGHT = "attention_weight"
#: Who registers the attributes (ChimeraX keeps it with the registration, in sessions too).
_REGISTRANT = "protattn"

_NO_PROTEIN = (
    "no protein chain in the specified atoms; specify residues of a protein, "
    "e.g. '#1', '#1/H' or 'protein'"
)

# Names of the pseudobond groups drawn by protattn in each session, so that
# `attention clear` finds groups given another name with `name`.
_GROUP_NAMES: weakref.WeakKeyDictionary[Session, set[str]] = weakref.WeakKeyDictionary()
# Residue attributes `attention color ... attribute NAME` set in each session, for
# `attention clear` (also those another registrant, e.g. `open x.defattr`, registered first).
_ATTRIBUTE_NAMES: weakref.WeakKeyDictionary[Session, set[str]] = weakref.WeakKeyDictionary()


def _group_names(session: Session) -> set[str]:
    return _GROUP_NAMES.setdefault(session, {PAIRS_GROUP})


def _attention_groups(session: Session, structure: AtomicStructure,
                      name: str | None = None) -> list[PseudobondGroup]:
    """The structure's pseudobond groups drawn by protattn (only ``name`` if given).

    A group is protattn's if this session drew it, or if its pseudobonds carry the
    registered ``attention_weight`` attribute (a group restored from a session file).
    """
    names = _group_names(session)
    return [
        group for group_name, group in sorted(structure.pbg_map.items())
        if (name is None or group_name == name)
        and (group_name in names
             or (group.num_pseudobonds and hasattr(group.pseudobonds[0], WEIGHT)))
    ]


def _protattn_attributes(session: Session) -> list[str]:
    """Residue attributes of protattn: ``attention``, those set with ``attribute NAME`` in
    this session and those registered by protattn (also when restored from a session)."""
    registered = getattr(Residue, "_attr_registration", None)
    info = registered.reg_attr_info if registered is not None else {}
    names = {n for n, (who, _) in info.items() if who == _REGISTRANT}
    names |= _ATTRIBUTE_NAMES.get(session, set())
    return [ATTRIBUTE] + sorted(names - {ATTRIBUTE})


def _check_attribute_name(session: Session, name: str) -> None:
    """Refuse residue attribute names that ChimeraX could not keep as a float attribute."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UserError(f"{name!r} is not an attribute name: use letters, digits and _, "
                        "starting with a letter, e.g. attribute attention_8_mean")
    if hasattr(Residue, name):
        raise UserError(f"{name!r} is a built-in residue attribute; give another name, "
                        f"e.g. attribute attention_{name}")
    floats = session.get_state_manager(MANAGER_NAME).attributes_returning(Residue, [float])
    if name in type_attrs(Residue) and name not in floats:
        raise UserError(f"residue attribute {name!r} is already registered with another type; "
                        f"give another name, e.g. attribute attention_{name}")


def _register_float(session: Session, cls: type, name: str) -> None:
    """Register ``cls.name`` as a float attribute (kept in sessions); a no-op when it is."""
    try:
        cls.register_attr(session, name, _REGISTRANT, attr_type=float)
    except RegistrationConflict as e:
        raise UserError(f"{e}; give another name (attribute NAME)") from e


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
    dashes: int = 0,
    color_by: str = "weight",
) -> Pseudobonds:
    """Draw high-attention residue pairs of one head as pseudobonds between CA atoms.

    Usage: attention pairs atom-spec layerHead L-H [threshold t] [topK n]
    [minSeparation n] [symmetrize max|mean] [model name] [palette name]
    [name group-name] [replace true|false] [window n] [stride n]
    [concatenate true|false] [dashes n] [colorBy weight|contact]

    The model runs on each whole protein chain that the spec touches (its full
    SEQRES / entity sequence), so attention does not depend on the selection;
    only pairs with both residues in the spec are drawn. Pairs are drawn into one
    pseudobond group per structure, coloured and sized by weight over the drawn
    pairs (strongest: thickest, darkest), and one summary line per structure is
    logged. Each pseudobond keeps its weight in the float attribute
    ``attention_weight`` (saved in sessions, written by ``attention save``).

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
    dashes : int
        Dashes per pseudobond (default 0: solid), as the group's ``dashes``.
    color_by : "weight" or "contact"
        Colour by weight with ``palette`` (default), or green for pairs that are
        contacts (CB-CB < 8 A) and red for the others.

    Returns
    -------
    Pseudobonds
        The pseudobonds drawn, over all structures.
    """
    use_settings(session)
    plans = [
        _PairsPlan.make(target, _core(
            protattn.compute_pairs, target.chains, layer_head, model=model,
            threshold=threshold, top_k=top_k, min_separation=min_separation,
            symmetrize=symmetrize, palette=palette, within=target.selected,
            window=window, stride=stride, concatenate=concatenate, color_by=color_by,
        ))
        for target in _targets(residues)
    ]
    drawn = _draw_plans(session, plans, name, replace, dashes)
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
    _check_attribute_name(session, attribute)
    plans = []
    for target in _targets(residues):
        result = _core(protattn.compute_scores, target.chains, layer_head, model=model,
                       palette=palette, within=target.selected, window=window, stride=stride,
                       concatenate=concatenate)
        values = {c.residue: c.value for c in result.scene.residues}
        plans.append((target, result, values))
    _register_float(session, Residue, attribute)
    _ATTRIBUTE_NAMES.setdefault(session, set()).add(attribute)
    coloured = []
    for target, result, values in plans:
        if not values:
            continue
        res = Residues([target.residues[rid] for rid in values])
        for residue, value in zip(res, values.values()):
            setattr(residue, attribute, float(value))
        scene = result.scene
        run(session, f"color byattribute r:{attribute} {concise_residue_spec(session, res)} "
                     f"palette {palette_spec(scene.palette, scene.vmin, scene.vmax)} "
                     "logInfo false", log=False)
        session.logger.info(f"{target.structure}: {result.summary()}"
                            + ("" if attribute == ATTRIBUTE else f" (attribute {attribute})"))
        coloured.append(res)
    return join_collections(coloured, Residues)


def attention_clear(session: Session, residues: Residues | None = None, *,
                    attribute: bool = True) -> None:
    """Remove what the attention commands drew.

    Usage: attention clear [atom-spec] [attribute true|false]

    Deletes the attention pseudobonds with an end in the spec (all of them
    without a spec) from every group the attention commands made (also groups
    restored from a session), closing groups left empty, and with ``attribute
    true`` (default) removes the values of ``attention`` and of every other
    residue attribute ``attention color ... attribute NAME`` set, from the
    residues in the spec. Colours are left as they are (recolour with e.g.
    ``color bychain``).
    """
    if residues is None:
        structures, atoms = all_atomic_structures(session), None
        residues = all_residues(session)
    else:
        structures, atoms = residues.unique_structures, residues.atoms
    removed, closed = 0, []
    for structure in structures:
        for group in _attention_groups(session, structure):
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
        names = _protattn_attributes(session)
        for residue in residues:
            had = False
            for name in names:
                if hasattr(residue, name):
                    delattr(residue, name)
                    had = True
            cleared += had
    session.logger.info(f"removed {removed} attention pseudobonds"
                        + (f" and the attention values of {cleared} residues" if attribute else ""))


def _draw_plans(session: Session, plans: list[_PairsPlan], name: str,
                replace: bool = True, dashes: int = 0) -> Pseudobonds:
    """Draw each plan's pseudobonds into its structure's group ``name``.

    With ``replace`` the group's earlier pseudobonds go first; a group left empty is
    closed. Each pseudobond gets its pair's weight as the attribute ``attention_weight``.
    """
    _register_float(session, Pseudobond, WEIGHT)
    drawn = []
    for plan in plans:
        structure = plan.target.structure
        group = structure.pseudobond_group(name, create_type="normal" if plan.ends else None)
        if group is None:
            continue
        if replace:
            group.pseudobonds.delete()
        if plan.ends:
            group.dashes = dashes
            pbonds = Pseudobonds([group.new_pseudobond(a, b) for a, b in plan.ends])
            for pbond, bond in zip(pbonds, plan.bonds):
                setattr(pbond, WEIGHT, float(bond.weight))
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
    definition: str = "paper",
) -> list[dict]:
    """Rank heads by the share of their high-confidence attention on a property; draw the top.

    Usage: attention heads atom-spec [property name] [top n] [threshold t]
    [minArcs n] [model name] [siteKinds kinds] [draw true|false]
    [definition paper|judged]

    property is contact, binding_site, binding_site:CODE, helix, strand,
    turn_bend, other or aa:X. Under the paper's definition (the default, as
    the paper's code counts), a head's share is the fraction of all its arcs
    with attention of at least threshold (the paper's 0.3) that are contacts
    (|i-j| >= 6, CB-CB < 8 A) or whose attended residue has the property;
    heads with more than minArcs arcs are ranked, each share with a
    Bonferroni-corrected 95% (Wald) interval, against the property's
    background rate in the structures. definition judged counts only the
    pairs the property is judged on (attention above threshold; Wilson).
    The ranked table is logged and returned; the top head's pairs are drawn
    (contacts green / red) into "attention pairs", and the attention each
    residue receives from that head is set as the property's own residue
    attribute, ``attention_<property>`` (``attention_binding_site``,
    ``attention_helix``, ``attention_aa_C`` …), so that ``color byattribute
    attention_binding_site`` shows it and several properties' values coexist.
    """
    from protattn.api.stats import head_statistics, rank_heads, ranking_table

    use_settings(session)
    targets = _targets(residues)
    stats = _core(head_statistics, [t.core_structure() for t in targets], model, [prop],
                  threshold=threshold, min_arcs=min_arcs,
                  site_kinds=[k.strip() for k in site_kinds.split(",") if k.strip()],
                  definition=definition)
    rows = rank_heads(stats, prop, top)
    plans, scores = [], []
    attribute = property_attribute(prop)
    if rows and draw:
        _check_attribute_name(session, attribute)
        options = ({"min_separation": 6, "color_by": "contact"} if prop == "contact"
                   else {"min_separation": 1})
        best = rows[0]["layer_head"]
        plans = [_PairsPlan.make(t, _core(
            protattn.compute_pairs, t.chains, best, model=model,
            threshold=threshold, within=t.selected, **options)) for t in targets]
        scores = [(t, _core(protattn.compute_scores, t.chains, best, model=model,
                            within=t.selected)) for t in targets]
    session.logger.info("\n".join(ranking_table(stats, prop, rows)))
    if plans:
        _draw_plans(session, plans, PAIRS_GROUP)
        for plan in plans:
            session.logger.info(f"top head {plan.log_line()}")
        _set_attribute(session, attribute, scores)
        session.logger.info(f"residue attribute {attribute}: attention received from head "
                            f"{rows[0]['layer_head']} (color byattribute {attribute})")
    return rows


def property_attribute(prop: str) -> str:
    """The residue attribute ``attention heads`` sets for a property: ``attention_binding_site``."""
    return "attention_" + re.sub(r"\W", "_", prop)


def _set_attribute(session: Session, attribute: str,
                   scores: list[tuple[StructureChains, protattn.ScoresResult]]) -> None:
    """Set a registered float residue attribute to each result's residue values."""
    _register_float(session, Residue, attribute)
    _ATTRIBUTE_NAMES.setdefault(session, set()).add(attribute)
    for target, result in scores:
        for coloured in result.scene.residues:
            setattr(target.residues[coloured.residue], attribute, float(coloured.value))


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
    from protattn.api.contacts import predict_contacts

    use_settings(session)
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
    definition: str = "paper",
):
    """Per-head statistics of a property over the structures; table and heatmap to the log.

    Usage: attention stats atom-spec [property name] [threshold t] [minArcs n]
    [model name] [siteKinds kinds] [top n] [definition paper|judged]

    Logs the property's background rate, the centre of gravity of its layer
    profile, the top heads with Bonferroni-corrected 95% intervals, and the
    layer x head figure (the paper's heatmap), counted by the paper's
    definition unless ``definition judged`` (see ``attention heads``).
    Returns the statistics.
    """
    import base64
    import io

    from protattn.api.stats import head_statistics, ranking_table
    from protattn.report.plots import heatmap

    use_settings(session)
    targets = _targets(residues)
    stats = _core(head_statistics, [t.core_structure() for t in targets], model, [prop],
                  threshold=threshold, min_arcs=min_arcs,
                  site_kinds=[k.strip() for k in site_kinds.split(",") if k.strip()],
                  definition=definition)
    result = stats[prop]
    figure = heatmap(result.share, title=f"{model}: {prop} ({stats.definition_name})",
                     label=stats.share_label(), mask=~result.enough_arcs,
                     background=result.background)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    table = ranking_table(stats, prop, stats.ranking(prop)[:top])
    summary = (f"{int(result.enough_arcs.sum())} heads with {stats.enough_text()}, centre of "
               f"gravity layer {stats.center_of_gravity(prop):.2f}")
    session.logger.info(
        f"<pre>{html.escape(chr(10).join([*table, summary]))}</pre>"
        f'<img src="data:image/png;base64,{image}">', is_html=True)
    return stats


def attention_models(session: Session) -> dict[str, str]:
    """List the language models protattn knows by short name, and which load offline here.

    Usage: attention models

    Logs a table of each model's short name, parameters, family, whether it is
    available offline (its weights in a pip package or the Hugging Face cache)
    where models run (ChimeraX's Python, or the worker's: see ``attention
    worker``) and its source. Any other Hugging Face id or model directory also works as
    ``model`` in the other commands.

    Returns
    -------
    dict
        Short name to ``"package"``, ``"cache"`` or ``"missing"``
        (:func:`protattn.lm.registry.model_status`).
    """
    from protattn.lm.registry import MODELS

    use_settings(session)
    status = _core(protattn.compute.backend.model_statuses)
    cell = "<td style='padding: 0 0.8em 0 0'>{}</td>".format
    rows = ["<tr>" + "".join(f"<th style='text-align: left'>{h}</th>" for h in (
        "model", "parameters", "family", "offline", "source")) + "</tr>"]
    for name, spec in MODELS.items():
        here = {"package": "yes (package)", "cache": "yes (cache)", "missing": "no"}[
            status.get(name, "missing")]
        source = spec.source + (f" ({spec.note})" if spec.note else "")
        rows.append("<tr>" + "".join(cell(html.escape(v)) for v in (
            name, spec.parameters, spec.family, here, source)) + "</tr>")
    offline = sum(v != "missing" for v in status.values())
    session.logger.info(
        f"<table>{''.join(rows)}</table>{len(status)} known models, {offline} available "
        "offline; any other Hugging Face id or model directory also works (model NAME). "
        f"Models run {html.escape(protattn.compute.backend.describe())}.", is_html=True)
    return status


class _WorkerSettings:
    """The ``attention worker`` setting, kept in ChimeraX's settings (made on first use)."""

    instance = None

    @classmethod
    def get(cls, session: Session):
        if cls.instance is None:
            from chimerax.core.settings import Settings

            class ProtAttnSettings(Settings):
                AUTO_SAVE = {"worker_python": "", "compute": ""}

            cls.instance = ProtAttnSettings(session, "ProtAttn")
        return cls.instance


_CONFIGURED: weakref.WeakSet[Session] = weakref.WeakSet()


def use_settings(session: Session) -> None:
    """Where models run, from the saved setting (PROTATTN_PYTHON / _COMPUTE win), once."""
    if session in _CONFIGURED:
        return
    settings = _WorkerSettings.get(session)

    def log(message: str) -> None:  # the panel runs models in a thread
        if session.ui.is_gui:
            session.ui.thread_safe(session.logger.info, message)
        else:
            session.logger.info(message)

    protattn.compute.backend.configure(
        python=None if os.environ.get("PROTATTN_PYTHON") else settings.worker_python or None,
        mode=None if os.environ.get("PROTATTN_COMPUTE") else settings.compute or None,
        notify=log)
    _CONFIGURED.add(session)


def attention_worker(session: Session, python: str | None = None, *, mode: str | None = None,
                     stop: bool = False) -> str:
    """Show or set where protattn runs language models: ChimeraX's Python or a worker.

    Usage: attention worker [python-path] [mode auto|process|worker] [stop true|false]

    ChimeraX's own Python needs only numpy: when torch does not import there
    (mode ``auto``), models run in a worker process started in another Python
    that has torch, transformers and the models (``python-path``, a path or a
    command on PATH, e.g. a virtual environment made for protattn; ``none`` clears
    it). The worker starts on the first command that needs a model and stops with
    ChimeraX; both share one attention cache. The setting is saved in ChimeraX's
    settings; the environment variables PROTATTN_PYTHON and PROTATTN_COMPUTE, when
    set, take precedence at start-up. ``stop true`` stops a running worker.

    Parameters
    ----------
    python : str, optional
        The worker's Python; ``none`` clears the setting.
    mode : {"auto", "process", "worker"}, optional
    stop : bool
        Stop the running worker.

    Returns
    -------
    str
        Where models run, as logged.
    """
    use_settings(session)
    settings = _WorkerSettings.get(session)
    if python:
        path = "" if python.strip().lower() == "none" else _core(protattn.compute.backend.resolve_python,
                                                                  python)
        _core(protattn.compute.backend.configure, python=path or None)
        settings.worker_python = path
    if mode:
        _core(protattn.compute.backend.configure, mode=mode)
        settings.compute = mode
    if stop:
        protattn.compute.backend.stop_worker()
    where = _core(protattn.compute.backend.describe)
    session.logger.info(f"protattn: models run {where}")
    return where


def attention_save(
    session: Session,
    path: str,
    *,
    format: str = "defattr",
    models: list[AtomicStructure] | None = None,
    attribute: str = ATTRIBUTE,
    name: str | None = None,
) -> Residues | Pseudobonds:
    """Save attention values or pairs to a file that ChimeraX (or a script) reads back.

    Usage: attention save path [format defattr|contacts] [models spec]
    [attribute name] [name group-name]

    ``defattr`` (default) writes the residues' ``attention`` values (or those of
    ``attribute``) in ChimeraX's attribute-assignment format: ``open x.defattr``
    sets them again (``open x.defattr models #2`` on another structure). Residue
    specifiers name the model only when the file covers several structures, as
    ChimeraX's own ``save x.defattr``. ``contacts`` writes the pseudobonds of the
    attention groups of one structure (or the group ``name``) in the form of
    ``alphafold contacts ... outputFile``: one ``/A:25 /B:30 0.42`` line per pair
    (residue, residue, weight to 2 decimals; an insertion code follows the
    number). The file is written only when everything was found, and nothing
    else changes.

    Returns
    -------
    Residues or Pseudobonds
        What was written.
    """
    structures = all_atomic_structures(session) if models is None else models
    if format == "defattr":
        _check_attribute_name(session, attribute)
        written, text, what = _defattr_text(structures, attribute)
    else:
        written, text, what = _contacts_text(session, structures, name)
    _write(path, text)
    session.logger.info(f"saved {what} to {path}")
    return written


def _defattr_text(structures, attribute: str) -> tuple[Residues, str, str]:
    """The residues with ``attribute`` and the .defattr text of their values."""
    per_structure = [(s, [r for r in s.residues if hasattr(r, attribute)])
                     for s in structures]
    per_structure = [(s, res) for s, res in per_structure if res]
    if not per_structure:
        raise UserError(f"no residue has attribute {attribute!r}; set it first with "
                        "attention color SPEC layerHead L-H"
                        + ("" if attribute == ATTRIBUTE else f" attribute {attribute}"))
    omit_model = len(per_structure) == 1
    lines = [f"attribute: {attribute}", "recipient: residues", "match mode: 1-to-1"]
    for _, res in per_structure:
        lines += [f"\t{r.string(style='command', omit_structure=omit_model)}"
                  f"\t{float(getattr(r, attribute))!r}" for r in res]
    residues = Residues([r for _, res in per_structure for r in res])
    where = ", ".join(str(s) for s, _ in per_structure)
    return residues, "\n".join(lines) + "\n", (
        f"attribute {attribute} of {len(residues)} residues of {where} (defattr)")


def _contacts_text(session: Session, structures,
                   name: str | None) -> tuple[Pseudobonds, str, str]:
    """One structure's attention pseudobonds and the ``alphafold contacts`` file text."""
    found = [(s, g) for s in structures for g in _attention_groups(session, s, name)
             if g.num_pseudobonds]
    what = "attention pairs" if name is None else f"attention pairs in group {name!r}"
    if not found:
        raise UserError(f"no {what} to save; draw them first with attention pairs SPEC "
                        "layerHead L-H" + ("" if name is None else f" name {name!r}"))
    with_pairs = list(dict.fromkeys(s for s, _ in found))
    if len(with_pairs) > 1:
        raise UserError(
            f"{len(with_pairs)} structures have {what} ("
            + ", ".join(s.atomspec for s in with_pairs)
            + "); a contacts file names no model: give one, e.g. models "
            + with_pairs[0].atomspec)
    pbonds = join_collections([g.pseudobonds for _, g in found], Pseudobonds)
    pbonds = pbonds.filter(np.array([hasattr(p, WEIGHT) for p in pbonds], dtype=bool))
    if not pbonds:
        raise UserError(f"the {what} of {with_pairs[0]} have no weights; draw them again "
                        "with attention pairs")
    a, b = pbonds.atoms
    lines = [f"{x.residue.string(style='command', omit_structure=True)} "
             f"{y.residue.string(style='command', omit_structure=True)} "
             f"{getattr(p, WEIGHT):.2f}" for p, x, y in zip(pbonds, a, b)]
    return pbonds, "\n".join(lines), (
        f"{len(pbonds)} attention pairs of {with_pairs[0]} (alphafold contacts format)")


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path``, or raise UserError having written nothing."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"folder {folder} does not exist; create it or save elsewhere")
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder; give a file name, e.g. {path}/attention.defattr")
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}; save elsewhere") from e


_LAYER_HEAD = ("layer_head", StringArg)
_MODEL = ("model", StringArg)
_DEFINITION = ("definition", EnumOf(protattn.lm.counts.DEFINITIONS))
_RUN = [("window", PositiveIntArg), ("stride", PositiveIntArg), ("concatenate", BoolArg)]


def _pairs_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[_LAYER_HEAD, ("threshold", FloatArg), ("top_k", PositiveIntArg),
                 ("min_separation", PositiveIntArg), ("symmetrize", EnumOf(("max", "mean"))),
                 _MODEL, ("palette", EnumOf(tuple(PALETTES))), ("name", StringArg),
                 ("replace", BoolArg), *_RUN, ("dashes", NonNegativeIntArg),
                 ("color_by", EnumOf(("weight", "contact")))],
        required_arguments=["layer_head"],
        synopsis="draw high-attention residue pairs of a language model head",
    )


def _color_desc() -> CmdDesc:
    return CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[_LAYER_HEAD, _MODEL, ("palette", EnumOf(tuple(PALETTES))), *_RUN,
                 ("attribute", StringArg)],
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
                 _MODEL, ("site_kinds", StringArg), ("draw", BoolArg), _DEFINITION],
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
                 ("site_kinds", StringArg), ("top", PositiveIntArg), _DEFINITION],
        synopsis="per-head statistics of a structural property, with the layer x head figure",
    )


def _models_desc() -> CmdDesc:
    return CmdDesc(synopsis="list the language models protattn knows and which load offline")


def _worker_desc() -> CmdDesc:
    return CmdDesc(
        optional=[("python", StringArg)],
        keyword=[("mode", EnumOf(protattn.compute.backend.MODES)), ("stop", BoolArg)],
        synopsis="show or set where language models run (this Python or a worker)",
    )


def _save_desc() -> CmdDesc:
    return CmdDesc(
        required=[("path", SaveFileNameArg)],
        keyword=[("format", EnumOf(("defattr", "contacts"))), ("models", AtomicStructuresArg),
                 ("attribute", StringArg), ("name", StringArg)],
        synopsis="save attention values (defattr) or pairs (alphafold contacts form) to a file",
    )


_COMMANDS: dict[str, tuple[Callable[[], CmdDesc], Callable[..., object]]] = {
    "attention pairs": (_pairs_desc, attention_pairs),
    "attention color": (_color_desc, attention_color),
    "attention clear": (_clear_desc, attention_clear),
    "attention heads": (_heads_desc, attention_heads),
    "attention contacts": (_contacts_desc, attention_contacts),
    "attention stats": (_stats_desc, attention_stats),
    "attention models": (_models_desc, attention_models),
    "attention save": (_save_desc, attention_save),
    "attention worker": (_worker_desc, attention_worker),
}


def register_command(command_name: str, logger: Logger) -> None:
    """Register one of the ``attention`` commands (called by the bundle API on first use)."""
    desc, function = _COMMANDS[command_name]
    register(command_name, desc(), function, logger=logger)
