"""Where train.py's memory goes at two data sizes: anonymous memory against file-backed pages.

    python benchmarks/bench_release.py --also-quarter      # first: exports both sizes under its --workdir
    python benchmarks/bench_train_memory.py                # then: one epoch of single_label questions at each size

psutil's RSS (what bench_release.py reports) counts the pages of memory-mapped files as well: the Arrow files
`datasets` maps, which an epoch reads through and the kernel can drop again. Linux splits RSS in /proc/PID/status
into RssAnon (the process's own memory) and RssFile (mapped file pages); this samples both every 0.5 s while
train.py runs the sample config `tiny-single_label-question.yaml` for one epoch on each exported size, with the
benchmark's tiny backbone, and prints the peaks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("VmRSS", "RssAnon", "RssFile")
SIZES = (133_122, 532_490)


def memory(pid: int) -> dict[str, float]:
    """The process's RSS fields in GiB (empty once it has exited)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return {}
    values = dict(line.split(":", 1) for line in lines if ":" in line)
    return {name: int(values[name].split()[0]) / 2**20 for name in FIELDS if name in values}


def one_epoch(workdir: Path, records: int) -> tuple[float, dict[str, float]]:
    output = workdir / f"train-memory-{records}"
    shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, "-m", "ruqtopics_kit", "train",
               "--config-file", str(ROOT / "configs" / "sample" / "tiny-single_label-question.yaml"),
               "--num-train-epochs", "1", "--dataset", str(workdir / f"release-{records}" / "hub" / "ruqtopics"),
               "--backbone", str(workdir / "tiny-backbone"), "--output-dir", str(output),
               "--report-to", "none", "--checkpointing-steps", "none"]
    started, peaks = time.perf_counter(), dict.fromkeys(FIELDS, 0.0)
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while child.poll() is None:
        for name, value in memory(child.pid).items():
            peaks[name] = max(peaks[name], value)
        time.sleep(0.5)
    if child.returncode:
        raise SystemExit(f"train.py failed (exit {child.returncode}) at {records:,} records: run {' '.join(command)}")
    return time.perf_counter() - started, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-release-bench"),
                        help="bench_release.py's --workdir, holding release-133122/ and release-532490/")
    args = parser.parse_args()
    print("| records | seconds | peak RSS GiB | peak RssAnon GiB | peak RssFile GiB |\n|---:|---:|---:|---:|---:|")
    for records in SIZES:
        seconds, peaks = one_epoch(args.workdir, records)
        print(f"| {records:,} | {seconds:.0f} | " + " | ".join(f"{peaks[name]:.2f}" for name in FIELDS) + " |",
              flush=True)


if __name__ == "__main__":
    main()
