"""The training configuration: `TrainingConfig`, every option of `training.options`' groups, checked on
construction; what defines a run (its identity) and what is recorded of it; train's command line.

HfArgumentParser builds the command line from the option groups' fields (`--an-option` and `--an_option`).
`--config-file FILE.yaml` holds the same options (dashes or underscores); options given on the command line
override the file; an unknown key in the file is an error naming the key (`core.config_files`, as for every
command with many options: HfArgumentParser's `parse_yaml_file` takes no command-line overrides).
The resolved config is written to `training_args.json` in the output directory and to every checkpoint,
without the Hub token.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from dataclasses import dataclass

from transformers.hf_argparser import HfArgumentParser

from ruqtopics_kit.core.config_files import add_config_file_option, add_switch_off, parse_with_config_file
from ruqtopics_kit.core.errors import check_choice
from ruqtopics_kit.core.hub import check_license_id, check_repo_id
from ruqtopics_kit.core.output_dir import portable_path
from ruqtopics_kit.core.secrets import MasksSecrets, masked_words
from ruqtopics_kit.facts.labels import is_multi_label
from ruqtopics_kit.training.options import (
    OPTION_GROUPS,
    PLATEAU,
    EvaluationOptions,
    HubOptions,
    ModelDataOptions,
    OptimisationOptions,
    OutputOptions,
)

PATH_OPTIONS = ("backbone", "dataset", "resume_from_checkpoint")  # may name local folders
METRICS = {False: ("accuracy", "macro_f1", "loss"), True: ("micro_f1", "macro_f1", "subset_accuracy", "loss")}
LOWER_IS_BETTER = {"loss"}
# Options that change where or how fast a run goes, not what it trains: a run with other values of these is the
# same run (resumable, skipped by the grid when finished), and the model card's recipe leaves them out.
NOT_IDENTITY = frozenset({
    "dataset_repo_id", "dataloader_num_workers", "torch_compile", "torch_compile_backend", "torch_compile_mode",
    "output_dir", "overwrite_output_dir", "checkpointing_steps", "checkpoints_total_limit", "resume_from_checkpoint",
    "logging_steps", "report_to", "push_to_hub", "hub_model_id", "hub_token", "hub_private", "license"})
RENAMED = {"config": "dataset_config_name"}  # old option name -> today's, for files saved before the rename


def checkpoint_interval(value: int | str | None) -> int | str | None:
    """`--checkpointing-steps`: a positive number of optimizer steps, `epoch`, or `none` (no checkpoints)."""
    if value in (None, "none"):
        return None
    if value == "epoch":
        return "epoch"
    try:
        steps = int(value)
    except ValueError:
        steps = 0
    if steps <= 0:
        raise ValueError(f"--checkpointing-steps: expected a positive integer, 'epoch' or 'none'; got {value!r}")
    return steps


@dataclass(frozen=True, kw_only=True)
class TrainingConfig(HubOptions, OutputOptions, EvaluationOptions, OptimisationOptions, ModelDataOptions):
    """Every option of train.py (see `--help`), the groups' fields in their order; validated on construction."""

    # ---- derived values
    @property
    def multi_label(self) -> bool:
        return is_multi_label(self.dataset_config_name)

    @property
    def best_metric(self) -> str:
        return self.metric_for_best_model or ("micro_f1" if self.multi_label else "accuracy")

    @property
    def plateau_schedule(self) -> bool:
        """The learning rate follows the evaluations (stepped with the validation metric), not the steps."""
        return self.lr_scheduler_type == PLATEAU

    @property
    def greater_is_better(self) -> bool:
        return self.best_metric not in LOWER_IS_BETTER

    @property
    def batch_origin(self) -> str:
        """Where the per-device batch and accumulation came from, for the log and the card."""
        total = self.total_train_batch_size
        return f" (set from total_train_batch_size {total}, kept on any number of processes)" if total else ""

    def to_dict(self) -> dict:
        """Every option except secrets: what training_args.json and checkpoints hold. They are published, so
        local paths are relative to the output folder (the model repository), never absolute."""
        return {f.name: self._portable(f.name) for f in dataclasses.fields(self) if f.repr}  # secrets: repr=False

    def identity(self) -> dict:
        """The options that define the run: two configs with equal identities train the same model."""
        return _without_batch_split({f.name: self._portable(f.name) for f in dataclasses.fields(self)
                                     if f.name not in NOT_IDENTITY})

    def _portable(self, name: str):
        if name == "output_dir":
            return "."
        value = getattr(self, name)
        return portable_path(value, self.output_dir) if name in PATH_OPTIONS else value

    def __post_init__(self):
        object.__setattr__(self, "checkpointing_steps", checkpoint_interval(self.checkpointing_steps))
        validate(self)


def printable(command: tuple[str, ...]) -> str:
    """The command as a shell line, its secrets (the value of --hub-token) masked: what logs and screens show."""
    return shlex.join(masked_words(command))


def saved_options(saved: dict) -> dict:
    """Options as saved (training_args.json, a checkpoint's run record), under today's names: runs saved before
    a rename are still recognised (resumed, skipped by the grid, read by the claims)."""
    return {RENAMED.get(name, name): value for name, value in saved.items()}


def identity_of(saved: dict) -> dict:
    """The identity part of a saved config dict (training_args.json), missing options at their defaults."""
    saved = saved_options(saved)
    defaults = {f.name: None if f.default is dataclasses.MISSING else f.default
                for f in dataclasses.fields(TrainingConfig) if f.name not in NOT_IDENTITY}
    return _without_batch_split({name: saved.get(name, default) for name, default in defaults.items()})


def _without_batch_split(identity: dict) -> dict:
    """With a total batch, how it is split (per device, accumulation) follows from the processes: not the run's
    identity, as the number of processes is not (a run is resumed by as many processes as it started with)."""
    if identity.get("total_train_batch_size") is None:
        return identity
    return {name: value for name, value in identity.items()
            if name not in ("per_device_train_batch_size", "gradient_accumulation_steps")}


def resolve_batch(config: TrainingConfig, num_processes: int) -> TrainingConfig:
    """The config with its total batch split for `num_processes` processes: the fewest accumulation steps whose
    per-device batch divides the per-process share and is at most --per-device-train-batch-size. Unchanged
    without a total; resolving a resolved config gives it back."""
    total = config.total_train_batch_size
    if total is None:
        return config
    if total % num_processes:
        raise ValueError(f"--total-train-batch-size {total} cannot be split evenly between {num_processes} processes; "
                         f"use a number of processes that divides it")
    share = total // num_processes
    accumulation = next(steps for steps in range(-(-share // config.per_device_train_batch_size), share + 1)
                        if share % steps == 0)
    if config.gradient_accumulation_steps not in (1, accumulation):
        raise ValueError(f"give --total-train-batch-size or --gradient-accumulation-steps, not both (the total sets "
                         f"the accumulation: {accumulation} on {num_processes} process(es))")
    return dataclasses.replace(config, per_device_train_batch_size=share // accumulation,
                               gradient_accumulation_steps=accumulation)


def differences(old: dict, new: dict) -> str:
    return ", ".join(f"{name}: {old.get(name)!r} -> {new.get(name)!r}"
                     for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name))


# ---- validation ---------------------------------------------------------------------------------------------

def validate(config: TrainingConfig) -> None:
    """Sklearn-style checks of values that argparse cannot check alone."""
    empty = [option(name) for name in ("backbone", "dataset", "output_dir")
             if not getattr(config, name)]
    if empty:
        raise ValueError(f"{', '.join(empty)} must not be empty")
    _positive(config, "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
              "total_train_batch_size", "num_train_epochs", "logging_steps", "max_length", "max_train_samples",
              "max_eval_samples", "max_train_steps", "eval_steps", "checkpoints_total_limit", "early_stopping_patience",
              "lr_plateau_patience")
    if config.dataloader_num_workers < 0:
        raise ValueError(f"--dataloader-num-workers must be >= 0; got {config.dataloader_num_workers}")
    if config.learning_rate <= 0:
        raise ValueError(f"--learning-rate must be > 0; got {config.learning_rate}")
    if not 0 <= config.warmup_ratio < 1 or config.warmup_steps < 0:
        raise ValueError(f"--warmup-ratio must be in [0, 1) and --warmup-steps >= 0; got {config.warmup_ratio} and "
                         f"{config.warmup_steps}")
    if config.warmup_ratio and config.warmup_steps:
        raise ValueError(f"give --warmup-ratio or --warmup-steps, not both; got --warmup-ratio {config.warmup_ratio} "
                         f"and --warmup-steps {config.warmup_steps}")
    if config.plateau_schedule and (config.warmup_ratio or config.warmup_steps):
        raise ValueError("reduce_lr_on_plateau starts at the full learning rate and has no warmup (as DeepPavlov's "
                         "schedule); set --warmup-ratio and --warmup-steps to 0, or choose constant_with_warmup")
    if config.lr_plateau_reload_best and not config.plateau_schedule:
        raise ValueError(f"--lr-plateau-reload-best applies to --lr-scheduler-type {PLATEAU}; got "
                         f"{config.lr_scheduler_type}")
    if not config.lr_plateau_factor > 1:
        raise ValueError(f"--lr-plateau-factor must be > 1 (the learning rate is divided by it); got "
                         f"{config.lr_plateau_factor}")
    if config.max_length is not None and config.max_length < 8:
        raise ValueError(f"--max-length must be at least 8 tokens; got {config.max_length}")
    check_choice("--metric-for-best-model", config.best_metric, METRICS[config.multi_label],
                 note=f"for config {config.dataset_config_name!r}")
    if config.overwrite_output_dir and config.resume_from_checkpoint == "latest":
        raise ValueError("--overwrite-output-dir deletes the checkpoints that --resume-from-checkpoint latest would "
                         "resume from; pass one of them")
    if config.torch_compile_mode != "default" and config.torch_compile_backend != "inductor":
        raise ValueError(f"--torch-compile-mode {config.torch_compile_mode} is an inductor mode; "
                         f"got --torch-compile-backend {config.torch_compile_backend}")
    if config.push_to_hub and not config.hub_model_id:
        raise ValueError("--push-to-hub needs --hub-model-id ORG/NAME")
    _check_hub_names(config)


def _check_hub_names(config: TrainingConfig) -> None:
    """The Hub ids and the licence that the model card names, checked as export and the release check theirs:
    before any work, not at the upload (or never, when the folder is uploaded by hand)."""
    for flag, repo_id in (("--hub-model-id", config.hub_model_id), ("--dataset-repo-id", config.dataset_repo_id)):
        if repo_id is not None:
            check_repo_id(flag, repo_id)
    if config.license is not None:
        check_license_id("--license", config.license)


def option(name: str) -> str:
    """The command-line spelling of a config field, as messages name it (`max_length` -> `--max-length`)."""
    return f"--{name.replace('_', '-')}"


def _positive(config: TrainingConfig, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError(f"{option(name)} must be a positive integer; got {value!r}")


# ---- command line and YAML ----------------------------------------------------------------------------------

class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """HfArgumentParser's formatter, without "(default: None)" on options that have no default."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


class TrainParser(MasksSecrets, HfArgumentParser):
    """HfArgumentParser whose usage errors mask the token, as every command's parser does."""


def build_parser(prog: str = "ruqtopics train", **_) -> TrainParser:
    """train's parser, without the --config-file and --version that the kit's command wrapper adds to every command
    (`**_`: the description and formatter the kit's other commands take are its own here)."""
    parser = TrainParser(
        OPTION_GROUPS, prog=prog, allow_abbrev=False, formatter_class=DefaultsHelpFormatter, description=(
            "Fine-tune a backbone on RuQTopics with accelerate (`ruqtopics train ...`, `python train.py ...` or "
            "`accelerate launch train.py ...`, same arguments). The output directory becomes a Hub model "
            "repository: weights, tokenizer, config with Russian class names, metrics and a model card."),
        epilog="Every option can also be set in --config-file; the command line wins.")
    for spec in dataclasses.fields(TrainingConfig):  # `--no-X` for a switch, as every switch of the kit has
        if spec.default is False:  # (HfArgumentParser's own is `--X false`)
            add_switch_off(parser, f"--{spec.name}", f"--{spec.name.replace('_', '-')}", dest=spec.name)
    return parser


def parse_args(argv: list[str] | None = None) -> TrainingConfig:
    """The config from the command line (and --config-file): usage errors exit with status 2, a fault of the
    config file with 1 (`parse_with_config_file`)."""
    import sys

    parser = build_parser()
    add_config_file_option(parser)
    namespace = vars(parse_with_config_file(parser, sys.argv[1:] if argv is None else list(argv)))
    try:
        return TrainingConfig(**namespace)
    except ValueError as error:
        parser.error(str(error))
