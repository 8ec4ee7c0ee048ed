"""Where train.py's memory goes at two data sizes: anonymous memory against file-backed pages.

    python benchmarks/bench_release.py --also-quarter      # first: exports both sizes under its --workdir
    python benchmarks/bench_train_memory.py                # then: one epoch of single_label questions at each size

RSS (what bench_release.py reports) counts the pages of memory-mapped files as well: the Arrow files `datasets`
maps, which an epoch reads through and the kernel can drop again. psutil splits it on Linux: `shared` is the
file-backed and shared pages (RssFile + RssShmem), RSS minus shared the process's own (anonymous) memory. This
samples both every 0.5 s while train.py runs the sample config `tiny-single_label-question.yaml` for one epoch
on each exported size, with the benchmark's tiny backbone, and prints the peaks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("rss", "anonymous", "shared")
SIZES = (133_122, 532_490)
GiB = 2**30


def memory(process: psutil.Process) -> dict[str, float]:
    """The process's RSS split into anonymous and shared (file-backed) pages, in GiB (empty once it has exited)."""
    try:
        info = process.memory_info()
    except psutil.NoSuchProcess:
        return {}
    return {"rss": info.rss / GiB, "anonymous": (info.rss - info.shared) / GiB, "shared": info.shared / GiB}


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
    process = psutil.Process(child.pid)
    while child.poll() is None:
        for name, value in memory(process).items():
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
    print("| records | seconds | peak RSS GiB | peak anonymous GiB | peak shared (file-backed) GiB |\n"
          "|---:|---:|---:|---:|---:|")
    for records in SIZES:
        seconds, peaks = one_epoch(args.workdir, records)
        print(f"| {records:,} | {seconds:.0f} | " + " | ".join(f"{peaks[name]:.2f}" for name in FIELDS) + " |",
              flush=True)


if __name__ == "__main__":
    main()
