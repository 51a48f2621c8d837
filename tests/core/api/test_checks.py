"""The one argument checker: every front end's values mean the same and fail the same."""

from __future__ import annotations

import math

import pytest

import protattn
from protattn.api.checks import (
    check_min_separation,
    check_output,
    check_threshold,
    check_top_k,
)
from protattn.errors import ProtattnError


@pytest.mark.parametrize(
    "value, expected", [("0.1", 0.1), (1, 1.0), (0.001, 0.001), (" 0.5 ", 0.5)]
)
def test_thresholds_in_zero_to_one(value, expected):
    assert check_threshold(value) == expected


@pytest.mark.parametrize("value", [0, -1, "0", 2, "1.0001", "nan", math.inf, "abc", None, True])
def test_bad_thresholds_say_what_is_allowed(value):
    with pytest.raises(ProtattnError) as err:
        check_threshold(value)
    message = str(err.value)
    assert "threshold" in message and repr(value) in message
    assert "above 0 and at most 1" in message or "must be a number" in message


@pytest.mark.parametrize(
    "value, expected", [("20", 20), (1, 1), (5.0, 5), (None, None), ("off", None), ("", None)]
)
def test_top_k_is_at_least_one_or_off(value, expected):
    assert check_top_k(value) == expected


@pytest.mark.parametrize("value", [0, "0", -5, "-5", 2.5, "nan", "many", True])
def test_bad_top_k_is_refused_everywhere_not_off(value):
    with pytest.raises(ProtattnError) as err:
        check_top_k(value)
    assert "top_k" in str(err.value) and repr(value) in str(err.value)


def test_min_separation_from_zero_and_below_the_longest_chain():
    assert check_min_separation("0") == 0
    assert check_min_separation(6, [99, 120]) == 6
    assert check_min_separation(119, [99, 120]) == 119
    with pytest.raises(ProtattnError, match="longest chain has 120 residues"):
        check_min_separation(120, [99, 120])
    for bad in (-1, 1.5, "six", math.nan):
        with pytest.raises(ProtattnError, match="whole number of residues|must be a number"):
            check_min_separation(bad)


def test_outputs_checked_before_any_work(tmp_path):
    assert check_output(tmp_path / "x.png", (".png", ".svg")) == tmp_path / "x.png"
    assert check_output(tmp_path / "X.SVG", (".png", ".svg")).name == "X.SVG"
    with pytest.raises(ProtattnError, match=r"cannot write a \.jpg; give a path ending in"):
        check_output(tmp_path / "x.jpg", (".png", ".svg"), "--heatmap")
    with pytest.raises(ProtattnError, match="file without an extension"):
        check_output(tmp_path / "x", (".png",))
    with pytest.raises(ProtattnError, match="does not exist"):
        check_output(tmp_path / "no" / "such" / "x.csv")
    (tmp_path / "file").write_text("")
    with pytest.raises(ProtattnError, match="does not exist"):
        check_output(tmp_path / "file" / "x.csv")  # a file where the folder should be
    with pytest.raises(ProtattnError, match="is a folder"):
        check_output(tmp_path)


def test_compute_pairs_checks_everything_before_a_model_loads(monkeypatch, shared_dir):
    chains = protattn.read_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")
    chains = chains.chains

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded for a bad argument")

    monkeypatch.setattr(protattn.api.pairs, "get_model", refuse)
    longest = max(len(c) for c in chains)
    for bad, says in [
        ({"threshold": -1}, "threshold"),
        ({"threshold": 2}, "threshold"),
        ({"top_k": 0}, "top_k"),
        ({"top_k": -5}, "top_k"),
        ({"min_separation": 1000}, f"longest chain has {longest} residues"),
        ({"min_separation": -1}, "min_separation"),
        ({"symmetrize": "min"}, "symmetrize"),
    ]:
        with pytest.raises(ProtattnError, match=says):
            protattn.compute_pairs(chains, "6-3", **bad)
