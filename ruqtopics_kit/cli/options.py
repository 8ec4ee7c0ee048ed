"""The options several commands share, declared once, with one spelling per concept.

train.py's names are transformers' example-script names, and every other command uses the same ones:

| concept | option | old spellings (hidden, still accepted with a note on stderr) |
|---|---|---|
| output folder | `--output-dir` | `--output-root` (grid) |
| replace an existing output folder | `--overwrite-output-dir` | `--overwrite` |
| upload | `--push-to-hub` | `--push` |
| Hub repository | `--hub-model-id` (model), `--hub-dataset-id` (dataset), `--hub-org` (many) | `--repo-id`, `--org` |
| private repository | `--hub-private` | `--private` |
| licence of a card | `--license` | |
| bootstrap resamples | `--n-resamples` | `--bootstrap`, `--n-bootstrap` |
| seed | `--seed` (default 42 everywhere, transformers' default) | |
| bad raw records | `--on-bad-record` | |
| options from a file | `--config-file` | |
| MASSIVE partition; main score | `--massive-split`; `--massive-score` | `--split`; `--score` (evaluate-massive) |
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruqtopics_kit.core.config_files import add_switch_off
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.facts.names import DEFAULT_ORG

ON_BAD_RECORD = ("error", "skip")


class DeprecatedAlias(argparse.Action):
    """An old spelling of an option: hidden from --help, stored as the option it stands for, with one line on
    stderr naming today's spelling."""

    def __init__(self, option_strings, dest, *, canonical: str, **kwargs):
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)
        self.canonical = canonical

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: note: {option_string} is deprecated and will be removed; use {self.canonical}",
              file=sys.stderr)
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def add_aliases(parser: argparse.ArgumentParser, action: argparse.Action, *old: str) -> argparse.Action:
    """`old` spellings of `action` (an option already added), each a hidden DeprecatedAlias."""
    for spelling in old:
        parser.add_argument(spelling, action=DeprecatedAlias, canonical=action.option_strings[0], dest=action.dest,
                            nargs=action.nargs, const=action.const, type=action.type, choices=action.choices,
                            metavar=action.metavar)
    return action


def switch(parser, option: str, help: str, *old: str) -> argparse.Action:
    """`option`, off by default, and its hidden complement `--no-...` (`core.config_files.add_switch_off`); `old`
    spellings of both."""
    on = parser.add_argument(option, action="store_true", help=help)
    add_aliases(parser, add_switch_off(parser, option, dest=on.dest), *(f"--no-{spelling[2:]}" for spelling in old))
    return add_aliases(parser, on, *old)


def add_output_dir(parser, *, help: str, required: bool = True, default: Path | None = None,
                   overwrite: str | None = "replace an existing output folder (never one that is an input)",
                   old: tuple[str, ...] = ()) -> None:
    """`--output-dir` (and `--overwrite-output-dir`, unless the command resumes into its folder instead)."""
    add_aliases(parser, parser.add_argument("--output-dir", type=Path, required=required, default=default,
                                            metavar="DIR", help=help), *old)
    if overwrite:
        add_overwrite(parser, help=overwrite)


def add_overwrite(parser, *, help: str) -> None:
    """`--overwrite-output-dir`: an existing output is refused without it (`core.output_dir.check_overwrite`)."""
    switch(parser, "--overwrite-output-dir", help, "--overwrite")


def add_hub(parser, *, repo: str, repo_help: str, license_help: str) -> None:
    """`--push-to-hub`, the repository (`--hub-model-id`, `--hub-dataset-id` or `--hub-org`), `--hub-private`
    and `--license`."""
    switch(parser, "--push-to-hub", "upload the written folder(s) to the Hub", "--push")
    old = {"--hub-dataset-id": ("--repo-id",), "--hub-org": ("--org",)}.get(repo, ())
    add_aliases(parser, parser.add_argument(repo, metavar="ORG" if repo == "--hub-org" else "ORG/NAME",
                                            **({"default": DEFAULT_ORG} if repo == "--hub-org" else {}),
                                            help=repo_help), *old)
    switch(parser, "--hub-private", "create the Hub repositories as private", "--private")
    parser.add_argument("--license", default="unknown", metavar="ID", help=license_help)


def add_resampling(parser, *, default: int | None, help: str, seed_help: str = "seed of the bootstrap") -> None:
    """`--n-resamples` (bootstrap resamples) and `--seed`."""
    add_aliases(parser, parser.add_argument("--n-resamples", type=positive_int, default=default, metavar="N",
                                            help=help + (" (default: %(default)s)" if default else "")),
                "--bootstrap", "--n-bootstrap")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"{seed_help} (default: %(default)s)")


def add_on_bad_record(parser) -> None:
    parser.add_argument("--on-bad-record", choices=ON_BAD_RECORD, default="error",
                        help="stop at the first bad record (default) or skip bad records and count them")


def positive_int(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value!r}")
    return int(value)
