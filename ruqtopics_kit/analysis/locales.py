"""MASSIVE locales and their languages: the kit's locale table (`ruqtopics_kit.facts.massive`, where its columns
and sources are described), which MASSIVE evaluation reads too.
"""

from __future__ import annotations

from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.facts.massive import locale_table

DATA_DIR = package_path("data", "analysis")


def paper_locales() -> list[str]:
    """The 51 locales of MASSIVE 1.0, the set the paper's n = 51 correlation was computed over."""
    table = locale_table()
    return sorted(table.index[table["massive_release"] == "1.0"])
