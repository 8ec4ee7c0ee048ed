"""`python -m analysis ...` in a checkout: the same as `ruqtopics analysis ...`; `python -m analysis distances ...`
is `ruqtopics distances ...` (recomputes the cached distances), as it was before the commands were unified."""
import sys

from ruqtopics_kit.cli import main


def command_line(argv: list[str]) -> list[str]:
    """The `ruqtopics` command line that `python -m analysis ARGV` stands for."""
    return ["distances", *argv[1:]] if argv[:1] == ["distances"] else ["analysis", *argv]


if __name__ == "__main__":
    sys.exit(main(command_line(sys.argv[1:])))
