"""The grid's scores and paired comparisons, on test predictions matched by id (`ruqtopics_kit.statistics`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruqtopics_kit.release.claims.inputs import ClaimsInputError, ModelRun
from ruqtopics_kit.statistics import Bootstrap, macro_f1, mcnemar_exact_p
from ruqtopics_kit.training.outputs import PREDICTIONS_FILE


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def score(run: ModelRun, frame: pd.DataFrame, bootstrap: Bootstrap) -> dict:
    """Accuracy and macro-F1 of one model on its test split, with bootstrap intervals."""
    gold, predicted = frame["label"].to_numpy(), frame["prediction"].to_numpy()
    correct = (gold == predicted).astype(float)
    return {"model": run.name, "backbone": run.backbone, "config": run.config, "text_mode": run.text_mode,
            "n": len(frame), "accuracy": float(correct.mean()),
            "accuracy_ci": bootstrap.interval((correct,), np.mean, vectorized=True),
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


def compare(a: ModelRun, b: ModelRun, frames: dict[str, pd.DataFrame], bootstrap: Bootstrap) -> dict:
    """Model a minus model b on the same test questions (matched by id): accuracy and macro-F1 differences with
    paired bootstrap intervals, the discordant counts and McNemar's exact p-value."""
    first, second = paired_frames(a, b, frames)
    gold, pred_a, pred_b = first["label"].to_numpy(), first["prediction"].to_numpy(), second["prediction"].to_numpy()
    right_a, right_b = gold == pred_a, gold == pred_b
    a_only, b_only = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    return {"a": a.name, "b": b.name, "n": len(gold),
            "accuracy_a": float(right_a.mean()), "accuracy_b": float(right_b.mean()),
            "accuracy_difference": float(right_a.mean() - right_b.mean()),
            "accuracy_difference_ci": bootstrap.interval((right_a.astype(float), right_b.astype(float)),
                                                         _mean_difference, vectorized=True),
            "macro_f1_difference": macro_f1(gold, pred_a) - macro_f1(gold, pred_b),
            "macro_f1_difference_ci": bootstrap.interval(
                (gold, pred_a, pred_b), lambda g, x, y: macro_f1(g, x) - macro_f1(g, y), vectorized=False),
            "a_only_correct": a_only, "b_only_correct": b_only, "mcnemar_p": mcnemar_exact_p(a_only, b_only)}
