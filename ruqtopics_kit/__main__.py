"""`python -m ruqtopics_kit release ...`: the end-to-end release (see ruqtopics_kit/release.py)."""

import sys

COMMANDS = {"release": "ruqtopics_kit.release"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m ruqtopics_kit {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    from importlib import import_module

    return import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
