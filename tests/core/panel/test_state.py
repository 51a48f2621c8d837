"""The panels' state and their actions' options, before a host spells them."""

from __future__ import annotations

import doctest

import pytest

from protattn.lm.registry import MODELS
from protattn.panel import state as state_module
from protattn.panel.state import PanelState, command_options, model_choices


def test_doctests():
    failed, attempted = doctest.testmod(state_module)
    assert attempted >= 3 and not failed


@pytest.mark.parametrize(
    ("action", "state", "expected"),
    [
        (
            "pairs",
            PanelState("x", top_k=5, min_separation=6, model="esm2_t6_8M"),
            [
                ("layer_head", "1-1"),
                ("top_k", "5"),
                ("min_separation", "6"),
                ("model", "esm2_t6_8M"),
            ],
        ),
        ("color", PanelState("x", layer=8, aggregate="max"), [("layer_head", "8-max")]),
        ("contacts", PanelState("x", model=" my/model "), [("model", "my/model")]),
        ("clear", PanelState(), []),
        (
            "stats",
            PanelState("x", prop="binding site", min_arcs=5),
            [("property", "binding_site"), ("threshold", "0.3"), ("min_arcs", "5")],
        ),
    ],
)
def test_command_options(action, state, expected):
    assert command_options(action, state) == expected


@pytest.mark.parametrize(
    ("action", "state", "message"),
    [
        ("explode", PanelState("x"), "unknown action"),
        ("pairs", PanelState("x", threshold=-0.1), "threshold must be 0 or more"),
        ("pairs", PanelState("x", min_separation=0), "minimum separation"),
        ("pairs", PanelState("x", model=""), "no model given"),
        ("stats", PanelState("x"), "choose a property"),
        ("stats", PanelState("x", prop="contacts", min_arcs=0), "minimum arcs"),
    ],
)
def test_states_that_make_no_command_say_why(action, state, message):
    with pytest.raises(ValueError, match=message):
        command_options(action, state)


def test_a_clicked_cell_chooses_one_head():
    state = PanelState("x", layer=3, aggregate="mean").with_head(6, 2)
    assert (state.layer, state.head, state.aggregate, state.layer_head) == (6, 2, "none", "6-2")


def test_model_choices_name_every_known_model():
    choices = model_choices(missing="not here")
    assert [c.name for c in choices] == list(MODELS)
    for choice in choices:
        assert (", not here)" in choice.label) == (not choice.offline)
        assert MODELS[choice.name].source in choice.tooltip
