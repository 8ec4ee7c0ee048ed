"""evaluate_massive.py's inference against `transformers.pipeline("text-classification")`, in one run.

    python benchmarks/bench_evaluate_massive.py                       # CPU: BERT-base shape, 2,000 utterances
    python benchmarks/bench_evaluate_massive.py --model-size tiny --utterances 20000
    python benchmarks/bench_evaluate_massive.py --full-massive --device cuda --dtypes bfloat16 --batch-sizes 256  # GPU

Both sides get the same utterances, the same randomly initialised model (weights do not change the speed), the
same batch size and the same precision, and each runs in a process of its own so that its peak memory is its own;
the time covers tokenisation and inference, not loading. "ours" is `ruqtopics_kit.massive.inference` (one batched
tokenizer call, length-sorted batches with dynamic padding, inference_mode, bf16 by autocast); "pipeline" is
`pipeline("text-classification", model=..., batch_size=..., dtype=...)` called on the list of utterances (it
batches through a DataLoader and pads each batch to its longest utterance). Every precision in `--dtypes` is run
for both sides (float32 is what evaluate_massive.py uses on a CPU by default, bfloat16 what it uses on CUDA),
and the agreement lines compare predicted classes.

The utterances are synthetic, short voice-assistant-like requests in six languages (word lists of
scripts/make_massive_sample.py), 1-30 words, lognormal around 7; the tokenizer is a WordPiece trained on them
and on the RuQTopics sample. `--full-massive` compares on 51 x 2,974 utterances and also writes a synthetic
MASSIVE 1.0-sized archive (51 locales, each with 11,514 train, 2,033 dev and 2,974 test records, scenarios in
MASSIVE's test proportions) and times the whole `evaluate_model` run on it (reading the archive, inference on the
mapped ~22% of the test utterances, metrics, outputs). `--write-results` writes the table and the command to
benchmarks/RESULTS_evaluate_massive.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS_FILE = ROOT / "benchmarks" / "RESULTS_evaluate_massive.md"
SIZES = {"base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
         "tiny": {"hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 1024}}
# MASSIVE's test utterances per scenario (they sum to 2,974); here only to give the synthetic archive realistic
# proportions, so that the six mapped scenarios are about 22% of it as in the real test set.
TEST_PER_SCENARIO = {"alarm": 96, "audio": 62, "calendar": 402, "cooking": 72, "datetime": 103, "email": 271,
                     "general": 189, "iot": 220, "lists": 142, "music": 81, "news": 124, "play": 387, "qa": 288,
                     "recommendation": 94, "social": 106, "takeaway": 57, "transport": 124, "weather": 156}
PARTITION_SIZES = {"test": 2974, "dev": 2033, "train": 11514}


# ---- inputs: utterances, model -----------------------------------------------------------------------------

def synthetic_utterances(count: int, seed: int = 0) -> list[str]:
    """Short requests: 1-30 words (lognormal around 7) from one language's word lists each."""
    from scripts.make_massive_sample import LANGUAGES

    rng = random.Random(seed)
    pools = [[w for words in lang["words"].values() for w in words] + lang["filler"] for lang in LANGUAGES.values()]
    return [" ".join(rng.choices(pool, k=min(30, max(1, round(rng.lognormvariate(math.log(7), 0.45))))))
            for pool in rng.choices(pools, k=count)]


def build_model(folder: Path, size: str) -> Path:
    """A randomly initialised BERT of `size` with six RuQTopics class names and a WordPiece tokenizer."""
    if (folder / "config.json").exists():
        return folder
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from ruqtopics_kit.facts.labels import massive_aligned
    from ruqtopics_kit.modeling.tiny_backbone import train_wordpiece

    sample = [json.loads(line)["question"] for line in
              (ROOT / "data" / "sample" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    tokenizer = train_wordpiece(synthetic_utterances(20_000, seed=1) + sample, vocab_size=8000)
    labels = massive_aligned()
    config = BertConfig(vocab_size=len(tokenizer), max_position_embeddings=512, num_labels=len(labels),
                        id2label=labels.id2label(), label2id=labels.label2id(), **SIZES[size])
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def full_massive_archive(path: Path, seed: int = 0) -> Path:
    """A synthetic archive shaped like MASSIVE 1.0: 51 locales x 16,521 records, scenarios in test proportions."""
    if path.exists():
        return path
    from ruqtopics_kit.massive import massive_locales
    from scripts.make_massive_sample import LANGUAGES, locale_records, plan, write_archive

    counts = {partition: _proportional(TEST_PER_SCENARIO, total) for partition, total in PARTITION_SIZES.items()}
    rows = plan(counts)
    random.Random(seed).shuffle(rows)
    locales = [code for code, locale in massive_locales().items() if locale.in_massive_1_0]
    records = {code: locale_records(code, rows, seed, language=LANGUAGES.get(code, LANGUAGES["en-US"]), held_out=0)
               for code in locales}
    return write_archive(records, path, version="1.0", compresslevel=1)


def _proportional(weights: dict[str, int], total: int) -> dict[str, int]:
    """Integer counts in proportion to `weights` summing to `total` (largest remainders)."""
    scale = total / sum(weights.values())
    counts = {key: int(weight * scale) for key, weight in weights.items()}
    by_remainder = sorted(weights, key=lambda key: weights[key] * scale - counts[key], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


# ---- one side, in its own process ----------------------------------------------------------------------------

def current_rss_gib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def run_side(side: str, precision: str, model: Path, texts: list[str], batch_size: int, device_name: str) -> dict:
    """Predicted class names and measurements of one side; the timed part is tokenisation plus inference."""
    import torch

    from ruqtopics_kit.massive.inference import encode, load_classifier, predict_logits, resolve_device

    device = resolve_device(device_name)
    bf16 = precision == "bfloat16"
    if side == "ours":
        tokenizer, classifier = load_classifier(str(model), device)
        names = classifier.config.id2label

        def predict(batch):
            sequences = encode(tokenizer, batch, 128)
            logits = predict_logits(classifier, sequences, pad_id=tokenizer.pad_token_id, batch_size=batch_size,
                                    device=device, autocast_dtype=torch.bfloat16 if bf16 else None, progress=False)
            return [names[i] for i in logits.argmax(axis=1)]
    else:
        from transformers import pipeline

        classify = pipeline("text-classification", model=str(model), device=device, batch_size=batch_size,
                            dtype=torch.bfloat16 if bf16 else None, truncation=True, max_length=128)

        def predict(batch):
            return [output["label"] for output in classify(batch)]

    predict(texts[: 2 * batch_size])  # warm-up: first-call allocations and kernel selection
    loaded_rss = current_rss_gib()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    labels = predict(texts)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return {"side": f"{side}, {precision}", "batch_size": batch_size, "seconds": seconds, "utterances": len(texts),
            "peak_rss_gib": peak_rss_gib(),
            "working_rss_gib": peak_rss_gib() - loaded_rss,
            "peak_cuda_gib": torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None,
            "labels": labels}


def run_end_to_end(precision: str, model: Path, archive: Path, output_dir: Path, batch_size: int,
                   device_name: str) -> dict:
    from ruqtopics_kit.massive.evaluate import evaluate_model

    start = time.perf_counter()
    result = evaluate_model(model, archive, output_dir, batch_size=batch_size, device=device_name, dtype=precision,
                            overwrite_output_dir=True, progress=False)
    return {"side": f"evaluate_model end to end, {precision}", "batch_size": batch_size,
            "seconds": time.perf_counter() - start,
            "utterances": int(result.table["n_utterances"].sum()), "peak_rss_gib": peak_rss_gib(),
            "working_rss_gib": None, "peak_cuda_gib": None, "labels": []}


def in_child(args: argparse.Namespace, side: str, precision: str, batch_size: int) -> dict:
    """Run one side in a fresh interpreter and return its JSON report."""
    command = [sys.executable, __file__, "--child", side, "--dtypes", precision, "--workdir", str(args.workdir),
               "--model-size", args.model_size, "--utterances", str(args.utterances), "--batch-sizes", str(batch_size),
               "--device", args.device] + (["--full-massive"] if args.full_massive else [])
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---- report --------------------------------------------------------------------------------------------------

def table(reports: list[dict]) -> str:
    lines = ["| side | batch | utterances | seconds | utterances/s | peak RSS GiB | RSS growth GiB | peak CUDA GiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in reports:
        growth = "" if r["working_rss_gib"] is None else f"{r['working_rss_gib']:.2f}"
        cuda = "" if r["peak_cuda_gib"] is None else f"{r['peak_cuda_gib']:.2f}"
        lines.append(f"| {r['side']} | {r['batch_size']} | {r['utterances']:,} | {r['seconds']:.1f} "
                     f"| {r['utterances'] / r['seconds']:,.0f} | {r['peak_rss_gib']:.2f} | {growth} | {cuda} |")
    return "\n".join(lines)


def best_of(rounds: list[list[dict]]) -> list[dict]:
    """Per run, the report of the fastest of its repeats."""
    return [min(reports, key=lambda report: report["seconds"]) for reports in zip(*rounds)]


def padded_tokens(lengths: list[int], batch_size: int) -> tuple[int, int]:
    """Token positions computed with batches in input order (the pipeline) and in length order (ours)."""
    def total(ordered: list[int]) -> int:
        return sum(len(batch) * max(batch) for batch in
                   (ordered[i:i + batch_size] for i in range(0, len(ordered), batch_size)))

    return total(lengths), total(sorted(lengths, reverse=True))


def agreement(first: dict, second: dict) -> float:
    return sum(a == b for a, b in zip(first["labels"], second["labels"])) / len(first["labels"])


def describe(args: argparse.Namespace, texts: list[str], model: Path) -> str:
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    in_order = [len(ids) for ids in tokenizer(texts)["input_ids"]]
    lengths = sorted(in_order)
    shape = SIZES[args.model_size]
    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    return (f"model: random BERT, {shape['num_hidden_layers']} layers, hidden {shape['hidden_size']} "
            f"({args.model_size}), vocabulary {len(tokenizer):,}, 6 classes; batch sizes {args.batch_sizes}; device "
            f"{device}; torch {torch.__version__}, "
            f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}\n"
            f"utterances: {len(texts):,}, tokens per utterance (with [CLS]/[SEP]) mean "
            f"{sum(lengths) / len(lengths):.1f}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}\n"
            + "\n".join(f"token positions computed per utterance at batch {size}: pipeline {pipe / len(texts):.1f}, "
                        f"ours {ours / len(texts):.1f} ({pipe / ours:.2f}x fewer)"
                        for size in map(int, args.batch_sizes.split(","))
                        for pipe, ours in [padded_tokens(in_order, size)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-size", choices=sorted(SIZES), default="base")
    parser.add_argument("--utterances", type=int, default=2000, help="utterances for the comparison")
    parser.add_argument("--batch-sizes", default="32,64",
                        help="batch sizes to compare, each for both sides (default: 32,64; evaluate_massive.py "
                             "uses 64)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--dtypes", default="float32,bfloat16",
                        help="precisions to compare, each for both sides (default: float32,bfloat16)")
    parser.add_argument("--full-massive", action="store_true",
                        help="51 locales x 2,974 test utterances for the comparison, plus an end-to-end "
                             "evaluate_model run on a synthetic MASSIVE-sized archive (meant for a GPU)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run every side this many times, interleaved, and keep each side's best time (other "
                             "processes on a shared machine only ever add time)")
    parser.add_argument("--skip-pipeline", action="store_true", help="time only our side")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-bench-massive"))
    parser.add_argument("--write-results", action="store_true", help=f"write the table to {RESULTS_FILE.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.full_massive:
        args.utterances = 51 * PARTITION_SIZES["test"]
    model = build_model(args.workdir / f"model-{args.model_size}", args.model_size)
    texts = synthetic_utterances(args.utterances)
    precisions = args.dtypes.split(",")
    batch_sizes = [int(size) for size in args.batch_sizes.split(",")]
    if args.child == "end-to-end":
        print(json.dumps(run_end_to_end(precisions[0], model,
                                        full_massive_archive(args.workdir / "massive-full-1.0.tar.gz"),
                                        args.workdir / "e2e-out", batch_sizes[0], args.device)))
        return
    if args.child:
        print(json.dumps(run_side(args.child, precisions[0], model, texts, batch_sizes[0], args.device)))
        return

    sides = ["ours"] if args.skip_pipeline else ["pipeline", "ours"]
    runs = [(side, precision, size) for size in batch_sizes for precision in precisions for side in sides]
    if args.full_massive:
        full_massive_archive(args.workdir / "massive-full-1.0.tar.gz")  # generated outside the timed run
        runs += [("end-to-end", precision, batch_sizes[-1]) for precision in precisions]
    reports = best_of([[in_child(args, *run) for run in runs] for _ in range(args.repeats)])
    lines = [describe(args, texts, model), "", table(reports), ""]
    by_run = {(r["side"], r["batch_size"]): r for r in reports}
    for size in batch_sizes if not args.skip_pipeline else []:
        baseline = by_run.get(("pipeline, float32", size))
        for precision in precisions:
            ours, theirs = by_run[(f"ours, {precision}", size)], by_run[(f"pipeline, {precision}", size)]
            lines.append(f"- batch {size}, {precision}: ours is **{theirs['seconds'] / ours['seconds']:.2f}x** the "
                         f"pipeline's utterances/s; predicted classes agree on {agreement(ours, theirs):.2%}")
            if baseline and precision != "float32":
                lines.append(f"- batch {size}, ours in {precision} vs the pipeline in float32 (its default): "
                             f"**{baseline['seconds'] / ours['seconds']:.2f}x**; classes agree on "
                             f"{agreement(ours, baseline):.2%}")
    report = "\n".join(lines)
    print(report)
    if args.write_results:
        command = "python benchmarks/bench_evaluate_massive.py " + " ".join(sys.argv[1:])
        RESULTS_FILE.write_text(f"## MASSIVE evaluation inference (`evaluate_massive.py`)\n\n```\n{command}\n```\n\n"
                                f"{report}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
