"""The model card train.py writes: loadable, model-index with the test scores, usage, glosses, extendable."""

import dataclasses

import numpy as np
import pytest
import transformers
import yaml
from huggingface_hub import ModelCard, ModelCardData

from ruqtopics_kit import __version__
from ruqtopics_kit.facts.backbones import resolve_backbone
from ruqtopics_kit.facts.labels import all_topics, massive_aligned
from ruqtopics_kit.massive.card import add_massive_results
from ruqtopics_kit.training.card import TrainedModel, build_model_card, dataset_repo_id, is_synthetic
from ruqtopics_kit.training.config import parse_args
from ruqtopics_kit.training.outputs import TrainingResults

RUN = {"max_length": 128, "num_processes": 2, "effective_batch_size": 128, "max_steps": 5000,
       "train_examples": 361560, "mixed_precision": "bf16"}


def trained(*options: str, test: dict | None = None, threshold=None, backbone="rubert-base-conversational"):
    config = parse_args(["--backbone", backbone, "--dataset", "ruqtopics/ruqtopics", "--output-dir",
                         "out/rubert-base-single_label-question", *options])
    labels = massive_aligned() if config.dataset_config_name == "massive_aligned" else all_topics()
    test = test or {"accuracy": np.float64(0.8512), "macro_f1": np.float32(0.7101), "loss": 0.52}
    results = TrainingResults(validation=dict(test), test=test, best_step=4000, completed_steps=5000,
                              stopped_early=True, run=RUN, decision_threshold=threshold)
    return TrainedModel(config, labels, resolve_backbone(config.backbone), results, dataset_repo_id(config))


def test_the_card_round_trips_with_the_test_scores_as_plain_floats(tmp_path):
    card = build_model_card(trained())
    card.save(tmp_path / "README.md")
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "numpy" not in text and "!!python" not in text
    loaded = ModelCard.load(tmp_path / "README.md")
    assert loaded.data.model_name == "rubert-base-single_label-question"
    assert loaded.data.base_model == "DeepPavlov/rubert-base-cased-conversational"
    assert loaded.data.datasets == ["ruqtopics/ruqtopics"] and loaded.data.pipeline_tag == "text-classification"
    scores = {(r.metric_name, r.dataset_split, r.dataset_config): r.metric_value for r in loaded.data.eval_results}
    assert scores == {("Accuracy", "test", "single_label"): 0.8512,
                      ("Macro F1", "test", "single_label"): pytest.approx(0.7101)}
    assert all(type(r.metric_value) is float for r in loaded.data.eval_results)
    assert "| 61 | самолёты | aircraft |" in text  # Russian label, English gloss
    assert 'pipeline("text-classification", model="./rubert-base-single_label-question")' in text  # no id given
    assert "<org>" not in text and "trained without `--hub-model-id`" in text
    assert "training stopped early" in text and "dataset: ruqtopics/ruqtopics" in text
    assert "output_dir" not in text.split("```yaml")[1]  # the recipe leaves out where to write


def test_the_recipe_retrains_the_same_run(tmp_path):
    """The card's YAML recipe is the run's identity: as a --config-file it gives a config with equal identity."""
    model = trained("--learning-rate", "3e-5", "--hub-model-id", "org/x", "--report-to", "none")
    recipe = str(build_model_card(model)).split("```yaml\n")[1].split("```")[0]
    (tmp_path / "config.yaml").write_text(recipe, encoding="utf-8")
    again = parse_args(["--config-file", str(tmp_path / "config.yaml"), "--output-dir", str(tmp_path / "again")])
    assert again.identity() == model.config.identity()
    assert {"output_dir", "hub_model_id", "report_to", "dataset_repo_id"}.isdisjoint(yaml.safe_load(recipe))


def test_multi_label_usage_shows_all_scores_and_the_threshold():
    card = build_model_card(trained("--dataset-config-name", "multi_label", "--hub-model-id", "org/multi",
                                    threshold=0.35,
                                    test={"micro_f1": 0.61, "macro_f1": 0.4, "subset_accuracy": 0.2, "loss": 0.05}))
    text = str(card)
    assert 'pipeline("text-classification", model="org/multi")' in text
    assert "top_k=None" in text and 's["score"] >= 0.35' in text and "decision_threshold" in text
    assert {r.metric_name for r in card.data.eval_results} == {"Micro F1", "Macro F1", "Subset accuracy"}


def test_question_answer_usage_is_a_sentence_pair_truncating_the_answer():
    text = str(build_model_card(trained("--text-mode", "question_answer")))
    assert "'text_pair':" in text and 'truncation="only_second", max_length=128' in text


def test_a_card_without_test_scores_still_has_a_model_name():
    model = trained()
    card = build_model_card(dataclasses.replace(model, results=dataclasses.replace(model.results, test=None)))
    assert card.data.model_name and not card.data.eval_results


def test_massive_results_can_be_added_later_and_the_test_scores_stay(tmp_path):
    build_model_card(trained()).save(tmp_path / "README.md")
    card = ModelCard.load(tmp_path / "README.md")
    add_massive_results(card, [{"locale": "ru-RU", "accuracy": np.float64(0.84)}], massive_kind="official",
                        version="1.1", split="test", mapping="default", mapped_scenarios=6, revision=None,
                        model_name="ignored")
    card.save(tmp_path / "README.md")
    results = ModelCard.load(tmp_path / "README.md").data.eval_results
    assert {r.dataset_name for r in results} == {"RuQTopics",
                                                 "MASSIVE 1.1, 6 scenarios mapped to RuQTopics (mapping default)"}


def test_the_synthetic_sample_is_flagged(exported_sample, tmp_path):
    assert is_synthetic(str(exported_sample)) and not is_synthetic(str(tmp_path))
    model = trained()
    synthetic = TrainedModel(model.config.__class__(**{**model.config.to_dict(), "dataset": str(exported_sample)}),
                             model.labels, model.backbone, model.results, "org/ruqtopics")
    card = build_model_card(synthetic)
    assert "synthetic-sample" in card.data.tags and "SYNTHETIC sample" in str(card)


@pytest.mark.parametrize("options, backbone, license, says", [
    ((), "mbert-cased", "apache-2.0", "the licence of the backbone `google-bert/bert-base-multilingual-cased`"),
    (("--license", "mit"), "rubert-base-conversational", "mit", "given when training (`--license`)"),
    ((), "rubert-base-conversational", "unknown", "No licence is declared for these weights"),
])
def test_the_licence_comes_from_the_registry_or_the_option_else_the_card_says_it_is_unknown(
        tmp_path, options, backbone, license, says):
    build_model_card(trained(*options, backbone=backbone)).save(tmp_path / "README.md")
    card = ModelCard.load(tmp_path / "README.md")
    assert card.data.license == license and says in card.text


def test_the_card_has_what_users_look_for_on_the_hub(tmp_path):
    build_model_card(trained("--hub-model-id", "acme/rubert-q")).save(tmp_path / "README.md")
    card = ModelCard.load(tmp_path / "README.md")
    ModelCardData(**card.data.to_dict())  # the YAML metadata validates as model card data
    assert card.data.base_model == "DeepPavlov/rubert-base-cased-conversational"
    widget = card.data.widget
    assert len(widget) >= 3 and all(any("а" <= ch <= "я" for ch in entry["text"]) for entry in widget)
    assert 'pipeline("text-classification", model="acme/rubert-q")' in card.text and "<org>" not in str(card)
    assert f"`ruqtopics-kit` {__version__}" in card.text and "https://arxiv.org/abs/2306.07797" in card.text
    assert f"- transformers {transformers.__version__}" in card.text and "- torch " in card.text
    assert "- datasets " in card.text and "- accelerate " in card.text
    assert "ruqtopics train --config-file config.yaml" in card.text


def test_an_answer_model_shows_answers_in_its_widget():
    card = build_model_card(trained("--text-mode", "answer"))
    assert all(len(entry["text"].split()) > 6 for entry in card.data.widget)


def test_the_card_has_intended_use_every_evaluation_hardware_and_names_a_local_backbone(tmp_path):
    model = trained()
    results = dataclasses.replace(model.results, train_seconds=5400.0, run={**RUN, "hardware": "NVIDIA H200"},
                                  evaluations=[{"step": 100, "epoch": 0.5, "accuracy": 0.5, "loss": 1.25},
                                               {"step": 200, "epoch": 1.0, "accuracy": 0.75, "loss": 1.0}])
    text = str(build_model_card(dataclasses.replace(model, results=results)))
    assert "## Intended use" in text and "Out of scope:" in text and "- arxiv:2306.07797" in text
    assert "| step | epoch | Accuracy | Validation loss |" in text
    assert "| 100 | 0.5 | 0.5000 | 1.2500 |" in text and "| 200 | 1 | 0.7500 | 1.0000 |" in text
    assert "Trained on NVIDIA H200 in 1.5 h" in text and "mixed precision `bf16`" in text
    assert "The backbone is a local folder" not in text  # a Hub backbone is the YAML's base_model
    backbone = tmp_path / "my-bert"
    backbone.mkdir()
    local = dataclasses.replace(model, backbone=dataclasses.replace(model.backbone, is_local=True,
                                                                    source=str(backbone)))
    card = build_model_card(local)
    assert card.data.base_model is None and "The backbone is a local folder (`my-bert`)" in str(card)
