"""The paper's claims, recomputed from a release folder's files: `claims.json` and report.md's "Paper claims".

    ruqtopics claims RELEASE_DIR

Reads each model repository's `training_args.json` and `test_predictions.parquet` (`hub/<name>/`), the MASSIVE
results (`massive/<name>/results.csv`), the correlation analysis (`analysis/<name>/`) and the paper's numbers
with their provenance (`ruqtopics_kit/data/paper_claims.json`). Writes:

- the grid as the paper's Table 3: backbone x text mode (single_label models), accuracy and macro-F1 on the
  test split with 95% percentile-bootstrap intervals over the test questions;
- paired comparisons on the same test questions, matched by id (different test sets are refused): per
  backbone, question vs answer and question vs question_answer; per text mode, the full backbone vs each of
  its distilled ones. The difference in accuracy and in macro-F1 with a paired bootstrap interval, and
  McNemar's exact p-value: a two-sided binomial test on the questions that exactly one of the two models
  gets right;
- six-class accuracy (massive_aligned models) on MASSIVE ru-RU and on the dataset's test split;
- the Spearman correlations of the analysis (size and each distance from Russian);
- one row per claim: the paper's number, the run's, and a verdict: `supports`, `contradicts`, `inconclusive`
  (the run's data cannot tell at their size) or `cannot test`, each with why.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats

from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.jsonio import write_json
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.core.tables import markdown_table
from ruqtopics_kit.dataset.text_modes import TEXT_MODES
from ruqtopics_kit.modeling.backbones import registry
from ruqtopics_kit.training.config import saved_options
from ruqtopics_kit.training.outputs import ARGS_FILE, PREDICTIONS_FILE

PAPER_FILE = package_path("data", "paper_claims.json")
CLAIMS_FILE = "claims.json"
REPORT_FILE = "report.md"
SECTION_TITLE = "## Paper claims"
GRID_CONFIG = "single_label"  # the paper's Table 3: 76 topics
SIX_CLASS_CONFIG = "massive_aligned"
RUSSIAN_LOCALE = "ru-RU"
SIGNIFICANT_DIGITS = 6  # numbers in claims.json (p-values keep their exponent)

SUPPORTS, CONTRADICTS, INCONCLUSIVE, CANNOT_TEST = "supports", "contradicts", "inconclusive", "cannot test"


class ClaimsInputError(KitError, ValueError):
    """A release folder whose files cannot give the claims: the file and what is wrong with it."""

    def __init__(self, path: str | Path, problem: str):
        super().__init__(f"{path}: {problem}")


@lru_cache(maxsize=1)
def paper() -> dict:
    return json.loads(PAPER_FILE.read_text(encoding="utf-8"))


# ---- the release's models ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelRun:
    name: str
    folder: Path
    backbone: str  # the registry name, else the Hub id's or local folder's last part
    config: str
    text_mode: str

    @property
    def role(self) -> dict:
        """What the paper says about the backbone (language, distilled_from); {} for a backbone it did not use."""
        return paper()["backbones"].get(self.backbone, {})


def backbone_name(value: str) -> str:
    """The registry name of a backbone given as a registry name or Hub id; else the path's last part."""
    if value in registry():
        return value
    by_hub_id = {entry["hub_id"]: name for name, entry in registry().items()}
    return by_hub_id.get(value, Path(value).name)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ClaimsInputError(path, f"cannot be read as JSON ({error})") from None


def find_models(release_dir: Path) -> list[ModelRun]:
    """Every model repository of the release (a `hub/<name>/` folder with training_args.json)."""
    hub = release_dir / "hub"
    if not hub.is_dir():
        raise ClaimsInputError(release_dir, "has no hub/ folder, so it is not a release folder (made by "
                                            "`ruqtopics release --output-dir DIR`)")
    runs = []
    for args_file in sorted(hub.glob(f"*/{ARGS_FILE}")):
        args = saved_options(_read_json(args_file))
        missing = [key for key in ("backbone", "dataset_config_name", "text_mode")
                   if not isinstance(args.get(key), str)]
        if missing:
            raise ClaimsInputError(args_file, f"lacks {', '.join(missing)}")
        runs.append(ModelRun(args_file.parent.name, args_file.parent, backbone_name(args["backbone"]),
                             args["dataset_config_name"], args["text_mode"]))
    return runs


def load_predictions(run: ModelRun) -> pd.DataFrame | None:
    """The run's single-label test predictions indexed by id (columns label, prediction), or None if absent."""
    path = run.folder / PREDICTIONS_FILE
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(path, columns=["id", "label", "prediction"])
    except (OSError, ValueError, KeyError) as error:
        raise ClaimsInputError(path, f"is not a single-label predictions file (id, label, prediction): {error}") \
            from None
    repeated = frame["id"][frame["id"].duplicated()]
    if len(repeated):
        raise ClaimsInputError(path, f"id {repeated.iloc[0]!r} appears more than once")
    return frame.set_index("id")


# ---- statistics ----------------------------------------------------------------------------------------------

def macro_f1(gold: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Macro-F1 over the classes present in `gold` or `predicted`, as the project's metric computes it:
    F1 = 2TP / (2TP + FP + FN), and 2TP + FP + FN is the class's gold count plus its predicted count."""
    true_positives = np.bincount(gold[gold == predicted], minlength=n_classes)
    counts = np.bincount(gold, minlength=n_classes) + np.bincount(predicted, minlength=n_classes)
    present = counts > 0
    return float((2 * true_positives[present] / counts[present]).mean())


@dataclass(frozen=True)
class Bootstrap:
    """scipy.stats.bootstrap with the release's settings: percentile intervals, a fixed seed."""

    n_resamples: int
    confidence_level: float
    seed: int = 0

    def interval(self, samples: tuple[np.ndarray, ...], statistic: Callable, *, vectorized: bool) -> list[float]:
        result = scipy.stats.bootstrap(samples, statistic, paired=len(samples) > 1, vectorized=vectorized,
                                       n_resamples=self.n_resamples, confidence_level=self.confidence_level,
                                       method="percentile", batch=100, rng=np.random.default_rng(self.seed))
        return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def mcnemar_exact_p(a_only: int, b_only: int) -> float:
    """McNemar's exact test: under no difference, each discordant question is equally likely to favour either
    model, so the count favouring one is Binomial(discordant, 1/2). 1.0 when no question is discordant."""
    discordant = a_only + b_only
    return float(scipy.stats.binomtest(a_only, discordant, 0.5).pvalue) if discordant else 1.0


def score(run: ModelRun, frame: pd.DataFrame, bootstrap: Bootstrap) -> dict:
    """Accuracy and macro-F1 of one model on its test split, with bootstrap intervals."""
    gold, predicted = frame["label"].to_numpy(), frame["prediction"].to_numpy()
    n_classes = int(max(gold.max(), predicted.max())) + 1
    correct = (gold == predicted).astype(float)
    return {"model": run.name, "backbone": run.backbone, "config": run.config, "text_mode": run.text_mode,
            "n": len(frame), "accuracy": float(correct.mean()),
            "accuracy_ci": bootstrap.interval((correct,), np.mean, vectorized=True),
            "macro_f1": macro_f1(gold, predicted, n_classes),
            "macro_f1_ci": bootstrap.interval((gold, predicted), lambda g, p: macro_f1(g, p, n_classes),
                                              vectorized=False)}


def compare(a: ModelRun, b: ModelRun, frames: dict[str, pd.DataFrame], bootstrap: Bootstrap) -> dict:
    """Model a minus model b on the same test questions (matched by id): accuracy and macro-F1 differences with
    paired bootstrap intervals, the discordant counts and McNemar's exact p-value."""
    first, second = frames[a.name], frames[b.name]
    only_one = first.index.symmetric_difference(second.index)
    if len(only_one):
        raise ClaimsInputError(b.folder / PREDICTIONS_FILE, f"its test questions differ from those of {a.name} "
                                                            f"({len(only_one)} ids in only one of them, e.g. "
                                                            f"{only_one[0]!r}); a paired comparison needs the same "
                                                            f"test split")
    second = second.loc[first.index]
    if not np.array_equal(first["label"].to_numpy(), second["label"].to_numpy()):
        raise ClaimsInputError(b.folder / PREDICTIONS_FILE, f"gives other gold labels than {a.name} for the same "
                                                            f"ids; were they trained on different datasets?")
    gold, pred_a, pred_b = first["label"].to_numpy(), first["prediction"].to_numpy(), second["prediction"].to_numpy()
    n_classes = int(max(gold.max(), pred_a.max(), pred_b.max())) + 1
    right_a, right_b = gold == pred_a, gold == pred_b
    a_only, b_only = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    return {"a": a.name, "b": b.name, "n": len(gold),
            "accuracy_a": float(right_a.mean()), "accuracy_b": float(right_b.mean()),
            "accuracy_difference": float(right_a.mean() - right_b.mean()),
            "accuracy_difference_ci": bootstrap.interval((right_a.astype(float), right_b.astype(float)),
                                                         _mean_difference, vectorized=True),
            "macro_f1_difference": macro_f1(gold, pred_a, n_classes) - macro_f1(gold, pred_b, n_classes),
            "macro_f1_difference_ci": bootstrap.interval(
                (gold, pred_a, pred_b), lambda g, x, y: macro_f1(g, x, n_classes) - macro_f1(g, y, n_classes),
                vectorized=False),
            "a_only_correct": a_only, "b_only_correct": b_only, "mcnemar_p": mcnemar_exact_p(a_only, b_only)}


# ---- the claims ----------------------------------------------------------------------------------------------

def claim_row(claim: str, subject: str, verdict: str, why: str, *, paper_value: object = None,
              run_value: float | None = None, interval: list[float] | None = None,
              p_value: float | None = None) -> dict:
    return {"claim": claim, "statement": paper()["claims"][claim]["statement"], "subject": subject,
            "paper": paper_value, "run": run_value, "run_interval": interval, "p_value": p_value,
            "verdict": verdict, "why": why}


class Claims:
    """Everything `claims.json` holds, computed from one release folder."""

    def __init__(self, release_dir: Path, bootstrap: Bootstrap):
        self.release_dir, self.bootstrap = release_dir, bootstrap
        self.alpha = paper()["decision"]["alpha"]
        self.runs = find_models(release_dir)
        loaded = {run.name: load_predictions(run) for run in self.runs if run.config in (GRID_CONFIG, SIX_CLASS_CONFIG)}
        self.frames = {name: frame for name, frame in loaded.items() if frame is not None}
        self.notes = [f"{name} has no {PREDICTIONS_FILE} (trained by an older kit?): left out of the grid and the "
                      f"comparisons; retrain it to include it" for name, frame in loaded.items() if frame is None]
        self.grid = [score(run, self.frames[run.name], bootstrap) for run in self.runs if run.name in self.frames]
        self.cells = self._cells()

    def _cells(self) -> dict[tuple[str, str, str], ModelRun]:
        """(config, backbone, text mode) -> the model the claims use (the first by name when several share it)."""
        cells: dict[tuple[str, str, str], ModelRun] = {}
        for run in self.runs:
            if run.name not in self.frames:
                continue
            key = (run.config, run.backbone, run.text_mode)
            if key in cells:
                self.notes.append(f"{run.name} and {cells[key].name} share backbone, config and text mode; the "
                                  f"claims use {cells[key].name}")
                continue
            cells[key] = run
        return cells

    def backbones(self, config: str) -> list[str]:
        return sorted({backbone for cell_config, backbone, _ in self.cells if cell_config == config})

    def to_dict(self) -> dict:
        comparisons, rows = [], []
        for compute in (self.text_mode_claims, self.distillation_claims):
            found_comparisons, found_rows = compute()
            comparisons += found_comparisons
            rows += found_rows
        six_classes, six_rows = self.six_class_claims()
        correlations, correlation_rows = self.correlation_claims()
        decision = paper()["decision"]
        return {"paper": {"file": "ruqtopics_kit/data/paper_claims.json", **paper()["provenance"]},
                "method": {"confidence_level": self.bootstrap.confidence_level,
                           "n_resamples": self.bootstrap.n_resamples, "seed": self.bootstrap.seed,
                           "bootstrap": "percentile, over test questions; paired (the same resampled questions for "
                                        "both models) for differences. Macro-F1 intervals lean low when classes "
                                        "have few test questions (a resample misses some of them)",
                           "mcnemar": "exact: two-sided binomial test on the questions exactly one model gets right",
                           "alpha": decision["alpha"], "alpha_source": decision["alpha_source"]},
                "grid": self.grid, "comparisons": comparisons, "six_classes": six_classes,
                "correlations": correlations, "claims": six_rows + rows + correlation_rows, "notes": self.notes}

    # -- (1) six classes, about 85% on MASSIVE ru-RU
    def six_class_claims(self) -> tuple[list[dict], list[dict]]:
        claim = paper()["claims"]["six_class_accuracy"]
        low, high = claim["value"] - claim["band"], claim["value"] + claim["band"]
        runs = [run for run in self.runs if run.config == SIX_CLASS_CONFIG]
        if not runs:
            return [], [claim_row("six_class_accuracy", "-", CANNOT_TEST, f"no {SIX_CLASS_CONFIG} model in the grid",
                                  paper_value=claim["value"])]
        table, rows = [], []
        for run in runs:
            test = next((cell for cell in self.grid if cell["model"] == run.name), None)
            massive = self._russian_massive_accuracy(run)
            table.append({"model": run.name, "backbone": run.backbone,
                          "massive_ru_accuracy": massive and massive[0],
                          "massive_ru_accuracy_ci": massive and massive[1],
                          "test_accuracy": test and test["accuracy"], "test_accuracy_ci": test and test["accuracy_ci"]})
            if massive is None:
                verdict, why = CANNOT_TEST, f"no {RUSSIAN_LOCALE} result in massive/{run.name}/results.csv"
            elif run.role.get("language") != "ru":
                verdict, why = CANNOT_TEST, (f"backbone {run.backbone} is not one of the paper's Russian-only "
                                             f"backbones ({', '.join(self._paper_backbones('ru'))})")
            else:
                verdict, why = _band_verdict(massive[0], massive[1], low, high)
            rows.append(claim_row("six_class_accuracy", f"{run.name} on MASSIVE {RUSSIAN_LOCALE}", verdict, why,
                                  paper_value=claim["value"], run_value=massive and massive[0],
                                  interval=massive and massive[1]))
        return table, rows

    def _russian_massive_accuracy(self, run: ModelRun) -> tuple[float, list[float]] | None:
        path = self.release_dir / "massive" / run.name / "results.csv"
        if not path.is_file():
            return None
        results = pd.read_csv(path)
        if not {"locale", "accuracy", "accuracy_ci_low", "accuracy_ci_high"} <= set(results.columns):
            raise ClaimsInputError(path, "lacks the columns locale, accuracy, accuracy_ci_low, accuracy_ci_high")
        russian = results[results["locale"] == RUSSIAN_LOCALE]
        if russian.empty:
            return None
        row = russian.iloc[0]
        return float(row["accuracy"]), [float(row["accuracy_ci_low"]), float(row["accuracy_ci_high"])]

    @staticmethod
    def _paper_backbones(language: str) -> list[str]:
        return [name for name, role in paper()["backbones"].items() if role["language"] == language]

    # -- (2) question beats answer and question_answer, for every backbone
    def text_mode_claims(self) -> tuple[list[dict], list[dict]]:
        comparisons, rows = [], []
        present = self.backbones(GRID_CONFIG)
        for other in ("answer", "question_answer"):
            claim = f"question_beats_{other}"
            for backbone in present:
                question = self.cells.get((GRID_CONFIG, backbone, "question"))
                challenger = self.cells.get((GRID_CONFIG, backbone, other))
                subject = f"{backbone}: question vs {other}"
                if question is None or challenger is None:
                    lacking = "question" if question is None else other
                    rows.append(claim_row(claim, subject, CANNOT_TEST, f"no {GRID_CONFIG} {lacking} model for "
                                                                       f"backbone {backbone} in the grid",
                                          paper_value="question > " + other))
                    continue
                comparison = {"kind": "text_mode", "backbone": backbone,
                              **compare(question, challenger, self.frames, self.bootstrap)}
                comparisons.append(comparison)
                rows.append(self._better_row(claim, subject, comparison, "question > " + other))
            missing = [name for name in self._paper_backbones("ru") + self._paper_backbones("multilingual")
                       if name not in present]
            if missing:
                rows.append(claim_row(claim, "the paper's other backbones", CANNOT_TEST,
                                      f"backbone(s) missing from the {GRID_CONFIG} grid: {', '.join(missing)}",
                                      paper_value="question > " + other))
        for backbone in present:  # the third pair of the paper's Table 3 row, for the record (no claim on it)
            pair = [self.cells.get((GRID_CONFIG, backbone, mode)) for mode in ("question_answer", "answer")]
            if None not in pair:
                comparisons.append({"kind": "text_mode", "backbone": backbone,
                                    **compare(*pair, self.frames, self.bootstrap)})
        return comparisons, rows

    def _better_row(self, claim: str, subject: str, comparison: dict, paper_value: str) -> dict:
        """A claims that a is better than b: McNemar's exact test decides, the sign says which way."""
        difference, p_value = comparison["accuracy_difference"], comparison["mcnemar_p"]
        if p_value >= self.alpha:
            verdict, why = INCONCLUSIVE, (f"McNemar p {p_value:.3g} >= {self.alpha}: no difference these "
                                          f"{comparison['n']} test questions can detect")
        elif difference > 0:
            verdict, why = SUPPORTS, f"higher accuracy, McNemar p {p_value:.3g} < {self.alpha}"
        else:
            verdict, why = CONTRADICTS, f"lower accuracy, McNemar p {p_value:.3g} < {self.alpha}"
        return claim_row(claim, subject, verdict, why, paper_value=paper_value, run_value=difference,
                         interval=comparison["accuracy_difference_ci"], p_value=p_value)

    # -- (3) distilled backbones nearly as good as the full one
    def distillation_claims(self) -> tuple[list[dict], list[dict]]:
        claim = paper()["claims"]["distilled_near_full"]
        paper_value = (f"gap < {claim['margin']} (paper: full {claim['full_accuracy'][0]}-{claim['full_accuracy'][1]}, "
                       f"distilled {claim['distilled_accuracy']})")
        pairs = [(role["distilled_from"], name) for name, role in paper()["backbones"].items()
                 if role["distilled_from"]]
        comparisons, rows = [], []
        for text_mode in TEXT_MODES:
            for full_name, distilled_name in pairs:
                full = self.cells.get((GRID_CONFIG, full_name, text_mode))
                distilled = self.cells.get((GRID_CONFIG, distilled_name, text_mode))
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
                              **compare(full, distilled, self.frames, self.bootstrap)}
                comparisons.append(comparison)
                gap, interval = comparison["accuracy_difference"], comparison["accuracy_difference_ci"]
                if interval[1] < claim["margin"]:
                    verdict, why = SUPPORTS, f"the 95% interval of the gap lies below {claim['margin']}"
                elif interval[0] > claim["margin"]:
                    verdict, why = CONTRADICTS, f"the 95% interval of the gap lies above {claim['margin']}"
                else:
                    verdict, why = INCONCLUSIVE, f"the 95% interval of the gap contains {claim['margin']}"
                rows.append(claim_row("distilled_near_full", subject, verdict, why, paper_value=paper_value,
                                      run_value=gap, interval=interval, p_value=comparison["mcnemar_p"]))
        if not rows:
            russian = ", ".join(self._paper_backbones("ru"))
            rows.append(claim_row("distilled_near_full", "-", CANNOT_TEST, f"none of the paper's full and distilled "
                                  f"backbones ({russian}) is in the {GRID_CONFIG} grid", paper_value=paper_value))
        return comparisons, rows

    # -- (4) Spearman with pretraining size; none with distance from Russian
    def correlation_claims(self) -> tuple[list[dict], list[dict]]:
        size_claim = paper()["claims"]["size_correlation"]
        analysed = sorted(path.name for path in (self.release_dir / "analysis").glob("*") if path.is_dir())
        table, rows = [], []
        for name in analysed:
            folder = self.release_dir / "analysis" / name
            if (folder / "not_computed.txt").is_file():
                reason = (folder / "not_computed.txt").read_text(encoding="utf-8").strip()
                rows.append(claim_row("size_correlation", name, CANNOT_TEST, f"analysis not computed: {reason}",
                                      paper_value=size_claim["rho"]))
                continue
            correlations = self._spearman_rows(folder)
            table += [{"model": name, **row} for row in correlations.values()]
            rows += self._correlation_rows(name, correlations, self._untestable_because(name, folder))
        if not analysed:
            rows.append(claim_row("size_correlation", "-", CANNOT_TEST,
                                  "no model was evaluated on MASSIVE and analysed", paper_value=size_claim["rho"]))
        return table, rows

    @staticmethod
    def _spearman_rows(folder: Path) -> dict[str, dict]:
        path = folder / "correlations.csv"
        try:
            frame = pd.read_csv(path)
            spearman = frame[(frame["method"] == "spearman") & frame["controls"].isna()]
            return {row.predictor: {"predictor": row.predictor, "rho": _number(row.statistic),
                                    "p_value": _number(row.p_value), "n": int(row.n),
                                    "rho_ci": [_number(row.ci_low), _number(row.ci_high)]}
                    for row in spearman.itertuples()}
        except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
            raise ClaimsInputError(path, f"is not the analysis' correlation table ({error})") from None

    def _untestable_because(self, name: str, folder: Path) -> str:
        """Why this analysis cannot test the paper's correlation claims, or "" when it can."""
        reasons = []
        run = next((run for run in self.runs if run.name == name), None)
        if run is None or run.role.get("language") != "multilingual":
            backbone = run.backbone if run else "unknown"
            reasons.append(f"the claim is about multilingual BERT, and backbone {backbone} is not multilingual")
        summary = _read_json(folder / "summary.json")
        missing = summary.get("missing_massive_1_0_locales") or []
        if missing:
            n = paper()["claims"]["size_correlation"]["n"]
            reasons.append(f"too few locales: {n - len(missing)} of the paper's {n}")
        return "; ".join(reasons)

    def _correlation_rows(self, name: str, correlations: dict[str, dict], untestable: str) -> list[dict]:
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
            elif claim == "size_correlation":
                significant = row["p_value"] < self.alpha and row["rho"] > 0
                verdict = SUPPORTS if significant else CONTRADICTS
                why = f"rho {row['rho']:.3f}, p {row['p_value']:.3g}, n {row['n']}"
            else:
                verdict = SUPPORTS if row["p_value"] >= self.alpha else CONTRADICTS
                why = f"p {row['p_value']:.3g} {'>=' if verdict == SUPPORTS else '<'} {self.alpha}"
            rows.append(claim_row(claim, f"{name}: {predictor}", verdict, why, paper_value=paper_value,
                                  run_value=row["rho"], interval=row["rho_ci"], p_value=row["p_value"]))
        return rows


def _band_verdict(value: float, interval: list[float], low: float, high: float) -> tuple[str, str]:
    if low <= value <= high:
        return SUPPORTS, f"{value:.3f} is within {low:.2f}-{high:.2f}"
    if interval[1] < low or interval[0] > high:
        return CONTRADICTS, f"the 95% interval {interval[0]:.3f}-{interval[1]:.3f} lies outside {low:.2f}-{high:.2f}"
    return INCONCLUSIVE, f"{value:.3f} is outside {low:.2f}-{high:.2f} but its 95% interval reaches into it"


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _rounded(value):
    """Floats to SIGNIFICANT_DIGITS significant digits (so that small p-values survive), recursively."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


# ---- report.md ------------------------------------------------------------------------------------------------

def _fmt(value, interval=None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return text + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval and None not in interval else "")


def _text_table(rows: list[dict], right: tuple[str, ...] = ()) -> str:
    """Cells already formatted (an interval beside its value, p-values in their own precision), shown as given."""
    frame = pd.DataFrame(rows).astype(str)
    return markdown_table(frame, text_align=["right" if column in right else "left" for column in frame.columns])


def render_section(claims: dict) -> str:
    lines = [SECTION_TITLE, "",
             f"Recomputed from this release's files by `ruqtopics claims` ([`{CLAIMS_FILE}`]({CLAIMS_FILE})); the "
             f"paper's numbers and where each comes from are in `{claims['paper']['file']}`. Intervals: 95% "
             f"percentile bootstrap over test questions ({claims['method']['n_resamples']} resamples, paired for "
             f"differences); p: McNemar's exact test. The paper's Table 3 numbers were not available; the grid below "
             f"is this run's.", "", "### Claims", ""]
    rows = [{"claim": row["claim"], "subject": row["subject"], "paper": str(row["paper"]),
             "this run": _fmt(row["run"], row["run_interval"]), "p": "" if row["p_value"] is None
             else f"{row['p_value']:.3g}", "verdict": row["verdict"], "why": row["why"]} for row in claims["claims"]]
    lines += [_text_table(rows, right=("p",)), ""]
    if claims["grid"]:
        grid = {}
        for cell in claims["grid"]:
            if cell["config"] == GRID_CONFIG:
                grid.setdefault(cell["backbone"], {})[cell["text_mode"]] = (
                    f"{_fmt(cell['accuracy'], cell['accuracy_ci'])} / {_fmt(cell['macro_f1'], cell['macro_f1_ci'])}")
        if grid:
            modes = [mode for mode in TEXT_MODES if any(mode in row for row in grid.values())]
            table = _text_table([{"backbone": backbone, **{mode: row.get(mode, "") for mode in modes}}
                                 for backbone, row in sorted(grid.items())])
            lines += ["### Grid (the paper's Table 3): test accuracy / macro-F1 [95% interval]", "", table, ""]
    if claims["comparisons"]:
        table = _text_table([{"a": c["a"], "b": c["b"], "n": c["n"],
                              "accuracy a - b": _fmt(c["accuracy_difference"], c["accuracy_difference_ci"]),
                              "macro-F1 a - b": _fmt(c["macro_f1_difference"], c["macro_f1_difference_ci"]),
                              "only a right": c["a_only_correct"], "only b right": c["b_only_correct"],
                              "McNemar p": f"{c['mcnemar_p']:.3g}"} for c in claims["comparisons"]],
                            right=("n", "only a right", "only b right", "McNemar p"))
        lines += ["### Paired comparisons (same test questions)", "", table, ""]
    if claims["six_classes"]:
        table = _text_table([{"model": row["model"], "backbone": row["backbone"],
                              f"MASSIVE {RUSSIAN_LOCALE} accuracy": _fmt(row["massive_ru_accuracy"],
                                                                         row["massive_ru_accuracy_ci"]),
                              "test-split accuracy": _fmt(row["test_accuracy"], row["test_accuracy_ci"]),
                              "paper": "about 0.85"} for row in claims["six_classes"]])
        lines += ["### Six classes", "", table, ""]
    if claims["notes"]:
        lines += ["Notes:", "", *[f"- {note}" for note in claims["notes"]], ""]
    return "\n".join(lines)


def _with_section(report: str, section: str) -> str:
    """`report` with its "Paper claims" section replaced by `section` (appended when it has none)."""
    start = report.find(f"\n{SECTION_TITLE}\n")
    if start < 0:
        return report.rstrip("\n") + "\n\n" + section
    end = report.find("\n## ", start + 1)
    return report[:start + 1] + section + (report[end:] if end >= 0 else "")


def write_claims(release_dir: str | Path, *, n_resamples: int | None = None, seed: int = 0) -> dict:
    """Compute the claims of a release folder; write claims.json and the report's section. Returns the claims."""
    release_dir = Path(release_dir)
    decision = paper()["decision"]
    bootstrap = Bootstrap(n_resamples or decision["n_resamples"], decision["confidence_level"], seed)
    claims = _rounded(Claims(release_dir, bootstrap).to_dict())
    report_path = release_dir / REPORT_FILE
    report = report_path.read_text(encoding="utf-8") if report_path.is_file() else "# RuQTopics release report\n"
    write_json(release_dir / CLAIMS_FILE, claims)
    atomic_write_text(report_path, _with_section(report, render_section(claims)))
    return claims


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ruqtopics claims", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("release_dir", type=Path, metavar="RELEASE_DIR",
                        help="the --output-dir of `ruqtopics release`; claims.json and report.md are written there")
    parser.add_argument("--n-resamples", type=int, help="bootstrap resamples (default: paper_claims.json's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")
    args = parser.parse_args(argv)
    if args.n_resamples is not None and args.n_resamples < 1:
        parser.error(f"--n-resamples must be at least 1; got {args.n_resamples}")
    try:
        claims = write_claims(args.release_dir, n_resamples=args.n_resamples, seed=args.seed)
    except ClaimsInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for row in claims["claims"]:
        print(f"{row['verdict']:13s} {row['claim']:32s} {row['subject']}")
    print(f"wrote {args.release_dir / CLAIMS_FILE} and the '{SECTION_TITLE[3:]}' section of "
          f"{args.release_dir / REPORT_FILE}")
    return 0
