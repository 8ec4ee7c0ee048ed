"""What every MASSIVE reader yields (`MassiveRecord`s of one split, grouped by locale in a `MassiveSplit`), and the
checks every reader makes: the locales selected, each record's scenario, JSON Lines read strictly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.jsonio import parse_object
from ruqtopics_kit.facts.massive import SCENARIOS
from ruqtopics_kit.massive.locales import massive_locales

SPLITS = ("test", "dev", "train")  # MASSIVE's partition names
HUB_SPLITS = {"test": "test", "dev": "validation", "train": "train"}  # the Hub copies' split names
HELD_OUT_PARTITION = "MMNLU-22"  # the MMNLU-22 competition's held-out set: no scenario, intent or annotation


class MassiveRecord(NamedTuple):
    id: str  # SLURP id, parallel across locales
    locale: str
    partition: str  # test | dev | train
    scenario: str
    intent: str | None  # None in copies that keep only the scenario (mteb/amazon_massive_scenario)
    utt: str


class MassiveDataError(KitError, ValueError):
    """A problem in a copy of MASSIVE, located by file (archive member) and line or row."""

    def __init__(self, where: str, problem: str):
        self.where, self.problem = where, problem
        super().__init__(f"{where}: {problem}")


@dataclass
class MassiveSplit:
    """One split of the requested locales of one copy of MASSIVE."""

    source: str  # what was given: a path or a Hub id
    kind: str  # "official archive", "official folder", "AmazonScience/massive", "mteb/amazon_massive_scenario"
    version: str | None  # MASSIVE release, e.g. "1.1"; None when the copy does not say
    split: str
    records: dict[str, list[MassiveRecord]]  # by locale, locales sorted
    held_out: Counter = field(default_factory=Counter)  # MMNLU-22 records skipped, by locale
    has_intents: bool = True  # False for copies that keep only the scenario
    revision: str | None = None  # Hub commit of a downloaded copy

    @property
    def locales(self) -> list[str]:
        return list(self.records)


# ---- checks every reader makes -------------------------------------------------------------------------------

def select_locales(present: Iterable[str], wanted: list[str] | None, where: str) -> list[str]:
    """The locales to read: `wanted`, each of which must be present, or every present one."""
    present = sorted(present)
    if wanted is None:
        if not present:
            raise MassiveDataError(where, "holds no MASSIVE locale")
        return present
    missing = [code for code in wanted if code not in present]
    if missing:
        raise MassiveDataError(where, f"has no locale {', '.join(missing)}; it has {', '.join(present) or 'none'}")
    return wanted


def known_locale(code: str, where: str) -> str:
    if code not in massive_locales():
        raise MassiveDataError(where, f"unknown locale {code!r}; MASSIVE 1.1 has {', '.join(massive_locales())}")
    return code


def first_few(names: list[str]) -> str:
    """Up to three of `names`, then ', ...' when there are more: how a copy in a near-miss layout is named."""
    return f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"


def check_scenario(scenario: object) -> str:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; MASSIVE's 18 scenarios are {', '.join(SCENARIOS)}")
    return scenario


def json_objects(lines: Iterable[bytes], where: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-blank line; anything but a JSON object with unique keys is an error
    naming the line, and so is a file without any."""
    found = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = parse_object(line)
        except ValueError as error:
            raise MassiveDataError(f"{where}, line {number}", str(error)) from None
        found = True
        yield number, row
    if not found:
        raise MassiveDataError(where, "holds no records (an empty file)")
