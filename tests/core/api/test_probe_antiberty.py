"""Probing by layer on real AntiBERTy and real antibody structures (heavy and light chains)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from protattn.api.probe import probe_structures, task_names
from protattn.cli import main
from protattn.errors import ProtattnError
from protattn.structure.io import read_structure

#: Fab fragments (heavy and light chains; some with lysozyme or a peptide), all < 250 residues.
FILES = ("1VFB.cif", "3HFM.cif", "1S3K.cif", "2IGF.cif", "5E08.cif", "1IND.cif", "1JRH.cif")


@pytest.fixture(scope="module")
def structures(shared_dir):
    folder = shared_dir / "data" / "structures" / "antibody"
    return [read_structure(folder / name) for name in FILES]


@pytest.fixture(scope="module")
def result(structures, antiberty):
    return probe_structures(
        structures,
        antiberty,
        ("secondary_structure", "contact"),
        held_out=0.4,
        seed=0,
        resamples=500,
    )


def test_hidden_states_are_one_per_layer_and_the_embeddings(antiberty):
    sequence = "EVQLVESGGGLVQPGGSLRLSCAASGFTFS"
    states = antiberty.hidden_states(sequence)
    assert states.shape == (antiberty.n_layers + 1, len(sequence), 512)
    assert states.dtype == np.float32
    assert not np.allclose(states[0], states[1])  # layer 0 is the embeddings, not layer 1
    # the network's own hidden states at the residue tokens: [CLS] and [SEP] dropped
    import torch

    ids, (residues,) = antiberty.tokenize([sequence])
    assert residues.tolist() == list(range(1, len(sequence) + 1))
    with torch.inference_mode():
        out = antiberty.model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    tokens = np.stack([h[0].numpy() for h in out.hidden_states])
    assert np.allclose(states, tokens[:, 1:-1], atol=1e-5)


def test_the_split_holds_chains_out_and_keeps_sequences_apart(result, structures):
    assert result.train_chains and result.test_chains
    assert not set(result.train_chains) & set(result.test_chains)
    sequences = {f"{s.name} {c.id}": c.sequence for s in structures for c in s.chains}
    assert not {sequences[n] for n in result.train_chains} & {
        sequences[n] for n in result.test_chains
    }
    assert {n.split()[1] for n in result.test_chains} & {"H", "L", "A", "B"}


def test_secondary_structure_is_probed_above_the_majority_class(result, antiberty):
    ss = result.task("secondary_structure")
    assert [s.layer for s in ss.layers] == list(range(antiberty.n_layers + 1))
    best = ss.best
    assert best is not None
    # the probe's interval at its best layer lies above always answering the commonest class
    assert best.low > ss.baseline, (best, ss.baseline)
    assert all(s.low <= s.value <= s.high for s in ss.layers)


def test_contacts_are_probed_above_the_test_contact_rate(result, antiberty):
    contact = result.task("contact")
    assert [s.layer for s in contact.layers] == list(range(1, antiberty.n_layers + 1))
    best = contact.best
    assert best is not None and best.value > 1.5 * contact.baseline, (best, contact.baseline)
    assert any("layer 1" in note for note in result.notes)


def test_a_model_without_hidden_states_or_too_few_chains_is_refused(structures, antiberty):
    class Remote:  # what a worker's model offers: no hidden states, no dense attention
        name = "antiberty"
        max_residues = 510

    with pytest.raises(ProtattnError, match="hidden states"):
        probe_structures(structures, Remote(), ("secondary_structure",))  # type: ignore[arg-type]
    with pytest.raises(ProtattnError, match="at least 2 different chains"):
        probe_structures(structures[:1], antiberty, ("contact",), chains=["A"])


def test_task_names():
    assert task_names(None) == ("secondary_structure", "binding_site", "contact")
    with pytest.raises(ProtattnError, match="unknown task 'helix'"):
        task_names(["helix"])


def test_the_command_writes_the_table_csv_and_figure(shared_dir, tmp_path, capsys):
    folder = shared_dir / "data" / "structures" / "antibody"
    csv_path, png = tmp_path / "probe.csv", tmp_path / "probe.png"
    files = [str(folder / name) for name in ("1VFB.cif", "1S3K.cif")]
    code = main(
        ["probe", *files, "--png", str(png), "-o", str(csv_path), "-q", "--held-out", "0.3"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "precision at L/5" in out and "accuracy (4 classes)" in out
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"task", "layer", "metric", "value", "ci_low", "ci_high", "baseline"} <= set(rows[0])
    per_task = {t: [int(r["layer"]) for r in rows if r["task"] == t] for t in {"contact"}}
    assert per_task["contact"] == list(range(1, 9))
    assert len(rows) == 9 + 9 + 8  # two residue tasks from layer 0, contacts from layer 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_checks_outputs_before_any_work(shared_dir, tmp_path, capsys):
    folder = shared_dir / "data" / "structures" / "antibody"
    code = main(["probe", str(folder / "1VFB.cif"), "--png", str(tmp_path / "no" / "where.png")])
    assert code == 2
    assert "protattn: error:" in capsys.readouterr().err
