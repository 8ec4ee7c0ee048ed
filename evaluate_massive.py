"""Per-locale evaluation of a RuQTopics classifier on MASSIVE; everything lives in `ruqtopics_kit/massive/`
(the command line in `evaluate.py`).

    python evaluate_massive.py --model PATH_OR_ID --massive PATH_OR_ID --output-dir DIR [options]
"""

import sys

from ruqtopics_kit.massive.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
