"""The project's `evaluate` metric modules, shipped as directories so that they load without the Hub."""

from __future__ import annotations

from importlib.resources import files

import evaluate

from ruqtopics_kit.metrics.topic_classification.topic_classification import micro_f1_by_threshold  # noqa: F401

TOPIC_CLASSIFICATION = files(__name__) / "topic_classification"  # package data (a real folder once installed)


def load_topic_metric(multi_label: bool) -> evaluate.EvaluationModule:
    """The topic-classification metric in its single- or multi-label configuration."""
    return evaluate.load(str(TOPIC_CLASSIFICATION), config_name="multi_label" if multi_label else "single_label")
