"""``attention probe`` in headless ChimeraX: a probe per layer over the open antibodies.

Four antibody structures opened in ChimeraX, real AntiBERTy, two tasks (secondary
structure and contacts, to keep the run short): the numbers logged are those of the
core's :func:`protattn.api.probe.probe_structures` on the same chains read from the
files, with the same seed; ``png`` writes the figure; too few chains, a bad task or share,
and a png path that cannot be written are refused before any work.
"""

from __future__ import annotations

import math

import pytest
from cxtesting import STRUCTURES, VFB, cxrun, log_of, of_kind, open_structure

import protattn
from protattn.api.probe import probe_structures

FILES = [STRUCTURES / "antibody" / f"{name}.cif" for name in ("2IGF", "1VFB", "3HFM", "1NCB")]
TASKS = ("secondary_structure", "contact")
SEED = 3


@pytest.fixture(scope="module")
def expected(language_model):
    structures = [protattn.read_structure(path) for path in FILES]
    return probe_structures(structures, "antiberty", TASKS, held_out=0.25, seed=SEED)


def test_probe_logs_the_cores_numbers_and_writes_the_figure(cx, expected, tmp_path):
    for path in FILES:
        open_structure(cx, path)
    png = tmp_path / "probe.png"

    with log_of(cx) as messages:
        result = cxrun(cx, f"attention probe tasks {','.join(TASKS)} seed {SEED} png {png}")

    # ChimeraX names a structure by its file ("1VFB.cif"), the core by the file's stem
    assert [n.replace(".cif ", " ") for n in result.train_chains] == list(expected.train_chains)
    assert [n.replace(".cif ", " ") for n in result.test_chains] == list(expected.test_chains)
    assert [p.task for p in result.tasks] == list(TASKS)
    (log,) = [m for m in of_kind(messages, "html") if "<table>" in m]
    assert expected.table()[0] in log
    for got, want in zip(result.tasks, expected.tasks):
        assert got.baseline == pytest.approx(want.baseline, nan_ok=True)
        for g, w in zip(got.layers, want.layers, strict=True):
            assert (g.layer, g.n_test_examples) == (w.layer, w.n_test_examples)
            assert g.value == pytest.approx(w.value, abs=1e-9, nan_ok=True)
            assert (g.low, g.high) == pytest.approx((w.low, w.high), abs=1e-9, nan_ok=True)
            value = "-" if math.isnan(w.value) else f"{w.value:.3f}"
            interval = "" if math.isnan(w.low) else f"{w.low:.3f}-{w.high:.3f}"
            cells = "".join(
                f"<td style='padding: 0 0.8em 0 0'>{c}</td>"
                for c in (w.layer, value, interval, w.n_test_examples)
            )
            assert cells in log
    assert png.read_bytes().startswith(b"\x89PNG")
    assert any(f"drew the figure into {png}" in m for m in of_kind(messages, "info"))


def test_too_few_chains_are_refused(cx):
    from chimerax.core.errors import UserError

    open_structure(cx, VFB)
    with pytest.raises(UserError, match="at least 2 protein chains of different sequences"):
        cxrun(cx, "attention probe #1/B tasks contact")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("tasks colour", "Invalid|colour"),
        ("heldOut 1", "heldOut"),
        ("heldOut 0", "heldOut"),
        ("png /no/such/folder/probe.png", "png"),
        ("png probe.txt", "png"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(cx, arguments, message):
    from chimerax.core.errors import UserError

    open_structure(cx, VFB)
    with pytest.raises(UserError, match=message):
        cxrun(cx, f"attention probe {arguments}")
