"""Evaluation: logits gathered from every process with `gather_for_metrics`, scores from the project's metric.

The main process scores and broadcasts the result, so every process takes the same early-stopping and
best-model decisions (and only one process touches the `evaluate` module's cache files).

Multi-label: an example has a class when sigmoid(logit) >= the decision threshold. The threshold is chosen
on the validation split (the value in THRESHOLDS with the best micro-F1; ties go to the lowest) and then
used unchanged on the test split, so the test scores are not tuned on test data.

The test predictions are also kept per example (`Predictions.table`): train.py publishes them beside the
model as `test_predictions.parquet`, so that paired comparisons between models (`ruqtopics claims`) are
recomputed from files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import torch
from accelerate.utils import broadcast_object_list

from ruqtopics_kit.metrics import load_topic_metric, micro_f1_by_threshold

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05, 0.10, ..., 0.95
SCORE_DECIMALS = 4  # probabilities in the predictions file: enough to rank, small to store
PREDICTION_SCHEMAS = {
    False: pa.schema([("id", pa.string()), ("label", pa.int64()), ("prediction", pa.int64()),
                      ("score", pa.float32())]),
    True: pa.schema([("id", pa.string()), ("labels", pa.list_(pa.int64())), ("predictions", pa.list_(pa.int64())),
                     ("scores", pa.list_(pa.float32()))]),
}  # by multi_label


@dataclass(frozen=True)
class Predictions:
    logits: np.ndarray
    labels: np.ndarray

    def table(self, ids: list[str], positions: list[int], threshold: float | None = None) -> pa.Table:
        """One row per example, in dataset order: id, gold class id(s), predicted class id(s) and the model's
        probability of each predicted class. `ids` are the split's ids in dataset order; `positions[i]` is
        the dataset position of prediction i (the evaluation loader's order). Single-label: `label`,
        `prediction`, `score`; multi-label (with the decision threshold): `labels`, `predictions`, `scores`."""
        if not len(ids) == len(positions) == len(self.labels):
            raise ValueError(f"{len(ids)} ids and {len(positions)} positions for {len(self.labels)} predictions")
        in_dataset_order = np.argsort(positions)
        logits, labels = self.logits[in_dataset_order], self.labels[in_dataset_order]
        if threshold is None:
            probabilities = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
            predicted = probabilities.argmax(-1)
            return pa.table({"id": ids, "label": labels, "prediction": predicted,
                             "score": probabilities[np.arange(len(ids)), predicted].round(SCORE_DECIMALS)},
                            schema=PREDICTION_SCHEMAS[False])
        probabilities = torch.sigmoid(torch.from_numpy(logits)).numpy()
        chosen = probabilities >= threshold
        return pa.table({"id": ids, "labels": [np.flatnonzero(row).tolist() for row in labels >= 0.5],
                         "predictions": [np.flatnonzero(row).tolist() for row in chosen],
                         "scores": [row[picked].round(SCORE_DECIMALS).tolist()
                                    for row, picked in zip(probabilities, chosen)]},
                        schema=PREDICTION_SCHEMAS[True])


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    threshold: float | None = None  # multi-label only
    predictions: Predictions | None = None  # every process has them (gathered), in the loader's order


class Evaluator:
    def __init__(self, accelerator, multi_label: bool):
        self.accelerator = accelerator
        self.multi_label = multi_label
        self.metric = load_topic_metric(multi_label) if accelerator.is_main_process else None

    def __call__(self, model, loader, threshold: float | None = None) -> Evaluation:
        """Scores on `loader`'s split; multi-label with `threshold=None` chooses the threshold here."""
        predictions = predict(model, loader, self.accelerator)
        result = [None]
        if self.accelerator.is_main_process:
            if self.multi_label and threshold is None:
                threshold = best_threshold(predictions)
            result = [Evaluation(self.score(predictions, threshold), threshold)]
        return dataclasses.replace(broadcast_object_list(result)[0], predictions=predictions)

    def score(self, predictions: Predictions, threshold: float | None = None) -> dict[str, float]:
        logits, labels = torch.from_numpy(predictions.logits), torch.from_numpy(predictions.labels)
        if self.multi_label:
            predicted = (probabilities(predictions) >= threshold).astype(np.int8)
            scores = self.metric.compute(predictions=predicted, references=predictions.labels.astype(np.int8))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
        else:
            scores = self.metric.compute(predictions=predictions.logits.argmax(-1), references=predictions.labels)
            loss = torch.nn.functional.cross_entropy(logits, labels.long())
        return {**{name: float(value) for name, value in scores.items()}, "loss": float(loss)}


def probabilities(predictions: Predictions) -> np.ndarray:
    """Multi-label: each class's sigmoid probability."""
    return torch.sigmoid(torch.from_numpy(predictions.logits)).numpy()


def best_threshold(predictions: Predictions) -> float:
    """The threshold in THRESHOLDS with the best micro-F1; of equals, the lowest (argmax takes the first)."""
    micro_f1 = micro_f1_by_threshold(probabilities(predictions), predictions.labels, THRESHOLDS)
    return THRESHOLDS[int(np.argmax(micro_f1))]


@torch.inference_mode()
def predict(model, loader, accelerator) -> Predictions:
    """Logits and labels of the whole split, in one array each on every process (padding duplicates dropped)."""
    was_training = model.training
    model.eval()
    logits, labels = [], []
    for batch in loader:
        batch_logits, batch_labels = accelerator.gather_for_metrics((model(**batch).logits, batch["labels"]))
        logits.append(batch_logits.float().cpu().numpy())
        labels.append(batch_labels.cpu().numpy())
    model.train(was_training)
    return Predictions(np.concatenate(logits), np.concatenate(labels))
