"""Resumable checkpoints: `.NAME.work/checkpoints/step_N`, each complete or absent.

Training state lives in the run's work folder, `.NAME.work/` beside the output folder (`work_dir`), never in
the output folder itself, which is a Hub model repository that any upload (`hf upload`, `upload_folder`, a git
push) may publish whole: the checkpoints (pickled optimizer and RNG states, extra weights), the best weights and
the TensorBoard logs (`runs/`) would otherwise go with it.

A checkpoint is accelerate's `save_state` (weights, optimizer, scheduler, gradient-accumulation step, every
process's RNG states) plus `trainer_state.json` (the run's progress, including early stopping, and its
config). It is written as `.step_N.tmp` and renamed once every process has finished, so a run killed while
saving leaves no half checkpoint that `latest` could pick. `best_model.safetensors` beside the checkpoints
holds the weights of the best evaluation so far (the final model).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ruqtopics_kit.core.atomic import WRITE_FAULTS, WriteError, give_user_modes
from ruqtopics_kit.core.jsonio import read_json_object, write_json

STATE_FILE = "trainer_state.json"
BEST_WEIGHTS = "best_model.safetensors"
STEP_DIR = re.compile(r"step_(\d+)")


@dataclass
class Progress:
    """Where a run is: what a checkpoint must restore besides accelerate's state."""

    completed_steps: int = 0  # optimizer steps
    best_metric: float | None = None
    best_step: int | None = None
    best_validation: dict[str, float] = field(default_factory=dict)
    best_threshold: float | None = None  # multi-label decision threshold of the best evaluation
    evaluations_without_improvement: int = 0
    stopped_early: bool = False
    evaluations: list[dict] = field(default_factory=list)  # step, epoch and validation metrics of each evaluation
    train_seconds: float = 0.0  # wall time of the optimizer steps so far, evaluations and checkpoints included

    def record(self, metrics: dict[str, float], threshold: float | None, metric: str, greater_is_better: bool,
               patience: int | None) -> bool:
        """Account for an evaluation at the current step; True when it is the best so far."""
        value = metrics[metric]
        improved = (self.best_metric is None or
                    (value > self.best_metric if greater_is_better else value < self.best_metric))
        if improved:
            self.best_metric, self.best_step = value, self.completed_steps
            self.best_validation, self.best_threshold = dict(metrics), threshold
            self.evaluations_without_improvement = 0
        else:
            self.evaluations_without_improvement += 1
            self.stopped_early = patience is not None and self.evaluations_without_improvement >= patience
        return improved


def work_dir(output_dir: str | Path) -> Path:
    """The run's training state: `.NAME.work/` beside OUTPUT_DIR (checkpoints/, runs/ for TensorBoard)."""
    output = Path(os.path.abspath(output_dir))
    return output.with_name(f".{output.name}.work")  # hidden, as its lock `.NAME.lock` is


def checkpoints_dir(output_dir: str | Path) -> Path:
    return work_dir(output_dir) / "checkpoints"


def completed_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints (renamed into place, with their state file), oldest first."""
    folder = checkpoints_dir(output_dir)
    found = [p for p in folder.iterdir() if STEP_DIR.fullmatch(p.name) and (p / STATE_FILE).is_file()] \
        if folder.is_dir() else []
    return sorted(found, key=lambda p: int(STEP_DIR.fullmatch(p.name).group(1)))


def resolve_resume(requested: str | None, output_dir: str | Path) -> Path | None:
    """The checkpoint to resume from: None for a fresh start, or for `latest` when there is none yet."""
    if requested is None:
        return None
    if requested == "latest":
        found = completed_checkpoints(output_dir)
        return found[-1] if found else None
    path = Path(requested)
    if not (path / STATE_FILE).is_file():
        raise FileNotFoundError(
            f"--resume-from-checkpoint {requested}: not a complete checkpoint (expected a folder with {STATE_FILE}, "
            f"such as {checkpoints_dir(output_dir) / 'step_100'}); use 'latest' for the newest one")
    return path


def read_state(checkpoint: Path) -> tuple[Progress, dict]:
    """The progress and the run record (config, processes) saved with a checkpoint."""
    saved = read_json_object(checkpoint / STATE_FILE, ("progress", "run"))
    return Progress(**saved["progress"]), saved["run"]


def save_checkpoint(accelerator, output_dir: str | Path, progress: Progress, run: dict,
                    total_limit: int | None) -> Path:
    """Every process saves its part into a temporary folder; the main process completes and renames it."""
    folder = checkpoints_dir(output_dir)
    target = folder / f"step_{progress.completed_steps}"
    staging = folder / f".step_{progress.completed_steps}.tmp"
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    accelerator.wait_for_everyone()
    try:
        accelerator.save_state(str(staging))
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            write_json(staging / STATE_FILE, {"progress": asdict(progress), "run": run})
            give_user_modes(staging)
            if target.exists():  # a replay after resuming from an older checkpoint
                shutil.rmtree(target)
            staging.rename(target)
    except WRITE_FAULTS as error:  # a full disk: torch's RuntimeError, safetensors' own error (core.atomic)
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(target, error, staging=staging) from error
    if accelerator.is_main_process:
        _prune(output_dir, total_limit)
    accelerator.wait_for_everyone()
    return target


def _prune(output_dir: str | Path, total_limit: int | None) -> None:
    found = completed_checkpoints(output_dir)
    for old in found[: max(0, len(found) - total_limit)] if total_limit else []:
        shutil.rmtree(old)
    for stale in checkpoints_dir(output_dir).glob(".step_*.tmp"):  # left by a run killed while saving
        shutil.rmtree(stale, ignore_errors=True)


def save_best_weights(accelerator, model, output_dir: str | Path, step: int) -> None:
    """The main process writes the model's weights (tagged with `step`) through a temporary file and a rename."""
    from safetensors.torch import save_model

    if accelerator.is_main_process:
        path = checkpoints_dir(output_dir) / BEST_WEIGHTS
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{BEST_WEIGHTS}.tmp")
        try:
            save_model(accelerator.unwrap_model(model, keep_torch_compile=False), str(temporary),
                       metadata={"step": str(step)})
            give_user_modes(temporary)
            os.replace(temporary, path)
        except WRITE_FAULTS as error:
            temporary.unlink(missing_ok=True)
            raise WriteError(path, error) from error
    accelerator.wait_for_everyone()


def load_best_weights(accelerator, model, output_dir: str | Path, step: int) -> None:
    """Load the best weights into every process's model, checking they are those of evaluation `step`."""
    from safetensors import safe_open
    from safetensors.torch import load_model

    path = checkpoints_dir(output_dir) / BEST_WEIGHTS
    with safe_open(str(path), framework="pt") as weights:
        saved_step = int(weights.metadata()["step"])
    if saved_step != step:
        raise RuntimeError(f"{path} holds the weights of step {saved_step}, but the best evaluation was at step "
                           f"{step}; resume from an earlier checkpoint or retrain with --overwrite-output-dir")
    # read on the CPU, copied into the parameters
    load_model(accelerator.unwrap_model(model, keep_torch_compile=False), str(path))
