"""Strict JSON, written one way everywhere: NaN and infinities become null, numpy scalars plain numbers.

Strict readers (JavaScript's JSON.parse, the Hub's viewers, `jq`) reject the `NaN` tokens that Python writes by
default, so every JSON file the kit writes goes through `strict_json`: a value that cannot be computed (an
undefined correlation, a metric of a model that never evaluated) is null.
"""

from __future__ import annotations

import json
import math
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
