"""Export RuQTopics as a script-free Hub dataset repository: Parquet shards plus a dataset card.

The layout is the one `DatasetDict.push_to_hub(repo, config_name=...)` writes, for each config:
`<config>/<split>-XXXXX-of-YYYYY.parquet`, with `configs:` and `dataset_info:` in the README's YAML, so
`datasets.load_dataset("<org>/ruqtopics", "<config>")` (or the local folder) loads it with its ClassLabel
names. The raw files are read once; every config is selected from the same batches.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
import pyarrow.compute as pc
from datasets.arrow_writer import ArrowWriter
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from datasets.utils.py_utils import convert_file_size_to_int
from huggingface_hub import DatasetCard, DatasetCardData
from tqdm.auto import tqdm

from . import configs
from .atomic import atomic_directory
from .builder import _CITATION
from .labels import CONFIG_NAMES, all_topics, for_config, label_column
from .raw import ReadReport, detect_layout, read_batches

TEMPLATE = Path(__file__).resolve().parents[1] / "dataset_card" / "template.md"
DEFAULT_CONFIG = "single_label"


@dataclass
class ConfigStats:
    """Running statistics of one config, kept as histograms so memory does not grow with the data."""

    split_sizes: Counter = field(default_factory=Counter)
    class_counts: np.ndarray = field(default_factory=lambda: np.zeros(len(all_topics()), dtype=np.int64))
    question_words: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    answer_words: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    def update(self, split: str, table, config_name: str) -> None:
        self.split_sizes[split] += table.num_rows
        ids = table[label_column(config_name)]
        ids = pc.list_flatten(ids) if config_name == "multi_label" else ids
        names = for_config(config_name).names
        topic_ids = np.array([all_topics().id_of(name) for name in names])[ids.to_numpy()]
        self.class_counts += np.bincount(topic_ids, minlength=len(self.class_counts))
        self.question_words = _add_histogram(self.question_words, _word_counts(table["question"]))
        self.answer_words = _add_histogram(self.answer_words, _word_counts(table["answer"]))


def _word_counts(column) -> np.ndarray:
    return pc.list_value_length(pc.utf8_split_whitespace(column)).to_numpy(zero_copy_only=False)


def _add_histogram(histogram: np.ndarray, values: np.ndarray) -> np.ndarray:
    counts = np.bincount(values, minlength=len(histogram)) if len(values) else np.zeros(1, dtype=np.int64)
    if len(counts) > len(histogram):
        histogram = np.pad(histogram, (0, len(counts) - len(histogram)))
    histogram[: len(counts)] += counts
    return histogram


def histogram_quantile(histogram: np.ndarray, q: float) -> int:
    """The `q` quantile (lower) of the values whose counts `histogram` holds."""
    cumulative = np.cumsum(histogram)
    if cumulative[-1] == 0:
        return 0
    return int(np.searchsorted(cumulative, q * (cumulative[-1] - 1), side="right"))


def export_dataset(data_dir: str | Path, output_dir: str | Path, *, overwrite: bool = False,
                   on_bad_record: str = "error", license: str = "unknown", synthetic: bool | None = None,
                   max_shard_size: str | int = datasets.config.MAX_SHARD_SIZE) -> dict:
    """Write the Hub repository of the raw data in `data_dir` to `output_dir`, all or nothing.

    Returns a summary: records per config and split, and skipped bad records (with on_bad_record="skip").
    `synthetic=None` reads it from the data: a README.md in `data_dir` whose first line says SYNTHETIC.
    """
    data_dir, output_dir = Path(data_dir), Path(output_dir)
    files = detect_layout(data_dir)
    if synthetic is None:
        readme = data_dir / "README.md"
        synthetic = readme.is_file() and "SYNTHETIC" in readme.read_text(encoding="utf-8").splitlines()[0]
    with tempfile.TemporaryDirectory(prefix="ruqtopics-export-") as scratch, \
            atomic_directory(output_dir, overwrite=overwrite) as staging:
        stats, report = _write_arrow(files, Path(scratch), on_bad_record)
        infos = {name: _write_parquet(Path(scratch), staging, name, files, max_shard_size) for name in CONFIG_NAMES}
        _write_card(staging, infos, stats, license=license, synthetic=synthetic)
    return {"records": {name: dict(stats[name].split_sizes) for name in CONFIG_NAMES},
            "skipped": dict(report.skipped)}


def _write_arrow(files: dict[str, Path], scratch: Path, on_bad_record: str) -> tuple[dict, ReadReport]:
    """One pass over the raw files, appending each config's selection to its own Arrow file."""
    report, stats = ReadReport(), {name: ConfigStats() for name in CONFIG_NAMES}
    progress = tqdm(desc="Reading raw records", unit=" records")
    for split, path in files.items():
        writers = {name: ArrowWriter(features=configs.features(name), path=str(scratch / f"{name}-{split}.arrow"))
                   for name in CONFIG_NAMES}
        for batch in read_batches(path, split, report, on_bad_record):
            for name, writer in writers.items():
                table = configs.select(batch, name)
                writer.write_table(table)
                stats[name].update(split, table, name)
            progress.update(batch.num_rows)
        for writer in writers.values():
            writer.finalize()
            writer.close()
    progress.close()
    return stats, report


def _write_parquet(scratch: Path, staging: Path, config_name: str, files: dict, max_shard_size) -> datasets.DatasetInfo:
    """Shard each split of a config into Parquet the way `push_to_hub` does; return the config's info."""
    info = datasets.DatasetInfo(features=configs.features(config_name), config_name=config_name)
    info.splits, download_size = datasets.SplitDict(), 0
    for split in files:
        dataset = datasets.Dataset.from_file(str(scratch / f"{config_name}-{split}.arrow"),
                                             info=datasets.DatasetInfo(features=info.features), split=split)
        if len(dataset) == 0:  # an empty split cannot be loaded: leave it out of the repository
            continue
        num_shards = int(dataset.data.nbytes / convert_file_size_to_int(max_shard_size)) + 1
        (staging / config_name).mkdir(exist_ok=True)
        for index in range(num_shards):
            path = staging / config_name / f"{split}-{index:05d}-of-{num_shards:05d}.parquet"
            dataset.shard(num_shards=num_shards, index=index, contiguous=True).to_parquet(str(path))
            download_size += path.stat().st_size
        info.splits.add(datasets.SplitInfo(name=split, num_bytes=dataset.data.nbytes, num_examples=len(dataset),
                                           dataset_name="ruqtopics"))
    info.download_size, info.dataset_size = download_size, sum(s.num_bytes for s in info.splits.values())
    return info


def _size_category(total: int) -> str:
    for bound, name in [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]:
        if total < bound:
            return name
    return "1M<n<10M"


def _write_card(staging: Path, infos: dict, stats: dict, *, license: str, synthetic: bool) -> None:
    total = sum(stats[name].split_sizes.total() for name in ("single_label", "multi_label"))
    card_data = DatasetCardData(
        language=["ru"], license=license, pretty_name="RuQTopics", multilinguality="monolingual",
        task_categories=["text-classification"],
        task_ids=["topic-classification", "multi-class-classification", "multi-label-classification"],
        size_categories=[_size_category(total)], source_datasets=["original"],
        annotations_creators=["found"], language_creators=["found"],
        tags=["synthetic-sample"] if synthetic else [])
    DatasetInfosDict(infos).to_dataset_card_data(card_data)
    MetadataConfigs({name: {"data_files": [{"split": split, "path": f"{name}/{split}-*"} for split in info.splits],
                            **({"default": True} if name == DEFAULT_CONFIG else {})}
                     for name, info in infos.items()}).to_dataset_card_data(card_data)
    card = DatasetCard.from_template(card_data, template_path=str(TEMPLATE), synthetic=synthetic,
                                     **_card_tables(stats), citation=_CITATION)
    card.save(staging / "README.md")


def _card_tables(stats: dict) -> dict:
    """Values for the card template: split sizes, class distribution and length statistics."""
    topics = all_topics()
    return {
        "configs": [{"name": name, "description": configs.DESCRIPTIONS[name], "sizes": stats[name].split_sizes,
                     "num_classes": len(for_config(name))} for name in CONFIG_NAMES],
        "classes": [{"id": i, "name": topics.names[i], "english": topics.english[i],
                     "single": int(stats["single_label"].class_counts[i]),
                     "multi": int(stats["multi_label"].class_counts[i])} for i in range(len(topics))],
        "lengths": [{"config": name, "field": field_name,
                     "median": histogram_quantile(histogram, 0.5), "p1": histogram_quantile(histogram, 0.01),
                     "p99": histogram_quantile(histogram, 0.99)}
                    for name in CONFIG_NAMES
                    for field_name, histogram in (("question", stats[name].question_words),
                                                  ("answer", stats[name].answer_words))],
    }
