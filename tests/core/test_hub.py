"""What an upload sends: the finished repository and the Hub's own `.eval_results/`, never local working state."""

from ruqtopics_kit.core.hub import upload_folder


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
