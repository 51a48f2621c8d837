"""The dialog's logic without Qt: its command strings run through a real PyMOL, its grid colours,
its model choices, and its background jobs (which must leave the commands nothing to compute)."""

from __future__ import annotations

import doctest
import json
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from readback import cgo_cylinders

import protattn
from protattn_pymol import dialog_logic, draw
from protattn_pymol.adapter import chains_by_object, structures_by_object
from protattn_pymol.dialog_logic import (
    DialogState,
    command,
    grid_cells,
    model_label,
    model_name,
    prepare,
)

A = dict(obj="1hpv", chain="A", layer=6, head=3)


@pytest.mark.parametrize(
    ("action", "state", "expected"),
    [
        ("pairs", DialogState(**A), "attention_pairs 1hpv and chain A, 6-3, threshold=0.1"),
        (
            "pairs",
            DialogState(obj="1hpv", layer=6, head=3, top_k=5),
            "attention_pairs 1hpv, 6-3, top_k=5",
        ),
        (
            "pairs",
            DialogState(**A, threshold=0.25, min_separation=6),
            "attention_pairs 1hpv and chain A, 6-3, threshold=0.25, min_separation=6",
        ),
        (
            "pairs",
            DialogState(**A, aggregate="max", top_k=7, threshold=0.5),
            "attention_pairs 1hpv and chain A, 6-max, top_k=7",
        ),
        (
            "pairs",
            DialogState(**A, model="esm2_t6_8M"),
            "attention_pairs 1hpv and chain A, 6-3, threshold=0.1, model=esm2_t6_8M",
        ),
        (
            "pairs",
            DialogState(obj="1hpv", chain="", layer=1, head=2),
            'attention_pairs 1hpv and chain "", 1-2, threshold=0.1',
        ),
        (
            "color",
            DialogState(obj="1hpv", chain="B", layer=8, aggregate="mean"),
            "attention_color 1hpv and chain B, 8-mean",
        ),
        (
            "color",
            DialogState(**A, top_k=3, threshold=0.3),
            "attention_color 1hpv and chain A, 6-3",
        ),
        ("contacts", DialogState(**A), "attention_contacts 1hpv and chain A"),
        (
            "contacts",
            DialogState(obj="1hpv", model="/models/my model"),
            "attention_contacts 1hpv, model=/models/my model",
        ),
        ("clear", DialogState(**A), "attention_clear 1hpv"),
    ],
)
def test_command_strings(action, state, expected):
    assert command(action, state) == expected


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        (DialogState(), "pairs", "no object chosen"),
        (DialogState(**A, model="a,b"), "pairs", "splits on"),
        (DialogState(**A, model="a;b"), "color", "splits on"),
        (DialogState(**A, model=" "), "contacts", "no model"),
        (DialogState(**A, aggregate="sum"), "pairs", "aggregate must be one of"),
        (DialogState(**A), "explode", "unknown action"),
    ],
)
def test_states_that_make_no_command_say_why(state, action, message):
    with pytest.raises(ValueError, match=message):
        command(action, state)


def _expected_pairs(pm, state: DialogState) -> protattn.PairsResult:
    (chains,) = chains_by_object(state.selection, _self=pm).values()
    return protattn.compute_pairs(
        chains,
        state.layer_head,
        threshold=state.threshold,
        top_k=state.top_k or None,
        min_separation=state.min_separation,
    )


@pytest.mark.parametrize(
    "state",
    [
        DialogState(**A),
        DialogState(**A, threshold=0.2, min_separation=6),
        DialogState(obj="1hpv", layer=6, head=3, top_k=4),
        DialogState(**A, aggregate="mean", threshold=0.05),
        DialogState(**A, aggregate="max", top_k=6),
    ],
)
def test_pairs_commands_draw_what_the_core_computes(pm, state):
    expected = _expected_pairs(pm, state)
    assert expected.scene.bonds

    pm.do(command("pairs", state))

    cylinders = cgo_cylinders(pm, draw.pairs_name("1hpv"))
    assert len(cylinders) == len(expected.scene.bonds)
    for cyl, bond in zip(cylinders, expected.scene.bonds):
        assert cyl[6] == pytest.approx(bond.radius, abs=1e-5)
    assert pm.get_type("attention_1hpv_pairs") == "object:cgo"


def _b_factors(pm, chain):
    values = []
    pm.iterate(f"1hpv and chain {chain} and name CA", "values.append(b)", space={"values": values})
    return values


def test_color_contacts_and_clear_commands(pm):
    before_a, before_b = _b_factors(pm, "A"), _b_factors(pm, "B")
    state = DialogState(obj="1hpv", chain="A", layer=8, aggregate="mean")

    pm.do(command("color", state))
    assert _b_factors(pm, "A") != before_a
    assert _b_factors(pm, "B") == before_b  # only the chosen chain

    pm.do(command("contacts", state))
    assert len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == 99  # top L of the chain

    pm.do(command("clear", state))
    assert not [n for n in pm.get_names("all") if n.startswith("attention_")]
    assert _b_factors(pm, "A") == before_a


@pytest.mark.parametrize("action", ["pairs", "color", "contacts"])
def test_prepare_leaves_the_command_no_model_to_run(pm, monkeypatch, tmp_path, action):
    """The worker thread's job computes everything; the command on the GUI thread only draws."""
    state = DialogState(obj="1hpv", chain="B", layer=3, head=5, top_k=3)
    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path))  # nothing cached but what prepare does
    protattn.lm.inference.clear_memory()
    summary = prepare(action, state, chains_by_object(state.selection, _self=pm))
    assert summary.startswith("1hpv")

    def no_model(*args, **kwargs):
        raise AssertionError("the model ran on the GUI thread")

    monkeypatch.setattr(protattn.lm.model, "run_chain", no_model)
    before = _b_factors(pm, "B")
    pm.do(command(action, state))

    if action == "color":
        assert _b_factors(pm, "B") != before
    else:
        assert len(cgo_cylinders(pm, draw.pairs_name("1hpv"))) == (3 if action == "pairs" else 99)


def test_prepare_reports_what_the_command_would(pm):
    state = DialogState(obj="1hpv", chain="A", layer=9, head=1)
    with pytest.raises(protattn.ProtattnError, match="layers 1-8"):
        prepare("pairs", state, chains_by_object(state.selection, _self=pm))
    assert prepare("clear", state, {}) == ""


def test_grid_statistics_on_the_object(pm):
    state = DialogState(obj="1hpv", prop="contacts", min_arcs=20)
    structures = list(structures_by_object(state.selection, _self=pm).values())
    messages = []

    stats = dialog_logic.grid_statistics(structures, state, messages.append)

    assert stats.prop == "contact" and stats.shape == (8, 8) and stats.definition == "paper"
    assert (stats.enough_arcs == (stats.n_arcs > 20)).all()  # the paper keeps > min arcs
    judged = dialog_logic.grid_statistics(structures, replace(state, definition="judged"))
    assert judged.definition == "judged" and (judged.enough_arcs == (judged.n_arcs >= 20)).all()
    assert (judged.n_arcs <= stats.n_arcs).all() and (judged.n_arcs < stats.n_arcs).any()
    assert 0 < stats.background < 1
    assert any("chain A" in m for m in messages) and any("chain B" in m for m in messages)
    cells = grid_cells(stats.share, stats.enough_arcs)
    greyed = np.array([[c.flagged for c in row] for row in cells])
    assert (greyed == (~stats.enough_arcs | ~np.isfinite(stats.share))).all()
    assert not greyed.all()
    with pytest.raises(ValueError, match="choose a property"):
        dialog_logic.grid_statistics(structures, DialogState(obj="1hpv"))


# ------------------------------------------------------------------------------------ models


def test_model_labels_and_typed_models():
    label = model_label("esm2_t6_8M", "missing")
    assert label == "esm2_t6_8M  (8M, not here)"
    assert model_label("antiberty", "package") == "antiberty  (26M, offline)"
    assert model_name(label) == "esm2_t6_8M"
    assert model_name(" facebook/esm2_t6_8M_UR50D ") == "facebook/esm2_t6_8M_UR50D"
    assert model_name("/models/my model  (copy)") == "/models/my model  (copy)"


def test_models_are_listed_without_importing_torch_or_qt():
    """In a fresh interpreter: the dialog's model list agrees with the core's, torch-free."""
    script = """
import json, sys
from protattn_pymol import dialog_logic
statuses = dialog_logic.model_statuses()
shape = dialog_logic.model_shape("antiberty")
clean = not any(m in sys.modules for m in ("torch", "antiberty", "PyQt5", "pymol.Qt"))
from protattn.lm.registry import model_status
core = {name: model_status(name) for name in statuses}
print(json.dumps({"statuses": statuses, "core": core, "shape": shape, "clean": clean}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["clean"]
    assert result["statuses"] == result["core"]
    assert result["statuses"]["antiberty"] == "package"
    assert result["shape"] == [8, 8]


def test_doctests():
    failed, attempted = doctest.testmod(dialog_logic)
    assert attempted and not failed


def test_numbers_are_written_as_pymol_reads_them():
    for x in (0.1, 0.05, 0.333, 1e-4, 0.123456789):
        text = command("pairs", DialogState(**A, threshold=x)).rsplit("threshold=", 1)[1]
        assert float(text) == x and not math.isnan(float(text))


# ------------------------------------------------------------------------------ messages


class _View:
    """The few PanelView calls an action makes, recorded."""

    def __init__(self, state: DialogState) -> None:
        self._state, self.errors, self.said = state, [], []

    def state(self) -> DialogState:
        return self._state

    def say(self, text: str) -> None:
        self.said.append(text)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def set_busy(self, busy: bool) -> None:
        pass

    def set_shape(self, shape) -> None:
        pass

    def show_grid(self, cells, legend: str) -> None:
        pass


@pytest.mark.parametrize("action", ["pairs", "color", "contacts"])
def test_a_deleted_object_is_named_with_refresh(pm, hpv_path, action):
    from protattn.panel.controller import PanelController

    pm.load(hpv_path, "1vfb")  # as the dialog listed it, chain B chosen
    state = DialogState(obj="1vfb", chain="B", layer=6, head=3)
    view = _View(state)
    controller = PanelController(dialog_logic.PymolHost(lambda f, *a: f(*a), _self=pm), view)
    pm.delete("1vfb")

    assert controller.run_action(action, state) is False

    (error,) = view.errors
    assert "object '1vfb' is no longer loaded in PyMOL (loaded now: 1hpv)" in error
    assert "press Refresh" in error and "invalid selection" not in error
    assert controller.history == []


def test_a_chain_gone_from_the_object_is_named_with_refresh(pm):
    host = dialog_logic.PymolHost(lambda f, *a: f(*a), _self=pm)
    pm.remove("1hpv and chain B")
    with pytest.raises(ValueError, match="'1hpv' has no protein chain 'B' any more; press Refresh"):
        host.read_structures(DialogState(obj="1hpv", chain="B"))
    assert [s.name for s in host.read_structures(DialogState(obj="1hpv", chain="A"))] == ["1hpv"]


def test_the_dialog_never_sends_top_k_zero():
    for top_k in (0, 5):
        line = command("pairs", DialogState(**A, top_k=top_k))
        assert "top_k=0" not in line
        assert ("top_k=5" in line) == (top_k == 5) and ("threshold=" in line) == (top_k == 0)
