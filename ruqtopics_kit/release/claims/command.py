"""Compute a release folder's claims, write claims.json and the report's section (`ruqtopics claims RELEASE_DIR`,
whose command line is `ruqtopics_kit.cli.release`)."""

from __future__ import annotations

from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.jsonio import write_json
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.facts.paper import PAPER_CLAIMS_NAME, paper_claims
from ruqtopics_kit.release.claims.correlation_claims import correlation_claims
from ruqtopics_kit.release.claims.grid_claims import distillation_claims, six_class_claims, text_mode_claims
from ruqtopics_kit.release.claims.inputs import read_text
from ruqtopics_kit.release.claims.massive_claims import russian_backbone_claims
from ruqtopics_kit.release.claims.models import ReleaseModels
from ruqtopics_kit.release.claims.rendering import render_section, rounded, with_section
from ruqtopics_kit.release.claims.seeds import seeds_of_cells, spread
from ruqtopics_kit.release.claims.verdicts import RULES, as_synthetic
from ruqtopics_kit.release.layout import CLAIMS_FILE, REPORT_FILE
from ruqtopics_kit.statistics import Bootstrap


def method(models: ReleaseModels) -> dict:
    """How every number and verdict of claims.json was made, in words (the report repeats it)."""
    decision, claims, bootstrap = paper_claims()["decision"], paper_claims()["claims"], models.bootstrap
    return {"confidence_level": bootstrap.confidence_level, "n_resamples": bootstrap.n_resamples,
            "seed": bootstrap.seed, "alpha": decision["alpha"], "alpha_source": decision["alpha_source"],
            "intervals": {"accuracy": "Clopper-Pearson (exact), over test questions",
                          "accuracy_difference": "Newcombe's hybrid score interval for paired proportions (method 10)",
                          "macro_f1": "percentile bootstrap over test questions, paired for differences (no closed "
                                      "form); leans low when classes have few test questions",
                          "rho": "the analysis' percentile bootstrap over locales (no closed form)"},
            "mcnemar": "exact: two-sided binomial test on the questions exactly one model gets right",
            "rules": {name: {"kind": claim["kind"], "rule": RULES[claim["kind"]],
                             **({"family": claim["family"]} if "family" in claim else {})}
                      for name, claim in claims.items()} | {
                          "size_correlation (rho > 0)": {"kind": "positive", "rule": RULES["positive"]},
                          "overall": RULES["overall"]},
            "locales": claims["size_correlation"]["locales_source"], "seeds": seeds_of_cells(models.seeds)["rule"]}


def claims_of(models: ReleaseModels) -> dict:
    """Everything claims.json holds, computed from one release folder's models."""
    comparisons, rows = [], []
    for compute in (text_mode_claims, distillation_claims):
        found_comparisons, found_rows = compute(models)
        comparisons += found_comparisons
        rows += found_rows
    six_classes, six_rows = six_class_claims(models)
    correlations, correlation_rows = correlation_claims(models)
    rows = six_rows + russian_backbone_claims(models) + rows + correlation_rows
    return {"synthetic": models.synthetic,
            "paper": {"file": PAPER_CLAIMS_NAME, **paper_claims()["provenance"]},
            "method": method(models),
            "seeds": {**seeds_of_cells(models.seeds), "spread": spread(models.grid, models.seeds)},
            "grid": models.grid, "comparisons": comparisons,
            "six_classes": six_classes, "correlations": correlations,
            "claims": [as_synthetic(row) for row in rows] if models.synthetic else rows,
            "notes": models.notes}


def write_claims(release_dir: str | Path, *, n_resamples: int | None = None, seed: int = DEFAULT_SEED) -> dict:
    """Compute the claims of a release folder; write claims.json and the report's section. Returns the claims."""
    release_dir = Path(release_dir)
    decision = paper_claims()["decision"]
    bootstrap = Bootstrap(n_resamples or decision["n_resamples"], decision["confidence_level"], seed)
    claims = rounded(claims_of(ReleaseModels(release_dir, bootstrap)))
    report_path = release_dir / REPORT_FILE
    report = read_text(report_path) if report_path.is_file() else "# RuQTopics release report\n"
    write_json(release_dir / CLAIMS_FILE, claims)
    atomic_write_text(report_path, with_section(report, render_section(claims)))
    return claims
