"""Shared by the train.py tests: fast options, in-process and subprocess runs, reading outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from checkout import ROOT

# A few optimizer steps of the tiny backbone: seconds on 2 CPU cores.
FAST = ["--max-train-steps", "6", "--per-device-train-batch-size", "16", "--per-device-eval-batch-size", "16",
        "--learning-rate", "1e-3", "--eval-steps", "3", "--checkpointing-steps", "3", "--logging-steps", "3",
        "--max-length", "32", "--max-eval-samples", "48", "--report-to", "none", "--mixed-precision", "no"]


def train_argv(backbone: Path, dataset: Path, output_dir: Path, *extra: str, config: str = "single_label") -> list[str]:
    return ["--backbone", str(backbone), "--dataset", str(dataset), "--dataset-config-name", config,
            "--output-dir", str(output_dir), *FAST, *extra]


def run_train(argv: list[str]) -> int:
    """train.py's main in this process, with accelerate's singletons reset afterwards for the next run."""
    from accelerate.state import AcceleratorState, GradientState

    from ruqtopics_kit.cli import main

    try:
        return main(["train", *argv])
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)
        GradientState._reset_state()


def run_subprocess(command: list[str], timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """A command in a fresh process (offline, one thread per process), from the repository root."""
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    try:
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:  # killed: show what it printed, which the plain exception leaves out
        raise AssertionError(f"still running after {timeout} s, killed: {' '.join(command)}\n"
                             f"{(error.stdout or '')[-3000:]}\n{(error.stderr or '')[-5000:]}") from None


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def accelerate_launch(*launcher_flags: str, script: str, argv: list[str], **env: str) -> subprocess.CompletedProcess:
    """`accelerate launch` as a user types it, without its config file's questions; `script` from the checkout."""
    return run_subprocess([*python("-m", "accelerate.commands.accelerate_cli", "launch"), *launcher_flags,
                           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", script, *argv],
                          **env)


def read_json(path: Path) -> dict:
    """Strict JSON: NaN or Infinity fail."""
    def reject(token):
        raise ValueError(f"{path}: non-strict JSON constant {token}")
    return json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=reject)


def weights(folder: Path, name: str = "model.safetensors") -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(folder) / name))


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file()}


def output_of(argv: list[str]) -> Path:
    return Path(argv[argv.index("--output-dir") + 1])


def with_output(argv: list[str], output_dir: Path) -> list[str]:
    position = argv.index("--output-dir") + 1
    return [*argv[:position], str(output_dir), *argv[position + 1:]]


def dropout_free_copy(backbone: Path, folder: Path) -> Path:
    """The backbone without dropout: runs that differ only in how batches are split then give equal weights."""
    copy = folder / "bert"
    shutil.copytree(backbone, copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
    (copy / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return copy
