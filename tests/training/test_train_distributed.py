"""Two CPU processes (ACCELERATE_USE_CPU=1: gloo, MULTI_CPU) train what one process trains.

`accelerate launch --cpu --num_processes 2` would start a single process (its simple launcher needs mpirun for
several CPU processes), so the first test trains through the command that train.py's launch check gives,
`ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu` (torchrun's launcher inside: tests/training/test_launchers.py),
and the second through torchrun itself, as accelerate's own CPU tests do. Both runs of the first are the same
paper-style command, a total batch of 16 (`--total-train-batch-size`): the 2 processes take 8 examples each per
optimizer step, the 16 that 1 process takes alone, so without dropout the weights agree up to float summation
order, and the validation metrics are the same.

The processes run train.py's main through a wrapper that counts the DistributedDataParallel models alive when
training ends (`Accelerator.end_training` destroys the process group): one alive then is how a process hung at
exit, its reducer destroying the gloo group with the GIL held (see `training.loop.end`).
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from train_helpers import (
    ROOT,
    accelerate_launch,
    dropout_free_copy,
    files_under,
    python,
    read_json,
    run_train,
    train_argv,
    weights,
)

from ruqtopics_kit.training.checkpoints import work_dir

pytestmark = pytest.mark.slow  # trains models

COUNTING_MAIN = """
import gc, sys
import accelerate, torch
from ruqtopics_kit.cli import main

def counting(end_training):
    def wrapper(self):  # no collection here: a model left in a reference cycle counts
        alive = sum(isinstance(o, torch.nn.parallel.DistributedDataParallel) for o in gc.get_objects())
        print(f"DistributedDataParallel models alive at end_training: {alive}", flush=True)
        return end_training(self)
    return wrapper

accelerate.Accelerator.end_training = counting(accelerate.Accelerator.end_training)
sys.exit(main(["train", *sys.argv[1:]]))
"""


TOTAL_BATCH = ("--total-train-batch-size", "16")  # per device at most 16 (train_helpers.FAST)


@pytest.fixture(scope="module")
def no_dropout_backbone(tiny_backbone, tmp_path_factory):
    return dropout_free_copy(tiny_backbone, tmp_path_factory.mktemp("no_dropout"))


def test_two_processes_match_one_and_only_the_main_process_writes(no_dropout_backbone, exported_sample, tmp_path):
    one, two = tmp_path / "one_process", tmp_path / "two_processes"
    script = tmp_path / "counting_train.py"
    script.write_text(COUNTING_MAIN, encoding="utf-8")
    result = accelerate_launch("--multi_gpu", "--num_processes", "2", "--main_process_port", "0", script=str(script),
                               argv=train_argv(no_dropout_backbone, exported_sample, two, *TOTAL_BATCH),
                               ACCELERATE_USE_CPU="1")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert result.stdout.count("DistributedDataParallel models alive at end_training: 0") == 2, result.stdout[-2000:]
    single = train_argv(no_dropout_backbone, exported_sample, one, *TOTAL_BATCH)
    assert run_train(single) == 0

    results_one, results_two = read_json(one / "all_results.json"), read_json(two / "all_results.json")
    assert results_two["run"]["num_processes"] == 2 and results_one["run"]["num_processes"] == 1
    assert results_two["run"]["effective_batch_size"] == results_one["run"]["effective_batch_size"] == 16
    for folder, split in ((one, (16, 1)), (two, (8, 1))):  # the three numbers, in training_args.json and the card
        args = read_json(folder / "training_args.json")
        assert (args["per_device_train_batch_size"], args["gradient_accumulation_steps"]) == split
        assert args["total_train_batch_size"] == 16
        card = (folder / "README.md").read_text(encoding="utf-8")
        assert f"{split[0]} per device x" in card and "total_train_batch_size 16" in card
    for split in ("validation", "test"):
        for metric in ("accuracy", "macro_f1"):
            assert results_two[split][metric] == results_one[split][metric], (split, metric)
        assert results_two[split]["loss"] == pytest.approx(results_one[split]["loss"], abs=1e-5)
    assert results_two["best_step"] == results_one["best_step"]
    a, b = weights(one), weights(two)
    assert all(torch.allclose(a[name], b[name], atol=1e-5) for name in a)
    # one writer: the same files as one process, plus the second process's RNG state in each checkpoint
    assert files_under(two) == files_under(one)
    assert files_under(work_dir(two)) - files_under(work_dir(one)) == {"checkpoints/step_6/random_states_1.pkl"}
    assert files_under(work_dir(one)) <= files_under(work_dir(two))
    log = result.stdout + result.stderr
    assert log.count("***** Running training *****") == 1 and log.count("model repository written to") == 1


def test_a_stop_signal_to_one_rank_stops_both_at_one_checkpoint(tiny_backbone, exported_sample, tmp_path):
    """A scheduler's stop request (training.preemption) that reaches rank 1 only: both ranks agree on the step,
    save one checkpoint there and exit with STOPPED_STATUS, which torchrun reports as a failure."""
    output, log = tmp_path / "run", tmp_path / "log.txt"
    argv = train_argv(tiny_backbone, exported_sample, output, *TOTAL_BATCH, "--max-train-steps", "400",
                      "--logging-steps", "5", "--eval-steps", "1000", "--checkpointing-steps", "none")
    torchrun = python("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1"}
    with open(log, "w", encoding="utf-8") as out:
        launcher = subprocess.Popen([*torchrun, "-m", "ruqtopics_kit", "train", *argv], cwd=ROOT, env=environment,
                                    stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while "step 10:" not in log.read_text(encoding="utf-8"):
                assert launcher.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.2)
            os.kill(_rank_pid(launcher.pid, 1), signal.SIGUSR1)
            assert launcher.wait(timeout=300) != 0
        finally:
            launcher.kill()
    text = log.read_text(encoding="utf-8")
    stopped = re.findall(r"a stop signal to another process: stopped at optimizer step (\d+)", text)  # rank 0
    assert len(stopped) == 1, text[-3000:]
    assert "exitcode  : 3" in text and not (output / "all_results.json").exists()
    assert {f"checkpoints/step_{stopped[0]}/random_states_{rank}.pkl" for rank in (0, 1)} <= files_under(
        work_dir(output))


def _rank_pid(launcher: int, rank: int) -> int:
    """The pid of the torchrun worker of `rank` (a child of the launcher, with RANK in its environment)."""
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(status.read_text().rsplit(")", 1)[1].split()[1])
            environment = (status.parent / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if parent == launcher and f"RANK={rank}".encode() in environment:
            return int(status.parent.name)
    raise AssertionError(f"no worker of rank {rank} under torchrun {launcher}")
