"""The MASSIVE locales (the kit's locale table, `ruqtopics_kit.facts.massive`) as `Locale` records."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ruqtopics_kit.facts.massive import locale_table


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
    return {code: Locale(code=code, language=row.language, iso639_3=row.iso639_3, script=row.script,
                         in_massive_1_0=row.massive_release == "1.0", mteb_subset=row.mteb_subset or None)
            for code, row in locale_table().iterrows()}


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
