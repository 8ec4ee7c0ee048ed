"""Claim 4, read from the correlation analysis: mBERT's per-locale MASSIVE accuracy against pretraining size and
against distance from Russian."""

from __future__ import annotations

from ruqtopics_kit.release.claims.inputs import (
    analysed_models,
    missing_paper_locales,
    not_computed_reason,
    paper,
    spearman_rows,
)
from ruqtopics_kit.release.claims.models import ReleaseModels
from ruqtopics_kit.release.claims.verdicts import CANNOT_TEST, claim_row, correlation_verdict


def correlation_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    size_claim = paper()["claims"]["size_correlation"]
    analysed = analysed_models(models.release_dir)
    table, rows = [], []
    for name in analysed:
        folder = models.release_dir / "analysis" / name
        reason = not_computed_reason(folder)
        if reason is not None:
            rows.append(claim_row("size_correlation", name, CANNOT_TEST, f"analysis not computed: {reason}",
                                  paper_value=size_claim["rho"]))
            continue
        correlations = spearman_rows(folder)
        table += [{"model": name, **row} for row in correlations.values()]
        rows += _correlation_rows(models, name, correlations, _untestable_because(models, name, folder))
    if not analysed:
        rows.append(claim_row("size_correlation", "-", CANNOT_TEST, "no model was evaluated on MASSIVE and analysed",
                              paper_value=size_claim["rho"]))
    return table, rows


def _untestable_because(models: ReleaseModels, name: str, folder) -> str:
    """Why this analysis cannot test the paper's correlation claims, or "" when it can."""
    reasons = []
    run = models.run_named(name)
    if run is None or run.role.get("language") != "multilingual":
        backbone = run.backbone if run else "unknown"
        reasons.append(f"the claim is about multilingual BERT, and backbone {backbone} is not multilingual")
    missing = missing_paper_locales(folder)
    if missing:
        n = paper()["claims"]["size_correlation"]["n"]
        reasons.append(f"too few locales: {n - len(missing)} of the paper's {n}")
    return "; ".join(reasons)


def _correlation_rows(models: ReleaseModels, name: str, correlations: dict[str, dict], untestable: str) -> list[dict]:
    size_claim = paper()["claims"]["size_correlation"]
    rows = []
    for predictor, row in correlations.items():
        claim = "size_correlation" if predictor == "size" else "distance_not_significant"
        paper_value = (f"rho {size_claim['rho']}, p {size_claim['p_value']}, n {size_claim['n']}"
                       if claim == "size_correlation" else "not significant")
        if untestable:
            verdict, why = CANNOT_TEST, untestable
        elif row["rho"] is None or row["p_value"] is None:
            verdict, why = CANNOT_TEST, "the correlation is undefined for these locales (see correlations.csv)"
        else:
            verdict, why = correlation_verdict(claim, row, models.alpha)
        rows.append(claim_row(claim, f"{name}: {predictor}", verdict, why, paper_value=paper_value,
                              run_value=row["rho"], interval=row["rho_ci"], p_value=row["p_value"]))
    return rows
