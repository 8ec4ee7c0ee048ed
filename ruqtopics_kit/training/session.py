"""A training run set up and checked before anything is trained: `setup` builds the `Session`.

`setup` runs every check (options, output folder, checkpoint, backbone, dataset classes) before anything
is trained or written; a multi-label head starts at the training split's label frequencies. Then it builds
the accelerator's data loaders, model, optimizer and learning-rate schedule, and resumes from a checkpoint
when asked. `loop` trains the session.
"""

from __future__ import annotations

import logging
import math
import os
import platform
from dataclasses import dataclass, field

import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import ProjectConfiguration, TorchDynamoPlugin, parse_flag_from_env, set_seed

from ruqtopics_kit.core.errors import InvalidParameterError
from ruqtopics_kit.dataset.text_modes import DEFAULT_MAX_LENGTH
from ruqtopics_kit.facts.backbones import Backbone, resolve_backbone
from ruqtopics_kit.facts.labels import LabelSet, for_config
from ruqtopics_kit.modeling.backbones import (
    load_classifier,
    load_tokenizer,
    max_length_cap,
    record_input_limit,
    start_head_at_label_prior,
)
from ruqtopics_kit.modeling.precision import has_native_bf16
from ruqtopics_kit.training.checkpoints import Progress, read_state, resolve_resume, work_dir
from ruqtopics_kit.training.config import TrainingConfig, differences, identity_of
from ruqtopics_kit.training.data import (
    BucketPadding,
    check_same_data,
    data_fingerprint,
    dataloaders,
    load_splits,
    test_examples,
    tokenize,
)
from ruqtopics_kit.training.evaluation import Evaluator
from ruqtopics_kit.training.outputs import input_fingerprints, start_output_dir
from ruqtopics_kit.training.preemption import StopRequest
from ruqtopics_kit.training.trackers import tracker_names

logger = get_logger(__name__)
NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight")


@dataclass
class Session:
    """A run set up and checked, nothing trained yet."""

    config: TrainingConfig
    accelerator: Accelerator
    labels: LabelSet
    backbone: Backbone
    tokenizer: object
    model: torch.nn.Module
    optimizer: object
    scheduler: object
    train_loader: object
    eval_loaders: dict
    evaluator: Evaluator
    plan: StepPlan
    progress: Progress
    run: dict  # what checkpoints and all_results.json record besides the options
    test_examples: tuple[list[str], list[int]] | None = None  # test ids and evaluation order (data.test_examples)
    stop: StopRequest = field(default_factory=StopRequest)  # a scheduler's request to stop at a checkpoint


@dataclass(frozen=True)
class StepPlan:
    """Step counts, computed from the prepared (per-process) training loader."""

    batches_per_epoch: int
    steps_per_epoch: int
    max_steps: int

    @property
    def epochs(self) -> int:
        return math.ceil(self.max_steps / self.steps_per_epoch)

    @classmethod
    def of(cls, config: TrainingConfig, batches_per_epoch: int) -> StepPlan:
        # accelerate also steps at the end of an epoch whose batch count is not a multiple of the accumulation
        steps_per_epoch = math.ceil(batches_per_epoch / config.gradient_accumulation_steps)
        max_steps = config.max_train_steps or steps_per_epoch * config.num_train_epochs
        return cls(batches_per_epoch, steps_per_epoch, max_steps)


def make_accelerator(config: TrainingConfig) -> Accelerator:
    trackers = tracker_names(config.report_to)
    return Accelerator(
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        mixed_precision=resolve_mixed_precision(config.mixed_precision),
        log_with=trackers or None,
        project_config=ProjectConfiguration(project_dir=str(work_dir(config.output_dir)),
                                            logging_dir=str(work_dir(config.output_dir) / "runs")),
        # We step the scheduler ourselves, once per optimizer step. Stepped "with the optimizer", accelerate
        # would step it num_processes times per optimizer step (split_batches=False), so a schedule sized
        # in optimizer steps would run N times too fast on N processes.
        step_scheduler_with_optimizer=False,
        **({"dynamo_plugin": TorchDynamoPlugin(backend=config.torch_compile_backend, mode=config.torch_compile_mode)}
           if config.torch_compile else {}))


def check_mixed_precision(requested: str) -> None:
    """fp16 autocast exists on GPUs only: on a CPU accelerate trains in float32 and would record fp16."""
    if requested == "fp16" and _on_cpu():
        raise InvalidParameterError("--mixed-precision fp16 needs a GPU: on this CPU the model would train in float32 "
                                    "while the run records fp16; pass bf16, no or auto")


def _on_cpu() -> bool:
    return not torch.cuda.is_available() or parse_flag_from_env("ACCELERATE_USE_CPU")  # as accelerate reads it


def resolve_mixed_precision(requested: str) -> str | None:
    """`auto`: defer to `accelerate launch`/its config when they set it, else bf16 where the device running the
    model (the GPU if there is one, else the CPU) computes it natively."""
    if requested != "auto":
        return requested
    if os.environ.get("ACCELERATE_MIXED_PRECISION"):
        return None
    return "bf16" if has_native_bf16("cpu" if _on_cpu() else "cuda") else "no"


def configure_logging(accelerator: Accelerator) -> None:
    import datasets
    import transformers

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S",
                        level=logging.WARNING)
    logging.getLogger("ruqtopics_kit").setLevel(logging.INFO)  # ours; the libraries' only from warnings up
    if not accelerator.is_local_main_process:  # one copy of the libraries' messages and progress bars
        datasets.utils.logging.set_verbosity_error()
        transformers.utils.logging.set_verbosity_error()
        datasets.disable_progress_bars()


def setup(config: TrainingConfig, accelerator: Accelerator) -> Session:
    """Check everything, then build data, model, optimizer and schedule; resume if asked."""
    check_total_batch(config, accelerator.num_processes)
    checkpoint = resolve_resume(config.resume_from_checkpoint, config.output_dir)
    progress, saved_run = read_state(checkpoint) if checkpoint else (Progress(), None)
    if saved_run:
        check_same_run(saved_run, config, accelerator.num_processes, checkpoint)
    labels = for_config(config.dataset_config_name)
    backbone = resolve_backbone(config.backbone)
    inputs = input_fingerprints(config)  # hashed once: the dataset's cache key and the run's record
    with accelerator.main_process_first():
        splits = load_splits(config, labels, inputs["dataset"])
    data = data_fingerprint(splits)
    if saved_run:
        check_same_data(saved_run.get("data"), data, checkpoint)
    tokenizer = load_tokenizer(backbone, lowercase=config.lowercase)
    set_seed(config.seed)  # the classification head's initialisation
    model, initialised = load_classifier(backbone, labels, multi_label=config.multi_label)
    max_length = resolve_max_length(config, backbone, tokenizer, model.config)
    record_input_limit(tokenizer, backbone, model.config)  # saved with the model: pipelines truncate to it
    with accelerator.main_process_first():
        tokenized = tokenize(splits, tokenizer, config, max_length, len(labels))
    if config.multi_label and not checkpoint:
        start_at_label_prior(model, tokenized["train"], initialised)

    if accelerator.is_main_process:  # every check passed: from here on the output folder is this run's
        start_output_dir(config)
    accelerator.wait_for_everyone()

    collator = make_collator(config, accelerator, tokenizer, max_length)
    train_loader, eval_loaders = dataloaders(tokenized, collator, config, accelerator.num_processes)
    optimizer = make_optimizer(model, config)
    model, optimizer, train_loader, *prepared = accelerator.prepare(model, optimizer, train_loader,
                                                                    *eval_loaders.values())
    eval_loaders = dict(zip(eval_loaders, prepared, strict=True))
    plan = StepPlan.of(config, len(train_loader))
    scheduler = accelerator.prepare(make_scheduler(optimizer, config, plan.max_steps))

    run = run_record(config, inputs, accelerator, max_length, plan, tokenized) | {"data": data}
    if checkpoint:
        accelerator.load_state(str(checkpoint))
        logger.info(f"resumed from {checkpoint} at optimizer step {progress.completed_steps}")
    accelerator.init_trackers("ruqtopics", config=_tracker_config(config))
    return Session(config, accelerator, labels, backbone, tokenizer, model, optimizer, scheduler, train_loader,
                   eval_loaders, Evaluator(accelerator, config.multi_label), plan, progress, run,
                   test_examples(splits, tokenized))


def start_at_label_prior(model, train, initialised: frozenset[str]) -> None:
    """A new multi-label head starts at the training split's label frequencies (`start_head_at_label_prior`)."""
    hot = train.with_format("numpy")["labels"][:]  # examples x classes, multi-hot
    if not start_head_at_label_prior(model, hot.sum(axis=0), len(hot), initialised):
        logger.info(f"the head of {type(model).__name__} keeps its biases: it has no newly initialised output "
                    f"layer of one bias per class (a head loaded trained, or another shape of head)")


def make_collator(config: TrainingConfig, accelerator: Accelerator, tokenizer, max_length: int):
    """Dynamic padding; a compiled model gets a few fixed lengths (each new shape costs a compilation)."""
    from transformers import DataCollatorWithPadding

    if config.torch_compile:
        return BucketPadding(tokenizer, max_length)
    on_gpu_mixed = accelerator.device.type == "cuda" and accelerator.mixed_precision in ("fp16", "bf16")
    return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if on_gpu_mixed else None)


def hardware(accelerator: Accelerator) -> str:
    """What trained the model, for the card: the GPU's name, or the CPU's architecture and threads per process."""
    device = accelerator.device
    name = (torch.cuda.get_device_name(device) if device.type == "cuda" else
            f"CPU ({platform.machine()}, {torch.get_num_threads()} threads)")
    return f"{accelerator.num_processes} x {name}" if accelerator.num_processes > 1 else name


def run_record(config: TrainingConfig, inputs: dict[str, str | None], accelerator: Accelerator, max_length: int,
               plan: StepPlan, tokenized) -> dict:
    """What checkpoints and all_results.json record besides the options: the run as it was resolved."""
    return {"config": config.to_dict(), "inputs": inputs,
            "num_processes": accelerator.num_processes, "hardware": hardware(accelerator),
            "mixed_precision": accelerator.mixed_precision, "max_length": max_length,
            "effective_batch_size": (config.per_device_train_batch_size * accelerator.num_processes
                                     * config.gradient_accumulation_steps),
            "max_steps": plan.max_steps, "train_examples": tokenized["train"].num_rows,
            "eval_examples": {split: part.num_rows for split, part in tokenized.items() if split != "train"}}


def check_total_batch(config: TrainingConfig, num_processes: int) -> None:
    """The split of --total-train-batch-size (`command.main`) was made for as many processes as accelerate has."""
    split = config.per_device_train_batch_size * num_processes * config.gradient_accumulation_steps
    if config.total_train_batch_size not in (None, split):
        raise ValueError(f"--total-train-batch-size {config.total_train_batch_size} was split for another number of "
                         f"processes than this run's {num_processes} (WORLD_SIZE is not what the launcher started)")


def check_same_run(saved_run: dict, config: TrainingConfig, num_processes: int, checkpoint) -> None:
    saved = identity_of(saved_run["config"])
    if saved != config.identity():
        raise ValueError(f"checkpoint {checkpoint} belongs to a different run ({differences(saved, config.identity())})"
                         f"; resume with the options it was saved with")
    if saved_run["num_processes"] != num_processes:
        raise ValueError(f"checkpoint {checkpoint} was saved by {saved_run['num_processes']} process(es) and this "
                         f"run has {num_processes}; resume with the same number of processes (the batches, "
                         f"and so the result, depend on it)")


def resolve_max_length(config: TrainingConfig, backbone: Backbone, tokenizer, model_config) -> int:
    cap = max_length_cap(backbone, tokenizer, model_config)
    if config.max_length is None:
        return min(DEFAULT_MAX_LENGTH[config.text_mode], cap)
    if config.max_length > cap:
        raise ValueError(f"--max-length {config.max_length} exceeds what backbone {config.backbone!r} takes ({cap} "
                         f"tokens); pass --max-length {cap} or less")
    return config.max_length


def make_optimizer(model: torch.nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    """Fused AdamW (one kernel for all parameters, as Trainer's default) without decay on biases and LayerNorm
    (with --decay-every-parameter, decay on all of them, as torch's AdamW given `model.parameters()`)."""
    named = list(model.named_parameters())
    exempt = () if config.decay_every_parameter else NO_DECAY
    groups = [{"params": [p for n, p in named if not n.endswith(exempt)], "weight_decay": config.weight_decay},
              {"params": [p for n, p in named if n.endswith(exempt)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=(config.adam_beta1, config.adam_beta2),
                             eps=config.adam_epsilon, fused=True)


def make_scheduler(optimizer, config: TrainingConfig, max_steps: int):
    """The learning-rate schedule; accelerate saves and restores its state with every checkpoint.

    reduce_lr_on_plateau is torch's ReduceLROnPlateau, stepped with the validation metric after each evaluation
    (`step_plateau`). Its notion of "better" is early stopping's (strictly better, no threshold), and torch
    reduces after MORE than `patience` bad evaluations, hence patience - 1: the learning rate is divided after
    `lr_plateau_patience` evaluations without a better value, as DeepPavlov divides it when its impatience
    reaches learning_rate_drop_patience. Unlike DeepPavlov, which divides once per plateau, torch divides again
    after each further `lr_plateau_patience` evaluations without improvement (the paper configs stop early before
    a second division). Training goes on from the current weights, or with --lr-plateau-reload-best from the best
    evaluation's, as DeepPavlov's load_before_drop (which also restores the optimizer's state; this keeps it).
    """
    from transformers import get_scheduler

    if config.plateau_schedule:
        return get_scheduler(config.lr_scheduler_type, optimizer, scheduler_specific_kwargs=dict(
            mode="max" if config.greater_is_better else "min", factor=1 / config.lr_plateau_factor,
            patience=config.lr_plateau_patience - 1, threshold=0.0, threshold_mode="abs"))
    warmup = config.warmup_steps or math.ceil(config.warmup_ratio * max_steps)
    return get_scheduler(config.lr_scheduler_type, optimizer, num_warmup_steps=warmup, num_training_steps=max_steps)


def step_plateau(scheduler, config: TrainingConfig, metrics: dict[str, float]) -> bool:
    """After an evaluation: feed the plateau schedule the validation metric; log when it divides the rate.
    Returns whether it divided."""
    before = scheduler.get_last_lr()[0]
    scheduler.step(metrics[config.best_metric])
    after = scheduler.get_last_lr()[0]
    if after < before:
        logger.info(f"no better validation {config.best_metric} in {config.lr_plateau_patience} evaluations: "
                    f"learning rate divided by {config.lr_plateau_factor:g}, {before:.3e} -> {after:.3e}")
    return after < before


def _tracker_config(config: TrainingConfig) -> dict:
    """Options as tracker hyperparameters (tensorboard takes only numbers, strings and booleans)."""
    return {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in config.to_dict().items()}
