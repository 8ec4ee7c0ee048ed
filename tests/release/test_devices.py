"""Each of the grid's parallel runs gets its own GPUs (CUDA_VISIBLE_DEVICES), read back from the children's
environment; no GPU needed: the launcher is a script that records what it was given instead of training."""

import shutil
import sys
from collections import Counter

import pytest
from train_helpers import ROOT

from ruqtopics_kit import cli
from ruqtopics_kit.release.devices import DeviceSlots

SINGLE = ROOT / "configs" / "sample" / "tiny-single_label-question.yaml"
RECORDER = """
import os, sys, time
output = sys.argv[sys.argv.index("--output-dir") + 1]
time.sleep(0.5)  # the runs overlap: a slot is held for a run's length
with open(output + ".devices", "w") as file:
    file.write(os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
"""


def _grid_devices(tmp_path, runs: int, *options: str) -> tuple[list[str], str]:
    """Run `runs` copies of a sample config through `ruqtopics grid` with the recording launcher; return each child's
    CUDA_VISIBLE_DEVICES and what the grid printed."""
    configs = tmp_path / "configs"
    configs.mkdir()
    for index in range(runs):
        shutil.copy(SINGLE, configs / f"run{index}.yaml")
    recorder = tmp_path / "recorder.py"
    recorder.write_text(RECORDER, encoding="utf-8")
    root = tmp_path / "runs"
    status = cli.main(["grid", str(configs), "--output-dir", str(root), "--launch", f"{sys.executable} {recorder}",
                        *options, "--", "--backbone", "b", "--dataset", "d"])
    assert status == 0
    return [(root / f"run{index}.devices").read_text(encoding="utf-8") for index in range(runs)]


def test_four_runs_on_four_gpus_get_one_each(tmp_path, capsys):
    assert sorted(_grid_devices(tmp_path, 4, "--gpus", "0,1,2,3", "--jobs", "4")) == ["0", "1", "2", "3"]
    assert "4 run(s) at once on 4 GPU(s) (0,1,2,3), 1 per run\n" in capsys.readouterr().out


def test_eight_runs_on_four_gpus_share_them_two_each_and_say_so(tmp_path, capsys):
    assert Counter(_grid_devices(tmp_path, 8, "--gpus", "0,1,2,3", "--jobs", "8")) == {g: 2 for g in "0123"}
    assert "runs SHARE devices: 4 GPU(s) run 2 at once" in capsys.readouterr().out


def test_gpus_per_run_and_the_visible_gpus(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    assert sorted(_grid_devices(tmp_path, 2, "--jobs", "2", "--gpus-per-run", "2")) == ["4,5", "6,7"]


def test_without_gpus_nothing_is_set_and_bad_requests_are_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert DeviceSlots.assign(2, ()).environment(1) == {}
    assert _grid_devices(tmp_path, 1, "--jobs", "2") == [""]  # inherited, unchanged
    for options, message in ((["--gpus", "0,0"], "distinct"), (["--gpus", "0,1", "--gpus-per-run", "3"],
                                                                 "only 2 GPU(s) visible")):
        with pytest.raises(SystemExit):
            cli.main(["grid", str(SINGLE), *options])
        assert message in capsys.readouterr().err


def test_the_release_trains_with_the_grids_device_and_slurm_options(tmp_path, capsys):
    from ruqtopics_kit.cli.release import parse_release as parse_args

    release = parse_args(["--sample", "--output-dir", str(tmp_path / "out"), "--jobs", "2", "--gpus", "0,1"])
    assert release.jobs == 2 and release.devices.slots == (("0",), ("1",)) and release.slurm is None
    release = parse_args(["--sample", "--output-dir", str(tmp_path / "out"), "--executor", "slurm", "--partition",
                          "gpu", "--gpus-per-run", "2", "--sbatch", "constraint=a100"])
    slurm = release.slurm
    assert (slurm.partition, slurm.gpus_per_run, slurm.sbatch) == ("gpu", 2, ("constraint=a100",))
    assert slurm.executor_parameters()["additional_parameters"] == {"constraint": "a100"}
    with pytest.raises(SystemExit):  # the release goes on with MASSIVE once its jobs are done: it always waits
        parse_args(["--sample", "--output-dir", str(tmp_path / "out"), "--executor", "slurm", "--no-wait"])
    with pytest.raises(SystemExit):
        parse_args(["--sample", "--output-dir", str(tmp_path / "out"), "--executor", "slurm", "--sbatch", "a100"])
    assert "--sbatch: expected KEY=VALUE" in capsys.readouterr().err
