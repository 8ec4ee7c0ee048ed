"""train.py's parts without training: batch order, label checks, targets, scores and the threshold, progress."""

import json
from types import SimpleNamespace

import datasets
import numpy as np
import pytest
import torch
from accelerate.data_loader import BatchSamplerShard
from torch.utils.data import BatchSampler

from ruqtopics_kit.facts.labels import all_topics, massive_aligned
from ruqtopics_kit.metrics import load_topic_metric, micro_f1_by_threshold
from ruqtopics_kit.training.checkpoints import Progress
from ruqtopics_kit.training.config import parse_args
from ruqtopics_kit.training.data import LengthGroupedSampler, check_label_names, multi_hot
from ruqtopics_kit.training.evaluation import THRESHOLDS, Evaluator
from ruqtopics_kit.training.session import make_optimizer, make_scheduler, step_plateau

LENGTHS = np.random.default_rng(0).integers(5, 120, size=1000)


def config(*extra: str):
    return parse_args(["--backbone", "b", "--dataset", "d", "--output-dir", "o", *extra])


# ---- batch order -------------------------------------------------------------------------------------------

def test_the_order_is_a_seeded_permutation_that_changes_with_the_epoch():
    sampler = LengthGroupedSampler(LENGTHS, group_size=32, seed=1)
    first = list(sampler)
    assert sorted(first) == list(range(len(LENGTHS))) and list(sampler) == first  # replayable
    sampler.set_epoch(1)
    assert list(sampler) != first
    assert list(LengthGroupedSampler(LENGTHS, 32, seed=1)) == first
    assert list(LengthGroupedSampler(LENGTHS, 32, seed=2)) != first


def test_groups_hold_similar_lengths_and_the_longest_comes_first():
    order = LengthGroupedSampler(LENGTHS, group_size=32, seed=0).order()
    groups = [LENGTHS[order[i:i + 32]] for i in range(0, len(order), 32)]
    random_groups = [LENGTHS[i:i + 32] for i in range(0, len(LENGTHS), 32)]
    padding = sum(len(g) * g.max() - g.sum() for g in groups)
    assert padding < 0.2 * sum(len(g) * g.max() - g.sum() for g in random_groups)
    assert groups[0].max() == LENGTHS.max()
    assert [len(g) for g in groups[:-1]] == [32] * (len(groups) - 1)  # the one short group is last


def test_two_processes_see_together_what_one_process_sees_per_step():
    """Per optimizer step, the batches accelerate deals to 2 processes are one process's batch of twice the size."""
    one = list(BatchSampler(LengthGroupedSampler(LENGTHS, 32, seed=3), batch_size=32, drop_last=False))
    shards = [list(BatchSamplerShard(BatchSampler(LengthGroupedSampler(LENGTHS, 32, seed=3), 16, False),
                                     num_processes=2, process_index=rank)) for rank in (0, 1)]
    for step, batch in enumerate(one[:-1]):
        assert sorted(shards[0][step] + shards[1][step]) == sorted(batch)


# ---- labels ------------------------------------------------------------------------------------------------

def test_label_names_must_match_the_config_in_order():
    topics = all_topics()
    features = datasets.Features({"label": topics.class_label()})
    check_label_names(features, config(), topics)
    renamed = [name.replace("ё", "е") for name in topics.names]
    with pytest.raises(ValueError, match="first difference at id 61: 'самолеты' instead of 'самолёты'"):
        check_label_names(datasets.Features({"label": datasets.ClassLabel(names=renamed)}), config(), topics)
    with pytest.raises(ValueError, match="6 names found, 76 expected"):
        check_label_names(datasets.Features({"label": massive_aligned().class_label()}), config(), topics)
    with pytest.raises(ValueError, match="expects a label column 'labels'; the dataset has columns label"):
        check_label_names(features, config("--dataset-config-name", "multi_label"), topics)
    multi = datasets.Features({"labels": datasets.List(topics.class_label())})
    check_label_names(multi, config("--dataset-config-name", "multi_label"), topics)


def test_multi_hot_targets_are_float32():
    hot = multi_hot([[0, 2], [1]], 4)
    assert hot.dtype == np.float32 and hot.tolist() == [[1, 0, 1, 0], [0, 1, 0, 0]]


# ---- scores and the multi-label threshold ------------------------------------------------------------------

class FixedLogits(torch.nn.Module):
    """A "model" whose logits are in the batch: evaluation without training."""

    def forward(self, logits, labels):
        return SimpleNamespace(logits=logits)


def evaluate(multi_label: bool, logits, labels, threshold=None):
    accelerator = SimpleNamespace(is_main_process=True, gather_for_metrics=lambda tensors: tensors)
    loader = [{"logits": torch.tensor(logits[i:i + 2], dtype=torch.float32), "labels": torch.tensor(labels[i:i + 2])}
              for i in range(0, len(labels), 2)]
    return Evaluator(accelerator, multi_label)(FixedLogits(), loader, threshold=threshold)


def test_single_label_scores():
    result = evaluate(False, [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0], [2.0, 0.0, 0.0]], [0, 1, 1, 0])
    assert result.threshold is None
    assert result.metrics["accuracy"] == 0.75 and result.metrics["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert result.metrics["loss"] > 0


def test_the_threshold_is_chosen_on_the_data_and_then_kept():
    probabilities = np.array([[0.9, 0.3], [0.35, 0.8], [0.2, 0.1], [0.7, 0.28]])
    logits = np.log(probabilities / (1 - probabilities))
    labels = [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    chosen = evaluate(True, logits, labels)
    assert chosen.threshold == 0.3 and chosen.threshold in THRESHOLDS  # the lowest threshold with the best micro-F1
    assert chosen.metrics["micro_f1"] == 1.0 and chosen.metrics["subset_accuracy"] == 1.0
    fixed = evaluate(True, logits, labels, threshold=0.5)
    assert fixed.threshold == 0.5 and fixed.metrics["micro_f1"] < 1.0


def test_the_threshold_search_gives_the_metrics_micro_f1_at_every_threshold():
    rng = np.random.default_rng(0)
    probabilities = rng.random((50, 7)).astype(np.float32).round(2)  # many values equal to a threshold
    references = (rng.random((50, 7)) < 0.3).astype(np.int8)
    metric = load_topic_metric(multi_label=True)
    expected = [metric.compute(predictions=(probabilities >= t).astype(np.int8), references=references)["micro_f1"]
                for t in THRESHOLDS]
    assert micro_f1_by_threshold(probabilities, references, THRESHOLDS).tolist() == expected
    assert len(set(expected)) > 5  # the thresholds give different scores


# ---- early stopping ----------------------------------------------------------------------------------------

def test_progress_tracks_the_best_evaluation_and_the_patience():
    progress = Progress()
    for step, accuracy in [(1, 0.5), (2, 0.6), (3, 0.6), (4, 0.55)]:
        progress.completed_steps = step
        progress.record({"accuracy": accuracy}, None, "accuracy", greater_is_better=True, patience=2)
    assert (progress.best_step, progress.best_metric, progress.stopped_early) == (2, 0.6, True)
    lower = Progress()
    for step, loss in [(1, 2.0), (2, 1.0)]:
        lower.completed_steps = step
        lower.record({"loss": loss}, None, "loss", greater_is_better=False, patience=None)
    assert lower.best_step == 2 and not lower.stopped_early


# ---- the plateau schedule ----------------------------------------------------------------------------------

@pytest.fixture
def process_state():
    """step_plateau logs through accelerate's logger, which needs the process state that a training's
    Accelerator makes (conftest resets it after every test)."""
    from accelerate import PartialState

    PartialState()


def plateau_learning_rates(values: list[float], *extra: str) -> list[float]:
    """The learning rate after each of the evaluations `values` of the early-stopping metric."""
    plateau = config("--lr-scheduler-type", "reduce_lr_on_plateau", "--learning-rate", "0.1", *extra)
    optimizer = make_optimizer(torch.nn.Linear(2, 2), plateau)
    scheduler = make_scheduler(optimizer, plateau, max_steps=100)
    rates = []
    for value in values:
        step_plateau(scheduler, plateau, {plateau.best_metric: value})
        rates.append(optimizer.param_groups[0]["lr"])
    assert all(group["lr"] == rates[-1] for group in optimizer.param_groups)  # biases and LayerNorms too
    return rates


@pytest.mark.usefixtures("process_state")
def test_the_plateau_schedule_halves_the_rate_after_patience_evaluations_without_a_better_metric():
    # accuracy: better at 0.5 and 0.6; 0.6 again is not better (strictly, as for early stopping)
    assert plateau_learning_rates([0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.6, 0.4, 0.3]) == \
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0125]
    assert plateau_learning_rates([0.5, 0.4, 0.4, 0.4], "--lr-plateau-patience", "3", "--lr-plateau-factor", "10") \
        == pytest.approx([0.1, 0.1, 0.1, 0.01])
    # a lower-is-better metric: a rising loss is the plateau
    assert plateau_learning_rates([2.0, 1.0, 1.5, 1.2], "--metric-for-best-model", "loss") == [0.1, 0.1, 0.1, 0.05]


@pytest.mark.usefixtures("process_state")
def test_the_plateau_state_round_trips_through_a_state_dict():
    plateau = config("--lr-scheduler-type", "reduce_lr_on_plateau", "--learning-rate", "0.1")
    first = make_scheduler(make_optimizer(torch.nn.Linear(2, 2), plateau), plateau, max_steps=100)
    for value in (0.5, 0.4):
        step_plateau(first, plateau, {"accuracy": value})
    optimizer = make_optimizer(torch.nn.Linear(2, 2), plateau)
    second = make_scheduler(optimizer, plateau, max_steps=100)
    second.load_state_dict(first.state_dict())
    step_plateau(second, plateau, {"accuracy": 0.45})  # the third evaluation since the best: the second bad one
    assert optimizer.param_groups[0]["lr"] == 0.05


def test_all_results_json_round_trips_and_read_checks_its_schema(tmp_path):
    from ruqtopics_kit.training.outputs import RESULTS_FILE, RESULTS_SCHEMA, TrainingResults

    results = TrainingResults(validation={"accuracy": 0.5}, test=None, best_step=3, completed_steps=4,
                              stopped_early=False, run={"max_length": 64}, decision_threshold=0.35)
    path = tmp_path / RESULTS_FILE
    results.write(path)
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == RESULTS_SCHEMA
    assert TrainingResults.read(path) == results
    path.write_text(json.dumps({**results.to_dict(), "schema": "ruqtopics-training-results/0"}), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{RESULTS_FILE}: schema .*training-results/0"):
        TrainingResults.read(path)
    path.write_text(json.dumps({"schema": RESULTS_SCHEMA, "test": None}), encoding="utf-8")
    with pytest.raises(ValueError, match="without validation"):
        TrainingResults.read(path)
