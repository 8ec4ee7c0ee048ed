"""Scores per locale and the files `evaluate_massive.py` writes.

- `results.csv`: one row per locale (model, mapping, split and MASSIVE version in every row);
- `counts.csv`: utterances per locale and class;
- `results.json`: strict JSON (NaN as null), MTEB-shaped: run metadata, then per split a list of per-locale entries
  with `hf_subset`, `languages`, `main_score` and every metric;
- `results.md`: the table sorted by accuracy; `accuracy.png`: accuracy per locale with its 95% interval.

Accuracy's interval is Clopper-Pearson's (exact, `ruqtopics_kit.statistics`), the one the claims and the report
show too; macro-F1's is a percentile bootstrap over utterances (no closed form).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ruqtopics_kit.core.jsonio import strict_json
from ruqtopics_kit.core.tables import markdown_table
from ruqtopics_kit.statistics import Bootstrap, macro_f1_along, proportion_interval

# the files of a MASSIVE evaluation folder (the release, its report and the claims read them by these names)
RESULTS_CSV, RESULTS_JSON, RESULTS_MD = "results.csv", "results.json", "results.md"
COUNTS_CSV, ACCURACY_PLOT = "counts.csv", "accuracy.png"


def argmax_scores(metric, predictions: np.ndarray, references: np.ndarray, classes: np.ndarray, *,
                  resamples: int | None = None, seed: tuple[int, ...] = (0,), suffix: str = "") -> dict[str, float]:
    """Accuracy with Clopper-Pearson's interval and macro-F1 (over `classes`) of class-id `predictions`, keys
    ending in `suffix`; with `resamples`, also macro-F1's percentile-bootstrap interval (it has no closed form)."""
    scores = metric.compute(predictions=predictions, references=references, labels=classes.tolist())
    low, high = proportion_interval(int((predictions == references).sum()), len(references))
    found = {f"accuracy{suffix}": scores["accuracy"], f"accuracy{suffix}_ci_low": low,
             f"accuracy{suffix}_ci_high": high, f"macro_f1{suffix}": scores["macro_f1"]}
    if resamples is not None:
        interval = Bootstrap(resamples, seed=seed).interval(
            (references, predictions), lambda gold, predicted, axis=-1: macro_f1_along(gold, predicted, classes, axis),
            vectorized=True)
        found[f"macro_f1{suffix}_ci_low"], found[f"macro_f1{suffix}_ci_high"] = interval
    return found


def write_results(folder: Path, rows: list[dict], counts: list[dict], summary: dict) -> None:
    """Every output file into `folder` (which the caller renames into place once all of them are written)."""
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / RESULTS_CSV, index=False, lineterminator="\n")
    pd.DataFrame(counts).to_csv(folder / COUNTS_CSV, index=False, lineterminator="\n")
    (folder / RESULTS_JSON).write_text(strict_json(summary), encoding="utf-8")
    (folder / RESULTS_MD).write_text(markdown_report(frame, summary), encoding="utf-8")
    plot_accuracy(frame, summary, folder / ACCURACY_PLOT)


def _by_accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["accuracy", "locale"], ascending=[False, True], kind="stable")


def markdown_report(frame: pd.DataFrame, summary: dict) -> str:
    """results.md: what was evaluated, then one row per locale, best accuracy first."""
    other = next((column for column in ("accuracy_full_argmax", "accuracy_restricted") if column in frame), None)
    classes = summary["model"]["classes_evaluated"]
    massive = summary["massive"]
    lines = [f"# MASSIVE evaluation of `{summary['model']['name_or_path']}`", "",
             f"- MASSIVE {massive['version'] or '(release unknown)'}, split `{massive['split']}`, "
             f"from {massive['kind']} `{massive['source']}`",
             f"- mapping `{summary['mapping']['name']}`: {summary['mapping']['description']}",
             f"- accuracy: {summary['metrics']['accuracy']}; interval: {summary['metrics']['accuracy_ci']}",
             f"- classes ({len(classes)}): {', '.join(classes)}",
             f"- utterances encoded as {summary['model']['utterance_encoding']}"]
    if other:
        lines.append(f"- {other}: {summary['metrics'][other]}")
    ranked = _by_accuracy(frame)
    table = pd.DataFrame({"#": range(1, len(ranked) + 1), "locale": ranked["locale"], "language": ranked["language"],
                          "n": ranked["n_utterances"], "accuracy": ranked["accuracy"],
                          "95% CI": _intervals(ranked, "accuracy"), "macro-F1": ranked["macro_f1"],
                          "macro-F1 95% CI": _intervals(ranked, "macro_f1")})
    if other:
        table[other] = ranked[other]
        table[other.replace("accuracy", "macro-F1")] = ranked[other.replace("accuracy", "macro_f1")]
    return "\n".join(lines + ["", markdown_table(table, floatfmt=".3f", intfmt=",")]) + "\n"


def _intervals(frame: pd.DataFrame, metric: str) -> list[str]:
    return [f"{low:.3f}-{high:.3f}" for low, high in zip(frame[f"{metric}_ci_low"], frame[f"{metric}_ci_high"])]


def plot_accuracy(frame: pd.DataFrame, summary: dict, path: Path) -> None:
    """Bars of accuracy per locale, best first, with 95% interval whiskers and the chance level."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    frame = _by_accuracy(frame)
    chance = 1 / len(summary["model"]["classes_evaluated"])
    figure = Figure(figsize=(max(6.0, 0.28 * len(frame) + 2), 4.2), layout="constrained")
    axes = figure.subplots()
    whiskers = np.vstack([frame["accuracy"] - frame["accuracy_ci_low"], frame["accuracy_ci_high"] - frame["accuracy"]])
    axes.bar(frame["locale"], frame["accuracy"], yerr=whiskers, capsize=2, color="#4C72B0", ecolor="#333333")
    axes.axhline(chance, color="#C44E52", linestyle="--", linewidth=1, label=f"chance (1/{round(1 / chance)})")
    axes.set_ylim(0, 1)
    axes.set_ylabel("accuracy")
    axes.set_title(f"{summary['model']['name_or_path']} on MASSIVE {summary['massive']['version'] or ''} "
                   f"{summary['massive']['split']}, mapping {summary['mapping']['name']} (95% exact CI)",
                   fontsize=9)
    axes.tick_params(axis="x", labelrotation=90, labelsize=8)
    axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path, dpi=150)
