"""Bad input to `evaluate_massive.py`, MASSIVE copies and models alike: one case per class, each a non-zero exit
with one line naming the file (and line or row) and the problem, every input unchanged and no output folder
(issue 11, items 1, 2 and 5)."""

import hashlib
import json
import re
import shutil
from pathlib import Path

import datasets
import pytest
from fixtures.massive.builders import archive_with, classifier, line

from ruqtopics_kit.cli import main as cli_main
from ruqtopics_kit.facts.labels import massive_aligned

SIX = list(massive_aligned().names)
GOOD_LINES = line(id="1") + line(id="2", utt="поставь музыку") + line(id="3", scenario="weather",
                                                                     intent="weather_query", utt="будет дождь")


@pytest.fixture(scope="module")
def six(tiny_backbone, tmp_path_factory) -> Path:
    return classifier(tiny_backbone, tmp_path_factory.mktemp("bad_input_models") / "six", SIX)


def snapshot(*paths: Path) -> dict[str, str]:
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def run_cli(capsys, model: Path | str, massive: Path, output: Path) -> tuple[int, list[str]]:
    code = cli_main(["evaluate-massive", "--model", str(model), "--massive", str(massive), "--output-dir", str(output),
                     "--n-resamples", "10", "--no-progress"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [text for text in err.splitlines() if text.startswith("ruqtopics evaluate-massive: error:")]


# ---- MASSIVE copies ------------------------------------------------------------------------------------------

def official_archive(tmp_path: Path, text: str) -> Path:
    return archive_with(tmp_path / "massive.tar.gz", {"1.1/data/ru-RU.jsonl": text})


def mteb_parquet(tmp_path: Path, ids: list) -> Path:
    path = tmp_path / "mteb" / "ru" / "test" / "0000.parquet"
    path.parent.mkdir(parents=True)
    datasets.Dataset.from_dict({"id": ids, "label": ["music"] * len(ids), "text": ["включи песню"] * len(ids)}
                               ).to_parquet(path)
    return tmp_path / "mteb"


MASSIVE_CASES = {
    "same id twice in a locale": (lambda tmp: official_archive(tmp, GOOD_LINES + line(id="2")),
                                  r"ru-RU.jsonl, line 4: duplicate id '2', first seen on line 2"),
    "same id twice in a Hub copy": (lambda tmp: mteb_parquet(tmp, ["1", "2", "1"]),
                                    r"0000.parquet, row 3: duplicate id '1' in locale ru-RU, first seen at "
                                    r"0000.parquet row 1"),
    "empty locale file": (lambda tmp: official_archive(tmp, ""), r"ru-RU.jsonl: holds no records"),
    "no record of the split": (lambda tmp: official_archive(tmp, line(partition="train")),
                               r"ru-RU.jsonl: holds no 'test' records"),
    "a key twice in one object": (lambda tmp: official_archive(tmp, GOOD_LINES + line(id="4")[:-2] + ', "utt": "x"}\n'),
                                  r"ru-RU.jsonl, line 4: duplicate key 'utt' in one object"),
    "lone surrogate": (lambda tmp: official_archive(tmp, GOOD_LINES + line(id="4").replace("песню", "\\udfff")),
                       r"ru-RU.jsonl, line 4: field 'utt' holds a lone surrogate '\\udfff'"),
    "integer id (not coerced)": (lambda tmp: mteb_parquet(tmp, [1, 2]),
                                 r"0000.parquet, row 1: id is int, not a string"),
    "last line cut": (lambda tmp: official_archive(tmp, GOOD_LINES + line(id="4")[:40]),
                      r"ru-RU.jsonl, line 4: not valid JSON"),
}


@pytest.mark.parametrize("make, message", MASSIVE_CASES.values(), ids=MASSIVE_CASES)
def test_bad_massive_copy_is_a_named_error(six, tmp_path, capsys, make, message):
    massive = make(tmp_path)
    before = snapshot(massive, six)
    code, errors = run_cli(capsys, six, massive, tmp_path / "out")
    assert code == 1 and len(errors) == 1 and re.search(message, errors[0]), errors
    assert snapshot(massive, six) == before and not (tmp_path / "out").exists()


# ---- models --------------------------------------------------------------------------------------------------

def without_tokenizer(model: Path, tmp: Path) -> Path:
    copy = shutil.copytree(model, tmp / "model")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (copy / name).unlink(missing_ok=True)
    return copy


def with_config(model: Path, tmp: Path, **changes) -> Path:
    copy = shutil.copytree(model, tmp / "model")
    config = json.loads((copy / "config.json").read_text(encoding="utf-8")) | changes
    (copy / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return copy


def truncated_weights(model: Path, tmp: Path) -> Path:
    copy = shutil.copytree(model, tmp / "model")
    weights = (copy / "model.safetensors").read_bytes()
    (copy / "model.safetensors").write_bytes(weights[: len(weights) - 1000])
    return copy


MODEL_CASES = {
    "no tokenizer files": (without_tokenizer, r"model has no tokenizer files \(missing tokenizer.json or vocab.txt\)"
                                              r"; transformers would build a tokenizer of special tokens only"),
    "7 class names on a 6-logit head": (
        lambda model, tmp: with_config(model, tmp, id2label={str(i): n for i, n in enumerate(SIX + ["кино"])},
                                       label2id={n: i for i, n in enumerate(SIX + ["кино"])}),
        r"the weights of .*model do not fit its config.json \(classifier.bias is \[6\] in the weights but \[7\] "),
    "weights cut short": (truncated_weights, r"model/model.safetensors cannot be read: cut short or corrupt"),
    "multi-label model": (lambda model, tmp: with_config(model, tmp, problem_type="multi_label_classification"),
                          r"is a multi-label classifier \(problem_type multi_label_classification\); MASSIVE scoring "
                          r"takes one class per utterance by argmax"),
    "local path that does not exist": (lambda model, tmp: tmp / "no-such-model",
                                       r"--model '.*no-such-model': .* does not exist"),
    "Hub id not in the cache, offline": (lambda model, tmp: "someone/not-cached",
                                         r"--model 'someone/not-cached': 'someone/not-cached' is not in the local "
                                         r"Hugging Face cache and HF_HUB_OFFLINE is set"),
}


@pytest.mark.parametrize("make, message", MODEL_CASES.values(), ids=MODEL_CASES)
def test_bad_model_is_a_named_error(six, tmp_path, capsys, make, message):
    massive = official_archive(tmp_path, GOOD_LINES)
    model = make(six, tmp_path)
    before = snapshot(massive, *([model] if Path(model).exists() else []))
    code, errors = run_cli(capsys, model, massive, tmp_path / "out")
    assert code == 1 and len(errors) == 1 and re.search(message, errors[0]), errors
    assert snapshot(massive, *([model] if Path(model).exists() else [])) == before
    assert not (tmp_path / "out").exists()


def test_results_json_records_the_problem_type_and_the_scoring_rule(six, tmp_path, capsys):
    code, _ = run_cli(capsys, six, official_archive(tmp_path, GOOD_LINES), tmp_path / "out")
    model = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["model"]
    assert code == 0
    assert model["problem_type"] == "single_label_classification" and model["scoring_rule"].startswith("argmax")
