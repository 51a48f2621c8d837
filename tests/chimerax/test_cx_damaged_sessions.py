"""Session files (.cxs) with protattn's drawings: damaged ones, and good ones opened in a
ChimeraX that did not draw them.

protattn keeps its drawings as ChimeraX data: pseudobond groups whose pseudobonds carry
the registered float ``attention_weight``, registered residue attributes, ChimeraX's
colour key and 2D labels named ``protattn_<kind>_title`` / ``_scale``. A damaged file is
ChimeraX's to read or refuse: its ``open`` raises (the compressed stream is cut or
corrupt; the session is as it was), or fails while restoring and resets the session
(logged as a bug), or reads what the bytes say. Whatever it holds then, protattn's
commands give a result or one ``UserError``, and work on a structure opened afterwards.

A good file opened in a fresh ChimeraX (another process) has protattn's drawings but not
this process's record of them: ``attention clear`` still removes every group, attribute
value and key protattn drew, and nothing of the user's own (an ``hbonds`` group in the
structure, a ``distance``, an attribute set with ``setattr``, a 2D label).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cxtesting import HPX, cxrun, log_of, of_kind, open_structure, session_inventory

HEAD = "6-3"
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"
PROTATTN_LABELS = [
    "protattn_color_scale",
    "protattn_color_title",
    "protattn_pairs_scale",
    "protattn_pairs_title",
]
#: What the user made themselves in the saved session (none of it is protattn's).
USERS_OWN = (
    "hbonds #1 name myhb",
    "distance #1/A:10@CA #1/A:50@CA",
    "setattr #1/A:1-5 residues mine 2.5 create true",
    "2dlabels create mynote text 'my note' xpos 0.4 ypos 0.5",
)


@pytest.fixture(scope="module")
def with_text(session):
    """Qt under ChimeraX's name (shared/chimerax/qtshim.py): saving a session renders its
    thumbnail, and keys and 2D labels need Qt to draw their text."""
    if importlib.util.find_spec("PyQt6") is None:
        reason = "PyQt6 is not installed; set up the venv with chimerax_bundle/setup-test-env.sh"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from qtshim import install_qt_shim

    install_qt_shim()
    session.main_view.resize(400, 300)


@pytest.fixture
def saved(cx, with_text, tmp_path) -> Path:
    """A session file of 1HPX with protattn's pairs (two groups), colours (two attributes)
    and both keys, and the user's own group, distance, attribute and 2D label."""
    open_structure(cx, HPX)
    for command in (
        f"attention pairs #1 layerHead {HEAD} key true",
        f"attention pairs #1 layerHead {HEAD} topK 5 name top5",
        f"attention color #1 layerHead {HEAD} key true",
        "attention color #1/B layerHead 8-mean attribute attention_8_mean",
        *USERS_OWN,
    ):
        cxrun(cx, command)
    path = tmp_path / "drawn.cxs"
    cxrun(cx, f"save {path}")
    return path


def _protattn_gone(inventory: dict) -> bool:
    """No attention group, attention value, protattn label or colour key is left."""
    groups = [g for s in inventory["structures"].values() for g in s]
    return (
        not {"attention pairs", "top5"} & set(groups)
        and not inventory["attributes"].get("attention")
        and not inventory["attributes"].get("attention_8_mean")
        and not set(PROTATTN_LABELS) & set(inventory["labels"])
        and not inventory["color key"]
    )


def _removed(inventory: dict) -> str:
    """What ``attention clear`` says it removed from the saved session."""
    (groups,) = inventory["structures"].values()
    pbonds = groups["attention pairs"] + groups["top5"]
    return (
        f"removed {pbonds} attention pseudobonds, the attention values of "
        f"{inventory['attributes']['attention']} residues and 2 keys"
    )


def _users_own_kept(inventory: dict) -> bool:
    (groups,) = inventory["structures"].values()
    return (
        groups.get("myhb", 0) > 0
        and inventory["global groups"].get("distances") == 1
        and inventory["attributes"].get("mine") == 5
        and "mynote" in inventory["labels"]
    )


# ------------------------------------------------------------------- damaged session files


def _flipped(data: bytes, at: float = 0.5, width: int = 4096) -> bytes:
    start, end = int(len(data) * at), int(len(data) * at) + width
    return data[:start] + bytes(b ^ 0xFF for b in data[start:end]) + data[end:]


def _cut_inside(data: bytes) -> bytes:
    """A whole compressed stream of half a session: ChimeraX starts restoring, then fails."""
    import lz4.frame

    raw = lz4.frame.decompress(data)
    return lz4.frame.compress(raw[: len(raw) // 2])


#: What each damage makes ChimeraX 1.7's ``open`` do: raise before restoring anything
#: ("refused"), or fail while restoring and reset the session ("reset"). Flipped bytes do
#: either, as the bytes there are (the file holds a thumbnail and a date): mostly
#: RuntimeError "LZ4F_decompress failed", else a msgpack error inside, and a reset.
DAMAGES = {
    "truncated": (lambda data: data[: len(data) // 2], {"refused"}),  # EOFError from lz4
    "flipped": (_flipped, {"refused", "reset"}),
    "cut inside": (_cut_inside, {"reset"}),  # "Unable to restore session, resetting."
}


def _open_damaged(cx, monkeypatch, path: Path) -> tuple[str, object]:
    """Open a damaged session file: ("refused", error), ("reset", bug report) or ("opened",
    None) for a file whose damage ChimeraX does not notice."""
    bugs: list[str] = []
    monkeypatch.setattr(cx.logger, "bug", lambda msg, *a, **k: bugs.append(msg))
    try:
        cxrun(cx, f"open {path}")
    except Exception as error:  # ChimeraX's own, whatever it is
        return "refused", error
    finally:
        monkeypatch.undo()
    return ("reset", bugs[0]) if bugs else ("opened", None)


def _protattn_answers(cx, tmp_path: Path) -> None:
    """protattn's commands on whatever the session holds: a result or one UserError each."""
    from chimerax.core.errors import UserError

    for command in (
        f"attention pairs #1 layerHead {HEAD}",
        f"attention color #1 layerHead {HEAD}",
        "attention heads #1 contact top 3",
        "attention stats #1 helix",
        f"attention save {tmp_path / 'after.defattr'}",
        f"attention save {tmp_path / 'after.txt'} name top5",
        "attention clear #1/A",
        "attention clear",
    ):
        try:
            cxrun(cx, command)
        except UserError as e:
            assert str(e).strip(), command


def _works_on_a_fresh_structure(cx) -> None:
    """pairs (with its key), colour and clear on 1HPX opened after the damaged file."""
    s = open_structure(cx, HPX)
    assert len(cxrun(cx, f"attention pairs {s.atomspec} layerHead {HEAD} key true")) > 20
    assert len(cxrun(cx, f"attention color {s.atomspec} layerHead {HEAD}")) == 198
    cxrun(cx, f"attention clear {s.atomspec}")
    inventory = session_inventory(cx)
    assert "attention pairs" not in inventory["structures"][f"{s.atomspec} 1HPX.pdb"]
    assert not inventory["attributes"]["attention"]
    assert not set(PROTATTN_LABELS) & set(inventory["labels"]) and not inventory["color key"]


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_session_file_is_chimeraxs_to_refuse_and_protattn_works_after(
    cx, saved, tmp_path, monkeypatch, damage
):
    damaged, expected = DAMAGES[damage]
    bad = tmp_path / f"{damage.replace(' ', '_')}.cxs"
    bad.write_bytes(damaged(saved.read_bytes()))
    # the user's work when the damaged file is opened: 1HPX with pairs and their key
    cxrun(cx, "close session")
    working = open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 5 key true")
    before = session_inventory(cx)

    outcome, why = _open_damaged(cx, monkeypatch, bad)

    assert outcome in expected, (outcome, why)
    if outcome == "refused":  # before anything was restored: the session is as it was
        assert session_inventory(cx) == before and not working.deleted
    else:  # restoring began, failed, and ChimeraX reset the session
        assert why.startswith("Unable to restore session, resetting.")
        assert cx.models.list() == [] and working.deleted
    _protattn_answers(cx, tmp_path)
    if outcome == "refused":  # the user's pairs and key went with attention clear
        assert _protattn_gone(session_inventory(cx))
    _works_on_a_fresh_structure(cx)


def test_bytes_flipped_anywhere_leave_a_session_protattn_answers_on(
    cx, saved, tmp_path, monkeypatch
):
    """Damage ChimeraX may not notice (a flipped coordinate reads as another number): at
    each place the session holds what ChimeraX made of the file, and protattn answers."""
    data = saved.read_bytes()
    seen = set()
    for at in (0.2, 0.3, 0.4, 0.6, 0.7, 0.8):
        cxrun(cx, "close session")
        open_structure(cx, HPX)
        bad = tmp_path / f"flipped_{at}.cxs"
        bad.write_bytes(_flipped(data, at))
        outcome, _ = _open_damaged(cx, monkeypatch, bad)
        seen.add(outcome)
        if outcome == "reset":
            assert cx.models.list() == []
        _protattn_answers(cx, tmp_path)
    assert seen & {"refused", "reset"}  # most places break the stream
    _works_on_a_fresh_structure(cx)


def test_a_good_session_restores_in_this_chimerax_and_clear_keeps_the_users_own(cx, saved):
    """The control for the fresh process below: the same file, in the process that drew it,
    after ``close session`` (protattn's record of its keys is of the closed session)."""
    cxrun(cx, "close session")
    cxrun(cx, f"open {saved}")
    restored = session_inventory(cx)
    assert set(PROTATTN_LABELS) <= set(restored["labels"]) and restored["color key"]

    with log_of(cx) as messages:
        cxrun(cx, "attention clear")

    cleared = session_inventory(cx)
    assert _protattn_gone(cleared) and _users_own_kept(cleared)
    assert of_kind(messages, "info")[-1] == _removed(restored)


def test_a_restored_key_of_the_one_drawing_of_its_kind_stays_that_drawings_key(
    cx, with_text, tmp_path
):
    open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} key true")
    cxrun(cx, f"save {tmp_path / 'one.cxs'}")
    cxrun(cx, "close session")
    cxrun(cx, f"open {tmp_path / 'one.cxs'}")

    with log_of(cx) as messages:
        cxrun(cx, "attention pairs #1 layerHead 8-mean topK 3 name other")

    assert of_kind(messages, "info")[0] == (
        "protattn's pairs' key was restored from a session: taken as the key of "
        "'attention pairs' on 1HPX.pdb #1"
    )
    inventory = session_inventory(cx)
    assert {"protattn_pairs_title", "protattn_pairs_scale"} <= set(inventory["labels"])
    assert inventory["color key"]  # another group drawn: the key still describes its own
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 3")  # its group redrawn, no key
    inventory = session_inventory(cx)
    assert not set(PROTATTN_LABELS) & set(inventory["labels"]) and not inventory["color key"]


# ------------------------------------------------------- a good session in a fresh ChimeraX

_FRESH_CHIMERAX = """
import json, sys
from cxheadless import make_session
from chimerax.core.commands import run
from cxtesting import session_inventory
session = make_session(offscreen=True)
from qtshim import install_qt_shim
install_qt_shim()
messages = []
session.logger.info = lambda msg, *a, **k: messages.append(msg)
session.logger.warning = lambda msg, *a, **k: messages.append(msg)
report = {}
def step(name, *commands):
    del messages[:]
    for command in commands:
        run(session, command, log=False)
    report[name] = {"inventory": session_inventory(session), "log": list(messages)}
path = sys.argv[1]
step("restored", "open " + path)
step("pairs redrawn", "attention pairs #1 layerHead 6-3")
step("cleared", "attention clear")
step("restored again", "close session", "open " + path)
step("cleared at once", "attention clear")
step("pairs cleared", "close session", "open " + path, "attention clear attribute false")
print(json.dumps(report))
"""


def test_a_good_session_in_a_fresh_chimerax_clear_removes_what_protattn_drew(cx, saved, tmp_path):
    here = session_inventory(cx)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "core"), str(SHARED / "chimerax"), str(Path(__file__).parent)]
        ),
    )
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_CHIMERAX, str(saved)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    restored = report["restored"]["inventory"]
    assert restored == here  # the pseudobonds, attributes, keys and the user's own
    assert set(PROTATTN_LABELS) <= set(restored["labels"]) and restored["color key"]

    # pairs drawn again without a key: the restored pairs' key no longer describes them
    # (which of the two groups it was the key of, the session does not tell: the log says)
    redrawn = report["pairs redrawn"]
    restored_lines = [m for m in redrawn["log"] if "restored from a session" in m]
    assert restored_lines == [
        "protattn's pairs' key was restored from a session: the session does not tell which "
        "drawing it describes, so any pairs drawn without key true, or attention clear, "
        "removes it",
        "protattn's residue colours' key was restored from a session: the session does not "
        "tell which drawing it describes, so any colours drawn without key true, or attention "
        "clear, removes it",
    ]
    labels = redrawn["inventory"]["labels"]
    assert "protattn_pairs_title" not in labels and "protattn_color_title" in labels
    assert redrawn["inventory"]["color key"]  # the colours' key, not the pairs'

    for step in ("cleared", "cleared at once"):
        cleared = report[step]["inventory"]
        assert _protattn_gone(cleared), (step, cleared)
        assert _users_own_kept(cleared), (step, cleared)
    assert report["cleared at once"]["log"][-1] == _removed(restored)

    pairs_only = report["pairs cleared"]["inventory"]
    assert {"attention pairs", "top5"}.isdisjoint(*pairs_only["structures"].values())
    assert pairs_only["labels"] == ["mynote", "protattn_color_scale", "protattn_color_title"]
    assert pairs_only["color key"] and pairs_only["attributes"]["attention"] == 198
    assert _users_own_kept(pairs_only)
