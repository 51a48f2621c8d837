"""PyMOL commands: attention_pairs, _color, _clear, _heads, _contacts.

Each command adapts the selection to protattn chains, asks the core, and only
then draws: a bad argument raises ``CmdException`` with nothing drawn.
"""

from __future__ import annotations

import os

from pymol import CmdException, cmd

import protattn
from protattn import PairsResult, ProtattnError, ResidueId, ScoresResult
from protattn.api import heads as head_requests
from protattn.api import worker as worker_requests
from protattn.api.contacts import predict_chains_contacts
from protattn.api.models import models_table
from protattn.api.options import run_options
from protattn.api.stats import property_report

from . import draw
from .adapter import chains_by_object, icode, structures_by_object

__all__ = [
    "attention_pairs",
    "attention_color",
    "attention_clear",
    "attention_heads",
    "attention_contacts",
    "attention_stats",
    "attention_models",
    "attention_worker",
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
    return run_options(
        _number(window, "window", int),
        _number(stride, "stride", int),
        _number(concatenate, "concatenate", int),
    )


def _core(compute, *args, **kwargs):
    """Call the core, turning its errors into ``CmdException``."""
    try:
        return compute(*args, **kwargs)
    except (ProtattnError, ValueError) as e:
        raise CmdException(str(e)) from e


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
    results: dict[str, PairsResult] = {  # everything is computed before anything is drawn
        obj: _core(
            protattn.compute_pairs,
            chains,
            layer_head,
            within=_selected_residues(selection, obj, _self),
            **options,
        )
        for obj, chains in by_object.items()
    }
    pairs: list[protattn.Pair] = []
    for obj, result in results.items():
        n = draw.draw_pairs(obj, result.scene, protattn.ca_coordinates(by_object[obj]), _self=_self)
        pairs.extend(result.pairs)
        if not int(quiet) or n == 0 or result.notes:
            print(f" attention_pairs: {obj}: {result.summary()}")
        if n:
            legend = (
                "green: 3D contact, red: not" if str(color_by) == "contact" else "light to dark"
            )
            print(
                f" attention_pairs: {obj}: drew {n} pairs into group "
                f"{draw.group_name(obj)}, weight {result.scene.vmin:.3f} (thin) to "
                f"{result.scene.vmax:.3f} (thick), {legend}"
            )
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
    options = _run_options(window, stride, concatenate)
    results: dict[str, ScoresResult] = {
        obj: _core(
            protattn.compute_scores,
            chains,
            layer_head,
            model=model,
            palette=str(palette),
            within=_selected_residues(selection, obj, _self),
            **options,
        )
        for obj, chains in by_object.items()
    }
    for obj, result in results.items():
        n = draw.color_residues(obj, result.scene, selection, _self=_self)
        if not int(quiet) or result.notes:
            print(f" attention_color: {obj}: {result.summary()}")
        print(
            f" attention_color: {obj}: {n} residues, b-factor = attention received, "
            f"{result.scene.vmin:.3g} (light) to {result.scene.vmax:.3g} (dark)"
        )
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
    structures = structures_by_object(selection, _self=_self)
    within = [_selected_residues(selection, obj, _self) for obj in structures]
    result = _core(
        head_requests.top_heads,
        structures.values(),
        str(prop),
        model,
        _number(top, "top", int),
        _number(threshold, "threshold"),
        _number(min_arcs, "min_arcs", int),
        str(site_kinds),
        str(definition).strip(),
        draw=bool(int(draw_top)),
        within=within,
    )
    for line in result.table():
        print(f" {line}")
    for obj, drawn in zip(structures, result.pairs):
        n = draw.draw_pairs(
            obj, drawn.scene, protattn.ca_coordinates(structures[obj].chains), _self=_self
        )
        print(
            f" attention_heads: {obj}: drew head {result.best}: {n} pairs"
            + head_requests.top_head_legend(str(prop))
        )
    return list(result.rows)


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
    by_object = chains_by_object(selection, _self=_self)
    predicted = {
        obj: _core(predict_chains_contacts, chains, model, str(method), str(heads))
        for obj, chains in by_object.items()
    }
    for obj, found in predicted.items():
        draw.draw_pairs(obj, found.scene, protattn.ca_coordinates(by_object[obj]), _self=_self)
        for line in found.lines(f"{obj}"):
            print(f" attention_contacts: {line} (green: true contact, red: false)")
    return {
        (obj, chain): result
        for obj, found in predicted.items()
        for chain, result in found.results.items()
    }


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
    structures = structures_by_object(selection, _self=_self)
    prop = str(prop)
    png = str(png) or f"attention_{prop.replace(':', '_')}.png"
    folder = os.path.dirname(os.path.abspath(png))
    if not os.path.isdir(folder):
        raise CmdException(f"folder {folder!r} does not exist; choose another png")
    report = _core(
        property_report,
        structures.values(),
        prop,
        model,
        _number(threshold, "threshold"),
        _number(min_arcs, "min_arcs", int),
        str(site_kinds),
        str(definition).strip(),
        top=5,
    )
    report.heatmap(png)
    print(f" attention_stats: {prop}: {report.summary()}")
    for line in report.table():
        print(f" {line}")
    print(f" attention_stats: heatmap written to {os.path.abspath(png)}")
    return report.statistics


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
    table = _core(models_table)
    for line in table.lines():
        print(f" {line}")
    print(f" models run {table.where}")
    return dict(table.status)


def _say(message: str) -> None:
    print(f" {message}")


def configure_backend() -> None:
    """Where models run, from the plugin preferences (PROTATTN_PYTHON / _COMPUTE win)."""
    try:
        from pymol.plugins import pref_get
    except ImportError:  # PyMOL without its plugin system
        pref_get = None  # noqa: N806
    worker_requests.configure_saved(
        pref_get(PREF_PYTHON) if pref_get else None,
        pref_get(PREF_MODE) if pref_get else None,
        notify=_say,
    )


def attention_worker(
    python: str = "", mode: str = "", stop: int = 0, quiet: int = 0, *, _self=cmd
) -> str:
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
    change = _core(
        worker_requests.set_worker, str(python), str(mode), bool(_number(stop, "stop", int))
    )
    prefs = {"python": PREF_PYTHON, "mode": PREF_MODE}
    if change.saved:
        _save_preferences({prefs[key]: value for key, value in change.saved.items()})
    if not _number(quiet, "quiet", int):
        print(f" attention_worker: models run {change.where}")
    return change.where


def _save_preferences(values: dict[str, str]) -> None:
    """Keep the worker setting in PyMOL's plugin preferences for the next sessions."""
    try:
        from pymol.plugins import pref_save, pref_set
    except ImportError:  # no plugin system: the setting lasts for this session
        return
    for key, value in values.items():
        pref_set(key, value)
    pref_save(quiet=1)
