"""Strict JSON, written one way everywhere: NaN and infinities become null, numpy scalars plain numbers; and read
strictly: what `json.loads` lets through silently is an error.

Strict readers (JavaScript's JSON.parse, the Hub's viewers, `jq`) reject the `NaN` tokens that Python writes by
default, so every JSON file the kit writes goes through `strict_json`: a value that cannot be computed (an
undefined correlation, a metric of a model that never evaluated) is null.

Reading, `parse_object` (one line of JSON Lines) refuses a key given twice in one object (`json.loads` keeps the
last value without a word), and `unencodable_text` finds strings holding a lone surrogate (`"\\ud800"` is valid
JSON but not Unicode text: it fails later, when written as UTF-8). `read_json_object` names a damaged file.
Errors are `ValueError`s saying what is wrong, for the caller to prefix with its file and line where it has them.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from ruqtopics_kit.core.atomic import atomic_write_text


def json_ready(value):
    """Plain JSON values: dict keys as strings, tuples as lists, numpy scalars as Python numbers, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def strict_json(value) -> str:
    """`value` as indented, UTF-8-readable strict JSON text ending in a newline."""
    return json.dumps(json_ready(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | Path, value) -> None:
    """Write `value` as strict JSON through a temporary file and a rename."""
    atomic_write_text(path, strict_json(value))


def parse_object(line: str | bytes) -> dict:
    """The JSON object on one line of JSON Lines; ValueError if it is not one object with unique keys."""
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        row = json.loads(text, object_pairs_hook=unique_keys, parse_int=_integer)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg}, column {error.colno})") from None
    except RecursionError:  # json's C scanner recurses once per level of [ or {
        raise ValueError("not a JSON record: nested deeper than the JSON reader follows") from None
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    return row


def _integer(digits: str) -> int:
    """`parse_int` for json.loads: Python refuses integers of over 4,300 digits with advice for programmers."""
    if len(digits) > sys.get_int_max_str_digits() > 0:
        raise ValueError(f"not a JSON record: holds a number of {len(digits):,} digits")
    return int(digits)


def unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """`object_pairs_hook` for json.loads: a key given twice in one object is a ValueError."""
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
        value = json.loads(Path(path).read_text(encoding="utf-8"), object_pairs_hook=unique_keys)
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: damaged, not valid UTF-8 ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: damaged, not valid JSON ({error.msg}, line {error.lineno} column "
                         f"{error.colno})") from None
    except ValueError as error:  # a key twice
        raise ValueError(f"{path}: {error}") from None
    missing = [key for key in required if key not in value] if isinstance(value, dict) else None
    if missing is None or missing:
        raise ValueError(f"{path}: damaged, expected a JSON object with {', '.join(required) or 'keys'}; got "
                         f"{type(value).__name__ if missing is None else 'one without ' + ', '.join(missing)}")
    return value
