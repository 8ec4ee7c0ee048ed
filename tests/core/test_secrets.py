"""The Hub token is masked in command lines and messages, in every spelling of its option and its misspellings."""

import pytest

from ruqtopics_kit.core.secrets import MASK, masked_text, masked_words

TOKEN = "hf_" + "aB3" * 11 + "c"  # the shape of a Hugging Face access token: hf_ and 34 letters and digits


@pytest.mark.parametrize("words, shown", [
    (["--hub-token", "s3cret", "--x"], ["--hub-token", MASK, "--x"]),
    (["--hub_token=s3cret", "--x", "1"], [f"--hub_token={MASK}", "--x", "1"]),
    (["--hub-tok", "s3cret"], ["--hub-tok", MASK]),  # a misspelling argparse refuses, and echoes
    (["--HUB-TOKN=s3cret"], [f"--HUB-TOKN={MASK}"]),
    (["--data", TOKEN, f"--out={TOKEN}/x"], ["--data", MASK, f"--out={MASK}/x"]),  # anywhere, by its shape
    (["--output-dir", "hf_cache", "--seed", "42"], ["--output-dir", "hf_cache", "--seed", "42"]),
])
def test_masked_words(words, shown):
    assert masked_words(words) == shown


@pytest.mark.parametrize("text, shown", [
    ("unrecognized arguments: --hub-tok s3cret --x", f"unrecognized arguments: --hub-tok {MASK} --x"),
    ("unrecognized arguments: --hub_tokn=s3cret", f"unrecognized arguments: --hub_tokn={MASK}"),
    ("unrecognized arguments: --hub-tok --push-to-hub", "unrecognized arguments: --hub-tok --push-to-hub"),
    (f"401 for {TOKEN}.", f"401 for {MASK}."),
    ("--output-dir hf_cache exists", "--output-dir hf_cache exists"),
])
def test_masked_text(text, shown):
    assert masked_text(text) == shown
