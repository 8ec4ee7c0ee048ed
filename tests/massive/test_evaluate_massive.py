"""evaluate_massive.py end to end on the synthetic MASSIVE sample with tiny classifiers built from the test backbone.

"Rigged" models have a zero classifier weight and a chosen bias, so every utterance gets the same logits and the
expected scores follow from the class counts alone: that checks the mapping by class name, both argmax variants
and the metrics exactly.
"""

import json
import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import torch
from checkout import ROOT
from fixtures.massive.builders import classifier, official_rows, write_mteb_copy
from statsmodels.stats.proportion import proportion_confint
from table_helpers import markdown_rows

from ruqtopics_kit.cli import main as cli_main
from ruqtopics_kit.cli.registry import command_named
from ruqtopics_kit.facts.labels import all_topics, massive_aligned
from ruqtopics_kit.massive import evaluate as evaluate_module
from ruqtopics_kit.massive.card import load_model_card
from ruqtopics_kit.massive.evaluate import EvaluationConfig, evaluate_model
from ruqtopics_kit.massive.inference import UNRECORDED_RULE, UTTERANCE_RULES, predict_logits, resolve_device
from ruqtopics_kit.massive.report import RESULTS_JSON, MassiveResults, argmax_scores
from ruqtopics_kit.metrics import load_topic_metric
from ruqtopics_kit.statistics import macro_f1

SAMPLE = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"
LOCALES = ["de-DE", "en-US", "ja-JP", "pl-PL", "ru-RU", "sw-KE"]
SIX = list(massive_aligned().names)
FAST = {"bootstrap": 500, "progress": False}


def rigged(model_dir: Path, output_dir: Path, top: str, runner_up: str | None = None) -> Path:
    """A copy of a classifier whose logits are its bias: `top` highest, `runner_up` second, for every input."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[model.config.label2id[top]] = 10.0
        if runner_up:
            model.classifier.bias[model.config.label2id[runner_up]] = 5.0
    model.save_pretrained(output_dir)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(output_dir)
    return output_dir


@pytest.fixture(scope="module")
def models(tiny_backbone, tmp_path_factory):
    """Six- and 76-class classifiers with their classes in a shuffled order (so only names can match them)."""
    base = tmp_path_factory.mktemp("massive_models")
    shuffled_six = random.Random(1).sample(SIX, 6)
    shuffled_all = random.Random(2).sample(list(all_topics().names), 76)
    built = {"six": classifier(tiny_backbone, base / "six", shuffled_six),
             "all": classifier(tiny_backbone, base / "all", shuffled_all),
             "five": classifier(tiny_backbone, base / "five", SIX[:4] + SIX[5:] + ["кино"])}
    built["six_music"] = rigged(built["six"], base / "six_music", "музыка")
    built["all_cinema_then_weather"] = rigged(built["all"], base / "all_cinema", "кино", runner_up="погода")
    return built


def read_json_strictly(path: Path) -> dict:
    def no_constants(name):
        raise AssertionError(f"{path} holds {name}, which is not strict JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


# ---- outputs -----------------------------------------------------------------------------------------------

def test_a_six_class_model_end_to_end(models, tmp_path):
    result = evaluate_model(models["six_music"], SAMPLE, tmp_path / "out", **FAST)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["accuracy.png", "counts.csv", "predictions.parquet",
                                                     "results.csv", "results.json", "results.md", "sensitivity.csv"]
    # the numbers compared exactly below read with Python's float: pandas' default parser is exact only from 3.1
    table = pd.read_csv(out / "results.csv", converters=dict.fromkeys(["accuracy", "massive_version"], float))
    assert list(table["locale"]) == LOCALES and len(table) == 6
    assert {"model", "mapping", "split", "massive_version", "locale", "accuracy", "accuracy_ci_low", "accuracy_ci_high",
            "macro_f1", "n_utterances", "languages"} <= set(table.columns)
    assert not any(column.endswith("full_argmax") for column in table.columns)  # six classes: one argmax only
    assert set(table["mapping"]) == {"default"} and set(table["split"]) == {"test"}
    assert set(table["massive_version"]) == {1.1}
    assert set(table["model"]) == {os.path.relpath(models["six_music"], tmp_path / "out")}
    assert set(table["n_utterances"]) == {150} and set(table["n_mmnlu22_skipped"]) == {2}
    # every utterance predicted "музыка": 25 of 150 right; F1 of музыка 50/175, of the others 0
    assert np.allclose(table["accuracy"], 25 / 150) and np.allclose(table["macro_f1"], 50 / 175 / 6)
    assert (table["accuracy_ci_low"] < table["accuracy"]).all()
    assert (table["accuracy"] < table["accuracy_ci_high"]).all()
    counts = pd.read_csv(out / "counts.csv")
    assert len(counts) == 36 and set(counts["n"]) == {25} and list(counts["class"][:6]) == SIX
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.table["accuracy"].tolist() == table["accuracy"].tolist() and result.output_dir == out


def test_results_json_is_strict_and_mteb_shaped(models, tmp_path):
    evaluate_model(models["all_cinema_then_weather"], SAMPLE, tmp_path / "out", locales="ru-RU,en-US", **FAST)
    summary = read_json_strictly(tmp_path / "out" / "results.json")
    assert summary["main_score"] == "accuracy" and summary["massive"]["version"] == "1.1"
    assert summary["massive"]["kind"] == "official archive" and summary["massive"]["mmnlu22_skipped"] == 4
    assert summary["mapping"]["name"] == "default" and summary["model"]["classes_evaluated"] == SIX
    entries = summary["scores"]["test"]
    assert [e["hf_subset"] for e in entries] == ["en-US", "ru-RU"]
    ru = entries[1]
    assert ru["languages"] == ["rus-Cyrl"] and ru["main_score"] == ru["accuracy"] and ru["n_utterances"] == 150
    assert ru["class_counts"] == dict.fromkeys(SIX, 25)
    assert {"accuracy", "accuracy_ci_low", "accuracy_ci_high", "macro_f1", "accuracy_full_argmax",
            "macro_f1_full_argmax"} <= set(ru)


def test_results_json_reads_back_as_massive_results_and_checks_its_schema(models, tmp_path):
    evaluate_model(models["all_cinema_then_weather"], SAMPLE, tmp_path / "out", locales="ru-RU", **FAST)
    path = tmp_path / "out" / RESULTS_JSON
    results = MassiveResults.read(path)
    assert results.to_dict() == read_json_strictly(path) and results.main_score == "accuracy"
    path.write_text(json.dumps({**results.to_dict(), "schema": "ruqtopics-massive-results/0"}), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{RESULTS_JSON}: schema .*massive-results/0"):
        MassiveResults.read(path)


def test_a_76_class_model_gets_both_argmax_variants_clearly_named(models, tmp_path):
    """Top logit "кино" (not mapped), then "погода": restricted argmax says погода, full argmax is always wrong."""
    evaluate_model(models["all_cinema_then_weather"], SAMPLE, tmp_path / "out", **FAST)
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert np.allclose(table["accuracy"], 25 / 150) and np.allclose(table["macro_f1"], 50 / 175 / 6)
    assert np.allclose(table["accuracy_full_argmax"], 0) and np.allclose(table["macro_f1_full_argmax"], 0)
    # none right of 150: the exact interval still has a width (a percentile bootstrap gave [0, 0])
    assert np.allclose(table[["accuracy_full_argmax_ci_low", "accuracy_full_argmax_ci_high"]],
                       proportion_confint(0, 150, method="beta"))
    markdown = (tmp_path / "out" / "results.md").read_text(encoding="utf-8")
    assert "accuracy_full_argmax" in markdown and "argmax over all 76 logits" in markdown
    assert "argmax over the logits of the 6 mapped classes" in markdown


def test_mapping_by_name_and_by_file(models, tmp_path):
    """extended adds takeaway, email and play_music: музыка has 25 + 2 play_music of 150 + 4 + 4 + 2."""
    evaluate_model(models["six_music"], SAMPLE, tmp_path / "extended", mapping="extended", locales="ru-RU", **FAST)
    row = pd.read_csv(tmp_path / "extended" / "results.csv").iloc[0]
    assert row["mapping"] == "extended" and row["n_utterances"] == 160 and row["accuracy"] == pytest.approx(27 / 160)
    counts = pd.read_csv(tmp_path / "extended" / "counts.csv").set_index("class")["n"]
    assert counts["музыка"] == 27 and counts["еда, напитки и кулинария"] == 29 and counts["погода"] == 25

    own = tmp_path / "music_and_weather.json"
    own.write_text(json.dumps({"name": "two", "scenarios": {"music": "музыка", "weather": "погода"}},
                              ensure_ascii=False), encoding="utf-8")
    evaluate_model(models["six_music"], SAMPLE, tmp_path / "own", mapping=str(own), locales="ru-RU", **FAST)
    row = pd.read_csv(tmp_path / "own" / "results.csv").iloc[0]
    assert row["mapping"] == "two" and row["n_utterances"] == 50 and row["accuracy"] == pytest.approx(0.5)
    assert row["n_outside_mapping"] == 148


def test_the_dev_split_and_an_mteb_copy(models, tmp_path):
    root = write_mteb_copy(official_rows(SAMPLE), tmp_path / "mteb")
    result = evaluate_model(models["six_music"], root, tmp_path / "out", split="dev", **FAST)
    assert set(result.table["n_utterances"]) == {6 * 6} and result.summary["massive"]["version"] == "1.0"
    with pytest.raises(ValueError, match=r"mapping 'play_music' maps intents \(play_music\) but "
                                         r"mteb/amazon_massive_scenario copies carry only scenarios"):
        evaluate_model(models["six_music"], root, tmp_path / "out2", mapping="play_music", **FAST)


# ---- the model's classes -----------------------------------------------------------------------------------

def test_a_model_lacking_a_mapped_class_is_named(models, tmp_path):
    with pytest.raises(ValueError, match=r"has no class 'погода', which mapping 'default' needs; its 6 classes are "
                                         r"'музыка', .*'кино'"):
        evaluate_model(models["five"], SAMPLE, tmp_path / "out", **FAST)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("labels", ["default", "absent"])
def test_a_model_without_class_names_is_an_error(models, tmp_path, labels):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = tmp_path / "nameless"
    AutoModelForSequenceClassification.from_pretrained(models["six"], id2label=None, label2id=None,
                                                       num_labels=6).save_pretrained(model_dir)
    AutoTokenizer.from_pretrained(models["six"]).save_pretrained(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    config["id2label"] = {str(i): f"LABEL_{i}" for i in range(6)}
    config["label2id"] = {f"LABEL_{i}": i for i in range(6)}
    if labels == "absent":
        del config["id2label"], config["label2id"]
    (model_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"has no class names: the id2label of its config.json is .*mapped by name"):
        evaluate_model(model_dir, SAMPLE, tmp_path / "out", **FAST)


# ---- bad input and atomic output ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["missing locale", "corrupt archive", "model without config", "bad option"])
def test_bad_input_on_the_command_line_fails_cleanly_and_writes_nothing(models, tmp_path, capsys, case):
    corrupt = tmp_path / "broken.tar.gz"
    corrupt.write_bytes(SAMPLE.read_bytes()[:3000])
    args = {"--model": str(models["six"]), "--massive": str(SAMPLE), "--output-dir": str(tmp_path / "out")}
    expected = {"missing locale": "has no locale fr-FR", "corrupt archive": "is not a readable MASSIVE archive",
                "model without config": str(tmp_path), "bad option": "batch_size must be an integer >= 1; got 0"}[case]
    extra = {"missing locale": ["--locales", "ru-RU,fr-FR"], "bad option": ["--batch-size", "0"]}.get(case, [])
    if case == "corrupt archive":
        args["--massive"] = str(corrupt)
    if case == "model without config":
        args["--model"] = str(tmp_path)
    argv = ["evaluate-massive", *[item for pair in args.items() for item in pair], *extra, "--no-progress"]
    if case == "bad option":  # a usage error: argparse's status
        with pytest.raises(SystemExit) as exit_info:
            cli_main(argv)
        assert exit_info.value.code == 2
    else:
        assert cli_main(argv) == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_failure_while_writing_leaves_nothing_behind(models, tmp_path, monkeypatch):
    import ruqtopics_kit.massive.evaluate as massive_eval

    original = massive_eval.write_results

    def write_then_fail(folder, *args):
        original(folder, *args)
        raise OSError("disk full")

    monkeypatch.setattr(massive_eval, "write_results", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        evaluate_model(models["six"], SAMPLE, tmp_path / "out", **FAST)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_dir_needs_overwrite(models, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="already exists; pass --overwrite-output-dir to replace it$"):
        evaluate_model(models["six"], SAMPLE, out, **FAST)
    assert (out / "keep.txt").read_text() == "mine"
    evaluate_model(models["six"], SAMPLE, out, overwrite_output_dir=True, locales=["ru-RU"], **FAST)
    assert not (out / "keep.txt").exists() and (out / "results.csv").exists()


@pytest.mark.parametrize("option, value, message", [
    ("batch_size", 0, "batch_size must be an integer >= 1; got 0"),
    ("bootstrap", 2.5, "bootstrap must be an integer >= 1; got 2.5"),
    ("split", "validation", "The 'split' parameter must be one of 'test', 'dev', 'train'. Got 'validation' instead."),
    ("locales", "ru-RU,xx-XX", r"unknown MASSIVE locale\(s\) 'xx-XX'"),
    ("locales", " , ", "locales must be 'all' or locale codes"),
    ("dtype", "float16", "The 'dtype' parameter must be one of 'auto', 'float32', 'bfloat16'. Got 'float16'")])
def test_options_are_validated_up_front(option, value, message):
    with pytest.raises(ValueError, match=message):
        EvaluationConfig(model="m", massive="x", output_dir="o", **{option: value})


def test_locales_on_the_command_line_are_all_or_a_list_of_codes(capsys):
    parser = command_named("evaluate-massive").parser
    required = ["--model", "m", "--massive", "x", "--output-dir", "o"]
    assert parser().parse_args([*required, "--locales", "ru-RU, en-US,"]).locales == ("ru-RU", "en-US")
    assert parser().parse_args([*required, "--locales", " all "]).locales == parser().parse_args(required).locales
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args([*required, "--locales", " , "])
    assert exit_info.value.code == 2
    assert "argument --locales: expected 'all' or locale codes such as ru-RU,en-US; got ' , '" in (
        capsys.readouterr().err)


def test_bfloat16_autocast_on_the_cpu_when_asked(models, tmp_path):
    result = evaluate_model(models["all_cinema_then_weather"], SAMPLE, tmp_path / "out", locales="ru-RU",
                            dtype="bfloat16", **FAST)
    assert result.summary["config"]["autocast"] == "bfloat16" and result.summary["config"]["device"] == "cpu"
    assert result.table.loc[0, "accuracy"] == pytest.approx(25 / 150)


def test_devices():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got 'gpu0'"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


# ---- model card --------------------------------------------------------------------------------------------

def make_card(model_dir: Path) -> None:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    data = ModelCardData(model_name="ruqtopics-tiny", language=["ru"], eval_results=[EvalResult(
        task_type="text-classification", dataset_type="ruqtopics", dataset_name="RuQTopics", dataset_split="test",
        metric_type="accuracy", metric_value=0.9)])
    ModelCard.from_template(data, model_description="A tiny test model.").save(model_dir / "README.md")


def test_update_model_card_round_trip(models, tmp_path):
    from huggingface_hub import ModelCard

    model_dir = tmp_path / "model"
    rigged(models["six"], model_dir, "погода")
    make_card(model_dir)
    for run in range(2):  # a rerun replaces its entries instead of duplicating them
        evaluate_model(model_dir, SAMPLE, tmp_path / f"out{run}", update_model_card=True, **FAST)
    card = ModelCard.load(model_dir / "README.md")
    results = card.data.eval_results
    assert card.data.model_name == "ruqtopics-tiny" and "A tiny test model." in card.text
    # the bundled sample is synthetic: its entries name it, not AmazonScience/massive, and the card is tagged
    assert [r.dataset_type for r in results] == ["ruqtopics"] + ["ruqtopics-kit/synthetic-massive-sample"] * 6
    assert "synthetic-sample" in card.data.tags
    massive = results[1:]
    assert [r.dataset_config for r in massive] == LOCALES
    assert {(r.dataset_split, r.metric_type, r.task_type) for r in massive} == {("test", "accuracy",
                                                                                  "text-classification")}
    assert all(type(r.metric_value) is float and r.metric_value == pytest.approx(25 / 150) for r in massive)
    assert "synthetic sample in the MASSIVE 1.1 layout" in massive[0].dataset_name
    assert "default" in massive[0].dataset_name
    assert {r.metric_name for r in massive} == {"Accuracy (6 of 6 logits)"}  # which argmax the score takes


def test_update_model_card_needs_a_local_card_and_checks_it_before_running(models, tmp_path):
    with pytest.raises(FileNotFoundError, match="README.md does not exist"):
        evaluate_model(models["six"], SAMPLE, tmp_path / "out", update_model_card=True, **FAST)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="needs a local model folder; 'org/model' is not a folder"):
        load_model_card("org/model")


# ---- statistics and inference ------------------------------------------------------------------------------

def test_macro_f1_intervals_are_reproducible_and_seeded_per_locale(models, tmp_path):
    def intervals(name, **options):
        table = evaluate_model(models["six_music"], SAMPLE, tmp_path / name, **{**FAST, **options}).table
        return table.set_index("locale")[["macro_f1_ci_low", "macro_f1_ci_high", "accuracy_ci_low"]]

    first, again, other_seed = intervals("a"), intervals("b"), intervals("c", seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other_seed)
    pd.testing.assert_series_equal(first["accuracy_ci_low"], other_seed["accuracy_ci_low"])  # exact: no seed
    pd.testing.assert_frame_equal(intervals("d", locales="ru-RU"), first.loc[["ru-RU"]])


def test_accuracy_intervals_are_clopper_pearson_and_macro_f1_the_bootstrap():
    metric = load_topic_metric(multi_label=False)
    references = np.repeat(np.arange(3), 21)  # 63 utterances, all predicted right: the edge
    scores = argmax_scores(metric, references.copy(), references, np.arange(3), resamples=200, seed=(0, 1))
    assert (scores["accuracy_ci_low"], scores["accuracy_ci_high"]) == pytest.approx(
        proportion_confint(63, 63, method="beta"))  # [0.943, 1], where a percentile bootstrap gives [1, 1]
    predicted = np.where(np.arange(63) % 4 == 0, (references + 1) % 3, references)
    scores = argmax_scores(metric, predicted, references, np.arange(3), resamples=300, seed=(0, 1))
    expected = scipy.stats.bootstrap((references, predicted), lambda g, p: macro_f1(g, p, labels=[0, 1, 2]),
                                     paired=True, vectorized=False, n_resamples=300, method="percentile",
                                     rng=np.random.default_rng((0, 1))).confidence_interval
    assert (scores["macro_f1_ci_low"], scores["macro_f1_ci_high"]) == pytest.approx((expected.low, expected.high))
    assert scores["macro_f1_ci_low"] < scores["macro_f1"] < scores["macro_f1_ci_high"]


class LengthModel(torch.nn.Module):
    """Logits [length, -length]: tells whether rows come back in input order and padding is masked."""

    config = type("Config", (), {"num_labels": 2})()

    def forward(self, input_ids, attention_mask):
        length = attention_mask.sum(dim=1, dtype=torch.float32)
        assert input_ids.shape[1] == attention_mask.shape[1] == int(length.max())  # padded to the batch's longest
        return type("Output", (), {"logits": torch.stack([length, -length], dim=1)})()


def test_inference_restores_the_input_order_after_sorting_by_length():
    sequences = [[1] * n for n in [5, 1, 9, 3, 3, 7, 2, 8, 4, 6, 1]]
    logits = predict_logits(LengthModel(), sequences, pad_id=0, batch_size=3, device=torch.device("cpu"),
                            progress=False)
    assert logits[:, 0].tolist() == [len(s) for s in sequences] and logits.dtype == np.float32


def test_the_command_line_prints_the_table(models, tmp_path, capsys):
    assert cli_main(["evaluate-massive", "--model", str(models["six_music"]), "--massive", str(SAMPLE),
                     "--output-dir", str(tmp_path / "o"), "--locales", "ru-RU,en-US", "--n-resamples", "200",
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert ["1", "en-US", "English", "150", "0.167"] in [row[:5] for row in markdown_rows(printed)]
    assert f"wrote {tmp_path / 'o'}" in printed


# ---- text modes --------------------------------------------------------------------------------------------

def with_text_mode(model_dir: Path, output_dir: Path, text_mode) -> Path:
    """A copy of a classifier whose config.json records `text_mode` (as train.py writes it)."""
    import shutil

    shutil.copytree(model_dir, output_dir)
    config = json.loads((output_dir / "config.json").read_text(encoding="utf-8"))
    config["ruqtopics_text_mode"] = text_mode
    (output_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return output_dir


@pytest.mark.parametrize("text_mode", ["question", "answer", "question_answer", None])
def test_utterances_are_encoded_as_the_model_read_its_training_texts(models, tmp_path, monkeypatch, text_mode):
    from transformers import AutoTokenizer

    model = with_text_mode(models["six"], tmp_path / "model", text_mode) if text_mode else models["six"]
    seen = {}
    original = evaluate_module.predict_logits

    def spy(model, sequences, **options):
        seen.update(sequences=sequences, token_types=options["token_types"])
        return original(model, sequences, **options)

    monkeypatch.setattr(evaluate_module, "predict_logits", spy)
    evaluate_model(model, SAMPLE, tmp_path / "out", locales="ru-RU", **FAST)
    summary = read_json_strictly(tmp_path / "out" / "results.json")["model"]
    assert summary["text_mode"] == text_mode
    assert summary["utterance_encoding"] == (UTTERANCE_RULES[text_mode] if text_mode else UNRECORDED_RULE)
    assert summary["utterance_encoding"] in (tmp_path / "out" / "results.md").read_text(encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(model)
    # every ru-RU test utterance, mapped or not: the sensitivity table scores them under every mapping
    utterances = [r["utt"] for r in official_rows(SAMPLE)["ru-RU"] if r["partition"] == "test"]
    if text_mode == "question_answer":  # [CLS] utterance [SEP] (empty answer) [SEP], the answer segment typed 1
        expected = {tuple(ids) for ids in tokenizer(utterances, [""] * len(utterances))["input_ids"]}
        assert all(ids[-2:] == (tokenizer.sep_token_id,) * 2 for ids in expected)
        assert all(types[-1] == 1 and set(types[:-1]) == {0} for types in seen["token_types"])
    else:  # question, answer, or not recorded: [CLS] utterance [SEP]
        expected = {tuple(tokenizer(utterance)["input_ids"]) for utterance in utterances}
        assert all(set(types) == {0} for types in seen["token_types"])
    assert len(seen["sequences"]) == len(utterances) == 198 and {tuple(ids) for ids in seen["sequences"]} <= expected


def test_a_text_mode_the_kit_does_not_know_is_an_error(models, tmp_path):
    model = with_text_mode(models["six"], tmp_path / "model", "title")
    with pytest.raises(ValueError, match="ruqtopics_text_mode in its config.json must be one of question, answer"):
        evaluate_model(model, SAMPLE, tmp_path / "out", **FAST)
    assert not (tmp_path / "out").exists()
