"""Every consumer of one streamed pass, against the forward pass alone.

For AntiBERTy (its real weights) and ESM-2-shaped models with random weights (built
here with ``save_pretrained`` and loaded from the folder, as a user's own model is),
and one chain of L residues, each method runs in a fresh process, which reports its
wall time (median of ``--repeats`` after a warm-up) and peak resident memory:

- ``bare``: the forward pass with transformers' default (SDPA) kernel, no attention;
- ``eager``: the eager forward pass protattn loads, no attention kept (the floor of
  any method that sees every head's attention with transformers' kernels);
- ``naive``: ``output_attentions=True``, every layer kept in float32;
- ``pairs``: :func:`protattn.compute_pairs` of one head at threshold 0.1, from no
  cache: one streamed pass that builds and files the compact attention;
- ``scores``: :func:`protattn.compute_scores` of one head, from no cache;
- ``stats``: per-head statistics of 26 properties (contacts, a binding site, four
  secondary-structure classes, twenty amino acids), counted layer by layer during
  the pass, which also builds the compact attention (what ``head_statistics`` runs
  per chain);
- ``contacts``: unsupervised contact scores of ten chosen heads (one more pass with
  their features summed per layer);
- ``grid``: the statistics of one property (contacts) behind the layer x head grids;
- ``whole``: the 26 properties' statistics from the dense array (the model run
  whole, then counted: the path before streaming).

    .venv/bin/python benchmarks/bench_stream.py --shapes antiberty 8M 150M 650M \
        --lengths 128 256 512 1000
    .venv/bin/python benchmarks/bench_stream.py --quick             # a check that it runs

AntiBERTy takes at most 510 residues in one pass: longer chains run as its windows.
Results (a Markdown table with the machine, versions and device) are appended to
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
SHAPES = {  # layers, heads, hidden size (ESM-2 checkpoints; AntiBERTy: its own weights)
    "antiberty": (8, 8, 512),
    "8M": (6, 20, 320),
    "150M": (30, 20, 640),
    "650M": (33, 20, 1280),
    "3B": (36, 40, 2560),
}
METHODS = ("bare", "eager", "naive", "pairs", "scores", "stats", "contacts", "grid", "whole")
RESIDUES = "ACDEFGHIKLMNPQRSTVWY"


def build(shape: str, root: str) -> str:
    """A random-weight ESM-2 of this shape saved under ``root`` (reused if there)."""
    import torch
    import transformers

    if shape == "antiberty":
        return "antiberty"
    directory = os.path.join(root, f"esm2_{shape}_random")
    if os.path.isfile(os.path.join(directory, "config.json")):
        return directory
    layers, heads, hidden = SHAPES[shape]
    vocab = [
        "<cls>",
        "<pad>",
        "<eos>",
        "<unk>",
        *"LAGVSERTIDPKQNFYMHWCXBUZO",
        ".",
        "-",
        "<null_1>",
        "<mask>",
    ]
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "vocab.txt"), "w") as fh:
        fh.write("\n".join(vocab) + "\n")
    tokenizer = transformers.EsmTokenizer(os.path.join(directory, "vocab.txt"))
    config = transformers.EsmConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=1026,
        position_embedding_type="rotary",
        pad_token_id=1,
        mask_token_id=len(vocab) - 1,
        token_dropout=True,
        emb_layer_norm_before=False,
    )
    torch.manual_seed(0)
    model = transformers.EsmForMaskedLM(config)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return directory


def _masks(n: int, seed: int = 0) -> dict:
    import numpy as np

    from protattn.lm.masks import PropertyMask

    rng = np.random.default_rng(seed)
    sequence = "".join(rng.choice(list(RESIDUES), n))
    separated = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) >= 6
    contact = rng.random((n, n)) < 0.03
    contact = (contact | contact.T) & separated
    observed = np.broadcast_to(rng.random(n) < 0.97, (n, n))
    ss = rng.choice(list("HETC"), n)
    masks = {
        "contact": PropertyMask.pair(contact, valid=separated & observed & observed.T),
        "binding_site": PropertyMask.residue(rng.random(n) < 0.05, valid=observed),
    }
    for name, code in (("helix", "H"), ("strand", "E"), ("turn_bend", "T"), ("other", "C")):
        masks[name] = PropertyMask.residue(ss == code, valid=observed)
    for aa in RESIDUES:
        masks[f"aa:{aa}"] = PropertyMask.residue(np.array([c == aa for c in sequence]))
    return sequence, masks


def run_one(
    directory: str, method: str, length: int, repeats: int = 1, device: str = "cpu"
) -> dict:
    """One method in this process: median seconds of ``repeats`` runs after a warm-up, and
    the peak resident memory (GB)."""
    import shutil

    import numpy as np
    import torch

    import protattn
    from protattn.analysis.statistics import HeadStatsAccumulator
    from protattn.lm.contract import StreamRequest
    from protattn.lm.inference import clear_memory, stream_chain

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    cache = tempfile.mkdtemp(prefix="protattn-bench-cache-")
    os.environ["PROTATTN_CACHE"] = cache
    sequence, masks = _masks(length)
    if method == "bare":
        import transformers

        if directory == "antiberty":
            from protattn.lm.registry import antiberty_dir

            lm = protattn.load_model("antiberty", device=device)
            model = (
                transformers.BertForMaskedLM.from_pretrained(
                    os.path.join(antiberty_dir(), "AntiBERTy_md_smooth"), attn_implementation="sdpa"
                )
                .eval()
                .to(device)
            )
            plan = protattn.lm.windows.plan_windows(length, lm.max_residues, lm.max_residues // 2)
            batch = [lm.tokenize([sequence[s:e]])[0] for s, e in plan]
            ids = {"input_ids": torch.tensor(batch, device=device)}
        else:
            model = transformers.EsmForMaskedLM.from_pretrained(directory).eval().to(device)
            ids = transformers.EsmTokenizer.from_pretrained(directory)(
                sequence, return_tensors="pt"
            ).to(device)
        run = lambda: model(**ids)  # noqa: E731
    else:
        lm = protattn.load_model(directory, device=device)
        window = lm.max_residues if lm.max_residues and length > lm.max_residues else None
        if window:
            plan = protattn.lm.windows.plan_windows(length, window, window // 2)
            ids = [lm.tokenize([sequence[s:e]])[0] for s, e in plan]
        else:
            ids, _ = lm.tokenize([sequence])
        chain = protattn.Chain(
            "A", sequence, (None,) * length, np.full((length, 4, 3), np.nan), (None,) * length
        )
        top = tuple((1 + k % lm.n_layers, 1 + k % lm.n_heads) for k in range(10))

        def run():
            clear_memory()  # every run from nothing: no memory, an empty disk cache
            shutil.rmtree(cache, ignore_errors=True)
            if method == "eager":
                return lm.forward(ids, output_attentions=False)
            if method == "naive":
                return lm.forward(ids, output_attentions=True)
            if method == "pairs":
                return protattn.compute_pairs(
                    [chain],
                    "2-1",
                    model=lm.name if directory == "antiberty" else directory,
                    threshold=0.1,
                )
            if method == "scores":
                return protattn.compute_scores(
                    [chain], "2-1", model=lm.name if directory == "antiberty" else directory
                )
            if method in ("stats", "grid"):
                chosen = masks if method == "stats" else {"contact": masks["contact"]}
                return stream_chain(
                    lm, sequence, request=StreamRequest(counts=("paper", 0.3, chosen))
                ).counts
            if method == "contacts":
                return stream_chain(
                    lm, sequence, request=StreamRequest(contact_heads=top)
                ).contact_scores
            acc = HeadStatsAccumulator(lm.n_layers, lm.n_heads)  # whole
            acc.add(
                protattn.chain_attention(lm, sequence, memory=False, cache=False).attention, masks
            )
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
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    seconds = sorted(times)[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    out = {
        "method": method,
        "seconds": seconds,
        "loaded_gb": loaded,
        "peak_gb": max(peak, peak_before),
    }
    if device.startswith("cuda"):
        out["gpu_peak_gb"] = torch.cuda.max_memory_allocated() / 1024**3
    shutil.rmtree(cache, ignore_errors=True)
    return out


def _rss_gb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["8M", "150M"], choices=list(SHAPES))
    parser.add_argument("--lengths", nargs="+", type=int, default=[512, 1000])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument(
        "--models", default=os.path.join(tempfile.gettempdir(), "protattn-bench-models")
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed runs of each method after a warm-up; the median counts",
    )
    parser.add_argument("--quick", action="store_true", help="8M shape, L=64: does it run")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument(
        "--one",
        nargs=5,
        metavar=("DIR", "METHOD", "L", "REPEATS", "DEVICE"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    if args.one:
        print(
            json.dumps(
                run_one(args.one[0], args.one[1], int(args.one[2]), int(args.one[3]), args.one[4])
            )
        )
        return
    if args.quick:
        args.shapes, args.lengths, args.repeats = ["8M"], [64], 1
    gpu = args.device.startswith("cuda")
    lines = [
        "| shape | L | method | s | ×eager | ×bare | peak RSS GB | +bare GB |"
        + (" GPU peak GB |" if gpu else ""),
        "|---|---|---|---|---|---|---|---|" + ("---|" if gpu else ""),
    ]
    print(lines[0], lines[1], sep="\n", flush=True)
    for shape in args.shapes:
        directory = build(shape, args.models)
        for length in args.lengths:
            results = {}
            for method in args.methods:
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        directory,
                        method,
                        str(length),
                        str(args.repeats),
                        args.device,
                    ],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "HF_HUB_OFFLINE": "1"},
                )
                if out.returncode != 0:
                    sys.exit(f"{shape} L={length} {method} failed:\n{out.stderr[-3000:]}")
                results[method] = json.loads(out.stdout.strip().splitlines()[-1])
            eager = results.get("eager", {}).get("seconds")
            bare = results.get("bare", {}).get("seconds")
            bare_peak = results.get("bare", {}).get("peak_gb")

            def ratio(x, base):
                return f"{x / base:.2f}" if base else "–"

            for method, r in results.items():
                extra = f" {r.get('gpu_peak_gb', 0):.2f} |" if gpu else ""
                above = "–" if bare_peak is None else f"{r['peak_gb'] - bare_peak:+.2f}"
                line = (
                    f"| {shape} | {length} | {method} | {r['seconds']:.2f} | "
                    f"{ratio(r['seconds'], eager)} | {ratio(r['seconds'], bare)} | "
                    f"{r['peak_gb']:.2f} | {above} |{extra}"
                )
                lines.append(line)
                print(line, flush=True)
    if not args.no_record:
        import torch
        import transformers

        record = [
            f"\n## {datetime.date.today()}: every consumer of one pass (`bench_stream.py`)\n",
            f"Command: `{' '.join([os.path.relpath(sys.executable), *sys.argv])}`  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads, "
            f"{platform.python_implementation()} {platform.python_version()}, torch "
            f"{torch.__version__}, transformers {transformers.__version__}, device "
            f"{args.device}" + (f" ({torch.cuda.get_device_name()})" if gpu else "") + "\n",
            *lines,
            "",
        ]
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as fh:
            fh.write("\n".join(record) + "\n")


if __name__ == "__main__":
    main()
