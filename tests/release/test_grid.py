"""The grid runner: one train.py process per config, finished runs skipped, interrupted ones resumed."""

import shutil

import pytest
import torch
from train_helpers import ROOT, read_json, weights

from ruqtopics_kit import cli
from ruqtopics_kit.core.processes import threads_per_job
from ruqtopics_kit.release import grid
from ruqtopics_kit.training.checkpoints import checkpoints_dir

SAMPLE_GRID = ROOT / "configs" / "sample"
SINGLE = SAMPLE_GRID / "tiny-single_label-question.yaml"

pytestmark = pytest.mark.slow  # trains models


@pytest.fixture(scope="module")
def trained_grid(tiny_backbone, exported_sample, tmp_path_factory):
    """Two sample configs trained for 3 steps by the grid runner, two at a time, beside a third that fails;
    returns (output root, configs, train.py options, the grid's printed output)."""
    root = tmp_path_factory.mktemp("grid")
    extra = ["--backbone", str(tiny_backbone), "--dataset", str(exported_sample), "--max-train-steps", "3",
             "--max-eval-samples", "32", "--report-to", "none", "--mixed-precision", "no"]
    configs = [str(SINGLE), str(SAMPLE_GRID / "tiny-multi_label-*.yaml")]  # a file and a glob
    failing = root / "configs" / "failing.yaml"
    failing.parent.mkdir()
    shutil.copy(SINGLE, failing)
    (root / "failing").mkdir()
    (root / "failing" / "notes.txt").write_text("not a train.py run", encoding="utf-8")  # train.py refuses it
    printed = []
    failed = grid.run_grid(grid.plan(grid.expand([*configs, str(failing)]), root, extra, "python"), jobs=2,
                           log=printed.append)
    assert [run.config_file.name for run in failed] == ["failing.yaml"]
    return root, configs, extra, "\n".join(printed)


def test_the_grid_trains_each_config_and_skips_finished_runs(trained_grid, capsys):
    root, configs, extra, printed = trained_grid
    for name, metric in (("tiny-single_label-question", "accuracy"), ("tiny-multi_label-question", "micro_f1")):
        assert metric in read_json(root / name / "all_results.json")["test"]
        assert "model repository written to" in (root / f"{name}.log").read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["grid", *configs, "--output-dir", str(root), "--jobs", "2", "--", *extra]) == 0
    assert capsys.readouterr().out.count("skipped") == 2


def test_a_failed_run_does_not_stop_the_others_and_its_log_is_shown(trained_grid):
    root, _, _, printed = trained_grid
    assert "is not empty and holds no training_args.json" in (root / "failing.log").read_text(encoding="utf-8")
    assert "failing.yaml: FAILED (exit status 1)" in printed and "holds no training_args.json" in printed
    assert (root / "failing" / "notes.txt").is_file() and not (root / "failing" / "all_results.json").exists()


def test_runs_side_by_side_equal_the_same_runs_alone(trained_grid, tmp_path, monkeypatch):
    """Bitwise, given the same CPU threads per run: two jobs at once change nothing in either run."""
    root, configs, extra, printed = trained_grid
    threads = grid.job_environment(2)["OMP_NUM_THREADS"]  # cores // 2, or OMP_NUM_THREADS when set (pytest -n)
    assert f"with {threads} CPU thread(s)" in printed
    monkeypatch.setenv("OMP_NUM_THREADS", threads)
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--", *extra]) == 0
    alone, beside = tmp_path / SINGLE.stem, root / SINGLE.stem
    expected, actual = weights(alone), weights(beside)
    assert expected.keys() == actual.keys() and all(torch.equal(expected[k], actual[k]) for k in expected)
    assert read_json(alone / "all_results.json")["test"] == read_json(beside / "all_results.json")["test"]


def test_the_plan_resumes_unfinished_runs(trained_grid, tmp_path):
    root, _, extra, _ = trained_grid
    assert [run.status for run in grid.plan([SINGLE], root, extra, "python")] == ["finished"]
    copy = root.parent / f"{root.name}-copy"  # beside it: its inputs are named relative to the run's folder
    shutil.copytree(root, copy)
    (copy / SINGLE.stem / "all_results.json").unlink()
    resume = grid.plan([SINGLE], copy, extra, "accelerate launch --num_processes 2")[0]
    assert resume.status == "resume" and resume.command[-2:] == ("--resume-from-checkpoint", "latest")
    assert resume.command[:3] == ("accelerate", "launch", "--num_processes")
    # changed options never count as finished; train.py itself refuses to train over another run's folder
    assert grid.plan([SINGLE], root, [*extra, "--seed", "7"], "python")[0].status != "finished"
    shutil.rmtree(checkpoints_dir(copy / SINGLE.stem))  # stopped before its first checkpoint: starts afresh in place
    assert grid.plan([SINGLE], copy, extra, "python")[0].status == "resume"
    assert grid.plan([SINGLE], copy, [*extra, "--seed", "7"], "python")[0].status == "train"  # not this run
    (copy / SINGLE.stem / "training_args.json").unlink()
    assert grid.plan([SINGLE], copy, extra, "python")[0].status == "train"
    assert grid.plan([SINGLE], copy, extra, "python")[0].config.dataset_config_name == "single_label"


def test_bad_grid_arguments_are_reported(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["grid", str(tmp_path / "nothing-*.yaml")])
    assert "names no YAML config" in capsys.readouterr().err


def test_parallel_jobs_share_the_cores_unless_the_threads_are_set(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # pytest -n sets it for its workers
    assert grid.job_environment(2)["OMP_NUM_THREADS"] == str(threads_per_job(2))
    assert "OMP_NUM_THREADS" not in grid.job_environment(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert grid.job_environment(2)["OMP_NUM_THREADS"] == "3"


def test_seeds_train_each_config_once_per_seed_and_skip_per_seed(tiny_backbone, exported_sample, tmp_path, capsys):
    extra = ["--backbone", str(tiny_backbone), "--dataset", str(exported_sample), "--max-train-steps", "2",
             "--max-eval-samples", "16", "--report-to", "none", "--mixed-precision", "no"]
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--seeds", "3", "--jobs", "2", "--",
                     *extra]) == 0
    folders = {seed: tmp_path / name for seed, name in ((42, SINGLE.stem), (43, f"{SINGLE.stem}-seed43"),
                                                        (44, f"{SINGLE.stem}-seed44"))}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")) == \
        sorted(folder.name for folder in folders.values())
    for seed, folder in folders.items():
        assert read_json(folder / "all_results.json")["run"]["config"]["seed"] == seed
    first, second = weights(folders[42]), weights(folders[43])
    assert any(not torch.equal(first[name], second[name]) for name in first)  # another head, another batch order
    capsys.readouterr()
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--seeds", "42,44", "--", *extra]) == 0
    out = capsys.readouterr().out
    assert out.count("skipped") == 2 and "tiny-single_label-question.yaml seed 44: finished" in out
    planned = grid.plan([SINGLE], tmp_path, extra, "python", seeds=4)
    assert [run.status for run in planned] == ["finished"] * 3 + ["train"]
    assert planned[-1].output_dir.name == f"{SINGLE.stem}-seed45"


@pytest.mark.parametrize("value", ["0", "x", "1,1", "4,-1", ","])
def test_bad_seeds_are_reported(value, capsys):
    with pytest.raises(SystemExit):
        cli.main(["grid", str(SINGLE), "--seeds", value])
    assert "--seeds" in capsys.readouterr().err
