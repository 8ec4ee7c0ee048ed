"""Evaluation: logits gathered from every process with `gather_for_metrics`, scores from the project's metric.

The main process scores and broadcasts the result, so every process takes the same early-stopping and
best-model decisions (and only one process touches the `evaluate` module's cache files).

Multi-label: an example has a class when sigmoid(logit) >= the decision threshold. The threshold is chosen
on the validation split (the value in THRESHOLDS with the best micro-F1; ties go to the lowest) and then
used unchanged on the test split, so the test scores are not tuned on test data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from accelerate.utils import broadcast_object_list

from ruqtopics_kit.metrics import load_topic_metric

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05, 0.10, ..., 0.95


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    threshold: float | None = None  # multi-label only


@dataclass(frozen=True)
class Predictions:
    logits: np.ndarray
    labels: np.ndarray


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
                threshold = max(THRESHOLDS, key=lambda t: (self.score(predictions, t)["micro_f1"], -t))
            result = [Evaluation(self.score(predictions, threshold), threshold)]
        return broadcast_object_list(result)[0]

    def score(self, predictions: Predictions, threshold: float | None = None) -> dict[str, float]:
        logits, labels = torch.from_numpy(predictions.logits), torch.from_numpy(predictions.labels)
        if self.multi_label:
            predicted = (torch.sigmoid(logits) >= threshold).to(torch.int8).numpy()
            scores = self.metric.compute(predictions=predicted, references=predictions.labels.astype(np.int8))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
        else:
            scores = self.metric.compute(predictions=predictions.logits.argmax(-1), references=predictions.labels)
            loss = torch.nn.functional.cross_entropy(logits, labels.long())
        return {**{name: float(value) for name, value in scores.items()}, "loss": float(loss)}


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
