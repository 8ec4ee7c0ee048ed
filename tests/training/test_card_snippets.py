"""The usage code of every kind of model card runs, and returns what its comment says (a list of scores, or for one
question-answer pair a single dict; a multi-label card's topics above the threshold)."""

import re

import pytest
from test_model_card import trained
from train_helpers import run_train, train_argv

from ruqtopics_kit.training.card import build_model_card

pytestmark = pytest.mark.slow  # trains a model to run the snippets on


@pytest.fixture(scope="module")
def model_folder(tiny_backbone, exported_sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("snippets") / "model"
    assert run_train(train_argv(tiny_backbone, exported_sample, folder)) == 0
    return folder


def usage_code(card_text: str, model_folder) -> list[str]:
    code = card_text.split("## Usage", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    code = re.sub(r'model="[^"]+"', f'model="{model_folder}"', code)  # the card's repo id or local folder name
    return code.strip().splitlines()


@pytest.mark.parametrize("options, returns", [
    ((), list), (("--text-mode", "answer"), list), (("--text-mode", "question_answer"), dict),
    (("--dataset-config-name", "multi_label", "--hub-model-id", "org/multi"), list)],
    ids=["question", "answer", "question_answer", "multi_label"])
def test_the_usage_code_runs_and_returns_what_its_comment_says(options, returns, model_folder):
    multi_label = "multi_label" in options
    text = str(build_model_card(trained(*options, threshold=0.01 if multi_label else None,
                                        test={"micro_f1": 0.6} if multi_label else None)))
    *setup, last = usage_code(text, model_folder)
    namespace = {}
    exec("\n".join(setup), namespace)  # noqa: S102 - the card's own code, on the model trained here
    if multi_label:
        exec(last, namespace)  # noqa: S102
        result = namespace["topics"]
        assert all(isinstance(topic, str) for topic in result) and result
    else:
        expression, comment = last.split("  # ", 1)
        result = eval(expression, namespace)  # noqa: S307
        assert comment.endswith("{'label': ..., 'score': ...}" if returns is dict else "[{'label': ..., 'score': ...}]")
    assert isinstance(result, returns), (last, result)
