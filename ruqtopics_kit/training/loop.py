"""train.py: fine-tune a backbone on RuQTopics with accelerate; the output folder becomes a Hub model repository.

    python train.py --backbone rubert-base-conversational --dataset ORG/ruqtopics \\
        --dataset-config-name single_label --text-mode question --output-dir runs/rubert-question
    accelerate launch train.py --config-file configs/paper/rubert-base-single_label-question.yaml

`train` sets the run up (`session.setup`: every check before anything is trained or written), then
`train_loop` is one optimizer step per iteration, in labelled phases: forward and backward (accelerate handles
gradient accumulation), log, evaluate, checkpoint, stop. `finish` restores the best evaluation's weights, scores
the test split and writes the repository; `--push-to-hub` uploads it.
"""

from __future__ import annotations

import contextlib
import gc
import time

import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from tqdm.auto import tqdm

from ruqtopics_kit.core.output_dir import output_lock
from ruqtopics_kit.dataset.text_modes import TEXT_MODE_KEY
from ruqtopics_kit.training.card import TrainedModel, build_model_card, dataset_repo_id
from ruqtopics_kit.training.checkpoints import load_best_weights, save_best_weights, save_checkpoint, work_dir
from ruqtopics_kit.training.config import TrainingConfig
from ruqtopics_kit.training.launcher import check_launch
from ruqtopics_kit.training.outputs import (
    OutputState,
    TrainingResults,
    inspect_output_dir,
    publish,
    write_repository,
)
from ruqtopics_kit.training.preemption import STOPPED_STATUS, StopRequest, StopRequested
from ruqtopics_kit.training.session import (
    Session,
    check_mixed_precision,
    configure_logging,
    make_accelerator,
    setup,
    step_plateau,
)

logger = get_logger(__name__)


def train(config: TrainingConfig) -> int:
    """train.py's run once its options are parsed and `command.check_before_training` passed; a fault is raised
    for the command's wrapper to report (`ruqtopics_kit.cli`). The folder's contents are checked again here,
    under its lock."""
    check_mixed_precision(config.mixed_precision)
    accelerator = make_accelerator(config)
    configure_logging(accelerator)
    session, stop = None, StopRequest()
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(stop.listening())
            check_launch(accelerator.num_processes)
            if accelerator.is_main_process:  # one run per output folder
                stack.enter_context(output_lock(config.output_dir))
            state = inspect_output_dir(config)
            if state is OutputState.FINISHED:
                logger.info(f"{config.output_dir} already holds this finished run: nothing to train")
                if config.push_to_hub and accelerator.is_main_process:
                    logger.info(f"uploaded: {publish(config)}")
                return 0
            session = setup(config, accelerator)
            session.stop = stop
            try:
                train_loop(session)
                finish(session)
            except StopRequested:
                logger.info(f"{stop.signal or 'a stop signal to another process'}: stopped at optimizer step "
                            f"{session.progress.completed_steps}, its checkpoint saved; --resume-from-checkpoint "
                            f"latest goes on from there")
                return STOPPED_STATUS
    finally:
        end(accelerator, session)
    return 0


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
    step_started = time.perf_counter()
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
            progress.train_seconds += time.perf_counter() - step_started
            step_started = time.perf_counter()
            bar.update(1)
            # ---- log
            if progress.completed_steps % config.logging_steps == 0:
                log_training(session, loss_sum / micro_batches, time.perf_counter() - started)
                loss_sum, micro_batches, started = torch.zeros_like(loss_sum), 0, time.perf_counter()
            # ---- evaluate, checkpoint, stop
            if end_of_step(session):
                break


def end_of_step(session: Session) -> bool:
    """Evaluate and checkpoint when due; True when training is over. A scheduler's stop request (`preemption`)
    saves a checkpoint here and raises StopRequested."""
    config, accelerator = session.config, session.accelerator
    if evaluation_due(session):
        evaluate(session)
    saved = checkpoint_due(session)
    if saved:
        save_checkpoint(accelerator, config.output_dir, session.progress, session.run, config.checkpoints_total_limit)
    if finished(session):
        return True
    if session.stop.due(accelerator):
        if not saved:
            save_checkpoint(accelerator, config.output_dir, session.progress, session.run,
                            config.checkpoints_total_limit)
        raise StopRequested
    return False


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
    progress.evaluations.append({"step": progress.completed_steps,
                                 "epoch": round(progress.completed_steps / session.plan.steps_per_epoch, 2),
                                 **result.metrics})
    if progress.record(result.metrics, result.threshold, config.best_metric, config.greater_is_better,
                       config.early_stopping_patience):
        save_best_weights(session.accelerator, session.model, config.output_dir, progress.completed_steps)
    threshold = "" if result.threshold is None else f" (threshold {result.threshold:.2f})"
    logger.info(f"step {progress.completed_steps}: validation " +
                ", ".join(f"{name} {value:.4f}" for name, value in result.metrics.items()) + threshold +
                f"; best {config.best_metric} {progress.best_metric:.4f} at step {progress.best_step}")
    session.accelerator.log({f"validation/{name}": value for name, value in result.metrics.items()},
                            step=progress.completed_steps)
    if config.plateau_schedule and step_plateau(session.scheduler, config, result.metrics) \
            and config.lr_plateau_reload_best:  # DeepPavlov's load_before_drop: go on from the best weights
        load_best_weights(session.accelerator, session.model, config.output_dir, progress.best_step)
        logger.info(f"reloaded the weights of step {progress.best_step}, the best validation {config.best_metric}")


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
    logger.info(f"  model repository: {config.output_dir}; training state (checkpoints, TensorBoard): "
                f"{work_dir(config.output_dir)}")


# ---- the end ------------------------------------------------------------------------------------------------

def finish(session: Session) -> TrainingResults:
    """Best weights back, test scores, the repository written (main process), then the optional upload."""
    config, accelerator, progress = session.config, session.accelerator, session.progress
    load_best_weights(accelerator, session.model, config.output_dir, progress.best_step)
    test = (session.evaluator(session.model, session.eval_loaders["test"], threshold=progress.best_threshold)
            if "test" in session.eval_loaders else None)
    if test is None:
        logger.warning("the dataset has no test split: all_results.json and the card carry validation scores only")
    results = TrainingResults(progress.best_validation, test.metrics if test else None, progress.best_step,
                              progress.completed_steps, progress.stopped_early, session.run,
                              progress.best_threshold if config.multi_label else None, progress.evaluations,
                              round(progress.train_seconds, 1))
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
    destructor releases the GIL. One process has no group; its two collections, which cost time in proportion to
    the objects of the process (docs/benchmarks.md), are skipped.
    """
    if accelerator.num_processes > 1:
        if session is not None:
            session.model = session.optimizer = session.scheduler = session.train_loader = None
        accelerator.free_memory()
        gc.collect()
    accelerator.end_training()
