"""Padding one length-sorted batch of MASSIVE-like token ids: the kit's numpy fill against `tokenizer.pad`.

    python benchmarks/bench_padding.py

evaluate_massive.py pads each batch itself (`ruqtopics_kit.massive.inference.padded`) instead of calling
`tokenizer.pad` (what `DataCollatorWithPadding` calls, as training does); this measures why. Utterance lengths are
lognormal around 9 tokens, as in MASSIVE; each side is timed over 50 batches, best of 5 interleaved rounds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from transformers import BertTokenizerFast, DataCollatorWithPadding

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ruqtopics_kit.massive.inference import padded  # noqa: E402


def main() -> None:
    vocab = Path(tempfile.mkdtemp()) / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(100)]))
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    collator = DataCollatorWithPadding(tokenizer)
    rng = np.random.default_rng(0)
    for batch in (64, 256):
        lengths = np.clip(rng.lognormal(2.2, 0.4, batch), 3, 60).astype(int)
        sequences = sorted(([int(t) for t in rng.integers(5, 100, size=n)] for n in lengths), key=len, reverse=True)
        sides = {"numpy fill (the kit)": lambda: padded(sequences, tokenizer.pad_token_id),
                 "tokenizer.pad": lambda: tokenizer.pad({"input_ids": sequences}, return_tensors="pt"),
                 "DataCollatorWithPadding": lambda: collator([{"input_ids": s} for s in sequences])}
        best: dict[str, float] = {}
        for _ in range(5):
            for name, pad in sides.items():
                started = time.perf_counter()
                for _ in range(50):
                    pad()
                best[name] = min(best.get(name, float("inf")), (time.perf_counter() - started) / 50 * 1e3)
        for name, ms in best.items():
            print(f"batch {batch}: {name}: {ms:.2f} ms per batch ({ms / best['numpy fill (the kit)']:.1f}x)")


if __name__ == "__main__":
    main()
