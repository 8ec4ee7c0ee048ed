"""Which MASSIVE utterances count as which RuQTopics class: a mapping file (see data/massive_mappings/README.md).

The bundled default is INFERRED (the paper does not publish its mapping); alternatives are selectable by
name, and a user's own JSON file by path.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from ruqtopics_kit.core.errors import check_choice
from ruqtopics_kit.core.jsonio import unique_keys
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.facts.labels import all_topics
from ruqtopics_kit.facts.massive import SCENARIOS

MAPPINGS_DIR = package_path("data", "massive_mappings")
DEFAULT_MAPPING = "default"
_KEYS = {"name", "description", "provenance", "scenarios", "intents"}


@dataclass(frozen=True)
class Mapping:
    name: str
    description: str
    provenance: str
    scenarios: dict[str, str]  # MASSIVE scenario -> RuQTopics class name
    intents: dict[str, str]  # MASSIVE intent -> class name; wins over the intent's scenario
    path: Path

    @property
    def classes(self) -> list[str]:
        """The classes this mapping evaluates, in RuQTopics label-id order."""
        topics = all_topics()
        return sorted(set(self.scenarios.values()) | set(self.intents.values()), key=topics.id_of)

    def class_of(self, scenario: str, intent: str | None) -> str | None:
        """The class of an utterance, or None when it falls outside the mapping."""
        if intent is not None and intent in self.intents:
            return self.intents[intent]
        return self.scenarios.get(scenario)

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "provenance": self.provenance,
                "scenarios": dict(self.scenarios), "intents": dict(self.intents)}


def bundled_mappings() -> list[str]:
    return sorted(path.stem for path in MAPPINGS_DIR.glob("*.json"))


def load_mapping(name_or_path: str | Path = DEFAULT_MAPPING) -> Mapping:
    """A bundled mapping by name, or a mapping file by path."""
    path = Path(name_or_path)
    if not path.is_file():
        check_choice("mapping", str(name_or_path), bundled_mappings(), note="or a path to a JSON file")
        path = MAPPINGS_DIR / f"{name_or_path}.json"
    try:  # a scenario given twice is an error, not its last value silently
        body = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=unique_keys)
    except (OSError, ValueError) as error:
        raise ValueError(f"mapping file {str(path)!r} cannot be read as JSON ({error})") from None
    return _validated(body, path)


def _validated(body: object, path: Path) -> Mapping:
    def problem(message: str) -> ValueError:
        return ValueError(f"mapping file {str(path)!r}: {message}")

    if not isinstance(body, dict):
        raise problem(f"expected a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise problem(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(sorted(_KEYS))}")
    scenarios, intents = body.get("scenarios"), body.get("intents", {})
    for key, table in (("scenarios", scenarios), ("intents", intents)):
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise problem(f"{key!r} must be an object of names to RuQTopics class names; got {table!r}")
    if not scenarios and not intents:
        raise problem("maps nothing: 'scenarios' (and 'intents') are empty")
    for scenario in scenarios:
        if scenario not in SCENARIOS:
            raise problem(f"unknown scenario {scenario!r}; MASSIVE has {', '.join(SCENARIOS)}")
    for intent in intents:
        if intent.split("_", 1)[0] not in SCENARIOS or "_" not in intent:
            raise problem(f"intent {intent!r} is not '<scenario>_<intent>' with one of the 18 MASSIVE scenarios")
    for name in list(scenarios.values()) + list(intents.values()):
        if name not in all_topics():
            close = difflib.get_close_matches(name, all_topics().names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise problem(f"{name!r} is not one of the 76 RuQTopics classes (names are compared exactly){hint}")
    return Mapping(name=str(body.get("name", path.stem)), description=str(body.get("description", "")),
                   provenance=str(body.get("provenance", "")), scenarios=dict(scenarios), intents=dict(intents),
                   path=path)
