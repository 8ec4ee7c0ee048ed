"""`report.md` of a release: every number is read from the files the release steps wrote."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from huggingface_hub import DatasetCard

from ruqtopics_kit.analysis.report import CORRELATIONS_MD, SCORE_VS_DISTANCE_PLOT, SCORE_VS_SIZE_PLOT
from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.jsonio import read_json_object
from ruqtopics_kit.core.tables import markdown_table, read_csv_table
from ruqtopics_kit.dataset.raw import SPLITS
from ruqtopics_kit.facts.names import DATASET_NAME, REFERENCE_LOCALE
from ruqtopics_kit.massive.counts import count_warnings
from ruqtopics_kit.massive.report import ACCURACY_PLOT, MassiveResults
from ruqtopics_kit.massive.scoring import PREDICTIONS_FILE, SENSITIVITY_FILE
from ruqtopics_kit.training.outputs import RESULTS_FILE, TrainingResults

SYNTHETIC_WARNING = ("> **Synthetic sample.** This report was made from the bundled synthetic RuQTopics and MASSIVE "
                     "samples and a tiny randomly initialised backbone. It shows that the pipeline works end to "
                     "end; its numbers say nothing about the paper's findings.\n")


def write_report(release, models: list[str], evaluated: list[str]) -> Path:
    lines = ["# RuQTopics release report", ""]
    if release.sample:
        lines += [SYNTHETIC_WARNING]
    lines += _dataset_section(release) + _models_section(release, models)
    lines += _massive_overview(release, models, evaluated)
    for name in evaluated:
        lines += _massive_section(release, name) + _analysis_section(release, name)
    path = release.layout.report
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def _link(release, target: Path) -> str:
    return Path(os.path.relpath(target, release.output_dir)).as_posix()


def _dataset_section(release) -> list[str]:
    dataset_dir = release.layout.dataset_dir
    card = DatasetCard.load(dataset_dir / "README.md")
    lines = ["## Dataset", "", f"Repository folder: [`{_link(release, dataset_dir)}`]"
             f"({_link(release, dataset_dir / 'README.md')}) (Hub id `{release.repo_id(DATASET_NAME)}`).", ""]
    rows = []
    for info in sorted(card.data.dataset_info, key=lambda entry: entry["config_name"]):
        sizes = {split["name"]: split["num_examples"] for split in info["splits"]}
        rows.append({"config": f"`{info['config_name']}`", **{split: sizes.get(split, 0) for split in SPLITS}})
    return lines + [markdown_table(pd.DataFrame(rows)), ""]


def _models_section(release, models: list[str]) -> list[str]:
    lines = ["## Models", "", f"Test-split metrics from each model's `{RESULTS_FILE}`.", ""]
    rows = []
    for name in models:
        folder = release.layout.model_dir(name)
        test = TrainingResults.read(release.layout.model_results(name)).test or {}
        rows.append({"model": f"[`{name}`]({_link(release, folder / 'README.md')})",
                     **{key: float(value) for key, value in sorted(test.items())}})
    return lines + [markdown_table(pd.DataFrame(rows)), ""]


def _massive_overview(release, models: list[str], evaluated: list[str]) -> list[str]:
    """Which models were evaluated on MASSIVE, and how each encoded the utterances (from its results.json)."""
    lines = ["## MASSIVE evaluation", "",
             "Single-label models (76 topics or the six MASSIVE-aligned ones) are scored on MASSIVE's six matching "
             "scenarios; each encodes an utterance the way it read its training texts (its text mode).", ""]
    rows = []
    for name in evaluated:
        model = MassiveResults.read(release.layout.massive_summary(name)).model
        rows.append({"model": f"`{name}`", "text mode": model["text_mode"] or "(not recorded)",
                     "utterance encoded as": model["utterance_encoding"]})
    lines.append(markdown_table(pd.DataFrame(rows, columns=["model", "text mode", "utterance encoded as"])))
    skipped = [name for name in models if name not in evaluated]
    if skipped:
        lines += ["", "Not evaluated (multi-label models; the paper evaluates single-label ones): " +
                  ", ".join(f"`{name}`" for name in skipped) + "."]
    return lines + [""]


def _massive_section(release, name: str) -> list[str]:
    folder = release.layout.massive_dir(name)
    evaluation = MassiveResults.read(release.layout.massive_summary(name))
    table = read_csv_table(release.layout.massive_results(name), required=("locale", "accuracy", "mapping")
                           ).sort_values("accuracy", ascending=False)
    other = next((column for column in ("accuracy_full_argmax", "accuracy_restricted") if column in table), None)
    headers = {"n_utterances": "n", "accuracy": _score_heading(evaluation.metrics["accuracy"]),
               "accuracy_ci_low": "95% low", "accuracy_ci_high": "95% high", "macro_f1": "macro-F1",
               "macro_f1_ci_low": "macro-F1 95% low", "macro_f1_ci_high": "macro-F1 95% high",
               **({other: _score_heading(evaluation.metrics[other])} if other else {})}
    columns = [c for c in ("locale", *headers) if c in table]
    massive, results, predictions = evaluation.massive, release.layout.massive_results(name), folder / PREDICTIONS_FILE
    return [f"## MASSIVE: `{name}`", "",
            f"Per-locale results on the MASSIVE {massive['split']} utterances whose scenarios mapping "
            f"`{table['mapping'].iloc[0]}` maps onto RuQTopics topics ([`{results.name}`]({_link(release, results)}), "
            f"per utterance in [`{predictions.name}`]({_link(release, predictions)})); 95% intervals: accuracy "
            f"Clopper-Pearson (exact), macro-F1 percentile bootstrap. The mapping, the split "
            f"({massive.get('split_choice', 'given')}) and the score are the kit's choices.",
            "", markdown_table(table[columns].rename(columns=headers)), "", *_count_lines(release, evaluation),
            *_sensitivity_lines(release, folder),
            f"![accuracy per locale]({_link(release, folder / ACCURACY_PLOT)})", ""]


def _score_heading(description: str) -> str:
    """`accuracy (6 of 76 logits)` from results.json's description of a score."""
    return description.split(":", 1)[0]


def _count_lines(release, evaluation: MassiveResults) -> list[str]:
    """MASSIVE's published counts against this copy's: one line per mismatch of a complete copy; a subset or the
    bundled sample is named as such."""
    if evaluation.published_counts is None:
        return []
    if release.sample:
        return ["The MASSIVE input is the kit's synthetic sample, not MASSIVE: its counts are not checked against "
                "MASSIVE's published ones.", ""]
    lines = count_warnings(evaluation.published_counts)
    return [*lines, ""] if lines else []


def _sensitivity_lines(release, folder: Path) -> list[str]:
    path = folder / SENSITIVITY_FILE
    if not path.is_file():
        return []
    table = read_csv_table(path, keep_default_na=False)
    return [f"{REFERENCE_LOCALE} under every bundled mapping and score, from one inference ([`{path.name}`]"
            f"({_link(release, path)}); 95% Clopper-Pearson intervals):", "", markdown_table(table), ""]


def _analysis_section(release, name: str) -> list[str]:
    layout = release.layout
    folder = layout.analysis_dir(name)
    if layout.not_computed(name).exists():
        reason = layout.not_computed(name).read_text(encoding="utf-8").strip()
        return [f"## Correlation analysis: `{name}`", "", f"Not computed: {reason}", ""]
    summary = read_json_object(layout.analysis_summary(name), ("n_locales",))
    table = (folder / CORRELATIONS_MD).read_text(encoding="utf-8").split("\n", 1)[1].strip()
    plots = [f"![{stem}]({_link(release, folder / (stem + '.png'))})"
             for stem in (SCORE_VS_SIZE_PLOT, SCORE_VS_DISTANCE_PLOT) if (folder / f"{stem}.png").exists()]
    return [f"## Correlation analysis: `{name}` ({summary['n_locales']} locales)", "", table, "", *plots, ""]
