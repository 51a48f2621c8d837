"""The `protattn` command line, round trip on a real structure with real weights."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import require

import protattn
from protattn.cli import main
from protattn.palettes import PALETTES

require("pymol")
from pymol import cmd  # noqa: E402

HPV = cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb")


@pytest.fixture(autouse=True)
def _no_host_log():
    """The command line logs nothing of the backend: drop a host's logger (PyMOL's tests
    install one in this process) so that it cannot print into the CLI's standard output."""
    from protattn.compute import backend

    saved = backend._S.notify
    backend.configure(notify=None)
    yield
    backend.configure(notify=saved)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_pairs_csv_round_trip(capsys):
    code, out, err = _run(
        capsys, "pairs", HPV, "--chain", "A", "--layer-head", "6-3", "--min-separation", "6"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    chain = protattn.read_structure(HPV).chain("A")
    expected = protattn.compute_pairs([chain], "6-3", min_separation=6)
    assert len(rows) == len(expected.pairs) > 0
    for row, pair in zip(rows, expected.pairs, strict=True):
        assert row["residue_i"] == str(pair.residue_i) and row["residue_j"] == str(pair.residue_j)
        assert float(row["weight"]) == pytest.approx(pair.weight, abs=1e-6)
        assert int(row["pos_j"]) - int(row["pos_i"]) >= 6
        assert float(row["weight"]) > 0.1
        # contact column agrees with an independent CB-CB distance
        d = np.linalg.norm(chain.cb[pair.i] - chain.cb[pair.j])
        assert row["contact"] == str(bool(d < 8.0))
    assert f"{len(rows)} pairs" in err


def test_pairs_json_top_k_over_two_chains(capsys, tmp_path):
    target = tmp_path / "pairs.json"
    code, _, _ = _run(
        capsys,
        "pairs",
        HPV,
        "--chain",
        "A,B",
        "--layer-head",
        "8-max",
        "--top-k",
        "7",
        "--format",
        "json",
        "-o",
        str(target),
    )
    assert code == 0
    data = json.loads(target.read_text())
    assert data["layer_head"] == "8-max" and data["model"] == "antiberty"
    chains = [p["chain_i"] for p in data["pairs"]]
    assert chains == [p["chain_j"] for p in data["pairs"]]
    assert chains.count("A") == 7 and chains.count("B") == 7
    weights = [p["weight"] for p in data["pairs"]]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pairs", "/no/such/file.pdb", "--layer-head", "1-1"], "no such file"),
        (["pairs", HPV, "--chain", "Q", "--layer-head", "1-1"], "choose one of: A, B"),
        (["pairs", HPV, "--layer-head", "13-1"], "layers 1-8"),
        (["pairs", HPV, "--layer-head", "x-y"], "not understood"),
        (["pairs", HPV, "--layer-head", "1-1", "--model", "esm99"], "unknown model"),
        (["pairs", HPV, "--layer-head", "1-1", "--window", "600"], "limit of 510"),
        (["render", HPV, "--layer-head", "1-1", "--png", "/no/such/dir/x.png"], "does not exist"),
    ],
)
def test_errors_exit_2_with_a_message(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert message in err and err.startswith("protattn: error:")
    assert out == ""


def test_non_structure_file_is_refused(capsys, tmp_path):
    junk = tmp_path / "notes.pdb"
    junk.write_text("this is a shopping list, not a protein\n")
    code, _, err = _run(capsys, "pairs", str(junk), "--layer-head", "1-1")
    assert code == 2 and "holds no atoms" in err and "structure file" in err


def test_render_writes_a_non_trivial_png(capsys, tmp_path):
    from PIL import Image

    png = tmp_path / "pairs.png"
    code, _, err = _run(
        capsys,
        "render",
        HPV,
        "--layer-head",
        "6-3",
        "--min-separation",
        "6",
        "--png",
        str(png),
        "--width",
        "480",
        "--height",
        "360",
    )
    assert code == 0, err
    assert "with its key" in err
    image = np.asarray(Image.open(png).convert("RGB"))
    # the picture, then the key in a strip below it
    assert image.shape[1] == 480 and image.shape[0] > 360
    picture, key = image[:360], image[360:]
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 500  # shaded cartoon, not a blank
    # the strongest pairs are drawn in the palette's dark end (reds), absent from a grey cartoon
    red = (picture[..., 0] > 140) & (picture[..., 1] < 80) & (picture[..., 2] < 90)
    assert red.sum() > 50
    # the key shows both ends of the palette: the colours of the weakest and strongest pair
    for end in (PALETTES["attention"][0], PALETTES["attention"][-1]):
        near = np.abs(key.astype(float) - 255 * np.asarray(end)).max(axis=-1) <= 6
        assert near.sum() > 20, end

    plain = tmp_path / "plain.png"
    code, _, err = _run(
        capsys, "render", HPV, "--layer-head", "6-3", "--min-separation", "6", "--png",
        str(plain), "--width", "480", "--height", "360", "--no-key",
    )  # fmt: skip
    assert code == 0, err
    assert np.asarray(Image.open(plain)).shape[:2] == (360, 480)


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "protattn"
    if not exe.exists() and os.environ.get("CI") != "true":
        pytest.skip("the protattn console script is installed by `make venv` (pip install .)")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True).stdout
    assert "pairs" in out and "render" in out


def test_concatenated_chains_give_pairs_between_chains(capsys):
    code, out, err = _run(
        capsys,
        "pairs",
        HPV,
        "--chain",
        "A,B",
        "--layer-head",
        "6-3",
        "--top-k",
        "40",
        "--concatenate",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 40
    between = [r for r in rows if r["chain_i"] != r["chain_j"]]
    assert between and all(
        r["residue_i"].startswith(r["chain_i"] + ":")
        and r["residue_j"].startswith(r["chain_j"] + ":")
        for r in rows
    )
    assert "run concatenated (99+99 residues)" in err


def test_models_lists_short_names_and_what_is_here(capsys):
    code, out, _ = _run(capsys, "models")
    assert code == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:-1]}
    assert set(lines) == set(protattn.MODELS)
    assert lines["antiberty"][3] == "yes"  # weights ship in the pip package
    assert lines["esm2_t33_650M"][1] == "650M"


def test_cache_shows_and_clears_entries(capsys, tmp_path, monkeypatch):
    from protattn.lm.inference import clear_memory

    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "c"))
    clear_memory()
    assert _run(capsys, "pairs", HPV, "--chain", "A", "--layer-head", "1-1")[0] == 0
    code, out, _ = _run(capsys, "cache")
    assert code == 0 and "1 entries" in out and str(tmp_path / "c") in out
    assert "antiberty" in out and " 99 residues" in out
    code, out, _ = _run(capsys, "cache", "--clear")
    assert code == 0 and "removed 1" in out
    assert "0 entries" in _run(capsys, "cache")[1]
    clear_memory()


def test_offline_model_error_from_the_command_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    code, _, err = _run(capsys, "pairs", HPV, "--layer-head", "1-1", "--model", "esm2_t6_8M")
    assert code == 2 and "facebook/esm2_t6_8M_UR50D" in err and "HF_HUB_OFFLINE" in err


HPX_FILE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "structures"
    / "ligand"
    / "1HPX.pdb"
)


@pytest.fixture
def hpx_file():
    if not HPX_FILE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{HPX_FILE} is missing: CI must have ../shared")
        pytest.skip("needs ../shared/data")
    return str(HPX_FILE)


def test_features_json(capsys, hpx_file):
    code, out, _ = _run(capsys, "features", hpx_file)
    assert code == 0
    data = json.loads(out)
    chains = data["chains"] if isinstance(data, dict) and "chains" in data else data
    text = json.dumps(chains)
    assert "KNI" in text and "A:25" in text  # the inhibitor's site includes the catalytic Asp25


def test_heads_table_json_and_the_top_head_picture(capsys, hpx_file, tmp_path):
    code, out, _ = _run(
        capsys,
        "heads",
        hpx_file,
        "--property",
        "binding_site",
        "--min-arcs",
        "20",
        "--format",
        "json",
        "-q",
    )
    assert code == 0
    data = json.loads(out)
    shares = [h["share"] for h in data["heads"]]
    assert data["property"] == "binding_site" and shares == sorted(shares, reverse=True)
    assert all(h["n_arcs"] >= 20 for h in data["heads"])
    png, plot, head_map = tmp_path / "top.png", tmp_path / "top.svg", tmp_path / "map.svg"
    code, out, err = _run(
        capsys,
        "heads",
        hpx_file,
        "--property",
        "binding_site",
        "--min-arcs",
        "20",
        "-q",
        "--png",
        str(png),
        "--plot",
        str(plot),
        "--map",
        str(head_map),
    )
    assert code == 0 and png.stat().st_size > 10_000 and "<svg" in plot.read_text()
    assert f"head {data['heads'][0]['layer_head']}" in head_map.read_text()
    top = data["heads"][0]["layer_head"]
    assert top in out and f"top head antiberty {top}" in err


def test_stats_over_a_list_file_csv_and_heatmap(capsys, hpx_file, tmp_path):
    listing = tmp_path / "set.txt"
    listing.write_text(f"# two structures\n{hpx_file}\n{HPX_FILE.parent / '1AKU.pdb'}\n")
    heat = tmp_path / "heat.png"
    code, out, _ = _run(
        capsys,
        "stats",
        f"@{listing}",
        "--property",
        "contact",
        "helix",
        "--format",
        "csv",
        "--heatmap",
        str(heat),
        "-q",
    )
    assert code == 0 and heat.stat().st_size > 5_000
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["property"] for r in rows} == {"contact", "helix"}
    assert len(rows) == 2 * 64
    # the values, not only the keys: the API's statistics of the same two files
    from protattn.api.stats import head_statistics

    stats = head_statistics(
        [protattn.read_structure(hpx_file), protattn.read_structure(HPX_FILE.parent / "1AKU.pdb")],
        "antiberty",
        ["contact", "helix"],
    )
    for row in rows:
        layer, head = int(row["layer"]) - 1, int(row["head"]) - 1
        expected = stats[row["property"]]
        assert int(row["n_arcs"]) == expected.n_arcs[layer, head]
        assert int(row["hits"]) == expected.hits[layer, head]


def _readme_worked_example() -> dict[str, dict[str, str]]:
    """The README's worked example table (definition -> hits, arcs, share ...)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**Worked example**") :]
    rows = {}
    for line in section.splitlines()[1:20]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in ("paper", "judged"):
            rows[cells[0]] = dict(zip(("hits", "arcs", "share", "interval", "z"), cells[1:]))
    return rows


def test_definitions_on_the_readmes_worked_example(capsys):
    example = _readme_worked_example()
    assert set(example) == {"paper", "judged"}
    rows = {}
    for definition in ("paper", "judged"):
        code, out, _ = _run(
            capsys,
            "heads",
            HPV,
            "--property",
            "contact",
            "--definition",
            definition,
            "--all-heads",
            "--top",
            "0",
            "--format",
            "csv",
            "-q",
        )
        assert code == 0
        table = list(csv.DictReader(io.StringIO(out)))
        assert {r["definition"] for r in table} == {definition}
        rows[definition] = next(r for r in table if r["layer_head"] == "2-3")
        want = example[definition]
        assert rows[definition]["hits"] == want["hits"]
        assert rows[definition]["n_arcs"] == want["arcs"].replace(",", "")
        assert f"{100 * float(rows[definition]['share']):.2g}%" == want["share"]
        low, high = (float(rows[definition][k]) for k in ("ci_low", "ci_high"))
        assert f"[{100 * low:.2g}%, {100 * high:.2g}%]".replace("[0%", "[0.0%") in want["interval"]
        z = abs(float(rows[definition]["z"]))
        assert f"+{z:.1f}" in want["z"]
    # same hits, but the paper's denominator holds every arc of the head
    assert rows["paper"]["hits"] == rows["judged"]["hits"]
    assert int(rows["paper"]["n_arcs"]) > int(rows["judged"]["n_arcs"])
    # z orientations: the paper's is background minus head, judged's head minus background
    for definition, sign in (("paper", -1), ("judged", 1)):
        row = rows[definition]
        assert np.sign(float(row["z"])) == sign * np.sign(
            float(row["share"]) - float(row["background"])
        )


def test_every_output_says_its_definition(capsys, tmp_path):
    code, out, err = _run(capsys, "heads", HPV, "--property", "binding_site", "-q")
    assert code == 0 and "paper's definition" in out.splitlines()[1]
    code, out, err = _run(
        capsys,
        "heads",
        HPV,
        "--property",
        "binding_site",
        "-q",
        "--definition",
        "judged",
        "--format",
        "json",
    )
    assert json.loads(out)["definition"] == "judged"
    heat = tmp_path / "heat.svg"
    code, out, err = _run(
        capsys, "stats", HPV, "--property", "contact", "-q", "--heatmap", str(heat)
    )
    assert json.loads(out)["definition"] == "paper" and "the paper's definition" in err
    assert (
        "the paper&#x27;s definition" in heat.read_text()
        or "the paper's definition" in heat.read_text()
    )


def test_the_paper_definition_refuses_windows(capsys):
    code, _, err = _run(capsys, "stats", HPV, "--window", "50", "-q")
    assert code == 2 and "definition judged" in err and "windows" in err
    code, out, _ = _run(
        capsys,
        "stats",
        HPV,
        "--property",
        "contact",
        "--window",
        "50",
        "--definition",
        "judged",
        "-q",
    )
    assert code == 0 and json.loads(out)["definition"] == "judged"


def test_contacts_json(capsys, hpx_file):
    code, out, err = _run(capsys, "contacts", hpx_file, "--chain", "A", "--heads", "3-2,5-4")
    assert code == 0
    data = json.loads(out)
    assert data["heads"] == ["3-2", "5-4"] and len(data["predictions"]) == 99
    assert set(data["precision"]) >= {"local", "short", "medium", "long", "all"}
    assert "precision at L" in err and "local" in err
    # precision at L over all ranges: the share of the 99 predictions that are contacts
    contacts = sum(bool(p["contact"]) for p in data["predictions"])
    assert data["precision"]["all"]["L"] == pytest.approx(contacts / 99)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["heads", "/no/such.pdb"], "no such file"),
        (["stats", "@/no/list.txt"], "no such list file"),
        (["heads", "PLACEHOLDER", "--property", "bogus"], "unknown property"),
        (["contacts", "PLACEHOLDER", "--chain", "A,B"], "one chain at a time"),
        (["contacts", "PLACEHOLDER", "--method", "esm"], "only ESM models"),
    ],
)
def test_analysis_errors(capsys, hpx_file, argv, message):
    code, _, err = _run(capsys, *[hpx_file if a == "PLACEHOLDER" else a for a in argv])
    assert code == 2 and message in err


def test_half_precision_is_refused_where_it_cannot_run(shared_dir):
    """--dtype reaches the model loader: AntiBERTy and any model on the CPU say what to do."""
    import contextlib
    import io

    from protattn.cli import main

    path = str(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["pairs", path, "--layer-head", "6-3", "--dtype", "float16"]) != 0
    assert "AntiBERTy runs in float32 only, not float16" in err.getvalue()


def test_render_on_a_fixed_scale_says_so(capsys, tmp_path):
    png = tmp_path / "pairs.png"
    args = ["render", HPV, "--layer-head", "6-3", "--min-separation", "6", "--png", str(png)]
    code, _, err = _run(
        capsys, *args, "--range", "full", "--radius", "0.2", "--width", "240", "--height", "180"
    )
    assert code == 0, err
    assert "colour 0-1 (attention, fixed); radius 0.2 A" in err
    assert png.stat().st_size > 0


@pytest.mark.parametrize(("option", "value"), [("--range", "0.5,0.1"), ("--radius", "wide")])
def test_render_refuses_a_bad_scale_with_its_message(capsys, tmp_path, option, value):
    with pytest.raises(SystemExit) as exit_:
        main(
            ["render", HPV, "--layer-head", "6-3", "--png", str(tmp_path / "x.png"), option, value]
        )
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    said = {"--range": "lo < hi", "--radius": "a radius is a positive number of Å from 0.001 to 10"}
    assert option.strip("-") in err and said[option] in err, err


def test_heads_without_any_positive_says_so_and_draws_nothing(capsys, tmp_path, shared_dir):
    vfb = str(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif")
    png = tmp_path / "top.png"
    code, out, err = _run(
        capsys, "heads", vfb, "--property", "binding_site", "--png", str(png), "--min-arcs", "1"
    )
    assert code == 0, err
    assert "no binding-site residue" in out and "nothing is ranked or drawn" in out
    assert "nothing drawn" in err and not png.exists()
    assert not any(line.strip().startswith(("1-", "2-")) for line in out.splitlines())
    # in JSON the heads list is empty and the reason goes to standard error
    code, out, err = _run(capsys, "heads", vfb, "--property", "binding_site", "--format", "json")
    assert json.loads(out)["heads"] == [] and "no binding-site residue" in err


def test_stats_heatmap_of_enrichment_over_the_background(capsys, tmp_path):
    from PIL import Image

    shares, enrichment = tmp_path / "share.png", tmp_path / "enrichment.png"
    base = ["stats", HPV, "--property", "binding_site", "--min-arcs", "1", "-q"]
    code, _, err = _run(capsys, *base, "--heatmap", str(shares), "-o", str(tmp_path / "a.json"))
    assert code == 0, err
    assert "best head" in err
    args = [*base, "--heatmap", str(enrichment), "--enrichment", "-o", str(tmp_path / "b.json")]
    code, _, err = _run(capsys, *args)
    assert code == 0, err

    def blues(path):
        image = np.asarray(Image.open(path).convert("RGB")).astype(int)
        return int(((image[..., 2] - image[..., 0]) > 60).sum())

    # the diverging map has blue (below the background); the sequential one has none
    assert blues(enrichment) > 200 and blues(shares) < 20


@pytest.mark.parametrize(
    ("argv", "option", "says"),
    [
        (["pairs", HPV, "--layer-head", "6-3", "--top-k", "-5"], "--top-k", "at least 1"),
        (["pairs", HPV, "--layer-head", "6-3", "--top-k", "0"], "--top-k", "at least 1"),
        (["pairs", HPV, "--layer-head", "6-3", "--threshold", "-1"], "--threshold", "above 0"),
        (["pairs", HPV, "--layer-head", "6-3", "--threshold", "0"], "--threshold", "above 0"),
        (["pairs", HPV, "--layer-head", "6-3", "--threshold", "2"], "--threshold", "at most 1"),
        (["pairs", HPV, "--layer-head", "6-3", "--threshold", "nan"], "--threshold", "above 0"),
        (["pairs", HPV, "--layer-head", "6-3", "--min-separation", "-2"], "--min-separation",
         "whole number"),
        (["stats", HPV, "--threshold", "1.5"], "--threshold", "at most 1"),
    ],
)  # fmt: skip
def test_nonsense_numbers_exit_2_before_any_run(capsys, argv, option, says):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert option in err and says in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["pairs", HPV, "--layer-head", "6-3", "-o", "/no/such/dir/x.csv"], "does not exist"),
        (["stats", HPV, "--property", "contact", "--heatmap", "h.jpg"], "cannot write a .jpg"),
        (["heads", HPV, "--property", "contact", "--plot", "p.gif"], "cannot write a .gif"),
        (["render", HPV, "--layer-head", "6-3", "--png", "x.svg"], "cannot write a .svg"),
        (["pairs", HPV, "--layer-head", "6-3", "--min-separation", "1000"], "longest chain"),
    ],
)
def test_outputs_and_separations_are_refused_before_any_output(capsys, argv, says):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and says in err and err.startswith("protattn: error:")
    assert out == "" and "Traceback" not in err  # nothing printed before the error


def test_a_file_of_several_models_says_which_is_used_and_state_chooses(capsys, tmp_path):
    atoms = [line for line in Path(HPV).read_text().splitlines() if line.startswith("ATOM")]
    moved = [line[:30] + f"{float(line[30:38]) + 50:8.3f}" + line[38:] for line in atoms]
    nmr = tmp_path / "nmr.pdb"
    nmr.write_text("\n".join(["MODEL 1", *atoms, "ENDMDL", "MODEL 2", *moved, "ENDMDL", ""]))
    code, out, err = _run(capsys, "pairs", str(nmr), "--layer-head", "6-3", "--format", "json")
    assert code == 0, err
    assert "2 models in the file: model 1 is used" in err
    code, out2, err = _run(
        capsys, "pairs", str(nmr), "--layer-head", "6-3", "--format", "json", "--state", "2"
    )
    assert code == 0 and "model 2 is used" in err
    # the same sequence, so the same pairs and weights; the coordinates are state 2's
    assert json.loads(out)["pairs"] == json.loads(out2)["pairs"]
    code, _, err = _run(capsys, "pairs", str(nmr), "--layer-head", "6-3", "--state", "3")
    assert code == 2 and "choose a state from 1 to 2" in err


def _bad_files(tmp_path, shared) -> dict[str, Path]:
    cif = shared / "data" / "structures" / "antibody" / "1JRH.cif"
    pdb = Path(HPV).read_text()
    files = {
        "empty.pdb": "",
        "binary.pdb": "\x00\x01\x02\xff" * 50,
        "truncated.pdb": pdb[:300],
        "header.cif": cif.read_text().split("loop_\n_atom_site.")[0],
        "waters.pdb": "\n".join(line for line in pdb.splitlines() if line.startswith("HETATM")),
    }
    paths = {}
    for name, text in files.items():
        path = tmp_path / name
        path.write_bytes(text.encode("latin-1"))
        paths[name] = path
    return paths


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("empty.pdb", "is empty"),
        ("binary.pdb", "is not a text file"),
        ("truncated.pdb", "holds no atoms"),
        ("header.cif", "without an atom_site table"),
        ("waters.pdb", "has no protein chain"),
    ],
)
def test_bad_files_exit_2_naming_the_file(capsys, tmp_path, shared_dir, name, says):
    path = _bad_files(tmp_path, shared_dir)[name]
    for command in (["pairs", str(path), "--layer-head", "6-3"], ["stats", str(path), "-q"]):
        code, out, err = _run(capsys, *command)
        assert code == 2 and says in err and str(path) in err and "Traceback" not in err
        assert out == ""


def test_a_file_named_for_the_other_format_is_read_and_noted(capsys, tmp_path):
    misnamed = tmp_path / "1hpv.cif"
    misnamed.write_text(Path(HPV).read_text())
    code, out, err = _run(capsys, "pairs", str(misnamed), "--layer-head", "6-3")
    assert code == 0 and "read as PDB, as its content is, though named .cif" in err
    _, plain, _ = _run(capsys, "pairs", HPV, "--layer-head", "6-3")
    assert out == plain  # the same pairs as the file under its right name
