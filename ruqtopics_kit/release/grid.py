"""Run train.py over a grid of YAML configs, one process per run, skipping finished runs and resuming others.

    ruqtopics grid configs/paper --output-root runs/
    ruqtopics grid configs/sample/*.yaml --output-root release/hub -- --backbone DIR --dataset DIR
    ruqtopics grid configs/paper --launch "accelerate launch --multi_gpu --num_processes 8"

Each config trains into OUTPUT_ROOT/<config file name>. A run whose folder already holds all_results.json with
the same options is skipped; a folder holding this run's checkpoints is resumed (`--resume-from-checkpoint
latest`); a folder holding another run makes train.py refuse, and the grid goes on with the next config.
Options after `--` go to every train.py call and override the YAML files.
"""

from __future__ import annotations

import argparse
import glob
import json
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ruqtopics_kit.training.checkpoints import completed_checkpoints
from ruqtopics_kit.training.config import identity_of, parse_args
from ruqtopics_kit.training.outputs import RESULTS_FILE

TRAIN = Path(__file__).resolve().parents[2] / "train.py"


@dataclass(frozen=True)
class GridRun:
    config_file: Path
    output_dir: Path
    status: str  # "finished" (skip), "resume" or "train"
    command: tuple[str, ...]


def expand(entries: list[str]) -> list[Path]:
    """YAML files from files, folders (their *.yaml) and glob patterns, sorted, without repeats."""
    found = []
    for entry in entries:
        path = Path(entry)
        matches = sorted(path.glob("*.yaml")) if path.is_dir() else [Path(p) for p in sorted(glob.glob(entry))]
        if not matches:
            raise FileNotFoundError(f"{entry!r} names no YAML config (expected a .yaml file, a folder or a glob)")
        found += matches
    return sorted(set(found))


def plan(config_files: list[Path], output_root: Path, extra: list[str], launch: str) -> list[GridRun]:
    """What to do with each config (argument errors in a config surface here, before anything runs)."""
    runs = []
    for config_file in config_files:
        output_dir = output_root / config_file.stem
        argv = ["--config-file", str(config_file), *extra, "--output-dir", str(output_dir)]
        try:
            config = parse_args(argv)
        except SystemExit:  # argparse printed the reason
            raise ValueError(f"{config_file}: invalid options (see the message above)") from None
        status = _status(config, output_dir)
        resume = ["--resume-from-checkpoint", "latest"] if status == "resume" else []
        runs.append(GridRun(config_file, output_dir, status, (*_launcher(launch), str(TRAIN), *argv, *resume)))
    return runs


def _status(config, output_dir: Path) -> str:
    results = output_dir / RESULTS_FILE
    if results.is_file() and identity_of(json.loads(results.read_text(encoding="utf-8"))["run"]["config"]) == \
            config.identity():
        return "finished"
    return "resume" if completed_checkpoints(output_dir) else "train"


def _launcher(launch: str) -> list[str]:
    return [sys.executable] if launch == "python" else shlex.split(launch)


def run_grid(runs: list[GridRun], *, dry_run: bool = False, log=print) -> list[GridRun]:
    """Run every unfinished config; return the runs that failed."""
    failed = []
    for index, run in enumerate(runs, 1):
        prefix = f"[{index}/{len(runs)}] {run.config_file.name}"
        if run.status == "finished":
            log(f"{prefix}: finished in {run.output_dir}, skipped")
            continue
        log(f"{prefix}: {'resuming' if run.status == 'resume' else 'training'} -> {shlex.join(run.command)}")
        if not dry_run and subprocess.run(run.command).returncode != 0:
            log(f"{prefix}: FAILED (see train.py's message above)")
            failed.append(run)
    return failed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="ruqtopics grid", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="+", help="YAML configs: files, folders or glob patterns")
    parser.add_argument("--output-root", type=Path, default=Path("runs"),
                        help="each run trains into OUTPUT_ROOT/<config name> (default: runs)")
    parser.add_argument("--launch", default="python",
                        help="command that starts train.py, e.g. 'accelerate launch --num_processes 4' "
                             "(default: this Python)")
    parser.add_argument("--dry-run", action="store_true", help="print what would run, run nothing")
    args = parser.parse_args(own)
    try:
        runs = plan(expand(args.configs), args.output_root, extra, args.launch)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    failed = run_grid(runs, dry_run=args.dry_run)
    if failed:
        print(f"{len(failed)} of {len(runs)} runs failed: {', '.join(run.config_file.name for run in failed)}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
