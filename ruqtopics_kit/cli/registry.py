"""The table of the kit's commands, in the order `ruqtopics --help` lists them. A new command is a `Command` in
a module of this package (its options in `add_arguments`, its heavy imports inside `run`) and a line here."""

from __future__ import annotations

from ruqtopics_kit.cli.analysis import ANALYSIS, DISTANCES
from ruqtopics_kit.cli.command import Command
from ruqtopics_kit.cli.dataset import EXPORT, PREPARE
from ruqtopics_kit.cli.massive import EVALUATE_MASSIVE
from ruqtopics_kit.cli.release import CLAIMS, GRID, RELEASE
from ruqtopics_kit.cli.train import TRAIN

COMMANDS: tuple[Command, ...] = (PREPARE, EXPORT, TRAIN, EVALUATE_MASSIVE, ANALYSIS, DISTANCES, GRID, RELEASE, CLAIMS)


def command_named(name: str) -> Command | None:
    return next((command for command in COMMANDS if command.name == name), None)
