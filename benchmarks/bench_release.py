"""Full-size rehearsal: the whole release (`python -m ruqtopics_kit release`) on generated data of the real size.

    python benchmarks/bench_release.py                       # 532,490 records, MASSIVE 51 x 16,521
    python benchmarks/bench_release.py --records 133122      # a quarter, to compare memory
    python benchmarks/bench_release.py --also-quarter        # both sizes in one run, with the memory ratio

Inputs, generated once under --workdir and reused:
- a raw canonical set of `--records` records (bench_build.py's generator: 361,560 : 170,930 single- to multi-label,
  76 classes, short questions, answers with the real length distribution, about 790 MB at full size);
- a MASSIVE-shaped archive (bench_evaluate_massive.py's: 51 locales x 16,521 records, scenarios in MASSIVE's test
  proportions);
- the tiny BERT backbone (2 layers, hidden 256, a WordPiece of 3,000 built on 20,000 generated records), which
  stands for the backbone a real release downloads;
- the sample grid (configs/sample) with one epoch per config.

The release runs in a child process exactly as a user runs it (`--data-dir --massive --grid --backbone
--output-dir`). Its own `[run]  STEP` lines mark where each step starts; while it runs, the resident memory of its
whole process tree (the release and the train.py it starts) is sampled every 0.2 s with psutil. Per step: wall
time, peak RSS of the tree (a sum, so shared library pages count twice: an upper bound) and peak RSS of its largest
process; in total, also `getrusage(RUSAGE_CHILDREN).ru_maxrss`, the largest process the kernel saw. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import REAL_RECORDS, write_raw  # noqa: E402
from bench_evaluate_massive import full_massive_archive  # noqa: E402

GiB = 2**30
BACKBONE_RECORDS = 20_000  # records whose text trains the tiny backbone's WordPiece
TARGET_SECONDS, TARGET_GIB = 20 * 60, 3.0


# ---- inputs ----------------------------------------------------------------------------------------------------

def one_epoch_grid(folder: Path) -> list[Path]:
    """configs/sample with `num_train_epochs: 1` (their backbone and dataset paths are overridden by the release)."""
    folder.mkdir(parents=True, exist_ok=True)
    grid = []
    for config in sorted((ROOT / "configs" / "sample").glob("*.yaml")):
        values = yaml.safe_load(config.read_text(encoding="utf-8")) | {"num_train_epochs": 1}
        target = folder / config.name
        target.write_text(yaml.safe_dump(values, sort_keys=False, allow_unicode=True), encoding="utf-8")
        grid.append(target)
    return grid


def tiny_backbone(raw: Path, folder: Path) -> Path:
    if (folder / "config.json").exists():
        return folder
    from ruqtopics_kit.modeling.tiny_backbone import build_tiny_backbone

    texts = []
    with open(raw / "train.jsonl", encoding="utf-8") as handle:
        for _, line in zip(range(BACKBONE_RECORDS), handle):
            record = json.loads(line)
            texts += [record["question"], record["answer"]]
    return build_tiny_backbone(texts, folder, vocab_size=3000)


def inputs(workdir: Path, records: int) -> tuple[Path, Path, Path, list[Path]]:
    raw = workdir / f"raw-{records}"
    if not raw.exists():
        started = time.perf_counter()
        size = write_raw(raw, records)
        print(f"generated {records:,} raw records ({size / 1e6:,.0f} MB) in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    massive = full_massive_archive(workdir / "massive-51x16521.tar.gz")
    print(f"MASSIVE-shaped archive: {massive} ({massive.stat().st_size / 1e6:,.0f} MB, "
          f"{time.perf_counter() - started:.0f} s)")
    backbone = tiny_backbone(raw, workdir / "tiny-backbone")  # the first records are the same at any size
    return raw, massive, backbone, one_epoch_grid(workdir / "grid")


# ---- measuring ---------------------------------------------------------------------------------------------------

class TreeMemory(threading.Thread):
    """Samples the RSS of a process and its descendants; peaks are kept per step (`step` is set from outside)."""

    def __init__(self, pid: int, step: str, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.step, self.interval = psutil.Process(pid), step, interval
        self.tree_peak: dict[str, int] = {}
        self.process_peak: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for process in processes:
                try:
                    sizes.append(process.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            step = self.step
            self.tree_peak[step] = max(self.tree_peak.get(step, 0), sum(sizes))
            self.process_peak[step] = max(self.process_peak.get(step, 0), max(sizes, default=0))
            self.done.wait(self.interval)


GRID_LINE = re.compile(r"^\[\d+/\d+\] (?P<name>.+?)\.yaml: (?P<what>training|resuming|done in)")


def next_step(line: str, trainings: list[str]) -> str | None:
    """The step a line of the release's output starts, if it starts one: a `[run]` step, each training of the
    grid runner (one after another: the release trains with one job), or the cards and report."""
    if line.startswith("[run]"):
        return line.split(maxsplit=1)[1].strip()
    if line.startswith("report:"):
        return "cards and report"
    match = GRID_LINE.match(line)
    if not match:
        return None
    if match["what"] != "done in":
        trainings.append(f"train/{match['name']}")
        return trainings[0] if len(trainings) == 1 else None
    done = trainings.index(f"train/{match['name']}")
    return trainings[done + 1] if done + 1 < len(trainings) else "after training"


def run_release(raw: Path, massive: Path, backbone: Path, grid: list[Path], output: Path, log: Path) -> list[dict]:
    """Run the release in a child process; one row per step: name, seconds, peak tree and process RSS (bytes)."""
    shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, "-u", "-m", "ruqtopics_kit", "release", "--data-dir", str(raw), "--massive",
               str(massive), "--grid", *map(str, grid), "--backbone", str(backbone), "--output-dir", str(output)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    steps, started = [], time.perf_counter()
    with open(log, "w", encoding="utf-8") as errors:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        memory = TreeMemory(child.pid, step="start-up (imports, reading the grid)")
        memory.start()
        trainings = []  # the grid runner announces every training first, then says "done in" as each ends
        for line in child.stdout:
            errors.write(line)
            errors.flush()  # keep the release's lines in order with its stderr in the log
            following = next_step(line, trainings)
            if following:
                now = time.perf_counter()
                steps.append((memory.step, started))
                print(f"  {memory.step}: {now - started:.0f} s, peak tree RSS "
                      f"{memory.tree_peak.get(memory.step, 0) / GiB:.2f} GiB", flush=True)
                memory.step, started = following, now
        child.wait()
        steps.append((memory.step, started))
        memory.done.set()
        memory.join()
    if child.returncode:
        raise SystemExit(f"the release failed (exit {child.returncode}); see {log}")
    ends = [begin for _, begin in steps[1:]] + [time.perf_counter()]
    return [{"step": name, "seconds": end - begin, "tree": memory.tree_peak.get(name, 0),
             "process": memory.process_peak.get(name, 0)}
            for (name, begin), end in zip(steps, ends)]


def table(rows: list[dict], records: int) -> str:
    lines = [f"| step ({records:,} records) | seconds | peak RSS, process tree GiB | peak RSS, largest process GiB |",
             "|---|---:|---:|---:|"]
    lines += [f"| {r['step']} | {r['seconds']:.0f} | {r['tree'] / GiB:.2f} | {r['process'] / GiB:.2f} |" for r in rows]
    total = sum(r["seconds"] for r in rows)
    lines.append(f"| **whole release** | **{total:.0f}** | **{max(r['tree'] for r in rows) / GiB:.2f}** | "
                 f"**{max(r['process'] for r in rows) / GiB:.2f}** |")
    return "\n".join(lines)


def rehearse(workdir: Path, records: int) -> list[dict]:
    raw, massive, backbone, grid = inputs(workdir, records)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows = run_release(raw, massive, backbone, grid, workdir / f"release-{records}", workdir / f"release-{records}.log")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print()
    print(table(rows, records))
    total, peak = sum(r["seconds"] for r in rows), max(r["tree"] for r in rows) / GiB
    note = "" if largest > before else " (an earlier child was larger: not this release's)"
    print(f"\nlargest process (getrusage RUSAGE_CHILDREN): {largest / 2**20:.2f} GiB{note}")
    print(f"whole release {total / 60:.1f} min (target < {TARGET_SECONDS // 60} min: "
          f"{'met' if total < TARGET_SECONDS else 'MISSED'}); peak tree RSS {peak:.2f} GiB (target < {TARGET_GIB} GiB: "
          f"{'met' if peak < TARGET_GIB else 'MISSED'})")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=REAL_RECORDS, help="raw records (default: the real 532,490)")
    parser.add_argument("--also-quarter", action="store_true",
                        help="first run the release on records/4 too, and compare peak memory per step")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-release-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; "
          f"{psutil.virtual_memory().total / GiB:.0f} GiB")
    sizes = ([args.records // 4] if args.also_quarter else []) + [args.records]
    runs = {records: rehearse(args.workdir, records) for records in sizes}
    if args.also_quarter:
        quarter, full = (runs[size] for size in sizes)
        print(f"\n| step | peak tree RSS at {sizes[1]:,} / at {sizes[0]:,} |\n|---|---:|")
        for small, large in zip(quarter, full):
            ratio = f"{large['tree'] / small['tree']:.2f}x" if small["tree"] else "n/a (too short to sample)"
            print(f"| {large['step']} | {ratio} |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
