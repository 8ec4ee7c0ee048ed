"""Train over a grid of YAML configs, one process per run, skipping finished runs and resuming others.

    ruqtopics grid configs/paper --output-dir runs/
    ruqtopics grid configs/paper --output-dir runs/ --jobs 4          # four runs at a time (one GPU, or the CPUs)
    ruqtopics grid configs/sample/*.yaml --output-dir release/hub -- --backbone DIR --dataset DIR
    ruqtopics grid configs/paper --launch "accelerate launch --multi_gpu --num_processes 8"
    ruqtopics grid paper             (configs shipped in the package: `paper`, `paper-deeppavlov`, `sample`)
    ruqtopics grid paper --seeds 3   (each config with 3 seeds: OUTPUT_DIR/<config name>[-seed<S>])

Each config trains into OUTPUT_DIR/<config file name>, run as `LAUNCHER -m ruqtopics_kit train ...` (the
installed package's train command; python, `accelerate launch` and `torchrun` all take `-m`), and logs to
OUTPUT_DIR/<config file name>.log
(appended to, so a resumed run keeps the log of its first part; secrets such as --hub-token are masked in it). A
run whose folder already holds all_results.json with the same options is skipped once verified
(`training/outputs.py` `stale_reason`: published files there and complete, the same dataset and backbone content,
the same Hub ids and licence in its card); one that fails the check is named stale and trained again
(`--overwrite-output-dir`); a folder holding a started run (its checkpoints, or only its
training_args.json when it stopped before the first checkpoint) is resumed (`--resume-from-checkpoint latest`,
which starts afresh where there is no checkpoint); a folder holding another run makes train.py refuse, and the
grid goes on with the other configs. Options after `--` go to every train.py call and override the YAML files.
The release trains its models through the same planner.

`--jobs N` runs N configs at once. With GPUs, each run gets its own (`CUDA_VISIBLE_DEVICES`, `--gpus-per-run K`,
default 1, `--gpus LIST` instead of the visible ones; see `devices.py`); with more runs than GPUs they share them
evenly, and the grid says so: a small-batch run leaves most of a GPU idle, which the others fill. On a CPU the
cores are split: each run gets cores // N threads
(OMP_NUM_THREADS and MKL_NUM_THREADS, unless OMP_NUM_THREADS is already set). A run's result does not
depend on what runs beside it: with the same number of threads it is bitwise the run trained alone; with
another thread count (alone with every core, say) sums may be split differently, which moves its weights and
metrics in the last bits of float precision.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ruqtopics_kit.core.errors import InvalidParameterError, KitError
from ruqtopics_kit.core.processes import (
    run_child,
    stop_children,
    threads_per_job,
)
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.release.devices import DeviceSlots, holding, parse_gpus, visible_gpus
from ruqtopics_kit.release.slurm import SlurmOptions, run_on_slurm, slurm_options
from ruqtopics_kit.training.config import TrainingConfig, parse_args, printable
from ruqtopics_kit.training.outputs import OutputState, planned_state

TRAIN_MODULE = ("-m", "ruqtopics_kit", "train")
BUNDLED_GRIDS = ("sample", "paper", "paper-deeppavlov")  # folders of configs/ shipped in the package
Seeds = int | tuple[int, ...]  # a number of seeds, or the seeds themselves


class GridError(KitError, RuntimeError):
    """Some runs of the grid failed; their logs say why, and running the grid again resumes them."""


@dataclass(frozen=True)
class GridRun:
    config_file: Path
    output_dir: Path
    status: str  # "finished" (skip), "resume", "train" or "retrain" (finished but stale: trained again)
    command: tuple[str, ...]
    config: TrainingConfig  # the options the run trains with (its YAML file and the extra options)
    stale: str | None = None  # why a finished run is stale (status "retrain")

    @property
    def log_file(self) -> Path:
        return self.output_dir.with_name(f"{self.output_dir.name}.log")

    @property
    def label(self) -> str:
        """The config file's name, with the seed when the run is one of its other seeds."""
        seeded = self.output_dir.name != self.config_file.stem
        return f"{self.config_file.name}{f' seed {self.config.seed}' if seeded else ''}"


def expand(entries: list[str]) -> list[Path]:
    """YAML files from files, folders (their *.yaml), glob patterns and bundled grid names, sorted, without
    repeats. A bundled name (`BUNDLED_GRIDS`) means the package's configs unless a folder of that name exists."""
    found = []
    for entry in entries:
        path = Path(entry)
        if entry in BUNDLED_GRIDS and not path.exists():
            path = package_path("configs", entry)
        matches = sorted(path.glob("*.yaml")) if path.is_dir() else [Path(p) for p in sorted(glob.glob(entry))]
        if not matches:
            raise FileNotFoundError(f"{entry!r} names no YAML config (expected a .yaml file, a folder or a glob)")
        found += matches
    return sorted(set(found))


def plan(config_files: list[Path], output_root: Path, extra: list[str], launch: str,
         hub_org: str | None = None, seeds: Seeds = 1) -> list[GridRun]:
    """What to do with each config and seed (argument errors in a config surface here, before anything runs).
    With `hub_org`, each run's model id is `hub_org/<run folder name>` (its card's ids and usage code)."""
    runs, planned = [], {}
    for config_file in config_files:
        own_seed = _parse(config_file, ["--config-file", str(config_file), *extra, "--output-dir", "."]).seed
        for seed in seeds_of(seeds, own_seed):
            # the config's own seed keeps the plain folder name: a grid that adds seeds keeps its finished runs
            output_dir = output_root / (config_file.stem if seed == own_seed else f"{config_file.stem}-seed{seed}")
            if planned.setdefault(output_dir, config_file) != config_file:
                raise ValueError(f"{planned[output_dir]} and {config_file} would both train into {output_dir} "
                                 f"(a run's folder is named after its config file); rename one of them")
            hub_id = ["--hub-model-id", f"{hub_org}/{output_dir.name}"] if hub_org else []
            argv = ["--config-file", str(config_file), *extra, "--seed", str(seed), *hub_id,
                    "--output-dir", str(output_dir)]
            config = _parse(config_file, argv)
            status, stale = _status(config)
            how = {"resume": ["--resume-from-checkpoint", "latest"], "retrain": ["--overwrite-output-dir"]}
            runs.append(GridRun(config_file, output_dir, status,
                                (*_launcher(launch), *TRAIN_MODULE, *argv, *how.get(status, [])), config, stale))
    return runs


def seeds_of(seeds: Seeds, own_seed: int) -> list[int]:
    """The seeds of a config: N seeds from its own one up (own, own + 1, ...), or the given list."""
    return [own_seed + offset for offset in range(seeds)] if isinstance(seeds, int) else list(seeds)


def parse_seeds(value: str) -> Seeds:
    """`--seeds`: a number of seeds (`3`) or a comma-separated list of them (`42,43,7`)."""
    if "," not in value:
        if not value.isdigit() or int(value) < 1:
            raise argparse.ArgumentTypeError(f"expected a number of seeds (>= 1) or a list such as 42,43; "
                                             f"got {value!r}")
        return int(value)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items or not all(item.isdigit() for item in items) or len(set(map(int, items))) != len(items):
        raise argparse.ArgumentTypeError(f"expected distinct non-negative integer seeds such as 42,43,44; "
                                         f"got {value!r}")
    return tuple(int(item) for item in items)


def add_seeds_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=parse_seeds, default=1, metavar="N|LIST", help=(
        "train each config with N seeds (its own seed, then the next ones) or with each seed of a list such as "
        "42,43,44; the config's own seed trains into OUTPUT/<config name>, another into "
        "OUTPUT/<config name>-seed<S> (default: 1, the config's own seed)"))


def _parse(config_file: Path, argv: list[str]) -> TrainingConfig:
    try:
        return parse_args(argv)
    except SystemExit:  # argparse printed the reason; a usage error (2), as train.py's own
        raise InvalidParameterError(f"{config_file}: invalid options (see the message above)") from None


def _status(config: TrainingConfig) -> tuple[str, str | None]:
    """What training says of the run's folder (`planned_state`); a folder it refuses is "train": train.py says why.
    A finished run that fails its verification (`stale_reason`) is "retrain", with the reason."""
    states = {OutputState.FINISHED: "finished", OutputState.UNFINISHED: "resume", OutputState.STALE: "retrain"}
    state, stale = planned_state(config)
    return states.get(state, "train"), stale


def _launcher(launch: str) -> list[str]:
    """The launcher's words; its program must exist (checked before any run starts, not named by a raw errno)."""
    words = [sys.executable] if launch == "python" else shlex.split(launch)
    beside_python = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
    if not words or shutil.which(words[0], path=beside_python) is None:
        raise InvalidParameterError(f"--launch {launch!r}: no program {words[0] if words else ''!r} on PATH (give "
                                    f"the launcher's command, e.g. 'accelerate launch' or 'torchrun', installed)")
    return words


def job_environment(jobs: int) -> dict[str, str]:
    """The environment of every train.py process: the CPU threads split between parallel runs."""
    if jobs == 1 or "OMP_NUM_THREADS" in os.environ:
        return dict(os.environ)
    threads = str(threads_per_job(jobs))
    return {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}


def run_grid(runs: list[GridRun], *, jobs: int = 1, dry_run: bool = False, log=print,
             devices: DeviceSlots | None = None, slurm: SlurmOptions | None = None) -> list[GridRun]:
    """Run every unfinished config, here `jobs` at a time, each holding one of the device slots (its own GPUs, when
    there are GPUs) while it runs, or as SLURM jobs with `slurm` (`slurm.py`); each logs to its own file. Return the
    runs that failed."""
    devices = devices or DeviceSlots.assign(jobs, ())
    environment = job_environment(jobs)
    if slurm:
        where = " as a SLURM job"
    else:
        where = f" with {environment['OMP_NUM_THREADS']} CPU thread(s)" if "OMP_NUM_THREADS" in environment else ""
        if devices.gpus:
            log(f"devices: {devices.describe()}")
    pending = {}
    for index, run in enumerate(runs, 1):
        prefix = f"[{index}/{len(runs)}] {run.label}"
        if run.status == "finished":
            log(f"{prefix}: finished in {run.output_dir}, skipped")
            continue
        doing = {"resume": "resuming", "retrain": f"stale ({run.stale}), training again"}.get(run.status, "training")
        log(f"{prefix}: {doing}{where}, log {run.log_file} -> {printable(run.command)}")
        pending[prefix] = run
    if dry_run or not pending:
        return []
    if slurm:
        return run_on_slurm(pending, runs[0].output_dir.parent, slurm, log)
    return _run_here(pending, jobs, environment, devices, log)


def _run_here(pending: dict[str, GridRun], jobs: int, environment: dict[str, str], devices: DeviceSlots,
              log) -> list[GridRun]:
    failed, free = [], devices.free_slots()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_train, run, environment, devices, free): prefix for prefix, run in pending.items()}
        try:
            for future in as_completed(futures):
                prefix, run = futures[future], pending[futures[future]]
                returncode, seconds = future.result()
                if returncode == 0:
                    log(f"{prefix}: done in {seconds:.0f} s")
                else:
                    log(f"{prefix}: FAILED (exit status {returncode}); the end of {run.log_file}:\n"
                        f"{_tail(run.log_file)}")
                    failed.append(run)
        except BaseException:  # interrupted: stop the running train.py processes before the pool waits for them
            for future in futures:
                future.cancel()
            stop_children()
            raise
    return failed


def _train(run: GridRun, environment: dict[str, str], devices: DeviceSlots, free) -> tuple[int, float]:
    """One train.py process on a free device slot, its output appended to the run's log file; returns its exit
    status and duration."""
    run.log_file.parent.mkdir(parents=True, exist_ok=True)
    with holding(free) as slot, open(run.log_file, "a", encoding="utf-8") as log_file:
        own = devices.environment(slot)
        started = time.perf_counter()
        log_file.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} "
                       f"{''.join(f'{name}={value} ' for name, value in own.items())}{printable(run.command)}\n")
        log_file.flush()
        returncode = run_child(run.command, stdout=log_file, stderr=subprocess.STDOUT, env={**environment, **own},
                               stdin=subprocess.DEVNULL)
    return returncode, time.perf_counter() - started


def _tail(path: Path, lines: int = 15) -> str:
    return "\n".join("    " + line for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def add_parallel_options(parser: argparse.ArgumentParser) -> None:
    """--launch, --jobs, --gpus and --gpus-per-run (the grid's and the release's training step's)."""
    parser.add_argument("--launch", default="python",
                        help="command that runs the training module (`-m ruqtopics_kit train` is appended), e.g. "
                             "'accelerate launch --num_processes 4' or 'torchrun --nproc_per_node 2' "
                             "(default: this Python)")
    parser.add_argument("--jobs", type=_positive_int, default=1, metavar="N", help=(
        "configs trained at once here, each on its own GPU(s) (shared evenly when N exceeds them), or each with CPU "
        "cores // N threads (default: 1; with --executor slurm, SLURM schedules the jobs)"))
    parser.add_argument("--gpus", type=parse_gpus, metavar="LIST", help=(
        "GPUs of this machine to spread the runs over, e.g. 0,1,2,3 (default: CUDA_VISIBLE_DEVICES, else every GPU "
        "nvidia-smi lists)"))
    parser.add_argument("--gpus-per-run", type=_positive_int, metavar="K", help=(
        "GPUs each run sees, e.g. for --launch 'accelerate launch --multi_gpu --num_processes K' (default: 1; with "
        "--executor slurm, the GPUs per job)"))


def executor_options(args: argparse.Namespace) -> tuple[DeviceSlots | None, SlurmOptions | None]:
    """Here: the GPUs of each of the --jobs slots (ValueError when --gpus-per-run asks for more than there are);
    on SLURM (--executor slurm): the jobs' options, --gpus-per-run GPUs each (SLURM picks them)."""
    if args.executor == "slurm":
        return None, slurm_options(args)
    return DeviceSlots.assign(args.jobs, visible_gpus(args.gpus), args.gpus_per_run), None


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value!r}")
    return int(value)

