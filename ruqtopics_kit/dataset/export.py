"""Export RuQTopics as a script-free Hub dataset repository: Parquet shards plus a dataset card.

The layout is the one `DatasetDict.push_to_hub(repo, config_name=...)` writes, for each config:
`<config>/<split>-XXXXX-of-YYYYY.parquet`, with `configs:` and `dataset_info:` in the README's YAML, so
`datasets.load_dataset("<org>/ruqtopics", "<config>")` (or the local folder) loads it with its ClassLabel
names. The raw files are read once; every config is selected from the same batches and streamed to Parquet.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets.arrow_writer import ParquetWriter
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from datasets.utils.py_utils import convert_file_size_to_int
from huggingface_hub import DatasetCard, DatasetCardData
from tqdm.auto import tqdm

from ruqtopics_kit.core.atomic import atomic_directory, atomic_write_text
from ruqtopics_kit.core.output_dir import claim_output_dir
from ruqtopics_kit.core.provenance import kit_reference, library_versions
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.dataset import features as per_config
from ruqtopics_kit.dataset.canonical import check_on_bad_record, question_hashes
from ruqtopics_kit.dataset.raw import ReadReport, detect_layout, read_batches
from ruqtopics_kit.facts.labels import CONFIG_NAMES, all_topics, for_config, label_column
from ruqtopics_kit.facts.names import DATASET_NAME, SYNTHETIC_TAG
from ruqtopics_kit.facts.paper import CITATION, PAPER_TAG, PAPER_URL

TEMPLATE = package_path("templates", "dataset_card", "template.md")
DEFAULT_CONFIG = "single_label"
# Shard size in Arrow bytes, as `push_to_hub(max_shard_size=...)` counts it. datasets' default is 500MB, which
# leaves the full single_label train split in one file (one stream shard, idle DataLoader workers); 100MB
# splits it into several.
DEFAULT_MAX_SHARD_SIZE = "100MB"
EXAMPLE_CHARS = 300  # the card's example record shows the first 300 characters of a longer question or answer


@dataclass
class ConfigStats:
    """Running statistics of one config, kept as histograms so memory does not grow with the data."""

    split_sizes: Counter = field(default_factory=Counter)
    class_counts: np.ndarray = field(default_factory=lambda: np.zeros(len(all_topics()), dtype=np.int64))
    question_words: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    answer_words: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    example: dict | None = None  # the first train record, for the card
    near_duplicates: Counter = field(default_factory=Counter)  # per split: questions equal to an earlier one's
    _split_questions: list = field(default_factory=list)  # hashes of the current split's question keys

    def update(self, split: str, table, config_name: str, question_hashes: np.ndarray) -> None:
        """Count the config's records `table` of a split, whose questions have `question_hashes`."""
        if self.example is None and split == "train" and table.num_rows:
            self.example = table.slice(0, 1).to_pylist()[0]
        self.split_sizes[split] += table.num_rows
        self._split_questions.append(question_hashes)
        ids = table[label_column(config_name)]
        ids = pc.list_flatten(ids) if config_name == "multi_label" else ids
        names = for_config(config_name).names
        topic_ids = np.array([all_topics().id_of(name) for name in names])[ids.to_numpy()]
        self.class_counts += np.bincount(topic_ids, minlength=len(self.class_counts))
        self.question_words = _add_histogram(self.question_words, _word_counts(table["question"]))
        self.answer_words = _add_histogram(self.answer_words, _word_counts(table["answer"]))


    def end_split(self, split: str) -> None:
        """Count the split's near-duplicate questions (same `question_key` as an earlier question of the split)."""
        hashes = np.concatenate(self._split_questions) if self._split_questions else np.empty(0, dtype=np.uint64)
        self.near_duplicates[split] = len(hashes) - len(np.unique(hashes))
        self._split_questions = []


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


ROW_GROUP_BYTES = 32 * 2**20  # rows are buffered up to this size per Parquet row group (datasets' cap: 100MB)


class ShardedParquetWriter:
    """Stream one config's split into Parquet shards of at most `max_shard_size` bytes (Arrow size).

    `push_to_hub` shards a finished Dataset; here the data streams by once, so a batch is cut where a shard
    fills up, the shard is closed, and the files get their `-XXXXX-of-YYYYY` names when the split ends.
    Memory stays flat: at most one row group per writer is held.
    """

    def __init__(self, folder: Path, split: str, features: datasets.Features, max_shard_size: int):
        self.folder, self.split, self.features, self.max_shard_size = folder, split, features, max_shard_size
        self.shards: list[Path] = []
        self.num_examples = self.num_bytes = self._shard_bytes = 0
        self._buffer: list = []
        self._buffer_bytes = 0
        self._writer: ParquetWriter | None = None

    def write(self, table) -> None:
        while table.num_rows:
            room = self.max_shard_size - self._shard_bytes - self._buffer_bytes
            rows = table.num_rows if table.nbytes <= room else max(1, table.num_rows * room // table.nbytes)
            part, table = table.slice(0, rows), table.slice(rows)
            self._buffer.append(part)
            self._buffer_bytes += part.nbytes
            self.num_examples += part.num_rows
            self.num_bytes += part.nbytes
            if self._buffer_bytes >= min(ROW_GROUP_BYTES, self.max_shard_size - self._shard_bytes):
                self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self.shards.append(self.folder / f".{self.split}-{len(self.shards):05d}.parquet")
            self._writer = ParquetWriter(features=self.features, path=str(self.shards[-1]))
        table = pa.concat_tables(self._buffer)
        self._writer.write_table(table, writer_batch_size=table.num_rows)
        self._shard_bytes += self._buffer_bytes
        self._buffer, self._buffer_bytes = [], 0
        if self._shard_bytes >= self.max_shard_size:
            self._close_shard()

    def _close_shard(self) -> None:
        self._writer.finalize()
        self._writer.close()
        self._writer, self._shard_bytes = None, 0

    def close(self) -> list[Path]:
        """Finish the split; return its shard files under their final names (none for an empty split)."""
        self._flush()
        if self._writer is not None:
            self._close_shard()
        final = [self.folder / f"{self.split}-{index:05d}-of-{len(self.shards):05d}.parquet"
                 for index in range(len(self.shards))]
        for temporary, path in zip(self.shards, final):
            temporary.rename(path)
        return final


SYNTHETIC_PUSH_REFUSED = ("refused to push: the data are the kit's synthetic sample, whose dataset, models and numbers "
                          "must not pass for real ones on the Hub (drop the push option, or give real data)")


def is_synthetic_source(path: str | Path) -> bool:
    """Whether a local data folder (or a file in one, such as a MASSIVE archive) is one of the kit's synthetic
    samples: the folder's README.md says SYNTHETIC on its first line, as the bundled samples' do."""
    path = Path(path)
    readme = (path if path.is_dir() else path.parent) / "README.md"
    if not readme.is_file():
        return False
    lines = readme.read_text(encoding="utf-8").splitlines()
    return bool(lines) and "SYNTHETIC" in lines[0]


def export_dataset(data_dir: str | Path, output_dir: str | Path, *, overwrite: bool = False,
                   on_bad_record: str = "error", license: str = "unknown", synthetic: bool | None = None,
                   max_shard_size: str | int = DEFAULT_MAX_SHARD_SIZE, repo_id: str | None = None) -> dict:
    """Write the Hub repository of the raw data in `data_dir` to `output_dir`, all or nothing.

    Returns a summary: records per config and split, and skipped bad records (with on_bad_record="skip").
    `synthetic=None` reads it from the data: a README.md in `data_dir` whose first line says SYNTHETIC.
    `repo_id` (ORG/NAME) is the id the card's loading code uses; without it the card loads the local folder
    and says why. `max_shard_size` is in datasets' units ("100MB", "1GB" or bytes).
    """
    data_dir, output_dir = Path(data_dir), Path(output_dir)
    check_on_bad_record(on_bad_record)
    files = detect_layout(data_dir)
    if synthetic is None:
        synthetic = is_synthetic_source(data_dir)
    with claim_output_dir(output_dir, {"--data-dir": data_dir}), \
            atomic_directory(output_dir, overwrite=overwrite) as staging:
        infos, stats, report = _write_parquet(files, staging, on_bad_record, convert_file_size_to_int(max_shard_size))
        _write_card(staging, infos, stats, license=license, synthetic=synthetic,
                    repo_id=repo_id, folder_name=output_dir.name)
    return {"records": {name: dict(stats[name].split_sizes) for name in CONFIG_NAMES},
            "near_duplicates": {name: dict(stats[name].near_duplicates) for name in CONFIG_NAMES},
            "skipped": dict(report.skipped)}


def _write_parquet(files: dict[str, Path], staging: Path, on_bad_record: str, max_shard_size: int):
    """One pass over the raw files, streaming each config's selection into its Parquet shards.

    The builder (builder.py) shares the record reader (`read_batches`) and the Features and selection
    (`features.py`) but writes through `datasets` itself, one config per `download_and_prepare`, so it reads and
    validates the raw files once per config: slower (docs/benchmarks.md, "Dataset export"), and it writes neither
    the Hub's `<config>/<split>-XXXXX-of-YYYYY.parquet` layout nor the card statistics: hence this second writer.
    """
    report, stats = ReadReport(), {name: ConfigStats() for name in CONFIG_NAMES}
    infos = {name: datasets.DatasetInfo(features=per_config.features(name), config_name=name,
                                        splits=datasets.SplitDict(), download_size=0, dataset_size=0)
             for name in CONFIG_NAMES}
    read = Counter()
    with tqdm(desc="Reading raw records", unit=" records") as progress:  # closed on an error too
        for split, path in files.items():
            writers = {}
            for name in CONFIG_NAMES:
                (staging / name).mkdir(exist_ok=True)
                writers[name] = ShardedParquetWriter(staging / name, split, infos[name].features, max_shard_size)
            for batch in read_batches(path, split, report, on_bad_record):
                questions = question_hashes(batch["question"].to_pylist())
                for name, writer in writers.items():
                    table = per_config.select(batch, name)
                    writer.write(table)
                    stats[name].update(split, table, name, questions[per_config.selected_rows(batch, name)])
                progress.update(batch.num_rows)
                read[split] += batch.num_rows
            for name, writer in writers.items():
                _record_split(infos[name], split, writer)
                stats[name].end_split(split)
    for split, path in files.items():  # once every file is read: a bad record is named before an empty split
        for name in CONFIG_NAMES:
            per_config.check_selected(name, split, stats[name].split_sizes[split], read[split], str(path))
    return infos, stats, report


def _record_split(info: datasets.DatasetInfo, split: str, writer: ShardedParquetWriter) -> None:
    """Close a split's writer and add it to the config's info."""
    shards = writer.close()
    info.splits.add(datasets.SplitInfo(name=split, num_bytes=writer.num_bytes, num_examples=writer.num_examples,
                                       dataset_name=DATASET_NAME))
    info.download_size += sum(path.stat().st_size for path in shards)
    info.dataset_size += writer.num_bytes


def _size_category(total: int) -> str:
    for bound, name in [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]:
        if total < bound:
            return name
    return "1M<n<10M"


def _write_card(staging: Path, infos: dict, stats: dict, *, license: str, synthetic: bool, repo_id: str | None,
                folder_name: str) -> None:
    total = sum(stats[name].split_sizes.total() for name in ("single_label", "multi_label"))
    card_data = DatasetCardData(
        language=["ru"], license=license, pretty_name="RuQTopics", multilinguality="monolingual",
        task_categories=["text-classification"],
        task_ids=["topic-classification", "multi-class-classification", "multi-label-classification"],
        size_categories=[_size_category(total)], source_datasets=["original"],
        annotations_creators=["found"], language_creators=["found"],
        tags=[PAPER_TAG] + ([SYNTHETIC_TAG] if synthetic else []))
    DatasetInfosDict(infos).to_dataset_card_data(card_data)
    _lists_as_sequences(card_data)
    MetadataConfigs({name: {"data_files": [{"split": split, "path": f"{name}/{split}-*"} for split in info.splits],
                            **({"default": True} if name == DEFAULT_CONFIG else {})}
                     for name, info in infos.items()}).to_dataset_card_data(card_data)
    card = DatasetCard.from_template(card_data, template_path=str(TEMPLATE), synthetic=synthetic,
                                     **_card_tables(stats), citation=CITATION, repo_id=repo_id,
                                     paper_url=PAPER_URL, paper_tag=PAPER_TAG,
                                     dataset_reference=repo_id or f"./{folder_name}", license=license,
                                     kit=kit_reference(), versions=library_versions(("datasets", "pyarrow")))
    card.save(staging / "README.md")


def _lists_as_sequences(card_data: DatasetCardData) -> None:
    """Write the card's list features (multi_label's `labels`) in the `sequence:` form.

    datasets 4 writes `list:`, which datasets 3.x reads as a plain Python list, not a Sequence of ClassLabel;
    `sequence:` is read as Sequence by 3.x and as List by 4.x and later (`Features._from_yaml_list`).
    """
    infos = card_data["dataset_info"]
    for info in infos if isinstance(infos, list) else [infos]:
        for feature in info["features"]:
            if "list" in feature and "length" not in feature:
                feature["sequence"] = feature.pop("list")


def _example(record: dict | None, config_name: str) -> dict | None:
    """A config's example record as the card shows it: JSON (a long question or answer cut) and its class names."""
    if record is None:
        return None
    shown = dict(record)
    for name in ("question", "answer"):
        if len(shown[name]) > EXAMPLE_CHARS:
            shown[name] = shown[name][:EXAMPLE_CHARS] + "…"
    column, names = label_column(config_name), for_config(config_name).names
    ids = shown[column] if isinstance(shown[column], list) else [shown[column]]
    return {"json": json.dumps(shown, ensure_ascii=False, indent=2), "column": column,
            "classes": ", ".join(f"{i} = {names[i]}" for i in ids), "cut": shown != record}


def _card_tables(stats: dict) -> dict:
    """Values for the card template: split sizes, class distribution and length statistics."""
    topics = all_topics()
    return {
        "configs": [{"name": name, "description": per_config.DESCRIPTIONS[name], "sizes": stats[name].split_sizes,
                     "num_classes": len(for_config(name)), "example": _example(stats[name].example, name),
                     "near_duplicates": stats[name].near_duplicates}
                    for name in CONFIG_NAMES],
        "example_chars": EXAMPLE_CHARS,
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


MODELS_HEADING = "## Models trained on this dataset"


def link_models(dataset_dir: str | Path, model_repo_ids: list[str]) -> None:
    """List the release's model repositories in the dataset card (replacing an earlier list)."""
    path = Path(dataset_dir) / "README.md"
    card = DatasetCard.load(path)
    text = card.text
    if MODELS_HEADING in text:
        start = text.index(MODELS_HEADING)
        end = text.find("\n## ", start + len(MODELS_HEADING))
        text = text[:start] + (text[end + 1:] if end >= 0 else "")
    section = MODELS_HEADING + "\n\n" + "".join(f"- [{repo_id}](https://huggingface.co/{repo_id})\n"
                                                for repo_id in model_repo_ids) + "\n"
    anchor = text.find("## Citation")
    card.text = text[:anchor] + section + text[anchor:] if anchor >= 0 else text + "\n" + section
    atomic_write_text(path, str(card))
