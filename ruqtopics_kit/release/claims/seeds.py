"""Training seeds in the claims: a config trained with several seeds (`grid --seeds N`) is one cell of the grid with
several models. Paired comparisons are made seed by seed, and the verdict accounts for the seeds (`SEED_RULE`);
with one seed per config the claims say that training variance is not covered (`ONE_SEED`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.stats

from ruqtopics_kit.release.claims.inputs import ModelRun
from ruqtopics_kit.release.claims.scores import compare
from ruqtopics_kit.release.claims.verdicts import CONTRADICTS, INCONCLUSIVE, SUPPORTS

SEED_RULE = ("agreement across seeds: where a config was trained with several seeds, a comparison is paired seed "
             "by seed (the same seed on both sides where both have it, else in seed order), each pair gets the "
             "claim's one-seed verdict, and the claim says `supports` or `contradicts` only when every pair says "
             "so, else `inconclusive`. Beside it: the mean and standard deviation across seeds of the accuracy "
             "difference, and a one-sample t-test of the per-seed differences against 0 (scipy.stats.ttest_1samp)")
ONE_SEED = ("one training seed per config: the intervals and tests cover the sampling of test questions only, not "
            "training variance (another seed can move a model by more than these intervals); train with "
            "`--seeds N` to cover it")


def seeds_of_cells(cells: dict[tuple, list[ModelRun]]) -> dict:
    """claims.json's `seeds`: how many each cell had, and the rule that applies."""
    counts = sorted({len(runs) for runs in cells.values()})
    several = counts and counts[-1] > 1
    return {"per_config": counts, "rule": SEED_RULE if several else ONE_SEED}


def spread(grid: list[dict], cells: dict[tuple, list[ModelRun]]) -> list[dict]:
    """Mean and standard deviation across seeds of each cell's test accuracy and macro-F1 (cells of 2+ seeds)."""
    scores = {cell["model"]: cell for cell in grid}
    rows = []
    for (config, backbone, text_mode), runs in cells.items():
        found = [scores[run.name] for run in runs if run.name in scores]
        if len(found) < 2:
            continue
        accuracy, macro = np.array([s["accuracy"] for s in found]), np.array([s["macro_f1"] for s in found])
        rows.append({"config": config, "backbone": backbone, "text_mode": text_mode,
                     "seeds": [run.seed for run in runs], "models": [s["model"] for s in found],
                     "accuracy_mean": float(accuracy.mean()), "accuracy_sd": float(accuracy.std(ddof=1)),
                     "macro_f1_mean": float(macro.mean()), "macro_f1_sd": float(macro.std(ddof=1))})
    return rows


def seed_pairs(first: list[ModelRun], second: list[ModelRun]) -> list[tuple[ModelRun, ModelRun]]:
    """Runs of two cells paired by seed where they share seeds, else in seed order (as many pairs as the
    smaller cell has runs)."""
    by_seed = {run.seed: run for run in second}
    shared = [(run, by_seed[run.seed]) for run in first if run.seed in by_seed]
    return shared if len(shared) >= min(len(first), len(second)) else list(zip(first, second))


def across_seeds(first: list[ModelRun], second: list[ModelRun], models,
                 verdict_of: Callable[[dict], tuple[str, str]]) -> dict | None:
    """The comparison of two cells over their seeds (None when fewer than two pairs): per-seed paired tests, the
    mean and spread of the accuracy difference, and the verdict by `SEED_RULE`."""
    pairs = seed_pairs(first, second)
    if len(pairs) < 2:
        return None
    per_seed = []
    for a, b in pairs:
        comparison = compare(a, b, models.frames, models.bootstrap)
        verdict, why = verdict_of(comparison)
        per_seed.append({"a": a.name, "b": b.name, "seed_a": a.seed, "seed_b": b.seed,
                         "accuracy_difference": comparison["accuracy_difference"],
                         "accuracy_difference_ci": comparison["accuracy_difference_ci"],
                         "mcnemar_p": comparison["mcnemar_p"], "verdict": verdict, "why": why})
    differences = np.array([row["accuracy_difference"] for row in per_seed])
    sd = float(differences.std(ddof=1))
    t_test_p = float(scipy.stats.ttest_1samp(differences, 0.0).pvalue) if sd > 0 else None
    verdicts = [row["verdict"] for row in per_seed]
    agreed = verdicts[0] if len(set(verdicts)) == 1 and verdicts[0] in (SUPPORTS, CONTRADICTS) else INCONCLUSIVE
    tally = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
    return {"n_seeds": len(pairs), "per_seed": per_seed, "mean_difference": float(differences.mean()),
            "sd_difference": sd, "t_test_p": t_test_p, "verdict": agreed,
            "why": f"{len(pairs)} seeds ({tally}); accuracy difference mean {differences.mean():.3f}, sd {sd:.3f}"
                   + (f", t-test over seeds p {t_test_p:.3g}" if t_test_p is not None else "")}


def with_seeds(row: dict, seeds: dict | None) -> dict:
    """A claim row with its verdict taken across seeds (`SEED_RULE`), the per-seed results attached."""
    if seeds is None:
        return row
    return {**row, "run": seeds["mean_difference"], "run_interval": None, "p_value": seeds["t_test_p"],
            "verdict": seeds["verdict"], "why": seeds["why"], "seeds": seeds}
