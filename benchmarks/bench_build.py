"""Build benchmark: the full RuQTopics export vs a bare one-pass builder, on a full-size generated raw set.

    python benchmarks/bench_build.py [--records 532490] [--workdir /tmp/ruqtopics-bench]

It writes a raw canonical set of `--records` records (short questions; answers with lengths like the real
ones, median about 65 words, so about 790 MB of JSON Lines at full size), then times in separate processes:
- baseline: one minimal `GeneratorBasedBuilder` pass (json.loads per line, no validation) into one Parquet file;
- export: `ruqtopics.py export` (validation, all three configs, card statistics, Parquet shards, card).
Each runs in a fresh process so that its peak memory (max RSS) is its own. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_RECORDS = 532_490
MULTI_LABEL_SHARE = 170_930 / REAL_RECORDS

BASELINE = textwrap.dedent('''
    import json, sys, datasets

    class Bare(datasets.GeneratorBasedBuilder):
        def _info(self):
            return datasets.DatasetInfo(features=datasets.Features({
                "id": datasets.Value("string"), "question": datasets.Value("string"),
                "answer": datasets.Value("string"), "labels": datasets.List(datasets.Value("string"))}))
        def _split_generators(self, dl_manager):
            return [datasets.SplitGenerator(name="train", gen_kwargs={"paths": sys.argv[1:-1]})]
        def _generate_examples(self, paths):
            for path in paths:
                with open(path, encoding="utf-8") as handle:
                    for line in handle:
                        record = json.loads(line)
                        yield record["id"], record

    Bare(cache_dir=sys.argv[-1] + "/cache").download_and_prepare(output_dir=sys.argv[-1] + "/out",
                                                                 file_format="parquet")
''')


def write_raw(folder: Path, records: int, seed: int = 0) -> int:
    """A canonical raw set with realistic lengths; returns its size in bytes."""
    sys.path.insert(0, str(ROOT))
    from ruqtopics_kit.dataset.prepare import split_of
    from ruqtopics_kit.facts.labels import all_topics

    rng, names = random.Random(seed), list(all_topics().names)
    words = json.loads((ROOT / "scripts" / "sample_vocabulary.json").read_text(encoding="utf-8"))["words"]
    vocabulary = [w for ws in words.values() for w in ws] + ["это", "что", "как", "если", "очень", "можно"] * 20
    folder.mkdir(parents=True, exist_ok=True)
    handles = {split: open(folder / f"{split}.jsonl", "w", encoding="utf-8")
               for split in ("train", "validation", "test")}
    for number in range(records):
        labels = rng.sample(names, 2 if rng.random() < MULTI_LABEL_SHARE else 1)
        question = " ".join(rng.choices(vocabulary, k=max(2, int(rng.lognormvariate(2.2, 0.45))))) + "?"
        answer = " ".join(rng.choices(vocabulary, k=max(3, int(rng.lognormvariate(4.15, 0.8)))))
        record = {"id": str(number), "question": f"{number} {question}", "answer": answer, "labels": labels}
        handles[split_of(str(number))].write(json.dumps(record, ensure_ascii=False) + "\n")
    for handle in handles.values():
        handle.close()
    return sum(p.stat().st_size for p in folder.glob("*.jsonl"))


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak < before:
        raise RuntimeError("peak RSS went down: run each measurement in its own benchmark process")
    return seconds, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=REAL_RECORDS)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ruqtopics-bench"))
    parser.add_argument("--which", choices=["both", "baseline", "export"], default="both",
                        help="(internal) measure one side only, so that max RSS is not shared")
    args = parser.parse_args()
    raw = args.workdir / f"raw-{args.records}"
    if not raw.exists():
        size = write_raw(raw, args.records)
        print(f"generated {args.records} records, {size / 1e6:.0f} MB of JSON Lines in {raw}")
    if args.which == "both":
        for which in ("baseline", "export"):
            subprocess.run([sys.executable, __file__, "--records", str(args.records), "--workdir", str(args.workdir),
                            "--which", which], check=True)
        return
    scratch = args.workdir / f"{args.which}-{args.records}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    if args.which == "baseline":
        files = [str(raw / f"{split}.jsonl") for split in ("train", "validation", "test")]
        seconds, peak = timed([sys.executable, "-c", BASELINE, *files, str(scratch)])
    else:
        seconds, peak = timed([sys.executable, str(ROOT / "ruqtopics.py"), "export", "--data-dir", str(raw),
                               "--output-dir", str(scratch / "repo")])
    print(f"| {args.which} | {args.records} | {seconds:.1f} | {peak:.2f} |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
