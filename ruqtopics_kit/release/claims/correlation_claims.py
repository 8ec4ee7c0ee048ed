"""Claim 4, read from the correlation analysis of the paper's model (mBERT, single_label, question) over the
paper's 51 locales: accuracy against pretraining size (rho 0.773, and rho > 0 as its own row) and against distance
from Russian (genetic distance primary, as a partial Spearman controlling for size; the other kinds exploratory)."""

from __future__ import annotations

from ruqtopics_kit.facts.paper import paper_claims
from ruqtopics_kit.release.claims.inputs import (
    analysed_models,
    correlation_rows,
    missing_paper_locales,
    not_computed_reason,
)
from ruqtopics_kit.release.claims.models import ReleaseModels
from ruqtopics_kit.release.claims.verdicts import (
    CANNOT_TEST,
    claim_row,
    estimate_verdict,
    no_effect_verdict,
    overall,
    positive_verdict,
)
from ruqtopics_kit.release.layout import ReleaseLayout
from ruqtopics_kit.statistics import spearman_band

CLAIMS = ("size_correlation", "distance_not_significant")
SIZE = "size"
SIZE_CONTROL = "smoothed_size"  # the analysis' column that distance rows partial out


def paper_model_name(models: ReleaseModels) -> str | None:
    """The analysed model that is the paper's for claim 4 (paper_claims.json's `paper_model`), if any."""
    wanted = paper_claims()["claims"]["size_correlation"]["paper_model"]
    analysed = set(analysed_models(models.release_dir))
    return next((run.name for run in models.runs if run.name in analysed and (run.backbone, run.config, run.text_mode)
                 == (wanted["backbone"], wanted["config"], wanted["text_mode"])), None)


def correlation_claims(models: ReleaseModels) -> tuple[list[dict], list[dict]]:
    wanted = paper_claims()["claims"]["size_correlation"]["paper_model"]
    described = f"{wanted['backbone']} {wanted['config']} {wanted['text_mode']}"
    table, rows = [], []
    chosen = paper_model_name(models)
    for name in analysed_models(models.release_dir):
        folder = ReleaseLayout(models.release_dir).analysis_dir(name)
        reason = not_computed_reason(folder)
        correlations = {} if reason is not None else correlation_rows(folder)
        table += [{"model": name, **row} for row in correlations.values()]
        if name != chosen:
            rows.append(claim_row("size_correlation", name, CANNOT_TEST, f"not the paper's model for this claim "
                                  f"({described}); its correlations are in the table", role="other model"))
        elif reason is not None:
            rows += [claim_row(claim, name, CANNOT_TEST, f"analysis not computed: {reason}") for claim in CLAIMS]
        elif missing_paper_locales(folder):
            n = paper_claims()["claims"]["size_correlation"]["n"]
            why = f"too few locales: {n - len(missing_paper_locales(folder))} of the paper's {n}"
            rows += [claim_row(claim, name, CANNOT_TEST, why) for claim in CLAIMS]
        else:
            rows += size_rows(name, correlations, models.alpha) + distance_rows(name, correlations, models.alpha)
    if chosen is None:
        rows += [claim_row(claim, "-", CANNOT_TEST, f"the paper's model ({described}) was not evaluated on MASSIVE "
                                                    f"and analysed") for claim in CLAIMS]
    for claim in CLAIMS:
        rows.append(overall(claim, [row for row in rows if row["claim"] == claim], complete=True,
                            family=f"one model, the paper's ({described}): no family to control"))
    return table, rows


def size_rows(name: str, correlations: dict, alpha: float) -> list[dict]:
    """The estimate (rho against 0.773 and the paper's own sampling band) and rho > 0, as two rows."""
    claim = paper_claims()["claims"]["size_correlation"]
    row = correlations.get((SIZE, ""))
    if row is None or row["rho"] is None or row["p_value"] is None or None in row["rho_ci"]:
        return [claim_row("size_correlation", f"{name}: size", CANNOT_TEST,
                          "the correlation or its interval is undefined for these locales (see "
                          "correlations.csv)")]
    band = spearman_band(claim["rho"], claim["n"])
    estimate = estimate_verdict(row["rho"], row["rho_ci"], claim["rho"], band)
    positive = positive_verdict(row["rho"], row["p_value"], row["n"], alpha)
    common = {"run_value": row["rho"], "interval": row["rho_ci"], "p_value": row["p_value"]}
    return [claim_row("size_correlation", f"{name}: size, rho against the paper's", *estimate,
                      paper_value=f"rho {claim['rho']} (band {band[0]:.3f}-{band[1]:.3f}), n {claim['n']}", **common),
            claim_row("size_correlation", f"{name}: size, rho > 0", *positive,
                      paper_value=f"p {claim['p_value']}", **common)]


def distance_rows(name: str, correlations: dict, alpha: float) -> list[dict]:
    """Per distance kind, the partial Spearman controlling for size: the primary kind is the claim's member, the others
    exploratory. The marginal correlations, confounded with size, are in the correlation table only."""
    claim = paper_claims()["claims"]["distance_not_significant"]
    rows = []
    for (predictor, controls), row in sorted(correlations.items()):
        if predictor == SIZE or controls != SIZE_CONTROL:
            continue
        role = "member" if predictor == claim["primary"] else "exploratory"
        subject = f"{name}: {predictor} | size (partial)"
        if row["rho"] is None or row["p_value"] is None:
            verdict, why = CANNOT_TEST, "the correlation is undefined for these locales (see correlations.csv)"
        else:
            verdict, why = no_effect_verdict(row["rho"], row["rho_ci"], row["p_value"], alpha,
                                             claim["equivalence_bound"])
        rows.append(claim_row("distance_not_significant", subject, verdict, why, paper_value="not significant",
                              run_value=row["rho"], interval=row["rho_ci"], p_value=row["p_value"], role=role))
    if not any(row["role"] == "member" for row in rows):
        rows.append(claim_row("distance_not_significant", f"{name}: {claim['primary']} | size (partial)", CANNOT_TEST,
                              "the analysis has no partial correlation of the primary distance controlling for size"))
    return rows
