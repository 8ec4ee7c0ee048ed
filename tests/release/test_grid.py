"""The grid runner: one train.py process per config, finished runs skipped, interrupted ones resumed."""

import shutil

import pytest
from train_helpers import ROOT, read_json

from ruqtopics_kit.release import grid

SAMPLE_GRID = ROOT / "configs" / "sample"
SINGLE = SAMPLE_GRID / "tiny-single_label-question.yaml"


@pytest.fixture(scope="module")
def trained_grid(tiny_backbone, exported_sample, tmp_path_factory):
    """Two sample configs trained for 3 steps by the grid runner; returns (output root, train.py options)."""
    root = tmp_path_factory.mktemp("grid")
    extra = ["--backbone", str(tiny_backbone), "--dataset", str(exported_sample), "--max-train-steps", "3",
             "--max-eval-samples", "32", "--report-to", "none", "--mixed-precision", "no"]
    configs = [str(SINGLE), str(SAMPLE_GRID / "tiny-multi_label-*.yaml")]  # a file and a glob
    assert grid.main([*configs, "--output-root", str(root), "--", *extra]) == 0
    return root, configs, extra


def test_the_grid_trains_each_config_and_skips_finished_runs(trained_grid, capsys):
    root, configs, extra = trained_grid
    for name, metric in (("tiny-single_label-question", "accuracy"), ("tiny-multi_label-question", "micro_f1")):
        assert metric in read_json(root / name / "all_results.json")["test"]
    capsys.readouterr()
    assert grid.main([*configs, "--output-root", str(root), "--", *extra]) == 0
    assert capsys.readouterr().out.count("skipped") == 2


def test_the_plan_resumes_unfinished_runs(trained_grid, tmp_path):
    root, _, extra = trained_grid
    assert [run.status for run in grid.plan([SINGLE], root, extra, "python")] == ["finished"]
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    (copy / SINGLE.stem / "all_results.json").unlink()
    resume = grid.plan([SINGLE], copy, extra, "accelerate launch --num_processes 2")[0]
    assert resume.status == "resume" and resume.command[-2:] == ("--resume-from-checkpoint", "latest")
    assert resume.command[:3] == ("accelerate", "launch", "--num_processes")
    # changed options never count as finished; train.py itself refuses to train over another run's folder
    assert grid.plan([SINGLE], root, [*extra, "--seed", "7"], "python")[0].status != "finished"
    shutil.rmtree(copy / SINGLE.stem / "checkpoints")
    assert grid.plan([SINGLE], copy, extra, "python")[0].status == "train"


def test_bad_grid_arguments_are_reported(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grid.main([str(tmp_path / "nothing-*.yaml")])
    assert "names no YAML config" in capsys.readouterr().err
