"""The project's `evaluate` metric modules, shipped as directories so that they load without the Hub."""

from __future__ import annotations

from pathlib import Path

import evaluate

TOPIC_CLASSIFICATION = Path(__file__).parent / "topic_classification"


def load_topic_metric(multi_label: bool) -> evaluate.EvaluationModule:
    """The topic-classification metric in its single- or multi-label configuration."""
    return evaluate.load(str(TOPIC_CLASSIFICATION), config_name="multi_label" if multi_label else "single_label")
