"""`python -m ruqtopics_kit COMMAND ...`: the same as the `ruqtopics` console command."""

import sys

from ruqtopics_kit.cli import main

if __name__ == "__main__":
    sys.exit(main())
