"""The output directory: checked before training, written as a complete Hub model repository at the end.

The contract (the grid, the release and the finished-run checks read it):
- OUTPUT_DIR holds only what is published: model.safetensors, config.json (Russian id2label/label2id,
  ruqtopics_text_mode, decision_threshold for multi-label), tokenizer files, training_args.json (written first: a
  folder with it is a started run), README.md (model card), test_predictions.parquet (one row per test example: id,
  gold and predicted class ids, probabilities; published so that comparisons between models can be recomputed from
  the Hub) and all_results.json, written last: a folder that has it with this run's options is a finished run,
  once verified (`stale_reason`): its published files are there and its weights complete, it was trained on the
  content that --dataset and --backbone hold now (the content hashes all_results.json records), and its card was
  written for this run's Hub ids and licence.
- .NAME.work/ beside it holds the training state (`checkpoints.work_dir`): checkpoints/ (optimizer, RNG
  states, best_model.safetensors) and runs/ (TensorBoard). The log names it. A plain upload of OUTPUT_DIR
  (`hf upload`, `upload_folder`, a git push) publishes no training state; --overwrite-output-dir clears both.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import MISSING, dataclass, field, fields, replace
from enum import Enum
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ruqtopics_kit.core.atomic import WRITE_FAULTS, WriteError, check_replaceable, give_user_modes
from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.fingerprints import input_fingerprint
from ruqtopics_kit.core.jsonio import read_json_object, strict_json, write_json
from ruqtopics_kit.facts.names import SYNTHETIC_TAG
from ruqtopics_kit.training.checkpoints import completed_checkpoints, work_dir
from ruqtopics_kit.training.config import TrainingConfig, differences, identity_of, saved_options

ARGS_FILE = "training_args.json"
RESULTS_FILE = "all_results.json"
RESULTS_SCHEMA = "ruqtopics-training-results/1"  # all_results.json's `schema`
PREDICTIONS_FILE = "test_predictions.parquet"
WEIGHTS_FILE = "model.safetensors"
PUBLISHED = (WEIGHTS_FILE, "config.json", "tokenizer_config.json", ARGS_FILE, "README.md")  # besides the predictions
PUBLISHED_AS = ("hub_model_id", "dataset_repo_id", "license")  # not the model's identity, but its card's


@dataclass(frozen=True)
class TrainingResults:
    """all_results.json: the best validation scores, the test scores of those weights, how training went, and the
    run as it was resolved. Written last (a folder with it is a finished run); `read` checks its schema."""

    validation: dict[str, float]
    test: dict[str, float] | None  # None: the dataset has no test split
    best_step: int
    completed_steps: int
    stopped_early: bool
    run: dict  # the options and how they resolved (session.run_record)
    decision_threshold: float | None = None  # multi-label: the threshold chosen on the validation split
    evaluations: list[dict] = field(default_factory=list)  # every validation evaluation (the card's table)
    train_seconds: float | None = None  # wall time of training, resumed runs' parts added up

    def to_dict(self) -> dict:
        body = {"schema": RESULTS_SCHEMA, "validation": self.validation, "test": self.test}
        if self.decision_threshold is not None:
            body["decision_threshold"] = self.decision_threshold
        return body | {"best_step": self.best_step, "completed_steps": self.completed_steps,
                       "stopped_early": self.stopped_early, "evaluations": self.evaluations,
                       "train_seconds": self.train_seconds, "run": self.run}

    def write(self, path: str | Path) -> None:
        Path(path).write_text(strict_json(self.to_dict()), encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> TrainingResults:
        """The results in `path`; a ValueError naming the file when it is not all_results.json of this schema."""
        required = [spec.name for spec in fields(cls) if spec.default is MISSING and spec.default_factory is MISSING]
        body = read_json_object(path, ("schema", *required))
        if body["schema"] != RESULTS_SCHEMA:
            raise ValueError(f"{path}: schema {body['schema']!r}, expected {RESULTS_SCHEMA!r} (written by another "
                             f"version of the kit: train the run again with --overwrite-output-dir)")
        return cls(**{spec.name: body[spec.name] for spec in fields(cls) if spec.name in body})


class OutputState(Enum):
    FRESH = "fresh"  # nothing of this run yet (or --overwrite-output-dir)
    UNFINISHED = "unfinished"  # this run's options, no results yet: resumable
    FINISHED = "finished"  # this run's options and its results, verified: nothing to train
    STALE = "stale"  # this run's options and results, but not complete or not of today's inputs (`stale_reason`)


class StaleRunError(KitError, FileExistsError):
    """The output folder holds this run finished, but stale (`reason`): train.py asks for --overwrite-output-dir."""

    def __init__(self, folder: Path, reason: str):
        super().__init__(f"--output-dir {folder} holds this run finished, but stale: {reason}; pass "
                         f"--overwrite-output-dir to train it again")
        self.reason = reason


def inspect_output_dir(config: TrainingConfig) -> OutputState:
    """What the output directory holds; raises if it holds something that this run must not touch."""
    folder = Path(config.output_dir)
    if config.overwrite_output_dir:
        for old in (folder, work_dir(folder)):  # all of it deletable, or nothing is deleted
            if old.is_dir():
                check_replaceable(old)
        return OutputState.FRESH
    if not folder.is_dir() or not any(folder.iterdir()):
        if completed_checkpoints(folder) and config.resume_from_checkpoint is None:
            raise FileExistsError(f"{work_dir(folder)} holds checkpoints of an earlier run into --output-dir {folder}; "
                                  f"pass --resume-from-checkpoint latest to continue it, or --overwrite-output-dir")
        return OutputState.FRESH
    if not (folder / ARGS_FILE).is_file():
        raise FileExistsError(f"--output-dir {folder} is not empty and holds no {ARGS_FILE}, so it is not a "
                              f"train.py run; choose another --output-dir or pass --overwrite-output-dir")
    saved = identity_of(read_json_object(folder / ARGS_FILE))
    if saved != config.identity():
        raise FileExistsError(f"--output-dir {folder} holds a different run ({differences(saved, config.identity())}); "
                              f"choose another --output-dir or pass --overwrite-output-dir to replace it")
    if (folder / RESULTS_FILE).is_file():
        reason = stale_reason(config)
        if reason:
            raise StaleRunError(folder, reason)
        return OutputState.FINISHED
    if config.resume_from_checkpoint is None:
        raise FileExistsError(f"--output-dir {folder} holds an unfinished run with these options; pass "
                              f"--resume-from-checkpoint latest to continue it, or --overwrite-output-dir to restart")
    return OutputState.UNFINISHED


def planned_state(config: TrainingConfig) -> tuple[OutputState | None, str | None]:
    """The state of a run that a planner (the grid) starts later, with `--resume-from-checkpoint latest` where it
    stopped: FINISHED, UNFINISHED (to resume), STALE (finished but failing `stale_reason`: trained again) or FRESH;
    None when its folder holds something the run must not touch (other files, another run, an unreadable
    training_args.json), which train.py then refuses, saying why. Second, for STALE, its `stale_reason`."""
    try:
        return inspect_output_dir(replace(config, overwrite_output_dir=False, resume_from_checkpoint="latest")), None
    except StaleRunError as error:
        return OutputState.STALE, error.reason
    except (OSError, ValueError):
        return None, None


def input_fingerprints(config: TrainingConfig) -> dict[str, str | None]:
    """What all_results.json records of the run's inputs: the content of a local --dataset (its data files, not
    the card, which the release rewrites) and --backbone, or their Hub ids."""
    return {"dataset": input_fingerprint(config.dataset, skip=("README.md",)),
            "backbone": input_fingerprint(config.backbone)}


def stale_reason(config: TrainingConfig) -> str | None:
    """Why the finished run in --output-dir (its all_results.json there) is not this run's complete result, in a
    phrase; None when it is."""
    folder = Path(config.output_dir)
    results = TrainingResults.read(folder / RESULTS_FILE)
    run = results.run if isinstance(results.run, dict) else {}
    saved = saved_options(run.get("config") or {})
    if identity_of(saved) != config.identity():
        return f"its {RESULTS_FILE} is of another run ({differences(identity_of(saved), config.identity())})"
    for name in PUBLISHED_AS:
        old, new = saved.get(name), getattr(config, name)
        if old != new:
            return f"its card was written for --{name.replace('_', '-')} {old} (now {new})"
    published = PUBLISHED + ((PREDICTIONS_FILE,) if results.test is not None else ())
    missing = [name for name in published if not (folder / name).is_file()]
    if missing:
        return f"its {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    damaged = _damaged_weights(folder / WEIGHTS_FILE)
    if damaged:
        return f"its {WEIGHTS_FILE} is incomplete ({damaged})"
    recorded = run.get("inputs") or {}
    for name, current in input_fingerprints(config).items():
        if recorded.get(name) != current:
            return (f"--{name} holds other content than it was trained on" if name in recorded else
                    f"its {RESULTS_FILE} records no fingerprint of its --{name} (an older kit)")
    return None


def _damaged_weights(path: Path) -> str | None:
    """What is wrong with a safetensors file (truncated, say), or None: its header is read, not its tensors."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, "np"):
            return None
    except (SafetensorError, OSError) as error:
        return str(error)


def start_output_dir(config: TrainingConfig) -> None:
    """Main process: clear the folder if asked, then record the run's options (never the token)."""
    folder = Path(config.output_dir)
    if config.overwrite_output_dir:
        for old in (folder, work_dir(folder)):
            if old.exists():
                shutil.rmtree(old)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / ARGS_FILE, config.to_dict())


def write_repository(config: TrainingConfig, model, tokenizer, card, results: TrainingResults,
                     predictions: pa.Table | None = None) -> Path:
    """Main process: stage every file of the repository, then move them in; all_results.json last."""
    folder = Path(config.output_dir)
    staging = folder / ".repository.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / ARGS_FILE).write_text(strict_json(config.to_dict()), encoding="utf-8")
        card.save(staging / "README.md")
        if predictions is not None:
            pq.write_table(predictions, staging / PREDICTIONS_FILE)
        results.write(staging / RESULTS_FILE)
        give_user_modes(staging)
    except WRITE_FAULTS as error:  # e.g. a full disk; the checkpoints keep the run resumable
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(folder, error, staging=staging) from error
    (folder / RESULTS_FILE).unlink(missing_ok=True)  # the folder is unfinished until the last move
    for path in sorted(staging.iterdir(), key=lambda p: p.name == RESULTS_FILE):
        os.replace(path, folder / path.name)
    staging.rmdir()
    return folder


def publish(config: TrainingConfig) -> str:
    """Main process: upload the finished folder in one commit."""
    from ruqtopics_kit.core.hub import upload_folder

    return upload_folder(config.output_dir, config.hub_model_id, repo_type="model", private=config.hub_private,
                         commit_message=f"Upload {Path(config.output_dir).name} (RuQTopics train.py)",
                         token=config.hub_token, refuse_tag=SYNTHETIC_TAG)
