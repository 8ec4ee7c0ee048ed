"""The model card of a trained RuQTopics classifier: huggingface_hub `ModelCard` from `model_cards/template.md`.

The YAML header carries a `model-index` with the test-split scores (`EvalResult`s, plain floats) and sets
`model_name`, so `ModelCard.load` round-trips it and other tools (evaluate_massive.py) can add results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ruqtopics_kit.core.config_files import card_tags
from ruqtopics_kit.core.provenance import kit_reference, library_versions
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.facts.backbones import Backbone
from ruqtopics_kit.facts.labels import LabelSet
from ruqtopics_kit.facts.names import SYNTHETIC_TAG
from ruqtopics_kit.facts.paper import CITATION, PAPER_TAG, PAPER_URL
from ruqtopics_kit.training.outputs import TrainingResults

if TYPE_CHECKING:
    from ruqtopics_kit.training.config import TrainingConfig

TEMPLATE = package_path("templates", "model_cards", "template.md")
EXAMPLE = {"question": "Какой фильм посмотреть вечером?",
           "answer": "Посмотрите новый сериал: отзывы хорошие, актёры известные."}
# The Hub's inference widget: a few texts of the kind the model reads (a pair model gets questions alone)
WIDGET = {"question": ["Какой фильм посмотреть вечером?", "Как быстро приготовить борщ?",
                       "Будет ли завтра дождь в Москве?", "Какую музыку послушать в дороге?"],
          "answer": ["Посмотрите новый сериал: отзывы хорошие, актёры известные.",
                     "Сварите бульон, добавьте свёклу, капусту и картофель, в конце зелень.",
                     "Синоптики обещают ливень во второй половине дня, возьмите зонт."]}

# metric key -> (EvalResult metric_type, display name, metric_args)
METRICS = {
    "accuracy": ("accuracy", "Accuracy", None),
    "micro_f1": ("f1", "Micro F1", {"average": "micro"}),
    "macro_f1": ("f1", "Macro F1", {"average": "macro"}),
    "subset_accuracy": ("exact_match", "Subset accuracy", None),
}


@dataclass(frozen=True)
class TrainedModel:
    """What the card describes: the run's config and outcome."""

    config: TrainingConfig
    labels: LabelSet
    backbone: Backbone
    results: TrainingResults  # all_results.json
    dataset_repo_id: str

    @property
    def model_name(self) -> str:
        return (self.config.hub_model_id or self.config.output_dir.rstrip("/")).rsplit("/", 1)[-1]

    @property
    def repo_id(self) -> str | None:
        """The model's Hub id (--hub-model-id); None when the run was given none: the card then says so."""
        return self.config.hub_model_id

    @property
    def license(self) -> tuple[str, str | None]:
        """The card's licence id and where it comes from (None: nothing declares one, the id is `unknown`)."""
        if self.config.license:
            return self.config.license, "given when training (`--license`)"
        if self.backbone.license:
            return (self.backbone.license,
                    f"the licence of the backbone `{self.backbone.hub_id}`, as its Hub card declares it")
        return "unknown", None


def dataset_repo_id(config: TrainingConfig) -> str:
    """The dataset's Hub id for the card: --dataset-repo-id, else --dataset (a Hub id or a folder's name)."""
    if config.dataset_repo_id:
        return config.dataset_repo_id
    return Path(config.dataset).name if Path(config.dataset).is_dir() else config.dataset


def is_synthetic(dataset: str) -> bool:
    """Whether a local dataset folder is the kit's synthetic sample (its card says so)."""
    card = Path(dataset) / "README.md"
    return card.is_file() and SYNTHETIC_TAG in card_tags(card)


def eval_results(model: TrainedModel) -> list[EvalResult]:
    """The test scores as model-index entries (floats cast: numpy scalars would break the YAML)."""
    test = model.results.test or {}
    return [EvalResult(task_type="text-classification", task_name="Topic classification",
                       dataset_type=model.dataset_repo_id, dataset_name="RuQTopics",
                       dataset_config=model.config.dataset_config_name, dataset_split="test",
                       metric_type=METRICS[key][0],
                       metric_name=METRICS[key][1], metric_args=METRICS[key][2], metric_value=float(test[key]))
            for key in METRICS if key in test]


def build_model_card(model: TrainedModel) -> ModelCard:
    config, results = model.config, model.results
    tags = ["ruqtopics", "topic-classification", "multi-label-classification" if config.multi_label else
            "single-label-classification"]
    synthetic = is_synthetic(config.dataset)
    card_data = ModelCardData(
        model_name=model.model_name, language=["ru"], library_name="transformers", license=model.license[0],
        pipeline_tag="text-classification", tags=tags + [PAPER_TAG] + ([SYNTHETIC_TAG] if synthetic else []),
        datasets=[model.dataset_repo_id], base_model=model.backbone.hub_id,
        widget=[{"text": text} for text in WIDGET["answer" if config.text_mode == "answer" else "question"]],
        metrics=sorted({METRICS[key][0] for key in METRICS if key in (results.test or {})}),
        eval_results=eval_results(model) or None)
    return ModelCard.from_template(card_data, template_path=str(TEMPLATE), **_template_values(model, synthetic),
                                   **_run_values(model))


def _run_values(model: TrainedModel) -> dict:
    """The card's per-evaluation table and what trained the model, how and for how long."""
    results = model.results
    names = [key for key in (*METRICS, "loss") if any(key in row for row in results.evaluations)]
    seconds = results.train_seconds
    return dict(
        evaluation_columns=[METRICS[key][1] if key in METRICS else "Validation loss" for key in names],
        evaluation_rows=[[str(row["step"]), f"{row['epoch']:g}", *(f"{row[key]:.4f}" if key in row else "-"
                                                                   for key in names)]
                         for row in results.evaluations],
        hardware=results.run.get("hardware"), precision=results.run["mixed_precision"],
        duration=None if seconds is None else f"{seconds / 3600:.1f} h" if seconds >= 3600 else
        f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s",
        local_backbone=None if model.backbone.hub_id else Path(model.backbone.source).name)


def _template_values(model: TrainedModel, synthetic: bool) -> dict:
    config, results = model.config, model.results
    reads = {"question": "questions", "answer": "answers", "question_answer": "question-answer pairs"}
    pair = config.text_mode == "question_answer"
    example = ({"text": EXAMPLE["question"], "text_pair": EXAMPLE["answer"]} if pair
               else EXAMPLE["answer" if config.text_mode == "answer" else "question"])
    truncation = (f', truncation="only_second", max_length={results.run["max_length"]}' if pair else
                  f", truncation=True, max_length={results.run['max_length']}" if config.text_mode == "answer"
                  else "")
    return dict(
        synthetic=synthetic, model_name=model.model_name, repo_id=model.repo_id,
        model_reference=model.repo_id or f"./{model.model_name}", kit=kit_reference(),
        license=model.license[0], license_source=model.license[1], versions=library_versions(),
        backbone_description=_backbone_description(model.backbone),
        dataset_url=(f"https://huggingface.co/datasets/{model.dataset_repo_id}" if "/" in model.dataset_repo_id
                     else PAPER_URL),
        dataset_config=config.dataset_config_name, reads=reads[config.text_mode], num_labels=len(model.labels),
        multi_label=config.multi_label, threshold=results.decision_threshold, text_mode=config.text_mode,
        example_input=repr(example) if pair else f'"{example}"', truncation=truncation,
        results_table=_results_table(results), best_metric=config.best_metric.replace("_", "-"),
        best_step=results.best_step, completed_steps=results.completed_steps,
        stopped_early=results.stopped_early, training_table=_training_table(model),
        training_yaml=yaml.safe_dump(_recipe(model), allow_unicode=True, sort_keys=False),
        classes=list(zip(range(len(model.labels)), model.labels.names, model.labels.english, strict=True)),
        max_length=results.run["max_length"], multilingual="multilingual" in (model.backbone.source or ""),
        citation=CITATION.strip())


def _recipe(model: TrainedModel) -> dict:
    """The options that retrain this model: its identity (the options outside `NOT_IDENTITY` in training/config.py;
    where to write, how to publish and how to resume are not), with the dataset by its Hub id."""
    recipe = {k: v for k, v in model.config.identity().items() if v is not None}
    recipe["dataset"] = model.dataset_repo_id if "/" in model.dataset_repo_id else recipe["dataset"]
    return recipe


def _backbone_description(backbone: Backbone) -> str:
    if backbone.hub_id:
        described = f" ({backbone.description})" if backbone.description else ""
        return f"[{backbone.hub_id}](https://huggingface.co/{backbone.hub_id}){described}"
    return f"A local backbone (`{Path(backbone.source).name}`)"


def _results_table(results: TrainingResults) -> list[dict]:
    splits = {"validation": results.validation or {}, "test": results.test or {}}
    names = [key for key in (*METRICS, "loss") if any(key in scores for scores in splits.values())]
    return [{"name": METRICS[key][1] if key in METRICS else "Loss",
             **{split: f"{scores[key]:.4f}" if key in scores else "-" for split, scores in splits.items()}}
            for key in names]


def _training_table(model: TrainedModel) -> list[tuple[str, str]]:
    config, run = model.config, model.results.run
    warmup = (f"{config.warmup_steps} steps" if config.warmup_steps else
              f"{config.warmup_ratio:g} of the steps" if config.warmup_ratio else "none")
    return [
        ("backbone", model.backbone.hub_id or config.to_dict()["backbone"]),  # a local folder: relative
        ("text mode", f"{config.text_mode}, at most {run['max_length']} tokens"),
        ("training examples", f"{run['train_examples']:,}"),
        ("batch", f"{config.per_device_train_batch_size} per device x {run['num_processes']} process(es) x "
                  f"{config.gradient_accumulation_steps} accumulation = {run['effective_batch_size']}"
                  f"{config.batch_origin}"),
        ("text", "lowercased (the tokenizer's do_lower_case, saved with it)" if config.lowercase else "as written"),
        ("optimizer", f"AdamW, lr {config.learning_rate:g}, betas ({config.adam_beta1:g}, {config.adam_beta2:g}), "
                      f"weight decay {config.weight_decay:g} "
                      f"{'on every parameter' if config.decay_every_parameter else 'except biases and LayerNorm'}, "
                      f"gradient clipping {f'at norm {config.max_grad_norm:g}' if config.max_grad_norm else 'none'}"),
        ("schedule", f"{config.lr_scheduler_type}, warmup {warmup}, {run['max_steps']} optimizer steps planned"
                     f"{'; the best weights reloaded before each division' if config.lr_plateau_reload_best else ''}"),
        ("early stopping", f"patience {config.early_stopping_patience} evaluations on validation "
                           f"{config.best_metric}" if config.early_stopping_patience else "off"),
        ("mixed precision", run["mixed_precision"]),
        ("seed", str(config.seed)),
    ]
