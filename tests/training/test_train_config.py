"""train.py's options: command line, YAML config files, checks, what is recorded (never the token)."""

import dataclasses
from pathlib import Path

import pytest
from checkout import ROOT
from parser_helpers import help_entries

from ruqtopics_kit.facts.backbones import registry, resolve_backbone
from ruqtopics_kit.training.config import TrainingConfig, build_parser, parse_args

REQUIRED = ["--backbone", "mbert-cased", "--dataset", "org/ruqtopics", "--output-dir", "out"]


def write_yaml(tmp_path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_every_option_has_help():
    config = parse_args(REQUIRED)
    assert (config.dataset_config_name, config.text_mode, config.learning_rate, config.checkpointing_steps) == \
        ("single_label", "question", 2e-5, "epoch")
    assert config.best_metric == "accuracy" and config.greater_is_better
    entries = help_entries(build_parser())
    assert "--backbone" in entries and [flag for flag, described in entries.items() if not described] == []


def test_yaml_keys_with_dashes_or_underscores_and_the_command_line_wins(tmp_path):
    path = write_yaml(tmp_path, "backbone: rubert-base-conversational\ndataset: org/ruqtopics\noutput-dir: out\n"
                                "learning_rate: 3e-5\nper-device-train-batch-size: 64\npush_to_hub: false\n"
                                "checkpointing_steps: 500\ndataset_config_name: multi_label\nmax_length: null\n")
    config = parse_args(["--config-file", str(path), "--learning-rate", "1e-4"])
    assert config.backbone == "rubert-base-conversational" and config.per_device_train_batch_size == 64
    assert config.learning_rate == 1e-4  # command line over file; "3e-5" (a YAML string) would parse too
    assert config.checkpointing_steps == 500 and config.dataset_config_name == "multi_label"
    assert config.best_metric == "micro_f1"
    assert parse_args(["--config-file", str(path)]).learning_rate == 3e-5
    assert parse_args(["--config-file", str(path), "--checkpointing-steps", "none"]).checkpointing_steps is None


@pytest.mark.parametrize("text, message", [
    ("learning_rat: 1e-5\n", "unknown option 'learning_rat'; did you mean 'learning_rate'"),
    ("push_to_hub: 'maybe'\n",
     "option 'push_to_hub': argument --push_to_hub/--push-to-hub: Truthy value expected: got maybe"),
    ("backbone: false\n", "option 'backbone' is not a switch (set by true or false); got False"),
    ("hub_private: false\nhub-private: true\n", "option 'hub-private' is given twice (as 'hub_private' too)"),
    ("config_file: other.yaml\n", "unknown option 'config_file'"),
    ("text_mode: both\n", "option 'text_mode': argument --text_mode/--text-mode: invalid choice: 'both'"),
    ("seed: [1, 2]\n", "option 'seed' takes a single value"),
    ("config: multi_label\n", "unknown option 'config'; did you mean 'dataset_config_name'"),  # renamed
])
def test_bad_yaml_is_an_error_that_names_the_key(tmp_path, capsys, text, message):
    path = write_yaml(tmp_path, text)
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--config-file", str(path), *REQUIRED])
    assert exit_info.value.code == 1 and message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "d", "--output-dir", "o"], "the following arguments are required: --backbone"),
    ([*REQUIRED, "--backbone", ""], "--backbone must not be empty"),
    ([*REQUIRED, "--learning-rate", "0"], "--learning-rate must be > 0; got 0.0"),
    ([*REQUIRED, "--per-device-train-batch-size", "0"], "--per-device-train-batch-size must be a positive integer"),
    ([*REQUIRED, "--warmup-ratio", "0.1", "--warmup-steps", "10"], "give --warmup-ratio or --warmup-steps, not both"),
    ([*REQUIRED, "--lr-scheduler-type", "reduce_lr_on_plateau", "--warmup-ratio", "0.1"],
     "reduce_lr_on_plateau starts at the full learning rate and has no warmup"),
    ([*REQUIRED, "--lr-plateau-factor", "0.5"], "--lr-plateau-factor must be > 1 (the learning rate is divided by it)"),
    ([*REQUIRED, "--lr-plateau-patience", "0"], "--lr-plateau-patience must be a positive integer"),
    ([*REQUIRED, "--metric-for-best-model", "micro_f1"],
     "The '--metric-for-best-model' parameter must be one of 'accuracy', 'macro_f1', 'loss' for config "
     "'single_label'. Got 'micro_f1' instead."),
    ([*REQUIRED, "--push-to-hub"], "--push-to-hub needs --hub-model-id ORG/NAME"),
    ([*REQUIRED, "--checkpointing-steps", "often"],
     "--checkpointing-steps: expected a positive integer, 'epoch' or 'none'; got 'often'"),
    ([*REQUIRED, "--overwrite-output-dir", "--resume-from-checkpoint", "latest"], "pass one of them"),
    ([*REQUIRED, "--torch-compile", "--torch-compile-backend", "eager", "--torch-compile-mode", "reduce-overhead"],
     "--torch-compile-mode reduce-overhead is an inductor mode; got --torch-compile-backend eager"),
])
def test_bad_options_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err


def test_switches_from_the_command_line_and_from_yaml(tmp_path):
    assert parse_args([*REQUIRED, "--torch-compile"]).torch_compile is True
    assert parse_args([*REQUIRED, "--torch_compile", "false"]).torch_compile is False
    path = write_yaml(tmp_path, "torch_compile: true\nhub-private: false\n")
    config = parse_args(["--config-file", str(path), *REQUIRED])
    assert config.torch_compile is True and config.hub_private is False
    assert parse_args(["--config-file", str(path), *REQUIRED, "--torch-compile", "no"]).torch_compile is False
    assert parse_args(["--config-file", str(path), *REQUIRED, "--no-torch-compile"]).torch_compile is False
    assert parse_args(REQUIRED).torch_compile is False


def test_identity_names_real_options_and_reads_runs_saved_before_the_rename():
    from ruqtopics_kit.training.config import NOT_IDENTITY, identity_of

    assert NOT_IDENTITY < {spec.name for spec in dataclasses.fields(TrainingConfig)}
    config = parse_args([*REQUIRED, "--dataset-config-name", "multi_label"])
    saved = config.to_dict()
    saved["config"] = saved.pop("dataset_config_name")  # training_args.json as written before the rename
    assert identity_of(saved) == config.identity()


def test_the_token_is_never_recorded():
    config = parse_args([*REQUIRED, "--hub-token", "hf_secret_123", "--push-to-hub", "--hub-model-id", "org/m"])
    assert config.hub_token == "hf_secret_123"
    assert "hf_secret_123" not in repr(config) + str(config.to_dict()) + str(config.identity())


def test_identity_covers_what_changes_the_model_only():
    base = parse_args(REQUIRED)
    assert base.identity() == dataclasses.replace(base, output_dir="elsewhere", report_to="none",
                                                  checkpointing_steps=10).identity()
    assert base.identity() != dataclasses.replace(base, learning_rate=3e-5).identity()


def test_every_shipped_config_parses_and_names_a_registry_backbone():
    configs = sorted((ROOT / "configs").rglob("*.yaml"))
    assert len(configs) >= 16
    for path in configs:
        config = parse_args(["--config-file", str(path), *(["--output-dir", "out"] if "output_dir" not in
                                                           path.read_text(encoding="utf-8") else [])])
        assert isinstance(config, TrainingConfig)
        assert path.stem.endswith(f"-{config.dataset_config_name}-{config.text_mode}"), path
        if path.parent.name.startswith("paper"):
            assert config.backbone in registry(), path


def test_backbone_names_paths_and_hub_ids(tmp_path):
    assert resolve_backbone("mbert-cased").source == "google-bert/bert-base-multilingual-cased"
    assert resolve_backbone("DeepPavlov/rubert-base-cased-conversational").description  # registry by Hub id
    assert resolve_backbone(str(tmp_path)).is_local
    assert resolve_backbone("someone/some-bert").hub_id == "someone/some-bert"
    for missing in (str(tmp_path / "nope"), "./nope", "a/b/c"):
        with pytest.raises(FileNotFoundError, match="does not exist. Expected a registry name"):
            resolve_backbone(missing)


def test_a_total_batch_is_split_between_the_processes_and_kept():
    from ruqtopics_kit.training.config import resolve_batch

    config = parse_args([*REQUIRED, "--total-train-batch-size", "64", "--per-device-train-batch-size", "24"])
    splits = {processes: resolve_batch(config, processes) for processes in (1, 2, 4, 8)}
    assert {processes: (split.per_device_train_batch_size, split.gradient_accumulation_steps)
            for processes, split in splits.items()} == {1: (16, 4), 2: (16, 2), 4: (16, 1), 8: (8, 1)}
    for processes, split in splits.items():
        assert resolve_batch(split, processes) == split and split.identity() == config.identity()
        assert split.to_dict()["total_train_batch_size"] == 64
    assert resolve_batch(parse_args(REQUIRED), 2) == parse_args(REQUIRED)  # no total: the options as given
    with pytest.raises(ValueError, match="cannot be split evenly between 3 processes"):
        resolve_batch(config, 3)
    with pytest.raises(ValueError, match="not both"):
        resolve_batch(dataclasses.replace(config, gradient_accumulation_steps=3), 1)


def test_train_refuses_a_total_batch_its_processes_cannot_reach_in_one_line(monkeypatch, capsys, tmp_path):
    from ruqtopics_kit.cli import main

    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(SystemExit) as exit_info:  # a usage error
        main(["train", *REQUIRED[:4], "--output-dir", str(tmp_path / "out"), "--total-train-batch-size", "64"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "64 cannot be split evenly between 3 processes" in error
    assert not (tmp_path / "out").exists()


def test_the_paper_configs_name_their_total_batch():
    for path in sorted((ROOT / "configs" / "paper").glob("*.yaml")):
        config = parse_args(["--config-file", str(path), "--output-dir", "out"])
        assert config.total_train_batch_size in (32, 64), path


def test_a_planner_reads_a_runs_state_from_training(tmp_path):
    """The grid asks training (`planned_state`), which decides as train.py will: fresh, to resume, finished, or a
    folder train.py refuses (None), or finished but stale (`stale_reason`: trained again)."""
    from ruqtopics_kit.core.jsonio import write_json
    from ruqtopics_kit.training.outputs import ARGS_FILE, RESULTS_FILE, OutputState, TrainingResults, planned_state

    out = tmp_path / "run"
    config = parse_args([*REQUIRED[:-1], str(out), "--overwrite-output-dir"])
    assert planned_state(config)[0] is OutputState.FRESH
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert planned_state(config)[0] is None  # not a run of train.py: the planner leaves it to train.py
    (out / "notes.txt").unlink()
    write_json(out / ARGS_FILE, config.to_dict())
    assert planned_state(config)[0] is OutputState.UNFINISHED
    write_json(out / RESULTS_FILE, {"run": {"config": config.to_dict()}})
    assert planned_state(config)[0] is None  # no all_results.json of the kit: train.py names it
    TrainingResults({"accuracy": 1.0}, None, 1, 1, False, {"config": config.to_dict()}).write(out / RESULTS_FILE)
    assert planned_state(config)[0] is OutputState.STALE  # finished, but its weights and card are missing
    other = parse_args([*REQUIRED[:-1], str(out), "--learning-rate", "1e-4"])
    assert planned_state(other)[0] is None  # another run's folder
