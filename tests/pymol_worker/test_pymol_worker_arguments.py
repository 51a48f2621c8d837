"""PyMOL without torch: bad numbers and outputs are refused before a worker starts, and a run
in the worker that finds nothing leaves the earlier drawing as it was."""

from __future__ import annotations

import pytest
from pymol import CmdException

from protattn.compute import backend
from protattn_pymol import attention_pairs, attention_stats
from protattn_pymol.draw import pairs_name

HEAD = "6-3"


def _cgo(pm, name: str) -> list:
    """The CGO object's entry in PyMOL's session: its data, as PyMOL keeps it."""
    return [entry for entry in pm.get_session(name)["names"] if entry and entry[0] == name]


def _no_worker_started() -> bool:
    client = backend.current_worker()
    return client is None or client.pid is None


@pytest.mark.parametrize(
    ("command", "option", "message"),
    [
        (attention_pairs, {"top_k": 0}, "top_k must be a whole number of at least 1"),
        (attention_pairs, {"threshold": "nan"}, "threshold must be above 0 and at most 1"),
        (attention_pairs, {"min_separation": 99}, "min_separation 99 leaves no pair"),
        (attention_pairs, {"state": 2}, "1hpv has 1 state: there is no state 2"),
        (attention_stats, {"png": "x.jpg"}, r"\.png, \.svg, \.pdf"),
        (attention_stats, {"threshold": 2}, "threshold must be above 0 and at most 1"),
    ],
)
def test_bad_arguments_are_refused_before_the_worker_starts(pm, command, option, message):
    args = ("1hpv", HEAD) if command is attention_pairs else ("1hpv", "contact")
    with pytest.raises(CmdException, match=message):
        command(*args, **option)
    assert _no_worker_started()
    assert not [n for n in pm.get_names("all") if n.startswith("attention")]


def test_nothing_found_in_the_worker_keeps_the_drawing(pm, capsys):
    assert len(attention_pairs("1hpv", HEAD, top_k=3)) == 6
    before = _cgo(pm, pairs_name("1hpv"))
    assert before
    capsys.readouterr()

    assert attention_pairs("1hpv", HEAD, threshold=0.99) == []

    out = capsys.readouterr().out
    assert "nothing found" in out and "attention_1hpv_pairs from before stay as they were" in out
    assert _cgo(pm, pairs_name("1hpv")) == before
