"""The training configuration: option groups as dataclasses, parsed by transformers' HfArgumentParser.

Each option is declared once, as a dataclass field with its help text (`HfArg`), in the dataclass of its help
group (as run_glue.py's ModelArguments / DataTrainingArguments); `TrainingConfig` is all of them, validated on
construction. HfArgumentParser builds the command line from the fields (`--an-option` and `--an_option`).
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
from typing import Any

from transformers.hf_argparser import HfArg, HfArgumentParser

from ruqtopics_kit.core.config_files import add_config_file_option, parse_with_config_file
from ruqtopics_kit.core.errors import check_choice
from ruqtopics_kit.core.output_dir import portable_path
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.dataset.text_modes import TEXT_MODES
from ruqtopics_kit.facts.backbones import registry as backbone_registry
from ruqtopics_kit.facts.labels import CONFIG_NAMES, is_multi_label

PATH_OPTIONS = ("backbone", "dataset", "resume_from_checkpoint")  # may name local folders
PLATEAU = "reduce_lr_on_plateau"  # transformers' name; stepped after each evaluation, not each optimizer step
SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", PLATEAU)
MIXED_PRECISION = ("auto", "no", "fp16", "bf16")
COMPILE_BACKENDS = ("inductor", "cudagraphs", "aot_eager", "eager")  # torch._dynamo's own
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
METRICS = {False: ("accuracy", "macro_f1", "loss"), True: ("micro_f1", "macro_f1", "subset_accuracy", "loss")}
LOWER_IS_BETTER = {"loss"}
# Options that change where or how fast a run goes, not what it trains: a run with other values of these is the
# same run (resumable, skipped by the grid when finished), and the model card's recipe leaves them out.
NOT_IDENTITY = frozenset({
    "dataset_repo_id", "dataloader_num_workers", "torch_compile", "torch_compile_backend", "torch_compile_mode",
    "output_dir", "overwrite_output_dir", "checkpointing_steps", "checkpoints_total_limit", "resume_from_checkpoint",
    "logging_steps", "report_to", "push_to_hub", "hub_model_id", "hub_token", "hub_private", "license"})
RENAMED = {"config": "dataset_config_name"}  # old option name -> today's, for files saved before the rename
METAVARS = {int: "N", float: "X", bool: "BOOL"}


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
        raise ValueError(f"checkpointing_steps: expected a positive integer, 'epoch' or 'none'; got {value!r}")
    return steps


def option(default: Any = dataclasses.MISSING, *, help: str, choices: tuple | None = None,
           metavar: str | None = None, secret: bool = False):
    """A config field for HfArgumentParser: its help, and choices and metavar when it has them.

    secret: never written anywhere (repr, training_args.json, logs, cards); the field is left out of its repr.
    """
    metadata = {"choices": choices} if choices else {"metavar": metavar or METAVARS.get(type(default), "TEXT")}
    return HfArg(default=default, help=help, metadata=metadata, repr=not secret)


@dataclass(frozen=True, kw_only=True)
class ModelDataOptions:
    _argument_group_name = "model and data"
    backbone: str = option(metavar="NAME|DIR|ID", help=(
        f"registry name ({', '.join(backbone_registry())}), a local model directory or a Hub id"))
    dataset: str = option(metavar="DIR|ID", help=(
        "exported RuQTopics: a local dataset directory or a Hub id, loaded with datasets.load_dataset"))
    dataset_config_name: str = option("single_label", choices=CONFIG_NAMES, help=(
        "dataset config (load_dataset's name): 76 topics (single or multi label) or the six MASSIVE-aligned ones"))
    dataset_revision: str | None = option(None, metavar="REVISION",
                                          help="dataset revision (branch, tag or commit) for a Hub id")
    dataset_repo_id: str | None = option(None, metavar="ORG/NAME", help=(
        "Hub id the model card cites for a local --dataset (default: --dataset itself when it is a Hub id, "
        "else the folder name)"))
    text_mode: str = option("question", choices=TEXT_MODES, help=(
        "what the model reads; question_answer is a sentence pair that truncates the answer, never the question"))
    max_length: int | None = option(None, metavar="N", help=(
        "maximum tokens per example (default: 32 for question, 128 otherwise; at most the backbone's limit)"))
    lowercase: bool = option(False, help=(
        "lowercase every text (the tokenizer's do_lower_case, as DeepPavlov's preprocessor; BERT's lowercasing also "
        "strips accents: й -> и, ё -> е); saved in the published tokenizer, so evaluation and pipelines do the same"))
    max_train_samples: int | None = option(None, metavar="N",
                                           help="use only the first N training examples (for quick runs)")
    max_eval_samples: int | None = option(None, metavar="N", help="use only the first N validation and test examples")


@dataclass(frozen=True, kw_only=True)
class OptimisationOptions:
    _argument_group_name = "optimisation"
    per_device_train_batch_size: int = option(32, help="training examples per process and step")
    per_device_eval_batch_size: int = option(64, help="evaluation examples per process and batch")
    gradient_accumulation_steps: int = option(1, help=(
        "micro-batches per optimizer step (effective batch = per-device batch x processes x this)"))
    total_train_batch_size: int | None = option(None, metavar="N", help=(
        "the effective batch to keep on any number of processes P: the per-device batch and the gradient "
        "accumulation are set so that per-device x P x accumulation = N, --per-device-train-batch-size being the "
        "most one process takes at once (a total that P does not divide is refused)"))
    learning_rate: float = option(2e-5, help="peak learning rate of AdamW")
    weight_decay: float = option(0.0, help=(
        "AdamW weight decay (not applied to biases and LayerNorm weights unless --decay-every-parameter)"))
    decay_every_parameter: bool = option(False, help=(
        "apply --weight-decay to biases and LayerNorm weights too, as torch's AdamW given all parameters "
        "(DeepPavlov's code path)"))
    adam_beta1: float = option(0.9, help="AdamW beta1")
    adam_beta2: float = option(0.999, help="AdamW beta2")
    adam_epsilon: float = option(1e-8, help="AdamW epsilon")
    max_grad_norm: float = option(1.0, help="gradient clipping norm (0 turns clipping off)")
    lr_scheduler_type: str = option("linear", choices=SCHEDULERS, help=(
        "learning-rate schedule after warmup, one step per optimizer step; reduce_lr_on_plateau instead keeps "
        "the learning rate until the validation metric stops improving, then divides it (DeepPavlov's schedule)"))
    lr_plateau_factor: float = option(2.0, help=(
        "reduce_lr_on_plateau: divide the learning rate by X (DeepPavlov's learning_rate_drop_div)"))
    lr_plateau_patience: int = option(2, help=(
        "reduce_lr_on_plateau: after N evaluations in a row without a better --metric-for-best-model "
        "(DeepPavlov's learning_rate_drop_patience)"))
    lr_plateau_reload_best: bool = option(False, help=(
        "reduce_lr_on_plateau: reload the best evaluation's weights before dividing the learning rate "
        "(DeepPavlov's load_before_drop; the optimizer's moments are kept)"))
    warmup_ratio: float = option(0.0, help="warmup as a fraction of the optimizer steps")
    warmup_steps: int = option(0, help="warmup in optimizer steps (instead of --warmup-ratio)")
    num_train_epochs: int = option(3, help="epochs over the training split")
    max_train_steps: int | None = option(None, metavar="N",
                                         help="optimizer steps in total; overrides --num-train-epochs")
    seed: int = option(DEFAULT_SEED, help="seed of the head's initialisation, dropout and the batch order")
    mixed_precision: str = option("auto", choices=MIXED_PRECISION, help=(
        "auto: what `accelerate launch`/its config says, else bf16 where the device computes it natively (a GPU "
        "with bf16, a CPU with AVX512-BF16 or AMX), else no"))
    dataloader_num_workers: int = option(0, help=(
        "processes that pad batches while the model computes (worth 2-4 on a GPU; 0: the main process)"))
    torch_compile: bool = option(False, help=(
        "torch.compile the model (through accelerate); batches are then padded to one of four lengths up to "
        "--max-length, so that the compiled graphs are reused"))
    torch_compile_backend: str = option("inductor", choices=COMPILE_BACKENDS,
                                        help="torch.compile backend with --torch-compile (aot_eager, eager: debugging)")
    torch_compile_mode: str = option("default", choices=COMPILE_MODES, help=(
        "torch.compile mode with --torch-compile; reduce-overhead adds CUDA graphs on a GPU (one per batch shape)"))


@dataclass(frozen=True, kw_only=True)
class EvaluationOptions:
    _argument_group_name = "evaluation"
    eval_steps: int | None = option(None, metavar="N", help=(
        "evaluate on the validation split every N optimizer steps (default: at the end of each epoch); "
        "training always ends with an evaluation"))
    metric_for_best_model: str | None = option(None, metavar="METRIC", help=(
        "validation metric that selects the final model and drives early stopping (default: accuracy, "
        "micro_f1 for multi_label; also macro_f1, subset_accuracy, loss)"))
    early_stopping_patience: int | None = option(None, metavar="N", help=(
        "stop after this many evaluations without improvement (default: never stop early)"))


@dataclass(frozen=True, kw_only=True)
class OutputOptions:
    _argument_group_name = "output"
    output_dir: str = option(metavar="DIR", help=(
        "the run's folder: a Hub model repository when training ends; checkpoints and logs go to .NAME.work/ "
        "beside it (NAME: its name)"))
    overwrite_output_dir: bool = option(False, help="delete an output directory that holds another run or this one")
    checkpointing_steps: int | str | None = option("epoch", metavar="N|epoch|none", help=(
        "save a resumable checkpoint every N optimizer steps, at each epoch's end ('epoch'), or never ('none')"))
    checkpoints_total_limit: int | None = option(1, help="keep only the newest N checkpoints")
    resume_from_checkpoint: str | None = option(None, metavar="DIR|latest", help=(
        "a checkpoint folder, or 'latest' for the newest in .NAME.work/checkpoints (none yet: start afresh)"))
    logging_steps: int = option(50, help="log the training loss and learning rate every N optimizer steps")
    report_to: str = option("tensorboard", metavar="NAMES", help=(
        "accelerate trackers, comma-separated (tensorboard, wandb, mlflow, ...; one not installed stops the run), "
        "'all' (every one installed) or 'none'; logs go to .NAME.work/runs"))

@dataclass(frozen=True, kw_only=True)
class HubOptions:
    _argument_group_name = "hub"
    push_to_hub: bool = option(False, help="upload the finished output directory to --hub-model-id")
    hub_model_id: str | None = option(None, metavar="ORG/NAME", help="ORG/NAME of the Hub model repository")
    hub_token: str | None = option(None, secret=True, metavar="TOKEN", help=(
        "Hub token (default: HF_TOKEN or the saved login); never written anywhere"))
    hub_private: bool = option(False, help="create the Hub repository as private")
    license: str | None = option(None, metavar="ID", help=(
        "licence id of the model for its card (Hub ids: apache-2.0, mit, other, ...; default: the backbone's "
        "licence from the registry, else the card says the licence is unknown)"))


OPTION_GROUPS = (ModelDataOptions, OptimisationOptions, EvaluationOptions, OutputOptions, HubOptions)


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


SECRET_OPTIONS = tuple(spelling for spec in dataclasses.fields(TrainingConfig) if not spec.repr  # secrets: repr=False
                       for spelling in (f"--{spec.name}", f"--{spec.name.replace('_', '-')}"))


def printable(command: tuple[str, ...]) -> str:
    """The command as a shell line, its secrets (the value of --hub-token) masked: what logs and screens show."""
    shown, secret_next = [], False
    for word in command:
        flag = word.split("=", 1)[0]
        if secret_next:
            word, secret_next = "***", False
        elif flag in SECRET_OPTIONS:
            word, secret_next = (f"{flag}=***", False) if "=" in word else (word, True)
        shown.append(word)
    return shlex.join(shown)


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
        raise ValueError(f"total_train_batch_size {total} cannot be split evenly between {num_processes} processes; "
                         f"use a number of processes that divides it")
    share = total // num_processes
    accumulation = next(steps for steps in range(-(-share // config.per_device_train_batch_size), share + 1)
                        if share % steps == 0)
    if config.gradient_accumulation_steps not in (1, accumulation):
        raise ValueError(f"give total_train_batch_size or gradient_accumulation_steps, not both (the total sets "
                         f"the accumulation: {accumulation} on {num_processes} process(es))")
    return dataclasses.replace(config, per_device_train_batch_size=share // accumulation,
                               gradient_accumulation_steps=accumulation)


def differences(old: dict, new: dict) -> str:
    return ", ".join(f"{name}: {old.get(name)!r} -> {new.get(name)!r}"
                     for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name))


# ---- validation ---------------------------------------------------------------------------------------------

def validate(config: TrainingConfig) -> None:
    """Sklearn-style checks of values that argparse cannot check alone."""
    empty = [f"--{name.replace('_', '-')}" for name in ("backbone", "dataset", "output_dir")
             if not getattr(config, name)]
    if empty:
        raise ValueError(f"{', '.join(empty)} must not be empty")
    _positive(config, "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
              "total_train_batch_size", "num_train_epochs", "logging_steps", "max_length", "max_train_samples",
              "max_eval_samples", "max_train_steps", "eval_steps", "checkpoints_total_limit", "early_stopping_patience",
              "lr_plateau_patience")
    if config.dataloader_num_workers < 0:
        raise ValueError(f"dataloader_num_workers must be >= 0; got {config.dataloader_num_workers}")
    if config.learning_rate <= 0:
        raise ValueError(f"learning_rate must be > 0; got {config.learning_rate}")
    if not 0 <= config.warmup_ratio < 1 or config.warmup_steps < 0:
        raise ValueError(f"warmup_ratio must be in [0, 1) and warmup_steps >= 0; got {config.warmup_ratio} and "
                         f"{config.warmup_steps}")
    if config.warmup_ratio and config.warmup_steps:
        raise ValueError(f"give warmup_ratio or warmup_steps, not both; got warmup_ratio={config.warmup_ratio} "
                         f"and warmup_steps={config.warmup_steps}")
    if config.plateau_schedule and (config.warmup_ratio or config.warmup_steps):
        raise ValueError("reduce_lr_on_plateau starts at the full learning rate and has no warmup (as DeepPavlov's "
                         "schedule); set warmup_ratio and warmup_steps to 0, or choose constant_with_warmup")
    if config.lr_plateau_reload_best and not config.plateau_schedule:
        raise ValueError(f"lr_plateau_reload_best applies to lr_scheduler_type {PLATEAU}; got "
                         f"{config.lr_scheduler_type}")
    if not config.lr_plateau_factor > 1:
        raise ValueError(f"lr_plateau_factor must be > 1 (the learning rate is divided by it); got "
                         f"{config.lr_plateau_factor}")
    if config.max_length is not None and config.max_length < 8:
        raise ValueError(f"max_length must be at least 8 tokens; got {config.max_length}")
    check_choice("metric_for_best_model", config.best_metric, METRICS[config.multi_label],
                 note=f"for config {config.dataset_config_name!r}")
    if config.overwrite_output_dir and config.resume_from_checkpoint == "latest":
        raise ValueError("--overwrite-output-dir deletes the checkpoints that --resume-from-checkpoint latest would "
                         "resume from; pass one of them")
    if config.torch_compile_mode != "default" and config.torch_compile_backend != "inductor":
        raise ValueError(f"--torch-compile-mode {config.torch_compile_mode} is an inductor mode; "
                         f"got --torch-compile-backend {config.torch_compile_backend}")
    if config.push_to_hub and not config.hub_model_id:
        raise ValueError("--push-to-hub needs --hub-model-id ORG/NAME")
    if config.hub_model_id and config.hub_model_id.count("/") != 1:
        raise ValueError(f"hub_model_id must look like ORG/NAME; got {config.hub_model_id!r}")


def _positive(config: TrainingConfig, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")


# ---- command line and YAML ----------------------------------------------------------------------------------

class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """HfArgumentParser's formatter, without "(default: None)" on options that have no default."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


def build_parser(prog: str = "ruqtopics train", **_) -> HfArgumentParser:
    """train's parser (`**_`: the description and formatter the kit's other commands take are its own here)."""
    parser = HfArgumentParser(
        OPTION_GROUPS, prog=prog, allow_abbrev=False, formatter_class=DefaultsHelpFormatter, description=(
            "Fine-tune a backbone on RuQTopics with accelerate (`ruqtopics train ...`, `python train.py ...` or "
            "`accelerate launch train.py ...`, same arguments). The output directory becomes a Hub model "
            "repository: weights, tokenizer, config with Russian class names, metrics and a model card."),
        epilog="Every option can also be set in --config-file; the command line wins.")
    add_config_file_option(parser)
    add_switch_complements(parser)
    return parser


def add_switch_complements(parser: HfArgumentParser) -> None:
    """`--no-X` for each switch that is off by default, as argparse's BooleanOptionalAction gives (HfArgumentParser
    adds it only to switches that are on by default)."""
    groups = {group.title: group for group in parser._action_groups}  # argparse lists its groups nowhere public
    for group_type in OPTION_GROUPS:
        for spec in dataclasses.fields(group_type):
            if spec.default is False:  # only switches default to False
                groups[group_type._argument_group_name].add_argument(
                    f"--no_{spec.name}", f"--no-{spec.name.replace('_', '-')}", action="store_false", dest=spec.name,
                    default=False, help=argparse.SUPPRESS)  # the default; `--X false` says the same


def parse_args(argv: list[str] | None = None) -> TrainingConfig:
    """The config from the command line (and --config-file); argparse errors exit with status 2."""
    import sys

    parser = build_parser()
    namespace = vars(parse_with_config_file(parser, sys.argv[1:] if argv is None else list(argv)))
    try:
        return TrainingConfig(**namespace)
    except ValueError as error:
        parser.error(str(error))
