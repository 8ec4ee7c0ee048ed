"""What a model must be for MASSIVE scoring: a single-label classifier whose `config.json` names its classes
(`id2label`), covering the mapping's classes, and the text mode it was trained in."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ruqtopics_kit.dataset.text_modes import TEXT_MODE_KEY, TEXT_MODES
from ruqtopics_kit.facts.backbones import resolve_backbone
from ruqtopics_kit.facts.mappings import Mapping
from ruqtopics_kit.facts.names import MULTI_LABEL
from ruqtopics_kit.modeling.backbones import load_config

DEFAULT_LABEL = re.compile(r"LABEL_\d+")


@dataclass(frozen=True)
class ModelClasses:
    """The model's class names by logit, and the logits of the classes the mapping evaluates."""

    names: tuple[str, ...]
    evaluated: np.ndarray  # model ids of the mapping's classes, in the mapping's order
    problem_type: str | None = None  # the config's; None (transformers' default) is single-label

    @property
    def has_others(self) -> bool:
        return len(self.names) > len(self.evaluated)


def model_config(model: str):
    """The model's config.json (a transformers config), read once for `model_classes` and `model_text_mode`."""
    return load_config(resolve_backbone(model, option="--model"))


def model_classes(model: str, config, mapping: Mapping) -> ModelClasses:
    """The classes of `model` from its `config`, checked: named (not LABEL_0...), unique, covering the mapping, and
    single-label (MASSIVE is scored by argmax, which is not a multi-label model's decision rule)."""
    if config.problem_type == MULTI_LABEL:
        threshold = getattr(config, "decision_threshold", None)
        raise ValueError(f"model {model!r} is a multi-label classifier (problem_type {MULTI_LABEL}"
                         f"{f', decision threshold {threshold}' if threshold is not None else ''}); MASSIVE scoring "
                         f"takes one class per utterance by argmax, which is not its decision rule, so it is "
                         f"refused: evaluate a single-label or massive_aligned model")
    id2label = {int(key): name for key, name in (config.id2label or {}).items()}
    if not id2label or all(DEFAULT_LABEL.fullmatch(str(name)) for name in id2label.values()):
        raise ValueError(f"model {model!r} has no class names: the id2label of its config.json is "
                         f"{'missing' if not id2label else 'the default LABEL_0, LABEL_1, ...'}; classes are mapped "
                         f"by name, so save the model with id2label={{0: 'музыка', ...}} (train.py does)")
    if sorted(id2label) != list(range(len(id2label))):
        raise ValueError(f"model {model!r}: id2label keys must be 0..{len(id2label) - 1}; got {sorted(id2label)}")
    names = tuple(id2label[i] for i in range(len(id2label)))
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ValueError(f"model {model!r}: class name(s) {', '.join(map(repr, repeated))} appear more than once "
                         f"in id2label")
    missing = [name for name in mapping.classes if name not in names]
    if missing:
        raise ValueError(f"model {model!r} has no class {', '.join(map(repr, missing))}, which mapping "
                         f"{mapping.name!r} needs; its {len(names)} classes are {', '.join(map(repr, names))}")
    return ModelClasses(names, np.array([names.index(name) for name in mapping.classes]), config.problem_type)


def model_text_mode(model: str, config) -> str | None:
    """The text mode `model` was trained in (`ruqtopics_text_mode` in its config.json, which train.py writes), or
    None when its `config` records none (a model from elsewhere)."""
    text_mode = getattr(config, TEXT_MODE_KEY, None)
    if text_mode is not None and text_mode not in TEXT_MODES:
        raise ValueError(f"model {model!r}: {TEXT_MODE_KEY} in its config.json must be one of {', '.join(TEXT_MODES)}"
                         f"; got {text_mode!r}")
    return text_mode
