"""Per-head statistics streamed while the model runs, against the forward pass alone.

For ESM-2-shaped models with random weights (built here with ``save_pretrained`` and
loaded from the folder, as a user's own model is) and one chain of L residues, each
method runs in a fresh process, which reports its wall time and peak resident memory:

- ``bare``: the forward pass with transformers' default (SDPA) kernel, no attention;
- ``eager``: the eager forward pass protattn loads, no attention kept (the floor of
  any method that sees every head's attention with transformers' kernels);
- ``naive``: ``output_attentions=True``, every layer kept in float32;
- ``whole``: per-head statistics of 26 properties (contacts, a binding site, four
  secondary-structure classes, twenty amino acids) from the whole attention array,
  as protattn counted before streaming (the model run whole, then counted);
- ``stream``: the same statistics counted layer by layer while the pass runs.

    .venv/bin/python benchmarks/bench_stream.py                     # 8M and 150M shapes
    .venv/bin/python benchmarks/bench_stream.py --shapes 150M 650M --lengths 512 1000
    .venv/bin/python benchmarks/bench_stream.py --quick             # a check that it runs

Results (a Markdown table with the machine and versions) are appended to
``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = {  # layers, heads, hidden size (ESM-2 checkpoints)
    "8M": (6, 20, 320),
    "150M": (30, 20, 640),
    "650M": (33, 20, 1280),
    "3B": (36, 40, 2560),
}
METHODS = ("bare", "eager", "naive", "whole", "stream")
RESIDUES = "ACDEFGHIKLMNPQRSTVWY"


def build(shape: str, root: str) -> str:
    """A random-weight ESM-2 of this shape saved under ``root`` (reused if there)."""
    import torch
    import transformers

    directory = os.path.join(root, f"esm2_{shape}_random")
    if os.path.isfile(os.path.join(directory, "config.json")):
        return directory
    layers, heads, hidden = SHAPES[shape]
    vocab = ["<cls>", "<pad>", "<eos>", "<unk>", *"LAGVSERTIDPKQNFYMHWCXBUZO", ".", "-",
             "<null_1>", "<mask>"]
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "vocab.txt"), "w") as fh:
        fh.write("\n".join(vocab) + "\n")
    tokenizer = transformers.EsmTokenizer(os.path.join(directory, "vocab.txt"))
    config = transformers.EsmConfig(
        vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=1026,
        position_embedding_type="rotary", pad_token_id=1, mask_token_id=len(vocab) - 1,
        token_dropout=True, emb_layer_norm_before=False)
    torch.manual_seed(0)
    model = transformers.EsmForMaskedLM(config)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return directory


def _masks(n: int, seed: int = 0) -> dict:
    import numpy as np

    from protattn.statistics import PropertyMask

    rng = np.random.default_rng(seed)
    sequence = "".join(rng.choice(list(RESIDUES), n))
    separated = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) >= 6
    contact = rng.random((n, n)) < 0.03
    contact = (contact | contact.T) & separated
    observed = np.broadcast_to(rng.random(n) < 0.97, (n, n))
    ss = rng.choice(list("HETC"), n)
    masks = {"contact": PropertyMask.pair(contact, valid=separated & observed & observed.T),
             "binding_site": PropertyMask.residue(rng.random(n) < 0.05, valid=observed)}
    for name, code in (("helix", "H"), ("strand", "E"), ("turn_bend", "T"), ("other", "C")):
        masks[name] = PropertyMask.residue(ss == code, valid=observed)
    for aa in RESIDUES:
        masks[f"aa:{aa}"] = PropertyMask.residue(np.array([c == aa for c in sequence]))
    return sequence, masks


def run_one(directory: str, method: str, length: int, repeats: int = 1) -> dict:
    """One method in this process: median seconds of ``repeats`` runs after a warm-up, and
    the peak resident memory (GB)."""
    import torch

    import protattn
    from protattn.statistics import HeadStatsAccumulator
    from protattn.stream import stream_attention

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    sequence, masks = _masks(length)
    if method == "bare":
        import transformers

        model = transformers.EsmForMaskedLM.from_pretrained(directory).eval()
        ids = transformers.EsmTokenizer.from_pretrained(directory)(sequence,
                                                                   return_tensors="pt")
        run = lambda: model(**ids)  # noqa: E731
    else:
        lm = protattn.load_model(directory, device="cpu")
        ids, _ = lm.tokenize([sequence])

        def run():
            if method == "eager":
                return lm.forward(ids, output_attentions=False)
            if method == "naive":
                return lm.forward(ids, output_attentions=True)
            acc = HeadStatsAccumulator(lm.n_layers, lm.n_heads)
            if method == "whole":
                acc.add(lm.attention(sequence), masks)
            else:
                counter = acc.chain(length, masks)
                stream_attention(lm, [sequence],
                                 lambda i, layer: counter.add_layer(i, layer, finite=True))
                counter.close()
            return acc.result()
    with torch.inference_mode():
        run()  # warm: kernels, allocator
    loaded = _rss_gb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.inference_mode():
            run()
        times.append(time.perf_counter() - start)
    seconds = sorted(times)[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"method": method, "seconds": seconds, "loaded_gb": loaded,
            "peak_gb": max(peak, peak_before)}


def _rss_gb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["8M", "150M"], choices=list(SHAPES))
    parser.add_argument("--lengths", nargs="+", type=int, default=[512, 1000])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--models", default=os.path.join(tempfile.gettempdir(),
                                                         "protattn-bench-models"))
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs of each method after a warm-up; the median counts")
    parser.add_argument("--quick", action="store_true", help="8M shape, L=64: does it run")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--one", nargs=4, metavar=("DIR", "METHOD", "L", "REPEATS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], int(args.one[2]), int(args.one[3]))))
        return
    if args.quick:
        args.shapes, args.lengths, args.repeats = ["8M"], [64], 1
    lines = ["| shape | L | " + " | ".join(f"{m} s (×eager, ×bare)" for m in args.methods)
             + " | " + " | ".join(f"{m} peak GB (+bare)" for m in args.methods) + " |",
             "|---|---|" + "---|" * (2 * len(args.methods))]
    print(lines[0], lines[1], sep="\n", flush=True)
    for shape in args.shapes:
        directory = build(shape, args.models)
        for length in args.lengths:
            results = {}
            for method in args.methods:
                out = subprocess.run([sys.executable, __file__, "--one", directory, method,
                                      str(length), str(args.repeats)],
                                     capture_output=True, text=True, check=True,
                                     env={**os.environ, "HF_HUB_OFFLINE": "1"})
                results[method] = json.loads(out.stdout.strip().splitlines()[-1])
            eager = results.get("eager", {}).get("seconds")
            bare = results.get("bare", {}).get("seconds")
            bare_peak = results.get("bare", {}).get("peak_gb")

            def ratio(x, base):
                return f"{x / base:.2f}" if base else "–"

            def above(peak, base=bare_peak):
                return "–" if base is None else f"{peak - base:+.2f}"
            times = " | ".join(
                f"{r['seconds']:.2f} ({ratio(r['seconds'], eager)}, {ratio(r['seconds'], bare)})"
                for r in results.values())
            peaks = " | ".join(f"{r['peak_gb']:.2f} ({above(r['peak_gb'])})"
                               for r in results.values())
            line = f"| {shape} | {length} | {times} | {peaks} |"
            lines.append(line)
            print(line, flush=True)
    if not args.no_record:
        import torch
        import transformers

        record = [f"\n## {datetime.date.today()}: streamed statistics (`bench_stream.py`)\n",
                  f"Command: `{' '.join([os.path.relpath(sys.executable), *sys.argv])}`  ",
                  f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads, "
                  f"{platform.python_implementation()} {platform.python_version()}, torch "
                  f"{torch.__version__}, transformers {transformers.__version__}, device cpu\n",
                  *lines, ""]
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as fh:
            fh.write("\n".join(record) + "\n")


if __name__ == "__main__":
    main()
