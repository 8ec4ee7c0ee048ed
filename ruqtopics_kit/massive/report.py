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

from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from ruqtopics_kit import __version__
from ruqtopics_kit.core.extras import require
from ruqtopics_kit.core.jsonio import read_json_object, strict_json
from ruqtopics_kit.core.tables import markdown_table
from ruqtopics_kit.statistics import Bootstrap, macro_f1_along, proportion_interval

# the files of a MASSIVE evaluation folder (the release, its report and the claims read them by these names)
RESULTS_CSV, RESULTS_JSON, RESULTS_MD = "results.csv", "results.json", "results.md"
COUNTS_CSV, ACCURACY_PLOT = "counts.csv", "accuracy.png"
RESULTS_SCHEMA = "ruqtopics-massive-results/1"  # results.json's `schema`
TASK_NAME = "RuQTopicsMassiveScenario"


@dataclass(frozen=True)
class MassiveResults:
    """results.json: the run's metadata, then MTEB-shaped per-locale entries under `scores[split]` (hf_subset,
    languages, main_score and every metric). `read` checks its schema."""

    model: dict  # name_or_path, num_labels, problem_type, scoring_rule, classes_evaluated, text_mode, ...
    massive: dict  # source, kind, version, revision, split, split_choice, locales, mmnlu22_skipped
    mapping: dict
    metrics: dict[str, str]  # what each score column means
    config: dict  # the options as given and resolved
    versions: dict[str, str]
    scores: dict[str, list[dict]]
    evaluation_time_s: float
    published_counts: dict | None = None  # None in files written before the counts were checked
    kit_version: str = __version__
    task_name: str = TASK_NAME
    main_score: str = "accuracy"

    def to_dict(self) -> dict:
        return {"schema": RESULTS_SCHEMA, "task_name": self.task_name, "kit_version": self.kit_version,
                "main_score": self.main_score, "evaluation_time_s": self.evaluation_time_s, "model": self.model,
                "massive": self.massive, "mapping": self.mapping, "published_counts": self.published_counts,
                "metrics": self.metrics, "config": self.config, "versions": self.versions, "scores": self.scores}

    def write(self, path: str | Path) -> None:
        Path(path).write_text(strict_json(self.to_dict()), encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> MassiveResults:
        """The results in `path`; a ValueError naming the file when it is not results.json of this schema."""
        required = [spec.name for spec in fields(cls) if spec.default is MISSING]
        body = read_json_object(path, ("schema", *required))
        if body["schema"] != RESULTS_SCHEMA:
            raise ValueError(f"{path}: schema {body['schema']!r}, expected {RESULTS_SCHEMA!r} (written by another "
                             f"version of the kit: evaluate the model again)")
        return cls(**{spec.name: body[spec.name] for spec in fields(cls) if spec.name in body})


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


def write_results(folder: Path, rows: list[dict], counts: list[dict], results: MassiveResults) -> None:
    """Every output file into `folder` (which the caller renames into place once all of them are written)."""
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / RESULTS_CSV, index=False, lineterminator="\n")
    pd.DataFrame(counts).to_csv(folder / COUNTS_CSV, index=False, lineterminator="\n")
    results.write(folder / RESULTS_JSON)
    (folder / RESULTS_MD).write_text(markdown_report(frame, results), encoding="utf-8")
    plot_accuracy(frame, results, folder / ACCURACY_PLOT)


def _by_accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["accuracy", "locale"], ascending=[False, True], kind="stable")


def markdown_report(frame: pd.DataFrame, results: MassiveResults) -> str:
    """results.md: what was evaluated, then one row per locale, best accuracy first."""
    other = next((column for column in ("accuracy_full_argmax", "accuracy_restricted") if column in frame), None)
    classes = results.model["classes_evaluated"]
    massive = results.massive
    lines = [f"# MASSIVE evaluation of `{results.model['name_or_path']}`", "",
             f"- MASSIVE {massive['version'] or '(release unknown)'}, split `{massive['split']}`, "
             f"from {massive['kind']} `{massive['source']}`",
             f"- mapping `{results.mapping['name']}`: {results.mapping['description']}",
             f"- accuracy: {results.metrics['accuracy']}; interval: {results.metrics['accuracy_ci']}",
             f"- classes ({len(classes)}): {', '.join(classes)}",
             f"- utterances encoded as {results.model['utterance_encoding']}"]
    if other:
        lines.append(f"- {other}: {results.metrics[other]}")
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


def plot_accuracy(frame: pd.DataFrame, results: MassiveResults, path: Path) -> None:
    """Bars of accuracy per locale, best first, with 95% interval whiskers and the chance level."""
    # no pyplot: no global state, no GUI backend
    Figure = require("matplotlib.figure", "analysis", "the MASSIVE accuracy plot").Figure

    frame = _by_accuracy(frame)
    chance = 1 / len(results.model["classes_evaluated"])
    figure = Figure(figsize=(max(6.0, 0.28 * len(frame) + 2), 4.2), layout="constrained")
    axes = figure.subplots()
    whiskers = np.vstack([frame["accuracy"] - frame["accuracy_ci_low"], frame["accuracy_ci_high"] - frame["accuracy"]])
    axes.bar(frame["locale"], frame["accuracy"], yerr=whiskers, capsize=2, color="#4C72B0", ecolor="#333333")
    axes.axhline(chance, color="#C44E52", linestyle="--", linewidth=1, label=f"chance (1/{round(1 / chance)})")
    axes.set_ylim(0, 1)
    axes.set_ylabel("accuracy")
    axes.set_title(f"{results.model['name_or_path']} on MASSIVE {results.massive['version'] or ''} "
                   f"{results.massive['split']}, mapping {results.mapping['name']} (95% exact CI)",
                   fontsize=9)
    axes.tick_params(axis="x", labelrotation=90, labelsize=8)
    axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path, dpi=150)
