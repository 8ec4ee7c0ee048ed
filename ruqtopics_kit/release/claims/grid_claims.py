"""Claims 1-3, read from the grid's test predictions and MASSIVE results: six-class accuracy, question beats the
other text modes, distilled backbones nearly as good as the full one."""

from __future__ import annotations

from ruqtopics_kit.dataset.text_modes import TEXT_MODES
from ruqtopics_kit.release.claims.inputs import RUSSIAN_LOCALE, paper, paper_backbones, russian_massive_accuracy
from ruqtopics_kit.release.claims.models import GRID_CONFIG, SIX_CLASS_CONFIG, ReleaseModels
from ruqtopics_kit.release.claims.scores import compare
from ruqtopics_kit.release.claims.seeds import across_seeds, with_seeds
from ruqtopics_kit.release.claims.verdicts import (
    CANNOT_TEST,
    band_verdict,
    better_verdict,
    claim_row,
    margin_verdict,
)


def six_class_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    """(1) Russian-only models reach about 85% on MASSIVE ru-RU's six classes."""
    claim = paper()["claims"]["six_class_accuracy"]
    low, high = claim["value"] - claim["band"], claim["value"] + claim["band"]
    runs = [run for run in models.runs if run.config == SIX_CLASS_CONFIG]
    if not runs:
        return [], [claim_row("six_class_accuracy", "-", CANNOT_TEST, f"no {SIX_CLASS_CONFIG} model in the grid",
                              paper_value=claim["value"])]
    table, rows = [], []
    for run in runs:
        test = next((cell for cell in models.grid if cell["model"] == run.name), None)
        massive = russian_massive_accuracy(models.release_dir, run)
        table.append({"model": run.name, "backbone": run.backbone,
                      "massive_ru_accuracy": massive and massive["accuracy"],
                      "massive_ru_accuracy_ci": massive and massive["interval"],
                      "test_accuracy": test and test["accuracy"], "test_accuracy_ci": test and test["accuracy_ci"]})
        if massive is None:
            verdict, why = CANNOT_TEST, f"no {RUSSIAN_LOCALE} result in massive/{run.name}/results.csv"
        elif run.role.get("language") != "ru":
            verdict, why = CANNOT_TEST, (f"backbone {run.backbone} is not one of the paper's Russian-only "
                                         f"backbones ({', '.join(paper_backbones('ru'))})")
        else:
            verdict, why = band_verdict(massive["accuracy"], massive["interval"], low, high)
        rows.append(claim_row("six_class_accuracy", f"{run.name} on MASSIVE {RUSSIAN_LOCALE}", verdict, why,
                              paper_value=claim["value"], run_value=massive and massive["accuracy"],
                              interval=massive and massive["interval"]))
    return table, rows


def text_mode_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    """(2) question beats answer and question_answer, for every backbone."""
    comparisons, rows = [], []
    present = models.backbones(GRID_CONFIG)

    def rule(comparison: dict) -> tuple[str, str]:
        return better_verdict(comparison["accuracy_difference"], comparison["mcnemar_p"], comparison["n"],
                              models.alpha)
    for other in ("answer", "question_answer"):
        claim, paper_value = f"question_beats_{other}", "question > " + other
        for backbone in present:
            question = models.cells.get((GRID_CONFIG, backbone, "question"))
            challenger = models.cells.get((GRID_CONFIG, backbone, other))
            subject = f"{backbone}: question vs {other}"
            if question is None or challenger is None:
                lacking = "question" if question is None else other
                rows.append(claim_row(claim, subject, CANNOT_TEST, f"no {GRID_CONFIG} {lacking} model for "
                                                                   f"backbone {backbone} in the grid",
                                      paper_value=paper_value))
                continue
            comparison = {"kind": "text_mode", "backbone": backbone,
                          **compare(question, challenger, models.frames, models.bootstrap)}
            comparisons.append(comparison)
            verdict, why = rule(comparison)
            seeds = across_seeds(*(models.seeds[(GRID_CONFIG, backbone, mode)] for mode in ("question", other)),
                                 models, rule)
            rows.append(with_seeds(claim_row(claim, subject, verdict, why, paper_value=paper_value,
                                             run_value=comparison["accuracy_difference"],
                                             interval=comparison["accuracy_difference_ci"],
                                             p_value=comparison["mcnemar_p"]), seeds))
        missing = [name for name in paper_backbones("ru") + paper_backbones("multilingual") if name not in present]
        if missing:
            rows.append(claim_row(claim, "the paper's other backbones", CANNOT_TEST,
                                  f"backbone(s) missing from the {GRID_CONFIG} grid: {', '.join(missing)}",
                                  paper_value=paper_value))
    for backbone in present:  # the third pair of the paper's Table 3 row, for the record (no claim on it)
        pair = [models.cells.get((GRID_CONFIG, backbone, mode)) for mode in ("question_answer", "answer")]
        if None not in pair:
            comparisons.append({"kind": "text_mode", "backbone": backbone,
                                **compare(*pair, models.frames, models.bootstrap)})
    return comparisons, rows


def distillation_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    """(3) distilled backbones nearly as good as the full one, per text mode."""
    claim = paper()["claims"]["distilled_near_full"]
    paper_value = (f"gap < {claim['margin']} (paper: full {claim['full_accuracy'][0]}-{claim['full_accuracy'][1]}, "
                   f"distilled {claim['distilled_accuracy']})")
    pairs = [(role["distilled_from"], name) for name, role in paper()["backbones"].items() if role["distilled_from"]]
    comparisons, rows = [], []

    def rule(comparison: dict) -> tuple[str, str]:
        return margin_verdict(comparison["accuracy_difference_ci"], claim["margin"])
    for text_mode in TEXT_MODES:
        for full_name, distilled_name in pairs:
            full = models.cells.get((GRID_CONFIG, full_name, text_mode))
            distilled = models.cells.get((GRID_CONFIG, distilled_name, text_mode))
            if full is None and distilled is None:
                continue
            subject = f"{text_mode}: {full_name} vs {distilled_name}"
            if full is None or distilled is None:
                lacking = full_name if full is None else distilled_name
                rows.append(claim_row("distilled_near_full", subject, CANNOT_TEST,
                                      f"no {GRID_CONFIG} {text_mode} model for backbone {lacking} in the grid",
                                      paper_value=paper_value))
                continue
            comparison = {"kind": "distillation", "text_mode": text_mode,
                          **compare(full, distilled, models.frames, models.bootstrap)}
            comparisons.append(comparison)
            verdict, why = rule(comparison)
            seeds = across_seeds(*(models.seeds[(GRID_CONFIG, name, text_mode)]
                                   for name in (full_name, distilled_name)), models, rule)
            rows.append(with_seeds(claim_row("distilled_near_full", subject, verdict, why, paper_value=paper_value,
                                             run_value=comparison["accuracy_difference"],
                                             interval=comparison["accuracy_difference_ci"],
                                             p_value=comparison["mcnemar_p"]), seeds))
    if not rows:
        russian = ", ".join(paper_backbones("ru"))
        rows.append(claim_row("distilled_near_full", "-", CANNOT_TEST, f"none of the paper's full and distilled "
                              f"backbones ({russian}) is in the {GRID_CONFIG} grid", paper_value=paper_value))
    return comparisons, rows
