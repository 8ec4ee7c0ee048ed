"""`python evaluate_massive.py ...` in a checkout: the same as `ruqtopics evaluate-massive ...`."""
import sys

from ruqtopics_kit.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate-massive", *sys.argv[1:]]))
