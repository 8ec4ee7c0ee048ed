"""`ruqtopics prepare` (a Yandex Q dump to the raw layout) and `ruqtopics export` (the raw layout to a
script-free Hub dataset repository, optionally pushed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ruqtopics_kit.cli.command import Command
from ruqtopics_kit.cli.options import add_hub, add_on_bad_record, add_output_dir
from ruqtopics_kit.core.errors import InvalidParameterError

LICENSE_HELP = ("licence id of the data for the card (a Hub licence id such as cc-by-4.0). Default: unknown, and "
                "the card explains that the terms of the Yandex Q texts must be confirmed before the data is relied on")


def add_prepare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dump", type=Path, required=True,
                        help="JSON Lines (optionally .gz), one question per line: id, question, answer, tags")
    add_output_dir(parser, help="where train/validation/test.jsonl go")
    parser.add_argument("--field", action="append", metavar="NAME=PATH", default=[],
                        help="where NAME (id, question, answer or tags) sits in a record of another shape: keys "
                             "separated by dots, a number picks a list item, * takes every item, e.g. "
                             "answer=answers.0.text or tags=tags.*.title (repeatable; default NAME=NAME)")
    add_on_bad_record(parser)


def run_prepare(args: argparse.Namespace) -> int:
    from ruqtopics_kit.dataset.prepare import FieldMap, prepare

    try:
        fields = FieldMap.parse(args.field)
    except ValueError as error:
        raise InvalidParameterError(str(error)) from None
    counts = prepare(args.dump, args.output_dir, fields=fields, on_bad_record=args.on_bad_record,
                     overwrite=args.overwrite_output_dir)
    for outcome, count in sorted(counts.items()):
        print(f"{outcome:32s} {count:9d}")
    return 0


def shard_size(value: str) -> str:
    """`--max-shard-size`: a positive size in datasets' units (an integer and a unit: 500MB, 1GB, 20KB)."""
    from datasets.utils.py_utils import convert_file_size_to_int

    try:
        valid = convert_file_size_to_int(value) > 0
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"expected a positive integer and a unit, e.g. 500MB or 1GB; got {value!r}")
    return value


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    from ruqtopics_kit.dataset.export import DEFAULT_MAX_SHARD_SIZE

    parser.add_argument("--data-dir", type=Path, required=True,
                        help="raw data: canonical train/validation/test.jsonl or DeepPavlov train/val/test.csv")
    add_output_dir(parser, help="the repository folder to write")
    add_on_bad_record(parser)
    parser.add_argument("--max-shard-size", type=shard_size, default=DEFAULT_MAX_SHARD_SIZE, metavar="SIZE", help=(
        f"largest Parquet shard, in datasets' units as push_to_hub takes them ('500MB', '1GB'; Arrow "
        f"size). Default: {DEFAULT_MAX_SHARD_SIZE}, which splits the full train split into several shards"))
    add_hub(parser, repo="--hub-dataset-id", license_help=LICENSE_HELP, repo_help=(
        "the Hub dataset repository: the id the card's loading code uses, and where --push-to-hub uploads "
        "(required with --push-to-hub; without it the card loads the local folder and says so)"))


def run_export(args: argparse.Namespace) -> int:
    from ruqtopics_kit.core.hub import PushError, check_license_id, check_repo_id, upload_folder
    from ruqtopics_kit.dataset.export import SYNTHETIC_PUSH_REFUSED, export_dataset, is_synthetic_source
    from ruqtopics_kit.facts.names import SYNTHETIC_TAG

    if args.push_to_hub and not args.hub_dataset_id:
        raise InvalidParameterError("--push-to-hub needs --hub-dataset-id ORG/NAME")
    check_license_id("--license", args.license)
    if args.hub_dataset_id:
        check_repo_id("--hub-dataset-id", args.hub_dataset_id)
    if args.push_to_hub and is_synthetic_source(args.data_dir):
        raise PushError(SYNTHETIC_PUSH_REFUSED)
    summary = export_dataset(args.data_dir, args.output_dir, overwrite=args.overwrite_output_dir,
                             on_bad_record=args.on_bad_record, license=args.license,
                             max_shard_size=args.max_shard_size, repo_id=args.hub_dataset_id)
    for config_name, sizes in summary["records"].items():
        print(f"{config_name:16s} " + "  ".join(f"{split} {count}" for split, count in sizes.items()))
    for problem, count in summary["skipped"].items():
        print(f"skipped ({problem}): {count}")
    print(f"wrote {args.output_dir}")
    if args.push_to_hub:
        try:
            url = upload_folder(args.output_dir, args.hub_dataset_id, repo_type="dataset", private=args.hub_private,
                                commit_message="Upload RuQTopics (ruqtopics export)", refuse_tag=SYNTHETIC_TAG)
        except PushError as error:
            retry = "" if args.overwrite_output_dir else (" (add --overwrite-output-dir to rerun this command, "
                                                          "which rewrites the same folder)")
            raise PushError(f"{error}{retry}") from None
        print(f"pushed to {url}")
    return 0


PREPARE = Command("prepare", "turn a Yandex Q dump into the canonical raw layout (train/validation/test.jsonl)",
                  add_prepare_arguments, run_prepare)
EXPORT = Command("export", "write the script-free Hub dataset repository (Parquet + card), optionally push it",
                 add_export_arguments, run_export,
                 description="Write the Hub dataset repository (Parquet + dataset card), optionally push it.")
