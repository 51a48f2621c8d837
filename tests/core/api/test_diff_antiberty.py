"""``diff`` on the real AntiBERTy and the D1.3 Fv-lysozyme complex 1VFB.

Chain B of 1VFB is D1.3's heavy chain (A the light chain, C lysozyme); its Tyr101 lies
in CDR-H3 (between Cys95... and Trp106-Gly-Gln-Gly), a hot spot of the interface.
Every expectation is computed here from the model's own maps
(``antiberty.attention``) and the file's atoms as parsed by ``tests/conftest.py``.
"""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
from support import require

from protattn.api.diff import (
    GAINED_COLOR,
    LOST_COLOR,
    compare,
    compare_heads,
    head_changes,
    interface_mask,
)
from protattn.api.stats import head_statistics
from protattn.cli.commands import main
from protattn.lm.heads import HeadSpec
from protattn.structure.mutations import MutationError, apply_mutations

HEAD = "6-3"
OTHER = "7-1"
THRESHOLD = 0.1
MUTATION = "B:Y101A"
POSITION = 100  # 0-based: residue 101 of a chain numbered 1-116 without gaps


@pytest.fixture(scope="module")
def path(shared_dir):
    return shared_dir / "data" / "structures" / "antibody" / "1VFB.cif"


@pytest.fixture(scope="module")
def vfb(path, load_structure):
    return load_structure(path)


@pytest.fixture(scope="module")
def heavy(vfb):
    chain = vfb.chain("B")
    assert chain.sequence.startswith("QVQLQESGPG")  # a VH domain
    h3 = chain.sequence.index("CARERDYRLDYWGQG")  # CDR-H3 between Cys and Trp-Gly-Gln-Gly
    assert h3 < POSITION < h3 + 11 and chain.sequence[POSITION] == "Y"
    return chain


@pytest.fixture(scope="module")
def result(heavy, antiberty):
    return compare(heavy, MUTATION, HEAD, threshold=THRESHOLD)


@pytest.fixture(scope="module")
def attention(antiberty):
    """``attention(sequence)``: the model's dense attention, one pass per sequence."""
    done: dict[str, np.ndarray] = {}

    def run(sequence: str) -> np.ndarray:
        if sequence not in done:
            done[sequence] = antiberty.attention(sequence)
        return done[sequence]

    return run


def _map(attention, sequence: str, head: str = HEAD) -> np.ndarray:
    layer, h = (int(x) for x in head.split("-"))
    return attention(sequence)[layer - 1, h - 1].astype(float)


def _selected(m: np.ndarray, threshold: float = THRESHOLD) -> dict[tuple[int, int], float]:
    sym = np.maximum(m, m.T)
    n = len(m)
    return {(i, j): sym[i, j] for i in range(n) for j in range(i + 1, n) if sym[i, j] > threshold}


@pytest.fixture(scope="module")
def maps(heavy, result, attention):
    return _map(attention, heavy.sequence), _map(attention, result.mutant.sequence)


def test_mutant_differs_only_at_the_cdr_h3_residue(heavy, result):
    mutant = result.mutant.sequence
    assert len(mutant) == len(heavy)
    assert [k for k, (a, b) in enumerate(zip(heavy.sequence, mutant)) if a != b] == [POSITION]
    assert mutant[POSITION] == "A"
    assert result.mutant.labels == ("B:Y101A",)
    assert result.heads == (HeadSpec(6, 3), HeadSpec(6, 3))


def test_gained_lost_kept_equal_the_maps_by_brute_force(result, maps):
    wt, mt = (_selected(m) for m in maps)
    sym_wt, sym_mt = (np.maximum(m, m.T) for m in maps)
    assert {(p.i, p.j) for p in result.gained} == set(mt) - set(wt)
    assert {(p.i, p.j) for p in result.lost} == set(wt) - set(mt)
    assert {(p.i, p.j) for p in result.kept} == set(wt) & set(mt)
    assert result.gained or result.lost  # the mutation changes something here
    for p in (*result.gained, *result.lost, *result.kept):
        assert p.before == pytest.approx(sym_wt[p.i, p.j], abs=1e-6)
        assert p.after == pytest.approx(sym_mt[p.i, p.j], abs=1e-6)
    for p in result.gained:
        assert p.after > THRESHOLD >= p.before
    for p in result.lost:
        assert p.before > THRESHOLD >= p.after
    changes = [abs(p.change) for p in result.gained]
    assert changes == sorted(changes, reverse=True)


def test_residue_change_equals_column_sums(result, maps, heavy):
    wt, mt = maps
    n = len(heavy)
    expected = (mt.sum(axis=0) - wt.sum(axis=0)) / n
    assert result.received.shape == (n,)
    np.testing.assert_allclose(result.received, expected, atol=1e-6)
    np.testing.assert_allclose(result.received_before, wt.sum(axis=0) / n, atol=1e-6)


def test_scenes_two_colours_and_a_scale_centred_at_zero(result, heavy):
    scene = result.scene
    assert len(scene.bonds) == len(result.gained) + len(result.lost)  # every residue observed
    assert {b.rgba for b in scene.bonds} == {GAINED_COLOR, LOST_COLOR}
    for bond in scene.bonds:
        assert (bond.rgba == GAINED_COLOR) == (bond.weight > 0)
        assert 0.05 <= bond.radius <= 0.3
    key = scene.key()
    assert [label for label, _ in key.colors] == ["gained", "lost"]
    assert key.title == "change of attention weight, mutant - wild type"
    assert "red gained, blue lost" in scene.scale_text()

    residues = result.residues
    assert len(residues.residues) == len(heavy)
    assert residues.vmin == -residues.vmax == pytest.approx(-np.abs(result.received).max())
    assert residues.key().title == "change of attention received, mutant - wild type"
    extreme = max(residues.residues, key=lambda r: abs(r.value))
    assert extreme.rgba == (GAINED_COLOR if extreme.value > 0 else LOST_COLOR)  # an end
    for r in residues.residues:  # red above 0, blue below
        assert (r.rgba[0] > r.rgba[2]) == (r.value > 0) or r.value == 0
    shared = residues.rescaled(-1.0, 0.5)
    assert (shared.vmin, shared.vmax) == (-1.0, 1.0)  # a shared scale stays centred


def test_summary_and_table(result):
    line = result.summary()
    assert line.startswith(f"antiberty {HEAD}, chain B, B:Y101A: ")
    gained = f"{len(result.gained)} pair{'s' if len(result.gained) != 1 else ''} gained"
    assert f"{gained}, {len(result.lost)} lost, {len(result.kept)} kept (weight > 0.1)" in line
    lines = result.table()
    assert sum(row.startswith("gained ") for row in lines) == min(len(result.gained), 20)
    assert any("B:101 Y>A" in row for row in lines)


def test_wrong_wild_type_is_refused_naming_the_residue(heavy):
    with pytest.raises(MutationError) as info:
        compare(heavy, "B:A101G", HEAD)
    assert str(info.value) == (
        "residue 101 of chain B is TYR (Y), not A; the mutation says B:A101G"
    )


def test_second_sequence_of_another_length_is_refused(heavy):
    with pytest.raises(MutationError, match="has 115 residues and chain B has 116"):
        compare(heavy, heavy.sequence[:-1], HEAD)


def test_identical_sequence_changes_nothing(heavy, maps):
    same = compare(heavy, heavy.sequence, HEAD, threshold=THRESHOLD)
    assert same.gained == () and same.lost == ()
    assert {(p.i, p.j) for p in same.kept} == set(_selected(maps[0]))
    assert np.all(same.received == 0)
    assert same.scene.bonds == ()
    assert "attention received unchanged" in same.summary()


def test_a_second_sequence_is_the_same_as_its_mutation(heavy, result):
    mutant = heavy.sequence[:POSITION] + "A" + heavy.sequence[POSITION + 1 :]
    by_sequence = compare(heavy, mutant, HEAD, threshold=THRESHOLD)
    assert by_sequence.gained == result.gained and by_sequence.lost == result.lost
    np.testing.assert_array_equal(by_sequence.received, result.received)


def test_top_k_selects_the_strongest_of_each_run(heavy, maps):
    k = 25
    diff = compare(heavy, MUTATION, HEAD, top_k=k)

    def top(m):
        sym = np.maximum(m, m.T)
        i, j = np.triu_indices(len(m), 1)
        order = np.argsort(-sym[i, j], kind="stable")[:k]
        return set(zip(i[order].tolist(), j[order].tolist()))

    wt, mt = (top(m) for m in maps)
    assert {(p.i, p.j) for p in diff.gained} == mt - wt
    assert {(p.i, p.j) for p in diff.lost} == wt - mt
    assert len(diff.kept) + len(diff.lost) == k
    assert "the 25 strongest" in diff.summary()


def test_a_head_versus_itself_gives_nothing(heavy):
    same = compare_heads(heavy, HEAD, HEAD, threshold=THRESHOLD)
    assert same.gained == () and same.lost == ()
    assert np.all(same.received == 0)
    assert same.mutant is None


def test_head_versus_head_by_brute_force(heavy, attention):
    a, b = _map(attention, heavy.sequence, HEAD), _map(attention, heavy.sequence, OTHER)
    diff = compare_heads(heavy, HEAD, OTHER, threshold=THRESHOLD)
    sa, sb = _selected(a), _selected(b)
    assert {(p.i, p.j) for p in diff.gained} == set(sb) - set(sa)
    assert {(p.i, p.j) for p in diff.lost} == set(sa) - set(sb)
    assert {(p.i, p.j) for p in diff.kept} == set(sa) & set(sb)
    np.testing.assert_allclose(diff.received, (b.sum(0) - a.sum(0)) / len(heavy), atol=1e-6)
    assert f"{HEAD} versus {OTHER}" in diff.summary()
    assert diff.scene.key().colors[0][0] == f"only in {OTHER}"


# ------------------------------------------------------------------ per-head agreement


@pytest.fixture(scope="module")
def changes(vfb, heavy, antiberty):
    return head_changes(vfb, heavy, MUTATION, partners=["C"], min_arcs=5)


def test_interface_mask_by_hand(vfb, heavy, path, read_atoms):
    atoms = read_atoms(path)
    antigen = np.array([a.xyz for a in atoms if a.chain == "C" and a.element != "H"])
    near = set()
    for a in atoms:
        if a.chain == "B" and a.element != "H" and a.record == "ATOM":
            if (((antigen - np.array(a.xyz)) ** 2).sum(axis=1) <= 16.0).any():
                near.add((a.number, a.icode))
    mask = interface_mask(vfb, heavy, ["C"])
    found = {(r.number, r.icode) for r, m in zip(heavy.residue_ids, mask) if m}
    assert found == near
    assert (101, "") in found  # Tyr101 touches lysozyme


def test_head_changes_agree_with_head_statistics(vfb, heavy, changes):
    assert changes.properties == ("contact", "interface")  # 1VFB has no ligand
    assert any("no ligand touches chain B" in n for n in changes.notes)
    mutant = apply_mutations(heavy, MUTATION).chain
    structures = {
        "before": vfb,
        "after": dataclasses.replace(
            vfb, chains=tuple(mutant if c.id == "B" else c for c in vfb.chains)
        ),
    }
    for side, structure in structures.items():
        stats = head_statistics([structure], "antiberty", ["contact"], chains=["B"], min_arcs=5)
        mine = getattr(changes, side)["contact"]
        np.testing.assert_array_equal(mine.n_arcs, stats["contact"].n_arcs)
        np.testing.assert_allclose(mine.share, stats["contact"].share, equal_nan=True)
    for row in changes.ranked("contact"):
        k = (row.layer - 1, row.head - 1)
        assert row.before == pytest.approx(changes.before["contact"].share[k])
        assert row.after == pytest.approx(changes.after["contact"].share[k])
        assert min(row.arcs_before, row.arcs_after) >= 5


def test_head_changes_ranked_by_the_size_of_the_change(changes):
    for prop in changes.properties:
        sizes = [abs(r.change) for r in changes.ranked(prop)]
        assert sizes and sizes == sorted(sizes, reverse=True)
    lines = changes.table(3)
    assert lines[0].startswith("contact (background ")
    assert changes.summary().startswith("antiberty chain B, B:Y101A: heads whose agreement")


def test_head_changes_refuse_sequence_properties(vfb, heavy):
    with pytest.raises(Exception, match="amino acids change with the sequence"):
        head_changes(vfb, heavy, MUTATION, properties=["aa:Y"])


# ------------------------------------------------------------------ the command line


def test_cli_diff_prints_and_writes_the_comparison(path, result, tmp_path, capsys):
    out = tmp_path / "diff.csv"
    code = main(
        [
            "diff",
            str(path),
            "--mutations",
            "Y101A",  # the chain comes from --chain
            "--chain",
            "B",
            "--layer-head",
            HEAD,
            "-o",
            str(out),
        ]
    )
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert printed[0] == f"1VFB: {result.summary()}"
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    gained = [r for r in rows if r["what"] == "gained"]
    assert [(int(r["pos_i"]) - 1, int(r["pos_j"]) - 1) for r in gained] == [
        (p.i, p.j) for p in result.gained
    ]
    for r, p in zip(gained, result.gained):
        assert float(r["before"]) == pytest.approx(p.before, abs=1e-6)
        assert float(r["after"]) == pytest.approx(p.after, abs=1e-6)
    residues = [r for r in rows if r["what"] == "residue"]
    assert len(residues) == 116
    np.testing.assert_allclose([float(r["change"]) for r in residues], result.received, atol=2e-6)


def test_cli_diff_heads(path, changes, capsys):
    code = main(
        [
            "diff",
            str(path),
            "--mutations",
            MUTATION,  # the chain comes from the mutation
            "--layer-head",
            HEAD,
            "--heads",
            "--partner",
            "C",
            "--min-arcs",
            "5",
            "--top",
            "3",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert changes.summary() in printed
    best = changes.ranked("interface")[0]
    assert f"  {best.layer_head:<7}{best.before:>10.3f}{best.after:>9.3f}" in printed


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--mutations", "B:A101G"], "residue 101 of chain B is TYR (Y), not A"),
        (["--mutations", "B:Y999A"], "chain B has no residue 999"),
        (
            ["--sequence", "QVQL", "--chain", "B"],
            "the second sequence has 4 residues and chain B has 116",
        ),
        (["--mutations", "Y101A"], "give --chain ID: 1VFB has chains A, B, C"),
        (["--mutations", "B:Y101A", "--versus", "7-1"], "not allowed with argument"),
    ],
)
def test_cli_diff_errors_are_one_line(path, extra, words, capsys):
    try:
        code = main(["diff", str(path), "--layer-head", HEAD, *extra])
    except SystemExit as e:  # argparse's own refusals
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert words in err
    if "argument" not in words:
        assert err.count("\n") == 1 and err.startswith("protattn: error: ")


def test_cli_diff_picture(path, tmp_path, capsys):
    require("protattn_pymol", "make venv installs the plugin with PyMOL")
    png = tmp_path / "diff.png"
    code = main(
        ["diff", str(path), "--chain", "B", "--versus", OTHER, "--layer-head", HEAD]
        + ["--top-k", "10", "--png", str(png)]
    )
    assert code == 0 and png.stat().st_size > 0
    assert "pairs drawn" in capsys.readouterr().err
