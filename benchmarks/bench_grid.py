"""`ruqtopics grid --jobs N` against `--jobs 1`: the same configs trained one after another or N at a time.

    python benchmarks/bench_grid.py                          # CPU: the four sample configs, --jobs 1 and 2
    python benchmarks/bench_grid.py --device cuda --backbone-size base --jobs 1,4 --repeats 1 \\
        -- --mixed-precision bf16 --max-train-steps 300 --checkpointing-steps none

Every repeat runs the grid's own command (`python -m ruqtopics_kit grid CONFIGS --jobs N`, one train.py process
per config) from scratch into a fresh output root, job counts interleaved; the fastest repeat of each is kept.
"samples" = optimizer steps x effective batch, summed over the runs (from their all_results.json); samples/s =
those samples / the wall-clock time of the whole grid command, start-up, loading, evaluation and saving
included: what a user of the grid waits for. On a CPU the grid gives each of N runs cores // N threads.

Equality: each run's validation and test metrics under `--jobs N` against the same run under `--jobs 1`
(largest absolute difference; on a CPU the thread counts differ, so the last float bits may).

Backbones: `sample` is the tiny random BERT that `release --sample` builds (what the sample configs name);
`tiny`, `small` and `base` are bench_train.py's random BERTs of those shapes (30,522-token embedding).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_train import ROOT, SIZES, options_without_output, prepare_inputs

RESULTS_FILE = ROOT / "benchmarks" / "RESULTS_grid.md"


def backbone_and_dataset(args: argparse.Namespace) -> tuple[Path, Path]:
    dataset, model = prepare_inputs(args.workdir, args.backbone_size if args.backbone_size != "sample" else "tiny",
                                    args.vocab_size)
    if args.backbone_size != "sample":
        return model, dataset
    sample = args.workdir / "sample-backbone"
    if not (sample / "config.json").exists():
        from ruqtopics_kit.modeling.tiny_backbone import build_tiny_backbone

        texts = [text for name in ("train.jsonl", "validation.jsonl")
                 for line in (ROOT / "data" / "sample" / name).read_text(encoding="utf-8").splitlines()
                 for text in (json.loads(line)["question"], json.loads(line)["answer"])]
        build_tiny_backbone(texts, sample, vocab_size=3000)
    return sample, dataset


def run_grid(args: argparse.Namespace, jobs: int, repeat: int, backbone: Path, dataset: Path) -> dict:
    """The grid command with `jobs`, timed; its runs' samples and metrics."""
    root = args.workdir / "grids" / f"jobs{jobs}-{repeat}"
    shutil.rmtree(root, ignore_errors=True)
    command = [sys.executable, "-m", "ruqtopics_kit", "grid", *args.configs, "--output-dir", str(root),
               "--jobs", str(jobs), "--", "--backbone", str(backbone), "--dataset", str(dataset),
               "--report-to", "none", *args.train_options]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(f"the grid with --jobs {jobs} failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}")
    runs = {path.parent.name: json.loads(path.read_text(encoding="utf-8")) for path in root.glob("*/all_results.json")}
    samples = sum(run["completed_steps"] * run["run"]["effective_batch_size"] for run in runs.values())
    metrics = {name: {f"{split}/{metric}": value for split in ("validation", "test") for metric, value in
                      (run[split] or {}).items()} for name, run in runs.items()}
    print(f"  --jobs {jobs}: {seconds:6.1f} s, {samples / seconds:8.1f} samples/s", flush=True)
    return {"jobs": jobs, "seconds": seconds, "runs": len(runs), "samples": samples,
            "samples_per_s": samples / seconds, "metrics": metrics}


def largest_difference(result: dict, reference: dict) -> float:
    return max(abs(value - reference["metrics"][name][key])
               for name, metrics in result["metrics"].items() for key, value in metrics.items())


def table(results: list[dict]) -> str:
    reference = next(r for r in results if r["jobs"] == min(r["jobs"] for r in results))
    lines = [f"| --jobs | runs | samples | seconds | samples/s | x --jobs {reference['jobs']} | "
             f"largest metric difference |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        lines.append(f"| {result['jobs']} | {result['runs']} | {result['samples']:,} | {result['seconds']:.1f} | "
                     f"{result['samples_per_s']:.1f} | "
                     f"**{result['samples_per_s'] / reference['samples_per_s']:.2f}x** | "
                     f"{largest_difference(result, reference):.2g} |")
    return "\n".join(lines)


def describe(args: argparse.Namespace) -> str:
    import torch

    device = torch.cuda.get_device_name() if args.device == "cuda" else \
        f"{platform.processor() or 'CPU'}, {len(os.sched_getaffinity(0))} cores"
    shape = "the sample's tiny random BERT" if args.backbone_size == "sample" else \
        "random BERT {num_hidden_layers} layers x {hidden_size}".format(**SIZES[args.backbone_size])
    configs = " ".join(os.path.relpath(c, ROOT) for c in args.configs)
    return (f"Device: {device}; torch {torch.__version__}. Configs: {configs}; backbone: {shape}; "
            f"train.py options: {shlex.join(args.train_options) or '(none)'}; best of {args.repeats}.")


def main() -> None:
    argv = sys.argv[1:]
    train_options = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=[str(ROOT / "configs" / "sample")])
    parser.add_argument("--jobs", default="1,2", help="job counts to compare, comma-separated (the first: reference)")
    parser.add_argument("--backbone-size", choices=["sample", *SIZES], default="sample")
    parser.add_argument("--vocab-size", type=int, default=30522, help="embedding rows of the tiny/small/base BERTs")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="only names the device in the report")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-bench-grid"))
    parser.add_argument("--write-results", nargs="?", type=Path, const=RESULTS_FILE, metavar="FILE",
                        help=f"write the table to FILE (default: {RESULTS_FILE.name})")
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.train_options = train_options
    args.workdir.mkdir(parents=True, exist_ok=True)
    backbone, dataset = backbone_and_dataset(args)
    job_counts = [int(jobs) for jobs in args.jobs.split(",")]
    runs = [run_grid(args, jobs, repeat, backbone, dataset) for repeat in range(args.repeats) for jobs in job_counts]
    best = [max((r for r in runs if r["jobs"] == jobs), key=lambda r: r["samples_per_s"]) for jobs in job_counts]
    report = f"{describe(args)}\n\n{table(best)}\n"
    print("\n" + report)
    if args.write_results:
        args.write_results.write_text(f"# ruqtopics grid --jobs\n\n```\npython benchmarks/bench_grid.py "
                                      f"{shlex.join(options_without_output(argv))}\n```\n\n{report}",
                                      encoding="utf-8")


if __name__ == "__main__":
    main()
