"""attention_aminoacids on 1VFB's chains with real AntiBERTy weights: the core's counts,
summary and table, the figure, and bad input refused in one line with nothing changed."""

from __future__ import annotations

import numpy as np
import pytest
from pymol import CmdException

import protattn
from protattn.api.aminoacids import amino_acid_profiles
from protattn_pymol import attention_aminoacids, attention_color


@pytest.fixture(scope="module")
def vfb_path(shared_dir) -> str:
    return str(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif")


@pytest.fixture(scope="module")
def vfb_chains(vfb_path, antiberty):
    """1VFB's chains read by the core's file reader, independently of PyMOL."""
    chains = protattn.read_structure(vfb_path).chains
    assert all(c.observed.all() for c in chains)  # PyMOL's sequences are the same
    return chains


@pytest.fixture
def vfb(pm, vfb_path):
    """1VFB alone in a fresh PyMOL (1hpv removed)."""
    pm.delete("1hpv")
    pm.load(vfb_path, "1vfb")
    return pm


def _session(pm) -> tuple:
    found: list = []
    pm.iterate(
        "all",
        "found.append((model, chain, resi, name, round(b, 4), color))",
        space={"found": found},
    )
    return tuple(pm.get_names("all")), found


def test_counts_every_chain_as_the_core_and_writes_the_figure(vfb, vfb_chains, tmp_path, capsys):
    from PIL import Image

    expected = amino_acid_profiles([(c.id, c.sequence) for c in vfb_chains], "antiberty")
    png = tmp_path / "aminoacids.png"

    result = attention_aminoacids(png=str(png), top=3, _self=vfb)

    np.testing.assert_array_equal(result.counts.arcs, expected.counts.arcs)
    np.testing.assert_array_equal(result.counts.targets, expected.counts.targets)
    out = capsys.readouterr().out
    assert f" attention_aminoacids: {expected.summary()}\n" in out
    assert "3 chains" in expected.summary()
    for line in expected.table(3)[1:]:  # the heads closest to BLOSUM62, each amino acid's
        assert f" {line}\n" in out
    assert f"figure written to {png}" in out
    image = np.asarray(Image.open(png).convert("RGB"))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50


def test_counts_the_chains_of_the_selection_and_quiet_prints_the_summary(vfb, vfb_chains, capsys):
    lysozyme = [c for c in vfb_chains if c.id == "C"]
    expected = amino_acid_profiles(
        [("C", lysozyme[0].sequence)], "antiberty", threshold=0.4, min_arcs=10
    )

    vfb.do("attention_aminoacids 1vfb and chain C, threshold=0.4, min_arcs=10, quiet=1")

    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "attention_aminoacids:" in line] == [
        f" attention_aminoacids: {expected.summary()}"
    ]
    assert "1 chain, θ = 0.4" in expected.summary() and "r = n/a" not in expected.summary()
    assert not any(line.startswith("  ") for line in out)  # no table


REFUSALS = [
    ({"threshold": "0"}, "above 0 and at most 1"),
    ({"threshold": "1.5"}, "above 0 and at most 1"),
    ({"threshold": "0.01"}, "below 0.05"),
    ({"threshold": "lots"}, "must be a number"),
    ({"png": "aminoacids.jpg"}, "cannot write a .jpg"),
    ({"png": "/no/such/folder/aminoacids.png"}, "does not exist"),
    ({"selection": "none"}, "matches no atoms"),
    ({"selection": "no_such_object"}, "invalid selection"),
    ({"selection": "1vfb and resn HOH"}, "no protein"),
    ({"top": "0"}, "top must be 1 or more"),
    ({"quiet": "maybe"}, "quiet must be"),
]


@pytest.mark.parametrize(("change", "says"), REFUSALS, ids=[s for _, s in REFUSALS])
def test_bad_input_is_refused_in_one_line_and_changes_nothing(vfb, tmp_path, change, says):
    attention_color("1vfb", "6-3", key=1, _self=vfb)  # something drawn that must stay
    before = _session(vfb)
    arguments = {"png": str(tmp_path / "refused.png"), **change}

    with pytest.raises(CmdException) as caught:
        attention_aminoacids(**arguments, _self=vfb)

    message = str(caught.value).strip()
    assert says in message and "\n" not in message, message
    assert _session(vfb) == before
    assert not list(tmp_path.iterdir())  # no figure


def test_typed_at_the_prompt_a_bad_png_is_one_line_without_traceback(vfb, capsys):
    before = _session(vfb)
    capsys.readouterr()

    vfb.do("attention_aminoacids 1vfb, png=aminoacids.txt")

    out = capsys.readouterr().out
    errors = [x for x in out.splitlines() if "Error" in x]
    assert len(errors) == 1 and "png 'aminoacids.txt'" in errors[0], out
    assert "Traceback" not in out
    assert _session(vfb) == before
    assert vfb.keyword["attention_aminoacids"][0] is attention_aminoacids
    assert "USAGE" in attention_aminoacids.__doc__
