"""Topic-classification metrics for RuQTopics, as an `evaluate` module that loads offline.

Config "single_label": predictions and references are class ids; returns accuracy and macro_f1.
Config "multi_label": predictions and references are multi-hot 0/1 vectors; returns micro_f1, macro_f1 and
subset_accuracy (exact match).

Macro-F1 averages over `labels` when given (for example the six MASSIVE-aligned ids, so that a prediction
outside them counts as an error but not as a class of its own), else over every class seen in references
or predictions (single-label) or every column (multi-label). A class with no true and no predicted
instance has F1 = 0 only if it is listed in `labels`.
"""

import datasets
import evaluate
import numpy as np

# The kit's one citation. evaluate.load checks that the kit is importable (the module lives in the installed kit).
from ruqtopics_kit.facts.paper import CITATION as _CITATION
from ruqtopics_kit.statistics import f1_from_counts, macro_f1

_DESCRIPTION = __doc__

_KWARGS_DESCRIPTION = """
Args:
    predictions: class ids (single_label) or multi-hot vectors (multi_label).
    references: same shape as predictions.
    labels: optional list of class ids to average macro-F1 over (single_label), or column indices (multi_label).
Returns:
    single_label: {"accuracy": float, "macro_f1": float}
    multi_label: {"micro_f1": float, "macro_f1": float, "subset_accuracy": float}
"""



def _f1(true_positive, false_positive, false_negative):
    """Elementwise F1 = 2TP / (2TP + FP + FN), 0 where the denominator is 0."""
    return f1_from_counts(true_positive, true_positive + false_negative, true_positive + false_positive)


def micro_f1_by_threshold(probabilities, references, thresholds) -> np.ndarray:
    """The multi_label config's micro_f1 of the predictions `probabilities >= t`, for each threshold t, in one
    pass. train.py chooses its decision threshold among 19 at every evaluation; a `compute` call for each spends
    most of its time encoding every 0/1 vector into Arrow (docs/benchmarks.md, "The multi-label decision
    threshold")."""
    probabilities, references = np.asarray(probabilities), np.asarray(references).astype(bool)
    true_positive, false_positive = [], []
    for threshold in thresholds:
        predicted = probabilities >= threshold
        true_positive.append((predicted & references).sum())
        false_positive.append((predicted & ~references).sum())
    true_positive = np.array(true_positive)
    return _f1(true_positive, np.array(false_positive), references.sum() - true_positive)


class TopicClassification(evaluate.Metric):
    def _info(self):
        if self.config_name == "multi_label":
            features = datasets.Features({"predictions": datasets.Sequence(datasets.Value("int8")),
                                          "references": datasets.Sequence(datasets.Value("int8"))})
        elif self.config_name in ("single_label", "default"):
            features = datasets.Features({"predictions": datasets.Value("int64"),
                                          "references": datasets.Value("int64")})
        else:
            raise ValueError(f"config_name must be 'single_label' or 'multi_label'; got {self.config_name!r}")
        return evaluate.MetricInfo(description=_DESCRIPTION, citation=_CITATION,
                                   inputs_description=_KWARGS_DESCRIPTION, features=features)

    def _compute(self, predictions, references, labels=None):
        predictions, references = np.asarray(predictions), np.asarray(references)
        if predictions.size == 0:
            raise ValueError("no predictions to score: the evaluation set is empty")
        if self.config_name == "multi_label":
            return self._multi_label(predictions.astype(bool), references.astype(bool), labels)
        return self._single_label(predictions, references, labels)

    @staticmethod
    def _single_label(predictions, references, labels):
        return {"accuracy": float((predictions == references).mean()),
                "macro_f1": macro_f1(references, predictions, labels)}

    @staticmethod
    def _multi_label(predictions, references, labels):
        if labels is not None:
            predictions, references = predictions[:, labels], references[:, labels]
        tp = (predictions & references).sum(0)
        fp = (predictions & ~references).sum(0)
        fn = (~predictions & references).sum(0)
        return {"micro_f1": float(_f1(tp.sum(), fp.sum(), fn.sum())),
                "macro_f1": float(_f1(tp, fp, fn).mean()),
                "subset_accuracy": float((predictions == references).all(axis=1).mean())}
