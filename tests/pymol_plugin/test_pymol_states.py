"""Objects of several states (NMR models): the commands say which state they use, state= picks.

``two`` is 1hpv's protein twice: state 1 as deposited, state 2 stretched 1.5 times
about its centre, so that its coordinates (and contacts) differ from state 1's.
"""

from __future__ import annotations

import numpy as np
import pytest
from pymol import CmdException
from readback import cgo_cylinders

from protattn_pymol import (
    attention_color,
    attention_contacts,
    attention_heads,
    attention_pairs,
    attention_stats,
    draw,
)
from protattn_pymol.adapter import chains_by_object

HEAD = "6-3"
NOTE = "two has 2 states: state {used} ({how}) is used; state=N chooses another (1-2)"


@pytest.fixture
def two(pm):
    """``two``: state 1 as 1hpv, state 2 stretched 1.5 times about the centre."""
    pm.create("two", "1hpv and polymer.protein", 1, 1)
    pm.create("two", "1hpv and polymer.protein", 1, 2)
    centre = np.asarray(pm.get_coords("two", state=1)).mean(axis=0)
    pm.alter_state(
        2,
        "two",
        "(x, y, z) = (c[0] + 1.5 * (x - c[0]), c[1] + 1.5 * (y - c[1]), c[2] + 1.5 * (z - c[2]))",
        space={"c": centre},
    )
    assert pm.count_states("two") == 2
    return pm


def _ca(pm, state: int) -> dict[tuple[str, int], np.ndarray]:
    found: dict = {}
    pm.iterate_state(
        state, "two and name CA", "found[(chain, int(resv))] = (x, y, z)", space={"found": found}
    )
    return {key: np.array(xyz) for key, xyz in found.items()}


def _ends(pm) -> list[np.ndarray]:
    return [np.array(c[0:3]) for c in cgo_cylinders(pm, draw.pairs_name("two"))]


def _drawn_on(pm, pairs, state: int) -> None:
    """The cylinders start at the CA atoms of ``pairs``' first residues in ``state``."""
    ca = _ca(pm, state)
    ends = _ends(pm)
    assert len(ends) == len(pairs) > 0
    for end, p in zip(ends, pairs, strict=True):
        np.testing.assert_allclose(end, ca[(p.residue_i.chain, p.residue_i.number)], atol=1e-3)


def test_the_current_state_is_used_and_said(two, capsys):
    pairs = attention_pairs("two", HEAD, top_k=3, _self=two)
    assert NOTE.format(used=1, how="the current one") in capsys.readouterr().out
    _drawn_on(two, pairs, 1)

    two.frame(2)  # the viewer shows state 2: the default follows it
    pairs = attention_pairs("two", HEAD, top_k=3, _self=two)
    assert NOTE.format(used=2, how="the current one") in capsys.readouterr().out
    _drawn_on(two, pairs, 2)


def test_state_chooses_the_coordinates(two, capsys):
    pairs = attention_pairs("two", HEAD, top_k=3, state=2, _self=two)
    assert NOTE.format(used=2, how="state=2") in capsys.readouterr().out
    _drawn_on(two, pairs, 2)
    pairs = attention_pairs("two", HEAD, top_k=3, state="1", _self=two)
    _drawn_on(two, pairs, 1)
    (chains,) = chains_by_object("two", 2, _self=two).values()
    assert np.allclose(
        chains[0].backbone[0, 1], _ca(two, 2)[(chains[0].id, chains[0].residue_ids[0].number)]
    )


def test_a_state_that_is_not_there_is_refused(two):
    for state in (3, "5"):
        with pytest.raises(CmdException, match="two has 2 states: there is no state"):
            attention_pairs("two", HEAD, state=state, _self=two)
    assert not [n for n in two.get_names("all") if n.startswith("attention_")]


def test_contacts_are_judged_in_the_state_chosen(two, capsys):
    first = attention_contacts("two and chain A", _self=two)[("two", "A")]
    stretched = attention_contacts("two and chain A", state=2, _self=two)
    out = capsys.readouterr().out
    assert NOTE.format(used=2, how="state=2") in out
    stretched = stretched[("two", "A")]
    # the same predictions (attention reads the sequence), fewer true in the stretched state
    assert [(p.i, p.j) for p in first.pairs] == [(p.i, p.j) for p in stretched.pairs]
    assert sum(bool(p.contact) for p in stretched.pairs) < sum(bool(p.contact) for p in first.pairs)


def test_color_heads_and_stats_say_the_state(two, capsys, tmp_path):
    attention_color("two", "8-mean", state=2, _self=two)
    assert NOTE.format(used=2, how="state=2").replace("two has", "attention_color: two has") in (
        capsys.readouterr().out
    )
    stats = {
        state: attention_stats(
            "two",
            "contact",
            png=str(tmp_path / f"s{state}.png"),
            min_arcs=20,
            state=state,
            _self=two,
        )["contact"]
        for state in (1, 2)
    }
    assert NOTE.format(used=2, how="state=2") in capsys.readouterr().out
    assert stats[2].hits.sum() < stats[1].hits.sum()  # fewer contacts once stretched
    attention_heads("two", "contact", min_arcs=20, draw_top=0, state=2, _self=two)
    assert "attention_heads: " + NOTE.format(used=2, how="state=2") in capsys.readouterr().out


def test_an_object_of_one_state_says_nothing_of_states(pm, capsys):
    attention_pairs("1hpv", HEAD, top_k=2, _self=pm)
    attention_pairs("1hpv", HEAD, top_k=2, state=1, _self=pm)
    assert "states" not in capsys.readouterr().out
