"""Which GPUs each of the grid's parallel runs sees: `CUDA_VISIBLE_DEVICES` per child process.

With N runs at once and G visible GPUs, run slot s (0 <= s < N) gets its own K GPUs (`--gpus-per-run K`, default
1) when N x K <= G; otherwise the G // K groups of K GPUs are dealt out round robin, so that runs share a group only
when there are more runs than groups, as evenly as the numbers allow, and the grid says so. A run keeps its slot from
start to end and hands it to the next run, so two runs at once never hold the same slot.

The visible GPUs are `--gpus LIST`, else `CUDA_VISIBLE_DEVICES`, else those that `nvidia-smi` lists (the grid does not
import torch to count them). With none, nothing is set and the runs share the CPU cores (`processes.threads_per_job`).
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def parse_gpus(value: str) -> tuple[str, ...]:
    """`--gpus 0,1,2,3` (CUDA_VISIBLE_DEVICES's syntax: indices or GPU UUIDs); no empty or repeated entry."""
    gpus = tuple(part.strip() for part in value.split(","))
    if not all(gpus) or len(set(gpus)) != len(gpus):
        raise argparse.ArgumentTypeError(f"expected distinct comma-separated GPU indices or UUIDs, e.g. 0,1,2,3; "
                                         f"got {value!r}")
    return gpus


def visible_gpus(requested: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """`requested`, else CUDA_VISIBLE_DEVICES, else the GPUs nvidia-smi lists (none without it)."""
    if requested is not None:
        return requested
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        listed = [part.strip() for part in os.environ["CUDA_VISIBLE_DEVICES"].split(",")]
        return tuple(part for part in listed if part and part != "-1")
    if shutil.which("nvidia-smi") is None:
        return ()
    try:
        listing = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                                 text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):  # a driver that does not answer: no usable GPU
        return ()
    return tuple(line.strip() for line in listing.splitlines() if line.strip())


@dataclass(frozen=True)
class DeviceSlots:
    """The GPUs of each of `jobs` run slots (an empty tuple per slot without GPUs)."""

    gpus: tuple[str, ...]
    slots: tuple[tuple[str, ...], ...]

    @classmethod
    def assign(cls, jobs: int, gpus: tuple[str, ...], gpus_per_run: int | None = None) -> DeviceSlots:
        if not gpus:
            if gpus_per_run:
                raise ValueError(f"--gpus-per-run {gpus_per_run}: no GPU is visible (see --gpus)")
            return cls(gpus, ((),) * jobs)
        per_run = gpus_per_run or 1
        if per_run > len(gpus):
            raise ValueError(f"--gpus-per-run {per_run}: only {len(gpus)} GPU(s) visible ({','.join(gpus)})")
        groups = [gpus[start:start + per_run] for start in range(0, len(gpus) - per_run + 1, per_run)]
        return cls(gpus, tuple(groups[slot % len(groups)] for slot in range(jobs)))

    def describe(self) -> str:
        """One line for the grid's log: which GPUs, and how many runs share each when they must."""
        if not self.gpus:
            return ""
        sharing = Counter(self.slots)
        used = len(sharing) * len(self.slots[0])
        line = (f"{len(self.slots)} run(s) at once on {len(self.gpus)} GPU(s) ({','.join(self.gpus)}), "
                f"{len(self.slots[0])} per run")
        if max(sharing.values()) == 1:
            return line + ("" if used == len(self.gpus) else f"; {len(self.gpus) - used} GPU(s) left idle "
                                                                 f"(--gpus-per-run gives each run more)")
        counts = sorted(Counter(sharing.values()).items(), reverse=True)
        unit = "GPU(s)" if len(self.slots[0]) == 1 else f"group(s) of {len(self.slots[0])} GPUs"
        shared = ", ".join(f"{groups} {unit} run {runs} at once" for runs, groups in counts)
        return f"{line}; more runs than GPUs, so runs SHARE devices: {shared}"

    def environment(self, slot: int) -> dict[str, str]:
        """What a run in `slot` adds to its environment."""
        return {"CUDA_VISIBLE_DEVICES": ",".join(self.slots[slot])} if self.gpus else {}

    def free_slots(self) -> queue.Queue:
        """A queue of the slots, for the threads that start runs: each holds one (`holding`) for a run's length."""
        free: queue.Queue = queue.Queue()
        for slot in range(len(self.slots)):
            free.put(slot)
        return free


@contextmanager
def holding(free: queue.Queue) -> Iterator[int]:
    """Hold a free slot for the length of one run."""
    slot = free.get()
    try:
        yield slot
    finally:
        free.put(slot)
