"""Turn a Yandex Q dump into the canonical raw layout (`train.jsonl`, `validation.jsonl`, `test.jsonl`).

A dump has one JSON object per line, plain or gzip-compressed. By default each object is flat: `id`,
`question`, `answer` (strings; an integer id is written in decimal) and `tags` (a list of topic names; tags
that are not among the 76 RuQTopics classes are ignored). Dumps of another shape are mapped with `--field
NAME=PATH` (see `FieldMap`), for instance a Yandex Q API question entity with its answers attached.

- A record is kept if it carries at least one of the 76 topics: one topic makes it single-label, two or
  more multi-label (both live in the same files; the builder's configs select them). A question with no
  letter, digit or symbol once punctuation and format characters are dropped is dropped as empty.
- Duplicate questions (equal `canonical.question_key`s: the same text up to case, ё/е, Unicode normal form,
  punctuation, zero-width characters and whitespace) are dropped, keeping the record with the smallest id (its
  text unchanged), so the result does not depend on the order of the dump.
- The split is a function of the id alone (a hash), so adding records never moves old ones; since no
  question text survives twice, no question is shared between splits.

Nothing is coerced: a field of the wrong type (`"id": null`, a numeric answer, a tag that is an object), a path
that is not in a record, a text over its length limit (`canonical.MAX_CHARS`), a control character such as NUL
(`canonical.CONTROL`), text that cannot be written as UTF-8 (a lone surrogate) are errors naming the file, the
line, the record and the problem; `on_bad_record="skip"` skips such records and counts them. A dump that cannot be
read (corrupt or truncated gzip, not JSON, a key twice in one object) or that yields no record for a split is
always an error, and then nothing is written. The dump is read twice, so it must be a regular file: a pipe
(`--dump <(zcat dump.gz)`, a FIFO) is refused before it is read.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_directory
from ruqtopics_kit.core.jsonio import parse_object
from ruqtopics_kit.core.output_dir import claim_output_dir
from ruqtopics_kit.dataset.canonical import (
    OnBadRecord,
    RawDataError,
    check_controls,
    check_lengths,
    check_on_bad_record,
    kind_of,
    question_key,
    shown,
)
from ruqtopics_kit.dataset.raw import CANONICAL_FILES, check_regular_file
from ruqtopics_kit.facts.labels import all_topics

SPLIT_PERCENTAGES = {"train": 80, "validation": 10, "test": 10}
FIELDS = ("id", "question", "answer", "tags")
WILDCARD = "*"
GZIP_MAGIC = b"\x1f\x8b"


def split_of(record_id: str) -> str:
    """The split of a record: the first 8 bytes of blake2b(id) modulo 100, cut at 80/90."""
    bucket = int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "big") % 100
    threshold = 0
    for split, percentage in SPLIT_PERCENTAGES.items():
        threshold += percentage
        if bucket < threshold:
            return split
    raise AssertionError("split percentages must add up to 100")


# ---- mapping a record of any shape to the four fields --------------------------------------------------------

@dataclass(frozen=True)
class FieldMap:
    """Where each of `id`, `question`, `answer`, `tags` sits in a dump record.

    A path is keys separated by dots; on a list, a number picks an item (`answers.0.text`) and `*` takes
    every item (`tags.*.title` gives the list of the tags' titles). A field not mapped is read from the
    key of its own name.
    """

    paths: dict[str, tuple[str, ...]]

    @classmethod
    def parse(cls, specs: list[str] | None = None) -> FieldMap:
        """From `NAME=PATH` strings; ValueError names the first bad one."""
        paths = {name: (name,) for name in FIELDS}
        given: set[str] = set()
        for spec in specs or []:
            name, separator, path = spec.partition("=")
            if not separator or name not in FIELDS:
                raise ValueError(f"--field expects NAME=PATH with NAME one of {', '.join(FIELDS)}; got {spec!r}")
            if name in given:
                raise ValueError(f"--field {name} is given twice")
            segments = tuple(path.split("."))
            if not all(segments):
                raise ValueError(f"--field {spec!r}: the path has an empty segment (expected e.g. answers.0.text)")
            paths[name] = segments
            given.add(name)
        return cls(paths)

    def describe(self) -> str:
        return ", ".join(f"{name}={'.'.join(path)}" for name, path in self.paths.items())

    def extract(self, record: dict) -> dict:
        """The four fields of `record`, uncoerced; ValueError("missing path: ...") for a path it lacks."""
        return {name: _follow(record, path, done=()) for name, path in self.paths.items()}


def _follow(value: object, path: tuple[str, ...], done: tuple[str, ...]) -> object:
    if not path:
        return value
    segment, rest = path[0], path[1:]
    if isinstance(value, list) and segment == WILDCARD:
        return [_follow(item, rest, (*done, str(index))) for index, item in enumerate(value)]
    if isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
        return _follow(value[int(segment)], rest, (*done, segment))
    if isinstance(value, dict) and segment in value:
        return _follow(value[segment], rest, (*done, segment))
    where = ".".join((*done, segment))
    if isinstance(value, list):
        reason = f"the list at {'.'.join(done) or 'the top'} has {len(value)} item(s)"
    elif isinstance(value, dict):
        reason = f"no key {segment!r}" + (f" at {'.'.join(done)}" if done else "")
    else:
        reason = f"{'.'.join(done)} is {kind_of(value)}, not an object or a list"
    raise ValueError(f"missing path: {where} does not exist ({reason})")


def _canonical_fields(record: dict, fields: FieldMap) -> dict:
    """Checked `id`, `question`, `answer`, `tags` of a record; ValueError("<problem>: <detail>") when bad."""
    values = fields.extract(record)
    record_id = values["id"]
    if isinstance(record_id, bool) or not isinstance(record_id, (str, int)) or record_id == "":
        raise ValueError(f"bad id: expected a non-empty string or an integer, got {kind_of(record_id)} "
                         f"({shown(record_id)})")
    record_id = str(record_id)
    check_lengths(record_id, id=record_id)
    for name in ("question", "answer"):
        if not isinstance(values[name], str):
            raise ValueError(f"bad {name}: record {record_id!r} has {kind_of(values[name])} "
                             f"({shown(values[name])}), expected a string")
    check_lengths(record_id, question=values["question"], answer=values["answer"])
    check_controls(record_id, id=record_id, question=values["question"], answer=values["answer"])
    tags = values["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        hint = " (map a list of objects to their names with e.g. --field tags=tags.*.title)" \
            if isinstance(tags, list) and any(isinstance(tag, dict) for tag in tags) else ""
        raise ValueError(f"bad tags: record {record_id!r} needs a list of strings, got {shown(tags)}{hint}")
    for name, text in (("id", record_id), ("question", values["question"]), ("answer", values["answer"]),
                       *(("tags", tag) for tag in tags)):
        _check_encodable(record_id, name, text)
    return {"id": record_id, "question": values["question"], "answer": values["answer"], "tags": tags}


def _check_encodable(record_id: str, name: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"unencodable text: record {record_id!r} has in its {name} {error.object[error.start]!r} "
                         f"at character {error.start} ({error.reason}), which UTF-8 cannot write") from None


# ---- reading the dump ----------------------------------------------------------------------------------------

def _open_dump(path: Path):
    """The dump as a binary stream: gzip by its name (.gz) or by its first bytes, else plain."""
    handle = open(path, "rb")
    if path.suffix == ".gz" or handle.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=handle, mode="rb"), handle
    return handle, handle


def _dump_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines of the dump; an empty dump or a corrupt or truncated gzip stream is a
    RawDataError."""
    try:
        stream, file = _open_dump(path)
    except OSError as error:
        raise RawDataError(path, None, f"cannot be read ({error.strerror or error})") from None
    line_no, records = 0, 0
    with file, stream:
        try:
            for line_no, raw_line in enumerate(stream, start=1):
                if raw_line.strip():
                    records += 1
                    yield line_no, raw_line
        except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError; a cut stream an EOFError
            raise RawDataError(path, line_no + 1, f"cannot be decompressed ({error}); is the file complete?") \
                from None
    if not records:
        raise RawDataError(path, None, "empty file: the dump holds no records")


def _json_object(path: Path, line_no: int, raw_line: bytes) -> dict:
    """One JSON object, read strictly (`parse_object`: a key twice, a nesting too deep are errors)."""
    try:
        return parse_object(raw_line)
    except ValueError as error:
        _raise_if_damaged(path, line_no)
        raise RawDataError(path, line_no, str(error)) from None


def _raise_if_damaged(path: Path, line_no: int) -> None:
    """A damaged gzip stream can decompress into garbage before zlib notices: name the damage, not the garbage."""
    try:
        for _ in _dump_lines(path):
            pass
    except RawDataError as damage:
        if "decompressed" in damage.problem:
            raise RawDataError(path, damage.line, f"{damage.problem} (line {line_no} already decompressed into "
                                                  f"something that is not a JSON record)") from None


def _dump_records(path: Path, fields: FieldMap, on_bad_record: OnBadRecord) -> Iterator[tuple[int, dict | str]]:
    """(line, canonical fields) per record, or (line, "skipped: <problem>") for a skipped bad record. A line
    that is not a JSON object always fails: the file itself is damaged."""
    for line_no, raw_line in _dump_lines(path):
        record = _json_object(path, line_no, raw_line)
        try:
            fields_of_record = _canonical_fields(record, fields)
        except ValueError as problem:
            if on_bad_record == "error":
                raise RawDataError(path, line_no, str(problem)) from None
            fields_of_record = f"skipped: {str(problem).split(':')[0]}"
        yield line_no, fields_of_record


# ---- choosing and writing the records ------------------------------------------------------------------------

def _id_order(record_id: str) -> tuple[int, int | str]:
    """Numeric ids (ASCII digits: str.isdigit also takes '²', which int() refuses) sort numerically, before any
    other id."""
    return (0, int(record_id)) if record_id.isascii() and record_id.isdigit() else (1, record_id)


def _topics_of(tags: list[str]) -> list[str]:
    topics = all_topics()
    return list(dict.fromkeys(tag for tag in tags if tag in topics))


def _choose_records(dump: Path, fields: FieldMap, on_bad_record: OnBadRecord) -> dict[str, str]:
    """Question key -> id of the record kept for it; fails on a repeated id and on a split left empty."""
    keeper: dict[str, str] = {}
    first_line_of: dict[str, int] = {}
    for line_no, record in _dump_records(dump, fields, on_bad_record):
        if isinstance(record, str):
            continue
        if first_line_of.setdefault(record["id"], line_no) != line_no:
            raise RawDataError(dump, line_no, f"duplicate id {record['id']!r}, first seen on line "
                                              f"{first_line_of[record['id']]}")
        if _topics_of(record["tags"]) and (key := question_key(record["question"])):
            if key not in keeper or _id_order(record["id"]) < _id_order(keeper[key]):
                keeper[key] = record["id"]
    sizes = Counter(split_of(record_id) for record_id in keeper.values())
    empty = [split for split in SPLIT_PERCENTAGES if not sizes[split]]
    if empty:
        raise RawDataError(dump, None, f"{len(keeper)} record(s) with a RuQTopics topic ({fields.describe()}) "
                                       f"leave the {' and '.join(empty)} split(s) empty; nothing written")
    return keeper


def prepare(dump: str | Path, output_dir: str | Path, *, fields: FieldMap | None = None,
            on_bad_record: OnBadRecord = "error", overwrite: bool = False) -> Counter:
    """Write the canonical layout of `dump` to `output_dir`; return counts of what was kept and dropped.

    The dump is read twice: first to check every record and choose the kept ones, then to write them; an
    error in the first pass leaves nothing behind.
    """
    dump, fields = Path(dump), fields or FieldMap.parse()
    check_on_bad_record(on_bad_record)
    check_regular_file(dump, "prepare reads the dump twice (to check every record, then to write the kept ones)")
    with claim_output_dir(output_dir, {"--dump": dump}):
        return _prepare(dump, output_dir, fields, on_bad_record, overwrite)


def _prepare(dump: Path, output_dir: str | Path, fields: FieldMap, on_bad_record: OnBadRecord,
             overwrite: bool) -> Counter:
    keeper = _choose_records(dump, fields, on_bad_record)
    summary: Counter = Counter()
    with atomic_directory(output_dir, overwrite=overwrite) as staging:
        outputs = {split: open(staging / name, "w", encoding="utf-8") for split, name in CANONICAL_FILES.items()}
        try:
            for _, record in _dump_records(dump, fields, on_bad_record):
                summary[record if isinstance(record, str) else _write_if_kept(record, keeper, outputs)] += 1
        finally:
            for handle in outputs.values():
                handle.close()
    return summary


def _write_if_kept(record: dict, keeper: dict[str, str], outputs: dict) -> str:
    """Write `record` to its split if it is kept; return what happened to it, for the summary."""
    topics = _topics_of(record["tags"])
    if not topics:
        return "dropped: no RuQTopics topic"
    key = question_key(record["question"])
    if not key:
        return "dropped: empty question"
    if keeper.get(key) != record["id"]:
        return "dropped: duplicate question"
    split = split_of(record["id"])
    canonical = {"id": record["id"], "question": record["question"], "answer": record["answer"], "labels": topics}
    outputs[split].write(json.dumps(canonical, ensure_ascii=False) + "\n")
    return f"{split}: {'single' if len(topics) == 1 else 'multi'}-label"
