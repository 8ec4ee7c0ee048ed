"""Turn a Yandex Q dump into the canonical raw layout (`train.jsonl`, `validation.jsonl`, `test.jsonl`).

A dump has one JSON object per line: `id`, `question`, `answer`, `tags` (a list of topic tags; tags that
are not among the 76 RuQTopics classes are ignored). Plain or gzip-compressed.

- A record is kept if it carries at least one of the 76 topics: one topic makes it single-label, two or
  more multi-label (both live in the same files; the builder's configs select them).
- Exact duplicate questions (equal after collapsing whitespace) are dropped, keeping the record with the
  smallest id, so the result does not depend on the order of the dump.
- The split is a function of the id alone (a hash), so adding records never moves old ones; since no
  question text survives twice, no question is shared between splits.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_directory
from ruqtopics_kit.core.output_dir import claim_output_dir
from ruqtopics_kit.dataset.labels import all_topics
from ruqtopics_kit.dataset.raw import CANONICAL_FILES, RawDataError

SPLIT_PERCENTAGES = {"train": 80, "validation": 10, "test": 10}


def split_of(record_id: str) -> str:
    """The split of a record: the first 8 bytes of blake2b(id) modulo 100, cut at 80/90."""
    bucket = int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "big") % 100
    threshold = 0
    for split, percentage in SPLIT_PERCENTAGES.items():
        threshold += percentage
        if bucket < threshold:
            return split
    raise AssertionError("split percentages must add up to 100")


def _question_key(question: str) -> str:
    return " ".join(question.split())


def _id_order(record_id: str) -> tuple[int, int | str]:
    """Numeric ids sort numerically, before any non-numeric id."""
    return (0, int(record_id)) if record_id.isdigit() else (1, record_id)


def _dump_records(path: Path) -> Iterator[tuple[int, dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        handle = opener(path, "rb")
    except OSError as error:
        raise RawDataError(path, None, f"cannot be read ({error.strerror})") from None
    with handle:
        line_no = 0
        try:
            for line_no, raw_line in enumerate(handle, start=1):
                if raw_line.strip():
                    yield line_no, _dump_record(path, line_no, raw_line)
        except (OSError, EOFError) as error:  # a corrupt or truncated gzip stream
            raise RawDataError(path, line_no + 1, f"cannot be decompressed ({error})") from None


def _dump_record(path: Path, line_no: int, raw_line: bytes) -> dict:
    try:
        record = json.loads(raw_line.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise RawDataError(path, line_no, f"is not valid UTF-8 ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise RawDataError(path, line_no, f"not valid JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(record, dict):
        raise RawDataError(path, line_no, f"expected a JSON object, got {type(record).__name__}")
    missing = [key for key in ("id", "question", "answer", "tags") if key not in record]
    if missing:
        raise RawDataError(path, line_no, f"missing field: {', '.join(missing)}")
    if not isinstance(record["tags"], list):
        raise RawDataError(path, line_no, f"tags must be a list, got {record['tags']!r}")
    record["id"] = str(record["id"])
    return record


def _topics_of(tags: list) -> list[str]:
    topics = all_topics()
    return list(dict.fromkeys(tag for tag in tags if isinstance(tag, str) and tag in topics))


def prepare(dump: str | Path, output_dir: str | Path, *, overwrite: bool = False) -> Counter:
    """Write the canonical layout of `dump` to `output_dir`; return counts of what was kept and dropped."""
    dump = Path(dump)
    with claim_output_dir(output_dir, {"--dump": dump}):
        return _prepare(dump, output_dir, overwrite)


def _prepare(dump: Path, output_dir: str | Path, overwrite: bool) -> Counter:
    keeper: dict[str, str] = {}  # question key -> id of the record kept for it
    first_line_of: dict[str, int] = {}
    for line_no, record in _dump_records(dump):
        if first_line_of.setdefault(record["id"], line_no) != line_no:
            raise RawDataError(dump, line_no, f"duplicate id {record['id']!r}, first seen on line "
                                              f"{first_line_of[record['id']]}")
        if _topics_of(record["tags"]) and isinstance(record["question"], str) and record["question"].strip():
            key = _question_key(record["question"])
            if key not in keeper or _id_order(record["id"]) < _id_order(keeper[key]):
                keeper[key] = record["id"]
    summary: Counter = Counter()
    with atomic_directory(output_dir, overwrite=overwrite) as staging:
        outputs = {split: open(staging / name, "w", encoding="utf-8") for split, name in CANONICAL_FILES.items()}
        try:
            for _, record in _dump_records(dump):
                summary[_write_if_kept(record, keeper, outputs)] += 1
        finally:
            for handle in outputs.values():
                handle.close()
    return summary


def _write_if_kept(record: dict, keeper: dict[str, str], outputs: dict) -> str:
    """Write `record` to its split if it is kept; return what happened to it, for the summary."""
    topics = _topics_of(record["tags"])
    if not topics:
        return "dropped: no RuQTopics topic"
    if not isinstance(record["question"], str) or not record["question"].strip():
        return "dropped: empty question"
    if keeper.get(_question_key(record["question"])) != record["id"]:
        return "dropped: duplicate question"
    split = split_of(record["id"])
    canonical = {"id": record["id"], "question": record["question"], "answer": record["answer"] or "",
                 "labels": topics}
    outputs[split].write(json.dumps(canonical, ensure_ascii=False) + "\n")
    return f"{split}: {'single' if len(topics) == 1 else 'multi'}-label"
