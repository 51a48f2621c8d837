"""Every model family through the path users take: save_pretrained, then load_model(directory).

The models are tiny and randomly initialised (the code paths of a family, not claims about
what attention means); their vocabularies are written here in each family's real layout.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import require

torch = require("torch")
transformers = require("transformers")

import protattn  # noqa: E402
from protattn.lm.loading import load_model  # noqa: E402
from protattn.lm.registry import LINKER  # noqa: E402

RESIDUES = "LAGVESIKRDTPNQFYMHCWXBUZO"
SEQUENCE = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"


def _esm(directory):
    vocab = ["<cls>", "<pad>", "<eos>", "<unk>", *RESIDUES, ".", "-", "<null_1>", "<mask>"]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = transformers.EsmTokenizer(str(directory / "vocab.txt"))
    config = transformers.EsmConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        position_embedding_type="rotary",
        pad_token_id=1,
        mask_token_id=len(vocab) - 1,
    )
    return tokenizer, transformers.EsmModel(config, add_pooling_layer=False)


def _bert(directory):
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *RESIDUES])}
    tokenizer = transformers.BertTokenizer(vocab=vocab, do_lower_case=False)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    return tokenizer, transformers.BertModel(config)


def _pieces(specials):
    return [(t, 0.0) for t in specials] + [(f"\u2581{aa}", -1.0) for aa in RESIDUES]


def _albert(directory):
    vocab = _pieces(["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"])
    tokenizer = transformers.AlbertTokenizer(vocab=vocab, do_lower_case=False)
    config = transformers.AlbertConfig(
        vocab_size=len(vocab),
        embedding_size=8,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    return tokenizer, transformers.AlbertModel(config)


def _xlnet(directory):
    vocab = _pieces(["<unk>", "<s>", "</s>", "<cls>", "<sep>", "<pad>", "<mask>"])
    tokenizer = transformers.XLNetTokenizer(vocab=vocab, do_lower_case=False)
    config = transformers.XLNetConfig(
        vocab_size=len(vocab), d_model=16, n_layer=2, n_head=2, d_inner=32
    )
    return tokenizer, transformers.XLNetModel(config)


def _t5(directory):
    vocab = _pieces(["<pad>", "</s>", "<unk>"])
    tokenizer = transformers.T5Tokenizer(vocab=vocab, extra_ids=0)
    config = transformers.T5Config(
        vocab_size=len(vocab),
        d_model=16,
        d_kv=8,
        d_ff=32,
        num_layers=2,
        num_heads=2,
        decoder_start_token_id=0,
    )
    return tokenizer, transformers.T5EncoderModel(config)


FAMILIES = {"esm": _esm, "bert": _bert, "albert": _albert, "xlnet": _xlnet, "t5": _t5}


def save_tiny(family: str, directory, seed: int = 0):
    """Build the tiny random model of ``family`` and save it (and its tokenizer) there."""
    torch.manual_seed(seed)
    tokenizer, model = FAMILIES[family](directory)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return model


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def tiny(request, tmp_path_factory):
    """(family name, directory, the model as built) for one tiny random model per family."""
    directory = tmp_path_factory.mktemp(f"tiny_{request.param}")
    return request.param, directory, save_tiny(request.param, directory)


def _token_attention(model, ids):
    model.eval()
    model.config._attn_implementation = "eager"
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([ids]), output_attentions=True)
    return np.stack([a[0].float().numpy() for a in out.attentions])


def test_family_loads_and_strips_its_special_tokens(tiny):
    family, directory, model = tiny
    lm = load_model(str(directory), device="cpu")
    assert lm.family.name == family
    assert (lm.n_layers, lm.n_heads) == (2, 2)

    ids, (where,) = lm.tokenize([SEQUENCE])
    tokens = lm.tokenizer.convert_ids_to_tokens(ids)
    # the special tokens sit where each family puts them
    first, last = {
        "esm": ("<cls>", "<eos>"),
        "bert": ("[CLS]", "[SEP]"),
        "albert": ("[CLS]", "[SEP]"),
        "xlnet": (None, "<cls>"),
        "t5": (None, "</s>"),
    }[family]
    assert tokens[-1] == last
    if first:
        assert tokens[0] == first and list(where) == list(range(1, len(SEQUENCE) + 1))
    else:
        assert list(where) == list(range(len(SEQUENCE)))  # residues first, specials last
    if family == "xlnet":
        assert tokens[-2:] == ["<sep>", "<cls>"]
    assert [t.lstrip("\u2581") for t in (tokens[k] for k in where)] == list(SEQUENCE)

    attention = lm.attention(SEQUENCE)
    assert attention.shape == (2, 2, len(SEQUENCE), len(SEQUENCE))
    assert attention.dtype == np.float32
    full = _token_attention(model, ids)
    np.testing.assert_allclose(attention, full[:, :, where][:, :, :, where], atol=1e-6)
    rows = attention.sum(-1)
    assert (rows <= 1 + 1e-5).all() and (rows > 0).all()  # not renormalised over residues


def test_standard_residues_are_checked_at_load_time(tiny):
    family, directory, _ = tiny
    lm = load_model(str(directory), device="cpu")
    ids, (where,) = lm.tokenize(["ACDEFGHIKLMNPQRSTVWY"])
    residue_tokens = [ids[k] for k in where]
    assert len(set(residue_tokens)) == 20 and lm.tokenizer.unk_token_id not in residue_tokens


def test_rare_residues_follow_the_family_convention(tiny):
    family, directory, _ = tiny
    lm = load_model(str(directory), device="cpu")
    ids, (where,) = lm.tokenize(["AUZOB"])
    tokens = [lm.tokenizer.convert_ids_to_tokens(ids[k]).lstrip("\u2581") for k in where]
    assert tokens == (["A", "U", "Z", "O", "B"] if family == "esm" else ["A", "X", "X", "X", "X"])


def test_concatenated_chains_map_back_to_each_chain(tiny):
    family, directory, model = tiny
    lm = load_model(str(directory), device="cpu")
    a, b = SEQUENCE[:12], SEQUENCE[12:]
    ids, (where_a, where_b) = lm.tokenize([a, b])
    tokens = lm.tokenizer.convert_ids_to_tokens(ids)
    between = tokens[where_a[-1] + 1 : where_b[0]]
    if lm.family.separator:
        assert between == [lm.family.separator]
    else:
        assert [t.lstrip("\u2581") for t in between] == list(LINKER)
    joint = lm.segment_attention([a, b])
    assert joint.shape == (2, 2, len(a) + len(b), len(a) + len(b))
    full = _token_attention(model, ids)
    keep = np.concatenate([where_a, where_b])
    np.testing.assert_allclose(joint, full[:, :, keep][:, :, :, keep], atol=1e-6)


@pytest.mark.parametrize(
    "segments", [[SEQUENCE], [SEQUENCE[:12], SEQUENCE[12:]]], ids=["one chain", "concatenated"]
)
def test_streamed_layers_equal_the_collected_attention(tiny, segments):
    """Hooks hand over each layer as the pass computes it: the same float32 values."""
    from protattn.lm.model import attention_modules
    from protattn.lm.stream import stream_attention

    family, directory, _ = tiny
    lm = load_model(str(directory), device="cpu")
    hooked = attention_modules(lm.model)
    # XLNet's attention modules return weights only when asked: it streams after the pass
    assert (hooked is None) == (family == "xlnet")
    layers = []
    n = stream_attention(lm, segments, lambda index, layer: layers.append((index, layer)))
    assert n == sum(map(len, segments)) and [i for i, _ in layers] == [0, 1]
    assert all(layer.dtype == np.float32 and layer.shape == (2, n, n) for _, layer in layers)
    np.testing.assert_array_equal(
        np.stack([layer for _, layer in layers]), lm.segment_attention(segments)
    )


def test_a_tokenizer_that_lower_cases_is_refused(tmp_path):
    tokenizer, model = _bert(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model.save_pretrained(tmp_path)
    bad = transformers.BertTokenizer.from_pretrained(tmp_path, do_lower_case=True)
    with pytest.raises(protattn.ModelError, match="unknown token|one token per residue"):
        protattn.LanguageModel(
            "lower",
            str(tmp_path),
            None,
            protattn.lm.families.FAMILIES["bert"],
            model,
            bad,
            62,
            "cpu",
            spaced=True,
        )


def test_a_directory_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(protattn.ModelError, match="not a model directory"):
        load_model(str(tmp_path), device="cpu")


def test_unreachable_model_with_hub_offline_names_the_model_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty_hf_home"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(
        "huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty_hf_home" / "hub")
    )
    with pytest.raises(protattn.ModelError) as err:
        load_model("esm2_t6_8M", device="cpu")
    message = str(err.value)
    assert "esm2_t6_8M" in message and "facebook/esm2_t6_8M_UR50D" in message
    assert "HF_HUB_OFFLINE" in message and "empty_hf_home" in message
    assert "directory" in message and "download" in message


# ------------------------------------------------------------ files that must not run


class _Touch:
    """Unpickling this creates ``path``: what a malicious pickled checkpoint would do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _copy_tiny(tmp_path, name="model"):
    import shutil

    source = tmp_path / "source"
    if not source.is_dir():
        source.mkdir()
        save_tiny("esm", source)
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def test_a_model_directory_never_runs_its_own_code(tmp_path):
    directory = _copy_tiny(tmp_path)
    marker = tmp_path / "code_ran"
    (directory / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from transformers import PretrainedConfig\n"
        "class EvilConfig(PretrainedConfig):\n    model_type = 'evil'\n"
    )
    config = json.loads((directory / "config.json").read_text())
    config.update(model_type="evil", auto_map={"AutoConfig": "evil.EvilConfig"})
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(protattn.ModelError) as err:
        protattn.load_model(str(directory))
    assert not marker.exists()  # the directory's code never ran
    assert "asks to run its own code" in str(err.value) and "never runs code" in str(err.value)


def test_pickled_weights_load_without_running_what_they_hold(tmp_path):
    directory = _copy_tiny(tmp_path)
    marker = tmp_path / "pickle_ran"
    for weights in directory.glob("*.safetensors"):
        weights.unlink()
    torch.save({"payload": _Touch(marker)}, directory / "pytorch_model.bin")
    with pytest.raises(protattn.ModelError, match="safetensors or with weights_only"):
        protattn.load_model(str(directory))
    assert not marker.exists()


def test_a_model_that_fails_to_load_midway_is_an_error_and_not_remembered(tmp_path):
    import shutil

    directory = _copy_tiny(tmp_path)
    (weights,) = directory.glob("*.safetensors")
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 2])  # cut off mid-file, as a failed copy is
    with pytest.raises(protattn.ModelError, match="could not be loaded"):
        protattn.load_model(str(directory))
    weights.write_bytes(whole)  # mended: the next load reads it, no failure was kept
    lm = protattn.load_model(str(directory))
    assert lm.n_layers == 2
    shutil.rmtree(directory)
