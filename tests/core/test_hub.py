"""What an upload sends: the finished repository and the Hub's own `.eval_results/`, never local working state."""

import warnings

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi

from ruqtopics_kit.core.hub import DATA_FILE_WARNING, upload_folder


def test_the_upload_keeps_eval_results_and_leaves_out_working_state(tmp_path, fake_hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.fake")
    monkeypatch.setenv("HF_TOKEN", "hf_fake")
    folder = tmp_path / "model"
    files = {"README.md": "card", "config.json": "{}", ".eval_results/ruqtopics.yaml": "- value: 0.8\n",
             "onnx/model.txt": "x",
             ".repository.tmp/model.safetensors": "staged", ".hidden": "x", "onnx/.partial": "x",
             "checkpoints/step_3/state.json": "{}", "runs/events": "x", "notes.tmp": "x"}
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content, encoding="utf-8")
    upload_folder(folder, "acme/model", repo_type="model", commit_message="test")
    assert fake_hub.files("acme/model", "model") == {"README.md", "config.json", ".eval_results/ruqtopics.yaml",
                                                     "onnx/model.txt"}


def test_the_push_of_a_model_with_its_predictions_does_not_warn_a_plain_upload_does(tmp_path, fake_hub, monkeypatch):
    """huggingface_hub warns on any .parquet in a model repository; the kit publishes its predictions there on
    purpose and silences that warning only (core/hub.py, DATA_FILE_WARNING)."""
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.fake")
    monkeypatch.setenv("HF_TOKEN", "hf_fake")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("card", encoding="utf-8")
    pq.write_table(pa.table({"id": ["a"]}), folder / "test_predictions.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        upload_folder(folder, "acme/model", repo_type="model", commit_message="test")
    assert fake_hub.files("acme/model", "model") == {"README.md", "test_predictions.parquet"}
    with pytest.warns(UserWarning, match=DATA_FILE_WARNING):
        HfApi(endpoint="https://hub.fake").upload_folder(repo_id="acme/model", folder_path=folder)
