"""PyMOL commands: attention_pairs, _color, _clear, _heads, _contacts.

Each command adapts the selection to protattn chains, asks the core, and only
then draws: a bad argument raises ``CmdException`` with nothing drawn.
"""

from __future__ import annotations

import os

from pymol import CmdException, cmd

import protattn
from protattn import PairsResult, ProtattnError, ResidueId, ScoresResult

from . import draw
from .adapter import chains_by_object, icode, structures_by_object

__all__ = [
    "attention_pairs", "attention_color", "attention_clear", "attention_heads",
    "attention_contacts", "attention_stats", "attention_models", "attention_worker",
    "configure_backend",
]

#: PyMOL plugin preferences (``~/.pymolpluginsrc.py``) holding the worker setting.
PREF_PYTHON, PREF_MODE = "protattn_python", "protattn_compute"


def _selected_residues(selection: str, obj: str, _self) -> set[ResidueId]:
    found: set[ResidueId] = set()
    _self.iterate(
        f"({selection}) and {obj} and polymer.protein and name CA",
        "found.add(ResidueId(chain, resv, icode(resi, resv)))",
        space={"found": found, "ResidueId": ResidueId, "icode": icode},
    )
    return found


def _number(value, name: str, kind=float):
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise CmdException(f"{name} must be a number, not {value!r}") from None


def _run_options(window, stride, concatenate) -> dict:
    window, stride = _number(window, "window", int), _number(stride, "stride", int)
    return dict(window=window if window > 0 else None, stride=stride if stride > 0 else None,
                concatenate=bool(_number(concatenate, "concatenate", int)))


def attention_pairs(
    selection: str = "polymer.protein",
    layer_head: str = "",
    threshold: float = 0.1,
    top_k: int = 0,
    min_separation: int = 1,
    symmetrize: str = "max",
    model: str = "antiberty",
    palette: str = "attention",
    window: int = 0,
    stride: int = 0,
    concatenate: int = 0,
    color_by: str = "weight",
    quiet: int = 1,
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

USAGE

    attention_pairs selection, layer_head [, threshold [, top_k
        [, min_separation [, symmetrize [, model [, palette [, window
        [, stride [, concatenate [, color_by [, quiet ]]]]]]]]]]]

ARGUMENTS

    selection = str: protein residues to analyse {default: polymer.protein}

    layer_head = str: 1-based "layer-head" (7-1), or a layer's heads
    averaged (7-mean) or their maximum (7-max)

    threshold = float: keep pairs whose attention max(a_ij, a_ji) is above
    it {default: 0.1}

    top_k = int: keep the k strongest pairs per chain instead (0: use the
    threshold) {default: 0}

    min_separation = int: minimum |i - j| in sequence {default: 1}

    symmetrize = max or mean: how a_ij and a_ji are combined {default: max}

    model = str: short name (attention_models lists them), Hugging Face id
    or model directory {default: antiberty}

    palette = attention, white_red, blue_white_red or viridis {default: attention}

    window = int: run chains longer than this as overlapping windows (0:
    only chains longer than the model's limit, at that limit) {default: 0}

    stride = int: residues between window starts (0: half the window)

    concatenate = 0/1: run the selected chains of an object as one input,
    to see attention between chains {default: 0}

    color_by = weight or contact: colour by attention weight (palette), or
    green / red for pairs that are / are not 3D contacts {default: weight}

EXAMPLE

    attention_pairs 1hpv, 6-3
    attention_pairs 1hpv and chain A, 8-max, top_k=20, min_separation=6
    attention_pairs 1vfb and chain A+B, 8-max, top_k=30, concatenate=1

SEE ALSO

    attention_color, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException("give a layer-head, e.g. attention_pairs 1hpv, 7-1")
    top_k = _number(top_k, "top_k", int)
    options = dict(
        model=model,
        threshold=_number(threshold, "threshold"),
        top_k=top_k if top_k > 0 else None,
        min_separation=_number(min_separation, "min_separation", int),
        symmetrize=str(symmetrize),
        palette=str(palette),
        color_by=str(color_by),
        **_run_options(window, stride, concatenate),
    )
    by_object = chains_by_object(selection, _self=_self)
    results: dict[str, PairsResult] = {}
    try:  # everything is computed before anything is drawn
        for obj, chains in by_object.items():
            within = _selected_residues(selection, obj, _self)
            results[obj] = protattn.compute_pairs(chains, layer_head, within=within, **options)
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e
    pairs: list[protattn.Pair] = []
    for obj, result in results.items():
        n = draw.draw_pairs(obj, result.scene, protattn.ca_coordinates(by_object[obj]), _self=_self)
        pairs.extend(result.pairs)
        if not int(quiet) or n == 0 or result.notes:
            print(f" attention_pairs: {obj}: {result.summary()}")
        if n:
            legend = ("green: 3D contact, red: not" if str(color_by) == "contact"
                      else "light to dark")
            print(f" attention_pairs: {obj}: drew {n} pairs into group "
                  f"{draw.group_name(obj)}, weight {result.scene.vmin:.3f} (thin) to "
                  f"{result.scene.vmax:.3f} (thick), {legend}")
    return pairs


def attention_color(
    selection: str = "polymer.protein",
    layer_head: str = "",
    model: str = "antiberty",
    palette: str = "white_red",
    window: int = 0,
    stride: int = 0,
    concatenate: int = 0,
    quiet: int = 1,
    *,
    _self=cmd,
) -> dict[str, ScoresResult]:
    """
DESCRIPTION

    Colour residues by the attention they receive from one head: for each
    residue j, the column sum over queries i of a_ij divided by the chain
    length. The values are written into the b-factor column (the original
    b-factors come back with attention_clear) and coloured with spectrum.

USAGE

    attention_color selection, layer_head [, model [, palette [, window
        [, stride [, concatenate [, quiet ]]]]]]

ARGUMENTS

    selection = str: protein residues to colour {default: polymer.protein}

    layer_head = str: 1-based "layer-head" (7-1), 7-mean or 7-max

    model = str: protein language model {default: antiberty}

    palette = white_red, attention, blue_white_red or viridis {default: white_red}

    window, stride, concatenate: as for attention_pairs

EXAMPLE

    attention_color 1hpv, 8-mean
    iterate 1hpv and name CA, print(resi, b)

SEE ALSO

    attention_pairs, attention_clear
    """
    if not str(layer_head).strip():
        raise CmdException("give a layer-head, e.g. attention_color 1hpv, 7-1")
    by_object = chains_by_object(selection, _self=_self)
    results: dict[str, ScoresResult] = {}
    try:
        for obj, chains in by_object.items():
            within = _selected_residues(selection, obj, _self)
            results[obj] = protattn.compute_scores(
                chains, layer_head, model=model, palette=str(palette), within=within,
                **_run_options(window, stride, concatenate))
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e
    for obj, result in results.items():
        n = draw.color_residues(obj, result.scene, selection, _self=_self)
        if not int(quiet) or result.notes:
            print(f" attention_color: {obj}: {result.summary()}")
        print(f" attention_color: {obj}: {n} residues, b-factor = attention received, "
              f"{result.scene.vmin:.3g} (light) to {result.scene.vmax:.3g} (dark)")
    return results


def attention_clear(selection: str = "all", *, _self=cmd) -> None:
    """
DESCRIPTION

    Remove the attention pairs drawn for the objects in the selection and
    put back the b-factors that attention_color replaced.

USAGE

    attention_clear [ selection ]

EXAMPLE

    attention_clear 1hpv
    """
    objects = _self.get_object_list(f"({selection})") or []
    for obj in objects:
        draw.clear(obj, _self=_self)


def _pair_options_for(prop: str) -> dict:
    """How the top head of a property is drawn: contacts by contact, others by weight."""
    if prop == "contact":
        return {"min_separation": 6, "color_by": "contact"}
    return {"min_separation": 1, "color_by": "weight"}


def attention_heads(
    selection: str = "polymer.protein",
    prop: str = "contact",
    top: int = 10,
    threshold: float = 0.3,
    min_arcs: int = 100,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    draw_top: int = 1,
    quiet: int = 1,
    definition: str = "paper",
    *,
    _self=cmd,
) -> list[dict]:
    """
DESCRIPTION

    Rank the heads of a protein language model by how much of their
    high-confidence attention (weight of at least threshold) lands on a
    property of the selected structures, and draw the top head's pairs.

    Under the paper's definition (the default, as in Vig et al. 2021 and
    its code), a head's share is the fraction of all its arcs (i, j) with
    a_ij >= threshold that are 3D contacts (CB-CB < 8 A, |i - j| >= 6),
    or whose attended residue j has the property (binding_site: within
    4 A of a ligand); heads with more than min_arcs arcs are ranked, each
    share with a Bonferroni-corrected 95% (Wald) interval and the
    property's background rate. definition=judged counts only the pairs
    the property is judged on (a_ij > threshold; Wilson interval).

USAGE

    attention_heads selection [, prop [, top [, threshold [, min_arcs
        [, model [, site_kinds [, draw_top [, quiet [, definition ]]]]]]]]]

ARGUMENTS

    selection = str: protein chains to analyse (all their chains are counted)

    prop = contact, binding_site, binding_site:CODE, helix, strand,
    turn_bend, other or aa:X {default: contact}

    top = int: rows to print {default: 10}

    threshold = float: high-confidence attention (the paper's 0.3)

    min_arcs = int: heads with this many arcs or fewer (paper), or fewer
    (judged), are not ranked {default: 100}

    model = str: protein language model {default: antiberty}

    site_kinds = str: HETATM kinds making binding sites, comma-separated:
    ligand, ion, glycan, additive {default: ligand}

    draw_top = 0/1: draw the top head's pairs (contacts green/red) {default: 1}

    definition = paper or judged: how shares, backgrounds and intervals
    are counted {default: paper}

EXAMPLE

    attention_heads 1hpv, binding_site
    attention_heads 1hpv, contact, top=5
    attention_heads 1hpv, contact, definition=judged

SEE ALSO

    attention_pairs, attention_contacts
    """
    from protattn.api.stats import head_statistics, rank_heads, ranking_table

    structures = structures_by_object(selection, _self=_self)
    try:
        stats = head_statistics(
            structures.values(), model, [str(prop)], threshold=_number(threshold, "threshold"),
            min_arcs=_number(min_arcs, "min_arcs", int),
            site_kinds=[k.strip() for k in str(site_kinds).split(",") if k.strip()],
            definition=str(definition).strip())
        rows = rank_heads(stats, str(prop), _number(top, "top", int))
        drawn = {}
        if rows and int(draw_top):
            for obj, structure in structures.items():
                within = _selected_residues(selection, obj, _self)
                drawn[obj] = protattn.compute_pairs(
                    structure.chains, rows[0]["layer_head"], model=model,
                    threshold=float(threshold), within=within, **_pair_options_for(str(prop)))
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e
    for line in ranking_table(stats, str(prop), rows):
        print(f" {line}")
    for obj, result in drawn.items():
        n = draw.draw_pairs(obj, result.scene, protattn.ca_coordinates(structures[obj].chains),
                            _self=_self)
        print(f" attention_heads: {obj}: drew head {rows[0]['layer_head']}: {n} pairs"
              + (" (green: contact, red: not)" if str(prop) == "contact" else ""))
    return rows


def attention_contacts(
    selection: str = "polymer.protein",
    method: str = "apc",
    heads: str = "all",
    model: str = "antiberty",
    quiet: int = 1,
    *,
    _self=cmd,
) -> dict:
    """
DESCRIPTION

    Predict contacts from attention and draw the top L predictions of each
    selected chain (|i - j| >= 6), green where they are true contacts
    (CB-CB < 8 A) and red where not; print precision at L, L/2 and L/5 by
    range (short 6-11, medium 12-23, long >= 24).

    method apc: the average over heads of APC-corrected symmetrised
    attention (any model); method esm: the ESM model's own contact head.

USAGE

    attention_contacts selection [, method [, heads [, model [, quiet ]]]]

ARGUMENTS

    selection = str: protein chains {default: polymer.protein}

    method = apc or esm {default: apc}

    heads = all, or layer-heads averaged by apc, e.g. 6-3+7-1 {default: all}

    model = str: protein language model {default: antiberty}

EXAMPLE

    attention_contacts 1hpv and chain A
    attention_contacts 1hpv and chain A, heads=6-3+5-1

SEE ALSO

    attention_heads, attention_pairs
    """
    from protattn.api.contacts import predict_contacts

    by_object = chains_by_object(selection, _self=_self)
    chosen = None if str(heads).strip() in ("", "all") else [
        h for h in str(heads).replace("+", ",").split(",") if h.strip()]
    results = {}
    try:
        for obj, chains in by_object.items():
            for chain in chains:
                results[(obj, chain.id)] = predict_contacts(chain, model, str(method), chosen)
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e
    for obj, chains in by_object.items():
        bonds = [b for c in chains for b in results[(obj, c.id)].scene.bonds]
        scene = protattn.Scene(bonds=tuple(bonds))
        draw.draw_pairs(obj, scene, protattn.ca_coordinates(chains), _self=_self)
        for chain in chains:
            print(f" attention_contacts: {obj}/{chain.id}: {results[(obj, chain.id)].summary()}"
                  " (green: true contact, red: false)")
    return results


def attention_stats(
    selection: str = "polymer.protein",
    prop: str = "contact",
    png: str = "",
    threshold: float = 0.3,
    min_arcs: int = 100,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    definition: str = "paper",
    *,
    _self=cmd,
) -> protattn.HeadStatistics:
    """
DESCRIPTION

    Per-head statistics of one property over the selected structures: for
    every layer and head, the share of high-confidence attention (at least
    threshold) on the property, against its background rate, with the layer
    profile's centre of gravity. Writes the layer x head figure (the paper's
    heatmap) to a PNG and prints where. The paper's definition is the
    default; definition=judged counts only the pairs each property is
    judged on (see attention_heads).

USAGE

    attention_stats selection [, prop [, png [, threshold [, min_arcs
        [, model [, site_kinds [, definition ]]]]]]]

ARGUMENTS

    prop = contact, binding_site, helix, strand, turn_bend, other, aa:X
    {default: contact}

    png = str: where to write the heatmap {default: attention_<prop>.png in
    the current directory}

    definition = paper or judged {default: paper}

EXAMPLE

    attention_stats 1hpv, binding_site, png=/tmp/sites.png

SEE ALSO

    attention_heads
    """
    from protattn.api.stats import head_statistics, ranking_table
    from protattn.report.plots import heatmap

    structures = structures_by_object(selection, _self=_self)
    prop = str(prop)
    png = str(png) or f"attention_{prop.replace(':', '_')}.png"
    folder = os.path.dirname(os.path.abspath(png))
    if not os.path.isdir(folder):
        raise CmdException(f"folder {folder!r} does not exist; choose another png")
    try:
        stats = head_statistics(
            structures.values(), model, [prop], threshold=_number(threshold, "threshold"),
            min_arcs=_number(min_arcs, "min_arcs", int),
            site_kinds=[k.strip() for k in str(site_kinds).split(",") if k.strip()],
            definition=str(definition).strip())
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e
    result = stats[prop]
    heatmap(result.share, title=f"{model}: {prop} ({stats.definition_name})",
            label=stats.share_label(), mask=~result.enough_arcs, background=result.background,
            path=png)
    print(f" attention_stats: {prop}: {int(result.enough_arcs.sum())} heads with "
          f"{stats.enough_text()}, centre of gravity layer {stats.center_of_gravity(prop):.2f}")
    for line in ranking_table(stats, prop, stats.ranking(prop)[:5]):
        print(f" {line}")
    print(f" attention_stats: heatmap written to {os.path.abspath(png)}")
    return stats


def attention_models(quiet: int = 1, *, _self=cmd) -> dict[str, str]:
    """
DESCRIPTION

    List the protein language models protattn knows by short name, their
    size, and whether each can be loaded without a network (its weights in a
    pip package or the Hugging Face cache) where models run: in PyMOL's
    Python, or in the worker's (see attention_worker), which is then asked.
    Any Hugging Face id or model directory also works as model= in the other
    commands.

USAGE

    attention_models

EXAMPLE

    attention_models
    attention_pairs 1hpv, 6-3, model=esm2_t33_650M
    """
    from protattn.compute import backend
    from protattn.lm.registry import MODELS

    try:
        status = backend.model_statuses()
    except ProtattnError as e:
        raise CmdException(str(e)) from e
    for name, spec in MODELS.items():
        here = "offline" if status.get(name, "missing") != "missing" else "not here"
        print(f" {name:<16} {spec.parameters:<16} {spec.family:<10} {here:<9} {spec.source}")
    print(f" models run {backend.describe()}")
    return status


def _say(message: str) -> None:
    print(f" {message}")


def configure_backend() -> None:
    """Where models run, from the plugin preferences (PROTATTN_PYTHON / _COMPUTE win)."""
    from protattn.compute import backend

    try:
        from pymol.plugins import pref_get
    except ImportError:  # PyMOL without its plugin system
        pref_get = None  # noqa: N806
    python = pref_get(PREF_PYTHON) if pref_get else None
    mode = pref_get(PREF_MODE) if pref_get else None
    backend.configure(
        python=None if os.environ.get("PROTATTN_PYTHON") else python or None,
        mode=None if os.environ.get("PROTATTN_COMPUTE") else mode or None,
        notify=_say)


def attention_worker(python: str = "", mode: str = "", stop: int = 0, quiet: int = 0, *,
                     _self=cmd) -> str:
    """
DESCRIPTION

    Show or set where protattn runs language models. PyMOL's own Python
    needs only numpy: when torch does not import there (mode auto), models
    run in a worker process started in another Python that has torch,
    transformers and the models, e.g. a virtual environment made for
    protattn. The worker starts on the first command that needs a model and
    stops with PyMOL. Both share one attention cache. Settings are saved in
    PyMOL's plugin preferences; the environment variables PROTATTN_PYTHON
    and PROTATTN_COMPUTE, when set, take precedence at start-up.

USAGE

    attention_worker [ python [, mode [, stop ]]]

ARGUMENTS

    python = str: the worker's Python, a path or a command on PATH {default:
    unchanged; "none" clears it}

    mode = auto, process or worker: auto runs models in PyMOL's Python when
    torch imports there, else in the worker {default: unchanged}

    stop = 0/1: stop the running worker (the next model run starts one) {default: 0}

EXAMPLE

    attention_worker /home/me/protattn-env/bin/python
    attention_worker mode=worker
    attention_worker stop=1

SEE ALSO

    attention_models
    """
    from protattn.compute import backend

    saved: dict[str, str] = {}
    try:
        if str(python).strip():
            path = str(python).strip()
            path = "" if path.lower() == "none" else backend.resolve_python(path)
            backend.configure(python=path or None)
            saved[PREF_PYTHON] = path
        if str(mode).strip():
            backend.configure(mode=str(mode).strip().lower())
            saved[PREF_MODE] = str(mode).strip().lower()
    except ProtattnError as e:
        raise CmdException(str(e)) from e
    if saved:
        _save_preferences(saved)
    if _number(stop, "stop", int):
        backend.stop_worker()
    where = backend.describe()
    if not _number(quiet, "quiet", int):
        print(f" attention_worker: models run {where}")
    return where


def _save_preferences(values: dict[str, str]) -> None:
    """Keep the worker setting in PyMOL's plugin preferences for the next sessions."""
    try:
        from pymol.plugins import pref_save, pref_set
    except ImportError:  # no plugin system: the setting lasts for this session
        return
    for key, value in values.items():
        pref_set(key, value)
    pref_save(quiet=1)
