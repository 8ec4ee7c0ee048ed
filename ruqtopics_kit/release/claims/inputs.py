"""What the claims read from a release folder: the paper's numbers, the models, their predictions, the MASSIVE
results and the correlation analysis. Every problem is a `ClaimsInputError` naming the file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ruqtopics_kit.analysis.correlations import PAPER_LOCALES
from ruqtopics_kit.analysis.report import CORRELATIONS_CSV, SUMMARY_FILE
from ruqtopics_kit.core.config_files import card_tags
from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.jsonio import read_json_object
from ruqtopics_kit.core.tables import read_csv_table
from ruqtopics_kit.facts.backbones import registry
from ruqtopics_kit.facts.names import REFERENCE_LOCALE, SYNTHETIC_TAG
from ruqtopics_kit.facts.paper import paper_claims
from ruqtopics_kit.release.layout import NOT_COMPUTED_FILE, ReleaseLayout
from ruqtopics_kit.training.config import saved_options
from ruqtopics_kit.training.outputs import ARGS_FILE, PREDICTIONS_FILE


class ClaimsInputError(KitError, ValueError):
    """A release folder whose files cannot give the claims: the file and what is wrong with it."""

    def __init__(self, path: str | Path, problem: str):
        super().__init__(f"{path}: {problem}")


def paper_backbones(language: str) -> list[str]:
    return [name for name, role in paper_claims()["backbones"].items() if role["language"] == language]


@dataclass(frozen=True)
class ModelRun:
    name: str
    folder: Path
    backbone: str  # the registry name, else the Hub id's or local folder's last part
    config: str
    text_mode: str
    seed: int | None = None  # the training seed (training_args.json's), None when not recorded

    @property
    def role(self) -> dict:
        """What the paper says about the backbone (language, distilled_from); {} for a backbone it did not use."""
        return paper_claims()["backbones"].get(self.backbone, {})


def backbone_name(value: str) -> str:
    """The registry name of a backbone given as a registry name or Hub id; else the path's last part."""
    if value in registry():
        return value
    by_hub_id = {entry["hub_id"]: name for name, entry in registry().items()}
    return by_hub_id.get(value, Path(value).name)


def read_json(path: Path) -> dict:
    """The JSON object in `path` (strict: a key twice is an error), or a ClaimsInputError naming the file."""
    try:
        return read_json_object(path)
    except (OSError, ValueError) as error:
        raise _named(path, error) from None


def read_table(path: Path, **options) -> pd.DataFrame:
    """A CSV table of the release (`core.tables.read_csv_table`), or a ClaimsInputError naming the file."""
    try:
        return read_csv_table(path, **options)
    except (OSError, ValueError) as error:
        raise _named(path, error) from None


def _named(path: Path, error: OSError | ValueError) -> ClaimsInputError:
    if isinstance(error, OSError):
        return ClaimsInputError(path, f"cannot be read ({error.strerror or error})")
    return ClaimsInputError(path, str(error).removeprefix(f"{path}: "))  # the core readers name the path first


def read_text(path: Path) -> str:
    """A text file of the release (not_computed.txt), or a ClaimsInputError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ClaimsInputError(path, f"not valid UTF-8 ({error.reason} at byte {error.start})") from None


def find_models(release_dir: Path) -> list[ModelRun]:
    """Every model repository of the release (a `hub/<name>/` folder with training_args.json)."""
    hub = ReleaseLayout(release_dir).hub_dir
    if not release_dir.is_dir():
        raise ClaimsInputError(release_dir, "is not a folder" if release_dir.exists() else "does not exist")
    if not hub.is_dir():
        raise ClaimsInputError(release_dir, "has no hub/ folder, so it is not a release folder (made by "
                                            "`ruqtopics release --output-dir DIR`)")
    runs = []
    for args_file in sorted(hub.glob(f"*/{ARGS_FILE}")):
        args = saved_options(read_json(args_file))
        missing = [key for key in ("backbone", "dataset_config_name", "text_mode")
                   if not isinstance(args.get(key), str)]
        if missing:
            raise ClaimsInputError(args_file, f"lacks {', '.join(missing)}")
        seed = args.get("seed")
        runs.append(ModelRun(args_file.parent.name, args_file.parent, backbone_name(args["backbone"]),
                             args["dataset_config_name"], args["text_mode"],
                             seed if isinstance(seed, int) and not isinstance(seed, bool) else None))
    return runs


def is_synthetic(release_dir: Path) -> bool:
    """Whether the release was made from the kit's synthetic sample: a card of its hub/ folder carries the tag."""
    for card in sorted(ReleaseLayout(release_dir).hub_dir.glob("*/README.md")):
        try:
            tags = card_tags(card)
        except (OSError, ValueError) as error:
            raise _named(card, error) from None
        if SYNTHETIC_TAG in tags:
            return True
    return False


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


def russian_massive_accuracy(release_dir: Path, run: ModelRun) -> dict | None:
    """The run's MASSIVE ru-RU accuracy, its interval and counts (`massive/<name>/results.csv`), or None."""
    path = ReleaseLayout(release_dir).massive_results(run.name)
    if not path.is_file():
        return None
    results = read_table(path, required=("locale", "accuracy", "accuracy_ci_low", "accuracy_ci_high"))
    russian = results[results["locale"] == REFERENCE_LOCALE]
    if russian.empty:
        return None
    if len(russian) > 1:
        raise ClaimsInputError(path, f"has {len(russian)} rows for {REFERENCE_LOCALE}; an evaluation has one per "
                                     f"locale")
    row = russian.iloc[0]
    try:
        n = int(row["n_utterances"]) if "n_utterances" in results.columns else None
        accuracy, interval = float(row["accuracy"]), [float(row["accuracy_ci_low"]), float(row["accuracy_ci_high"])]
    except ValueError as error:
        raise ClaimsInputError(path, f"row {REFERENCE_LOCALE}: {error}") from None
    return {"accuracy": accuracy, "interval": interval, "n": n, "correct": None if n is None else round(accuracy * n)}


def analysed_models(release_dir: Path) -> list[str]:
    return ReleaseLayout(release_dir).analysed_models()


def not_computed_reason(folder: Path) -> str | None:
    """Why the release could not run the analysis of this model (its not_computed.txt), or None."""
    path = folder / NOT_COMPUTED_FILE
    return read_text(path).strip() if path.is_file() else None


def correlation_rows(folder: Path) -> dict[tuple[str, str], dict]:
    """The analysis' Spearman and partial Spearman rows over the paper's locales (MASSIVE 1.0's), keyed by
    (predictor, controls): rho, p, n and the 95% interval. Older tables without a `locales` column hold one set."""
    path = folder / CORRELATIONS_CSV
    frame = read_table(path, keep_default_na=False, na_values=[""],
                       required=("predictor", "method", "controls", "statistic", "p_value", "n", "ci_low", "ci_high"))
    try:
        frame = frame[frame["method"].isin(["spearman", "partial_spearman"])]
        if "locales" in frame.columns:
            frame = frame[frame["locales"] == PAPER_LOCALES]
        return {(row.predictor, "" if pd.isna(row.controls) else row.controls): {
                    "predictor": row.predictor, "method": row.method,
                    "controls": "" if pd.isna(row.controls) else row.controls, "rho": number(row.statistic),
                    "p_value": number(row.p_value), "n": int(row.n),
                    "rho_ci": [number(row.ci_low), number(row.ci_high)]}
                for row in frame.itertuples()}
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        raise ClaimsInputError(path, f"is not the analysis' correlation table ({error})") from None


def missing_paper_locales(folder: Path) -> list[str]:
    path = folder / SUMMARY_FILE
    missing = read_json(path).get("missing_massive_1_0_locales") or []
    if not (isinstance(missing, list) and all(isinstance(locale, str) for locale in missing)):
        raise ClaimsInputError(path, f"missing_massive_1_0_locales should be a list of locales, got {missing!r}")
    return missing


def number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
