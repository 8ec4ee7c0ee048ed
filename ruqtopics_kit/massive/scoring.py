"""How a model's MASSIVE logits become scores: the utterances a mapping selects, the two scores (argmax over the
mapped classes' logits, or over all logits), the per-utterance predictions, and the sensitivity of the Russian
score to the mapping and the score (one inference over every ru-RU utterance, scored every way).

The score is a protocol choice the paper does not state: `restricted` (the default, named "accuracy (6 of 76
logits)" for a 76-class model) takes the argmax over the mapped classes' logits only; `full` takes it over all the
model's logits, so that predicting another of its classes is an error. The main columns (`accuracy`, `macro_f1`,
their interval) hold the chosen score; the other is reported beside it (suffix `_full_argmax` or `_restricted`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruqtopics_kit.facts.mappings import Mapping, bundled_mappings, load_mapping
from ruqtopics_kit.facts.names import REFERENCE_LOCALE
from ruqtopics_kit.massive.records import MassiveRecord
from ruqtopics_kit.massive.report import argmax_scores
from ruqtopics_kit.statistics import proportion_interval

SCORES = ("restricted", "full")  # argmax over the mapped classes' logits, or over all of them
SUFFIX = {"restricted": "_restricted", "full": "_full_argmax"}  # the columns of the score that is not the main one
SENSITIVITY_LOCALE = REFERENCE_LOCALE  # the training language
PREDICTIONS_FILE = "predictions.parquet"
SENSITIVITY_FILE = "sensitivity.csv"


def score_name(score: str, n_mapped: int, n_classes: int) -> str:
    """The score's name in reports: which logits the argmax takes."""
    if score == "full" and n_classes > n_mapped:
        return f"accuracy (argmax over all {n_classes} logits)"
    return f"accuracy ({n_mapped} of {n_classes} logits)"


@dataclass(frozen=True)
class LocaleSelection:
    """The utterances of one locale that the mapping covers, with their classes."""

    records: list[MassiveRecord]
    classes: list[str]
    positions: np.ndarray  # of these records among all the locale's records of the split
    n_outside_mapping: int

    @property
    def texts(self) -> list[str]:
        return [record.utt for record in self.records]


def select_mapped(records: list[MassiveRecord], mapping: Mapping, locale: str, split: str) -> LocaleSelection:
    """The records the mapping covers; a locale with none of them is an error naming the mapping's scenarios."""
    chosen = [(index, record, mapping.class_of(record.scenario, record.intent)) for index, record in enumerate(records)]
    chosen = [item for item in chosen if item[2] is not None]
    if not chosen:
        raise ValueError(f"locale {locale}: none of its {len(records)} {split} utterances falls in the scenarios of "
                         f"mapping {mapping.name!r} ({', '.join(sorted(mapping.scenarios))})")
    return LocaleSelection([record for _, record, _ in chosen], [name for _, _, name in chosen],
                           np.array([index for index, _, _ in chosen]), len(records) - len(chosen))


def class_counts(selections: dict[str, LocaleSelection], mapping: Mapping) -> list[dict]:
    counts = []
    for code, selection in selections.items():
        per_class = Counter(selection.classes)
        counts += [{"locale": code, "class": name, "n": per_class[name]} for name in mapping.classes]
    return counts


def predictions_of(logits: np.ndarray, evaluated: np.ndarray) -> dict[str, np.ndarray]:
    """Class ids predicted by each score."""
    return {"restricted": evaluated[logits[:, evaluated].argmax(axis=1)], "full": logits.argmax(axis=1)}


def locale_scores(logits: np.ndarray, selection: LocaleSelection, names: tuple[str, ...], evaluated: np.ndarray,
                  score: str, *, metric, resamples: int, seed: int, code: str) -> dict[str, float]:
    """The main score's accuracy, interval and macro-F1, and the other score's beside it when they can differ."""
    references = np.array([names.index(name) for name in selection.classes])
    # seeded by (seed, locale): a locale's interval does not depend on which other locales ran
    seeds = (seed, zlib.crc32(code.encode()))
    predicted = predictions_of(logits, evaluated)
    scores = argmax_scores(metric, predicted[score], references, evaluated, resamples=resamples, seed=seeds)
    if len(names) > len(evaluated):
        other = next(name for name in SCORES if name != score)
        scores |= argmax_scores(metric, predicted[other], references, evaluated, suffix=SUFFIX[other])
    return scores


def predictions_table(logits: dict[str, np.ndarray], selections: dict[str, LocaleSelection],
                      names: tuple[str, ...], evaluated: np.ndarray) -> pd.DataFrame:
    """predictions.parquet: one row per scored utterance (id parallel across locales), with the class each score
    predicts, as training's test_predictions.parquet holds one per test question."""
    frames = []
    for code, selection in selections.items():
        predicted = predictions_of(logits[code], evaluated)
        frames.append(pd.DataFrame({
            "locale": code, "id": [record.id for record in selection.records],
            "scenario": [record.scenario for record in selection.records],
            "intent": [record.intent for record in selection.records], "label": selection.classes,
            "prediction": [names[i] for i in predicted["restricted"]],
            "prediction_full_argmax": [names[i] for i in predicted["full"]]}))
    return pd.concat(frames, ignore_index=True)


def sensitivity_table(logits: np.ndarray, records: list[MassiveRecord], names: tuple[str, ...],
                      has_intents: bool, split: str) -> pd.DataFrame:
    """The ru-RU accuracy under every bundled mapping and both scores, from the logits of ALL its utterances (one
    inference); a mapping the copy or the model cannot score is a row saying why."""
    rows = []
    for name in bundled_mappings():
        mapping = load_mapping(name)
        missing = [label for label in mapping.classes if label not in names]
        why = ("the copy has no intents" if mapping.intents and not has_intents else
               f"the model lacks {', '.join(missing)}" if missing else None)
        if why:
            rows.append({"mapping": name, "score": "-", "n": 0, "correct": 0, "accuracy": None, "ci_low": None,
                         "ci_high": None, "note": why})
            continue
        selection = select_mapped(records, mapping, SENSITIVITY_LOCALE, split)
        evaluated = np.array([names.index(label) for label in mapping.classes])
        references = np.array([names.index(label) for label in selection.classes])
        predicted_by_score = predictions_of(logits[selection.positions], evaluated)
        if len(names) == len(evaluated):  # a model of the mapped classes only: both scores are one
            del predicted_by_score["full"]
        for score, predicted in predicted_by_score.items():
            correct, n = int((predicted == references).sum()), len(references)
            low, high = proportion_interval(correct, n)
            rows.append({"mapping": name, "score": score_name(score, len(evaluated), len(names)), "n": n,
                         "correct": correct, "accuracy": correct / n, "ci_low": low, "ci_high": high, "note": ""})
    return pd.DataFrame(rows)
