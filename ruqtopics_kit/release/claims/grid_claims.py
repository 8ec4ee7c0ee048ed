"""Claims 1-3, read from the grid's test predictions and MASSIVE results: six-class accuracy, question beats the
other text modes, distilled backbones nearly as good as the full one. Each claim is a family of rows (one per
backbone or pair), controlled as paper_claims.json's `family` says, with one overall verdict beside them."""

from __future__ import annotations

from ruqtopics_kit.dataset.text_modes import TEXT_MODES
from ruqtopics_kit.facts.names import REFERENCE_LOCALE
from ruqtopics_kit.facts.paper import paper_claims
from ruqtopics_kit.massive.report import RESULTS_CSV
from ruqtopics_kit.release.claims.inputs import paper_backbones, russian_massive_accuracy
from ruqtopics_kit.release.claims.models import GRID_CONFIG, SIX_CLASS_CONFIG, ReleaseModels
from ruqtopics_kit.release.claims.scores import compare, paired_counts
from ruqtopics_kit.release.claims.seeds import across_seeds, with_seeds
from ruqtopics_kit.release.claims.verdicts import (
    CANNOT_TEST,
    better_verdict,
    claim_row,
    estimate_verdict,
    margin_verdict,
    overall,
)
from ruqtopics_kit.statistics import holm, paired_difference_interval, proportion_interval


def _bonferroni(alpha: float, members: int) -> float:
    """The confidence level of each of `members` intervals that together keep the family's level 1 - alpha."""
    return 1 - alpha / max(members, 1)


def six_class_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    """(1) Russian-only models reach about 85% on MASSIVE ru-RU's six classes."""
    claim = paper_claims()["claims"]["six_class_accuracy"]
    band = (claim["value"] - claim["band"], claim["value"] + claim["band"])
    runs = [run for run in models.runs if run.config == SIX_CLASS_CONFIG]
    massive = {run.name: russian_massive_accuracy(models.release_dir, run) for run in runs}
    members = [run for run in runs if massive[run.name] and run.role.get("language") == "ru"]
    level = _bonferroni(models.alpha, len(members))
    table, rows = [], []
    for run in runs:
        result, test = massive[run.name], next((cell for cell in models.grid if cell["model"] == run.name), None)
        table.append({"model": run.name, "backbone": run.backbone,
                      "massive_ru_accuracy": result and result["accuracy"],
                      "massive_ru_accuracy_ci": result and result["interval"],
                      "test_accuracy": test and test["accuracy"], "test_accuracy_ci": test and test["accuracy_ci"]})
        role, extra = "member", {}
        if result is None:
            verdict, why = CANNOT_TEST, f"no {REFERENCE_LOCALE} result in massive/{run.name}/{RESULTS_CSV}"
        elif run.role.get("language") != "ru":
            role, verdict, why = "other model", CANNOT_TEST, (f"backbone {run.backbone} is not one of the paper's "
                                                              f"Russian-only backbones "
                                                              f"({', '.join(paper_backbones('ru'))})")
        else:
            decision = (list(proportion_interval(result["correct"], result["n"], level)) if result["n"]
                        else result["interval"])
            extra = {"decision_interval": decision, "decision_level": level}
            verdict, why = estimate_verdict(result["accuracy"], decision, claim["value"], band, f"{100 * level:.4g}%")
        rows.append(claim_row("six_class_accuracy", f"{run.name} on MASSIVE {REFERENCE_LOCALE}", verdict, why,
                              paper_value=claim["value"], run_value=result and result["accuracy"],
                              interval=result and result["interval"], role=role, **extra))
    complete = set(paper_backbones("ru")) <= {run.backbone for run in members}
    rows.append(overall("six_class_accuracy", rows, complete=complete, paper_value=claim["value"],
                        family=f"intersection-union over {len(members)} Russian-only models, Bonferroni-level "
                               f"intervals"))
    return table, rows


def text_mode_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    """(2) question beats answer and question_answer, for every backbone: McNemar per backbone, Holm over them."""
    comparisons, rows = [], []
    present = models.backbones(GRID_CONFIG)
    ours = set(paper_backbones("ru") + paper_backbones("multilingual"))
    for other in ("answer", "question_answer"):
        claim, paper_value = f"question_beats_{other}", "question > " + other
        family, tested = [], []
        for backbone in present:
            cells = [(GRID_CONFIG, backbone, mode) for mode in ("question", other)]
            role, subject = "member" if backbone in ours else "other model", f"{backbone}: question vs {other}"
            if any(cell not in models.cells for cell in cells):
                lacking = "question" if cells[0] not in models.cells else other
                family.append(claim_row(claim, subject, CANNOT_TEST, f"no {GRID_CONFIG} {lacking} model for "
                                                                     f"backbone {backbone} in the grid",
                                        paper_value=paper_value, role=role))
                continue
            comparison = {"kind": "text_mode", "backbone": backbone,
                          **compare(*(models.cells[cell] for cell in cells), models.frames, models.bootstrap)}
            comparisons.append(comparison)
            tested.append((subject, role, backbone, cells, comparison))
        family += _holm_rows(models, claim, paper_value, tested)
        missing = sorted(ours - {item[2] for item in tested})
        rows += family + [overall(claim, family, complete=not missing, paper_value=paper_value,
                                  family=f"Holm over {len(tested)} McNemar tests, intersection-union over the "
                                         f"paper's backbones" + (f"; missing: {', '.join(missing)}" if missing
                                                                 else ""))]
    for backbone in present:  # the third pair of the paper's Table 3 row, for the record (no claim on it)
        pair = [models.cells.get((GRID_CONFIG, backbone, mode)) for mode in ("question_answer", "answer")]
        if None not in pair:
            comparisons.append({"kind": "text_mode", "backbone": backbone,
                                **compare(*pair, models.frames, models.bootstrap)})
    return comparisons, rows


def _holm_rows(models: ReleaseModels, claim: str, paper_value: str, tested: list[tuple]) -> list[dict]:
    """The family's rows: each McNemar p Holm-adjusted over the family; across training seeds, each seed's p
    Bonferroni-adjusted (Holm's order is the first seed's)."""
    rows, size = [], len(tested)

    def per_seed(comparison: dict) -> tuple[str, str]:
        return better_verdict(comparison["accuracy_difference"], min(1.0, comparison["mcnemar_p"] * size),
                              comparison["n"], models.alpha, "Bonferroni")
    adjusted = holm([item[4]["mcnemar_p"] for item in tested])
    for (subject, role, _, cells, comparison), p_adjusted in zip(tested, adjusted, strict=True):
        verdict, why = better_verdict(comparison["accuracy_difference"], p_adjusted, comparison["n"], models.alpha)
        seeds = across_seeds(*(models.seeds[cell] for cell in cells), models, per_seed)
        rows.append(with_seeds(claim_row(claim, subject, verdict, why, paper_value=paper_value, role=role,
                                         run_value=comparison["accuracy_difference"], p_adjusted=p_adjusted,
                                         interval=comparison["accuracy_difference_ci"],
                                         p_value=comparison["mcnemar_p"]), seeds))
    return rows


def distillation_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    """(3) distilled backbones nearly as good as the full one, per text mode: the gap's Newcombe interval at the
    family's Bonferroni level against the margin."""
    claim = paper_claims()["claims"]["distilled_near_full"]
    paper_value = (f"gap < {claim['margin']} (paper: full {claim['full_accuracy'][0]}-{claim['full_accuracy'][1]}, "
                   f"distilled {claim['distilled_accuracy']})")
    pairs = [(role["distilled_from"], name) for name, role in paper_claims()["backbones"].items()
             if role["distilled_from"]]
    wanted = {(mode, full, distilled): [(GRID_CONFIG, name, mode) for name in (full, distilled)]
              for mode in TEXT_MODES for full, distilled in pairs}
    tested = [key for key, cells in wanted.items() if all(cell in models.cells for cell in cells)]
    level = _bonferroni(models.alpha, len(tested))

    def rule(comparison: dict) -> tuple[str, str]:
        decision = list(paired_difference_interval(paired_counts(comparison), level))
        return margin_verdict(decision, claim["margin"], f"{100 * level:.4g}%")
    comparisons, rows = [], []
    for (text_mode, full_name, distilled_name), cells in wanted.items():
        subject = f"{text_mode}: {full_name} vs {distilled_name}"
        present = [cell for cell in cells if cell in models.cells]
        if len(present) < 2:
            if present:
                lacking = distilled_name if present[0] == cells[0] else full_name
                rows.append(claim_row("distilled_near_full", subject, CANNOT_TEST, f"no {GRID_CONFIG} {text_mode} "
                                      f"model for backbone {lacking} in the grid", paper_value=paper_value))
            continue
        comparison = {"kind": "distillation", "text_mode": text_mode,
                      **compare(*(models.cells[cell] for cell in cells), models.frames, models.bootstrap)}
        comparisons.append(comparison)
        decision = list(paired_difference_interval(paired_counts(comparison), level))
        seeds = across_seeds(*(models.seeds[cell] for cell in cells), models, rule)
        rows.append(with_seeds(claim_row("distilled_near_full", subject, *rule(comparison), paper_value=paper_value,
                                         run_value=comparison["accuracy_difference"], p_value=comparison["mcnemar_p"],
                                         interval=comparison["accuracy_difference_ci"], decision_interval=decision,
                                         decision_level=level), seeds))
    if not rows:
        russian = ", ".join(paper_backbones("ru"))
        rows.append(claim_row("distilled_near_full", "-", CANNOT_TEST, f"none of the paper's full and distilled "
                              f"backbones ({russian}) is in the {GRID_CONFIG} grid", paper_value=paper_value))
    rows.append(overall("distilled_near_full", rows, complete=len(tested) == len(wanted), paper_value=paper_value,
                        family=f"intersection-union over {len(wanted)} text mode x distilled pairs, Bonferroni-level "
                               f"intervals"))
    return comparisons, rows
