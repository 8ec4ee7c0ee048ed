"""Score a RuQTopics classifier on the MASSIVE scenarios that match RuQTopics classes, locale by locale.

    ruqtopics evaluate-massive --model PATH_OR_ID --massive PATH_OR_ID --output-dir DIR
        [--locales all|ru-RU,en-US,...] [--massive-split test|dev|train] [--mapping NAME|FILE]
        [--massive-score restricted|full] [--batch-size 64] [--max-length 128] [--n-resamples 10000] [--seed 42]
        [--device auto|cpu|cuda] [--dtype auto|float32|bfloat16] [--overwrite-output-dir] [--update-model-card]
        [--config-file FILE.yaml]

(the command line is `ruqtopics_kit.cli.massive`; `python evaluate_massive.py` in a checkout is the same)

From Python (the release command does this): `evaluate_model(model, massive, output_dir, **options)`, with the
options of `EvaluationConfig`; it returns the table of results.csv and the content of results.json.

Classes are matched by NAME: the mapping file turns each MASSIVE scenario (or intent) into a RuQTopics class
name, and the model's `config.json` `id2label` says which logit is which class, so six-class and 76-class models
(and any label order) work alike. `accuracy` and `macro_f1` take the argmax over the mapped classes' logits only
(`--score restricted`, "accuracy (6 of 76 logits)"); a model with other classes as well also gets
`accuracy_full_argmax` and `macro_f1_full_argmax`, the argmax over all its logits, where predicting another class
counts as an error (`--score full` swaps the two: `accuracy` is then the full argmax, `accuracy_restricted` the
other). Macro-F1 averages over the mapped classes. The mapping, the split (test) and the score are INFERRED: the
paper states none of them. `predictions.parquet` holds every scored utterance's class under both scores (by MASSIVE
id, parallel across locales); `sensitivity.csv` the ru-RU accuracy under every bundled mapping and both scores, from
one inference over all ru-RU utterances of the split (`scoring.py`). results.json's `published_counts` sets each
locale's numbers of split and mapped utterances beside MASSIVE's published ones (`counts.py`).
Argmax is a single-label model's decision rule: a multi-label model (config `problem_type`
multi_label_classification, which predicts every class whose sigmoid passes its threshold) is refused, and
results.json records the model's problem type and the scoring rule.
Everything is written to a temporary folder that becomes `--output-dir` only when the whole run succeeded.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ruqtopics_kit.core.atomic import atomic_directory
from ruqtopics_kit.core.output_dir import check_overwrite, claim_output_dir, portable_path
from ruqtopics_kit.facts.mappings import Mapping, bundled_mappings, load_mapping
from ruqtopics_kit.facts.names import SINGLE_LABEL
from ruqtopics_kit.massive import MassiveSplit, read_massive
from ruqtopics_kit.massive.card import add_massive_results, load_model_card, save_model_card
from ruqtopics_kit.massive.config import EvaluationConfig
from ruqtopics_kit.massive.counts import check_counts
from ruqtopics_kit.massive.inference import (
    UNRECORDED_RULE,
    UTTERANCE_RULES,
    encode_utterances,
    load_classifier,
    predict_logits,
    resolve_autocast,
    resolve_device,
)
from ruqtopics_kit.massive.locales import massive_locales
from ruqtopics_kit.massive.model_classes import ModelClasses, model_classes, model_config, model_text_mode
from ruqtopics_kit.massive.report import MassiveResults, write_results
from ruqtopics_kit.massive.scoring import (
    PREDICTIONS_FILE,
    SCORES,
    SENSITIVITY_FILE,
    SENSITIVITY_LOCALE,
    SUFFIX,
    LocaleSelection,
    class_counts,
    locale_scores,
    predictions_table,
    score_name,
    select_mapped,
    sensitivity_table,
)

SPLIT_CHOICE = "INFERRED: the paper does not say which MASSIVE partition it scored; test is the kit's choice"


@dataclass
class EvaluationResult:
    output_dir: Path
    table: pd.DataFrame  # results.csv
    results: MassiveResults  # results.json

    @property
    def summary(self) -> dict:
        """results.json as written."""
        return self.results.to_dict()


def evaluate_model(model: str | Path, massive: str | Path, output_dir: str | Path, **options) -> EvaluationResult:
    """Evaluate `model` on `massive` and write every output to `output_dir`; see `EvaluationConfig` for options."""
    return run(EvaluationConfig(model=str(model), massive=str(massive), output_dir=str(output_dir), **options))


def run(config: EvaluationConfig) -> EvaluationResult:
    with claim_output_dir(config.output_dir, {"--model": config.model, "--massive": config.massive,
                                              "--mapping": config.mapping}):
        return _run(config)


def _run(config: EvaluationConfig) -> EvaluationResult:
    started = time.perf_counter()
    # ---- cheap checks first: nothing heavy runs for a run that would fail at the end
    mapping = load_mapping(config.mapping)
    check_overwrite(config.output_dir, config.overwrite_output_dir)
    device = resolve_device(config.device)
    autocast_dtype = resolve_autocast(config.dtype, device)
    model_json = model_config(config.model)
    classes = model_classes(config.model, model_json, mapping)
    text_mode = model_text_mode(config.model, model_json)
    card = load_model_card(config.model) if config.update_model_card else None
    # ---- data
    massive = read_massive(config.massive, split=config.split, locales=config.locale_list)
    if mapping.intents and not massive.has_intents:
        raise ValueError(f"mapping {mapping.name!r} maps intents ({', '.join(mapping.intents)}) but {massive.kind} "
                         f"copies carry only scenarios; use the official archive or AmazonScience/massive")
    selections = {code: select_mapped(records, mapping, code, config.split)
                  for code, records in massive.records.items()}
    # ---- inference and scores
    tokenizer, model = load_classifier(config.model, device)
    logits, russian = _logits_by_locale(tokenizer, model, massive.records, selections, config, device,
                                        autocast_dtype, text_mode)
    scores = _scores_by_locale(logits, selections, classes, config)
    # ---- outputs, all at once
    rows = _result_rows(config, mapping, massive, selections, scores)
    results = _summary(config, mapping, massive, classes, selections, rows, model, device, autocast_dtype,
                       text_mode, elapsed=time.perf_counter() - started)
    with atomic_directory(config.output_dir, overwrite=config.overwrite_output_dir) as staging:
        write_results(staging, rows, class_counts(selections, mapping), results)
        predictions_table(logits, selections, classes.names, classes.evaluated).to_parquet(
            staging / PREDICTIONS_FILE, index=False)
        if russian is not None:
            sensitivity_table(russian, massive.records[SENSITIVITY_LOCALE], classes.names, massive.has_intents,
                              config.split).to_csv(staging / SENSITIVITY_FILE, index=False, lineterminator="\n")
        if card is not None:
            add_massive_results(card, rows, massive_kind=massive.kind, version=massive.version, split=config.split,
                                mapping=mapping.name, mapped_scenarios=len(mapping.scenarios), source=massive.source,
                                revision=massive.revision, model_name=Path(config.model).name,
                                metric_name=score_name(config.score, len(classes.evaluated), len(classes.names)))
    if card is not None:
        save_model_card(card, config.model)
    return EvaluationResult(Path(config.output_dir), pd.DataFrame(rows), results)


def _logits_by_locale(tokenizer, model, records: dict[str, list], selections: dict[str, LocaleSelection],
                      config: EvaluationConfig, device, autocast_dtype,
                      text_mode: str | None) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Every locale's logits from ONE length-sorted pass over all locales (one progress bar, least padding); ru-RU
    is inferred on all its utterances, for the sensitivity table, and its selection's logits taken from those.
    Returns the selections' logits by locale and ru-RU's logits of all its utterances (None without ru-RU)."""
    texts, bounds = [], {}
    for code, selection in selections.items():
        whole = code == SENSITIVITY_LOCALE
        bounds[code] = (len(texts), len(texts) + len(records[code] if whole else selection.records))
        texts += [record.utt for record in records[code]] if whole else selection.texts
    sequences, token_types = encode_utterances(tokenizer, texts, text_mode, config.max_length)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    logits = predict_logits(model, sequences, pad_id=pad_id, batch_size=config.batch_size, device=device,
                            autocast_dtype=autocast_dtype, progress=config.progress,
                            description=f"MASSIVE {config.split}, {len(bounds)} locales", token_types=token_types)
    by_locale = {code: logits[start:end] for code, (start, end) in bounds.items()}
    russian = by_locale.get(SENSITIVITY_LOCALE)
    if russian is not None:
        by_locale[SENSITIVITY_LOCALE] = russian[selections[SENSITIVITY_LOCALE].positions]
    return by_locale, russian


def _scores_by_locale(logits: dict[str, np.ndarray], selections: dict[str, LocaleSelection], classes: ModelClasses,
                      config: EvaluationConfig) -> dict[str, dict[str, float]]:
    from ruqtopics_kit.metrics import load_topic_metric

    metric = load_topic_metric(multi_label=False)
    return {code: locale_scores(locale_logits, selections[code], classes.names, classes.evaluated, config.score,
                                metric=metric, resamples=config.bootstrap, seed=config.seed, code=code)
            for code, locale_logits in logits.items()}


def _result_rows(config: EvaluationConfig, mapping: Mapping, massive: MassiveSplit,
                 selections: dict[str, LocaleSelection], scores: dict[str, dict]) -> list[dict]:
    rows = []
    for code, selection in selections.items():
        locale = massive_locales()[code]
        rows.append({"model": portable_path(config.model, config.output_dir), "mapping": mapping.name,
                     "split": config.split,
                     "massive_version": massive.version, "locale": code, "language": locale.language,
                     "languages": locale.language_tag, "n_utterances": len(selection.texts), **scores[code],
                     "n_outside_mapping": selection.n_outside_mapping,
                     "n_mmnlu22_skipped": massive.held_out[code]})
    return rows


def _summary(config: EvaluationConfig, mapping: Mapping, massive: MassiveSplit, classes: ModelClasses,
             selections: dict[str, LocaleSelection], rows: list[dict], model, device, autocast_dtype,
             text_mode: str | None, *, elapsed: float) -> MassiveResults:
    """results.json: run metadata, then MTEB-shaped entries (hf_subset, languages, main_score, metrics)."""
    import datasets
    import evaluate
    import torch
    import transformers

    entries = []
    for row in rows:
        counts = Counter(selections[row["locale"]].classes)
        entries.append({"hf_subset": row["locale"], "languages": [row["languages"]], "main_score": row["accuracy"],
                        **{key: value for key, value in row.items()
                           if key not in ("model", "mapping", "split", "massive_version", "locale", "languages")},
                        "class_counts": {name: counts[name] for name in mapping.classes}})
    return MassiveResults(
        evaluation_time_s=round(elapsed, 3),
        model={"name_or_path": portable_path(config.model, config.output_dir), "num_labels": len(classes.names),
               "problem_type": classes.problem_type or SINGLE_LABEL,
               "scoring_rule": "argmax (one class per utterance), the decision rule of a single-label model",
               "classes_evaluated": list(mapping.classes), "full_argmax_reported": classes.has_others,
               "text_mode": text_mode,
               "utterance_encoding": UTTERANCE_RULES[text_mode] if text_mode else UNRECORDED_RULE},
        massive={"source": portable_path(massive.source, config.output_dir), "kind": massive.kind,
                 "version": massive.version, "revision": massive.revision, "split": config.split,
                 "split_choice": SPLIT_CHOICE if config.split == "test" else "given", "locales": list(selections),
                 "mmnlu22_skipped": sum(massive.held_out.values())},
        mapping=mapping.as_dict(),
        published_counts=check_counts(mapping.name if config.mapping in bundled_mappings() else None,
                                      config.split, {code: len(massive.records[code]) for code in selections},
                                      {code: len(selection.records) for code, selection in selections.items()}),
        metrics=_metric_descriptions(config, classes),
        config={**{key: value for key, value in asdict(config).items()
                   if key not in ("model", "massive", "output_dir")},
                "mapping": portable_path(config.mapping, config.output_dir),
                "locales": config.locale_list or "all", "device": str(device),
                "autocast": str(autocast_dtype).removeprefix("torch.") if autocast_dtype else None,
                "attn_implementation": getattr(model.config, "_attn_implementation", None)},
        versions={"torch": torch.__version__, "transformers": transformers.__version__,
                  "datasets": datasets.__version__, "evaluate": evaluate.__version__},
        scores={config.split: entries})


def _metric_descriptions(config: EvaluationConfig, classes: ModelClasses) -> dict[str, str]:
    """results.json's `metrics`: what each score column of results.csv is."""
    n_classes, n_logits = len(classes.evaluated), len(classes.names)
    rules = {"restricted": f"argmax over the logits of the {n_classes} mapped classes",
             "full": f"argmax over all {n_logits} logits; predicting a class outside the mapped ones counts as an "
                     f"error"}
    metrics = {"accuracy": f"{score_name(config.score, n_classes, n_logits)}: {rules[config.score]}",
               "accuracy_ci": "95% Clopper-Pearson (exact) interval of accuracy",
               "macro_f1": f"F1 averaged over the {n_classes} mapped classes; 95% percentile-bootstrap interval, "
                           f"{config.bootstrap} resamples seeded by seed {config.seed} and the locale"}
    if classes.has_others:
        other = next(score for score in SCORES if score != config.score)
        metrics[f"accuracy{SUFFIX[other]}"] = f"{score_name(other, n_classes, n_logits)}: {rules[other]}"
    return metrics
