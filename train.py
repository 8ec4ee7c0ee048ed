"""Fine-tune a backbone on RuQTopics: `python train.py --help`, or `accelerate launch train.py ...`.

The output folder becomes a Hub model repository. Everything lives in `ruqtopics_kit/training/`.
"""

import sys

from ruqtopics_kit.training import main

if __name__ == "__main__":
    sys.exit(main())
