"""AntiBERTy with its real weights (antiberty==0.1.3): tokens, attention, masked residues."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

import protattn
from protattn import ModelError, SequenceTooLongError
from protattn.lm.registry import STANDARD_RESIDUES

#: Start of a human VH3 germline heavy chain (framework 1 to CDR2).
VH3 = "EVQLVESGGGLVQPGGSLRLSCAASGFTFSSYAMSWVRQAPGKGLEWVSAISGSGGSTYYADSVKG"


def _vocab_file() -> list[str]:
    import antiberty

    path = os.path.join(os.path.dirname(antiberty.__file__), "trained_models", "vocab.txt")
    with open(path) as fh:
        return [line.strip() for line in fh]


def test_size(antiberty):
    assert antiberty.name == "antiberty"
    assert (antiberty.n_layers, antiberty.n_heads) == (8, 8)
    assert not antiberty.model.training  # dropout off: attention is reproducible


def test_every_standard_residue_has_its_own_token(antiberty):
    tokens = _vocab_file()
    unk = tokens.index("[UNK]")
    ids = []
    for aa in STANDARD_RESIDUES:
        encoded = antiberty.encode(aa)
        assert len(encoded) == 3
        assert tokens[encoded[0]] == "[CLS]" and tokens[encoded[2]] == "[SEP]"
        assert encoded[1] != unk
        assert tokens[encoded[1]] == aa  # the vocabulary file's own token for the residue
        ids.append(encoded[1])
    assert len(set(ids)) == 20
    # lower case is the same residue, not [UNK] (transformers' lower-casing pitfall)
    assert antiberty.encode(STANDARD_RESIDUES.lower()) == antiberty.encode(STANDARD_RESIDUES)
    # non-standard letters are unknown; "_" is a mask
    assert antiberty.encode("X")[1] == unk
    assert tokens[antiberty.encode("_")[1]] == "[MASK]"


def test_attention_shape_and_special_token_stripping(antiberty):
    seq = VH3
    n = len(seq)
    attention = antiberty.attention(seq)
    assert attention.shape == (8, 8, n, n)
    assert np.isfinite(attention).all()

    out = antiberty.forward(antiberty.encode(seq))
    raw = np.stack([a[0].float().cpu().numpy() for a in out.attentions])
    assert raw.shape == (8, 8, n + 2, n + 2)  # [CLS] residues [SEP]
    np.testing.assert_allclose(raw.sum(axis=-1), 1.0, atol=1e-4)  # softmax rows
    np.testing.assert_array_equal(attention, raw[:, :, 1 : n + 1, 1 : n + 1])

    rows = attention.sum(axis=-1)  # not renormalised after dropping [CLS] and [SEP]
    assert (rows <= 1.0 + 1e-5).all()
    assert (rows < 0.999).any()
    assert (attention >= 0).all()
    np.testing.assert_array_equal(antiberty.attention(seq), attention)  # deterministic


def test_too_long_and_empty_sequences(antiberty):
    assert antiberty.max_residues == antiberty.model.config.max_position_embeddings - 2 == 510
    with pytest.raises(SequenceTooLongError) as err:
        antiberty.attention("A" * 511)
    assert "511" in str(err.value) and "510" in str(err.value)
    assert isinstance(err.value, ModelError)
    assert antiberty.attention("G" * 510).shape == (8, 8, 510, 510)
    with pytest.raises(ModelError):
        antiberty.attention("")


def test_unknown_model_name():
    with pytest.raises(ModelError) as err:
        protattn.load_model("esm-17b-nonexistent")
    assert "esm-17b-nonexistent" in str(err.value)
    assert "antiberty" in str(err.value)  # the models that are available


@pytest.mark.parametrize("path", ["/no/such/dir", "./no_such_model", "~/no/such/model", "a/b/c"])
def test_a_missing_model_directory_is_named_as_a_folder_not_a_hub_id(path):
    with pytest.raises(ModelError) as err:
        protattn.load_model(path)
    message = str(err.value)
    assert f"model directory {path!r} does not exist" in message
    assert "hf download" not in message and "save_pretrained" in message


def test_load_model_is_cached(antiberty):
    assert protattn.load_model("antiberty") is antiberty
    assert protattn.load_model(" AntiBERTy ", device=antiberty.device) is antiberty


def _masked_accuracy(model, lm, sequence: str, positions: np.ndarray) -> float:
    """Mask each position on its own; argmax over the 20 residue tokens."""
    import torch

    residue_ids = torch.tensor([lm.vocab[aa] for aa in STANDARD_RESIDUES])
    rows = []
    for p in positions:
        masked = sequence[:p] + "_" + sequence[p + 1 :]
        rows.append(lm.encode(masked))
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor(rows, device=lm.device)).logits.cpu()
    token_positions = torch.as_tensor(positions) + 1  # after [CLS]
    picked = logits[torch.arange(len(positions)), token_positions][:, residue_ids]
    guesses = [STANDARD_RESIDUES[k] for k in picked.argmax(dim=-1).tolist()]
    return float(np.mean([g == sequence[p] for g, p in zip(guesses, positions)]))


def test_masked_residues_are_recovered_far_better_than_by_a_random_model(antiberty, shared_dir):
    """The real weights are loaded: masked residues of an antibody chain come back."""
    import torch
    from transformers import BertForMaskedLM

    structure = protattn.read_structure(
        shared_dir / "data" / "structures" / "antibody" / "1VFB.cif"
    )
    sequence = structure.chain("B").sequence  # VH of the D1.3 Fv, fully observed
    assert len(sequence) > 100 and "WGQG" in sequence
    rng = np.random.default_rng(7)
    positions = np.sort(rng.choice(len(sequence), size=round(0.15 * len(sequence)), replace=False))

    real = _masked_accuracy(antiberty.model, antiberty, sequence, positions)
    torch.manual_seed(0)
    config = copy.deepcopy(antiberty.model.config)
    random_model = BertForMaskedLM(config).eval().to(antiberty.device)
    baseline = _masked_accuracy(random_model, antiberty, sequence, positions)
    assert real > 0.5, real
    assert real > baseline + 0.3, (real, baseline)


def test_out_of_memory_says_what_to_change(antiberty, monkeypatch):
    def exhausted(*args, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 GB")

    monkeypatch.setattr(antiberty, "_forward", exhausted)
    with pytest.raises(ModelError) as err:
        antiberty.forward([2, 5, 6, 3])
    message = str(err.value)
    assert "ran out of memory on 4 tokens" in message
    assert "window" in message and "smaller model" in message and "device" in message
    # another RuntimeError is not mistaken for it
    monkeypatch.setattr(antiberty, "_forward", lambda *a, **k: (_ for _ in ()).throw(
        RuntimeError("shape mismatch")))  # fmt: skip
    with pytest.raises(RuntimeError, match="shape mismatch"):
        antiberty.forward([2, 5, 6, 3])
