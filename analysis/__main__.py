"""`python -m analysis ...` in a checkout: the same as `ruqtopics analysis ...` (`ruqtopics distances` recomputes
the cached distances)."""
import sys

from ruqtopics_kit.cli import main

if __name__ == "__main__":
    sys.exit(main(["analysis", *sys.argv[1:]]))
