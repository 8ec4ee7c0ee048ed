"""What a command's parser offers, through argparse's public API only (its lists of actions are private): the
options its --help lists, read from the text, and whether it takes an option string at all, hidden ones included."""

import argparse
import re

ENTRY = re.compile(r"^  (-\S.*?)(?: {2,}(\S.*))?$")  # an option's entry: its invocations, then its help if it fits


def help_entries(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Each option string that --help lists (hidden ones are not) -> whether its entry has a help text (on the same
    line, or on the indented line after it)."""
    lines = parser.format_help().splitlines()
    entries = {}
    for line, following in zip(lines, [*lines[1:], ""]):
        if match := ENTRY.match(line):
            described = bool(match[2]) or (following.startswith("   ") and bool(following.strip()))
            entries.update(dict.fromkeys(re.findall(r"(?:^|, )(-[\w-]+)", match[1]), described))
    return entries


def takes(parser: argparse.ArgumentParser, flag: str) -> bool:
    """Whether `parser` has the option `flag`, shown or hidden: argparse refuses to add an option string that is
    taken (`conflict_handler="error"`), tried on a child parser (`parents`)."""
    try:
        argparse.ArgumentParser(parents=[parser], add_help=False).add_argument(flag)
    except argparse.ArgumentError:
        return True
    return False
