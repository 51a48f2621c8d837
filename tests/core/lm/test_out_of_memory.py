"""A real out-of-memory error on a long chain: a message saying what to change, no cache entry.

Each case runs in a child process whose address space is capped (``RLIMIT_AS``) a little
above what it holds once the model is loaded, so the long chain's attention cannot be
allocated, as on a machine too small for it. Two places run out: the model's pass (one
pass of 12,000 residues: a BERT-shaped model whose positions reach that far) and the
engine's merge of a windowed chain (12,000 residues in windows of an ESM-shaped model's
1,022). After the error, the same process runs a short chain, and the cache holds that
chain's entry only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

_CHILD = textwrap.dedent(
    """
    import json, pathlib, resource, sys
    import torch, transformers
    import protattn
    from protattn.errors import ModelError

    family, directory, out = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    residues = "LAGVESIKRDTPNQFYMHCWX"
    torch.manual_seed(0)
    if family == "esm":
        vocab = ["<cls>", "<pad>", "<eos>", "<unk>", *residues, "<mask>"]
        (directory / "vocab.txt").write_text("\\n".join(vocab) + "\\n")
        tokenizer = transformers.EsmTokenizer(str(directory / "vocab.txt"))
        config = transformers.EsmConfig(
            vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=32, max_position_embeddings=1026,
            position_embedding_type="rotary", pad_token_id=1, mask_token_id=len(vocab) - 1)
        model = transformers.EsmModel(config, add_pooling_layer=False)
    else:
        vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                             *residues])}
        tokenizer = transformers.BertTokenizer(vocab=vocab, do_lower_case=False,
                                               model_max_length=12100)
        config = transformers.BertConfig(
            vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=32, max_position_embeddings=12100)
        model = transformers.BertModel(config)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)

    lm = protattn.load_model(str(directory), device="cpu")
    protattn.compact_attention(lm, "MKTAYIAKQR" * 5)  # warm: every allocator in place
    size = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (size * 1024 + 700 * 2**20, resource.RLIM_INFINITY))
    report = {"max_residues": lm.max_residues}
    try:
        protattn.compact_attention(lm, "MKTAYIAKQR" * 1200)
        report["error"] = None
    except ModelError as e:
        report["error"] = str(e)
    report["again"] = protattn.compact_attention(lm, "GSHMLEDPVK" * 5).length
    json.dump(report, open(out, "w"))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")
@pytest.mark.parametrize(
    ("family", "said"),
    [
        (
            "bert",
            "ran out of memory on 12002 tokens (x1) on cpu: run long chains in smaller windows",
        ),
        ("esm", "ran out of memory on a chain of 12000 residues on cpu (its attention takes"),
    ],
    ids=["the pass", "the windowed merge"],
)
def test_a_chain_too_long_for_memory_says_what_to_change(tmp_path, family, said):
    model, cache, out = tmp_path / "model", tmp_path / "cache", tmp_path / "out.json"
    model.mkdir()
    env = dict(os.environ, PROTATTN_CACHE=str(cache), OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, family, str(model), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["error"] is not None, "the long chain did not run out of memory"
    assert said in report["error"], report["error"]
    assert "another device" in report["error"]
    if family == "esm":
        assert report["max_residues"] < 12000  # the chain was windowed
        assert "a part of the chain" in report["error"]
    assert report["again"] == 50  # the process goes on
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert len(entries) == 2 and all(p.suffix == ".npz" for p in entries), entries  # the short two
