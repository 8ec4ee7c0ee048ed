"""Reading raw RuQTopics files: the canonical JSON Lines layout and DeepPavlov's tab-separated layout.

Both readers yield Arrow record batches of canonical records (`canonical.py`: `id`, `question`, `answer`,
`labels` as class ids into the 76 topics), so the builder and the Hub export share one parser.

Every problem names the file, the line and what is wrong. `on_bad_record="skip"` skips records whose own
content is bad, and questions already in another split (and counts them); unreadable files, unknown fields or
columns, and ids repeated across the data always fail. A UTF-8 byte order mark before the first line is no part
of it, as for pandas (DeepPavlov's reader). Questions are compared across splits by `canonical.question_key`;
`prepare` keeps one record per key.
"""

from __future__ import annotations

import csv
import io
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ruqtopics_kit.core.jsonio import parse_object
from ruqtopics_kit.dataset.canonical import (
    CANONICAL_SCHEMA,
    MAX_CHARS,
    OnBadRecord,
    RawDataError,
    check_on_bad_record,
    did_you_mean,
    hash64,
    question_hashes,
    shown,
    validated_record,
)

SPLITS = ("train", "validation", "test")
CANONICAL_FILES = {split: f"{split}.jsonl" for split in SPLITS}
DEEPPAVLOV_FILES = {"train": "train.csv", "validation": "val.csv", "test": "test.csv"}
DEEPPAVLOV_LABEL_SEPARATOR = ";"
TSV_COLUMNS = ("id", "text", "answer", "label_id", "labels", "label")
LABEL_COLUMNS = ("label_id", "labels", "label")
BOM = "\ufeff"
LEAK = "cross-split duplicate"  # what --on-bad-record skip counts a question of another split as
CLASS_ID = re.compile(r"[0-9]+")  # ASCII digits: str.isdigit() also takes "²", which int() refuses
BATCH_SIZE = 10_000
# A line is read whole before it is parsed. A record within canonical.MAX_CHARS (110,256 characters, each up to
# 12 bytes when JSON escapes it) with all 76 labels needs under 2 MiB; 16 MiB stops a damaged file before it
# fills memory, without refusing a record the limits allow.
MAX_LINE_BYTES = 16 * 2**20


class _SeenIndex:
    """Sorted 64-bit keys with where each was first seen: about 17 bytes a record, whatever the data size."""

    def __init__(self):
        self.keys = np.empty(0, dtype=np.uint64)
        self.where = np.empty(0, dtype=np.int64)  # file number << 32 | line
        self.split = np.empty(0, dtype=np.int8)

    def first_seen(self, keys: np.ndarray) -> np.ndarray:
        """For each key, the position of its first sighting in this index, or -1."""
        positions = np.searchsorted(self.keys, keys)
        found = positions < len(self.keys)
        found[found] = self.keys[positions[found]] == keys[found]
        return np.where(found, positions, -1)

    def add(self, keys: np.ndarray, where: np.ndarray, split: int) -> None:
        """Add keys not seen before (the first of repeats within `keys`)."""
        keys, first = np.unique(keys, return_index=True)
        new = self.first_seen(keys) < 0
        order = np.argsort(np.concatenate([self.keys, keys[new]]), kind="stable")
        self.keys = np.concatenate([self.keys, keys[new]])[order]
        self.where = np.concatenate([self.where, where[first][new]])[order]
        self.split = np.concatenate([self.split, np.full(new.sum(), split, dtype=np.int8)])[order]


@dataclass
class ReadReport:
    """What reading skipped, and the guard against records repeated across files and splits.

    Ids and questions are kept as 64-bit hashes, so memory stays flat; two different ids sharing a hash
    (odds about 1e-8 for the full dataset) would be reported as a duplicate, never missed.
    """

    skipped: Counter = field(default_factory=Counter)
    _files: list[str] = field(default_factory=list)
    _splits: list[str] = field(default_factory=list)
    _ids: _SeenIndex = field(default_factory=_SeenIndex)
    _questions: _SeenIndex = field(default_factory=_SeenIndex)

    def claim(self, path: Path, split: str, ids: list[str], questions: list[str], lines: list[int],
              skip: bool = False) -> list[int]:
        """Fail on an id seen before; fail on a question already seen in another split, or with `skip` count it
        and return the positions of such records (left out of the batch)."""
        if str(path) not in self._files:
            self._files.append(str(path))
        if split not in self._splits:
            self._splits.append(split)
        where = (self._files.index(str(path)) << 32) | np.asarray(lines, dtype=np.int64)
        split_number = self._splits.index(split)
        id_keys, question_keys = hash64(ids), question_hashes(questions)
        self._check_ids(path, id_keys, ids, lines)
        leaks = self._leaks(path, split, question_keys, ids, lines, skip)
        kept = np.setdiff1d(np.arange(len(ids)), leaks)
        self._ids.add(id_keys, where, split_number)
        self._questions.add(question_keys[kept], where[kept], split_number)
        if leaks:
            self.skipped[LEAK] += len(leaks)
        return leaks

    def _location(self, where: int) -> str:
        return f"{Path(self._files[where >> 32]).name}:{where & 0xFFFFFFFF}"

    def _check_ids(self, path: Path, keys: np.ndarray, ids: list[str], lines: list[int]) -> None:
        seen = self._ids.first_seen(keys)
        _, first, counts = np.unique(keys, return_index=True, return_counts=True)
        repeats_in_batch = np.setdiff1d(np.arange(len(keys)), first) if (counts > 1).any() else []
        clashes = sorted([(i, self._location(int(self._ids.where[seen[i]]))) for i in np.flatnonzero(seen >= 0)]
                         + [(i, f"{Path(path).name}:{lines[ids.index(ids[i])]}") for i in repeats_in_batch])
        if clashes:
            i, location = clashes[0]
            raise RawDataError(path, lines[i], f"duplicate id {ids[i]!r}, first seen at {location}")

    def _leaks(self, path: Path, split: str, keys: np.ndarray, ids: list[str], lines: list[int],
               skip: bool) -> list[int]:
        seen, leaks = self._questions.first_seen(keys), []
        for i in np.flatnonzero(seen >= 0):
            other = self._splits[self._questions.split[seen[i]]]
            if other != split:
                if skip:
                    leaks.append(int(i))
                    continue
                where = int(self._questions.where[seen[i]])
                other_id = _record_id_at(Path(self._files[where >> 32]), other, where & 0xFFFFFFFF)
                raise RawDataError(path, lines[i], f"record {ids[i]!r} is in split {split!r} but its question "
                                                   f"text is also in split {other!r} at {self._location(where)} "
                                                   f"(record {other_id!r}); questions are compared case-, "
                                                   f"punctuation- and ё/е-blind")
        return leaks


def _record_id_at(path: Path, split: str, line: int) -> str:
    """The id of the record at `line` of a raw file (read again: the index keeps only where records are)."""
    parse = _deeppavlov_rows if path.suffix in (".csv", ".tsv") else _jsonl_rows
    return next(str(row.get("id")) for line_no, row in parse(path, split) if line_no == line)


def detect_layout(data_dir: str | Path) -> dict[str, Path]:
    """The raw files of each split in `data_dir`: the canonical `*.jsonl` or DeepPavlov's `*.csv`, not both."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data_dir {str(data_dir)!r} is not a directory")
    if _present(data_dir / CANONICAL_FILES["train"]) and _present(data_dir / DEEPPAVLOV_FILES["train"]):
        raise RawDataError(data_dir, None, f"holds both the canonical layout ({CANONICAL_FILES['train']}) and "
                                           f"DeepPavlov's ({DEEPPAVLOV_FILES['train']}); keep one")
    for layout in (CANONICAL_FILES, DEEPPAVLOV_FILES):
        if _present(data_dir / layout["train"]):
            missing = [name for name in layout.values() if not _present(data_dir / name)]
            if missing:
                raise FileNotFoundError(f"{data_dir}: found {layout['train']} but not {', '.join(missing)}")
            return {split: data_dir / name for split, name in layout.items()}
    found = sorted(path.name for path in data_dir.iterdir())
    raise FileNotFoundError(f"{data_dir} holds neither the canonical layout ({', '.join(CANONICAL_FILES.values())}) "
                            f"nor DeepPavlov's ({', '.join(DEEPPAVLOV_FILES.values())}); it holds "
                            f"{shown(found) if found else 'nothing'}")


def check_regular_file(path: Path, reads: str) -> None:
    """A RawDataError before any read when `path` is a pipe, a device or a socket: a pipe can be read once, and
    `reads` says why `path` is read again (a FIFO would wait for a second writer forever)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # named when it is opened
    kind = next((name for test, name in ((stat.S_ISFIFO, "a pipe"), (stat.S_ISCHR, "a character device"),
                                         (stat.S_ISSOCK, "a socket"), (stat.S_ISBLK, "a block device")) if test(mode)),
                None)
    if kind:
        raise RawDataError(path, None, f"{kind}, not a regular file: {reads}; save it to a file and give that")


def _present(path: Path) -> bool:
    """Whether `path` is there, a link to a missing file included (reading it then says so)."""
    return path.exists() or path.is_symlink()


def read_batches(path: str | Path, split: str, report: ReadReport,
                 on_bad_record: OnBadRecord = "error") -> Iterator[pa.RecordBatch]:
    """Validated canonical record batches from one raw file (JSON Lines or DeepPavlov TSV).

    A file without records (0 bytes, blank lines only, a TSV header only) is an error, and so is one whose
    records were all skipped: either would silently make an empty split.
    """
    path, on_bad_record = Path(path), check_on_bad_record(on_bad_record)
    check_regular_file(path, "a raw file may be read more than once (to name the record that a later one repeats, "
                             "by the release's steps)")
    parse = _deeppavlov_rows if path.suffix in (".csv", ".tsv") else _jsonl_rows
    columns: dict[str, list] = {name: [] for name in CANONICAL_SCHEMA.names}
    lines: list[int] = []
    read = kept = 0
    skip = on_bad_record == "skip"
    for line, row in parse(path, split):
        read += 1
        try:
            if isinstance(row, ValueError):  # a record the parser could not make a row of (TSV's label_id)
                raise row
            record = validated_record(row)
        except ValueError as problem:
            if on_bad_record == "error":
                raise RawDataError(path, line, str(problem)) from None
            report.skipped[str(problem).split(":")[0]] += 1
            continue
        kept += 1
        lines.append(line)
        for name, value in record.items():
            columns[name].append(value)
        if len(lines) == BATCH_SIZE:
            yield _claimed_batch(report, path, split, columns, lines, skip)
            columns, lines = {name: [] for name in CANONICAL_SCHEMA.names}, []
    if lines:
        yield _claimed_batch(report, path, split, columns, lines, skip)
    if not read:
        raise RawDataError(path, None, f"holds no records, so the {split!r} split would be empty")
    if not kept:
        raise RawDataError(path, None, f"none of its {read} records is left after skipping bad ones, so the "
                                       f"{split!r} split would be empty")


def _claimed_batch(report: ReadReport, path: Path, split: str, columns: dict, lines: list[int],
                   skip: bool) -> pa.RecordBatch:
    leaks = set(report.claim(path, split, columns["id"], columns["question"], lines, skip))
    if leaks:
        columns = {name: [value for i, value in enumerate(values) if i not in leaks]
                   for name, values in columns.items()}
    return pa.RecordBatch.from_pydict(columns, schema=CANONICAL_SCHEMA)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a UTF-8 file, decoded one line at a time so that an error names its exact line."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        dangling = f", a symbolic link to {str(path.readlink())!r}" if isinstance(error, FileNotFoundError) \
            and path.is_symlink() else ""
        raise RawDataError(path, None, f"cannot be read ({error.strerror}{dangling})") from None
    with handle:
        for line_no, raw_line in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if len(raw_line) > MAX_LINE_BYTES:
                raise RawDataError(path, line_no, f"the line is longer than {MAX_LINE_BYTES:,} bytes, more than any "
                                                  f"record within the text limits takes (canonical.MAX_CHARS); it "
                                                  f"was not read whole")
            try:
                text = raw_line.decode("utf-8")
                yield line_no, text.removeprefix(BOM) if line_no == 1 else text
            except UnicodeDecodeError as error:
                raise RawDataError(path, line_no,
                                   f"is not valid UTF-8 ({error.reason} at byte {error.start})") from None


def _jsonl_rows(path: Path, split: str) -> Iterator[tuple[int, dict]]:
    """JSON objects, one a line. The last line may lack its newline: a JSON object cut short never parses."""
    for line_no, text in _lines(path):
        if not text.strip():
            continue
        try:
            yield line_no, parse_object(text)
        except ValueError as error:
            truncated = not text.endswith("\n")
            raise RawDataError(path, line_no, "line is truncated (the file ends inside a record)" if truncated
                               else str(error)) from None


# DeepPavlov reads these files with `pandas.read_csv(path, sep="\t")` (its basic_classification_reader), so
# quoting is pandas' default: a field may be quoted with ", a quote inside it doubled, as `to_csv` writes.
TSV_DIALECT = dict(delimiter="\t", quotechar='"', doublequote=True, lineterminator="\n", strict=True)
QUOTING_PROBLEM = ("a field starts with a quote but is not quoted as pandas writes TSV, and pandas.read_csv "
                   "(DeepPavlov's reader) would silently drop its quotes; quote the whole field and double the "
                   "quotes inside, as pandas.to_csv(sep='\\t') does: \"\"\"Война и мир\"\" — кто автор?\"")


def _tsv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each non-blank record of a TSV file, read as DeepPavlov (pandas) reads it.

    A record is taken either verbatim (no field starts with a quote) or exactly as pandas writes it (fields
    quoted where they must be); anything in between is an error instead of a guess. A file must end with a
    newline: a last line without one may have been cut short, and a cut line can still look valid (label
    `48` cut to `4`), so it is refused rather than read.
    """
    consumed: list[tuple[int, str]] = []  # the physical lines of the current record

    def physical_lines():
        for line_no, text in _lines(path):
            consumed.append((line_no, text))
            yield text

    lines = physical_lines()
    reader = csv.reader(lines, **TSV_DIALECT)
    while True:
        consumed.clear()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            fields = _on_csv_error(path, consumed, error)
            reader = csv.reader(lines, **TSV_DIALECT)  # the next record starts on the next line
        line_no, raw = consumed[0][0], "".join(text for _, text in consumed)
        if not raw.strip():
            continue
        if not raw.endswith("\n"):
            raise RawDataError(path, consumed[-1][0], "the file does not end with a newline, so its last line may "
                                                      "be cut short (a label 48 cut to 4 still looks valid); if "
                                                      "the line is complete, end the file with a newline")
        raw = raw.removesuffix("\n").removesuffix("\r")
        if fields != raw.split("\t") and _as_pandas_writes(fields) != raw:
            raise RawDataError(path, line_no, QUOTING_PROBLEM)
        yield line_no, fields


def _on_csv_error(path: Path, consumed: list[tuple[int, str]], error: csv.Error) -> list[str]:
    """What a csv error means, named: a carriage return inside a line, a quoting problem, or a field longer than
    Python's csv module takes (131,072 characters: more than any text may hold, see canonical.MAX_CHARS). A
    verbatim record with such a field is read on, so that it is refused, or skipped, as the record with a text
    too long that it is; a quoted field that long is an error, since where it ends is unknown."""
    line_no = consumed[0][0] if consumed else None
    if "new-line character" in str(error):
        raise RawDataError(path, line_no, "holds a carriage return (\\r) inside a line, where pandas.read_csv "
                                          "(DeepPavlov's reader) would start a new record; remove it") from None
    if "field limit" not in str(error):
        raise RawDataError(path, line_no, QUOTING_PROBLEM) from None
    fields = "".join(text for _, text in consumed).removesuffix("\n").removesuffix("\r").split("\t")
    if len(consumed) > 1 or any(field.startswith('"') for field in fields):
        raise RawDataError(path, line_no, f"a quoted field is longer than the {csv.field_size_limit():,} characters "
                                          f"the TSV reader takes (no text may be longer than "
                                          f"{max(MAX_CHARS.values()):,})") from None
    return fields


def _as_pandas_writes(fields: list[str]) -> str:
    """One TSV record as `pandas.to_csv(sep="\t")` writes it (Python's csv writer, minimal quoting)."""
    buffer = io.StringIO()
    csv.writer(buffer, **TSV_DIALECT).writerow(fields)
    return buffer.getvalue().removesuffix("\n")


def _deeppavlov_rows(path: Path, split: str) -> Iterator[tuple[int, dict | ValueError]]:
    """DeepPavlov's TSV: `text` and `label_id` (class id), or `label`/`labels` (names), `;` between labels.

    A record whose label_id cell holds no class ids comes as the ValueError saying so, a bad record like any
    other (skipped and counted with on_bad_record="skip"); a line that is not a record is an error."""
    records = _tsv_records(path)
    header = next(records, (1, None))[1]
    if header is None:
        raise RawDataError(path, 1, "empty file: expected a header line")
    _check_header(path, header)
    label_column = next(name for name in LABEL_COLUMNS if name in header)
    for line_no, values in records:
        if len(values) != len(header):
            raise RawDataError(path, line_no, f"expected {len(header)} tab-separated fields, got {len(values)}")
        row = dict(zip(header, values))
        record_id = row["id"] if "id" in row else f"{split}-{line_no}"
        labels: list = row[label_column].split(DEEPPAVLOV_LABEL_SEPARATOR)
        if label_column == "label_id" and not all(CLASS_ID.fullmatch(cell) for cell in labels):
            yield line_no, ValueError(f"bad label_id: record {shown(record_id)} has {shown(row[label_column])}; "
                                      f"label_id must be integers (digits 0-9) separated by ';'")
            continue
        if label_column == "label_id":
            labels = [int(cell) for cell in labels]
        yield line_no, {"id": record_id, "question": row["text"], "answer": row.get("answer", ""), "labels": labels}


def _check_header(path: Path, header: list[str]) -> None:
    """A 'text' column, exactly one label column, no unknown or repeated column."""
    labels = [name for name in LABEL_COLUMNS if name in header]
    if "text" not in header or not labels:
        raise RawDataError(path, 1, f"header must have a 'text' column and one of 'label_id', 'labels', 'label'; "
                                    f"got {shown(header)}")
    if len(labels) > 1:
        raise RawDataError(path, 1, f"header has label columns {' and '.join(map(repr, labels))}; keep one (which "
                                    f"one is right cannot be guessed when they disagree)")
    unknown = [name for name in header if name not in TSV_COLUMNS]
    if unknown:
        raise RawDataError(path, 1, f"unknown column {shown(unknown[0])}{did_you_mean(unknown[0], TSV_COLUMNS)}; the "
                                    f"columns are {', '.join(TSV_COLUMNS)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RawDataError(path, 1, f"header names column(s) {', '.join(map(shown, repeated))} more than once")
