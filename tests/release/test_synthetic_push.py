"""Synthetic never passes for real: pushing the bundled sample, or anything made from it, is refused before any
work, in one line; results on the synthetic MASSIVE sample name that sample in the model-index."""

import pytest
from huggingface_hub import ModelCard

from ruqtopics_kit.cli import main
from ruqtopics_kit.core.hub import PushError, upload_folder
from ruqtopics_kit.dataset.export import is_synthetic_source
from ruqtopics_kit.massive.card import SYNTHETIC_MASSIVE, add_massive_results
from ruqtopics_kit.release.pipeline import SAMPLE_DATA, SAMPLE_MASSIVE


def test_the_bundled_samples_are_recognised(tmp_path):
    assert is_synthetic_source(SAMPLE_DATA) and is_synthetic_source(SAMPLE_MASSIVE)
    assert not is_synthetic_source(tmp_path) and not is_synthetic_source("AmazonScience/massive")


def test_release_sample_push_is_refused_before_any_work(tmp_path, capsys):
    output = tmp_path / "release"
    assert main(["release", "--sample", "--push-to-hub", "--output-dir", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused to push: the data are the kit's synthetic sample" in err
    assert not output.exists()  # nothing ran
    # the sample's data or MASSIVE copy named explicitly are the sample too
    assert main(["release", "--data-dir", str(SAMPLE_DATA), "--massive", str(SAMPLE_DATA), "--grid", "sample",
                 "--push-to-hub", "--output-dir", str(output)]) == 1
    assert "refused to push" in capsys.readouterr().err and not output.exists()


def test_export_push_of_the_sample_is_refused_before_any_work(tmp_path, capsys):
    output = tmp_path / "dataset"
    assert main(["export", "--data-dir", str(SAMPLE_DATA), "--output-dir", str(output), "--push-to-hub",
                 "--hub-dataset-id", "someone/ruqtopics"]) == 1
    assert "refused to push" in capsys.readouterr().err and not output.exists()


def test_a_folder_whose_card_is_tagged_synthetic_is_never_uploaded(tmp_path):
    (tmp_path / "README.md").write_text("---\ntags:\n- synthetic-sample\n---\n# a sample model\n", encoding="utf-8")
    with pytest.raises(PushError, match="tagged 'synthetic-sample'"):
        upload_folder(tmp_path, "someone/model", repo_type="model", commit_message="x",
                      endpoint="http://127.0.0.1:9", refuse_tag="synthetic-sample")  # refused before the network


def test_the_model_index_names_the_synthetic_massive_sample(tmp_path):
    (tmp_path / "README.md").write_text("---\nlicense: apache-2.0\n---\n# model\n", encoding="utf-8")
    card = ModelCard.load(tmp_path / "README.md")
    add_massive_results(card, [{"locale": "ru-RU", "accuracy": 0.5}], massive_kind="official archive",
                        version="1.1", split="test", mapping="default", mapped_scenarios=6, revision=None,
                        model_name="m", source=str(SAMPLE_MASSIVE))
    (result,) = card.data.eval_results
    assert result.dataset_type == SYNTHETIC_MASSIVE != "AmazonScience/massive"
    assert result.dataset_name.startswith("the RuQTopics kit's synthetic sample")
    assert "synthetic-sample" in card.data.tags
