"""train.py's training loop against transformers' `Trainer`: same model, data, batch size and steps, in one run.

    python benchmarks/bench_train.py                         # CPU: BERT-small shape (4 x 512), the sample's epoch
    python benchmarks/bench_train.py --model-size base --steps 12
    python benchmarks/bench_train.py --device cuda --bf16 --model-size base --steps 300 --repeats 2   # GPU, + MFU
    python benchmarks/bench_train.py --model-size tiny --modes question --sides "train.py,train.py (compiled)"

Sides, each in a process of its own (so that its peak memory is its own), for each text mode:
- `train.py`: `ruqtopics_kit.training.main` itself (length-grouped seeded batches, dynamic padding, SDPA, fused
  AdamW, bf16 through accelerate with --bf16, padding to a multiple of 8 on a GPU in mixed precision);
- `train.py (compiled)`: the same with `--torch-compile` (inductor; `--compile-mode` passes a mode, e.g.
  reduce-overhead for CUDA graphs), batches padded to four lengths;
- `train.py (auto precision)`: the same with its default `--mixed-precision auto` (bf16 where the device computes
  it natively, e.g. a CPU with AVX512-BF16 or AMX); run only where that differs from the shared precision;
- `Trainer (default)`: `Trainer(model, args, train_dataset, processing_class=tokenizer)` with default arguments
  apart from the shared ones (random batches, dynamic padding by DataCollatorWithPadding, fused AdamW);
- `Trainer (torch_compile)`: the default Trainer with `torch_compile=True` (and `torch_compile_mode` from
  `--compile-mode`): accelerate compiles the model with inductor; batches keep their dynamic padding;
- `Trainer (group_by_length)`: the same with `train_sampling_strategy="group_by_length"` (transformers 5 replaced
  the old `group_by_length=True` flag with this option; it uses transformers' LengthGroupedSampler).
Shared: the same randomly initialised BERT (weights do not change the speed) loaded with SDPA attention, the
same tokenized examples (the bundled sample's single_label train split: short questions, long answers, the
shape of the real data), per-device batch, learning rate 2e-5 with a linear schedule, fp32 or bf16.

Timing: the clock starts after `--warmup` optimizer steps and stops after `--steps` (the time between two
learning-rate-scheduler steps, which both sides take once per optimizer step; on a GPU the device is synchronised
at those two points only). Evaluation, loading and tokenisation are outside the clock; compilation happens in
the warm-up steps ("warm-up s": from the scheduler's creation to the clock's start), so give compiled sides
enough of them to see every batch shape (on an epoch's last, shorter batch a compiled model compiles again). The
samples and tokens timed are those of the batches that the training loop takes from accelerate's data loader
while the clock runs (counted there, outside the model, which a compiled model would otherwise trace). "real
tokens/s" counts non-padding tokens; "padding" is the share of computed tokens that were padding. "peak RSS" is the
largest resident memory while the clock runs (sampled every millisecond; on CUDA also PyTorch's peak allocated GPU
memory in that window); "process peak RSS" is the whole process's maximum, loading and (for train.py) the final
evaluation and the written repository included.

MFU (CUDA only) = 6 x N x real tokens per second / the GPU's peak dense bf16 FLOP/s, with N the parameters
outside the embeddings (the usual 6N FLOPs per token for a forward and backward pass; attention scores and
embedding lookups are left out, and padding tokens count as waste, not work).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS_FILE = ROOT / "benchmarks" / "RESULTS_train.md"
SIZES = {"base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
         "small": {"hidden_size": 512, "num_hidden_layers": 4, "num_attention_heads": 8, "intermediate_size": 2048},
         "tiny": {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 512}}
MODES = {"question": 32, "question_answer": 128}  # text mode -> max length (the paper configs' values)
SIDES = ("train.py", "train.py (compiled)", "train.py (auto precision)", "Trainer (default)", "Trainer (torch_compile)",
         "Trainer (group_by_length)")
BASELINES = SIDES[3:]
PEAK_BF16_TFLOPS = {"H200": 989.4, "H100": 989.4, "A100": 312.0, "L40S": 362.1, "L4": 121.0, "A10": 125.0}


# ---- inputs --------------------------------------------------------------------------------------------------

def prepare_inputs(workdir: Path, size: str, vocab_size: int) -> tuple[Path, Path]:
    """The exported sample and a random BERT of `size` with a WordPiece tokenizer trained on the sample."""
    from ruqtopics_kit.dataset.export import export_dataset

    dataset, model = workdir / "dataset", workdir / f"bert-{size}-{vocab_size}"
    if not (dataset / "README.md").exists():
        export_dataset(ROOT / "data" / "sample", dataset, overwrite=True)
    if not (model / "config.json").exists():
        import torch
        from transformers import BertConfig, BertModel

        from ruqtopics_kit.modeling.tiny_backbone import train_wordpiece

        texts = [text for line in (ROOT / "data" / "sample" / "train.jsonl").read_text(encoding="utf-8").splitlines()
                 for text in (json.loads(line)["question"], json.loads(line)["answer"])]
        tokenizer = train_wordpiece(texts, vocab_size=8000)
        torch.manual_seed(0)
        BertModel(BertConfig(vocab_size=max(vocab_size, len(tokenizer)), max_position_embeddings=512,
                             **SIZES[size])).save_pretrained(model)
        tokenizer.save_pretrained(model)
    return dataset, model


# ---- measurement (inside a child process) ---------------------------------------------------------------------

class Clock:
    """Timestamps at two scheduler steps, the tokens of the forward passes between them, and the peak memory
    between them (RSS sampled every millisecond by a thread; on CUDA, PyTorch's peak allocated memory)."""

    def __init__(self, warmup: int, steps: int, device: str):
        self.warmup, self.steps, self.device = warmup, steps, device
        self.scheduler_calls, self.measuring, self.times = 0, False, []
        self.samples, self.padded_tokens, self.real_tokens = 0, 0, []
        self.peak_rss, self.created = 0, None

    def _sample_rss(self) -> None:
        import psutil

        process = psutil.Process()
        while len(self.times) < 2:
            if self.measuring:
                self.peak_rss = max(self.peak_rss, process.memory_info().rss)
            time.sleep(0.001)

    def _start(self) -> None:
        import threading

        import torch

        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        threading.Thread(target=self._sample_rss, daemon=True).start()

    def install(self) -> None:
        import torch
        from accelerate.data_loader import DataLoaderShard

        clock, scheduler_step, iterate = self, torch.optim.lr_scheduler.LambdaLR.step, DataLoaderShard.__iter__

        def timed_step(scheduler, *args, **kwargs):
            result = scheduler_step(scheduler, *args, **kwargs)
            clock.scheduler_calls += 1  # the first call is the scheduler's construction
            if clock.scheduler_calls == 1:
                clock.created = time.perf_counter()
            if clock.scheduler_calls - 1 in (clock.warmup, clock.steps):
                if clock.device == "cuda":
                    torch.cuda.synchronize()
                clock.times.append(time.perf_counter())
                clock.measuring = clock.scheduler_calls - 1 == clock.warmup
                if clock.measuring:
                    clock._start()
                elif clock.device == "cuda":
                    clock.peak_gpu = torch.cuda.max_memory_allocated()
            return result

        def counted_batches(loader):
            for batch in iterate(loader):
                if clock.measuring:  # the training loader's batches: nothing else is iterated while measuring
                    mask = batch["attention_mask"]
                    clock.samples += mask.shape[0]
                    clock.padded_tokens += mask.numel()
                    clock.real_tokens.append(mask.sum())  # stays on the device: no synchronisation per step
                yield batch

        torch.optim.lr_scheduler.LambdaLR.step = timed_step
        DataLoaderShard.__iter__ = counted_batches

    def report(self) -> dict:
        seconds = self.times[1] - self.times[0]
        real = int(sum(int(t) for t in self.real_tokens))
        memory = {"peak_gpu_gib": self.peak_gpu / 2**30} if self.device == "cuda" else {}
        return {"seconds": seconds, "warmup_seconds": self.times[0] - self.created,
                "samples_per_s": self.samples / seconds, "real_tokens_per_s": real / seconds,
                "padding": 1 - real / self.padded_tokens, "training_peak_rss_gib": self.peak_rss / 2**30, **memory}


def run_ours(args: argparse.Namespace, mode: str, dataset: Path, model: Path, output: Path, precision: str,
             compiled: bool) -> str:
    """Train with train.py; returns the mixed precision it resolved `precision` to."""
    from ruqtopics_kit.cli import main

    argv = ["train", "--backbone", str(model), "--dataset", str(dataset), "--dataset-config-name", "single_label",
            "--text-mode", mode,
            "--max-length", str(MODES[mode]), "--per-device-train-batch-size", str(args.batch_size),
            "--max-train-steps", str(args.steps), "--learning-rate", "2e-5", "--seed", "42",
            "--checkpointing-steps", "none", "--eval-steps", str(args.steps), "--max-eval-samples", "64",
            "--logging-steps", str(10 * args.steps), "--report-to", "none", "--overwrite-output-dir",
            "--mixed-precision", precision, "--output-dir", str(output)]
    argv += ["--torch-compile", "--torch-compile-mode", args.compile_mode] if compiled else []
    if main(argv) != 0:
        raise RuntimeError("train.py failed")
    return json.loads((output / "all_results.json").read_text(encoding="utf-8"))["run"]["mixed_precision"]


def run_trainer(args: argparse.Namespace, mode: str, dataset: Path, model: Path, output: Path,
                strategy: str, compiled: bool) -> None:
    import datasets
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments

    from ruqtopics_kit.facts.labels import all_topics
    from ruqtopics_kit.training.config import parse_args
    from ruqtopics_kit.training.data import load_splits, tokenize

    labels = all_topics()
    config = parse_args(["--backbone", str(model), "--dataset", str(dataset), "--output-dir", str(output),
                         "--text-mode", mode])
    tokenizer = AutoTokenizer.from_pretrained(model)
    train = tokenize(datasets.DatasetDict({"train": load_splits(config, labels)["train"]}), tokenizer, config,
                     MODES[mode], len(labels))["train"]
    classifier = AutoModelForSequenceClassification.from_pretrained(
        model, num_labels=len(labels), id2label=labels.id2label(), label2id=labels.label2id(),
        problem_type="single_label_classification", attn_implementation="sdpa")
    training_args = TrainingArguments(
        output_dir=str(output), per_device_train_batch_size=args.batch_size, max_steps=args.steps,
        learning_rate=2e-5, lr_scheduler_type="linear", seed=42, bf16=args.bf16, use_cpu=args.device == "cpu",
        train_sampling_strategy=strategy, length_column_name="length", save_strategy="no", eval_strategy="no",
        logging_strategy="no", report_to="none", disable_tqdm=True,
        **({"torch_compile": True, "torch_compile_mode": args.compile_mode} if compiled else {}))
    Trainer(classifier, training_args, train_dataset=train, processing_class=tokenizer).train()


def child(args: argparse.Namespace) -> None:
    side, mode = args.child.split("|")
    dataset, model = prepare_inputs(args.workdir, args.model_size, args.vocab_size)
    clock = Clock(args.warmup, args.steps, args.device)
    clock.install()
    output = args.workdir / "runs" / f"{SIDES.index(side)}-{mode}"
    compiled = side.endswith(("(compiled)", "(torch_compile)"))
    if side.startswith("train.py"):
        precision = run_ours(args, mode, dataset, model, output, "auto" if side.endswith("precision)") else
                             shared_precision(args), compiled)
    else:
        precision = shared_precision(args)
        run_trainer(args, mode, dataset, model, output,
                    "group_by_length" if side.endswith("(group_by_length)") else "random", compiled)
    result = {"side": side, "mode": mode, "precision": "fp32" if precision == "no" else precision, **clock.report(),
              "process_peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
    args.result_file.write_text(json.dumps(result), encoding="utf-8")


# ---- the parent: run every side and mode, then the table --------------------------------------------------------

def measure(args: argparse.Namespace, side: str, mode: str, repeat: int) -> dict:
    """One run of one side in one mode, in a fresh process."""
    result_file = args.workdir / f"result-{SIDES.index(side)}-{mode}-{repeat}.json"
    command = [sys.executable, __file__, *sys.argv[1:], "--child", f"{side}|{mode}", "--result-file",
               str(result_file)]
    finished = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    if finished.returncode != 0:
        raise RuntimeError(f"{side} ({mode}) failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    print(f"  {side:27s} {mode:16s} {result['samples_per_s']:8.1f} samples/s", flush=True)
    return result


def shared_precision(args: argparse.Namespace) -> str:
    """The precision of every side but train.py's own default, as train.py's --mixed-precision names it."""
    return "bf16" if args.bf16 else "no"


def sides(args: argparse.Namespace) -> list[str]:
    """Every side, leaving out train.py's default precision where it is the shared one (the same run twice)."""
    from ruqtopics_kit.modeling.precision import has_native_bf16

    same = ("bf16" if has_native_bf16(args.device) else "no") == shared_precision(args)
    chosen = args.sides.split(",") if args.sides else SIDES
    return [side for side in SIDES if side in chosen and not (same and side == "train.py (auto precision)")]


def measure_all(args: argparse.Namespace) -> list[dict]:
    """Every side in every mode, repeats interleaved (a slow patch of the machine hits all sides), best kept."""
    modes, compared = args.modes.split(","), sides(args)
    runs = [measure(args, side, mode, repeat) for repeat in range(args.repeats) for mode in modes for side in compared]
    return [max((r for r in runs if (r["mode"], r["side"]) == (mode, side)), key=lambda r: r["samples_per_s"])
            for mode in modes for side in compared]


def non_embedding_parameters(model: Path) -> int:
    from transformers import AutoModelForSequenceClassification

    classifier = AutoModelForSequenceClassification.from_pretrained(model, num_labels=76)
    return sum(p.numel() for name, p in classifier.named_parameters() if "embeddings" not in name)


def peak_tflops(args: argparse.Namespace) -> float | None:
    if args.peak_tflops:
        return args.peak_tflops
    import torch

    name = torch.cuda.get_device_name() if args.device == "cuda" else ""
    return next((value for key, value in PEAK_BF16_TFLOPS.items() if key in name), None)


def table(results: list[dict], args: argparse.Namespace, parameters: int) -> str:
    peak = peak_tflops(args) if args.device == "cuda" and args.bf16 else None
    columns = ["text mode", "side", "precision", "samples/s", "real tokens/s", "padding", "warm-up s", "peak RSS GiB",
               "process peak RSS GiB"]
    columns += ["peak GPU GiB"] * (args.device == "cuda") + ["MFU"] * (peak is not None)
    baselines = [b for b in BASELINES if any(r["side"] == b for r in results)]
    columns += [f"x {baseline}" for baseline in baselines]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" if c in ("text mode", "side", "precision")
                                                               else "---:" for c in columns) + "|"]
    for result in results:
        row = [result["mode"], result["side"], result["precision"], f"{result['samples_per_s']:.1f}",
               f"{result['real_tokens_per_s']:,.0f}", f"{result['padding']:.0%}", f"{result['warmup_seconds']:.1f}",
               f"{result['training_peak_rss_gib']:.2f}", f"{result['process_peak_rss_gib']:.2f}"]
        if args.device == "cuda":
            row.append(f"{result['peak_gpu_gib']:.2f}")
        if peak is not None:
            row.append(f"{6 * parameters * result['real_tokens_per_s'] / (peak * 1e12):.1%}")
        row += [ratio(result, next(r for r in results if (r["mode"], r["side"]) == (result["mode"], baseline)))
                for baseline in baselines]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def ratio(result: dict, baseline: dict) -> str:
    """How many times the baseline's samples/s a train.py side reaches ("-" on the baselines' own rows)."""
    if not result["side"].startswith("train.py"):
        return "-"
    return f"**{result['samples_per_s'] / baseline['samples_per_s']:.2f}x**"


def describe(args: argparse.Namespace, parameters: int) -> str:
    import torch
    import transformers

    device = torch.cuda.get_device_name() if args.device == "cuda" else f"{platform.processor() or 'CPU'}, " \
        f"{os.cpu_count()} cores"
    shape = SIZES[args.model_size]
    return (f"Device: {device}; torch {torch.__version__}, transformers {transformers.__version__}; "
            f"{'bf16' if args.bf16 else 'fp32'} on every side but train.py (auto precision). Model: random BERT, "
            f"{shape['num_hidden_layers']} layers x {shape['hidden_size']} ({args.model_size}), "
            f"{args.vocab_size:,}-token embedding, {parameters / 1e6:.1f}M parameters outside the embeddings. "
            f"Data: the bundled sample's single_label train split; batch {args.batch_size} per step, "
            f"{args.steps} optimizer steps, timed after {args.warmup}; best of {args.repeats}"
            f"{'' if args.compile_mode == 'default' else f'; torch.compile mode {args.compile_mode}'}.")


def options_without_output(argv: list[str]) -> list[str]:
    """The command line without --write-results (and its file), as the results file quotes it."""
    kept, skip = [], False
    for arg in argv:
        if skip and not arg.startswith("--"):
            skip = False
            continue
        skip = arg == "--write-results"
        if not skip:
            kept.append(arg)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-size", choices=sorted(SIZES), default="small")
    parser.add_argument("--vocab-size", type=int, default=30522, help="embedding rows (BERT-base: 30,522)")
    parser.add_argument("--batch-size", type=int, default=32, help="per-device batch of every side")
    parser.add_argument("--steps", type=int, default=60, help="optimizer steps (60 x 32: about the sample's epoch)")
    parser.add_argument("--warmup", type=int, default=3, help="steps before the clock starts")
    parser.add_argument("--modes", default=",".join(MODES), help="text modes to compare")
    parser.add_argument("--sides", help=f"sides to run, comma-separated (default: all of {', '.join(SIDES)})")
    parser.add_argument("--compile-mode", default="default", help="torch.compile mode of the compiled sides")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--bf16", action="store_true", help="bf16 mixed precision on every side")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's peak dense bf16 TFLOP/s for MFU "
                                                          "(default: looked up from the device name)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per side and mode; the fastest is kept")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-bench-train"))
    parser.add_argument("--write-results", nargs="?", type=Path, const=RESULTS_FILE, metavar="FILE",
                        help=f"write the table to FILE (default: {RESULTS_FILE.name})")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.child:
        return child(args)
    _, model = prepare_inputs(args.workdir, args.model_size, args.vocab_size)
    results = measure_all(args)
    parameters = non_embedding_parameters(model)
    report = f"{describe(args, parameters)}\n\n{table(results, args, parameters)}\n"
    print("\n" + report)
    if args.write_results:
        command = "python benchmarks/bench_train.py " + shlex.join(options_without_output(sys.argv[1:]))
        args.write_results.write_text(f"# train.py vs transformers Trainer\n\n```\n{command.strip()}\n```\n\n{report}",
                                encoding="utf-8")


if __name__ == "__main__":
    main()
