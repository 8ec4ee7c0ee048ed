"""Claim 1b: switching between the Russian-only backbones does not alter the six-class MASSIVE ru-RU results, tested
pairwise on the same utterances from each evaluation's per-utterance predictions (`massive/<name>/predictions.parquet`,
matched by MASSIVE id)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pandas as pd

from ruqtopics_kit.facts.names import REFERENCE_LOCALE
from ruqtopics_kit.facts.paper import paper_claims
from ruqtopics_kit.massive.scoring import PREDICTIONS_FILE
from ruqtopics_kit.release.claims.inputs import ClaimsInputError, ModelRun, paper_backbones
from ruqtopics_kit.release.claims.models import SIX_CLASS_CONFIG, ReleaseModels
from ruqtopics_kit.release.claims.verdicts import CANNOT_TEST, CONTRADICTS, INCONCLUSIVE, SUPPORTS, claim_row, overall
from ruqtopics_kit.release.layout import ReleaseLayout
from ruqtopics_kit.statistics import PairedCounts, holm, mcnemar_exact_p, paired_difference_interval

CLAIM = "russian_backbones_same_six_class"


def russian_predictions(release_dir: Path, run: ModelRun) -> pd.Series | None:
    """Whether the run's model got each ru-RU MASSIVE utterance right, by id; None without predictions."""
    path = ReleaseLayout(release_dir).massive_dir(run.name) / PREDICTIONS_FILE
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(path, columns=["locale", "id", "label", "prediction"])
    except (OSError, ValueError, KeyError) as error:
        raise ClaimsInputError(path, f"is not a MASSIVE predictions file (locale, id, label, prediction): {error}") \
            from None
    russian = frame[frame["locale"] == REFERENCE_LOCALE]
    if russian["id"].duplicated().any():
        raise ClaimsInputError(path, f"a {REFERENCE_LOCALE} id appears more than once")
    return (russian["label"] == russian["prediction"]).set_axis(russian["id"])


def pair_row(a: ModelRun, b: ModelRun, right: dict[str, pd.Series], level: float) -> dict:
    """One pair's paired comparison on the utterances both were scored on (a named error if they differ)."""
    first, second = right[a.name], right[b.name]
    if set(first.index) != set(second.index):
        raise ClaimsInputError(Path("massive") / b.name / PREDICTIONS_FILE,
                               f"its {REFERENCE_LOCALE} utterances differ from those of {a.name}; a paired comparison "
                               f"needs the same MASSIVE copy, split and mapping")
    counts = PairedCounts.of(first.to_numpy(), second.loc[first.index].to_numpy())
    return {"a": a.name, "b": b.name, "n": counts.n, "difference": counts.difference,
            "interval": list(paired_difference_interval(counts, level)),
            "p": mcnemar_exact_p(counts.first_only, counts.second_only)}


def verdict_of(pair: dict, p_adjusted: float, alpha: float, bound: float, level: float) -> tuple[str, str]:
    low, high = pair["interval"]
    text = f"difference {pair['difference']:.3f}, Holm-adjusted McNemar p {p_adjusted:.3g}, n {pair['n']}"
    if p_adjusted < alpha:
        return CONTRADICTS, f"{text} < {alpha}: the backbones differ"
    if -bound < low and high < bound:
        return SUPPORTS, f"{text}; the {100 * level:.4g}% interval {low:.3f}-{high:.3f} lies within ±{bound}"
    return INCONCLUSIVE, f"{text}: not significant, but the interval {low:.3f}-{high:.3f} is not within ±{bound}"


def russian_backbone_claims(models: ReleaseModels) -> list[dict]:
    """One row per pair of Russian-only backbones' six-class models, and the claim's overall verdict."""
    claim, alpha = paper_claims()["claims"][CLAIM], models.alpha
    by_backbone: dict[str, ModelRun] = {}  # one model per backbone: its first seed
    for run in sorted(models.runs, key=lambda run: (run.seed is None, run.seed or 0, run.name)):
        if run.config == SIX_CLASS_CONFIG and run.role.get("language") == "ru":
            by_backbone.setdefault(run.backbone, run)
    runs = [by_backbone[backbone] for backbone in sorted(by_backbone)]
    right = {run.name: russian_predictions(models.release_dir, run) for run in runs}
    missing = [name for name, found in right.items() if found is None]
    paper_value = f"no significant change (equivalence within ±{claim['equivalence_bound']})"
    if len(runs) < 2 or missing:
        why = (f"massive/{missing[0]}/{PREDICTIONS_FILE} is missing (evaluated by an older kit?)" if missing else
               f"fewer than two {SIX_CLASS_CONFIG} models of the paper's Russian-only backbones "
               f"({', '.join(paper_backbones('ru'))}) were evaluated on MASSIVE")
        rows = [claim_row(CLAIM, "-", CANNOT_TEST, why, paper_value=paper_value)]
        return rows + [overall(CLAIM, rows, complete=False, paper_value=paper_value, family="no pair to compare")]
    pairs = list(combinations(runs, 2))
    level = 1 - alpha / len(pairs)
    found = [pair_row(a, b, right, level) for a, b in pairs]
    rows = []
    for (a, b), pair, p_adjusted in zip(pairs, found, holm([pair["p"] for pair in found]), strict=True):
        verdict, why = verdict_of(pair, p_adjusted, alpha, claim["equivalence_bound"], level)
        rows.append(claim_row(CLAIM, f"{a.backbone} vs {b.backbone} on MASSIVE {REFERENCE_LOCALE}", verdict, why,
                              paper_value=paper_value, run_value=pair["difference"], interval=pair["interval"],
                              p_value=pair["p"], p_adjusted=p_adjusted))
    complete = set(paper_backbones("ru")) <= {run.backbone for run in runs}
    return rows + [overall(CLAIM, rows, complete=complete, paper_value=paper_value,
                           family=f"intersection-union over {len(pairs)} pairs, Holm-adjusted McNemar, "
                                  f"Bonferroni-level intervals")]
