"""The MASSIVE protocol choices as options, and what they show: the main score (restricted / full argmax), the
per-utterance predictions, the ru-RU sensitivity table, the test split named as an inference. A rigged 76-class
model (logits: кино highest, then погода, for every input) makes every expected number follow from class counts."""

from pathlib import Path

import pandas as pd
import pytest
import torch
from checkout import ROOT
from fixtures.massive.builders import classifier, official_rows, write_mteb_copy
from statsmodels.stats.proportion import proportion_confint
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ruqtopics_kit.facts.labels import all_topics
from ruqtopics_kit.facts.mappings import bundled_mappings, load_mapping
from ruqtopics_kit.massive.evaluate import evaluate_model

SAMPLE = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"
FAST = {"bootstrap": 200, "progress": False}


@pytest.fixture(scope="module")
def cinema_then_weather(tiny_backbone, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("protocol")
    built = classifier(tiny_backbone, base / "all", list(all_topics().names))
    model = AutoModelForSequenceClassification.from_pretrained(built)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[model.config.label2id["кино"]] = 10.0
        model.classifier.bias[model.config.label2id["погода"]] = 5.0
    model.save_pretrained(base / "rigged")
    AutoTokenizer.from_pretrained(built).save_pretrained(base / "rigged")
    return base / "rigged"


@pytest.fixture(scope="module")
def evaluated(cinema_then_weather, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("evaluated") / "out"
    evaluate_model(cinema_then_weather, SAMPLE, out, locales="ru-RU,en-US", **FAST)
    return out


def test_predictions_are_saved_per_utterance_and_give_the_scores(evaluated):
    predictions = pd.read_parquet(evaluated / "predictions.parquet")
    results = pd.read_csv(evaluated / "results.csv").set_index("locale")
    assert list(predictions.columns) == ["locale", "id", "scenario", "intent", "label", "prediction",
                                         "prediction_full_argmax"]
    assert set(predictions["prediction"]) == {"погода"} and set(predictions["prediction_full_argmax"]) == {"кино"}
    rows = {row["id"]: row for row in official_rows(SAMPLE)["ru-RU"] if row["partition"] == "test"}
    russian = predictions[predictions["locale"] == "ru-RU"]
    assert russian["id"].is_unique and all(rows[i]["scenario"] == s for i, s in zip(russian["id"], russian["scenario"]))
    for locale, group in predictions.groupby("locale"):
        assert len(group) == results.loc[locale, "n_utterances"]
        assert (group["label"] == group["prediction"]).mean() == pytest.approx(results.loc[locale, "accuracy"])
        assert (group["label"] == group["prediction_full_argmax"]).mean() == \
            pytest.approx(results.loc[locale, "accuracy_full_argmax"])


def test_the_sensitivity_table_scores_every_mapping_both_ways(evaluated):
    table = pd.read_csv(evaluated / "sensitivity.csv")
    assert set(table["mapping"]) == set(bundled_mappings())
    rows = {(row.mapping, row.score): row for row in table.itertuples()}
    restricted, full = "accuracy (6 of 76 logits)", "accuracy (argmax over all 76 logits)"
    results = pd.read_csv(evaluated / "results.csv").set_index("locale")
    default = rows[("default", restricted)]
    assert default.accuracy == pytest.approx(results.loc["ru-RU", "accuracy"]) == pytest.approx(25 / 150)
    assert rows[("default", full)].accuracy == 0
    # every utterance is predicted погода: the accuracy is the weather share of what each mapping selects
    records = [row for row in official_rows(SAMPLE)["ru-RU"] if row["partition"] == "test"]
    for name in bundled_mappings():
        mapping = load_mapping(name)
        classes = [mapping.class_of(row["scenario"], row["intent"]) for row in records]
        selected = [name for name in classes if name is not None]
        row = rows[(name, restricted)]
        assert row.n == len(selected) and row.correct == selected.count("погода")
        assert (row.ci_low, row.ci_high) == pytest.approx(proportion_confint(row.correct, row.n, method="beta"))


def test_the_full_argmax_as_the_main_score(cinema_then_weather, tmp_path):
    evaluate_model(cinema_then_weather, SAMPLE, tmp_path / "out", locales="ru-RU", score="full", **FAST)
    row = pd.read_csv(tmp_path / "out" / "results.csv").iloc[0]
    assert row["accuracy"] == 0 and row["accuracy_restricted"] == pytest.approx(25 / 150)
    assert "accuracy_full_argmax" not in row
    summary = pd.read_json(tmp_path / "out" / "results.json", typ="series")
    assert summary["metrics"]["accuracy"].startswith("accuracy (argmax over all 76 logits)")
    assert summary["metrics"]["accuracy_restricted"].startswith("accuracy (6 of 76 logits)")
    assert "accuracy_restricted" in (tmp_path / "out" / "results.md").read_text(encoding="utf-8")


def test_the_test_split_is_named_an_inference(evaluated):
    summary = pd.read_json(evaluated / "results.json", typ="series")
    assert summary["massive"]["split"] == "test" and summary["massive"]["split_choice"].startswith("INFERRED")


def test_a_bad_score_is_refused(cinema_then_weather, tmp_path):
    with pytest.raises(ValueError, match="score"):
        evaluate_model(cinema_then_weather, SAMPLE, tmp_path / "out", score="best", **FAST)
    assert not (tmp_path / "out").exists()


def test_a_copy_without_intents_says_which_mappings_it_cannot_score(cinema_then_weather, tmp_path):
    root = write_mteb_copy(official_rows(SAMPLE), tmp_path / "mteb")
    evaluate_model(cinema_then_weather, root, tmp_path / "out", locales="ru-RU", **FAST)
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv", keep_default_na=False).set_index("mapping")
    assert table.loc["play_music", "note"] == table.loc["extended", "note"] == "the copy has no intents"
    assert table.loc["play_music", "accuracy"] == "" and len(table.loc["default"]) == 2  # both scores
