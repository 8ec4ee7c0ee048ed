"""Backbones: the paper's registry (data in `data/backbones.json`), resolving a name, loading a classifier.

`--backbone` takes a registry short name (`rubert-base-conversational`, ...), a local directory, or a Hub id.
A path-like string (`./x`, `/x`, `~/x`, `a/b/c`) that is not a directory is an error at once; an `org/name`
string that is not a local directory is taken as a Hub id, and a failure to load it (offline, typo, private)
is reported with what was tried.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ruqtopics_kit.dataset.labels import LabelSet

BACKBONES_FILE = Path(__file__).resolve().parents[1] / "data" / "backbones.json"


@dataclass(frozen=True)
class Backbone:
    """Where a backbone's weights come from, and what the registry says about it."""

    name: str  # as given on the command line
    source: str  # Hub id or local directory, what `from_pretrained` receives
    is_local: bool
    description: str | None = None
    max_position_embeddings: int | None = None

    @property
    def hub_id(self) -> str | None:
        """The Hub id, for the model card's `base_model`; None for a local directory."""
        return None if self.is_local else self.source


@lru_cache(maxsize=None)
def registry() -> dict[str, dict]:
    """Short name -> registry entry (hub_id, description, layers, max_position_embeddings)."""
    return json.loads(BACKBONES_FILE.read_text(encoding="utf-8"))["backbones"]


def resolve_backbone(name: str) -> Backbone:
    """The backbone that `--backbone name` means; raises for a path-like name that does not exist."""
    if name in registry():
        entry = registry()[name]
        return Backbone(name, entry["hub_id"], False, entry["description"], entry["max_position_embeddings"])
    path = Path(name).expanduser()
    if path.is_dir():
        return Backbone(name, str(path), True)
    if _looks_like_a_path(name):
        raise FileNotFoundError(
            f"--backbone {name!r} is not a directory. Expected a registry name "
            f"({', '.join(registry())}), a local model directory, or a Hub id such as "
            f"'DeepPavlov/rubert-base-cased-conversational'.")
    by_hub_id = {entry["hub_id"]: entry for entry in registry().values()}
    entry = by_hub_id.get(name, {})
    return Backbone(name, name, False, entry.get("description"), entry.get("max_position_embeddings"))


def _looks_like_a_path(name: str) -> bool:
    """Hub ids are `name` or `org/name`; anything else with a path shape is meant as a local path."""
    return (name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name
            or name.endswith("/"))


def load_tokenizer(backbone: Backbone):
    from transformers import AutoTokenizer

    return _from_pretrained(AutoTokenizer, backbone)


def load_classifier(backbone: Backbone, labels: LabelSet, *, multi_label: bool):
    """The backbone with a fresh classification head over `labels` (Russian class names in id2label).

    SDPA attention is requested explicitly (it is transformers' default where supported; an architecture
    without it falls back to the default implementation).
    """
    from transformers import AutoModelForSequenceClassification

    kwargs = dict(num_labels=len(labels), id2label=labels.id2label(), label2id=labels.label2id(),
                  problem_type="multi_label_classification" if multi_label else "single_label_classification")
    try:
        return _from_pretrained(AutoModelForSequenceClassification, backbone, attn_implementation="sdpa", **kwargs)
    except ValueError as error:
        if "sdpa" not in str(error).lower():
            raise
        return _from_pretrained(AutoModelForSequenceClassification, backbone, **kwargs)


def _from_pretrained(auto_class, backbone: Backbone, **kwargs):
    try:
        return auto_class.from_pretrained(backbone.source, **kwargs)
    except OSError as error:
        if backbone.is_local:
            raise
        offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")
        hint = (" HF_HUB_OFFLINE is set, so only models already in the Hugging Face cache load: download it "
                "first (`hf download ...`) or pass a local directory." if offline else
                " Check the id, your network and, for a private model, HF_TOKEN.")
        raise OSError(f"--backbone {backbone.name!r}: could not load {backbone.source!r} from the Hugging Face "
                      f"Hub ({type(error).__name__}: {error}).{hint}") from error


def max_length_cap(backbone: Backbone, tokenizer, model_config) -> int:
    """The longest input the backbone takes: registry hint, tokenizer limit and position embeddings."""
    caps = [getattr(model_config, "max_position_embeddings", None), backbone.max_position_embeddings]
    if getattr(tokenizer, "model_max_length", None) and tokenizer.model_max_length < 1_000_000:
        caps.append(tokenizer.model_max_length)  # tokenizers without a limit report ~1e30
    return min(cap for cap in caps if cap)
