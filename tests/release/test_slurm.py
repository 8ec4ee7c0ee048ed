"""The grid on a real SLURM: a one-node cluster on the loopback (scripts/slurm_cluster.sh: munged, slurmctld and
slurmd from Debian's packages, installed when missing), jobs submitted through submitit as the users' would be.

Every training runs with one CPU thread, in the jobs (OMP_NUM_THREADS=1, passed on by sbatch) and here (the same
train.py command in this process, torch.set_num_threads(1)), so that a run on SLURM and the same run here are
bitwise the same.
"""

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch
from train_helpers import ROOT, read_json, run_train, weights

from ruqtopics_kit import cli
from ruqtopics_kit.release import grid
from ruqtopics_kit.release.slurm import ACTIVE, SlurmOptions, squeue_states

pytestmark = pytest.mark.slow  # trains models, as SLURM jobs
SAMPLE_GRID = ROOT / "configs" / "sample"
SINGLE = SAMPLE_GRID / "tiny-single_label-question.yaml"
CLUSTER = ROOT / "scripts" / "slurm_cluster.sh"
QUICK = SlurmOptions(cpus_per_run=1, time=10, poll=0.5)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """SLURM_CONF of a running one-node cluster, stopped (its own daemons only) after the module."""
    if os.geteuid() != 0:
        pytest.skip("the one-node SLURM test cluster (scripts/slurm_cluster.sh) starts its daemons as root")
    folder = tmp_path_factory.mktemp("slurm")
    installed = subprocess.run(["bash", str(CLUSTER), "install"], capture_output=True, text=True)
    if installed.returncode != 0:
        pytest.skip(f"SLURM is not installed and could not be: {installed.stderr.strip()}")
    started = subprocess.run(["bash", str(CLUSTER), "start", str(folder)], capture_output=True, text=True)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        previous = os.environ.get("SLURM_CONF")
        os.environ["SLURM_CONF"] = str(folder / "slurm.conf")
        yield folder
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop", str(folder)], check=False)
        if started.returncode == 0:
            os.environ.pop("SLURM_CONF") if previous is None else os.environ.update(SLURM_CONF=previous)


@pytest.fixture
def one_thread(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def _extra(tiny_backbone, exported_sample, *options: str) -> list[str]:
    return ["--backbone", str(tiny_backbone), "--dataset", str(exported_sample), "--max-eval-samples", "32",
            "--report-to", "none", "--mixed-precision", "no", *options]


def test_a_grid_on_slurm_equals_the_local_grid_names_a_failed_job_and_reruns_skip(
        slurm, one_thread, tiny_backbone, exported_sample, tmp_path, capsys):
    """Two sample configs of different problem types and text modes (the executor does not look inside a config;
    each job is one more process importing torch) beside a failing one: three jobs on the cluster's two CPUs."""
    extra = _extra(tiny_backbone, exported_sample, "--max-train-steps", "3")
    configs = [SAMPLE_GRID / "tiny-multi_label-question.yaml", SAMPLE_GRID / "tiny-single_label-question_answer.yaml"]
    failing = tmp_path / "configs" / "failing.yaml"
    failing.parent.mkdir()
    shutil.copy(SINGLE, failing)
    on_slurm, here = tmp_path / "slurm", tmp_path / "here"
    (on_slurm / "failing").mkdir(parents=True)
    (on_slurm / "failing" / "notes.txt").write_text("not a train.py run", encoding="utf-8")  # train.py refuses it
    printed = []
    failed = grid.run_grid(grid.plan([*configs, failing], on_slurm, extra, "python"), slurm=QUICK, log=printed.append)
    assert [run.config_file.name for run in failed] == ["failing.yaml"]
    for config in configs:
        _train_here(config, here, extra)
        assert read_json(on_slurm / config.stem / "all_results.json")["test"] == \
            read_json(here / config.stem / "all_results.json")["test"], config.name
        assert "SLURM job" in (on_slurm / f"{config.stem}.log").read_text(encoding="utf-8")
    failure = printed[-1]
    assert "failing.yaml: FAILED (exit status 1)" in failure and str(on_slurm / "failing.log") in failure
    assert "holds no training_args.json" in (on_slurm / "failing.log").read_text(encoding="utf-8")

    jobs = json.loads((on_slurm / ".slurm" / "jobs.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    assert cli.main(["grid", *map(str, configs), "--output-dir", str(on_slurm), "--executor", "slurm", "--",
                     *extra]) == 0
    assert capsys.readouterr().out.count("skipped") == len(configs)
    assert json.loads((on_slurm / ".slurm" / "jobs.json").read_text(encoding="utf-8")) == jobs  # none submitted


def test_a_job_signalled_before_its_time_limit_requeues_and_resumes_to_the_same_result(
        slurm, one_thread, tiny_backbone, exported_sample, tmp_path):
    extra = _extra(tiny_backbone, exported_sample, "--max-train-steps", "200", "--logging-steps", "5")
    root = tmp_path / "slurm"
    runs = grid.plan([SINGLE], root, extra, "python")
    grid.run_grid(runs, slurm=dataclasses.replace(QUICK, wait=False))
    job_id = json.loads((root / ".slurm" / "jobs.json").read_text(encoding="utf-8"))[SINGLE.stem]
    log = root / f"{SINGLE.stem}.log"
    _wait_for(lambda: "step 10:" in log.read_text(encoding="utf-8"), "the job to train 10 steps", log)
    subprocess.run(["scancel", "--signal=USR2", job_id], check=True)  # what --signal=USR2@S sends before the end
    _wait_for(lambda: "stopped at optimizer step" in log.read_text(encoding="utf-8"), "the checkpoint", log)
    assert squeue_states([job_id]).get(job_id) in ("REQUEUED", "PENDING", "RUNNING", "COMPLETING")

    _train_here(SINGLE, tmp_path / "here", extra)  # uninterrupted, while the requeued job waits for its start
    assert grid.run_grid(grid.plan([SINGLE], root, extra, "python"), slurm=QUICK) == []  # waits for the same job
    text = log.read_text(encoding="utf-8")
    assert text.count(f"SLURM job {job_id} on") == 2 and "--resume-from-checkpoint latest" in text
    assert "resumed from" in text
    expected, actual = weights(tmp_path / "here" / SINGLE.stem), weights(root / SINGLE.stem)
    assert expected.keys() == actual.keys() and all(torch.equal(expected[k], actual[k]) for k in expected)
    assert read_json(root / SINGLE.stem / "all_results.json")["test"] == \
        read_json(tmp_path / "here" / SINGLE.stem / "all_results.json")["test"]


def _train_here(config, root, extra: list[str]) -> None:
    """What the local grid runs for `config` (the command of its plan), in this process with one thread."""
    command = grid.plan([config], root, extra, "python")[0].command
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert run_train(list(command[command.index("train") + 1:])) == 0
    finally:
        torch.set_num_threads(threads)


def _wait_for(condition, what: str, log, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (log.exists() and condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; {log}:\n" +
                                 (log.read_text(encoding="utf-8")[-3000:] if log.exists() else "(none)"))
        time.sleep(0.2)


def test_the_multinode_template_trains_one_config_on_two_processes_of_an_allocation(
        slurm, tiny_backbone, exported_sample, tmp_path):
    """scripts/train_multinode.sbatch as docs/cluster.md gives it, on one node of two CPU processes (gloo): the
    same `accelerate launch --num_machines --machine_rank $SLURM_NODEID --main_process_ip` line a multi-node job
    runs on each node, with the paper's way of naming the batch."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = tmp_path / "out"
    environment = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "PROCESSES_PER_NODE": "2",
                   "PYTHON": sys.executable, "MAIN_PROCESS_PORT": str(port)}
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--nodes", "1", "--cpus-per-task", "2", f"--output={tmp_path}/job-%j.log",
         str(ROOT / "scripts" / "train_multinode.sbatch"), str(SINGLE), str(output),
         *_extra(tiny_backbone, exported_sample, "--max-train-steps", "4", "--total-train-batch-size", "16")],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    state = _end_state(submitted.stdout.strip().split(";")[0])
    logs = "".join(path.read_text(encoding="utf-8") for path in tmp_path.glob("job-*.log"))
    assert state == "COMPLETED", (state + "\n" + logs)[-4000:]
    run = read_json(output / "all_results.json")["run"]
    assert run["num_processes"] == 2 and run["effective_batch_size"] == 16
    assert "1 node(s) x 2 process(es)" in logs


def _end_state(job_id: str, timeout: float = 300) -> str:
    """The state a job ended in, asked of squeue every 0.2 s. (`sbatch --wait` asks after 2, 10 and 42 s, then
    every 32 s: a job of 12 s kept the multi-node test waiting 42 s.)"""
    deadline = time.monotonic() + timeout
    while (state := (squeue_states([job_id]) or {}).get(job_id, "PENDING")) in ACTIVE:
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for SLURM job {job_id} to end; it is {state}")
        time.sleep(0.2)
    return state


@contextlib.contextmanager
def interruptible_children():
    """Children started in the block take SIGINT as from a terminal's Ctrl-C, even when pytest runs in a shell's
    background job, which starts it with SIGINT ignored: a disposition that children inherit, and then Python
    keeps (a handler of ours is reset to the default by exec instead)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_cancels_the_jobs_the_grid_waits_for(slurm, tiny_backbone, exported_sample, tmp_path):
    """The job is held back (--sbatch begin=now+600), so nothing trains: the grid waits, is interrupted, cancels."""
    root = tmp_path / "runs"
    grid_command = [sys.executable, "-m", "ruqtopics_kit", "grid", str(SINGLE), "--output-dir", str(root),
                    "--executor", "slurm", "--sbatch", "begin=now+600", "--", *_extra(tiny_backbone, exported_sample)]
    with interruptible_children():
        waiting = subprocess.Popen(grid_command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        record = root / ".slurm" / "jobs.json"
        _wait_for(lambda: SINGLE.stem in record.read_text(encoding="utf-8"), "the submission", record)
        job_id = json.loads(record.read_text(encoding="utf-8"))[SINGLE.stem]
        assert squeue_states([job_id])[job_id] == "PENDING"
        waiting.send_signal(signal.SIGINT)
        out, err = waiting.communicate(timeout=60)
    finally:
        waiting.kill()
    assert waiting.returncode == 130, out + err
    assert f"cancelled the SLURM jobs still pending or running: {job_id}" in out
    assert "its SLURM jobs were cancelled" in err
    assert squeue_states([job_id])[job_id] == "CANCELLED"


def test_jobs_slurm_refuses_are_one_error_line(slurm, tiny_backbone, exported_sample, tmp_path, capsys):
    assert cli.main(["grid", str(SINGLE), "--output-dir", str(tmp_path), "--executor", "slurm", "--partition",
                     "nosuch", "--", *_extra(tiny_backbone, exported_sample)]) == 1
    assert "ruqtopics grid: error: SLURM did not take the jobs: sbatch: error: invalid partition" in \
        capsys.readouterr().err


def test_a_job_is_failed_only_once_squeue_answers_without_it_for_a_while(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ruqtopics_kit.release import slurm as executor

    job = SimpleNamespace(job_id="7_1", paths=SimpleNamespace(result_pickle=tmp_path / "none.pkl"))
    item = executor.Tracked("[1/1] a.yaml", None, job)
    assert not executor._settled(item, {"7_1": "REQUEUED"}) and item.state == "pending"
    assert not executor._settled(item, None) and item.gone_since is None  # squeue did not answer: nothing concluded
    assert not executor._settled(item, {}) and item.gone_since is not None  # gone: a grace for the result file
    monkeypatch.setattr(executor, "GONE_GRACE_S", 0)
    assert executor._settled(item, {"7_1": "TIMEOUT"}) and item.state == "failed"
    assert item.reason == "ended TIMEOUT without a result"
