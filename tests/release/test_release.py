"""The end-to-end release on the bundled sample (a smaller grid), resumed after a crash, then pushed."""

import dataclasses
import json
import os
import shutil

import datasets
import pandas as pd
import pytest
import scipy.stats
from checkout import ROOT
from huggingface_hub import DatasetCard, ModelCard, RepoCard
from table_helpers import markdown_rows
from transformers import pipeline

from ruqtopics_kit.analysis.sizes import DEFAULT_SIZES_FILE
from ruqtopics_kit.cli.release import parse_release
from ruqtopics_kit.core.hub import PushError
from ruqtopics_kit.release import pipeline as release_pipeline
from ruqtopics_kit.release.pipeline import push_repositories, run_release
from ruqtopics_kit.release.steps import Steps
from ruqtopics_kit.training.outputs import TrainingResults

pytestmark = pytest.mark.slow  # the shared sample release (tests/conftest.py) trains two models


def test_every_folder_loads_back(sample_release):
    release, report = sample_release
    six = datasets.load_dataset(str(release.layout.dataset_dir), "massive_aligned")
    assert six["train"].features["label"].names[0] == "музыка"
    classify = pipeline("text-classification", model=str(release.layout.model_dir("tiny-massive_aligned-question")))
    assert classify("Какую песню послушать?")[0]["label"] in six["train"].features["label"].names
    results = pd.read_csv(release.layout.massive_results("tiny-massive_aligned-question"))
    assert sorted(results["locale"]) == ["de-DE", "en-US", "ja-JP", "pl-PL", "ru-RU", "sw-KE"]
    correlations = pd.read_csv(release.layout.correlations("tiny-massive_aligned-question"))
    size = correlations.set_index(["predictor", "method"]).loc[("size", "spearman")]
    sizes = pd.read_csv(DEFAULT_SIZES_FILE).set_index("locale")["articles_2020_08"]
    expected = scipy.stats.spearmanr(results["accuracy"], sizes.loc[results["locale"]].to_numpy())
    assert size["n"] == 6 and size["statistic"] == pytest.approx(expected.statistic)
    assert not release.layout.massive_dir("tiny-multi_label-question").exists()  # not a MASSIVE model


def test_report_numbers_come_from_the_run(sample_release):
    release, report = sample_release
    text = report.read_text(encoding="utf-8")
    test = TrainingResults.read(release.layout.model_results("tiny-massive_aligned-question")).test
    assert f"{test['accuracy']:.4f}" in text
    results = pd.read_csv(release.layout.massive_results("tiny-massive_aligned-question"))
    ru = results.set_index("locale").loc["ru-RU", "accuracy"]
    assert ["ru-RU", "150", f"{ru:.4f}"] in [row[:3] for row in markdown_rows(text)]
    assert "Synthetic sample" in text and "accuracy.png" in text


def test_the_sample_models_learn_and_the_report_says_how_massive_was_encoded(sample_release):
    """The six-class and the multi-label models clear their floors (issue 13); the 76-class single-label floors
    (0.80) are checked by the full `release --sample` run recorded in configs/README.md."""
    release, report = sample_release
    test = TrainingResults.read(release.layout.model_results("tiny-massive_aligned-question")).test
    assert test["accuracy"] >= 0.90
    test = TrainingResults.read(release.layout.model_results("tiny-multi_label-question")).test
    assert test["micro_f1"] >= 0.60
    text = report.read_text(encoding="utf-8")
    assert ["`tiny-massive_aligned-question`", "question", "the utterance as the question"] in markdown_rows(text)
    assert "Not evaluated (multi-label models" in text and "`tiny-multi_label-question`." in text


def test_cards_link_each_other_and_parse(sample_release):
    release, _ = sample_release
    dataset_card = DatasetCard.load(release.layout.dataset_dir / "README.md")
    assert "acme/tiny-massive_aligned-question" in dataset_card.text
    model_card = ModelCard.load(release.layout.model_dir("tiny-massive_aligned-question") / "README.md")
    assert "acme/ruqtopics" in (model_card.data.datasets or [])
    locales = {result.dataset_config for result in model_card.data.eval_results}
    assert {"ru-RU", "en-US"} <= locales


@pytest.fixture
def release_copy(sample_release, tmp_path):
    """A copy of the shared sample release, for a test that changes it: the others read the original."""
    release, _ = sample_release
    shutil.copytree(release.output_dir, tmp_path / "release", symlinks=True)
    return dataclasses.replace(release, output_dir=tmp_path / "release")


def test_a_rerun_skips_finished_steps_and_redoes_a_lost_one(release_copy):
    release = release_copy
    shutil.rmtree(release.layout.analysis_root)
    (release.output_dir / ".release" / "analysis__tiny-massive_aligned-question.json").unlink()
    logs = []
    run_release(release, log=logs.append)
    assert "[skip] dataset: done with the same inputs" in logs
    trained = release.layout.model_dir("tiny-massive_aligned-question")
    assert any(line.endswith(f"tiny-massive_aligned-question.yaml: finished in {trained}, skipped") for line in logs)
    assert "[run]  analysis/tiny-massive_aligned-question" in logs
    assert release.layout.correlations("tiny-massive_aligned-question").exists()


def test_push_uploads_every_repository(sample_release, fake_hub, monkeypatch, tmp_path):
    """The push step on a copy of the sample's repositories with the synthetic tag taken off their cards (the
    sample itself is never pushed: tests/release/test_synthetic_push.py)."""
    release, _ = sample_release
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.fake")
    monkeypatch.setenv("HF_TOKEN", "hf_fake")
    copy = dataclasses.replace(release, output_dir=tmp_path / "release", push=True)
    model = "tiny-massive_aligned-question"
    for folder in (release.layout.dataset_dir, release.layout.model_dir(model)):
        shutil.copytree(folder, copy.layout.hub_dir / folder.name)
    steps = Steps(copy.layout.state_dir, log=lambda line: None)
    with pytest.raises(PushError, match="tagged 'synthetic-sample'"):
        push_repositories(copy, [model], steps, log=lambda line: None)
    for folder in (copy.layout.dataset_dir, copy.layout.model_dir(model)):
        card = RepoCard.load(folder / "README.md")
        card.data.tags = [tag for tag in card.data.tags if tag != "synthetic-sample"]
        card.save(folder / "README.md")
    push_repositories(copy, [model], steps, log=lambda line: None)
    assert "README.md" in fake_hub.files("acme/ruqtopics", "dataset")
    files = fake_hub.files(f"acme/{model}", "model")
    assert {"README.md", "model.safetensors", "config.json"} <= files
    assert not [name for name in files if name.startswith("checkpoints/")]


def test_sample_with_a_backbone_trains_that_backbone(tmp_path, monkeypatch):
    """`--sample --backbone X`: the sample's data and grid with X, not the tiny backbone built on the fly."""
    used = []

    def stop_before_training(release, backbone, log):
        used.append(backbone)
        raise release_pipeline.ReleaseError("stopped here")

    monkeypatch.setattr(release_pipeline, "_train", stop_before_training)
    release = parse_release(["--sample", "--backbone", "my-org/my-bert", "--output-dir", str(tmp_path / "out")])
    with pytest.raises(release_pipeline.ReleaseError, match="stopped here"):
        run_release(release, log=lambda line: None)
    assert used == ["my-org/my-bert"] and not (tmp_path / "out" / "work" / "tiny-backbone").exists()


def test_release_needs_data_unless_sample(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_release(["--output-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--data-dir, --massive, --grid required (or --sample" in capsys.readouterr().err


def test_no_published_file_names_the_machine(sample_release):
    release, _ = sample_release
    local = [str(release.output_dir.parent), str(ROOT)]
    leaking = [path.relative_to(release.output_dir).as_posix() for path in release.output_dir.rglob("*")
               if path.is_file() and path.suffix != ".log"  # the grid's local run logs are never published
               and any(text.encode() in path.read_bytes() for text in local)]
    assert leaking == []


def test_published_files_follow_the_umask(sample_release):
    release, _ = sample_release
    umask = os.umask(0o022)
    os.umask(umask)
    for path in [release.layout.report, *release.layout.hub_dir.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o777 if path.is_dir() else 0o666) & ~umask, path


def test_a_step_whose_output_is_gone_runs_again_and_so_do_its_users(release_copy):
    release = release_copy
    name = "tiny-massive_aligned-question"
    shutil.rmtree(release.layout.massive_dir(name))  # deleted after the step finished; its stamp stays
    logs = []
    run_release(release, log=logs.append)
    assert f"[run]  massive/{name} (its output {release.output_dir / 'massive' / name} is gone)" in logs
    assert f"[run]  analysis/{name}" in logs  # it reads the evaluation that ran again
    assert "[skip] dataset: done with the same inputs" in logs
    assert release.layout.massive_results(name).exists()


def test_a_step_whose_output_lost_a_file_runs_again_and_the_models_check_its_content(release_copy):
    """A deleted Parquet shard: the export runs again (not "Done" with a broken dataset); the trainings verify the
    dataset's content, which the deterministic export restored, so they stay finished."""
    release = release_copy
    shard = next((release.layout.dataset_dir / "single_label").glob("test-*.parquet"))
    shard.unlink()
    (release.layout.analysis_dir("tiny-massive_aligned-question") / "summary.json").unlink()
    logs = []
    run_release(release, log=logs.append)
    assert f"[run]  dataset (its output {shard} is gone since it finished)" in logs
    assert shard.is_file()
    assert sum(line.endswith(", skipped") for line in logs) == 2  # both models: same data, same backbone
    assert any(line.startswith("[run]  analysis/tiny-massive_aligned-question (its output ") for line in logs)


def test_no_placeholder_id_survives_in_any_file_of_the_release(sample_release):
    release, _ = sample_release
    files = [path for path in release.output_dir.rglob("*") if path.is_file()]
    assert len(files) > 20 and not [path for path in files if b"<org>" in path.read_bytes()]
    model_card = ModelCard.load(release.layout.model_dir("tiny-massive_aligned-question") / "README.md")
    assert 'model="acme/tiny-massive_aligned-question"' in model_card.text
    dataset_card = DatasetCard.load(release.layout.dataset_dir / "README.md")
    assert 'load_dataset("acme/ruqtopics", "single_label")' in dataset_card.text
    massive = {result.dataset_name for result in model_card.data.eval_results} - {"RuQTopics"}
    # the bundled MASSIVE sample is synthetic: its results name it, never a real MASSIVE release
    assert massive == {"the RuQTopics kit's synthetic sample in the MASSIVE 1.1 layout, 6 scenarios mapped to "
                       "RuQTopics (mapping default)"}


def test_published_models_take_texts_of_any_length(sample_release):
    release, _ = sample_release
    folder = release.layout.model_dir("tiny-massive_aligned-question")
    assert json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))["model_max_length"] == 512
    classify = pipeline("text-classification", model=str(folder))
    text = " ".join(["Какую песню послушать вечером в дороге?"] * 500)
    assert len(classify.tokenizer(text, truncation=False)["input_ids"]) > 3200
    assert classify(text, truncation=True)[0]["label"] in classify.model.config.label2id


def test_the_massive_protocol_is_named_and_its_sensitivity_shown(sample_release):
    release, report = sample_release
    text = report.read_text(encoding="utf-8")
    folder = release.output_dir / "massive" / "tiny-massive_aligned-question"
    assert (folder / "predictions.parquet").is_file() and (folder / "sensitivity.csv").is_file()
    assert "accuracy (6 of 6 logits)" in text
    assert "ru-RU under every bundled mapping and score" in text and "INFERRED" in text
    assert "synthetic sample, not MASSIVE: its counts are not checked" in text
    options = parse_release(["--sample", "--output-dir", "x", "--mapping", "extended",
                             "--massive-split", "dev", "--massive-score", "full"]).massive_options
    assert options == {"locales": "all", "mapping": "extended", "split": "dev", "score": "full", "bootstrap": 10000,
                       "seed": 42}
