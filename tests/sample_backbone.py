"""The tests' tiny backbone, built from the sample's texts: the `tiny_backbone` fixture (tests/conftest.py) builds it
in pytest's process, and `python tests/sample_backbone.py FOLDER` builds the same one in a fresh process
(tests/modeling/test_tiny_backbone.py)."""

import json
import sys
from pathlib import Path

from checkout import SAMPLE_DIR


def sample_texts() -> list[str]:
    texts = []
    for name in ("train.jsonl", "validation.jsonl"):
        for line in (SAMPLE_DIR / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts += [record["question"], record["answer"]]
    return texts


def build_sample_backbone(folder: Path) -> Path:
    """A 2-layer BERT with random weights and a WordPiece tokenizer trained on the sample text, in `folder`."""
    from ruqtopics_kit.modeling.tiny_backbone import build_tiny_backbone

    return build_tiny_backbone(sample_texts(), folder, vocab_size=3000)


if __name__ == "__main__":
    build_sample_backbone(Path(sys.argv[1]))
