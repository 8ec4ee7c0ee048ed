"""`python -m analysis ...` in a checkout: the same as `ruqtopics analysis ...` (`ruqtopics_kit.analysis`)."""

import sys

from ruqtopics_kit.analysis.command import main

if __name__ == "__main__":
    sys.exit(main())
