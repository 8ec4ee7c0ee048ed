"""The Hub token is never shown: not in a command line the kit logs, not in an error message it prints.

argparse echoes what it refuses ("unrecognized arguments: --hub-tok hf_..."), so a mistyped option would print the
token it was given. A value is masked when it follows an option whose name holds "tok" (`--hub-token` in either
spelling, and its misspellings), as `--opt VALUE` or `--opt=VALUE`, and wherever it looks like a Hugging Face
access token (`hf_` and at least 30 letters and digits; real ones have 34).
"""

from __future__ import annotations

import argparse
import re

MASK = "***"
SECRET_OPTION = re.compile(r"--[\w-]*tok[\w-]*", re.IGNORECASE)
SECRET_OPTION_VALUE = re.compile(rf"({SECRET_OPTION.pattern})(=|\s+)(?!-)[^\s'\"]+", re.IGNORECASE)  # not a quote
TOKEN_LIKE = re.compile(r"\bhf_[A-Za-z0-9]{30,}")


def masked_words(words: list[str] | tuple[str, ...]) -> list[str]:
    """A command's words with its secrets masked (the value of a token option, anything that looks like a token)."""
    shown, value_next = [], False
    for word in words:
        option, equals, _ = word.partition("=")
        if value_next:
            word = MASK
        elif SECRET_OPTION.fullmatch(option):
            word = f"{option}={MASK}" if equals else word
        value_next = not equals and SECRET_OPTION.fullmatch(word) is not None
        shown.append(TOKEN_LIKE.sub(MASK, word))
    return shown


def masked_text(text: str) -> str:
    """A message with its secrets masked: what follows a token option, and anything that looks like a token."""
    return TOKEN_LIKE.sub(MASK, SECRET_OPTION_VALUE.sub(rf"\1\2{MASK}", text))


class MasksSecrets(argparse.ArgumentParser):
    """A parser whose messages (its usage errors, which quote the command line) never show a secret. Mixed in
    before another parser class (transformers' HfArgumentParser) it masks that one's messages as well."""

    def exit(self, status: int = 0, message: str | None = None):
        super().exit(status, message and masked_text(message))
