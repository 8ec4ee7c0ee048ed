"""Text modes: what the classifier reads, and how question_answer truncates (the answer, never the question)."""

import pytest
from transformers import AutoTokenizer

from ruqtopics_kit.dataset.text_modes import DEFAULT_MAX_LENGTH, TEXT_MODES, check_text_mode, encode

QUESTION = "Какой фильм посмотреть вечером?"
LONG_ANSWER = " ".join(["Посмотрите новый сериал, отзывы хорошие."] * 40)


@pytest.fixture(scope="module")
def tokenizer(tiny_backbone):
    return AutoTokenizer.from_pretrained(tiny_backbone)


def decoded_segments(tokenizer, encoded: dict, row: int) -> tuple[list[int], list[int]]:
    """Token ids of segment A and segment B (special tokens included) of one encoded row."""
    pairs = list(zip(encoded["input_ids"][row], encoded["token_type_ids"][row], strict=True))
    return [i for i, t in pairs if t == 0], [i for i, t in pairs if t == 1]


def test_every_mode_has_a_default_max_length():
    assert set(DEFAULT_MAX_LENGTH) == set(TEXT_MODES)
    with pytest.raises(ValueError, match="The 'text_mode' parameter must be one of 'question', 'answer', "
                                         "'question_answer'. Got 'both' instead."):
        check_text_mode("both")


def test_question_and_answer_modes_read_one_field(tokenizer):
    question = encode(tokenizer, [QUESTION], [LONG_ANSWER], "question", 32)
    answer = encode(tokenizer, [QUESTION], [LONG_ANSWER], "answer", 32)
    assert question["input_ids"] == tokenizer([QUESTION], truncation=True, max_length=32)["input_ids"]
    assert len(answer["input_ids"][0]) == 32  # the long answer is cut at max_length
    assert answer["input_ids"][0][:5] == tokenizer(LONG_ANSWER)["input_ids"][:5]


def test_question_answer_truncates_the_answer_and_keeps_the_whole_question(tokenizer):
    encoded = encode(tokenizer, [QUESTION, "Где купить билет?"], [LONG_ANSWER, "На вокзале."], "question_answer", 40)
    question_ids = tokenizer(QUESTION)["input_ids"]  # [CLS] question [SEP]
    first, second = decoded_segments(tokenizer, encoded, 0)
    assert first == question_ids and len(encoded["input_ids"][0]) == 40
    assert second[-1] == tokenizer.sep_token_id and len(second) == 40 - len(question_ids)
    short_first, short_second = decoded_segments(tokenizer, encoded, 1)  # short pairs are not padded or cut
    assert tokenizer.decode(short_second, skip_special_tokens=True) == "На вокзале."


def test_a_question_longer_than_max_length_is_truncated_and_read_alone(tokenizer):
    long_question = " ".join(["Почему"] * 60) + "?"
    short_question = "Где билет?"
    encoded = encode(tokenizer, [long_question, short_question], [LONG_ANSWER, LONG_ANSWER], "question_answer", 16)
    assert encoded["input_ids"][0] == tokenizer(long_question, truncation=True, max_length=16)["input_ids"]
    assert set(encoded["token_type_ids"][0]) == {0}  # no answer segment
    first, second = decoded_segments(tokenizer, encoded, 1)  # the other row of the batch is still a pair
    assert first == tokenizer(short_question)["input_ids"] and len(encoded["input_ids"][1]) == 16


def test_a_question_that_fills_the_budget_exactly_leaves_no_room_for_the_answer(tokenizer):
    question_length = len(tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    exact = question_length + tokenizer.num_special_tokens_to_add(pair=True)  # [CLS] q [SEP] [SEP]: 0 answer tokens
    encoded = encode(tokenizer, [QUESTION], [LONG_ANSWER], "question_answer", exact)
    assert encoded["input_ids"][0] == tokenizer(QUESTION)["input_ids"]
    one_more = encode(tokenizer, [QUESTION], [LONG_ANSWER], "question_answer", exact + 1)
    assert len(decoded_segments(tokenizer, one_more, 0)[1]) == 2  # one answer token and its [SEP]
