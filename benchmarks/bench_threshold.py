"""Choosing the multi-label decision threshold: one `compute` of the metric per threshold against the kit's one pass.

    python benchmarks/bench_threshold.py

train.py picks, at every validation evaluation, the threshold in THRESHOLDS (19) with the best micro-F1. The obvious
way asks the `evaluate` metric for each; the kit counts all 19 in one numpy pass (`micro_f1_by_threshold`, in the
metric module) and asks the metric once, at the chosen threshold. Sizes: the bundled sample's multi-label validation
split (139 rows) and a tenth of the full multi-label set (17,093), 76 classes, random logits; best of 3 rounds,
interleaved. Peak memory is tracemalloc's, in a separate run of each (numpy and Python allocations; Arrow's buffers
are not traced).
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ruqtopics_kit.training.evaluation import THRESHOLDS, Evaluator, Predictions, best_threshold  # noqa: E402


def main() -> None:
    evaluator = Evaluator(SimpleNamespace(is_main_process=True), multi_label=True)
    for rows in (139, 17_093):
        rng = np.random.default_rng(0)
        predictions = Predictions(rng.normal(-3, 2, (rows, 76)).astype(np.float32),
                                  (rng.random((rows, 76)) < 0.03).astype(np.float32))
        sides = {
            "one pass (the kit)": lambda: best_threshold(predictions),
            "a compute per threshold": lambda: max(
                THRESHOLDS, key=lambda t: (evaluator.score(predictions, t)["micro_f1"], -t)),
        }
        seconds, chosen = {}, {}
        for _ in range(3):
            for name, choose in sides.items():
                started = time.perf_counter()
                chosen[name] = choose()
                seconds[name] = min(seconds.get(name, float("inf")), time.perf_counter() - started)
        assert len(set(chosen.values())) == 1, chosen  # both choose the same threshold
        peaks = {name: traced_peak(choose) for name, choose in sides.items()}  # apart: tracing slows Python 5x
        for name in sides:
            print(f"{rows:>6} rows: {name}: {seconds[name] * 1e3:8.1f} ms "
                  f"({seconds[name] / seconds['one pass (the kit)']:.1f}x), peak {peaks[name]:.1f} MiB traced")


def traced_peak(function) -> float:
    """MiB at the peak of the allocations that tracemalloc sees while `function` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


if __name__ == "__main__":
    main()
