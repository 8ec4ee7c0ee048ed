"""The tiny backbone is a deterministic function of the texts and the seed (the release is reproducible)."""

import hashlib
import subprocess
import sys

from conftest import ROOT

BUILD = ("import sys; sys.path.insert(0, 'tests'); from conftest import sample_texts; "
         "from ruqtopics_kit.modeling.tiny_backbone import build_tiny_backbone; "
         "build_tiny_backbone(sample_texts(), sys.argv[1], vocab_size=3000)")


def digests(folder):
    return {p.name: hashlib.blake2b(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_two_builds_in_two_processes_are_identical(tmp_path):
    # tokenizers' WordPieceTrainer gave another vocabulary in every process (hash-map order): build in two
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", BUILD, str(tmp_path / name)], cwd=ROOT, check=True)
    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert {"model.safetensors", "tokenizer.json", "config.json"} <= set(first)
    assert first == second


def test_sample_words_are_whole_tokens_and_others_are_spelled(tiny_backbone):
    import json

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_backbone)
    question = json.loads((ROOT / "data" / "sample" / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    tokens = tokenizer.tokenize(question["question"])
    assert tokens and not [token for token in tokens if token.startswith("##") or token == "[UNK]"]
    assert tokenizer.tokenize("Ккк")[0] == "К" and tokenizer.tokenize("Zz") == ["[UNK]"]
