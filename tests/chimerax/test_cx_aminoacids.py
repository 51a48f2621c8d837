"""``attention aminoacids`` in a real headless ChimeraX, with real AntiBERTy on 1VFB.

The counts over the structure's protein chains (light chain A, heavy chain B,
lysozyme C; their full sequences) are the core's
:func:`protattn.api.aminoacids.amino_acid_profiles` of the same chains read from the
file: the log holds its summary line, ``png`` writes its figure, and bad input
(threshold, path, spec) is refused with one UserError before the model runs,
with nothing in the session changed.
"""

from __future__ import annotations

import numpy as np
import pytest
from cxtesting import HPX, VFB, cxrun, log_of, of_kind, open_structure, session_inventory

import protattn
from protattn.api.aminoacids import amino_acid_profiles


@pytest.fixture(scope="module")
def profiles():
    read = protattn.read_structure(VFB)
    return amino_acid_profiles([(c.id, c.sequence) for c in read.chains], "antiberty")


def test_aminoacids_logs_the_cores_summary_and_writes_the_figure(cx, profiles, tmp_path):
    open_structure(cx, VFB)
    png = tmp_path / "aminoacids.png"
    models = cx.models.list()

    with log_of(cx) as messages:
        result = cxrun(cx, f"attention aminoacids #1 png {png}")

    assert result.counts.n_chains == 3
    np.testing.assert_array_equal(result.counts.arcs, profiles.counts.arcs)
    np.testing.assert_array_equal(result.counts.targets, profiles.counts.targets)
    info = of_kind(messages, "info")
    assert profiles.summary() in info
    table = [m for m in of_kind(messages, "html") if m.startswith("<pre>")]
    assert len(table) == 1 and "amino acid: the head with the largest share" in table[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert any(str(png) in m for m in info)
    assert cx.models.list() == models  # nothing drawn


def test_aminoacids_without_a_spec_counts_every_open_structure(cx):
    open_structure(cx, VFB)
    open_structure(cx, HPX)
    both = cxrun(cx, "attention aminoacids threshold 0.5")
    one = cxrun(cx, "attention aminoacids #2 threshold 0.5")
    assert both.counts.n_chains == 5 and one.counts.n_chains == 2
    assert both.counts.threshold == 0.5
    assert (
        both.counts.arcs >= one.counts.arcs
    ).all() and both.counts.arcs.sum() > one.counts.arcs.sum()


BAD = [
    ("attention aminoacids #1 threshold 0", "threshold must be above 0"),
    ("attention aminoacids #1 threshold 1.5", "threshold must be above 0"),
    ("attention aminoacids #1 threshold 0.01", "at least 0.05"),
    ("attention aminoacids #1 png {tmp}/figure.txt", "png .*ending in .png"),
    ("attention aminoacids #1 png {tmp}/missing/figure.png", "does not exist"),
    ("attention aminoacids #1 png {tmp}", "without an extension"),
    ("attention aminoacids #3", "nothing matches"),
    ("attention aminoacids :HOH", "no protein chain"),
    ("attention aminoacids #1 model esm9", "unknown model"),
]


@pytest.mark.parametrize(("command", "message"), BAD)
def test_bad_input_is_one_user_error_and_changes_nothing(cx, tmp_path, command, message):
    from chimerax.core.errors import UserError

    s = open_structure(cx, VFB)
    cxrun(cx, "attention color #1/A layerHead 6-3")
    before = session_inventory(cx), s.residues.ribbon_colors.copy()
    with pytest.raises(UserError, match=message):
        cxrun(cx, command.format(tmp=tmp_path))
    assert session_inventory(cx) == before[0]
    np.testing.assert_array_equal(s.residues.ribbon_colors, before[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == []
