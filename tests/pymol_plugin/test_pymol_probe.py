"""Probing by layer in PyMOL: attention_probe over the chains of four antibody structures
loaded in PyMOL, with real AntiBERTy weights, against the core's probe_structures on the
same chains read from the files.

2IGF is left out: its peptide (chain P) has residues without coordinates, which PyMOL
(keeping no SEQRES) does not know, so its chains would differ from the file's.
"""

from __future__ import annotations

import pytest
from pymol import CmdException

import protattn
from protattn.api.probe import probe_structures
from protattn_pymol import attention_probe

#: Loaded in this order; the plugin takes PyMOL's objects by name, as the core is given them.
FILES = ["1IGY.pdb", "1NCB.cif", "1VFB.cif", "3HFM.cif"]
TASKS = ("secondary_structure", "contact")
SEED = 3


@pytest.fixture(scope="module")
def paths(shared_dir) -> list[str]:
    return [str(shared_dir / "data" / "structures" / "antibody" / name) for name in FILES]


@pytest.fixture(scope="module")
def expected(paths, antiberty):
    """The core's probes on the files' chains (each observed whole, as PyMOL has them)."""
    structures = [protattn.read_structure(p) for p in paths]
    assert all(c.observed.all() for s in structures for c in s.chains)
    return probe_structures(structures, "antiberty", TASKS, held_out=0.25, seed=SEED)


@pytest.fixture
def loaded(pm, paths):
    """The four structures next to 1hpv, in a fresh PyMOL."""
    for name, path in zip(FILES, paths):
        pm.load(path, name[:4].lower())
    return pm


def test_probe_prints_the_cores_table_and_writes_the_figure(loaded, expected, tmp_path, capsys):
    png = tmp_path / "probe.png"
    capsys.readouterr()

    result = attention_probe(
        "not 1hpv",
        "secondary_structure+contact",
        held_out=0.25,
        seed=SEED,
        png=str(png),
        _self=loaded,
    )

    assert result.table() == expected.table()
    rows = result.to_rows()
    assert len(rows) == len(expected.to_rows()) == 9 + 8  # layers 0-8, contacts from 1
    for row, want in zip(rows, expected.to_rows(), strict=True):
        assert row == pytest.approx(want, nan_ok=True)
    assert [c.lower() for c in result.test_chains] == [c.lower() for c in expected.test_chains]
    assert len(result.train_chains) + len(result.test_chains) == 13
    out = capsys.readouterr().out
    lines = expected.table()
    assert f" attention_probe: {lines[0]}\n" in out
    for line in lines[1:]:
        assert f" {line}\n" in out
    assert "attention_probe: 13 of 13 chains" in out  # progress, as attention_stats prints it
    assert f"figure written to {png}" in out
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"


def test_probe_is_registered_with_completion_and_documented(loaded):
    import pymol

    assert loaded.keyword["attention_probe"][0] is attention_probe
    assert pymol.cmd.auto_arg[0]["attention_probe"] == pymol.cmd.auto_arg[0]["zoom"]
    for part in ("DESCRIPTION", "USAGE", "ARGUMENTS", "EXAMPLE"):
        assert part in attention_probe.__doc__


PROBE_REFUSALS = [
    ({"selection": "1vfb and chain B"}, "needs at least 2 protein chains of different sequence"),
    ({"selection": "1igy and chain A+C"}, "holds 2 chains (1igy A, 1igy C) of one sequence"),
    ({"selection": "none"}, "matches no atoms"),
    ({"tasks": "folding"}, "unknown task 'folding'"),
    ({"held_out": "1"}, "held_out is the share of chains"),
    ({"held_out": "x"}, "held_out must be a number"),
    ({"seed": "1.5"}, "seed must be a whole number"),
    ({"png": "/no/such/folder/probe.png"}, "/no/such/folder"),
    ({"png": "probe.txt"}, ".txt"),
    ({"quiet": "maybe"}, "quiet must be"),
]


@pytest.mark.parametrize(("change", "says"), PROBE_REFUSALS, ids=[s for _, s in PROBE_REFUSALS])
def test_probe_refuses_bad_input_and_too_few_chains_in_one_line(loaded, change, says, tmp_path):
    with pytest.raises(CmdException) as caught:
        attention_probe(**{"selection": "all", **change}, _self=loaded)

    message = str(caught.value).strip()
    assert says in message and "\n" not in message, message


def test_probe_typed_at_the_prompt_refuses_one_chain_without_traceback(loaded, capsys):
    capsys.readouterr()

    loaded.do("attention_probe 1vfb and chain B")

    out = capsys.readouterr().out
    errors = [x for x in out.splitlines() if "Error" in x]
    assert len(errors) == 1 and "needs at least 2 protein chains" in errors[0], out
    assert "Traceback" not in out
