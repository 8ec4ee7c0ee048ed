"""The paper's backbone registry (data in `data/backbones.json`, each entry with its licence and source) and
what a `--backbone` or `--model` value means: a registry short name (`rubert-base-conversational`, ...), a
local directory, or a Hub id. A path-like string (`./x`, `/x`, `~/x`, `a/b/c`) that is not a directory is an
error at once; an `org/name` string that is not a local directory is taken as a Hub id. Loading the model is
`ruqtopics_kit.modeling.backbones`'.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ruqtopics_kit.core.resources import package_path

BACKBONES_FILE = package_path("data", "backbones.json")


@dataclass(frozen=True)
class Backbone:
    """Where a backbone's weights come from, and what the registry says about it."""

    name: str  # as given on the command line
    source: str  # Hub id or local directory, what `from_pretrained` receives
    is_local: bool
    description: str | None = None
    max_position_embeddings: int | None = None
    option: str = "--backbone"  # the command-line option that named it, for messages
    license: str | None = None  # of the weights, as the registry records it (None: not declared or not known)

    @property
    def label(self) -> str:
        return f"{self.option} {self.name!r}"

    @property
    def hub_id(self) -> str | None:
        """The Hub id, for the model card's `base_model`; None for a local directory."""
        return None if self.is_local else self.source


@lru_cache(maxsize=None)
def registry() -> dict[str, dict]:
    """Short name -> registry entry (hub_id, description, layers, max_position_embeddings, license)."""
    return json.loads(BACKBONES_FILE.read_text(encoding="utf-8"))["backbones"]


def resolve_backbone(name: str, option: str = "--backbone") -> Backbone:
    """The model that `option name` means; raises for a path-like name that is not a directory."""
    if name in registry():
        entry = registry()[name]
        return Backbone(name, entry["hub_id"], False, entry["description"], entry["max_position_embeddings"], option,
                        entry["license"])
    path = Path(name).expanduser()
    if path.is_dir():
        return Backbone(name, str(path), True, option=option)
    if _looks_like_a_path(name) or path.exists():
        what = "is a file, not a model directory" if path.exists() else "does not exist"
        raise FileNotFoundError(
            f"{option} {name!r}: {path} {what}. Expected a registry name "
            f"({', '.join(registry())}), a local model directory, or a Hub id such as "
            f"'DeepPavlov/rubert-base-cased-conversational'.")
    by_hub_id = {entry["hub_id"]: entry for entry in registry().values()}
    entry = by_hub_id.get(name, {})
    return Backbone(name, name, False, entry.get("description"), entry.get("max_position_embeddings"), option,
                    entry.get("license"))


def _looks_like_a_path(name: str) -> bool:
    """Hub ids are `name` or `org/name`; anything else with a path shape is meant as a local path."""
    return (name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name
            or name.endswith("/"))
