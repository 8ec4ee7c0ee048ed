"""The RuQTopics label set, read from `data/labels.json` (the file holds the provenance).

Label id = position in the list. Names are compared exactly: "самолёты" keeps its ё.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import datasets

from ruqtopics_kit.core.errors import check_choice
from ruqtopics_kit.core.resources import package_path

LABELS_FILE = package_path("data", "labels.json")

CONFIG_NAMES = ("single_label", "multi_label", "massive_aligned")


@dataclass(frozen=True)
class LabelSet:
    """An ordered list of class names with their English glosses."""

    names: tuple[str, ...]
    english: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    @property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def id_of(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"{name!r} is not one of the {len(self)} RuQTopics classes") from None

    def class_label(self) -> datasets.ClassLabel:
        return datasets.ClassLabel(names=list(self.names))

    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    def label2id(self) -> dict[str, int]:
        return dict(self._index)


@lru_cache(maxsize=None)
def _load() -> dict:
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def all_topics() -> LabelSet:
    """The 76 RuQTopics classes."""
    classes = _load()["classes"]
    return LabelSet(tuple(c["name"] for c in classes), tuple(c["english"] for c in classes))


@lru_cache(maxsize=None)
def massive_aligned() -> LabelSet:
    """The six classes that match MASSIVE scenarios, in the order of the 76-class list."""
    topics = all_topics()
    names = _load()["massive_aligned"]
    return LabelSet(tuple(names), tuple(topics.english[topics.id_of(n)] for n in names))


def check_config_name(config_name: str) -> str:
    return check_choice("config_name", config_name, CONFIG_NAMES)


def for_config(config_name: str) -> LabelSet:
    """The label set a dataset config classifies into."""
    check_config_name(config_name)
    return massive_aligned() if config_name == "massive_aligned" else all_topics()


def is_multi_label(config_name: str) -> bool:
    for_config(config_name)
    return config_name == "multi_label"


def label_column(config_name: str) -> str:
    """`labels` (a list of class ids) for multi_label, `label` (one class id) otherwise."""
    return "labels" if is_multi_label(config_name) else "label"
