"""The MASSIVE locales as data: `ruqtopics_kit/data/massive_locales.csv`, one row per locale of MASSIVE 1.1.

Columns:
- `locale`: MASSIVE's code (note `sl-SL`, not `sl-SI`);
- `language`: the Glottolog name of the language, `iso639_3`: its ISO 639-3 code (individual language: Mandarin
  is `cmn`, not `cmo`), both as in `analysis/data/locale_languages.csv`;
- `script`: ISO 15924 script of MASSIVE's utterances (zh-CN `Hans`, zh-TW `Hant`);
- `in_massive_1_0`: `yes` for the 51 locales of release 1.0, `no` for ca-ES (added in 1.1);
- `mteb_subset`: the subset name of `mteb/amazon_massive_scenario` (two letters, except zh-CN and zh-TW;
  empty for ca-ES, which that 1.0-based copy lacks).
Sources: the MASSIVE 1.1 archive's file names (alexa/massive) and mteb's `MassiveScenarioClassification`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LOCALES_FILE = Path(__file__).resolve().parents[1] / "data" / "massive_locales.csv"


@dataclass(frozen=True)
class Locale:
    code: str
    language: str
    iso639_3: str
    script: str
    in_massive_1_0: bool
    mteb_subset: str | None

    @property
    def language_tag(self) -> str:
        """ISO 639-3 + ISO 15924, as MTEB writes languages: `rus-Cyrl`."""
        return f"{self.iso639_3}-{self.script}"


@lru_cache(maxsize=None)
def massive_locales() -> dict[str, Locale]:
    """Every MASSIVE 1.1 locale by code, in the file's (alphabetical) order."""
    with open(LOCALES_FILE, encoding="utf-8", newline="") as handle:
        return {row["locale"]: Locale(code=row["locale"], language=row["language"], iso639_3=row["iso639_3"],
                                      script=row["script"], in_massive_1_0=row["in_massive_1_0"] == "yes",
                                      mteb_subset=row["mteb_subset"] or None)
                for row in csv.DictReader(handle)}


def locale_of_subset(name: str) -> str | None:
    """The locale a Hub-copy folder name stands for: a locale code itself or an mteb subset name."""
    if name in massive_locales():
        return name
    return next((code for code, locale in massive_locales().items() if locale.mteb_subset == name), None)


def subset_names(code: str) -> list[str]:
    """The folder names a locale may have in a Hub copy: its code, and its mteb subset name if it has one."""
    locale = massive_locales()[code]
    return [code] + ([locale.mteb_subset] if locale.mteb_subset and locale.mteb_subset != code else [])


def check_locales(codes: list[str]) -> list[str]:
    """`codes` sorted and deduplicated; an unknown code is an error that lists the known ones."""
    unknown = [code for code in codes if code not in massive_locales()]
    if unknown:
        raise ValueError(f"unknown MASSIVE locale(s) {', '.join(map(repr, unknown))}; MASSIVE 1.1 has "
                         f"{', '.join(massive_locales())}")
    return sorted(set(codes))
