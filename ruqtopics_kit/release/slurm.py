"""The grid on a SLURM cluster (`grid --executor slurm`, `release --executor slurm`), through submitit.

Each unfinished run of the grid's plan (the same planner as the local grid: finished runs are skipped, started ones
resumed) becomes a SLURM job, all of them one job array; each job runs the command the local grid runs
(`python -m ruqtopics_kit train ...`), its output appended to the same log, OUTPUT_ROOT/<config name>.log.
submitit's own files (the job's pickles and its stdout) are in OUTPUT_ROOT/.slurm/<job id>/.

Time limits and preemption use submitit's checkpoint and requeue: the job asks SLURM for a signal some time before
its end (`--signal-delay`, submitit's `--signal=USR2@S`); submitit's handler in the job calls the job's `checkpoint`,
which has train.py save a checkpoint at its current optimizer step and exit (`training.preemption`), and submitit
then requeues the job (`scontrol requeue`, the same job id) with the command that resumes the run
(`--resume-from-checkpoint latest`). submitit rather than a handler of our own around `sbatch --requeue`: it is the
ecosystem's way (Hydra's launcher, fairseq), it counts timeouts (`--max-requeues`) and it tells a time limit from a
preemption; what is ours is only what train.py must do on the signal.

The grid waits for the jobs, with a progress bar of how many are pending, running, done and failed (read with
`squeue`, which needs no accounting database, and from the results submitit writes), and ends with one line per
failed job naming its log. `--no-wait` prints the job ids and returns; running the command again skips the runs
that finished and waits for the jobs still queued or running (OUTPUT_ROOT/.slurm/jobs.json) instead of submitting
them twice. Ctrl-C (or SIGTERM) cancels the jobs this command is waiting for, and says which.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.config_files import add_switch_off
from ruqtopics_kit.training.config import printable
from ruqtopics_kit.training.preemption import STOP_SIGNALS

ACTIVE = {"RUNNING": "running", "COMPLETING": "running", "CONFIGURING": "running", "STAGE_OUT": "running",
          "SIGNALING": "running", "RESIZING": "running", "PENDING": "pending", "REQUEUED": "pending",
          "REQUEUE_FED": "pending", "REQUEUE_HOLD": "pending", "SUSPENDED": "pending", "RESV_DEL_HOLD": "pending"}
GONE_GRACE_S = 30  # a job ended without a result file: how long to wait for one (a slow shared file system)


@dataclass(frozen=True)
class SlurmOptions:
    """The sbatch options of every job (one run each)."""

    partition: str | None = None
    time: int = 24 * 60  # minutes
    gpus_per_run: int | None = None
    cpus_per_run: int | None = None
    mem: str | None = None
    account: str | None = None
    qos: str | None = None
    sbatch: tuple[str, ...] = ()  # KEY=VALUE, as `#SBATCH --KEY=VALUE`
    signal_delay: int = 120  # seconds before the time limit that the checkpoint signal comes
    max_requeues: int = 3  # time limits a job may be requeued after (preemptions are not counted)
    wait: bool = True
    poll: float = 10.0  # seconds between squeue calls

    def executor_parameters(self) -> dict:
        additional = dict(_key_value(entry) for entry in self.sbatch)
        given = dict(partition=self.partition, gpus_per_node=self.gpus_per_run, cpus_per_task=self.cpus_per_run,
                     mem=self.mem, account=self.account, qos=self.qos)
        return {"job_name": "ruqtopics-train", "time": self.time, "signal_delay_s": self.signal_delay,
                "stderr_to_stdout": True, **{key: value for key, value in given.items() if value is not None},
                **({"additional_parameters": additional} if additional else {})}


def _key_value(entry: str) -> tuple[str, str]:
    key, _, value = entry.partition("=")
    return key.strip().lstrip("-").replace("-", "_"), value


class TrainingJob:
    """What a SLURM job runs: one train.py command, its output appended to the run's log. A submitit
    Checkpointable: on SLURM's signal before the time limit (or a preemption), `checkpoint` stops train.py at a
    checkpoint and gives submitit the command that resumes it, which submitit requeues."""

    def __init__(self, command: tuple[str, ...], log_file: Path):
        self.command, self.log_file = tuple(command), Path(log_file)
        self._child: subprocess.Popen | None = None

    def __getstate__(self) -> dict:
        return {"command": self.command, "log_file": self.log_file}  # never the running child

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["command"], state["log_file"])

    def __call__(self) -> int:
        environment = dict(os.environ)
        if "OMP_NUM_THREADS" not in environment and "SLURM_CPUS_PER_TASK" in environment:
            environment["OMP_NUM_THREADS"] = environment["MKL_NUM_THREADS"] = environment["SLURM_CPUS_PER_TASK"]
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "a", encoding="utf-8") as log:
            log.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} SLURM job {_job_id()} on {os.uname().nodename}: "
                      f"{printable(self.command)}\n")
            log.flush()
            self._child = subprocess.Popen(list(self.command), stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=environment, start_new_session=True)
            return self._child.wait()

    def checkpoint(self):
        """Called by submitit's signal handler: train.py saves a checkpoint and exits (SLURM signals it too;
        asking again does no harm), then the resuming command is what the requeued job runs."""
        import submitit

        if self._child is not None:
            _stop_group(self._child.pid)
        resume = () if "--resume-from-checkpoint" in self.command else ("--resume-from-checkpoint", "latest")
        return submitit.helpers.DelayedSubmission(TrainingJob((*self.command, *resume), self.log_file))


def _stop_group(group: int) -> None:
    """Ask every process of the child's process group (train.py, or a launcher and its workers: `--launch
    'accelerate launch ...'`) to stop at a checkpoint, and wait until none is left running. A launcher may end on
    the signal at once; its workers save the checkpoint. Neither `Popen.wait` nor `Popen.poll`: this runs in a
    signal handler that may have interrupted `Popen.wait` in `__call__`, which holds the Popen's lock."""
    try:
        os.killpg(group, STOP_SIGNALS[0])
    except ProcessLookupError:  # all ended already
        return
    while _group_running(group):
        time.sleep(0.1)


def _group_running(group: int) -> bool:
    """Whether a process of `group` runs (a zombie, ended but not yet reaped, does not: its parent is waiting)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):  # ended while listed
            continue
        if int(process_group) == group and state != "Z":
            return True
    return False


def _job_id() -> str:
    """This job's id as squeue and submitit write it (ARRAY_TASK for an array's task)."""
    if "SLURM_ARRAY_TASK_ID" in os.environ:
        return f"{os.environ.get('SLURM_ARRAY_JOB_ID')}_{os.environ['SLURM_ARRAY_TASK_ID']}"
    return os.environ.get("SLURM_JOB_ID", "?")


@dataclass
class Tracked:
    """A submitted run and what is known of its job."""

    prefix: str
    run: object  # grid.GridRun
    job: object  # submitit.slurm.slurm.SlurmJob
    state: str = "pending"
    gone_since: float | None = None
    reason: str = field(default="")

    @property
    def log_line(self) -> str:
        return (f"{self.prefix}: FAILED ({self.reason}), SLURM job {self.job.job_id}; log {self.run.log_file} "
                f"(submitit's: {self.job.paths.stdout})")


def run_on_slurm(pending: dict[str, object], root: Path, options: SlurmOptions, log=print) -> list:
    """Submit each run of `pending` (prefix -> GridRun) as a SLURM job, unless a job of this command still holds
    it; wait for them (unless options.wait is off); return the runs that failed."""

    folder = root / ".slurm"
    held = _still_queued(folder, pending)
    submitted = _submit({prefix: run for prefix, run in pending.items() if prefix not in held}, folder, options)
    jobs = {**held, **submitted}
    _record(folder, {pending[prefix].output_dir.name: job.job_id for prefix, job in jobs.items()})
    for prefix, job in jobs.items():
        log(f"{prefix}: SLURM job {job.job_id}" + (" (submitted before, still queued)" if prefix in held else ""))
    if not options.wait:
        ids = " ".join(job.job_id for job in jobs.values())
        log(f"submitted; not waiting (--no-wait). SLURM job ids: {ids}\nrun the same command again to collect "
            f"the finished runs (the others are not submitted twice); `scancel {ids}` cancels them")
        return []
    return _wait([Tracked(prefix, pending[prefix], job) for prefix, job in jobs.items()], options.poll, log)


def _submit(runs: dict[str, object], folder: Path, options: SlurmOptions) -> dict:
    """One job array of the runs (prefix -> job); OSError in one line when sbatch or SLURM is not there or refuses."""
    import submitit
    from submitit.core.utils import FailedJobError

    if not runs:
        return {}
    try:
        executor = submitit.SlurmExecutor(folder=folder / "%j", max_num_timeout=options.max_requeues)
        executor.update_parameters(**options.executor_parameters())
        with executor.batch():
            jobs = {prefix: executor.submit(TrainingJob(run.command, run.log_file)) for prefix, run in runs.items()}
    except (FailedJobError, RuntimeError) as error:  # sbatch's message, or "Could not detect srun"
        raise OSError(f"SLURM did not take the jobs: {' '.join(str(error).split())}") from None
    return jobs


def _still_queued(folder: Path, pending: dict[str, object]) -> dict:
    """The jobs an earlier command submitted for these runs that SLURM still queues or runs."""
    import submitit

    recorded = _read_record(folder)
    ids = {prefix: recorded[run.output_dir.name] for prefix, run in pending.items() if run.output_dir.name in recorded}
    states = squeue_states(list(ids.values()))
    if states is None:
        raise OSError("squeue does not answer: cannot tell which runs earlier jobs still hold; try again later")
    return {prefix: submitit.SlurmJob(folder=folder / "%j", job_id=job_id) for prefix, job_id in ids.items()
            if states.get(job_id) in ACTIVE}


def _record(folder: Path, ids: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "jobs.json", json.dumps({**_read_record(folder), **ids}, indent=1, sort_keys=True))


def _read_record(folder: Path) -> dict[str, str]:
    path = folder / "jobs.json"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:  # damaged: only the resubmission check uses it
        return {}
    return recorded if isinstance(recorded, dict) else {}


def squeue_states(job_ids: list[str]) -> dict[str, str] | None:
    """SLURM's state of each job (array tasks one by one) that it still knows ({} when it knows none of them, as
    after a finished job's MinJobAge); None when squeue did not answer (the controller busy or restarting)."""
    if not job_ids:
        return {}
    arrays = sorted({job_id.split("_")[0] for job_id in job_ids})
    answer = subprocess.run(["squeue", "--noheader", "--array", "--states=all", "--format=%i|%T",
                             f"--jobs={','.join(arrays)}"], capture_output=True, text=True, check=False)
    if answer.returncode != 0:
        return {} if "Invalid job id" in answer.stderr else None
    return dict(line.strip().split("|", 1) for line in answer.stdout.splitlines() if "|" in line)


def _wait(tracked: list[Tracked], poll: float, log) -> list:
    failed, active = [], list(tracked)
    with tqdm(total=len(tracked), desc="SLURM jobs", unit="job") as bar:
        try:
            while active:
                states = squeue_states([item.job.job_id for item in active])
                for item in list(active):
                    if _settled(item, states):
                        active.remove(item)
                        bar.update(1)
                        if item.state == "failed":
                            failed.append(item)
                            bar.write(item.log_line)
                        else:
                            bar.write(f"{item.prefix}: done (SLURM job {item.job.job_id})")
                counts = {state: sum(item.state == state for item in tracked)
                          for state in ("pending", "running", "done", "failed")}
                bar.set_postfix_str(", ".join(f"{state} {count}" for state, count in counts.items()), refresh=True)
                if active:
                    time.sleep(poll)
        except BaseException:
            _cancel([item.job.job_id for item in active], log)
            raise
    for item in failed:
        log(item.log_line)
    return [item.run for item in failed]


def _settled(item: Tracked, states: dict[str, str] | None) -> bool:
    """Update `item` from its job's result file and SLURM's states (None: squeue did not answer, so nothing is
    concluded from a job's absence); True once it ended."""
    if item.job.paths.result_pickle.exists():
        error = item.job.exception()
        status = None if error else item.job.result()
        item.state = "done" if status == 0 else "failed"
        item.reason = (f"exit status {status}" if error is None else
                       f"the job raised {type(error).__name__}: {str(error).strip().splitlines()[-1][:200]}")
        return True
    if states is None:
        return False
    state = states.get(item.job.job_id)
    if state in ACTIVE:
        item.state, item.gone_since = ACTIVE[state], None
        return False
    item.gone_since = item.gone_since or time.monotonic()
    if time.monotonic() - item.gone_since < GONE_GRACE_S:
        return False
    item.state, item.reason = "failed", f"ended {state or 'unknown to squeue'} without a result"
    return True


def _cancel(job_ids: list[str], log) -> None:
    if job_ids:
        subprocess.run(["scancel", *job_ids], check=False)
        log(f"cancelled the SLURM jobs still pending or running: {' '.join(job_ids)}")


def add_slurm_options(parser: argparse.ArgumentParser, wait_option: bool = True) -> None:
    """--executor and the SLURM options (the grid's; the release's, which waits for its jobs, without --no-wait)."""
    group = parser.add_argument_group("SLURM (--executor slurm: one job per run, through submitit)")
    group.add_argument("--executor", choices=("local", "slurm"), default="local", help=(
        "where the runs train: processes on this machine (local, default) or SLURM jobs (slurm)"))
    group.add_argument("--partition", help="SLURM partition (default: the cluster's default)")
    group.add_argument("--time", type=int, default=SlurmOptions.time, metavar="MINUTES", help=(
        "time limit of each job; a run not finished by then saves a checkpoint and is requeued (default: "
        "%(default)s)"))
    group.add_argument("--cpus-per-run", type=int, metavar="N", help="CPUs per job (--cpus-per-task)")
    group.add_argument("--mem", metavar="SIZE", help="memory per job, e.g. 32G")
    group.add_argument("--account", help="SLURM account to charge")
    group.add_argument("--qos", help="SLURM quality of service")
    group.add_argument("--sbatch", action="append", default=[], metavar="KEY=VALUE", help=(
        "any other sbatch option, e.g. --sbatch constraint=a100 --sbatch exclude=node3 (repeatable)"))
    group.add_argument("--signal-delay", type=int, default=SlurmOptions.signal_delay, metavar="SECONDS", help=(
        "how long before the time limit SLURM signals a job to checkpoint (default: %(default)s)"))
    group.add_argument("--max-requeues", type=int, default=SlurmOptions.max_requeues, metavar="N", help=(
        "time limits after which a job is requeued to resume (preemptions always are; default: %(default)s)"))
    if wait_option:
        add_switch_off(group, "--no-wait", dest=group.add_argument("--no-wait", action="store_true", help=(
            "submit, print the job ids and return; run the same command again to collect the finished runs")).dest)


def slurm_options(args: argparse.Namespace) -> SlurmOptions:
    """The jobs' options; ValueError for a malformed --sbatch, or without submitit installed."""
    if importlib.util.find_spec("submitit") is None:
        raise ValueError("--executor slurm needs submitit, which is not installed: pip install 'ruqtopics-kit[slurm]'")
    for entry in args.sbatch:
        if "=" not in entry or not entry.partition("=")[0].strip("- "):
            raise ValueError(f"--sbatch: expected KEY=VALUE; got {entry!r}")
    return SlurmOptions(partition=args.partition, time=args.time, gpus_per_run=args.gpus_per_run,
                        cpus_per_run=args.cpus_per_run, mem=args.mem, account=args.account, qos=args.qos,
                        sbatch=tuple(args.sbatch), signal_delay=args.signal_delay, max_requeues=args.max_requeues,
                        wait=not getattr(args, "no_wait", False))

