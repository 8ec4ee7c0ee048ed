"""The options a command's --help lists, read from the text (argparse's lists of actions are private); whether a
parser takes an option string at all, hidden ones included, is `ruqtopics_kit.core.config_files.takes_option`."""

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

