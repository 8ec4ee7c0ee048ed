"""Per-locale MASSIVE accuracies into a model card's `model-index` (huggingface_hub `EvalResult`s).

A rerun with the same model, copy, mapping and split replaces its earlier entries instead of adding duplicates;
entries of other evaluations (the RuQTopics test set, another mapping) are kept.
"""

from __future__ import annotations

from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_write_text
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
    return ModelCard.load(path)


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
