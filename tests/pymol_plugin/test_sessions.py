"""What protattn draws survives ``save x.pse`` / ``load x.pse``, in this PyMOL and another one.

The drawings are ordinary PyMOL data (a CGO object in a group, b-factors, per-atom colours),
so a session keeps them. The original b-factors that ``attention_clear`` puts back are
protattn's own: the plugin keeps them in memory and writes them into the session under the
key ``protattn`` (plain lists, so the file opens in a PyMOL without protattn too). So in the
same process after ``reinitialize`` + ``load x.pse``, and in a new PyMOL process that loads
``x.pse``, ``attention_clear`` removes the drawings and restores the original b-factors.

A damaged or outdated ``protattn`` entry restores what it can, prints what it dropped, and
never stops the session from opening; a truncated ``.pse`` is refused by PyMOL and leaves the
session and protattn's records as they were.

In all cases, residues keep the attention colours: ``attention_clear`` never recolours.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from pymol import stored
from readback import cgo_cylinders

from protattn_pymol import attention_clear, attention_color, attention_pairs, draw, sessions

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

protattn_pymol.register()
cmd.load({pse!r})
loaded = {{"atoms": _atoms(cmd), "objects": _objects(cmd),
           "cylinders": cgo_cylinders(cmd, {pairs!r})}}
cmd.do("attention_clear 1hpv")
cleared = {{"atoms": _atoms(cmd), "names": cmd.get_names("all")}}
json.dump({{"loaded": loaded, "cleared": cleared}}, open({out!r}, "w"))
"""


def _tuples(rows):
    return [tuple(r) if not isinstance(r[-1], list) else (*r[:-1], tuple(r[-1])) for r in rows]


def test_another_pymol_loads_the_session_and_clear_restores_b_factors(drawn, tmp_path):
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

    # the drawings go, and the session's record gives the original b-factors back
    cleared = _tuples(result["cleared"]["atoms"])
    assert result["cleared"]["names"] == ["1hpv"]
    assert [a[:5] for a in cleared] == [tuple(a[:5]) for a in drawn["original"]]
    assert [a[5:] for a in cleared] == [a[5:] for a in before["atoms"]]


def _forget(pm) -> None:
    """A fresh PyMOL as far as protattn knows: no b-factors kept in memory."""
    for obj in list(draw.saved_b_factors(_self=pm)):
        draw.keep_b_factors(obj, {}, _self=pm)


def _session_with(pm, pse: Path, damage) -> dict:
    """The session in ``pse`` with ``damage(entry)`` applied to protattn's entry."""
    session = pickle.loads(pse.read_bytes())
    damage(session)
    return session


def test_the_session_file_holds_protattn_records_as_plain_data(drawn):
    session = pickle.loads(drawn["pse"].read_bytes())
    entry = session[sessions.KEY]
    assert entry["version"] == sessions.VERSION
    rows = entry["b_factors"]["1hpv"]
    originals = {(a[0], a[1], a[2], a[3]): a[4] for a in drawn["original"]}
    written = {(a[0], a[1], a[2], a[3]): a[4] for a in drawn["before"]["atoms"]}
    assert len(rows) == len({(r[1], r[2], r[4], r[5]) for r in rows}) > 1000
    for segi, chain, resi, resv, name, alt, original, value in rows:
        assert type(resv) is int and str(resv) in resi and segi == "1HPV"
        assert original == pytest.approx(originals[(chain, resi, name, alt)], abs=1e-3)
        assert value == pytest.approx(written[(chain, resi, name, alt)], rel=1e-4)


def _reopen(pm, session: dict, capsys) -> str:
    pm.reinitialize()
    _forget(pm)
    capsys.readouterr()
    pm.set_session(session)
    return capsys.readouterr().out


def _b(pm) -> list[float]:
    return [a[4] for a in _atoms(pm)]


def test_a_session_saved_without_protattn_records_clears_to_its_own_b_factors(pm, drawn, capsys):
    out = _reopen(pm, _session_with(pm, drawn["pse"], lambda s: s.pop(sessions.KEY)), capsys)

    assert "protattn" not in out
    attention_clear("1hpv", _self=pm)
    assert _b(pm) == [a[4] for a in drawn["before"]["atoms"]]  # nothing to restore from


def _rows(session: dict) -> list:
    return session[sessions.KEY]["b_factors"]["1hpv"]


def _short(row: list) -> list:
    return row[:2]


def _nan(row: list) -> list:
    return [*row[:6], float("nan"), row[7]]


def _no_atom(row: list) -> list:
    return [*row[:4], "NOPE", *row[5:]]


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (_short, "1 row of 1hpv that are not (atom, original, written)"),
        (_nan, "1 row of 1hpv that are not (atom, original, written)"),
        (_no_atom, "1 row of 1hpv naming no atom of it"),
    ],
    ids=["short row", "nan", "no such atom"],
)
def test_a_damaged_row_is_dropped_and_the_rest_restored(pm, drawn, capsys, damage, said):
    session = pickle.loads(drawn["pse"].read_bytes())
    rows = _rows(session)
    lost = (rows[5][1], rows[5][2], rows[5][4], rows[5][5])  # chain, resi, name, alt
    rows[5] = damage(rows[5])

    out = _reopen(pm, session, capsys)

    assert said in out
    assert "restored the original b-factors of 1hpv (" in out and "reload the structure" in out
    assert _objects(pm) == drawn["before"]["objects"]
    attention_clear("1hpv", _self=pm)
    original = {tuple(a[:4]): a[4] for a in drawn["original"]}
    written = {tuple(a[:4]): a[4] for a in drawn["before"]["atoms"]}
    for atom in _atoms(pm):
        key = tuple(atom[:4])
        assert atom[4] == (written[key] if key == lost else original[key]), atom


def test_a_record_of_an_object_the_session_lacks_is_dropped(pm, drawn, capsys):
    session = pickle.loads(drawn["pse"].read_bytes())
    session[sessions.KEY]["b_factors"]["gone"] = _rows(session)[:3]

    out = _reopen(pm, session, capsys)

    assert "dropped 'gone' (the session holds no such object)" in out
    assert set(draw.saved_b_factors(_self=pm)) == {"1hpv"}
    attention_clear("1hpv", _self=pm)
    assert _b(pm) == [a[4] for a in drawn["original"]]


@pytest.mark.parametrize(
    "entry", [None, "junk", {"version": 99, "b_factors": {}}, {"version": 1, "b_factors": 3}]
)
def test_an_unreadable_record_is_dropped_whole_and_the_session_opens(pm, drawn, capsys, entry):
    session = _session_with(pm, drawn["pse"], lambda s: s.__setitem__(sessions.KEY, entry))

    out = _reopen(pm, session, capsys)

    if entry is None:
        assert "protattn" not in out
    else:
        assert "dropped them" in out and "reload the structure file" in out
    assert _atoms(pm) == drawn["before"]["atoms"]  # the session itself opened whole
    attention_clear("1hpv", _self=pm)
    assert _b(pm) == [a[4] for a in drawn["before"]["atoms"]]


def test_a_truncated_session_file_changes_nothing(pm, drawn, tmp_path):
    broken = tmp_path / "broken.pse"
    broken.write_bytes(drawn["pse"].read_bytes()[: drawn["pse"].stat().st_size // 2])
    records = {o: dict(v) for o, v in draw.saved_b_factors(_self=pm).items()}
    before = _atoms(pm), _objects(pm)

    with pytest.raises((struct.error, EOFError, IndexError, pickle.UnpicklingError)):  # PyMOL's own
        pm.load(str(broken))

    assert (_atoms(pm), _objects(pm)) == before
    assert draw.saved_b_factors(_self=pm) == records
    attention_clear("1hpv", _self=pm)
    assert _b(pm) == [a[4] for a in drawn["original"]]


def test_opening_a_session_forgets_records_of_objects_it_replaces(pm, drawn, capsys):
    fresh = pickle.loads(drawn["pse"].read_bytes())
    pm.reinitialize()
    pm.load(cmd_path := pm.exp_path("$PYMOL_DATA/tut/1hpv.pdb"), "1hpv")
    assert "1hpv" in draw.saved_b_factors(_self=pm)  # the record of the object drawn before
    plain = pm.get_session()  # 1hpv as read from its file: that record no longer holds
    assert sessions.KEY not in plain
    pm.set_session(fresh)
    assert "1hpv" in draw.saved_b_factors(_self=pm)

    pm.set_session(plain)  # the same name, another object: the old record must not apply

    assert "1hpv" not in draw.saved_b_factors(_self=pm)
    assert cmd_path


_PLAIN_PYMOL = """
import json, sys
from pymol import cmd, stored
cmd.load({pse!r})
stored.b = []
cmd.iterate("1hpv", "stored.b.append(b)")
json.dump({{"names": cmd.get_names("all"), "b": stored.b}}, open({out!r}, "w"))
print("protattn" in sys.modules)
"""


def test_a_pymol_without_protattn_opens_the_session(drawn, tmp_path):
    out = tmp_path / "plain.json"
    script = _PLAIN_PYMOL.format(pse=str(drawn["pse"]), out=str(out))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "False"  # protattn was never imported
    result = json.loads(out.read_text())
    assert result["names"] == [o[0] for o in drawn["before"]["objects"]]
    assert result["b"] == [a[4] for a in drawn["before"]["atoms"]]
