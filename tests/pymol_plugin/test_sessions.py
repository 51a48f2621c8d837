"""What protattn draws survives ``save x.pse`` / ``load x.pse``, in this PyMOL and another one.

The drawings are ordinary PyMOL data (a CGO object in a group, b-factors, per-atom colours),
so a session keeps them. The original b-factors that ``attention_clear`` puts back are not in
the session: the plugin keeps them in memory, per PyMOL instance and object name. So:

- same PyMOL process, after ``reinitialize`` + ``load x.pse``: ``attention_clear`` removes the
  drawings and restores the original b-factors (the memory store outlived the reload);
- a new PyMOL process that loads ``x.pse``: ``attention_clear`` removes the drawings, but the
  b-factors stay the attention values (there is nothing to restore them from); reload the
  structure file to get the original b-factors back.

In both, residues keep the attention colours: ``attention_clear`` never recolours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymol import stored
from readback import cgo_cylinders

from protattn_pymol import attention_clear, attention_color, attention_pairs, draw

HEAD = "6-3"
PAIRS = draw.pairs_name("1hpv")
GROUP = draw.group_name("1hpv")
HERE = Path(__file__).resolve().parent


def _atoms(pm) -> list[tuple]:
    """Every atom of 1hpv: identity, b-factor, colour index and colour RGB."""
    stored.atoms = []
    pm.iterate("1hpv", "stored.atoms.append((chain, resi, name, alt, b, color))")
    return [(*a, tuple(pm.get_color_tuple(a[5]))) for a in stored.atoms]


def _objects(pm) -> list[tuple[str, str, str]]:
    """(name, type, group) of every object, in PyMOL's order."""
    rows = []
    for entry in pm.get_session()["names"]:
        if entry and entry[1] == 0:  # 0: object, 1: selection
            rows.append((entry[0], pm.get_type(entry[0]), entry[6]))
    return rows


@pytest.fixture
def drawn(pm, tmp_path):
    """1hpv with pairs and colours drawn, saved as a session; what was read back before."""
    original = _atoms(pm)
    attention_pairs("1hpv", HEAD, top_k=8, _self=pm)
    attention_color("1hpv", "8-mean", _self=pm)
    before = {"atoms": _atoms(pm), "objects": _objects(pm), "cylinders": cgo_cylinders(pm, PAIRS)}
    assert len(before["cylinders"]) == 16
    assert [a[4] for a in before["atoms"]] != [a[4] for a in original]
    pse = tmp_path / "attention.pse"
    pm.save(str(pse))
    assert pse.stat().st_size > 0
    return {"pse": pse, "original": original, "before": before}


def test_a_reloaded_session_holds_the_same_drawings(pm, drawn):
    before = drawn["before"]
    assert (PAIRS, "object:cgo", GROUP) in before["objects"]
    assert (GROUP, "object:group", "") in before["objects"]

    pm.reinitialize()
    assert pm.get_names("all") == []
    pm.load(str(drawn["pse"]))

    assert _objects(pm) == before["objects"]
    assert cgo_cylinders(pm, PAIRS) == before["cylinders"]  # ends, radii, colours: exact
    assert _atoms(pm) == before["atoms"]  # b-factors and colours


def test_clear_after_reload_in_the_same_process_restores_b_factors(pm, drawn):
    pm.reinitialize()
    pm.load(str(drawn["pse"]))

    attention_clear("1hpv", _self=pm)

    assert pm.get_names("all") == ["1hpv"]
    after = _atoms(pm)
    assert [a[:5] for a in after] == [a[:5] for a in drawn["original"]]
    # colours are not put back: they stay the attention colours of the session
    assert [a[5:] for a in after] == [a[5:] for a in drawn["before"]["atoms"]]


def test_rerunning_after_reload_replaces_the_saved_pairs(pm, drawn):
    pm.reinitialize()
    pm.load(str(drawn["pse"]))

    attention_pairs("1hpv", HEAD, top_k=3, _self=pm)

    assert sorted(o for o in _objects(pm) if o[0].startswith("attention_")) == [
        (GROUP, "object:group", ""),
        (PAIRS, "object:cgo", GROUP),
    ]
    assert len(cgo_cylinders(pm, PAIRS)) == 6


_OTHER_PYMOL = """
import json, sys
from pymol import cmd, stored
sys.path.insert(0, {here!r})
from readback import cgo_cylinders
from test_sessions import _atoms, _objects
import protattn_pymol

cmd.load({pse!r})
loaded = {{"atoms": _atoms(cmd), "objects": _objects(cmd),
           "cylinders": cgo_cylinders(cmd, {pairs!r})}}
protattn_pymol.register()
cmd.do("attention_clear 1hpv")
cleared = {{"atoms": _atoms(cmd), "names": cmd.get_names("all")}}
json.dump({{"loaded": loaded, "cleared": cleared}}, open({out!r}, "w"))
"""


def _tuples(rows):
    return [tuple(r) if not isinstance(r[-1], list) else (*r[:-1], tuple(r[-1])) for r in rows]


def test_another_pymol_loads_the_session_and_clear_keeps_attention_b_factors(drawn, tmp_path):
    out = tmp_path / "other.json"
    script = _OTHER_PYMOL.format(here=str(HERE), pse=str(drawn["pse"]), pairs=PAIRS, out=str(out))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    before = drawn["before"]

    loaded = result["loaded"]
    assert _tuples(loaded["objects"]) == before["objects"]
    assert _tuples(loaded["cylinders"]) == before["cylinders"]
    assert _tuples(loaded["atoms"]) == before["atoms"]

    # the drawings go; the original b-factors were only in the first process's memory
    cleared = result["cleared"]
    assert cleared["names"] == ["1hpv"]
    assert _tuples(cleared["atoms"]) == before["atoms"]
    assert [a[4] for a in cleared["atoms"]] != [a[4] for a in drawn["original"]]
