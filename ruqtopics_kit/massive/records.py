"""What every MASSIVE reader yields: `MassiveRecord`s of one split, grouped by locale in a `MassiveSplit`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from ruqtopics_kit.core.errors import KitError

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
