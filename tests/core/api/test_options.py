"""Arguments the front ends take as text: site kinds, head lists, run options."""

from __future__ import annotations

import pytest

from protattn.api.options import parse_heads, parse_site_kinds, run_options


def test_site_kinds_are_split_on_commas_and_blanks_dropped():
    assert parse_site_kinds("ligand") == ["ligand"]
    assert parse_site_kinds(" ligand, ion ,,glycan ") == ["ligand", "ion", "glycan"]
    assert parse_site_kinds(["ligand,ion", "additive"]) == ["ligand", "ion", "additive"]
    assert parse_site_kinds("") == []


@pytest.mark.parametrize(
    ("text", "heads"),
    [
        ("all", None),
        ("", None),
        (None, None),
        ("  all ", None),
        ("6-3", ["6-3"]),
        ("6-3+7-1", ["6-3", "7-1"]),
        ("6-3, 7-1,", ["6-3", "7-1"]),
    ],
)
def test_head_lists(text, heads):
    assert parse_heads(text) == heads


def test_run_options_map_zero_and_negative_to_the_default():
    assert run_options() == {"window": None, "stride": None, "concatenate": False}
    assert run_options(0, -1, 0) == {"window": None, "stride": None, "concatenate": False}
    assert run_options(200, 100, 1) == {"window": 200, "stride": 100, "concatenate": True}
    assert run_options(None, None, True)["concatenate"] is True
