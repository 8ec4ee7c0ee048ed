"""--report-to: a tracker named but not installed stops before training; 'none' and 'all' as in transformers."""

import accelerate.tracking
import pytest
from train_helpers import files_under, run_train, train_argv

from ruqtopics_kit.core.errors import InvalidParameterError
from ruqtopics_kit.training.trackers import check_trackers, tracker_names


@pytest.mark.parametrize("report_to, names", [("none", []), ("", []), ("all", "all"), ("tensorboard,all", "all"),
                                              ("tensorboard, wandb", ["tensorboard", "wandb"])])
def test_tracker_names(report_to, names):
    assert tracker_names(report_to) == names


def test_a_tracker_not_installed_stops_before_training_in_one_line(tiny_backbone, exported_sample, tmp_path, capsys):
    output = tmp_path / "out"
    argv = [*train_argv(tiny_backbone, exported_sample, output), "--report-to", "tensorboard,wandb"]
    with pytest.raises(SystemExit) as exit_info:  # a usage error
        run_train(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error == ("ruqtopics train: error: --report-to tensorboard,wandb: wandb not installed: pip install wandb "
                     "(or pass --report-to none)")
    assert not output.exists()


def test_tensorboard_missing_names_its_install(monkeypatch):
    monkeypatch.setattr(accelerate.tracking, "get_available_trackers", lambda: [])
    with pytest.raises(ValueError, match=r"tensorboard not installed: pip install tensorboard \(or pass --report-to"):
        check_trackers("tensorboard")
    check_trackers("all")  # all installed trackers, of which there are none: no tracking, as in transformers
    check_trackers("none")


def test_an_unknown_tracker_is_an_option_error():
    with pytest.raises(InvalidParameterError, match="unknown tracker 'tensorbord'; accelerate has .*tensorboard"):
        check_trackers("tensorbord")


@pytest.mark.slow  # trains
@pytest.mark.parametrize("report_to, logged", [("all", True), ("none", False)])
def test_all_logs_to_every_installed_tracker_and_none_to_none(report_to, logged, tiny_backbone, exported_sample,
                                                              tmp_path):
    argv = train_argv(tiny_backbone, exported_sample, tmp_path / "out", "--max-train-steps", "3")
    argv[argv.index("--report-to") + 1] = report_to
    assert run_train(argv) == 0
    events = [name for name in files_under(tmp_path) if "tfevents" in name]
    assert bool(events) is logged, events
