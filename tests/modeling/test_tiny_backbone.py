"""The tiny backbone is a deterministic function of the texts and the seed (the release is reproducible)."""

import hashlib
import os
import subprocess
import sys

import sample_backbone  # the tiny_backbone fixture's build, also a script
from checkout import ROOT


def digests(folder):
    return {p.name: hashlib.blake2b(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_build_in_another_process_is_identical(tiny_backbone, tmp_path):
    """tokenizers' WordPieceTrainer gave another vocabulary in every process (hash-map order): the session's
    backbone, built in this process, against one built in a fresh process with another string-hash seed."""
    other_seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    subprocess.run([sys.executable, sample_backbone.__file__, str(tmp_path / "bert")], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONHASHSEED": other_seed})
    here, there = digests(tiny_backbone), digests(tmp_path / "bert")
    assert {"model.safetensors", "tokenizer.json", "config.json"} <= set(here)
    assert here == there


def test_sample_words_are_whole_tokens_and_others_are_spelled(tiny_backbone):
    import json

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_backbone)
    question = json.loads((ROOT / "data" / "sample" / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    tokens = tokenizer.tokenize(question["question"])
    assert tokens and not [token for token in tokens if token.startswith("##") or token == "[UNK]"]
    assert tokenizer.tokenize("Ккк")[0] == "К" and tokenizer.tokenize("Zz") == ["[UNK]"]


def test_its_files_follow_the_umask(tiny_backbone):
    """The safetensors writer leaves 0600 weights; the backbone's files get the modes a plain write would give."""
    umask = os.umask(0o022)
    os.umask(umask)
    for path in [tiny_backbone, *tiny_backbone.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o777 if path.is_dir() else 0o666) & ~umask, path
