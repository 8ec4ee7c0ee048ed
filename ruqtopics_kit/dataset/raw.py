"""Reading raw RuQTopics files: the canonical JSON Lines layout and DeepPavlov's tab-separated layout
(`deeppavlov_tsv.py` parses the latter).

Both readers yield Arrow record batches of canonical records (`canonical.py`: `id`, `question`, `answer`,
`labels` as class ids into the 76 topics), so the builder and the Hub export share one parser.

Every problem names the file, the line and what is wrong. `on_bad_record="skip"` skips records whose own
content is bad, and questions already in another split (and counts them); unreadable files, unknown fields or
columns, ids repeated across the data, and class ids in one record with class names in another (of any file read
with the same `ReadReport`) always fail. A UTF-8 byte order mark before the first line is no part
of it, as for pandas (DeepPavlov's reader). Questions are compared across splits by `canonical.question_key`;
`prepare` keeps one record per key.
"""

from __future__ import annotations

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
    OnBadRecord,
    RawDataError,
    check_on_bad_record,
    hash64,
    question_hashes,
    shown,
    validated_record,
)
from ruqtopics_kit.dataset.deeppavlov_tsv import deeppavlov_rows

SPLITS = ("train", "validation", "test")
CANONICAL_FILES = {split: f"{split}.jsonl" for split in SPLITS}
DEEPPAVLOV_FILES = {"train": "train.csv", "validation": "val.csv", "test": "test.csv"}
# Beside a layout's files, a data folder may hold hidden entries and these (by the start of the name, in any case);
# anything else is an error (`_check_no_other_files`).
DOCUMENTATION = ("README", "LICENSE", "LICENCE")
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".7z", ".tar", ".tgz")
BOM = "\ufeff"
LEAK = "cross-split duplicate"  # what --on-bad-record skip counts a question of another split as
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
    _label_kind: tuple[str, str, int, str] | None = None  # (kind, file, line, id) of the first record read

    def check_label_kind(self, path: Path, line: int, record_id: str, labels: list) -> None:
        """Fail on a record whose labels are class ids where an earlier record's were class names, or the reverse:
        within one record, one file or the files of one data folder (ids may index another list than the kit's)."""
        kind = "class ids" if isinstance(labels[0], int) else "class names"
        if self._label_kind is None:
            self._label_kind = (kind, Path(path).name, line, record_id)
        elif self._label_kind[0] != kind:
            first_kind, file, first_line, first_id = self._label_kind
            raise RawDataError(path, line, f"mixed labels: record {shown(record_id)} gives {kind} ({shown(labels)}), "
                                           f"but record {shown(first_id)} at {file}:{first_line} gave {first_kind}; "
                                           f"the data must use one kind throughout (class names are safer: ids "
                                           f"index ruqtopics_kit/data/labels.json)")

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
    return next(str(row.get("id")) for line_no, row in _rows(path, split) if line_no == line)


def _rows(path: Path, split: str) -> Iterator[tuple[int, dict | ValueError]]:
    """(line, row) of each record of a raw file: DeepPavlov's TSV (.csv, .tsv) or JSON Lines."""
    return deeppavlov_rows(path, split, _lines(path)) if path.suffix in (".csv", ".tsv") else _jsonl_rows(path)


def detect_layout(data_dir: str | Path) -> dict[str, Path]:
    """The raw files of each split in `data_dir`: the canonical `*.jsonl` or DeepPavlov's `*.csv`, not both."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"the raw data folder {str(data_dir)!r} is not a directory (--data-dir)")
    if _present(data_dir / CANONICAL_FILES["train"]) and _present(data_dir / DEEPPAVLOV_FILES["train"]):
        raise RawDataError(data_dir, None, f"holds both the canonical layout ({CANONICAL_FILES['train']}) and "
                                           f"DeepPavlov's ({DEEPPAVLOV_FILES['train']}); keep one")
    for layout in (CANONICAL_FILES, DEEPPAVLOV_FILES):
        if _present(data_dir / layout["train"]):
            _check_no_other_files(data_dir, layout)
            missing = [name for name in layout.values() if not _present(data_dir / name)]
            if missing:
                raise FileNotFoundError(f"{data_dir}: found {layout['train']} but not {', '.join(missing)}")
            return {split: data_dir / name for split, name in layout.items()}
    found = sorted(path.name for path in data_dir.iterdir())
    raise FileNotFoundError(f"{data_dir} holds neither the canonical layout ({', '.join(CANONICAL_FILES.values())}) "
                            f"nor DeepPavlov's ({', '.join(DEEPPAVLOV_FILES.values())}); it holds "
                            f"{shown(found) if found else 'nothing'}")


def _check_no_other_files(data_dir: Path, layout: dict[str, str]) -> None:
    """A RawDataError naming what `data_dir` holds beside the `layout`'s files: `dev.jsonl`, `train.jsonl.gz`, a
    subfolder. `datasets` would read such files into a split (its split names include `dev`; `train.jsonl.gz` is a
    train file to it); the kit reads the layout's files only, so anything else would be silently left out. Hidden
    names (`.git`, `.DS_Store`; and `__pycache__`: `datasets` ignores names starting with "." or "__") and
    documentation (README*, LICENSE*, LICENCE*) may stay."""
    others = sorted(f"{path.name}/" if path.is_dir() else path.name for path in data_dir.iterdir()
                    if path.name not in layout.values() and not path.name.startswith((".", "__"))
                    and not path.name.upper().startswith(DOCUMENTATION))
    if others:
        compressed = " (a compressed file is never read)" if any(Path(name).suffix in COMPRESSED for name in others) \
            else ""
        layout_name = "the canonical layout" if layout == CANONICAL_FILES else "DeepPavlov's layout"
        files = ", ".join(layout.values())
        raise RawDataError(data_dir, None, f"holds {shown(others)} beside {layout_name} ({files}), which the kit "
                                           f"would silently leave out{compressed}: rename each to the split it "
                                           f"holds, or move it out (README, LICENSE, hidden files may stay)")


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
    columns: dict[str, list] = {name: [] for name in CANONICAL_SCHEMA.names}
    lines: list[int] = []
    read = kept = 0
    skip = on_bad_record == "skip"
    for line, row in _rows(path, split):
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
        report.check_label_kind(path, line, record["id"], row["labels"])
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


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
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
