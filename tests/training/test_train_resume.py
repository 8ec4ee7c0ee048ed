"""SIGKILL, then `--resume-from-checkpoint latest`: the same final weights and metrics as an uninterrupted run.

Each run is its own process, with one thread, so that float sums happen in the same order everywhere. A killed run
kills itself with SIGKILL at a chosen point, through a wrapper installed before train.py's main: after an
optimizer step between checkpoints, while a checkpoint is being saved (before its rename), or while the finished
repository is being moved into place. The runs cross epoch boundaries and accumulate gradients, so the resumed
run has to restart inside an epoch and inside the batch order. The plateau schedule's run is killed after its
learning rate was divided once and before it is divided again, so the resumed run needs the schedule's saved
state (its best value and count of evaluations without improvement) to divide at the same step.

The runs' processes are forked from one process that has imported the trainer and runs nothing itself
(`fork_server.py`, as multiprocessing's "forkserver" start method is): a child is a fresh train.py process without
the 6 s of imports, which ten processes would spend over again.
"""

import contextlib
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
import torch
from train_helpers import ROOT, files_under, python, read_json, train_argv, weights

from ruqtopics_kit.training.checkpoints import completed_checkpoints

pytestmark = pytest.mark.slow  # ten training processes

FORK_SERVER = Path(__file__).with_name("fork_server.py")  # imports the trainer once, forks a process per run

# 64 examples in batches of 8 with 2 accumulated: 4 optimizer steps per epoch, 10 steps = 3 epochs.
OPTIONS = ["--max-train-samples", "64", "--per-device-train-batch-size", "8", "--gradient-accumulation-steps", "2",
           "--max-train-steps", "10", "--eval-steps", "2", "--checkpointing-steps", "3"]
SCENARIOS = {"optimizer step": 5,  # killed between the checkpoints of steps 3 and 6
             "checkpoint save": 2,  # killed inside the save of step 6, before it is renamed into place
             "repository move": 2,  # killed after the first file of the finished repository was moved in
             "plateau": 8}  # the plateau schedule, killed at an optimizer step between the checkpoints of 6 and 9
# The plateau runs divide the learning rate after every evaluation (one per 2 steps) without a better accuracy.
PLATEAU = ["--lr-scheduler-type", "reduce_lr_on_plateau", "--lr-plateau-patience", "1"]
DIVIDED = "learning rate divided by 2"


@contextlib.contextmanager
def fork_server():
    """The fork server, one thread per process, until the block ends."""
    with subprocess.Popen(python(str(FORK_SERVER)), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}) as server:
        try:
            yield server
        finally:
            server.stdin.close()
            assert server.wait(timeout=60) == 0, server.stderr.read()[-3000:]


def run_forked(server, jobs: dict[str, dict], logs) -> dict[str, tuple[int, str]]:
    """Each job (train.py's argv, optionally where and after how many calls to kill itself) in its own process
    forked by `server`, all at once; returns each job's exit status (-9: killed by SIGKILL) and output."""
    for name, job in jobs.items():
        job["log"] = str(logs / f"{name.replace(' ', '_')}.log")  # the child's stdout and stderr
    server.stdin.write(json.dumps(jobs) + "\n")
    server.stdin.flush()
    deadline = threading.Timer(600, server.kill)  # a run that hangs fails the test instead of blocking it
    deadline.start()
    try:
        answer = server.stdout.readline()
    finally:
        deadline.cancel()
    assert answer, f"the fork server ended or was killed after 600 s: {server.stderr.read()[-3000:]}"
    statuses = json.loads(answer)
    return {name: (statuses[name], Path(job["log"]).read_text(encoding="utf-8")) for name, job in jobs.items()}


@pytest.fixture(scope="module")
def runs(tiny_backbone, exported_sample, tmp_path_factory):
    """The uninterrupted runs and the killed ones, at once; then the killed ones resumed, at once."""
    base = tmp_path_factory.mktemp("resume")
    argv = {name: train_argv(tiny_backbone, exported_sample, base / name.replace(" ", "_"), *OPTIONS,
                             *(PLATEAU if "plateau" in name else []))
            for name in ["uninterrupted", "plateau uninterrupted", *SCENARIOS]}
    jobs = {name: {"argv": argv[name]} for name in ("uninterrupted", "plateau uninterrupted")}
    jobs.update({name: {"argv": argv[name], "kill_where": "optimizer step" if name == "plateau" else name,
                        "kill_after": after} for name, after in SCENARIOS.items()})
    with fork_server() as server:
        killed = run_forked(server, jobs, tmp_path_factory.mktemp("first_logs"))
        for name in ("uninterrupted", "plateau uninterrupted"):
            assert killed[name][0] == 0, killed[name][1][-3000:]
        checkpoints = {name: [p.name for p in completed_checkpoints(base / name.replace(" ", "_"))]
                       for name in SCENARIOS}
        resumed = run_forked(server, {name: {"argv": argv[name] + ["--resume-from-checkpoint", "latest"]}
                                      for name in SCENARIOS}, tmp_path_factory.mktemp("resumed_logs"))
    return {"base": base, "killed": killed, "checkpoints": checkpoints, "resumed": resumed}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_killed_run_resumes_to_the_same_result(runs, scenario):
    code, output = runs["killed"][scenario]
    assert code == -9, output[-3000:]  # it really died by SIGKILL
    assert runs["checkpoints"][scenario] == {"optimizer step": ["step_3"], "checkpoint save": ["step_3"],
                                             "repository move": ["step_10"], "plateau": ["step_6"]}[scenario]
    code, output = runs["resumed"][scenario]
    assert code == 0, output[-3000:]
    reference = runs["base"] / ("plateau_uninterrupted" if scenario == "plateau" else "uninterrupted")
    folder = runs["base"] / scenario.replace(" ", "_")
    expected, actual = weights(reference), weights(folder)
    assert expected.keys() == actual.keys()
    assert all(torch.equal(expected[name], actual[name]) for name in expected), "weights differ"
    for key in ("validation", "test", "best_step", "completed_steps", "stopped_early"):
        assert read_json(folder / "all_results.json")[key] == read_json(reference / "all_results.json")[key], key
    assert files_under(folder) - files_under(reference) == set()  # nothing half-written left behind


def test_the_plateau_run_divides_its_rate_before_and_after_the_checkpoint_it_resumes_from(runs):
    """Else the plateau scenario could not tell a restored schedule from a fresh one."""
    def divisions(output: str) -> list[str]:
        return [line.split(DIVIDED)[1] for line in output.splitlines() if DIVIDED in line]  # "1.000e-03 -> ..."

    uninterrupted = divisions(runs["killed"]["plateau uninterrupted"][1])
    killed, resumed = divisions(runs["killed"]["plateau"][1]), divisions(runs["resumed"]["plateau"][1])
    assert killed and resumed and resumed == uninterrupted[-len(resumed):]
    assert not resumed[0].startswith(uninterrupted[0].split(" ->")[0])  # it goes on from a divided rate
