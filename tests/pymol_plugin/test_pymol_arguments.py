"""Every number means one thing, as the core's checks say; bad ones change nothing in PyMOL.

Each bad value is refused with one ``CmdException`` line naming the option (the
core's message), before a model runs or anything is drawn: the drawing made first
stays exactly as it was, and b-factors are untouched.
"""

from __future__ import annotations

import pytest
from pymol import CmdException, stored
from readback import cgo_cylinders

from protattn_pymol import analysis as analysis_module
from protattn_pymol import (
    attention_color,
    attention_contacts,
    attention_heads,
    attention_pairs,
    attention_stats,
    draw,
)

HEAD = "6-3"
BAD_THRESHOLD = "must be above 0 and at most 1"
BAD_TOP_K = "top_k must be a whole number of at least 1"


def _session(pm) -> tuple:
    """What a refused command must not change: protattn's objects, their CGO, b-factors."""
    stored.values = []
    pm.iterate("1hpv and name CA", "stored.values.append((chain, resv, b, color))")
    names = sorted(n for n in pm.get_names("all") if n.startswith("attention_"))
    pairs = draw.pairs_name("1hpv")
    return names, cgo_cylinders(pm, pairs) if pairs in names else [], list(stored.values)


@pytest.fixture
def drawn(pm):
    """1hpv with 6-3's four strongest pairs per chain drawn and its key shown."""
    attention_pairs("1hpv", HEAD, top_k=4, key=1, _self=pm)
    before = _session(pm)
    assert len(before[1]) == 8 and draw.key_name("1hpv") in before[0]
    return pm, before


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"threshold": -1}, f"threshold {BAD_THRESHOLD}"),
        ({"threshold": 0}, f"threshold {BAD_THRESHOLD}"),
        ({"threshold": "2"}, f"threshold {BAD_THRESHOLD}"),
        ({"threshold": "nan"}, f"threshold {BAD_THRESHOLD}"),
        ({"threshold": "inf"}, f"threshold {BAD_THRESHOLD}"),
        ({"threshold": "abc"}, "threshold must be a number .*not 'abc'"),
        ({"top_k": 0}, BAD_TOP_K),
        ({"top_k": "0"}, BAD_TOP_K),
        ({"top_k": -5}, BAD_TOP_K),
        ({"top_k": "2.5"}, BAD_TOP_K),
        ({"top_k": "lots"}, "top_k must be a number .*not 'lots'"),
        ({"min_separation": -1}, "min_separation must be a whole number"),
        ({"min_separation": "1.5"}, "min_separation must be a whole number"),
        ({"min_separation": "abc"}, "min_separation must be a number"),
        ({"min_separation": 99}, "min_separation 99 leaves no pair: the longest chain has 99"),
        ({"min_separation": 1000}, "min_separation 1000 leaves no pair"),
        ({"window": "2.5"}, "window must be a whole number, not '2.5'"),
        ({"key": "yes"}, "key must be a whole number"),
        ({"quiet": "loud"}, "quiet must be a whole number"),
        ({"state": "first"}, "state must be a whole number, not 'first'"),
        ({"state": -2}, "state must be a state number from 1"),
        ({"state": 2}, "1hpv has 1 state: there is no state 2"),
    ],
)
def test_a_bad_number_for_pairs_changes_nothing(drawn, option, message):
    pm, before = drawn
    with pytest.raises(CmdException, match=message):
        attention_pairs("1hpv", HEAD, _self=pm, **option)
    assert _session(pm) == before


@pytest.mark.parametrize("off", [None, "off", "", "none"])
def test_top_k_off_is_the_default_the_threshold(pm, off):
    expected = attention_pairs("1hpv", HEAD, threshold=0.2, _self=pm)
    assert expected and min(p.weight for p in expected) > 0.2
    again = attention_pairs("1hpv", HEAD, threshold=0.2, top_k=off, _self=pm)
    assert [(p.residue_i, p.residue_j) for p in again] == [
        (p.residue_i, p.residue_j) for p in expected
    ]


def test_the_defaults_are_documented_as_they_are():
    doc = attention_pairs.__doc__
    assert "{default: off}" in doc and "above 0 and at most 1" in doc
    for command in (
        attention_pairs,
        attention_color,
        attention_heads,
        attention_stats,
        attention_contacts,
    ):
        text = command.__doc__
        assert all(part in text for part in ("DESCRIPTION", "USAGE", "ARGUMENTS", "EXAMPLE"))
        assert "state = int" in text and "[, state" in text


@pytest.mark.parametrize(
    ("command", "option", "message"),
    [
        (attention_color, {"state": 3}, "1hpv has 1 state: there is no state 3"),
        (attention_color, {"window": "wide"}, "window must be a whole number"),
        (attention_color, {"key": "x"}, "key must be a whole number"),
        (attention_contacts, {"state": "x"}, "state must be a whole number"),
        (attention_heads, {"threshold": 2}, f"threshold {BAD_THRESHOLD}"),
        (attention_heads, {"threshold": 0}, f"threshold {BAD_THRESHOLD}"),
        (attention_heads, {"draw_top": "yes"}, "draw_top must be a whole number"),
        (attention_heads, {"min_arcs": "many"}, "min_arcs must be a whole number"),
        (attention_stats, {"threshold": 2}, f"threshold {BAD_THRESHOLD}"),
        (attention_stats, {"threshold": "nan"}, f"threshold {BAD_THRESHOLD}"),
        (attention_stats, {"png": "x.jpg"}, r"png 'x.jpg'.*\.png, \.svg, \.pdf"),
        (attention_stats, {"png": "/no/such/dir/x.png"}, "'/no/such/dir' does not exist"),
        (attention_stats, {"png": "heatmap"}, "file without an extension"),
    ],
)
def test_bad_arguments_of_the_other_commands_are_refused_before_any_work(
    drawn, monkeypatch, command, option, message
):
    pm, before = drawn

    def no_work(*args, **kwargs):
        raise AssertionError("the model ran before the arguments were checked")

    for name in ("property_report", "predict_chains_contacts"):
        monkeypatch.setattr(analysis_module, name, no_work)
    monkeypatch.setattr(analysis_module.head_requests, "top_heads", no_work)
    args = (HEAD,) if command is attention_color else ()
    with pytest.raises(CmdException, match=message):
        command("1hpv", *args, _self=pm, **option)
    assert _session(pm) == before


def test_a_png_is_checked_before_the_model_runs(pm, monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(analysis_module, "property_report", lambda *a, **k: ran.append(1) or 1 / 0)
    for png in ("x.jpg", str(tmp_path / "missing" / "x.png"), str(tmp_path)):
        with pytest.raises(CmdException, match="png"):
            attention_stats("1hpv", "contact", png=png, _self=pm)
    assert not ran and list(tmp_path.iterdir()) == []


def test_typed_at_the_prompt_a_bad_value_is_one_line_naming_the_option(drawn, capsys):
    pm, before = drawn
    capsys.readouterr()
    lines = {
        "attention_pairs 1hpv, 6-3, threshold=abc": "threshold must be a number",
        "attention_pairs 1hpv, 6-3, top_k=lots": "top_k must be a number",
        "attention_pairs 1hpv, 6-3, top_k=0": BAD_TOP_K,
        "attention_pairs 1hpv, 6-3, min_separation=-3": "min_separation must be a whole",
        "attention_stats 1hpv, contact, png=x.jpg": "png 'x.jpg'",
        "attention_stats 1hpv, contact, threshold=2": f"threshold {BAD_THRESHOLD}",
    }
    for line, message in lines.items():
        pm.do(line)
        out = capsys.readouterr().out
        errors = [x for x in out.splitlines() if "Error" in x]
        assert len(errors) == 1 and message in errors[0], (line, out)
        assert "Traceback" not in out
    assert _session(pm) == before
