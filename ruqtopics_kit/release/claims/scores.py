"""The grid's scores and paired comparisons, on test predictions matched by id (`ruqtopics_kit.statistics`):
accuracy with Clopper-Pearson's interval, differences of accuracy with Newcombe's paired interval, McNemar's exact
test, macro-F1 and its differences with percentile-bootstrap intervals (no closed form)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruqtopics_kit.release.claims.inputs import ClaimsInputError, ModelRun
from ruqtopics_kit.statistics import (
    Bootstrap,
    PairedCounts,
    macro_f1,
    mcnemar_exact_p,
    paired_difference_interval,
    proportion_interval,
)
from ruqtopics_kit.training.outputs import PREDICTIONS_FILE


def score(run: ModelRun, frame: pd.DataFrame, bootstrap: Bootstrap) -> dict:
    """Accuracy (Clopper-Pearson interval) and macro-F1 (bootstrap interval) of one model on its test split."""
    gold, predicted = frame["label"].to_numpy(), frame["prediction"].to_numpy()
    correct = int((gold == predicted).sum())
    return {"model": run.name, "backbone": run.backbone, "config": run.config, "text_mode": run.text_mode,
            "seed": run.seed, "n": len(frame), "correct": correct, "accuracy": correct / len(frame),
            "accuracy_ci": list(proportion_interval(correct, len(frame), bootstrap.confidence_level)),
            "macro_f1": macro_f1(gold, predicted),
            "macro_f1_ci": bootstrap.interval((gold, predicted), macro_f1, vectorized=False)}


def paired_frames(a: ModelRun, b: ModelRun, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two models' predictions on the same test questions, in the same order; a named error otherwise."""
    first, second = frames[a.name], frames[b.name]
    only_one = first.index.symmetric_difference(second.index)
    if len(only_one):
        raise ClaimsInputError(b.folder / PREDICTIONS_FILE, f"its test questions differ from those of {a.name} "
                                                            f"({len(only_one)} ids in only one of them, e.g. "
                                                            f"{only_one[0]!r}); a paired comparison needs the same "
                                                            f"test split")
    second = second.loc[first.index]
    if not np.array_equal(first["label"].to_numpy(), second["label"].to_numpy()):
        raise ClaimsInputError(b.folder / PREDICTIONS_FILE, f"gives other gold labels than {a.name} for the same "
                                                            f"ids; were they trained on different datasets?")
    return first, second


def paired_counts(comparison: dict) -> PairedCounts:
    """The 2x2 table of a comparison: questions both, only a, only b, neither model got right."""
    return PairedCounts(comparison["both_correct"], comparison["a_only_correct"], comparison["b_only_correct"],
                        comparison["neither_correct"])


def compare(a: ModelRun, b: ModelRun, frames: dict[str, pd.DataFrame], bootstrap: Bootstrap) -> dict:
    """Model a minus model b on the same test questions (matched by id): the accuracy difference with Newcombe's
    interval, the macro-F1 difference with a paired bootstrap interval, the 2x2 counts and McNemar's exact p."""
    first, second = paired_frames(a, b, frames)
    gold, pred_a, pred_b = first["label"].to_numpy(), first["prediction"].to_numpy(), second["prediction"].to_numpy()
    counts = PairedCounts.of(gold == pred_a, gold == pred_b)
    return {"a": a.name, "b": b.name, "seed": a.seed, "n": counts.n,
            "accuracy_a": (counts.both + counts.first_only) / counts.n,
            "accuracy_b": (counts.both + counts.second_only) / counts.n,
            "accuracy_difference": counts.difference,
            "accuracy_difference_ci": list(paired_difference_interval(counts, bootstrap.confidence_level)),
            "macro_f1_difference": macro_f1(gold, pred_a) - macro_f1(gold, pred_b),
            "macro_f1_difference_ci": bootstrap.interval(
                (gold, pred_a, pred_b), lambda g, x, y: macro_f1(g, x) - macro_f1(g, y), vectorized=False),
            "both_correct": counts.both, "a_only_correct": counts.first_only, "b_only_correct": counts.second_only,
            "neither_correct": counts.neither, "mcnemar_p": mcnemar_exact_p(counts.first_only, counts.second_only)}
