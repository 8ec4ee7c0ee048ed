"""What the classifier reads: the question, the answer, or both as a sentence pair (the paper's three modes).

`question_answer` encodes `[CLS] question [SEP] answer [SEP]` and truncates only the answer: questions are
short and carry most of the topic signal (the paper's best mode is question-only), answers are long. A
question too long to leave room for even one answer token is the one case where the question itself is
truncated; that example is then encoded as the (truncated) question alone, without its answer.
"""

from __future__ import annotations

from ruqtopics_kit.core.errors import check_choice

TEXT_MODES = ("question", "answer", "question_answer")
# The config.json key in which train.py records a model's text mode (from_pretrained and the Hub keep it), so that
# evaluate_massive.py encodes utterances the way the model read its training texts.
TEXT_MODE_KEY = "ruqtopics_text_mode"

# Default --max-length per mode (facts.md section 4: 32 tokens for questions, up to 128 with answers).
DEFAULT_MAX_LENGTH = {"question": 32, "answer": 128, "question_answer": 128}


def check_text_mode(text_mode: str) -> str:
    return check_choice("text_mode", text_mode, TEXT_MODES)


def encode(tokenizer, questions: list[str], answers: list[str], text_mode: str, max_length: int) -> dict:
    """Token ids (and attention masks, token types) of a batch of records in `text_mode`, unpadded."""
    check_text_mode(text_mode)
    if text_mode == "question":
        return dict(tokenizer(questions, truncation=True, max_length=max_length))
    if text_mode == "answer":
        return dict(tokenizer(answers, truncation=True, max_length=max_length))
    return _encode_pairs(tokenizer, questions, answers, max_length)


def _encode_pairs(tokenizer, questions: list[str], answers: list[str], max_length: int) -> dict:
    """Sentence pairs truncated in the answer only; overlong questions alone (see the module docstring)."""
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=True)
    question_lengths = [len(ids) for ids in tokenizer(questions, add_special_tokens=False)["input_ids"]]
    pairs = [i for i, length in enumerate(question_lengths) if length < budget]
    alone = [i for i, length in enumerate(question_lengths) if length >= budget]
    encoded = [None] * len(questions)
    if pairs:
        _scatter(encoded, pairs, tokenizer([questions[i] for i in pairs], [answers[i] for i in pairs],
                                           truncation="only_second", max_length=max_length))
    if alone:
        _scatter(encoded, alone, tokenizer([questions[i] for i in alone], truncation=True, max_length=max_length))
    return {key: [row[key] for row in encoded] for key in encoded[0]}


def _scatter(encoded: list, positions: list[int], batch) -> None:
    """Put the rows of a tokenizer output back at their positions in the original batch."""
    for row, position in enumerate(positions):
        encoded[position] = {key: values[row] for key, values in batch.items()}
