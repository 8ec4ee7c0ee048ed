"""Reading raw RuQTopics data: the canonical JSON Lines layout and DeepPavlov's tab-separated layout.

Both readers yield Arrow record batches with the canonical columns `id`, `question`, `answer`, `labels`
(a list of class ids into the 76 topics), so the builder and the Hub export share one parser.

Every problem names the file, the line and what is wrong. `on_bad_record="skip"` skips records whose own
content is bad (and counts them); unreadable files and records repeated across the data always fail.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from .labels import all_topics

SPLITS = ("train", "validation", "test")
CANONICAL_FILES = {split: f"{split}.jsonl" for split in SPLITS}
DEEPPAVLOV_FILES = {"train": "train.csv", "validation": "val.csv", "test": "test.csv"}
DEEPPAVLOV_LABEL_SEPARATOR = ";"
BATCH_SIZE = 10_000

CANONICAL_SCHEMA = pa.schema([("id", pa.string()), ("question", pa.string()), ("answer", pa.string()),
                              ("labels", pa.list_(pa.int64()))])

OnBadRecord = Literal["error", "skip"]


class RawDataError(ValueError):
    """A problem in the raw data, located by file and line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass
class ReadReport:
    """What reading skipped, and the guard against records repeated across files and splits."""

    skipped: Counter = field(default_factory=Counter)
    _ids: dict[str, str] = field(default_factory=dict)
    _questions: dict[bytes, tuple[str, str]] = field(default_factory=dict)

    def claim(self, record_id: str, question: str, split: str, where: str, path: str, line: int) -> None:
        """Fail if this id was seen before, or this question text was seen in another split."""
        if record_id in self._ids:
            raise RawDataError(path, line, f"duplicate id {record_id!r}, first seen at {self._ids[record_id]}")
        self._ids[record_id] = where
        key = hashlib.blake2b(" ".join(question.split()).encode(), digest_size=12).digest()
        first = self._questions.setdefault(key, (split, where))
        if first[0] != split:
            raise RawDataError(path, line, f"record {record_id!r} is in split {split!r} but its question text "
                                           f"is also in split {first[0]!r} at {first[1]}")


def detect_layout(data_dir: str | Path) -> dict[str, Path]:
    """The raw files of each split in `data_dir`: canonical `*.jsonl` first, else DeepPavlov `*.csv`."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data_dir {str(data_dir)!r} is not a directory")
    for layout in (CANONICAL_FILES, DEEPPAVLOV_FILES):
        if (data_dir / layout["train"]).exists():
            missing = [name for name in layout.values() if not (data_dir / name).exists()]
            if missing:
                raise FileNotFoundError(f"{data_dir}: found {layout['train']} but not {', '.join(missing)}")
            return {split: data_dir / name for split, name in layout.items()}
    raise FileNotFoundError(f"{data_dir} holds neither the canonical layout ({', '.join(CANONICAL_FILES.values())}) "
                            f"nor DeepPavlov's ({', '.join(DEEPPAVLOV_FILES.values())})")


def read_batches(path: str | Path, split: str, report: ReadReport,
                 on_bad_record: OnBadRecord = "error") -> Iterator[pa.RecordBatch]:
    """Validated canonical record batches from one raw file (JSON Lines or DeepPavlov TSV)."""
    path = Path(path)
    parse = _deeppavlov_rows if path.suffix in (".csv", ".tsv") else _jsonl_rows
    columns: dict[str, list] = {name: [] for name in CANONICAL_SCHEMA.names}
    for line, row in parse(path, split):
        try:
            record = _validated(row)
        except ValueError as problem:
            if on_bad_record == "error":
                raise RawDataError(path, line, str(problem)) from None
            report.skipped[str(problem).split(":")[0]] += 1
            continue
        report.claim(record["id"], record["question"], split, f"{path.name}:{line}", str(path), line)
        for name, value in record.items():
            columns[name].append(value)
        if len(columns["id"]) == BATCH_SIZE:
            yield pa.RecordBatch.from_pydict(columns, schema=CANONICAL_SCHEMA)
            columns = {name: [] for name in CANONICAL_SCHEMA.names}
    if columns["id"]:
        yield pa.RecordBatch.from_pydict(columns, schema=CANONICAL_SCHEMA)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a UTF-8 file, decoded one line at a time so that an error names its exact line."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise RawDataError(path, None, f"cannot be read ({error.strerror})") from None
    with handle:
        for line_no, raw_line in enumerate(handle, start=1):
            try:
                yield line_no, raw_line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RawDataError(path, line_no, f"is not valid UTF-8 ({error.reason} at byte {error.start})") from None


def _jsonl_rows(path: Path, split: str) -> Iterator[tuple[int, dict]]:
    for line_no, text in _lines(path):
        if not text.strip():
            continue
        if not text.endswith("\n") and not text.rstrip().endswith("}"):
            raise RawDataError(path, line_no, "line is truncated (the file ends inside a record)")
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            raise RawDataError(path, line_no, f"not valid JSON ({error.msg}, column {error.colno})") from None
        if not isinstance(row, dict):
            raise RawDataError(path, line_no, f"expected a JSON object, got {type(row).__name__}")
        yield line_no, row


def _deeppavlov_rows(path: Path, split: str) -> Iterator[tuple[int, dict]]:
    """DeepPavlov's TSV: `text` and `label_id` (class id), or `label`/`labels` (names), `;` between labels."""
    lines = _lines(path)
    try:
        _, header_line = next(lines)
    except StopIteration:
        raise RawDataError(path, 1, "empty file: expected a header line") from None
    header = next(csv.reader([header_line], delimiter="\t"))
    label_column = next((name for name in ("label_id", "labels", "label") if name in header), None)
    if "text" not in header or label_column is None:
        raise RawDataError(path, 1, f"header must have a 'text' column and one of 'label_id', 'labels', 'label'; "
                                    f"got {header}")
    for line_no, text in lines:
        if not text.strip():
            continue
        values = next(csv.reader([text], delimiter="\t"))
        if len(values) != len(header):
            raise RawDataError(path, line_no, f"expected {len(header)} tab-separated fields, got {len(values)}")
        row = dict(zip(header, values))
        cells = [cell.strip() for cell in row[label_column].split(DEEPPAVLOV_LABEL_SEPARATOR) if cell.strip()]
        labels: list = cells
        if label_column == "label_id":
            if not all(cell.lstrip("-").isdigit() for cell in cells):
                raise RawDataError(path, line_no, f"label_id must be integers separated by ';', got {row[label_column]!r}")
            labels = [int(cell) for cell in cells]
        yield line_no, {"id": row.get("id") or f"{split}-{line_no}", "question": row["text"],
                        "answer": row.get("answer", ""), "labels": labels}


def _validated(row: dict) -> dict:
    """The canonical record of a raw row; ValueError("<problem>: <detail>") if the row is bad."""
    missing = [key for key in ("id", "question", "labels") if key not in row]
    if missing:
        raise ValueError(f"missing field: {', '.join(missing)}")
    record_id, question, answer = row["id"], row["question"], row.get("answer", "")
    if not isinstance(record_id, (str, int)) or isinstance(record_id, bool) or str(record_id) == "":
        raise ValueError(f"bad id: expected a non-empty string or integer, got {record_id!r}")
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"empty question: record {record_id!r} has question {question!r}")
    if not isinstance(answer, str):
        raise ValueError(f"bad answer: record {record_id!r} has a {type(answer).__name__}, expected a string")
    return {"id": str(record_id), "question": question, "answer": answer,
            "labels": _label_ids(row["labels"], record_id)}


def _label_ids(labels: object, record_id: object) -> list[int]:
    topics = all_topics()
    if not isinstance(labels, list) or not labels:
        raise ValueError(f"no labels: record {record_id!r} needs a non-empty list of class names, got {labels!r}")
    ids = []
    for label in labels:
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise ValueError(f"bad label: record {record_id!r} has label {label!r}")
        if isinstance(label, int) and not 0 <= label < len(topics):
            raise ValueError(f"unknown label_id: record {record_id!r} has {label}, expected 0..{len(topics) - 1}")
        if isinstance(label, str) and label not in topics:
            raise ValueError(f"unknown class: record {record_id!r} has {label!r}, which is not one of the "
                             f"{len(topics)} RuQTopics classes (see ruqtopics_kit/data/labels.json)")
        ids.append(label if isinstance(label, int) else topics.id_of(label))
    if len(set(ids)) != len(ids):
        raise ValueError(f"repeated label: record {record_id!r} lists a class twice: {labels!r}")
    return ids
