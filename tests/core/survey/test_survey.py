"""``protattn survey``: the counts of one chain at a time, whatever the shards; rejects;
resumed after SIGKILL and Ctrl-C with exactly the counts of an uninterrupted run."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support import write_table

from protattn.analysis.statistics import HeadStatsAccumulator
from protattn.analysis.tally import Tally
from protattn.compute.backend import get_model
from protattn.errors import ProtattnError
from protattn.lm.inference import chain_counts
from protattn.lm.masks import PropertyMask
from protattn.structure.io import read_structure
from protattn.survey import survey
from protattn.survey.inputs import survey_units

THETA = 0.02  # the tiny random model's attention is near uniform: 1/L is 0.016-0.033


def _quiet(table, out, model, **options):
    options.setdefault("threshold", THETA)
    return survey([str(table)], out, model, quiet=True, figures=False, batch=False, **options)


def _expected(model: str, rows: list[dict], definition: str) -> HeadStatsAccumulator:
    """The statistics counted by hand: one chain at a time, the paper cut at 62 residues,
    the judged definition windowed past the model's 62."""
    lm = get_model(model, None)
    accumulator = HeadStatsAccumulator(lm.n_layers, lm.n_heads, THETA, definition)
    limit = min(510, lm.max_residues)
    for row in rows:
        sequence, labels = row["sequence"], row["site_label_string"]
        masks = {"binding_site": PropertyMask.residue(np.array([c == "1" for c in labels]))}
        masks |= {
            f"aa:{a}": PropertyMask.residue(np.array([c == a for c in sequence]))
            for a in "ACDEFGHIKLMNPQRSTVWY"
        }
        if definition == "paper" and len(sequence) > limit:
            sequence = sequence[:limit]
            masks = {k: m.truncated(limit) for k, m in masks.items()}
        message = chain_counts(lm, sequence, definition, THETA, masks, cache=False)
        from protattn.lm.counts import ChainCounter

        accumulator.add_chain(ChainCounter.from_message(accumulator, message))
    return accumulator


@pytest.mark.parametrize("definition", ["paper", "judged"])
def test_a_table_survey_counts_what_one_chain_at_a_time_counts(
    tiny_bert, small_table, small_rows, tmp_path, definition
):
    result = _quiet(small_table, tmp_path / "out", tiny_bert)

    assert result.n_chains == len(small_rows) == 14 and not result.rejects
    assert any(len(r["sequence"]) > 62 for r in small_rows)  # windows and truncation used
    expected = _expected(tiny_bert, small_rows, definition).result(min_arcs=5)
    got = result.tally.statistics(definition, min_arcs=5)
    assert got.properties[0] == "binding_site" and len(got.properties) == 21
    for prop in expected.properties:
        np.testing.assert_array_equal(got[prop].n_arcs, expected[prop].n_arcs)
        np.testing.assert_array_equal(got[prop].hits, expected[prop].hits)
        assert got[prop].background_hits == expected[prop].background_hits
        np.testing.assert_allclose(got[prop].weighted_share, expected[prop].weighted_share, 1e-8)
    assert got["binding_site"].hits.sum() > 0


def test_shards_of_any_size_give_the_same_tally(tiny_bert, small_table, tmp_path):
    tallies = [
        _quiet(small_table, tmp_path / f"out{size}", tiny_bert, shard_size=size).tally
        for size in (1, 5, 64)
    ]
    assert tallies[0] == tallies[1] == tallies[2]
    assert len(list((tmp_path / "out5" / "shards").glob("*.npz"))) == 3


def test_the_folder_holds_every_table_and_the_rejects(tiny_bert, small_rows, tmp_path):
    bad = [
        {**small_rows[0], "id": "only_x", "sequence": "X" * 20, "site_label_string": "0" * 20},
        {**small_rows[0], "id": "short_labels", "site_label_string": "01"},
        {**small_rows[0], "id": "odd_labels", "site_label_string": "2" * small_rows[0]["length"]},
        {**small_rows[0], "id": "empty", "sequence": "", "site_label_string": ""},
        {**small_rows[0], "id": "digits", "sequence": "AC1D", "site_label_string": "0000"},
    ]
    table = write_table(tmp_path / "mixed.tsv", small_rows[:3] + bad + small_rows[3:5])
    out = tmp_path / "out"
    result = survey(
        [str(table)], out, tiny_bert, quiet=True, batch=False, shard_size=4, threshold=THETA
    )

    assert result.n_chains == 5
    with open(out / "rejects.csv", newline="") as fh:
        rejects = {r["name"]: r for r in csv.DictReader(fh)}
    assert set(rejects) == {"only_x", "short_labels", "odd_labels", "empty", "digits"}
    assert "only unknown residues" in rejects["only_x"]["reason"]
    assert "2 labels for" in rejects["short_labels"]["reason"]
    assert "labels are 0, 1, or - for unknown" in rejects["odd_labels"]["reason"]
    assert rejects["only_x"]["source"] == f"{table}:5"  # the file's line
    with open(out / "heads.csv", newline="") as fh:
        heads = list(csv.DictReader(fh))
    assert len(heads) == 2 * 21 * 2 * 2  # definitions x properties x layers x heads
    assert {h["definition"] for h in heads} == {"paper", "judged"}
    assert all(h["n_chains"] == "5" for h in heads)
    import pyarrow.parquet as pq

    table_ = pq.read_table(out / "heads.parquet").to_pylist()
    assert [r["n_arcs"] for r in table_] == [int(h["n_arcs"]) for h in heads]
    summary = (out / "summary.md").read_text()
    assert "| paper | binding_site | 5 |" in summary
    assert (
        sorted(p.name for p in (out / "figures").iterdir())
        == sorted(
            f"{kind}_{d}_binding_site.png"
            for kind in ("heatmap", "layers", "top_heads")
            for d in ("paper", "judged")
        )
        or len(list((out / "figures").iterdir())) >= 4
    )


def test_structure_files_directories_and_lists(tiny_bert, shared_dir, tmp_path):
    ligand = shared_dir / "data" / "structures" / "ligand"
    folder = tmp_path / "structures"
    folder.mkdir()
    for name in ("1HPX.pdb", "1AKU.pdb"):
        (folder / name).write_bytes((ligand / name).read_bytes())
    (folder / "broken.pdb").write_bytes(b"\x00\x01binary")
    listing = tmp_path / "more.txt"
    listing.write_text("# one more\nstructures/1HPX.pdb\nmissing.cif\n")
    units = survey_units([str(folder), f"@{listing}"])
    assert [Path(u.path).name for u in units] == [
        "1AKU.pdb", "1HPX.pdb", "broken.pdb", "1HPX.pdb", "missing.cif"]  # fmt: skip

    result = survey(
        [str(folder), f"@{listing}"],
        tmp_path / "out",
        tiny_bert,
        properties=["contact", "binding_site", "helix"],
        threshold=THETA,
        quiet=True,
        figures=False,
        batch=False,
    )

    assert {Path(r.source).name for r in result.rejects} == {"broken.pdb", "missing.cif"}
    assert all(r.reason.startswith("unreadable") for r in result.rejects)
    chains = {n: len(read_structure(folder / n).chains) for n in ("1AKU.pdb", "1HPX.pdb")}
    assert result.n_chains == chains["1AKU.pdb"] + 2 * chains["1HPX.pdb"] >= 4  # 1HPX twice
    stats = result.tally.statistics("judged", min_arcs=1)
    assert stats.properties == ("contact", "binding_site", "helix")
    assert stats["contact"].background_pairs > 0 and stats["binding_site"].background_hits > 0


def test_another_setting_in_the_same_folder_is_refused_until_restart(
    tiny_bert, small_table, tmp_path
):
    out = tmp_path / "out"
    first = _quiet(small_table, out, tiny_bert, shard_size=4)
    with pytest.raises(ProtattnError, match="other settings or inputs .*threshold.*--restart"):
        _quiet(small_table, out, tiny_bert, shard_size=4, threshold=0.03)
    again = _quiet(small_table, out, tiny_bert, shard_size=4)
    assert again.counted == 0 and again.tally == first.tally  # all from the shards
    restarted = _quiet(small_table, out, tiny_bert, shard_size=4, threshold=0.03, restart=True)
    assert restarted.counted == 4 and restarted.tally != first.tally


def test_a_damaged_shard_is_counted_again(tiny_bert, small_table, tmp_path):
    out = tmp_path / "out"
    first = _quiet(small_table, out, tiny_bert, shard_size=4)
    shard = out / "shards" / "000002.npz"
    shard.write_bytes(shard.read_bytes()[:100])
    said = []
    again = survey(
        [str(small_table)], out, tiny_bert, shard_size=4, quiet=True, figures=False,
        batch=False, warn=said.append, threshold=THETA,
    )  # fmt: skip
    assert again.counted == 1 and again.tally == first.tally
    assert said and "shard 2 is counted again" in said[0]


# ------------------------------------------------------------------ interrupted, resumed
def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "protattn", "survey", *args]


def _interrupt(command: list[str], shards: Path, sig: int, after: int) -> subprocess.Popen:
    """Start ``command`` and send ``sig`` once ``after`` shard files exist."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if shards.is_dir() and len(list(shards.glob("*.npz"))) >= after:
            proc.send_signal(sig)
            break
        time.sleep(0.005)
    proc.stdout_text, proc.stderr_text = proc.communicate(timeout=120)
    return proc


@pytest.fixture(scope="module")
def long_table(tmp_path_factory, validation_rows) -> Path:
    """80 rows cut to 40 residues: enough shards of one row to interrupt midway."""
    rows = [
        {
            "id": r["id"],
            "site_label_string": r["site_label_string"][:40],
            "sequence": r["sequence"][:40],
        }
        for r in validation_rows[:80]
    ]
    return write_table(tmp_path_factory.mktemp("long") / "long.tsv", rows)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_an_interrupted_survey_resumes_to_the_counts_of_an_uninterrupted_one(
    long_table, tiny_bert, tmp_path, sig
):
    whole = tmp_path / "whole"
    args = [str(long_table), "--model", tiny_bert, "--threshold", str(THETA), "--shard-size", "1"]
    args += ["--no-figures", "-q", "--no-batch"]
    done = subprocess.run(_cli(*args, "-o", str(whole)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    cut = tmp_path / "cut"
    proc = _interrupt(_cli(*args, "-o", str(cut)), cut / "shards", sig, after=3)
    kept = sorted(p.name for p in (cut / "shards").glob("*.npz"))
    assert 3 <= len(kept) < 80, "the survey ended before it was interrupted"
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert "run the same command again to resume" in proc.stderr_text
    else:
        assert proc.returncode == -signal.SIGKILL
    assert not (cut / "heads.csv").exists()

    resumed = subprocess.run(_cli(*args, "-o", str(cut)), capture_output=True, text=True)

    assert resumed.returncode == 0, resumed.stderr
    assert f"({80 - len(kept)} counted now, {len(kept)} from before)" in resumed.stderr
    assert not list((cut / "shards").glob(".*"))  # no temporary file is left
    assert (cut / "heads.csv").read_bytes() == (whole / "heads.csv").read_bytes()
    assert Tally.merged(
        [Tally.load(p) for p in sorted((cut / "shards").glob("*.npz"))]
    ) == Tally.merged([Tally.load(p) for p in sorted((whole / "shards").glob("*.npz"))])


def test_head_statistics_of_the_hosts_sum_the_same_counts_as_a_survey(
    tiny_bert, shared_dir, tmp_path
):
    from protattn.api.stats import head_statistics

    paths = [shared_dir / "data" / "structures" / "ligand" / n for n in ("1HPX.pdb", "1AKU.pdb")]
    seen = []
    stats = head_statistics(
        [read_structure(p) for p in paths], get_model(tiny_bert, None),
        ["contact", "binding_site"], threshold=0.01, min_arcs=1, progress=seen.append,
    )  # fmt: skip
    result = survey([str(p) for p in paths], tmp_path / "out", tiny_bert,
                    properties=["contact", "binding_site"], definitions=["paper"],
                    threshold=0.01, quiet=True, figures=False, batch=False)  # fmt: skip

    surveyed = result.tally.statistics("paper", min_arcs=1)
    for prop in ("contact", "binding_site"):
        np.testing.assert_array_equal(stats[prop].n_arcs, surveyed[prop].n_arcs)
        np.testing.assert_array_equal(stats[prop].hits, surveyed[prop].hits)
        np.testing.assert_array_equal(stats[prop].attention_mass, surveyed[prop].attention_mass)
        assert stats[prop].hits.sum() > 0
    assert [p.done for p in seen] == list(range(1, result.n_chains + 1))
    assert seen[-1].text().startswith(f"{result.n_chains} of {result.n_chains} chains, ")
    assert "left" in seen[0].text() and "left" not in seen[-1].text()


@pytest.mark.parametrize(
    ("make", "args", "said"),
    [
        (lambda d: (d / "x.tsv").write_text("id\tseq\nA\tMK\n"), ["x.tsv"], "no 'sequence' column"),
        (lambda d: (d / "x.tsv").write_text("id\tsequence\n"), ["x.tsv"], "nothing to survey"),
        (lambda d: (d / "x.tsv").write_text("id\tsequence\nA\tMK\n"),
         ["x.tsv", "--label", "sites"], "no column 'sites'"),
        (lambda d: (d / "x.tsv").write_text("id\tsequence\tc\nA\tMK\t01\n"),
         ["x.tsv", "--label", "c=contact"], "computes from structures"),
        (lambda d: (d / "out").write_text(""), ["x.tsv"], "is a file; give a folder"),
        (lambda d: None, ["nope.tsv"], "no such table"),
        (lambda d: None, ["@nope.txt"], "no such list file"),
    ],
    ids=["no sequence", "empty", "missing label", "label named contact", "-o a file",
         "no table", "no list"],
)  # fmt: skip
def test_bad_survey_input_is_one_line_and_exit_2(
    tiny_bert, tmp_path, capsys, monkeypatch, make, args, said
):
    from protattn.cli import main

    make(tmp_path)
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    code = main(["survey", *args, "-o", str(out), "--model", tiny_bert, "-q"])

    err = capsys.readouterr().err
    assert code == 2 and said in err and err.startswith("protattn: error: "), err
    assert "Traceback" not in err
    assert not (out.is_dir() and any(out.iterdir()))  # nothing written
