"""Strict JSON for the kit's readers: what `json.loads` lets through silently is an error here.

- a key given twice in one object (`json.loads` keeps the last value without a word);
- a string holding a lone surrogate (`"\\ud800"` is valid JSON, but not Unicode text: it fails later, when
  the text is written as UTF-8).

Every error is a `ValueError` whose message says what is wrong, for the caller to prefix with its file and line.
"""

from __future__ import annotations

import json
from pathlib import Path


def parse_object(line: str | bytes) -> dict:
    """The JSON object on one line of JSON Lines; ValueError if it is not one object with unique keys."""
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        row = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    return row


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r} in one object (JSON readers would keep only its last value)")
        seen.add(key)
    return dict(pairs)


def unencodable_text(row: dict) -> str | None:
    """Why a field of `row` cannot be written as UTF-8 (a lone surrogate), or None when every string can."""
    for key, value in row.items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                problem = unencodable(text)
                if problem:
                    return f"field {key!r} {problem}"
    return None


def unencodable(text: str) -> str | None:
    """Why `text` cannot be written as UTF-8, or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return (f"holds a lone surrogate {ascii(text[error.start])} at character {error.start + 1}, which is not "
                f"Unicode text and cannot be written as UTF-8")
    return None


def read_json_object(path: str | Path, required: tuple[str, ...] = ()) -> dict:
    """The JSON object in the file at `path`, with the `required` keys; a ValueError naming the file if not."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: damaged, not valid UTF-8 ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: damaged, not valid JSON ({error.msg}, line {error.lineno} column "
                         f"{error.colno})") from None
    missing = [key for key in required if key not in value] if isinstance(value, dict) else None
    if missing is None or missing:
        raise ValueError(f"{path}: damaged, expected a JSON object with {', '.join(required) or 'keys'}; got "
                         f"{type(value).__name__ if missing is None else 'one without ' + ', '.join(missing)}")
    return value
