"""`ruqtopics COMMAND ...` (or `python -m ruqtopics_kit COMMAND ...`): every command of the kit, from one table.

`registry.COMMANDS` lists the commands (`command.Command`: name, summary, add_arguments, run); `options` declares
the options several commands share, one spelling per concept; `Command.__call__` is the one wrapper that parses,
runs and turns every fault into one line and an exit status (0, 1 fault, 2 usage, 130 stopped). The checkout's
scripts (`ruqtopics.py`, `train.py`, `evaluate_massive.py`, `python -m analysis`) call `main` too.
"""

from __future__ import annotations

import sys

from ruqtopics_kit.cli.command import kit_version
from ruqtopics_kit.cli.registry import COMMANDS, command_named
from ruqtopics_kit.core.secrets import masked_text

__all__ = ["COMMANDS", "main", "usage"]


def usage(prog: str = "ruqtopics") -> str:
    width = max(len(command.name) for command in COMMANDS)
    lines = [f"usage: {prog} COMMAND [options]   ({prog} COMMAND --help for a command's options)", "",
             "commands:"]
    lines += [f"  {command.name:{width}s}  {command.summary}" for command in COMMANDS]
    lines += ["", "options:", "  -h, --help  show this message and exit", "  --version   show the kit's version"]
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "ruqtopics") -> int:
    """Run `argv`'s command; with no command, the usage on stderr and exit status 2."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(usage(prog))
        return 0
    if argv[:1] == ["--version"]:
        print(f"{prog} {kit_version()}")
        return 0
    if not argv:
        print(f"{usage(prog)}\n\n{prog}: error: a command is required", file=sys.stderr)
        return 2
    command = command_named(argv[0])
    if command is None:
        print(f"{usage(prog)}\n\n{prog}: error: unknown command {masked_text(repr(argv[0]))}", file=sys.stderr)
        return 2
    return command(argv[1:], prog=f"{prog} {command.name}")
