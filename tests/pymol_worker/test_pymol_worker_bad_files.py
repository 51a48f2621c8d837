"""PyMOL without torch on bad files: an object PyMOL read nothing into and one without a
protein are refused on the host, before a worker starts; a chain of unknown residues runs
in the worker with the warning naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pymol import CmdException

from protattn.compute import backend
from protattn_pymol import attention_color, attention_pairs, attention_stats

HEAD = "6-3"


def _no_worker_started() -> bool:
    client = backend.current_worker()
    return client is None or client.pid is None


def _session(pm) -> tuple:
    """The objects, and each atom of 1hpv with its b-factor and colour."""
    atoms: list = []
    pm.iterate("1hpv", "atoms.append((chain, resi, name, b, color))", space={"atoms": atoms})
    return tuple(pm.get_names("all")), atoms


@pytest.fixture
def empty(pm, tmp_path) -> str:
    """An empty .pdb file loaded as ``bad``: PyMOL makes an object without atoms."""
    path = tmp_path / "empty.pdb"
    path.write_text("")
    pm.load(str(path), "bad")
    assert pm.count_atoms("bad") == 0
    return "bad"


@pytest.fixture
def dna(pm, tmp_path) -> str:
    """A B-DNA double helix PyMOL built, saved as a PDB file and loaded as ``dna``."""
    pm.fnab("ACGTACGTAC", name="built", mode="DNA", form="B", dbl_helix=1)
    path = str(tmp_path / "dna.pdb")
    pm.save(path, "built")
    pm.delete("built")
    pm.load(path, "dna")
    return "dna"


@pytest.mark.parametrize(
    ("obj", "says"),
    [
        ("empty", "matches no atoms: object bad holds none, as PyMOL read no atom from its file"),
        ("dna", "DA x5, DC x5, DG x5, DT x5: nucleic acid (DNA, RNA)"),
    ],
)
def test_objects_without_a_protein_are_refused_before_the_worker_starts(
    pm, request, tmp_path, obj, says
):
    name = request.getfixturevalue(obj)
    before = _session(pm)
    for command in (
        lambda: attention_pairs(name, HEAD),
        lambda: attention_color(name, HEAD),
        lambda: attention_stats(name, "contact", png=str(tmp_path / "x.png")),
    ):
        with pytest.raises(CmdException, match=re.escape(says)) as caught:
            command()
        assert f"'{name}'" in str(caught.value)
        assert _session(pm) == before
    assert _no_worker_started()


def test_a_chain_of_unknown_residues_runs_in_the_worker_with_a_warning(pm, tmp_path, capsys):
    source = Path(pm.exp_path("$PYMOL_DATA/tut/1hpv.pdb"))
    lines = [
        line[:17] + "UNK" + line[20:]
        for line in source.read_text().splitlines()
        if line.startswith("ATOM") and line[21] == "A"
    ]
    path = tmp_path / "unknown.pdb"
    path.write_text("\n".join(lines) + "\nEND\n")
    pm.load(str(path), "unknown")

    result = attention_color("unknown", HEAD)["unknown"]

    out = capsys.readouterr().out
    assert "language models run a worker in" in out and not _no_worker_started()
    assert "chain A has only unknown residues (X): the model sees no sequence" in out
    assert len(result.scene.residues) == 99
