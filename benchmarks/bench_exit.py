"""How long a process takes to end after its work, with and without `skip_exit_collection` (core/processes.py).

    python benchmarks/bench_exit.py

Each run is a fresh interpreter that imports what a train.py process imports (`ruqtopics_kit.training.loop`:
torch, transformers, accelerate, datasets, evaluate) and ends at once; the exit time is its wall time from the
end of the imports to the parent seeing it gone. The two variants alternate for 5 rounds; medians are printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, time
from ruqtopics_kit.core.processes import skip_exit_collection
if sys.argv[2] == "skip": skip_exit_collection()
import ruqtopics_kit.training.loop
open(sys.argv[1], "w").write(repr(time.time()))
"""
VARIANTS = {"plain exit": "plain", "skip_exit_collection": "skip"}


def exit_seconds(variant: str, stamp: Path) -> float:
    subprocess.run([sys.executable, "-c", CHILD, str(stamp), variant], cwd=ROOT, check=True,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.time() - float(stamp.read_text())


def main() -> None:
    stamp = Path(tempfile.mkdtemp()) / "imported"
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(5):
        for name, variant in VARIANTS.items():
            seconds[name].append(exit_seconds(variant, stamp))
    plain = statistics.median(seconds["plain exit"])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name}: exit {median:.2f} s (median of {len(values)}; {min(values):.2f}-{max(values):.2f}), "
              f"{median / plain:.2f}x")


if __name__ == "__main__":
    main()
