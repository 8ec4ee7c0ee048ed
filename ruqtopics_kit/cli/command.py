"""A command of the kit (`Command`: name, summary, add_arguments, run) and the one wrapper that runs it.

The wrapper parses the command's options (with `--config-file` and `--version`, which every command has), runs
it, and turns every fault into one line on stderr and an exit status, the same for every command:

- 0: done;
- 1: a fault of the kit's inputs or outputs (`KitError`, or an OSError or ValueError raised for an input; a
  fault of the `--config-file`, too, `core/config_files.py`): `ruqtopics COMMAND: error: ...`, no traceback;
- 2: a usage error, raised as SystemExit(2) as argparse raises its own: argparse's (with the usage), or an
  option value refused after parsing (`InvalidParameterError`, one line);
- 130: stopped by Ctrl-C (or SIGTERM where the command turns it into one): one line.

Each command module imports only what parsing needs at its top; torch, transformers' models and datasets are
imported inside `run`, so that `--help` and a refused option answer fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from ruqtopics_kit.core.config_files import add_config_file_option, parse_with_config_file
from ruqtopics_kit.core.errors import InvalidParameterError, KitError
from ruqtopics_kit.core.processes import skip_exit_collection
from ruqtopics_kit.core.provenance import KIT_NAME
from ruqtopics_kit.core.secrets import MasksSecrets, masked_text

STOPPED = "stopped; nothing half-written was kept"
FAULTS = (KitError, OSError, ValueError)  # the kit raises OSError and ValueError with a message for the user


def kit_version() -> str:
    """The installed distribution's version (its metadata, written from pyproject.toml)."""
    try:
        return version(KIT_NAME)
    except PackageNotFoundError:  # a checkout that was never installed
        return "unknown (not installed)"


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For a command whose parser builds its options itself (train: HfArgumentParser over its dataclasses)."""


class HelpWithDescription(argparse.Action):
    """-h/--help with a description computed when asked for (a docstring of a module that is slow to import)."""

    def __init__(self, option_strings, dest, *, describe: Callable[[], str], **kwargs):
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0,
                         help="show this help message and exit")
        self.describe = describe

    def __call__(self, parser, namespace, values, option_string=None):
        parser.description = self.describe()
        parser.print_help()
        parser.exit()


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line for `ruqtopics --help`
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int | None]
    description: str | Callable[[], str] | None = None  # --help's text (default: the summary)
    make_parser: Callable[..., argparse.ArgumentParser] = MasksSecrets
    stopped: str = STOPPED  # what Ctrl-C leaves behind
    passes_on: str | None = None  # the attribute that gets the arguments after `--` (the grid's train options)

    def parser(self, prog: str | None = None) -> argparse.ArgumentParser:
        described = callable(self.description)  # a module's docstring: imported only for --help
        parser = self.make_parser(prog=prog or f"ruqtopics {self.name}", allow_abbrev=False, add_help=not described,
                                  description=None if described else self.description or
                                  f"{self.summary[0].upper()}{self.summary[1:]}.",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if described:
            parser.add_argument("-h", "--help", action=HelpWithDescription, describe=self.description)
        self.add_arguments(parser)
        add_config_file_option(parser)
        parser.add_argument("--version", action="version", version=f"%(prog)s {kit_version()}")
        return parser

    def __call__(self, argv: list[str], prog: str | None = None) -> int:
        """Parse `argv` and run: the exit status (argparse's usage errors exit with 2 as argparse does)."""
        skip_exit_collection()
        parser = self.parser(prog)
        argv, passed_on = list(argv), []
        if self.passes_on and "--" in argv:
            argv, passed_on = argv[:argv.index("--")], argv[argv.index("--") + 1:]
        args = parse_with_config_file(parser, argv)
        if self.passes_on:
            setattr(args, self.passes_on, passed_on)
        try:
            return self.run(args) or 0
        except InvalidParameterError as error:  # one line, no usage: argparse's status
            parser.exit(2, f"{parser.prog}: error: {error}\n")
        except FAULTS as error:
            print(f"{parser.prog}: error: {masked_text(str(error))}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"{parser.prog}: {self.stopped}", file=sys.stderr)
            return 130
