"""MASSIVE's published per-locale counts (`data/massive_published_counts.json`, with its source), checked against
what a copy gives: a wrong copy, a dropped partition or a mis-mapped scenario shows as a count that differs.

A locale is checked only where its split is complete (as many utterances as MASSIVE publishes for the split): a
subset of MASSIVE, such as the kit's synthetic sample, is named as such instead.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ruqtopics_kit.core.resources import package_path

COUNTS_FILE = package_path("data", "massive_published_counts.json")


@lru_cache(maxsize=1)
def published_counts() -> dict:
    return json.loads(COUNTS_FILE.read_text(encoding="utf-8"))


def check_counts(mapping: str | None, split: str, split_sizes: dict[str, int], mapped: dict[str, int]) -> dict:
    """results.json's `published_counts`: per locale, the expected and actual numbers of split utterances and of
    mapped ones, whether the split is complete and whether the mapped count matches (None: nothing to compare
    with, for a user's mapping file (`mapping` None) or a split the published figures do not cover)."""
    published = published_counts()
    expected = published["mappings"].get(mapping or "", {}).get(split)
    split_size = published["split_sizes"][split]
    locales = {}
    for code, actual in mapped.items():
        complete = split_sizes[code] == split_size
        locales[code] = {"split_expected": split_size, "split_actual": split_sizes[code], "complete": complete,
                         "expected": expected, "actual": actual,
                         "matches": None if expected is None else actual == expected}
    return {"source": published["source"], "file": "ruqtopics_kit/data/massive_published_counts.json",
            "mapping": mapping, "split": split, "locales": locales}


def count_warnings(check: dict) -> list[str]:
    """One line per locale of a complete split whose mapped count differs from the published one; one line naming
    the copy a subset when no locale's split is complete."""
    locales = check["locales"]
    if locales and not any(entry["complete"] for entry in locales.values()):
        entry = next(iter(locales.values()))
        return [f"The MASSIVE copy is a subset ({entry['split_actual']:,} of the {entry['split_expected']:,} "
                f"{check['split']} utterances per locale): its counts are not checked against the published ones."]
    lines = []
    for code, entry in locales.items():
        if not entry["complete"]:
            lines.append(f"Warning: {code} has {entry['split_actual']:,} {check['split']} utterances, where MASSIVE "
                         f"has {entry['split_expected']:,} in every locale: a dropped or damaged part of the copy.")
        elif entry["matches"] is False:
            lines.append(f"Warning: {code} has {entry['actual']:,} {check['split']} utterances under mapping "
                         f"`{check['mapping']}`, where MASSIVE has {entry['expected']:,} (published counts, "
                         f"`{check['file']}`): a wrong or damaged copy, or a mis-mapped scenario.")
    return lines
