"""What bf16 autocast (the `auto` precision on a machine with native bf16) changes in scores, against float32.

    python -m ruqtopics_kit release --sample --output-dir release     # the tiny backbone, dataset and MASSIVE
    python benchmarks/bench_bf16_accuracy.py --release release [--seeds 1,2,3,4,5,42]

For each seed, train.py trains the six-class sample config (configs/sample/tiny-massive_aligned-question.yaml)
twice, in float32 and in bf16, and the table compares the training loss curves (largest relative difference
at a logging step) and the final validation and test accuracy. Then every float32 model predicts the
dataset's validation and test questions and the MASSIVE sample's test utterances (all locales) in float32 and
under bf16 autocast, as evaluate_massive.py runs them: the share of equal predicted classes, the accuracy of
both, and the largest logit difference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = ROOT / "configs" / "sample" / "tiny-massive_aligned-question.yaml"
PRECISIONS = {"fp32": "no", "bf16": "bf16"}  # table name -> train.py --mixed-precision
LOSS_LINE = re.compile(r"step (\d+): loss ([0-9.]+)")


def train(release: Path, seed: int, precision: str, output: Path) -> tuple[dict, list[float]]:
    """One training run; its all_results.json and the training losses it logged."""
    command = [sys.executable, str(ROOT / "train.py"), "--config-file", str(CONFIG),
               "--backbone", str(release / "work" / "tiny-backbone"), "--dataset", str(release / "hub" / "ruqtopics"),
               "--mixed-precision", PRECISIONS[precision], "--seed", str(seed), "--output-dir", str(output),
               "--overwrite-output-dir", "--report-to", "none", "--checkpointing-steps", "none"]
    finished = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if finished.returncode != 0:
        raise RuntimeError(f"train.py failed (seed {seed}, {precision}):\n{finished.stderr[-3000:]}")
    losses = [float(loss) for _, loss in LOSS_LINE.findall(finished.stderr + finished.stdout)]
    return json.loads((output / "all_results.json").read_text(encoding="utf-8")), losses


def training_table(runs: dict[tuple[int, str], tuple[dict, list[float]]], seeds: list[int]) -> str:
    lines = ["| seed | largest relative loss difference | validation accuracy fp32 / bf16 | "
             "test accuracy fp32 / bf16 |", "|---:|---:|---:|---:|"]
    for seed in seeds:
        (fp32, fp32_loss), (bf16, bf16_loss) = runs[seed, "fp32"], runs[seed, "bf16"]
        gap = max(abs(b - a) / a for a, b in zip(fp32_loss, bf16_loss, strict=False))  # up to the earlier stop
        lines.append(f"| {seed} | {gap:.2%} | {fp32['validation']['accuracy']:.3f} / "
                     f"{bf16['validation']['accuracy']:.3f} | {fp32['test']['accuracy']:.3f} / "
                     f"{bf16['test']['accuracy']:.3f} |")
    fp32_test = np.array([runs[s, "fp32"][0]["test"]["accuracy"] for s in seeds])
    bf16_test = np.array([runs[s, "bf16"][0]["test"]["accuracy"] for s in seeds])
    lines.append(f"| mean | | | {fp32_test.mean():.3f} / {bf16_test.mean():.3f} (seed spread, std: "
                 f"{fp32_test.std(ddof=1):.3f} / {bf16_test.std(ddof=1):.3f}) |")
    return "\n".join(lines)


def texts_to_score(release: Path) -> dict[str, tuple[list[str], np.ndarray | None]]:
    """Named lists of texts with their class ids (None where the classes are not the model's, i.e. MASSIVE)."""
    import datasets

    from ruqtopics_kit.massive.readers import read_massive

    dataset = datasets.load_dataset(str(release / "hub" / "ruqtopics"), "massive_aligned")
    massive = read_massive(next((ROOT / "data" / "massive_sample").glob("*.tar.gz")), split="test")
    utterances = [record.utt for records in massive.records.values() for record in records]
    return {**{f"dataset {split}": (list(dataset[split]["question"]), np.array(dataset[split]["label"]))
               for split in ("validation", "test")},
            f"MASSIVE sample test ({len(massive.records)} locales)": (utterances, None)}


def inference_table(models: dict[int, Path], texts: dict[str, tuple[list[str], np.ndarray | None]]) -> str:
    import torch

    from ruqtopics_kit.massive.inference import encode, load_classifier, predict_logits

    cpu = torch.device("cpu")
    lines = ["| seed | texts | n | predictions equal | accuracy fp32 / bf16 | largest logit difference |",
             "|---:|---|---:|---:|---:|---:|"]
    for seed, model_dir in models.items():
        tokenizer, model = load_classifier(str(model_dir), cpu)
        for name, (items, labels) in texts.items():
            sequences = encode(tokenizer, items, 128)
            fp32, bf16 = (predict_logits(model, sequences, pad_id=tokenizer.pad_token_id, batch_size=64, device=cpu,
                                         autocast_dtype=dtype, progress=False) for dtype in (None, torch.bfloat16))
            accuracy = ("-" if labels is None else
                        f"{(fp32.argmax(1) == labels).mean():.3f} / {(bf16.argmax(1) == labels).mean():.3f}")
            lines.append(f"| {seed} | {name} | {len(items):,} | {(fp32.argmax(1) == bf16.argmax(1)).mean():.2%} | "
                         f"{accuracy} | {np.abs(fp32 - bf16).max():.4f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", type=Path, required=True, help="output folder of `release --sample`")
    parser.add_argument("--seeds", default="1,2,3,4,5,42", help="training seeds, comma-separated")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-bench-bf16"))
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    runs = {(seed, precision): train(args.release, seed, precision, args.workdir / f"{precision}-{seed}")
            for seed in seeds for precision in PRECISIONS}
    print("Training (train.py, float32 vs bf16 autocast):\n")
    print(training_table(runs, seeds))
    print("\nInference (the float32 models, float32 vs bf16 autocast):\n")
    print(inference_table({seed: args.workdir / f"fp32-{seed}" for seed in seeds}, texts_to_score(args.release)))


if __name__ == "__main__":
    main()
