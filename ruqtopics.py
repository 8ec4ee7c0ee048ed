"""RuQTopics: the `datasets` builder, and the commands that prepare and publish the dataset.

    python ruqtopics.py prepare --dump yandex_q.jsonl.gz --output-dir RAW
    python ruqtopics.py export --data-dir RAW --output-dir DIR [--push --repo-id ORG/ruqtopics]

The builder (`RuQTopics`, configs single_label, multi_label, massive_aligned) is usable directly:
`RuQTopics(config_name="multi_label", data_dir=RAW).download_and_prepare()`. Users of the published
dataset need none of this: `load_dataset("ORG/ruqtopics", "single_label")` reads the exported Parquet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruqtopics_kit.builder import RuQTopics, RuQTopicsConfig  # noqa: F401  (the builder, re-exported)
from ruqtopics_kit.hub import upload_folder
from ruqtopics_kit.hub_export import export_dataset
from ruqtopics_kit.prepare import prepare
from ruqtopics_kit.raw import RawDataError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    prep = commands.add_parser("prepare", help="turn a Yandex Q dump into the canonical raw layout")
    prep.add_argument("--dump", type=Path, required=True,
                      help="JSON Lines (optionally .gz), one question per line: id, question, answer, tags")
    prep.add_argument("--output-dir", type=Path, required=True, help="where train/validation/test.jsonl go")
    prep.add_argument("--overwrite", action="store_true", help="replace an existing output directory")

    export = commands.add_parser("export", help="write the Hub dataset repository (Parquet + dataset card)")
    export.add_argument("--data-dir", type=Path, required=True,
                        help="raw data: canonical train/validation/test.jsonl or DeepPavlov train/val/test.csv")
    export.add_argument("--output-dir", type=Path, required=True, help="the repository folder to write")
    export.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    export.add_argument("--on-bad-record", choices=["error", "skip"], default="error",
                        help="stop at the first bad record (default) or skip bad records and count them")
    export.add_argument("--license", default="unknown", help="license id for the card's YAML (default: unknown)")
    export.add_argument("--push", action="store_true", help="upload the folder to the Hub after writing it")
    export.add_argument("--repo-id", help="ORG/NAME of the Hub dataset repository (required with --push)")
    export.add_argument("--private", action="store_true", help="create the Hub repository as private")
    args = parser.parse_args(argv)
    if args.command == "export" and args.push and not args.repo_id:
        parser.error("--push needs --repo-id ORG/NAME")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "prepare":
            for outcome, count in sorted(prepare(args.dump, args.output_dir, overwrite=args.overwrite).items()):
                print(f"{outcome:32s} {count:9d}")
            return 0
        summary = export_dataset(args.data_dir, args.output_dir, overwrite=args.overwrite,
                                 on_bad_record=args.on_bad_record, license=args.license)
    except (RawDataError, FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for config_name, sizes in summary["records"].items():
        print(f"{config_name:16s} " + "  ".join(f"{split} {count}" for split, count in sizes.items()))
    for problem, count in summary["skipped"].items():
        print(f"skipped ({problem}): {count}")
    print(f"wrote {args.output_dir}")
    if args.push:
        url = upload_folder(args.output_dir, args.repo_id, repo_type="dataset", private=args.private,
                            commit_message="Upload RuQTopics (ruqtopics.py export)")
        print(f"pushed to {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
