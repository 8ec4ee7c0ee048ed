"""MASSIVE locales and their languages, read from `data/locale_languages.csv`.

Columns: `locale`; `iso639_3`, the ISO 639-3 code of the locale's language; `language`, that code's name in
Glottolog as shipped by urielplus (a test checks every name, so a wrong code such as mteb's `cmo` for
Mandarin cannot slip through); `massive_release`, the release that introduced the locale (1.0 or 1.1);
`uriel_code`, the code queried in URIEL+ (the macrolanguage where URIEL+ lacks data for the individual
language); `note`, why `uriel_code` differs from `iso639_3`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
LOCALE_LANGUAGES_FILE = DATA_DIR / "locale_languages.csv"


@cache
def locale_languages() -> pd.DataFrame:
    """The locale table, indexed by locale, every column a string."""
    return pd.read_csv(LOCALE_LANGUAGES_FILE, dtype=str, keep_default_na=False).set_index("locale")


def paper_locales() -> list[str]:
    """The 51 locales of MASSIVE 1.0, the set the paper's n = 51 correlation was computed over."""
    table = locale_languages()
    return sorted(table.index[table["massive_release"] == "1.0"])
