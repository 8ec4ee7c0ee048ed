"""Bad raw input to `ruqtopics export`: one case per class, each a non-zero exit with one line naming the file,
the line and the problem, the raw files unchanged and no output folder (issue 11, item 1)."""

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import ruqtopics

GOOD = {"train": [{"id": "1", "question": "Какую песню послушать?", "answer": "Любую.", "labels": ["музыка"]},
                  {"id": "2", "question": "Будет ли дождь?", "answer": "Да.", "labels": ["погода"]}],
        "validation": [{"id": "3", "question": "Что приготовить?", "answer": "Суп.",
                        "labels": ["еда, напитки и кулинария"]}],
        "test": [{"id": "4", "question": "Какой фильм?", "answer": "Новый.", "labels": ["кино"]}]}
TSV_NAMES = {"train": "train.csv", "validation": "val.csv", "test": "test.csv"}


def jsonl_folder(tmp_path: Path, **replaced: str) -> Path:
    """The canonical layout; `replaced` gives a split's file content verbatim."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for split, records in GOOD.items():
        text = replaced.get(split, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        (folder / f"{split}.jsonl").write_text(text, encoding="utf-8")
    return folder


def tsv_folder(tmp_path: Path, **replaced: str) -> Path:
    """DeepPavlov's layout (text, label_id); `replaced` gives a split's file content verbatim."""
    folder = tmp_path / "raw"
    folder.mkdir()
    label_ids = {"train": "0\n", "validation": "1\n", "test": "14\n"}
    for split, name in TSV_NAMES.items():
        default = f"text\tlabel_id\nВопрос {split}\t{label_ids[split]}"
        (folder / name).write_text(replaced.get(split, default), encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


CASES = {
    "tsv last line cut (label 48 -> 4)": (
        "tsv", {"train": "text\tlabel_id\nВопрос\t0\nКто написал «Войну и мир»?\t4"},
        r"train.csv, line 3: the file does not end with a newline, so its last line may be cut short"),
    "jsonl last line cut": (
        "jsonl", {"test": '{"id": "4", "question": "Какой фильм?", "answer": "", "labels": ["ки'},
        r"test.jsonl, line 1: line is truncated"),
    "0-byte test.jsonl": ("jsonl", {"test": ""}, r"test.jsonl: holds no records, so the 'test' split would be empty"),
    "header-only test.csv": ("tsv", {"test": "text\tlabel_id\n"},
                             r"test.csv: holds no records, so the 'test' split would be empty"),
    "blank lines only": ("jsonl", {"validation": "\n\n"}, r"validation.jsonl: holds no records"),
    "0-byte test.csv": ("tsv", {"test": ""}, r"test.csv, line 1: empty file: expected a header line"),
    "same id twice": (
        "jsonl", {"test": '{"id": "1", "question": "Другой вопрос", "answer": "", "labels": ["кино"]}\n'},
        r"test.jsonl, line 1: duplicate id '1', first seen at train.jsonl:1"),
    "a key twice in one object": (
        "jsonl", {"test": '{"id": "4", "question": "Какой фильм?", "labels": ["кино"], "labels": ["музыка"]}\n'},
        r"test.jsonl, line 1: duplicate key 'labels' in one object"),
    "a column twice in the header": ("tsv", {"test": "text\tlabel_id\tlabel_id\nВопрос\t1\t2\n"},
                                     r"test.csv, line 1: header names column\(s\) 'label_id' more than once"),
    "integer id (not coerced)": (
        "jsonl", {"test": '{"id": 4, "question": "Какой фильм?", "answer": "", "labels": ["кино"]}\n'},
        r"test.jsonl, line 1: bad id: expected a non-empty string, got 4"),
    "answer of the wrong type": (
        "jsonl", {"test": '{"id": "4", "question": "Какой фильм?", "answer": 7, "labels": ["кино"]}\n'},
        r"test.jsonl, line 1: bad answer: record '4' has a int, expected a string"),
    "lone surrogate": (
        "jsonl", {"test": '{"id": "4", "question": "Какой фильм?\\ud800", "answer": "", "labels": ["кино"]}\n'},
        r"test.jsonl, line 1: unencodable text: record '4': field 'question' holds a lone surrogate '\\ud800'"),
    "label_id '²' (isdigit, not int)": ("tsv", {"test": "text\tlabel_id\nВопрос\t²\n"},
                                        r"test.csv, line 2: label_id must be integers \(digits 0-9\)"),
    "empty label cell": ("tsv", {"test": "text\tlabel_id\nВопрос\t4;\n"},
                         r"test.csv, line 2: label_id must be integers"),
    "stray quote that pandas would drop": (
        "tsv", {"test": 'text\tlabel_id\n"Война и мир" — кто автор?\t8\n'},
        r"test.csv, line 2: a field starts with a quote but is not quoted as pandas writes TSV"),
    "quoted text that needs no quoting": (
        "tsv", {"test": 'text\tlabel_id\n"Война и мир"\t8\n'},
        r"test.csv, line 2: a field starts with a quote but is not quoted as pandas writes TSV"),
}


@pytest.mark.parametrize("layout, replaced, message", CASES.values(), ids=CASES)
def test_bad_raw_input_is_a_named_error(tmp_path, capsys, layout, replaced, message):
    folder = (tsv_folder if layout == "tsv" else jsonl_folder)(tmp_path, **replaced)
    before = snapshot(folder)
    code = ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("ruqtopics export: error:")]
    assert len(error_lines) == 1 and "Traceback" not in err, err
    assert re.search(message, error_lines[0]), error_lines[0]
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # no output, no staging folder


def test_skip_counts_bad_records_but_an_emptied_split_is_an_error(tmp_path, capsys):
    bad = '{"id": "9", "question": "Вопрос\\udc00", "answer": "", "labels": ["кино"]}\n'
    folder = jsonl_folder(tmp_path, test=bad + '{"id": "4", "question": "Какой фильм?", "labels": ["кино"]}\n')
    args = ["export", "--data-dir", str(folder), "--on-bad-record", "skip"]
    assert ruqtopics.main(args + ["--output-dir", str(tmp_path / "out")]) == 0
    assert "skipped (unencodable text): 1" in capsys.readouterr().out
    (folder / "test.jsonl").write_text(bad, encoding="utf-8")
    assert ruqtopics.main(args + ["--output-dir", str(tmp_path / "out2")]) == 1
    assert "test.jsonl: none of its 1 records is left after skipping bad ones" in capsys.readouterr().err


def test_tsv_is_read_as_deeppavlov_reads_it(tmp_path):
    """What pandas writes comes back exactly (quotes, tabs and newlines inside texts); texts with quotes that
    need no quoting are taken verbatim, as pandas.read_csv (DeepPavlov's reader) takes them."""
    from ruqtopics_kit.dataset.raw import ReadReport, read_batches

    texts = ['"Война и мир" — кто автор?', 'Книга "Дюна"', "два\tполя", "строка\nещё одна", "Простой вопрос"]
    path = tmp_path / "train.csv"
    pd.DataFrame({"text": texts, "label_id": [8, 8, 9, 9, "48;8"]}).to_csv(path, sep="\t", index=False)
    rows = [row for batch in read_batches(path, "train", ReadReport()) for row in batch.to_pylist()]
    assert [row["question"] for row in rows] == texts
    assert rows[-1]["labels"] == [48, 8]
    verbatim = tmp_path / "verbatim.csv"
    verbatim.write_text('text\tlabel_id\nКнига "Дюна" и "Солярис"\t8\n', encoding="utf-8")
    read = [row for batch in read_batches(verbatim, "train", ReadReport()) for row in batch.to_pylist()]
    assert read[0]["question"] == pd.read_csv(verbatim, sep="\t")["text"][0] == 'Книга "Дюна" и "Солярис"'
