"""Per-locale MASSIVE accuracies into a model card's `model-index` (huggingface_hub `EvalResult`s).

A rerun with the same model, copy, mapping and split replaces its earlier entries instead of adding duplicates;
entries of other evaluations (the RuQTopics test set, another mapping) are kept. The card is read strictly before
any work: YAML metadata that is not valid YAML, not a mapping, names a key twice, or holds a model-index that
does not follow the Hub's model-index spec (each result a task, a dataset and metrics with a number each) is an
error naming the card, since rewriting it would drop or republish what the user cannot see was wrong.
"""

from __future__ import annotations

from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.config_files import card_metadata
from ruqtopics_kit.dataset.export import is_synthetic_source
from ruqtopics_kit.facts.names import SYNTHETIC_TAG
from ruqtopics_kit.massive.hub_copies import AMAZON_SCIENCE, MTEB
from ruqtopics_kit.massive.records import HUB_SPLITS

CARD_FILE = "README.md"
SYNTHETIC_MASSIVE = "ruqtopics-kit/synthetic-massive-sample"  # not on the Hub: the sample bundled with the kit


def load_model_card(model: str):
    """The model card of a local model folder; a clear error for a Hub id or a folder without README.md."""
    from huggingface_hub import ModelCard

    path = Path(model) / CARD_FILE
    if not Path(model).is_dir():
        raise ValueError(f"--update-model-card needs a local model folder; {model!r} is not a folder")
    if not path.is_file():
        raise FileNotFoundError(f"--update-model-card: {path} does not exist; the model folder has no card to update")
    _check_model_index(card_metadata(path).get("model-index"), path)
    try:
        return ModelCard(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError) as error:  # e.g. `tags: 5`
        raise ValueError(f"{path}: its YAML metadata is no model card metadata ({error})") from None


# The Hub's model-index spec: each model a `name` and `results`; each result a `task` (`type`), a `dataset` (`type`,
# `name`) and `metrics`; each metric a `type` and a number `value`. The shape every key must have:
_MODEL_INDEX_SHAPES = {"results": list, "metrics": list, "task": dict, "dataset": dict, "name": str, "type": str,
                       "value": (int, float)}
_MODEL_INDEX_KEYS = {"": ("name", "results"), "results": ("task", "dataset", "metrics"), "task": ("type",),
                     "dataset": ("type", "name"), "metrics": ("type", "value")}


def _check_model_index(model_index, path: Path) -> None:
    """A ValueError naming the first entry of the card's model-index that does not follow the Hub's spec."""
    if model_index is not None:
        _check_shape(model_index, list, "", "", path)
        for number, model in enumerate(model_index):
            _check_entry(model, "", f"[{number}]", path)


def _check_entry(entry, key: str, where: str, path: Path) -> None:
    """`entry` of the model-index at `where` (under `key`) and everything below it."""
    _check_shape(entry, dict, key, where, path)
    for name in _MODEL_INDEX_KEYS[key]:
        value = entry.get(name)
        _check_shape(value, _MODEL_INDEX_SHAPES[name], name, f"{where}.{name}", path)
        if name in _MODEL_INDEX_KEYS:
            for number, item in enumerate(value if isinstance(value, list) else [value]):
                _check_entry(item, name, f"{where}.{name}" + (f"[{number}]" if isinstance(value, list) else ""),
                             path)


def _check_shape(value, kind, key: str, where: str, path: Path) -> None:
    if isinstance(value, kind) and not isinstance(value, bool) and not (kind is list and not value):
        return
    wanted = {list: "a non-empty list", dict: "a mapping", str: "a string"}.get(kind, "a number")
    missing = value is None and key
    raise ValueError(f"{path}: model-index{where} " + (f"is missing (expected {wanted})" if missing else
                                                      f"should be {wanted}, got {value!r}"))


def add_massive_results(card, rows: list[dict], *, massive_kind: str, version: str | None, split: str,
                        mapping: str, mapped_scenarios: int, revision: str | None, model_name: str,
                        source: str | None = None, metric_name: str = "accuracy") -> None:
    """Add one accuracy `EvalResult` per locale row to `card` (in place), replacing this evaluation's old ones.

    The entries are named for what they measure: MASSIVE restricted to the scenarios that `mapping` maps onto
    RuQTopics topics (six with the default mapping), not MASSIVE's own 18-scenario task. Results on the kit's
    synthetic MASSIVE sample (`source`, the copy evaluated) name that sample, never a real MASSIVE copy, and tag
    the card as synthetic. `metric_name` says which score it is (e.g. "accuracy (6 of 76 logits)")."""
    from huggingface_hub import EvalResult

    release = f"MASSIVE {version}" if version else "MASSIVE"
    dataset_type = MTEB if massive_kind == MTEB else AMAZON_SCIENCE
    if source is not None and is_synthetic_source(source):
        dataset_type, release = SYNTHETIC_MASSIVE, f"the RuQTopics kit's synthetic sample in the {release} layout"
        card.data.tags = sorted(set(card.data.tags or []) | {SYNTHETIC_TAG})
    new = [EvalResult(task_type="text-classification",
                      task_name=f"Topic classification on {mapped_scenarios} MASSIVE scenarios mapped to RuQTopics "
                                f"topics",
                      dataset_type=dataset_type,
                      dataset_name=f"{release}, {mapped_scenarios} scenarios mapped to RuQTopics (mapping {mapping})",
                      dataset_config=row["locale"], dataset_split=HUB_SPLITS[split], dataset_revision=revision,
                      metric_type="accuracy", metric_name=metric_name[:1].upper() + metric_name[1:],
                      metric_value=float(row["accuracy"]))
           for row in rows]
    replaced = {_slot(result) for result in new}
    card.data.eval_results = [result for result in card.data.eval_results or [] if _slot(result) not in replaced] + new
    card.data.model_name = card.data.model_name or model_name  # the model-index needs a name


def save_model_card(card, model: str) -> None:
    atomic_write_text(Path(model) / CARD_FILE, str(card))


def _slot(result) -> tuple:
    return (result.task_type, result.dataset_type, result.dataset_name, result.dataset_config, result.dataset_split,
            result.metric_type)
