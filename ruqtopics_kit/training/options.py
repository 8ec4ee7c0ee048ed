"""train's options: a frozen dataclass per help group (as run_glue.py's ModelArguments / DataTrainingArguments),
each option declared once as a field with its help text (`HfArg`), from which transformers' HfArgumentParser builds
the command line (`--an-option` and `--an_option`). `training.config.TrainingConfig` is all of them, checked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from transformers.hf_argparser import HfArg

from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.dataset.text_modes import TEXT_MODES
from ruqtopics_kit.facts.backbones import registry as backbone_registry
from ruqtopics_kit.facts.labels import CONFIG_NAMES

PLATEAU = "reduce_lr_on_plateau"  # transformers' name; stepped after each evaluation, not each optimizer step
SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", PLATEAU)
MIXED_PRECISION = ("auto", "no", "fp16", "bf16")
COMPILE_BACKENDS = ("inductor", "cudagraphs", "aot_eager", "eager")  # torch._dynamo's own
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
METAVARS = {int: "N", float: "X", bool: "BOOL"}


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
