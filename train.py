"""`python train.py ...` or `accelerate launch train.py ...` in a checkout: the same as `ruqtopics train ...`."""
import sys

from ruqtopics_kit.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
