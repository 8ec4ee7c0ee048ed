"""The canonical raw record: its fields, its Arrow schema, what makes one valid, and when two questions are the same.

A canonical record has `id`, `question`, `answer` (strings; the answer may be empty) and `labels` (class names
or class ids into the 76 topics, not mixed). The readers (`raw.py`, `deeppavlov_tsv.py`) turn every raw row
into one through `validated_record`, so the JSON Lines and TSV layouts obey one rule; a bad row is a ValueError
whose message starts with the problem's name ("empty question: ..."), which `--on-bad-record skip` counts.
Texts have a length limit (`MAX_CHARS`) and hold no control character (Unicode category Cc: NUL and the other C0
controls, DEL, the C1 controls) but tab, newline and carriage return in a question or answer (`CONTROL`).

Questions are the same when their `question_key`s are: Unicode NFKC, case folded, ё read as е, punctuation
and format characters (zero-width spaces, ...) dropped, whitespace collapsed. The stored text is never changed.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import reprlib
import unicodedata
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pyarrow as pa

from ruqtopics_kit.core.errors import KitError, check_choice
from ruqtopics_kit.core.jsonio import unencodable_text
from ruqtopics_kit.facts.labels import all_topics

FIELDS = ("id", "question", "answer", "labels")  # of a canonical record
CANONICAL_SCHEMA = pa.schema([("id", pa.string()), ("question", pa.string()), ("answer", pa.string()),
                              ("labels", pa.list_(pa.int64()))])

OnBadRecord = Literal["error", "skip"]

# The longest text a record may hold, in characters (Unicode code points, as Python's len() counts them); a longer
# one is a bad record ("text too long"), skipped and counted with on_bad_record="skip". Far above real texts: the
# paper's questions are short (half under 10 words, under 1% over 30), its answers about 65 words at the median,
# and the sample's longest question and answer are 102 and 1,048 characters. 10,000 characters is some 1,500
# Russian words, 100,000 a long article; the models read at most the first 128 tokens anyway. A 10 MB "question"
# is a damaged or foreign file, not a question. Ids are short keys (Yandex Q's question ids, `train-12`).
MAX_CHARS = {"id": 256, "question": 10_000, "answer": 100_000}

# Control characters a record refuses ("control character"): every one in Unicode's category Cc, but tab, newline and
# carriage return in a question or answer (JSON escapes them, pandas quotes them). A NUL ends a C string, and the
# others are no part of a written text: they come from a damaged file or a binary one.
CONTROL = {"id": re.compile("[\x00-\x1f\x7f-\x9f]"), "text": re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")}

_SHOWN = reprlib.Repr()  # how an error line quotes a value of a record
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist, _SHOWN.maxdict = 80, 80, 6, 4


class RawDataError(KitError, ValueError):
    """A problem in the raw data, located by file and line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


def check_on_bad_record(on_bad_record: str) -> str:
    """`on_bad_record` if it is "error" or "skip": anything else ("Error", "warn") would silently skip."""
    return check_choice("on_bad_record", on_bad_record, get_args(OnBadRecord))


def question_key(question: str) -> str:
    """What two questions share when they are the same question (see the module docstring)."""
    words = unicodedata.normalize("NFKC", question).casefold().replace("ё", "е").split()
    return " ".join(filter(None, map(_without_punctuation, words)))


_ASCII_PUNCTUATION = "".join(chr(code) for code in range(128) if unicodedata.category(chr(code))[0] == "P")


def _without_punctuation(word: str) -> str:
    """`word` less its punctuation (P) and control or format (C) characters. Most words are letters and digits
    once ASCII punctuation around them is stripped: that test runs in C, twice as fast as the loop over
    characters that the other words take."""
    stripped = word.strip(_ASCII_PUNCTUATION)
    if stripped.isalnum():
        return stripped
    return "".join(char for char in word if unicodedata.category(char)[0] not in "PC")


def hash64(texts: list[str]) -> np.ndarray:
    """64-bit hashes of `texts` (blake2b), for sets of ids and questions whose memory stays flat."""
    return np.array([int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
                     for text in texts], dtype=np.uint64)


def question_hashes(questions: list[str]) -> np.ndarray:
    """The 64-bit hashes of the questions' `question_key`s: equal for questions that are the same."""
    return hash64([question_key(question) for question in questions])


def did_you_mean(name: str, known: tuple[str, ...]) -> str:
    """' (did you mean 'X'?)' for the name of `known` closest to a misspelt `name`, or ''."""
    close = difflib.get_close_matches(name, known, n=1) if len(name) <= 100 else []  # difflib is slow on long texts
    return f" (did you mean {close[0]!r}?)" if close else ""


def shown(value: object) -> str:
    """`repr(value)`, cut to a readable length: an error line quotes a record's value, never all 10 MB of it."""
    return _SHOWN.repr(value)


def kind_of(value: object) -> str:
    """What a JSON value is, for an error line: null, a str, a list, ..."""
    return "null" if value is None else f"a {type(value).__name__}"


def check_lengths(record_id: str, **texts: str) -> None:
    """ValueError("text too long: ...") for the first of `texts` (by field name) longer than its MAX_CHARS."""
    for name, text in texts.items():
        if len(text) > MAX_CHARS[name]:
            raise ValueError(f"text too long: record {shown(record_id)} has {len(text):,} characters in its {name}; "
                             f"the limit is {MAX_CHARS[name]:,} (README, 'Raw input')")


def check_controls(record_id: str, **texts: str) -> None:
    """ValueError("control character: ...") for the first of `texts` (by field name) holding one (`CONTROL`)."""
    for name, text in texts.items():
        found = CONTROL["id" if name == "id" else "text"].search(text)
        if found:
            allowed = "an id may hold none" if name == "id" else "a text may hold tab, newline and carriage return only"
            raise ValueError(f"control character: record {shown(record_id)} has {found.group()!r} "
                             f"(U+{ord(found.group()):04X}) at character {found.start():,} of its {name}; {allowed}")


def validated_record(row: dict) -> dict:
    """The canonical record of a raw row; ValueError("<problem>: <detail>") if the row is bad."""
    missing = [key for key in ("id", "question", "labels") if key not in row]
    if missing:
        raise ValueError(f"missing field: {', '.join(missing)}")
    record_id, question, answer = row["id"], row["question"], row.get("answer", "")
    if not isinstance(record_id, str) or not record_id:
        raise ValueError(f"bad id: expected a non-empty string, got {shown(record_id)}")
    check_lengths(record_id, id=record_id)
    unknown = [key for key in row if key not in FIELDS]
    if unknown:
        raise ValueError(f"unknown field: record {record_id!r} has {shown(unknown[0])}"
                         f"{did_you_mean(unknown[0], FIELDS)}; the fields are {', '.join(FIELDS)}")
    for name, text in (("question", question), ("answer", answer)):
        if not isinstance(text, str):
            raise ValueError(f"bad {name}: record {record_id!r} has {kind_of(text)}, expected a string")
    check_lengths(record_id, question=question, answer=answer)
    check_controls(record_id, id=record_id, question=question, answer=answer)
    if not question_key(question):
        raise ValueError(f"empty question: record {record_id!r} has question {shown(question)} (no letter, digit or "
                         f"symbol once punctuation and format characters are dropped)")
    problem = unencodable_text({"id": record_id, "question": question, "answer": answer})
    if problem:
        raise ValueError(f"unencodable text: record {record_id!r}: {problem}")
    return {"id": record_id, "question": question, "answer": answer,
            "labels": _label_ids(row["labels"], record_id)}


def _label_ids(labels: object, record_id: str) -> list[int]:
    topics = all_topics()
    if not isinstance(labels, list) or not labels:
        raise ValueError(f"no labels: record {record_id!r} needs a non-empty list of class names, got {shown(labels)}")
    if len({type(label) for label in labels if isinstance(label, (str, int))}) > 1:
        raise ValueError(f"mixed labels: record {record_id!r} mixes class ids and class names in {shown(labels)}")
    ids = []
    for label in labels:
        if label == "":
            raise ValueError(f"empty label: record {record_id!r} has an empty class name in {shown(labels)}")
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise ValueError(f"bad label: record {record_id!r} has label {shown(label)}")
        if isinstance(label, int) and not 0 <= label < len(topics):
            raise ValueError(f"unknown label_id: record {record_id!r} has {shown(label)}, expected "
                             f"0..{len(topics) - 1}")
        if isinstance(label, str) and label not in topics:
            hint = did_you_mean(label, topics.names)
            raise ValueError(f"unknown class: record {record_id!r} has {shown(label)}{hint}, which is not one of the "
                             f"{len(topics)} RuQTopics classes (see ruqtopics_kit/data/labels.json)")
        ids.append(label if isinstance(label, int) else topics.id_of(label))
    if len(set(ids)) != len(ids):
        raise ValueError(f"repeated label: record {record_id!r} lists a class twice: {shown(labels)}")
    return ids
