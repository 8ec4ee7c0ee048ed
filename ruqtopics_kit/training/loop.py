"""train.py: fine-tune a backbone on RuQTopics with accelerate; the output folder becomes a Hub model repository.

    python train.py --backbone rubert-base-conversational --dataset ORG/ruqtopics \\
        --dataset-config-name single_label --text-mode question --output-dir runs/rubert-question
    accelerate launch train.py --config-file configs/paper/rubert-base-single_label-question.yaml

`setup` runs every check (options, output folder, checkpoint, backbone, dataset classes) before anything
is trained or written; a multi-label head starts at the training split's label frequencies. `train_loop` is
one optimizer step per iteration, in labelled phases: forward and backward (accelerate handles gradient
accumulation), log, evaluate, checkpoint, stop. `finish` restores the best evaluation's weights, scores the
test split and writes the repository; `--push-to-hub` uploads it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import time
from dataclasses import dataclass

import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import ProjectConfiguration, TorchDynamoPlugin, parse_flag_from_env, set_seed
from tqdm.auto import tqdm

from ruqtopics_kit.core.atomic import WriteError
from ruqtopics_kit.core.hub import PushError
from ruqtopics_kit.core.output_dir import output_lock
from ruqtopics_kit.core.precision import has_native_bf16
from ruqtopics_kit.dataset.labels import LabelSet, for_config
from ruqtopics_kit.dataset.text_modes import DEFAULT_MAX_LENGTH, TEXT_MODE_KEY
from ruqtopics_kit.modeling.backbones import (
    Backbone,
    load_classifier,
    load_tokenizer,
    max_length_cap,
    record_input_limit,
    resolve_backbone,
    start_head_at_label_prior,
)
from ruqtopics_kit.training.card import TrainedModel, build_model_card, dataset_repo_id
from ruqtopics_kit.training.checkpoints import (
    Progress,
    load_best_weights,
    read_state,
    resolve_resume,
    save_best_weights,
    save_checkpoint,
)
from ruqtopics_kit.training.command import failed
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
from ruqtopics_kit.training.outputs import OutputState, inspect_output_dir, publish, start_output_dir, write_repository

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


def train(config: TrainingConfig) -> int:
    """train.py's run once `command.main` has parsed its options and checked that the output folder is no input:
    the same exit statuses. The folder's contents are checked again here, under its lock."""
    accelerator = make_accelerator(config)
    configure_logging(accelerator)
    session = None
    try:
        with contextlib.ExitStack() as stack:
            try:
                if accelerator.is_main_process:  # one run per output folder
                    stack.enter_context(output_lock(config.output_dir))
                state = inspect_output_dir(config)
                if state is OutputState.FINISHED:
                    logger.info(f"{config.output_dir} already holds this finished run: nothing to train")
                    if config.push_to_hub and accelerator.is_main_process:
                        logger.info(f"uploaded: {publish(config)}")
                    return 0
                session = setup(config, accelerator)
            except (ValueError, OSError) as error:
                return failed(error, status=2)
            except PushError as error:
                return failed(error, status=1)
            try:
                train_loop(session)
                finish(session)
            except (WriteError, PushError) as error:
                return failed(error, status=1)
    finally:
        end(accelerator, session)
    return 0


# ---- setup --------------------------------------------------------------------------------------------------

def make_accelerator(config: TrainingConfig) -> Accelerator:
    trackers = [] if config.report_to == "none" else config.report_to if config.report_to == "all" else \
        [name.strip() for name in config.report_to.split(",")]
    return Accelerator(
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        mixed_precision=resolve_mixed_precision(config.mixed_precision),
        log_with=trackers or None,
        project_config=ProjectConfiguration(project_dir=config.output_dir,
                                            logging_dir=os.path.join(config.output_dir, "runs")),
        # We step the scheduler ourselves, once per optimizer step. Stepped "with the optimizer", accelerate
        # would step it num_processes times per optimizer step (split_batches=False), so a schedule sized
        # in optimizer steps would run N times too fast on N processes.
        step_scheduler_with_optimizer=False,
        **({"dynamo_plugin": TorchDynamoPlugin(backend=config.torch_compile_backend, mode=config.torch_compile_mode)}
           if config.torch_compile else {}))


def resolve_mixed_precision(requested: str) -> str | None:
    """`auto`: defer to `accelerate launch`/its config when they set it, else bf16 where the device running the
    model (the GPU if there is one, else the CPU) computes it natively."""
    if requested != "auto":
        return requested
    if os.environ.get("ACCELERATE_MIXED_PRECISION"):
        return None
    on_cpu = not torch.cuda.is_available() or parse_flag_from_env("ACCELERATE_USE_CPU")  # as accelerate reads it
    return "bf16" if has_native_bf16("cpu" if on_cpu else "cuda") else "no"


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
    with accelerator.main_process_first():
        splits = load_splits(config, labels)
    data = data_fingerprint(splits)
    if saved_run:
        check_same_data(saved_run.get("data"), data, checkpoint)
    tokenizer = load_tokenizer(backbone)
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

    run = run_record(config, accelerator, max_length, plan, tokenized) | {"data": data}
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


def run_record(config: TrainingConfig, accelerator: Accelerator, max_length: int, plan: StepPlan,
               tokenized) -> dict:
    """What checkpoints and all_results.json record besides the options: the run as it was resolved."""
    return {"config": config.to_dict(), "num_processes": accelerator.num_processes,
            "mixed_precision": accelerator.mixed_precision, "max_length": max_length,
            "effective_batch_size": (config.per_device_train_batch_size * accelerator.num_processes
                                     * config.gradient_accumulation_steps),
            "max_steps": plan.max_steps, "train_examples": tokenized["train"].num_rows,
            "eval_examples": {split: part.num_rows for split, part in tokenized.items() if split != "train"}}


def check_total_batch(config: TrainingConfig, num_processes: int) -> None:
    """The split of --total-train-batch-size (`command.main`) was made for as many processes as accelerate has."""
    split = config.per_device_train_batch_size * num_processes * config.gradient_accumulation_steps
    if config.total_train_batch_size not in (None, split):
        raise ValueError(f"total_train_batch_size {config.total_train_batch_size} was split for another number of "
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
    """Fused AdamW (one kernel for all parameters, as Trainer's default) without decay on biases and LayerNorm."""
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if not n.endswith(NO_DECAY)], "weight_decay": config.weight_decay},
              {"params": [p for n, p in named if n.endswith(NO_DECAY)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=(config.adam_beta1, config.adam_beta2),
                             eps=config.adam_epsilon, fused=True)


def make_scheduler(optimizer, config: TrainingConfig, max_steps: int):
    """The learning-rate schedule; accelerate saves and restores its state with every checkpoint.

    reduce_lr_on_plateau is torch's ReduceLROnPlateau, stepped with the validation metric after each evaluation
    (`step_plateau`). Its notion of "better" is early stopping's (strictly better, no threshold), and torch
    reduces after MORE than `patience` bad evaluations, hence patience - 1: the learning rate is divided after
    `lr_plateau_patience` evaluations without a better value, as DeepPavlov divides it when its impatience
    reaches learning_rate_drop_patience. Unlike DeepPavlov, which divides once per plateau and reloads the best
    weights first, torch divides again after each further `lr_plateau_patience` evaluations without improvement,
    and training goes on from the current weights (the paper configs stop early before a second division).
    """
    from transformers import get_scheduler

    if config.plateau_schedule:
        return get_scheduler(config.lr_scheduler_type, optimizer, scheduler_specific_kwargs=dict(
            mode="max" if config.greater_is_better else "min", factor=1 / config.lr_plateau_factor,
            patience=config.lr_plateau_patience - 1, threshold=0.0, threshold_mode="abs"))
    warmup = config.warmup_steps or math.ceil(config.warmup_ratio * max_steps)
    return get_scheduler(config.lr_scheduler_type, optimizer, num_warmup_steps=warmup, num_training_steps=max_steps)


def step_plateau(scheduler, config: TrainingConfig, metrics: dict[str, float]) -> None:
    """After an evaluation: feed the plateau schedule the validation metric; log when it divides the rate."""
    before = scheduler.get_last_lr()[0]
    scheduler.step(metrics[config.best_metric])
    after = scheduler.get_last_lr()[0]
    if after < before:
        logger.info(f"no better validation {config.best_metric} in {config.lr_plateau_patience} evaluations: "
                    f"learning rate divided by {config.lr_plateau_factor:g}, {before:.3e} -> {after:.3e}")


def _tracker_config(config: TrainingConfig) -> dict:
    """Options as tracker hyperparameters (tensorboard takes only numbers, strings and booleans)."""
    return {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in config.to_dict().items()}


# ---- training -----------------------------------------------------------------------------------------------

def train_loop(session: Session) -> None:
    log_banner(session)
    with tqdm(total=session.plan.max_steps, initial=session.progress.completed_steps, desc="training", unit="step",
              disable=not session.accelerator.is_local_main_process) as bar:  # closed before an error is printed
        train_steps(session, bar)
    if session.progress.stopped_early:
        logger.info(f"early stopping at step {session.progress.completed_steps}: no better validation "
                    f"{session.config.best_metric} in {session.config.early_stopping_patience} evaluations (best: "
                    f"step {session.progress.best_step})")


def train_steps(session: Session, bar) -> None:
    config, accelerator, plan, progress = session.config, session.accelerator, session.plan, session.progress
    model, optimizer, scheduler = session.model, session.optimizer, session.scheduler
    # A resumed run starts inside an epoch: mid-epoch optimizer steps each took a full accumulation of batches.
    start_epoch, steps_into_epoch = divmod(progress.completed_steps, plan.steps_per_epoch)
    skip = steps_into_epoch * config.gradient_accumulation_steps
    loss_sum, micro_batches, started = torch.zeros((), device=accelerator.device), 0, time.perf_counter()
    model.train()  # from_pretrained returns the model in eval mode (dropout off)
    for epoch in range(start_epoch, plan.epochs):
        if finished(session):
            break
        session.train_loader.set_epoch(epoch)  # the length-grouped order of this epoch
        batches = accelerator.skip_first_batches(session.train_loader, skip) if skip else session.train_loader
        skip = 0
        for batch in batches:
            # ---- forward and backward; between sync steps accelerate skips the optimizer and the all-reduce
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients and config.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                if (accelerator.sync_gradients and not accelerator.optimizer_step_was_skipped
                        and not config.plateau_schedule):
                    scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.detach()
            micro_batches += 1
            if not accelerator.sync_gradients:
                continue
            progress.completed_steps += 1
            bar.update(1)
            # ---- log
            if progress.completed_steps % config.logging_steps == 0:
                log_training(session, loss_sum / micro_batches, time.perf_counter() - started)
                loss_sum, micro_batches, started = torch.zeros_like(loss_sum), 0, time.perf_counter()
            # ---- evaluate, checkpoint, stop
            if evaluation_due(session):
                evaluate(session)
            if checkpoint_due(session):
                save_checkpoint(accelerator, config.output_dir, progress, session.run, config.checkpoints_total_limit)
            if finished(session):
                break


def finished(session: Session) -> bool:
    return session.progress.stopped_early or session.progress.completed_steps >= session.plan.max_steps


def evaluation_due(session: Session) -> bool:
    step, config = session.progress.completed_steps, session.config
    every = config.eval_steps or session.plan.steps_per_epoch
    return step % every == 0 or step >= session.plan.max_steps


def checkpoint_due(session: Session) -> bool:
    step, every = session.progress.completed_steps, session.config.checkpointing_steps
    if every is None:
        return False
    every = session.plan.steps_per_epoch if every == "epoch" else every
    return step % every == 0 or finished(session)


def evaluate(session: Session) -> None:
    """Score the validation split; keep the weights if they are the best so far; update early stopping (and the
    plateau schedule)."""
    config, progress = session.config, session.progress
    result = session.evaluator(session.model, session.eval_loaders["validation"])
    if progress.record(result.metrics, result.threshold, config.best_metric, config.greater_is_better,
                       config.early_stopping_patience):
        save_best_weights(session.accelerator, session.model, config.output_dir, progress.completed_steps)
    threshold = "" if result.threshold is None else f" (threshold {result.threshold:.2f})"
    logger.info(f"step {progress.completed_steps}: validation " +
                ", ".join(f"{name} {value:.4f}" for name, value in result.metrics.items()) + threshold +
                f"; best {config.best_metric} {progress.best_metric:.4f} at step {progress.best_step}")
    session.accelerator.log({f"validation/{name}": value for name, value in result.metrics.items()},
                            step=progress.completed_steps)
    if config.plateau_schedule:
        step_plateau(session.scheduler, config, result.metrics)


def log_training(session: Session, mean_loss: torch.Tensor, seconds: float) -> None:
    accelerator, step = session.accelerator, session.progress.completed_steps
    loss = accelerator.reduce(mean_loss, reduction="mean").item()
    learning_rate = session.scheduler.get_last_lr()[0]
    steps_per_second = session.config.logging_steps / seconds
    logger.info(f"step {step}: loss {loss:.4f}, lr {learning_rate:.3e}, {steps_per_second:.2f} steps/s")
    accelerator.log({"train/loss": loss, "train/learning_rate": learning_rate,
                     "train/epoch": step / session.plan.steps_per_epoch}, step=step)


def log_banner(session: Session) -> None:
    config, run, plan = session.config, session.run, session.plan
    logger.info(session.accelerator.state, main_process_only=False)
    logger.info("***** Running training *****")
    logger.info(f"  examples: {run['train_examples']:,} train, " +
                ", ".join(f"{count:,} {split}" for split, count in run["eval_examples"].items()))
    logger.info(f"  text mode {config.text_mode}, max length {run['max_length']}, backbone {session.backbone.source}")
    logger.info(f"  batch: {config.per_device_train_batch_size} per device x {run['num_processes']} process(es) x "
                f"{config.gradient_accumulation_steps} accumulation = {run['effective_batch_size']} per optimizer step"
                f"{config.batch_origin}")
    logger.info(f"  optimizer steps: {plan.max_steps:,} ({plan.steps_per_epoch:,} per epoch, {plan.epochs} "
                f"epoch(s)); starting at step {session.progress.completed_steps}")
    logger.info(f"  mixed precision: {run['mixed_precision']}; final model: best validation {config.best_metric}")


# ---- the end ------------------------------------------------------------------------------------------------

def finish(session: Session) -> dict:
    """Best weights back, test scores, the repository written (main process), then the optional upload."""
    config, accelerator, progress = session.config, session.accelerator, session.progress
    load_best_weights(accelerator, session.model, config.output_dir, progress.best_step)
    test = (session.evaluator(session.model, session.eval_loaders["test"], threshold=progress.best_threshold)
            if "test" in session.eval_loaders else None)
    if test is None:
        logger.warning("the dataset has no test split: all_results.json and the card carry validation scores only")
    results = {"validation": progress.best_validation, "test": test.metrics if test else None,
               **({"decision_threshold": progress.best_threshold} if config.multi_label else {}),
               "best_step": progress.best_step, "completed_steps": progress.completed_steps,
               "stopped_early": progress.stopped_early, "run": session.run}
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(session.model, keep_torch_compile=False)  # no `_orig_mod.` prefixes
        setattr(model.config, TEXT_MODE_KEY, config.text_mode)  # what evaluate_massive.py encodes utterances as
        if config.multi_label:
            model.config.decision_threshold = progress.best_threshold
        card = build_model_card(TrainedModel(config, session.labels, session.backbone, results,
                                             dataset_repo_id(config)))
        predictions = test.predictions.table(*session.test_examples, threshold=test.threshold) if test else None
        folder = write_repository(config, model, session.tokenizer, card, results, predictions)
        logger.info(f"model repository written to {folder}: test " +
                    (", ".join(f"{k} {v:.4f}" for k, v in test.metrics.items()) if test else "(none)"))
    accelerator.wait_for_everyone()
    if config.push_to_hub and accelerator.is_main_process:
        logger.info(f"uploaded: {publish(config)}")
    return results


def end(accelerator: Accelerator, session: Session | None) -> None:
    """End training (trackers closed, process group gone) whether the run finished or failed; with several
    processes, free the prepared model, optimizer and schedule first.

    First because of a deadlock: with several CPU processes the model is wrapped in DistributedDataParallel, whose
    reducer holds the gloo process group. Left to the interpreter's exit, the reducer was the group's last holder
    and destroyed it holding the GIL, joining gloo's worker thread, which needed the GIL to free the tensors of the
    last barrier: one torchrun process hung at exit, and the launcher with it. Freed first (the session's
    references, then the accelerator's, then a garbage collection in case the model sits in a reference cycle:
    free_memory collects before it drops its own), the reducer leaves the group to `destroy_process_group`, whose
    destructor releases the GIL. One process has no group; its two collections (0.25 s each in train.py, more in a
    larger process) are skipped.
    """
    if accelerator.num_processes > 1:
        if session is not None:
            session.model = session.optimizer = session.scheduler = session.train_loader = None
        accelerator.free_memory()
        gc.collect()
    accelerator.end_training()
