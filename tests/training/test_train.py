"""train.py end to end, in this process, on the bundled sample with the tiny backbone (a few optimizer steps each)."""

import shutil

import datasets
import numpy as np
import pandas as pd
import pytest
import torch
from huggingface_hub import DatasetCard, HfApi, ModelCard
from train_helpers import (
    dropout_free_copy,
    files_under,
    output_of,
    read_json,
    run_train,
    train_argv,
    weights,
    with_output,
)
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, pipeline

from ruqtopics_kit.facts.labels import all_topics
from ruqtopics_kit.metrics import load_topic_metric
from ruqtopics_kit.training.checkpoints import checkpoints_dir, work_dir
from ruqtopics_kit.training.evaluation import THRESHOLDS

TOPICS = all_topics()
REPOSITORY = {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "training_args.json",
              "README.md", "all_results.json", "test_predictions.parquet"}


@pytest.fixture(scope="module")
def no_dropout_backbone(tiny_backbone, tmp_path_factory):
    return dropout_free_copy(tiny_backbone, tmp_path_factory.mktemp("no_dropout"))


@pytest.fixture(scope="module")
def single(tiny_backbone, exported_sample, tmp_path_factory):
    """A finished single-label run and its command line."""
    argv = train_argv(tiny_backbone, exported_sample, tmp_path_factory.mktemp("single") / "model")
    assert run_train(argv) == 0
    return argv


def test_the_output_folder_is_a_complete_model_repository(single):
    folder = output_of(single)
    assert REPOSITORY <= files_under(folder)
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]  # no staging left behind
    assert {p.name for p in checkpoints_dir(folder).iterdir()} == {"step_6", "best_model.safetensors"}
    assert not {"checkpoints", "runs"} & {p.name for p in folder.iterdir()}  # training state is beside it
    results = read_json(folder / "all_results.json")
    assert set(results["validation"]) == set(results["test"]) == {"accuracy", "macro_f1", "loss"}
    assert results["completed_steps"] == 6 and results["best_step"] in (3, 6) and not results["stopped_early"]
    assert results["run"]["config"] == read_json(folder / "training_args.json")
    assert results["run"]["max_length"] == 32 and results["run"]["effective_batch_size"] == 16
    final, best = weights(folder), weights(checkpoints_dir(folder), "best_model.safetensors")
    assert all(torch.equal(final[name], best[name]) for name in final)  # the final model is the best evaluation


def test_config_and_pipeline_speak_russian_class_names(single):
    folder = output_of(single)
    config = AutoConfig.from_pretrained(folder)
    assert config.id2label == TOPICS.id2label() and config.label2id == TOPICS.label2id()
    assert config.problem_type == "single_label_classification"
    assert config.ruqtopics_text_mode == "question"  # what evaluate_massive.py encodes utterances as
    classify = pipeline("text-classification", model=str(folder))
    prediction = classify("Какой фильм посмотреть вечером?")[0]
    assert prediction["label"] in TOPICS.names
    model, tokenizer = AutoModelForSequenceClassification.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    with torch.inference_mode():
        logits = model(**tokenizer("Какой фильм посмотреть вечером?", return_tensors="pt")).logits[0]
    assert prediction["label"] == TOPICS.names[int(logits.argmax())]


def test_test_predictions_are_per_example_and_match_the_model_and_the_scores(single):
    folder = output_of(single)
    predictions = pd.read_parquet(folder / "test_predictions.parquet")
    assert list(predictions.columns) == ["id", "label", "prediction", "score"]
    test = datasets.load_dataset(single[single.index("--dataset") + 1], "single_label", split="test").select(range(48))
    assert list(predictions["id"]) == list(test["id"])  # dataset order, whatever order the loader used
    assert list(predictions["label"]) == list(test["label"])
    model, tokenizer = AutoModelForSequenceClassification.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    with torch.inference_mode():
        encoded = tokenizer(list(test["question"]), truncation=True, max_length=32, padding=True, return_tensors="pt")
        probabilities = torch.softmax(model(**encoded).logits, -1)
    assert list(predictions["prediction"]) == probabilities.argmax(-1).tolist()
    assert np.allclose(predictions["score"], probabilities.max(-1).values.numpy(), atol=6e-5)
    accuracy = (predictions["label"] == predictions["prediction"]).mean()
    assert accuracy == pytest.approx(read_json(folder / "all_results.json")["test"]["accuracy"])


def test_rerunning_a_finished_run_trains_nothing(single, caplog):
    folder = output_of(single)
    before = {name: (folder / name).stat().st_mtime_ns for name in REPOSITORY}
    assert run_train(single) == 0
    assert {name: (folder / name).stat().st_mtime_ns for name in REPOSITORY} == before
    assert "already holds this finished run" in caplog.text


def test_an_output_folder_of_another_run_is_refused_before_anything_happens(single, capsys):
    folder = output_of(single)
    before = {name: (folder / name).stat().st_mtime_ns for name in REPOSITORY}
    assert run_train(single + ["--learning-rate", "2e-3"]) == 1
    assert "holds a different run (learning_rate: 0.001 -> 0.002)" in capsys.readouterr().err
    assert {name: (folder / name).stat().st_mtime_ns for name in REPOSITORY} == before


def test_an_unfinished_run_needs_resume_or_overwrite(single, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(output_of(single), copy)
    (copy / "all_results.json").unlink()
    argv = with_output(single, copy)
    assert run_train(argv) == 1
    assert "unfinished run with these options; pass --resume-from-checkpoint latest" in capsys.readouterr().err
    assert run_train(argv + ["--resume-from-checkpoint", "latest"]) == 0  # resumes at step 6: finishes only
    assert read_json(copy / "all_results.json")["test"] == read_json(output_of(single) / "all_results.json")["test"]


@pytest.mark.parametrize("problem", ["missing backbone", "label names", "foreign folder", "missing checkpoint",
                                     "max length"])
def test_bad_setups_fail_before_training(problem, tiny_backbone, exported_sample, tmp_path, capsys):
    output, dataset, backbone, extra = tmp_path / "out", exported_sample, tiny_backbone, []
    if problem == "missing backbone":
        backbone, message = tmp_path / "no-such-backbone", "does not exist. Expected a registry name"
    elif problem == "label names":  # the exported card's YAML names the classes; spell ё as е
        dataset = tmp_path / "dataset"
        shutil.copytree(exported_sample, dataset)
        card = dataset / "README.md"
        card.write_text(card.read_text(encoding="utf-8").replace("самолёты", "самолеты"), encoding="utf-8")
        message = "first difference at id 61: 'самолеты' instead of 'самолёты'"
    elif problem == "foreign folder":
        output.mkdir()
        (output / "notes.txt").write_text("mine")
        message = "is not empty and holds no training_args.json"
    elif problem == "missing checkpoint":
        extra, message = ["--resume-from-checkpoint", str(tmp_path / "gone")], "not a complete checkpoint"
    else:
        extra, message = ["--max-length", "4096"], "--max-length 4096 exceeds what backbone"
    assert run_train(train_argv(backbone, dataset, output, *extra)) == 1
    assert message in capsys.readouterr().err
    assert not output.exists() or files_under(output) == {"notes.txt"}


def test_multi_label_saves_the_validation_threshold_and_uses_it_on_test(tiny_backbone, exported_sample, tmp_path):
    folder = tmp_path / "multi"
    assert run_train(train_argv(tiny_backbone, exported_sample, folder, config="multi_label")) == 0
    results, config = read_json(folder / "all_results.json"), AutoConfig.from_pretrained(folder)
    assert config.problem_type == "multi_label_classification" and config.id2label == TOPICS.id2label()
    assert config.decision_threshold == results["decision_threshold"] and config.decision_threshold in THRESHOLDS
    assert set(results["test"]) == {"micro_f1", "macro_f1", "subset_accuracy", "loss"}
    # the test scores are those of the saved threshold, recomputed here from the saved model
    test = datasets.load_dataset(str(exported_sample), "multi_label", split="test")
    test = test.select(range(min(48, len(test))))  # --max-eval-samples 48
    model, tokenizer = AutoModelForSequenceClassification.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    with torch.inference_mode():
        encoded = tokenizer(list(test["question"]), truncation=True, max_length=32, padding=True, return_tensors="pt")
        probabilities = torch.sigmoid(model(**encoded).logits).numpy()
    references = np.zeros((len(test), len(TOPICS)), dtype=np.int8)
    for row, ids in enumerate(test["labels"]):
        references[row, ids] = 1
    expected = load_topic_metric(True).compute(predictions=(probabilities >= config.decision_threshold).astype(np.int8),
                                               references=references)
    assert results["test"]["micro_f1"] == pytest.approx(expected["micro_f1"])
    saved = pd.read_parquet(folder / "test_predictions.parquet")
    assert list(saved["id"]) == list(test["id"])
    assert [list(ids) for ids in saved["labels"]] == [sorted(ids) for ids in test["labels"]]
    assert [list(ids) for ids in saved["predictions"]] == [
        np.flatnonzero(row >= config.decision_threshold).tolist() for row in probabilities]
    scores = pipeline("text-classification", model=str(folder))("Какой фильм посмотреть вечером?", top_k=None)
    assert {s["label"] for s in scores} == set(TOPICS.names)  # sigmoid scores for all 76 topics
    assert sum(s["score"] for s in scores) > 1.5


def test_early_stopping_state_survives_a_resume(tiny_backbone, exported_sample, tmp_path):
    """A learning rate too small to change any prediction: no evaluation after the first one is better."""
    still = ["--learning-rate", "1e-12", "--eval-steps", "1", "--checkpointing-steps", "1",
             "--checkpoints-total-limit", "10", "--early-stopping-patience", "2", "--max-train-steps", "10"]
    uninterrupted = tmp_path / "uninterrupted"
    assert run_train(train_argv(tiny_backbone, exported_sample, uninterrupted, *still)) == 0
    results = read_json(uninterrupted / "all_results.json")
    assert (results["best_step"], results["completed_steps"], results["stopped_early"]) == (1, 3, True)
    # back to the checkpoint of step 2 (one evaluation without improvement so far), then resume
    resumed = tmp_path / "resumed"
    shutil.copytree(uninterrupted, resumed)
    shutil.copytree(work_dir(uninterrupted), work_dir(resumed))
    (resumed / "all_results.json").unlink()
    shutil.rmtree(checkpoints_dir(resumed) / "step_3")
    assert run_train(train_argv(tiny_backbone, exported_sample, resumed, *still,
                                "--resume-from-checkpoint", "latest")) == 0
    assert read_json(resumed / "all_results.json")["completed_steps"] == 3  # not 4: the count was restored


def test_gradient_accumulation_equals_a_larger_batch(no_dropout_backbone, exported_sample, tmp_path):
    """Two accumulated micro-batches of 8 make the same optimizer steps as batches of 16 (dropout off)."""
    large, accumulated = tmp_path / "large", tmp_path / "accumulated"
    assert run_train(train_argv(no_dropout_backbone, exported_sample, large)) == 0
    assert run_train(train_argv(no_dropout_backbone, exported_sample, accumulated,
                                "--per-device-train-batch-size", "8", "--gradient-accumulation-steps", "2")) == 0
    a, b = weights(large), weights(accumulated)
    assert all(torch.allclose(a[name], b[name], atol=1e-5) for name in a)
    assert read_json(large / "all_results.json")["validation"]["accuracy"] == \
        read_json(accumulated / "all_results.json")["validation"]["accuracy"]


def test_push_after_a_failed_upload_retries_without_retraining(tiny_backbone, exported_sample, tmp_path, fake_hub,
                                                               monkeypatch, capfd, caplog):
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.fake")
    token = "hf_not_a_real_token_456"
    folder = tmp_path / "pushed"
    argv = train_argv(tiny_backbone, exported_sample, folder, "--report-to", "tensorboard", "--push-to-hub",
                      "--hub-model-id", "org/tiny-topics", "--hub-token", token)
    assert run_train(argv) == 1  # the synthetic sample is never pushed: refused before training
    assert "refused to push: the data are the kit's synthetic sample" in capfd.readouterr().err
    assert not folder.exists()
    unmarked = tmp_path / "unmarked"  # the same records exported without the synthetic tag, to test the upload
    shutil.copytree(exported_sample, unmarked)
    card = DatasetCard.load(unmarked / "README.md")
    card.data.tags = [tag for tag in card.data.tags if tag != "synthetic-sample"]
    card.save(unmarked / "README.md")
    argv = train_argv(tiny_backbone, unmarked, folder, "--report-to", "tensorboard", "--push-to-hub",
                      "--hub-model-id", "org/tiny-topics", "--hub-token", token)
    fake_hub.fail_next_commits = 1
    assert run_train(argv) == 1
    error = capfd.readouterr().err.strip().splitlines()[-1]  # one line, no traceback
    assert error.startswith(f"ruqtopics train: error: uploading {folder} to org/tiny-topics failed: ")
    assert error.endswith("The local folder is complete and unchanged; uploading it again retries (nothing was sent).")
    assert token not in error
    local = files_under(folder)
    assert REPOSITORY <= local and fake_hub.files("org/tiny-topics") == set()  # nothing lost, nothing half-sent
    state = files_under(work_dir(folder))  # the training state lives beside the repository folder, not in it
    assert any(name.startswith("runs/") for name in state) and any(name.startswith("checkpoints/") for name in state)
    weights_before = (folder / "model.safetensors").stat().st_mtime_ns

    assert run_train(argv) == 0  # the retry: the run is finished, so it only uploads
    assert (folder / "model.safetensors").stat().st_mtime_ns == weights_before
    uploaded = fake_hub.files("org/tiny-topics")
    assert uploaded == local
    assert (fake_hub.repo_dir("org/tiny-topics") / "README.md").read_bytes() == (folder / "README.md").read_bytes()
    assert f"Bearer {token}" in fake_hub.authorization_headers
    output = capfd.readouterr()
    assert token not in output.out + output.err + caplog.text
    assert not [path for path in folder.rglob("*") if path.is_file() and token.encode() in path.read_bytes()]
    assert ModelCard.load(folder / "README.md").data.model_name == "tiny-topics"
    # what a user's plain upload of the folder publishes: no checkpoint, optimizer, RNG state or TensorBoard file
    api = HfApi(endpoint="https://hub.fake", token=token)
    api.create_repo("org/plain")
    with pytest.warns(UserWarning, match="data file"):  # huggingface_hub's, on the predictions (core/hub.py)
        api.upload_folder(repo_id="org/plain", folder_path=folder)
    plain = fake_hub.files("org/plain")
    assert not [name for name in plain if "checkpoint" in name or name.endswith((".pkl", ".bin", ".pt"))
                or "tfevents" in name or name.startswith(("runs/", "checkpoints/"))], plain
    assert plain == uploaded
