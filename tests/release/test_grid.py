"""The grid runner: one train.py process per config, finished runs skipped, interrupted ones resumed.

The grid launches its runs here through `--launch`, as the fork client (tests/training/fork_client.py): a light
process that the grid starts, logs, stops and waits for as it does `python -m ruqtopics_kit train`, whose training
is forked by a fork server that imported the trainer once (tests/training/fork_server.py, as multiprocessing's
"forkserver" start method does). The module's seven runs so skip the 3 CPU-seconds of imports each, on a suite
bound by CPU. The plain `python -m ruqtopics_kit train` process is run by the release's tests
(tests/release/test_release_paths.py, tests/packaging/test_wheel.py, the shared sample release).
"""

import dataclasses
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from train_helpers import ROOT, python, read_json, weights

from ruqtopics_kit import cli
from ruqtopics_kit.core.processes import threads_per_job
from ruqtopics_kit.release import grid
from ruqtopics_kit.training.checkpoints import checkpoints_dir
from ruqtopics_kit.training.config import TrainingConfig, printable

SAMPLE_GRID = ROOT / "configs" / "sample"
SINGLE = SAMPLE_GRID / "tiny-single_label-question.yaml"
FORK_SERVER = ROOT / "tests" / "training" / "fork_server.py"
FORK_CLIENT = FORK_SERVER.with_name("fork_client.py")

pytestmark = pytest.mark.slow  # trains models


@pytest.fixture(scope="module")
def launch(tmp_path_factory):
    """`--launch` for the runs of this module: the fork client, whose runs the fork server (running until the module
    ends) forks. The server, and so its runs, have the Hugging Face home of tests/conftest.py."""
    folder = tmp_path_factory.mktemp("fork_server")
    with subprocess.Popen(python(str(FORK_SERVER), "--socket", str(folder / "socket")), cwd=ROOT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout.readline() == "ready\n", server.stderr.read()[-3000:]
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("FORK_SERVER_SOCKET", str(folder / "socket"))  # fork_client.SOCKET_VARIABLE
                yield shlex.join(python(str(FORK_CLIENT)))
        finally:
            server.stdin.close()  # the server ends once its runs have
            assert server.wait(timeout=60) == 0, server.stderr.read()[-3000:]


@pytest.fixture(scope="module")
def trained_grid(tiny_backbone, exported_sample, tmp_path_factory, launch):
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
    failed = grid.run_grid(grid.plan(grid.expand([*configs, str(failing)]), root, extra, launch), jobs=2,
                           log=printed.append)
    assert [run.config_file.name for run in failed] == ["failing.yaml"]
    return root, configs, extra, "\n".join(printed)


def test_the_grid_trains_each_config_and_skips_finished_runs(trained_grid, launch, capsys):
    root, configs, extra, printed = trained_grid
    for name, metric in (("tiny-single_label-question", "accuracy"), ("tiny-multi_label-question", "micro_f1")):
        assert metric in read_json(root / name / "all_results.json")["test"]
        assert "model repository written to" in (root / f"{name}.log").read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["grid", *configs, "--output-dir", str(root), "--jobs", "2", "--launch", launch, "--",
                     *extra]) == 0
    assert capsys.readouterr().out.count("skipped") == 2


def test_a_failed_run_does_not_stop_the_others_and_its_log_is_shown(trained_grid):
    root, _, _, printed = trained_grid
    assert "is not empty and holds no training_args.json" in (root / "failing.log").read_text(encoding="utf-8")
    assert "failing.yaml: FAILED (exit status 1)" in printed and "holds no training_args.json" in printed
    assert (root / "failing" / "notes.txt").is_file() and not (root / "failing" / "all_results.json").exists()


def test_runs_side_by_side_equal_the_same_runs_alone(trained_grid, launch, tmp_path, monkeypatch):
    """Bitwise, given the same CPU threads per run: two jobs at once change nothing in either run."""
    root, configs, extra, printed = trained_grid
    threads = grid.job_environment(2)["OMP_NUM_THREADS"]  # cores // 2, or OMP_NUM_THREADS when set (pytest -n)
    assert f"with {threads} CPU thread(s)" in printed
    monkeypatch.setenv("OMP_NUM_THREADS", threads)
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--launch", launch, "--", *extra]) == 0
    alone, beside = tmp_path / SINGLE.stem, root / SINGLE.stem
    expected, actual = weights(alone), weights(beside)
    assert expected.keys() == actual.keys() and all(torch.equal(expected[k], actual[k]) for k in expected)
    assert read_json(alone / "all_results.json")["test"] == read_json(beside / "all_results.json")["test"]


def test_the_plan_resumes_unfinished_runs(trained_grid, launch, tmp_path):
    root, _, extra, _ = trained_grid
    assert [run.status for run in grid.plan([SINGLE], root, extra, launch)] == ["finished"]
    copy = root.parent / f"{root.name}-copy"  # beside it: its inputs are named relative to the run's folder
    shutil.copytree(root, copy)
    (copy / SINGLE.stem / "all_results.json").unlink()
    resume = grid.plan([SINGLE], copy, extra, "accelerate launch --num_processes 2")[0]
    assert resume.status == "resume" and resume.command[-2:] == ("--resume-from-checkpoint", "latest")
    assert resume.command[:3] == ("accelerate", "launch", "--num_processes")
    # changed options never count as finished; train.py itself refuses to train over another run's folder
    assert grid.plan([SINGLE], root, [*extra, "--seed", "7"], launch)[0].status != "finished"
    shutil.rmtree(checkpoints_dir(copy / SINGLE.stem))  # stopped before its first checkpoint: starts afresh in place
    assert grid.plan([SINGLE], copy, extra, launch)[0].status == "resume"
    assert grid.plan([SINGLE], copy, [*extra, "--seed", "7"], launch)[0].status == "train"  # not this run
    (copy / SINGLE.stem / "training_args.json").unlink()
    assert grid.plan([SINGLE], copy, extra, launch)[0].status == "train"
    assert grid.plan([SINGLE], copy, extra, launch)[0].config.dataset_config_name == "single_label"


def test_a_finished_run_is_verified_and_a_stale_one_trained_again(trained_grid, launch, tmp_path):
    """Its published files there and complete, its inputs' content and its card's ids as now; else "retrain"."""
    root, _, extra, _ = trained_grid
    copy = root.parent / f"{root.name}-stale"
    shutil.copytree(root, copy)
    run = copy / SINGLE.stem

    def planned(options=extra):
        return grid.plan([SINGLE], copy, options, launch)[0]

    assert planned().status == "finished"
    renamed = planned([*extra, "--hub-model-id", "other/name"])
    assert renamed.status == "retrain" and renamed.command[-1] == "--overwrite-output-dir"
    assert renamed.stale == "its card was written for --hub-model-id None (now other/name)"
    weights_file = run / "model.safetensors"
    weights_file.write_bytes(weights_file.read_bytes()[:-100])  # a truncated copy
    assert planned().stale.startswith("its model.safetensors is incomplete (")
    weights_file.unlink()
    assert planned().stale == "its model.safetensors is missing"
    shutil.copy(root / SINGLE.stem / "model.safetensors", weights_file)
    assert planned().status == "finished"
    dataset = Path(extra[extra.index("--dataset") + 1])  # the same path, other content (restored afterwards)
    shard, card = next((dataset / "single_label").glob("test-*.parquet")), dataset / "README.md"
    shard_bytes, card_bytes = shard.read_bytes(), card.read_bytes()
    try:
        shard.write_bytes(shard_bytes + b"\0")
        assert planned().stale == "--dataset holds other content than it was trained on"
        shard.write_bytes(shard_bytes)
        card.write_bytes(card_bytes + b"models: listed by the release\n")  # the card is no training input
        assert planned().status == "finished"
    finally:
        shard.write_bytes(shard_bytes)
        card.write_bytes(card_bytes)


def test_a_results_file_of_another_tool_is_no_finished_run(tmp_path):
    """HF Trainer's all_results.json (no "run" record) in a grid folder: train.py is left to refuse the folder."""
    run = tmp_path / SINGLE.stem
    run.mkdir()
    (run / "all_results.json").write_text('{"epoch": 3.0, "eval_accuracy": 0.5}', encoding="utf-8")
    assert grid.plan([SINGLE], tmp_path, ["--backbone", "b", "--dataset", "d"], "python")[0].status == "train"


def test_printed_commands_mask_the_hub_token():
    command = ("python", "-m", "ruqtopics_kit", "train", "--hub-token", "hf_secret", "--hub_token=hf_other", "--x")
    assert printable(command) == "python -m ruqtopics_kit train --hub-token '***' '--hub_token=***' --x"


def test_every_secret_option_of_train_is_masked():
    """What training_args.json leaves out (a field with repr=False) is what printed commands mask, in both spellings."""
    secrets = [spec.name for spec in dataclasses.fields(TrainingConfig) if not spec.repr]
    assert secrets
    for name in secrets:
        for flag in (f"--{name}", f"--{name.replace('_', '-')}"):
            assert printable((flag, "v", f"{flag}=v")) == f"{flag} '***' '{flag}=***'"


def test_bad_grid_arguments_are_reported(tmp_path, capsys):
    assert cli.main(["grid", str(tmp_path / "nothing-*.yaml")]) == 1  # a missing input, as in every command
    assert "names no YAML config" in capsys.readouterr().err


def test_parallel_jobs_share_the_cores_unless_the_threads_are_set(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # pytest -n sets it for its workers
    assert grid.job_environment(2)["OMP_NUM_THREADS"] == str(threads_per_job(2))
    assert "OMP_NUM_THREADS" not in grid.job_environment(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert grid.job_environment(2)["OMP_NUM_THREADS"] == "3"


def test_seeds_train_each_config_once_per_seed_and_skip_per_seed(tiny_backbone, exported_sample, launch, tmp_path,
                                                                 capsys):
    extra = ["--backbone", str(tiny_backbone), "--dataset", str(exported_sample), "--max-train-steps", "2",
             "--max-eval-samples", "16", "--report-to", "none", "--mixed-precision", "no"]
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--seeds", "3", "--jobs", "2", "--launch",
                     launch, "--", *extra]) == 0
    folders = {seed: tmp_path / name for seed, name in ((42, SINGLE.stem), (43, f"{SINGLE.stem}-seed43"),
                                                        (44, f"{SINGLE.stem}-seed44"))}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")) == \
        sorted(folder.name for folder in folders.values())
    for seed, folder in folders.items():
        assert read_json(folder / "all_results.json")["run"]["config"]["seed"] == seed
    first, second = weights(folders[42]), weights(folders[43])
    assert any(not torch.equal(first[name], second[name]) for name in first)  # another head, another batch order
    capsys.readouterr()
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--seeds", "42,44", "--launch", launch, "--",
                     *extra]) == 0
    out = capsys.readouterr().out
    assert out.count("skipped") == 2 and "tiny-single_label-question.yaml seed 44: finished" in out
    planned = grid.plan([SINGLE], tmp_path, extra, launch, seeds=4)
    assert [run.status for run in planned] == ["finished"] * 3 + ["train"]
    assert planned[-1].output_dir.name == f"{SINGLE.stem}-seed45"


@pytest.mark.parametrize("value", ["0", "x", "1,1", "4,-1", ","])
def test_bad_seeds_are_reported(value, capsys):
    with pytest.raises(SystemExit):
        cli.main(["grid", str(SINGLE), "--seeds", value])
    assert "--seeds" in capsys.readouterr().err


@pytest.mark.parametrize("name, seeds", [(SINGLE.name, "1"), (f"{SINGLE.stem}-seed43.yaml", "42,43")])
def test_two_configs_that_would_share_a_run_folder_are_refused_before_any_run(name, seeds, tmp_path, capsys):
    other = tmp_path / "other" / name
    other.parent.mkdir()
    shutil.copyfile(SINGLE, other)
    argv = ["grid", str(SINGLE), str(other), "--seeds", seeds, "--output-dir", str(tmp_path / "runs"), "--",
            "--backbone", str(tmp_path), "--dataset", str(tmp_path)]
    assert cli.main(argv) == 1 and not (tmp_path / "runs").exists()
    err = capsys.readouterr().err
    assert str(SINGLE) in err and str(other) in err and f"would both train into {tmp_path / 'runs'}" in err
