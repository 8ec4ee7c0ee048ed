"""The dataset commands: `ruqtopics prepare` (a Yandex Q dump to the raw layout) and `ruqtopics export`
(the raw layout to a script-free Hub dataset repository, optionally pushed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datasets.utils.py_utils import convert_file_size_to_int

from ruqtopics_kit.core.hub import PushError, upload_folder
from ruqtopics_kit.dataset.export import (
    DEFAULT_MAX_SHARD_SIZE,
    SYNTHETIC_PUSH_REFUSED,
    export_dataset,
    is_synthetic_source,
)
from ruqtopics_kit.dataset.prepare import FieldMap, prepare
from ruqtopics_kit.dataset.raw import RawDataError
from ruqtopics_kit.facts.names import SYNTHETIC_TAG


def shard_size(value: str) -> str:
    """`--max-shard-size`: a positive size in datasets' units (an integer and a unit: 500MB, 1GB, 20KB)."""
    try:
        valid = convert_file_size_to_int(value) > 0
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"expected a positive integer and a unit, e.g. 500MB or 1GB; got {value!r}")
    return value


def prepare_parser(prog: str = "ruqtopics prepare") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Turn a Yandex Q dump into the canonical raw layout.")
    parser.add_argument("--dump", type=Path, required=True,
                        help="JSON Lines (optionally .gz), one question per line: id, question, answer, tags")
    parser.add_argument("--output-dir", type=Path, required=True, help="where train/validation/test.jsonl go")
    parser.add_argument("--field", action="append", metavar="NAME=PATH", default=[],
                        help="where NAME (id, question, answer or tags) sits in a record of another shape: keys "
                             "separated by dots, a number picks a list item, * takes every item, e.g. "
                             "answer=answers.0.text or tags=tags.*.title (repeatable; default NAME=NAME)")
    parser.add_argument("--on-bad-record", choices=["error", "skip"], default="error",
                        help="stop at the first bad record (default) or skip bad records and count them")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    return parser


def export_parser(prog: str = "ruqtopics export") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Write the Hub dataset repository (Parquet + dataset card).")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="raw data: canonical train/validation/test.jsonl or DeepPavlov train/val/test.csv")
    parser.add_argument("--output-dir", type=Path, required=True, help="the repository folder to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    parser.add_argument("--on-bad-record", choices=["error", "skip"], default="error",
                        help="stop at the first bad record (default) or skip bad records and count them")
    parser.add_argument("--license", default="unknown", metavar="ID", help=(
        "licence id of the data for the card (a Hub licence id such as cc-by-4.0). Default: unknown, and the card "
        "explains that the terms of the Yandex Q texts must be confirmed before the data is relied on"))
    parser.add_argument("--max-shard-size", type=shard_size, default=DEFAULT_MAX_SHARD_SIZE, metavar="SIZE", help=(
        f"largest Parquet shard, in datasets' units as push_to_hub takes them ('500MB', '1GB'; Arrow "
        f"size). Default: {DEFAULT_MAX_SHARD_SIZE}, which splits the full train split into several shards"))
    parser.add_argument("--push", action="store_true", help="upload the folder to the Hub after writing it")
    parser.add_argument("--repo-id", metavar="ORG/NAME", help=(
        "the Hub dataset repository: the id the card's loading code uses, and where --push uploads (required "
        "with --push; without it the card loads the local folder and says so)"))
    parser.add_argument("--private", action="store_true", help="create the Hub repository as private")
    return parser


def prepare_main(argv: list[str] | None = None, prog: str = "ruqtopics prepare") -> int:
    parser = prepare_parser(prog)
    args = parser.parse_args(argv)
    try:
        fields = FieldMap.parse(args.field)
    except ValueError as error:
        parser.error(str(error))
    try:
        counts = prepare(args.dump, args.output_dir, fields=fields, on_bad_record=args.on_bad_record,
                         overwrite=args.overwrite)
    except (RawDataError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for outcome, count in sorted(counts.items()):
        print(f"{outcome:32s} {count:9d}")
    return 0


def export_main(argv: list[str] | None = None, prog: str = "ruqtopics export") -> int:
    parser = export_parser(prog)
    args = parser.parse_args(argv)
    if args.push and not args.repo_id:
        parser.error("--push needs --repo-id ORG/NAME")
    if args.push and is_synthetic_source(args.data_dir):
        print(f"error: {SYNTHETIC_PUSH_REFUSED}", file=sys.stderr)
        return 1
    try:
        summary = export_dataset(args.data_dir, args.output_dir, overwrite=args.overwrite,
                                 on_bad_record=args.on_bad_record, license=args.license,
                                 max_shard_size=args.max_shard_size, repo_id=args.repo_id)
    except (RawDataError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for config_name, sizes in summary["records"].items():
        print(f"{config_name:16s} " + "  ".join(f"{split} {count}" for split, count in sizes.items()))
    for problem, count in summary["skipped"].items():
        print(f"skipped ({problem}): {count}")
    print(f"wrote {args.output_dir}")
    if args.push:
        try:
            url = upload_folder(args.output_dir, args.repo_id, repo_type="dataset", private=args.private,
                                commit_message="Upload RuQTopics (ruqtopics export)", refuse_tag=SYNTHETIC_TAG)
        except PushError as error:
            retry = "" if args.overwrite else " (add --overwrite to rerun this command, which rewrites the same folder)"
            print(f"error: {error}{retry}", file=sys.stderr)
            return 1
        print(f"pushed to {url}")
    return 0
