"""`ruqtopics evaluate-massive` (`python evaluate_massive.py`): a model's per-locale results on MASSIVE, and the
protocol options that the release passes on to it (`add_massive_protocol`, `massive_protocol`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ruqtopics_kit.cli.command import Command
from ruqtopics_kit.cli.options import add_aliases, add_output_dir, add_resampling, switch

# option dest -> EvaluationConfig field, for the options that decide what is measured (the release's too)
MASSIVE_PROTOCOL = {"locales": "locales", "massive_split": "split", "mapping": "mapping", "massive_score": "score",
                    "n_resamples": "bootstrap", "seed": "seed"}


def add_massive_protocol(parser: argparse.ArgumentParser) -> None:
    """What is measured: the locales, MASSIVE's partition, the scenario mapping, the main score, the bootstrap (and
    its seed)."""
    from ruqtopics_kit.facts.mappings import bundled_mappings
    from ruqtopics_kit.massive.config import default_of, locale_codes
    from ruqtopics_kit.massive.records import SPLITS
    from ruqtopics_kit.massive.scoring import SCORES

    parser.add_argument("--locales", type=locale_codes, default=default_of("locales"),
                        help="'all' (every locale of the copy) or a list such as ru-RU,en-US (default: %(default)s)")
    add_aliases(parser, parser.add_argument("--massive-split", default=default_of("split"), choices=SPLITS,
                                            help="MASSIVE partition (default: %(default)s, INFERRED: the paper "
                                                 "does not say)"), "--split")
    parser.add_argument("--mapping", default=default_of("mapping"),
                        help=f"scenario-to-class mapping: {', '.join(bundled_mappings())} or a JSON file "
                             f"(default: %(default)s, INFERRED; see ruqtopics_kit/data/massive_mappings)")
    add_aliases(parser, parser.add_argument("--massive-score", default=default_of("score"), choices=SCORES, help=(
        "the main score: argmax over the mapped classes' logits (restricted) or over all the model's logits "
        "(full); the other is reported beside it (default: %(default)s, INFERRED)")), "--score")
    add_resampling(parser, default=default_of("bootstrap"), help="bootstrap resamples for the 95%% macro-F1 interval")


def massive_protocol(args: argparse.Namespace) -> dict:
    """The protocol options of `args` as `evaluate_model`'s keyword arguments."""
    return {field: getattr(args, dest) for dest, field in MASSIVE_PROTOCOL.items()}


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    from ruqtopics_kit.massive.config import PRECISIONS, default_of

    parser.add_argument("--model", required=True, help="model folder (train.py output) or Hub model id")
    parser.add_argument("--massive", required=True,
                        help="amazon-massive-dataset-1.x.tar.gz, its extracted folder, a folder laid out like a Hub "
                             "copy, or a Hub dataset id (AmazonScience/massive, mteb/amazon_massive_scenario)")
    add_massive_protocol(parser)
    parser.add_argument("--batch-size", type=int, default=default_of("batch_size"),
                        help="utterances per forward pass (default: %(default)s)")
    parser.add_argument("--max-length", type=int, default=default_of("max_length"),
                        help="tokens kept per utterance (default: %(default)s)")
    parser.add_argument("--device", default=default_of("device"),
                        help="auto (CUDA when available), cpu, cuda or cuda:N (default: %(default)s)")
    parser.add_argument("--dtype", default=default_of("dtype"), choices=PRECISIONS,
                        help="autocast precision: auto (bfloat16 where the device computes it natively: a CUDA GPU "
                             "with bf16, a CPU with AVX512-BF16 or AMX; else float32), float32 (the reference "
                             "scores, on any machine), or bfloat16")
    add_output_dir(parser, help="folder for the results; written only on success")
    switch(parser, "--update-model-card",
           help="add the per-locale accuracies to the model-index of the model folder's README.md")
    switch(parser, "--no-progress", help="no progress bar")


def run_evaluate(args: argparse.Namespace) -> int:
    from ruqtopics_kit.massive.evaluate import evaluate_model
    from ruqtopics_kit.massive.report import RESULTS_MD

    result = evaluate_model(args.model, args.massive, args.output_dir, **massive_protocol(args),
                            batch_size=args.batch_size, max_length=args.max_length, device=args.device,
                            dtype=args.dtype, overwrite_output_dir=args.overwrite_output_dir,
                            update_model_card=args.update_model_card, progress=not args.no_progress)
    print((result.output_dir / RESULTS_MD).read_text(encoding="utf-8"))
    print(f"wrote {result.output_dir}" + (f"; updated {Path(args.model) / 'README.md'}"
                                          if args.update_model_card else ""))
    return 0


EVALUATE_MASSIVE = Command(
    "evaluate-massive", "per-locale results of a model on MASSIVE", add_evaluate_arguments, run_evaluate,
    description="Score a RuQTopics classifier on the MASSIVE scenarios that match RuQTopics classes, locale by "
                "locale\n(per-locale accuracy and macro-F1, results.csv, results.json, a plot).")
