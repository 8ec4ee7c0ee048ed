"""The dataset commands: `ruqtopics prepare` (a Yandex Q dump to the raw layout) and `ruqtopics export`
(the raw layout to a script-free Hub dataset repository, optionally pushed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruqtopics_kit.core.hub import PushError, upload_folder
from ruqtopics_kit.dataset.export import export_dataset
from ruqtopics_kit.dataset.prepare import prepare
from ruqtopics_kit.dataset.raw import RawDataError


def prepare_parser(prog: str = "ruqtopics prepare") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Turn a Yandex Q dump into the canonical raw layout.")
    parser.add_argument("--dump", type=Path, required=True,
                        help="JSON Lines (optionally .gz), one question per line: id, question, answer, tags")
    parser.add_argument("--output-dir", type=Path, required=True, help="where train/validation/test.jsonl go")
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
    parser.add_argument("--license", default="unknown", help="license id for the card's YAML (default: unknown)")
    parser.add_argument("--push", action="store_true", help="upload the folder to the Hub after writing it")
    parser.add_argument("--repo-id", help="ORG/NAME of the Hub dataset repository (required with --push)")
    parser.add_argument("--private", action="store_true", help="create the Hub repository as private")
    return parser


def prepare_main(argv: list[str] | None = None, prog: str = "ruqtopics prepare") -> int:
    args = prepare_parser(prog).parse_args(argv)
    try:
        counts = prepare(args.dump, args.output_dir, overwrite=args.overwrite)
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
    try:
        summary = export_dataset(args.data_dir, args.output_dir, overwrite=args.overwrite,
                                 on_bad_record=args.on_bad_record, license=args.license)
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
                                commit_message="Upload RuQTopics (ruqtopics export)")
        except PushError as error:
            retry = "" if args.overwrite else " (add --overwrite to rerun this command, which rewrites the same folder)"
            print(f"error: {error}{retry}", file=sys.stderr)
            return 1
        print(f"pushed to {url}")
    return 0
