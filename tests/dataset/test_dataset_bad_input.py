"""Bad raw input to `ruqtopics export`: one case per class, each a non-zero exit with one line naming the file,
the line and the problem, the raw files unchanged and no output folder (issue 11, item 1)."""

import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from train_helpers import run_subprocess

import ruqtopics

# After record 4, the test records every config selects (the other splits have theirs).
MORE_TEST = [{"id": "7", "question": "Какие новости?", "answer": "", "labels": ["новости"]},
             {"id": "8", "question": "Фильм о музыке?", "answer": "", "labels": ["кино", "музыка"]}]
GOOD = {"train": [{"id": "1", "question": "Какую песню послушать?", "answer": "Любую.", "labels": ["музыка"]},
                  {"id": "2", "question": "Будет ли дождь?", "answer": "Да.", "labels": ["погода"]},
                  {"id": "5", "question": "Песня о погоде?", "answer": "", "labels": ["музыка", "погода"]}],
        "validation": [{"id": "3", "question": "Что приготовить?", "answer": "Суп.",
                        "labels": ["еда, напитки и кулинария"]},
                       {"id": "6", "question": "Суп в дорогу?", "answer": "", "labels": ["транспорт", "погода"]}],
        "test": [{"id": "4", "question": "Какой фильм?", "answer": "Новый.", "labels": ["кино"]},
                 *MORE_TEST]}
TSV_NAMES = {"train": "train.csv", "validation": "val.csv", "test": "test.csv"}


def jsonl_folder(tmp_path: Path, **replaced: str) -> Path:
    """The canonical layout; `replaced` gives a split's file content verbatim (a key with a dot: a file beside)."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for split, records in GOOD.items():
        text = replaced.get(split, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        (folder / f"{split}.jsonl").write_text(text, encoding="utf-8")
    return with_files_beside(folder, replaced)


def tsv_folder(tmp_path: Path, **replaced: str) -> Path:
    """DeepPavlov's layout (text, label_id); `replaced` gives a split's file content verbatim (a key with a dot:
    a file beside)."""
    folder = tmp_path / "raw"
    folder.mkdir()
    label_ids = {"train": 0, "validation": 1, "test": 2}
    for split, name in TSV_NAMES.items():  # a single- and a multi-label record, MASSIVE-aligned classes
        default = f"text\tlabel_id\nВопрос {split}\t{label_ids[split]}\nДва вопроса {split}\t0;4\n"
        (folder / name).write_text(replaced.get(split, default), encoding="utf-8")
    return with_files_beside(folder, replaced)


def with_files_beside(folder: Path, replaced: dict[str, str]) -> Path:
    for name, text in replaced.items():
        if "." in name:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def more_test() -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in MORE_TEST)


def record_line(**fields) -> str:
    """One test record with `fields` replaced, as a JSON line."""
    return json.dumps({"id": "4", "question": "Какой фильм?", "answer": "", "labels": ["кино"]} | fields,
                      ensure_ascii=False) + "\n"


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
                                        r"test.csv, line 2: bad label_id: record 'test-2' has '²'; label_id must be "
                                        r"integers \(digits 0-9\)"),
    "empty label cell": ("tsv", {"test": "text\tlabel_id\nВопрос\t4;\n"},
                         r"test.csv, line 2: bad label_id: record 'test-2' has '4;'"),
    "stray quote that pandas would drop": (
        "tsv", {"test": 'text\tlabel_id\n"Война и мир" — кто автор?\t8\n'},
        r"test.csv, line 2: a field starts with a quote but is not quoted as pandas writes TSV"),
    "a carriage return inside a TSV line": ("tsv", {"test": "text\tlabel_id\nКакой\rфильм?\t2\n"},
                                            r"test.csv, line 2: holds a carriage return \(\\r\) inside a line, where "
                                            r"pandas.read_csv \(DeepPavlov's reader\) would start a new record"),
    "quoted text that needs no quoting": (
        "tsv", {"test": 'text\tlabel_id\n"Война и мир"\t8\n'},
        r"test.csv, line 2: a field starts with a quote but is not quoted as pandas writes TSV"),
    # ---- strict about what the reader does not understand (issue 24, cause 7)
    "a typo'd field": (
        "jsonl", {"test": '{"id": "4", "question": "Какой фильм?", "answr": "Новый.", "labels": ["кино"]}\n'},
        r"test.jsonl, line 1: unknown field: record '4' has 'answr' \(did you mean 'answer'\?\); the fields are "),
    "a typo'd column": ("tsv", {"test": "text\tanswr\tlabel_id\nВопрос\tОтвет\t1\n"},
                        r"test.csv, line 1: unknown column 'answr' \(did you mean 'answer'\?\); the columns are "),
    "label_id and labels both": ("tsv", {"test": "text\tlabel_id\tlabels\nВопрос\t1\tкино\n"},
                                 r"test.csv, line 1: header has label columns 'label_id' and 'labels'; keep one"),
    "class ids mixed with names": (
        "jsonl", {"test": '{"id": "4", "question": "Какой фильм?", "answer": "", "labels": [8, "музыка"]}\n'},
        r"test.jsonl, line 1: mixed labels: record '4' mixes class ids and class names in \[8, 'музыка'\]"),
    "class ids after class names in one file": (
        "jsonl", {"train": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GOOD["train"][:1])
                  + '{"id": "2", "question": "Будет ли дождь?", "answer": "", "labels": [3]}\n'},
        r"train.jsonl, line 2: mixed labels: record '2' gives class ids \(\[3\]\), but record '1' at train.jsonl:1 "
        r"gave class names; the data must use one kind throughout"),
    "class ids in test, class names in train": (
        "jsonl", {"test": record_line(labels=[14]) + more_test()},
        r"test.jsonl, line 1: mixed labels: record '4' gives class ids \(\[14\]\), but record '1' at train.jsonl:1 "
        r"gave class names"),
    "label_id in train.csv, labels in val.csv": (
        "tsv", {"validation": "text\tlabels\nВопрос validation\tкино\nДва вопроса\tкино;музыка\n"},
        r"val.csv, line 2: mixed labels: record 'validation-2' gives class names \(\['кино'\]\), but record "
        r"'train-2' at train.csv:2 gave class ids"),
    # ---- files the kit would silently leave out of a data folder: near-miss split names, compressed copies
    "dev.jsonl beside validation.jsonl": (
        "jsonl", {"dev.jsonl": record_line(id="9")},
        r"raw: holds \['dev.jsonl'\] beside the canonical layout \(train.jsonl, validation.jsonl, test.jsonl\), "
        r"which the kit would silently leave out: rename each to the split it holds, or move it out"),
    "train.jsonl.gz beside train.jsonl": (
        "jsonl", {"train.jsonl.gz": "", "test.jsonl~": ""},
        r"raw: holds \['test.jsonl~', 'train.jsonl.gz'\] beside the canonical layout .*, which the kit would "
        r"silently leave out \(a compressed file is never read\)"),
    "validation.csv beside val.csv": (
        "tsv", {"validation.csv": "text\tlabel_id\nВопрос\t1\n"},
        r"raw: holds \['validation.csv'\] beside DeepPavlov's layout \(train.csv, val.csv, test.csv\)"),
    "dev.jsonl beside an empty validation.jsonl": (
        "jsonl", {"validation": "", "dev.jsonl": record_line(id="9")},
        r"raw: holds \['dev.jsonl'\] beside the canonical layout"),
    # ---- texts of any length (cause 15): a documented limit per field; a value quoted in a message is cut short
    "a question over the length limit": (
        "jsonl", {"test": record_line(question="я" * 10_001)},
        r"test.jsonl, line 1: text too long: record '4' has 10,001 characters in its question; the limit is 10,000 "
        r"\(README, 'Raw input'\)"),
    "a 10 MB question of spaces": (
        "jsonl", {"test": record_line(question=" " * 10 * 2**20)},
        r"test.jsonl, line 1: text too long: record '4' has 10,485,760 characters in its question"),
    "a line of 17 MiB": ("jsonl", {"test": record_line(answer=" " * 17 * 2**20)},
                         r"test.jsonl, line 1: the line is longer than 16,777,216 bytes, more than any record within "
                         r"the text limits takes"),
    "an answer over the length limit": (
        "jsonl", {"test": record_line(answer="я" * 100_001)},
        r"test.jsonl, line 1: text too long: record '4' has 100,001 characters in its answer; the limit is 100,000"),
    "an id over the length limit": (
        "jsonl", {"test": record_line(id="x" * 2**20)},
        r"test.jsonl, line 1: text too long: record 'x+\.\.\.x+' has 1,048,576 characters in its id; the limit is 256"),
    "a TSV question longer than the csv module takes": (
        "tsv", {"test": "text\tlabel_id\n" + "я" * 200_000 + "\t1\n"},
        r"test.csv, line 2: text too long: record 'test-2' has 200,000 characters in its question"),
    "a quoted TSV field longer than the csv module takes": (
        "tsv", {"test": 'text\tlabel_id\n"' + "я" * 200_000 + '""."\t1\n'},
        r"test.csv, line 2: a quoted field is longer than the 131,072 characters the TSV reader takes"),
    "a label cell of 200,000 characters": (
        "tsv", {"test": "text\tlabel_id\nВопрос\t" + "1;" * 100_000 + "x\n"},
        r"test.csv, line 2: bad label_id: record 'test-2' has '1;1;.*\.\.\..*;x'; label_id must be integers"),
    "100,000 labels, one repeated": (
        "jsonl", {"test": record_line(labels=["кино"] * 100_000)},
        r"test.jsonl, line 1: repeated label: record '4' lists a class twice: \['кино', .*, \.\.\.\]"),
    "a question of a zero-width space": ("jsonl", {"test": record_line(question="\u200b")},
                                         r"test.jsonl, line 1: empty question: record '4' has question '\\u200b' "
                                         r"\(no letter, digit or symbol once punctuation and format characters"),
    "a question of punctuation only": ("jsonl", {"test": record_line(question=" ?!… ")},
                                       r"test.jsonl, line 1: empty question: record '4' has question ' \?!… '"),
    "a first line of 200,000 characters, no header": (
        "tsv", {"test": "я" * 200_000 + "\t1\n"},
        r"test.csv, line 1: header must have a 'text' column and one of 'label_id', 'labels', 'label'; got "
        r"\['яяя+\.\.\.я+', '1'\]"),
    "a class name in the wrong case": ("jsonl", {"test": record_line(labels=["Кино"])},
                                       r"test.jsonl, line 1: unknown class: record '4' has 'Кино' \(did you mean "
                                       r"'кино'\?\), which is not one of the 76 RuQTopics classes"),
    # ---- control characters (NUL, C0, DEL, C1) but tab, newline and carriage return in a text
    "a NUL in a question": ("jsonl", {"test": record_line(question="Какой\x00фильм?")},
                            r"test.jsonl, line 1: control character: record '4' has '\\x00' \(U\+0000\) at "
                            r"character 5 of its question; a text may hold tab, newline and carriage return only"),
    "an escape character in a TSV answer": (
        "tsv", {"test": "text\tanswer\tlabel_id\nВопрос\tОтвет\x1b[0m\t1\n"},
        r"test.csv, line 2: control character: record 'test-2' has '\\x1b' \(U\+001B\) at character 5 of its answer"),
    "a C1 control in an answer": ("jsonl", {"test": record_line(answer="\u0085")},
                                  r"test.jsonl, line 1: control character: record '4' has '\\x85' \(U\+0085\)"),
    "a tab in an id": ("jsonl", {"test": record_line(id="4\t")},
                       r"test.jsonl, line 1: control character: record '4\\t' has '\\t' \(U\+0009\) at "
                       r"character 1 of its id; an id may hold none"),
    "a question that is a number": ("jsonl", {"test": record_line(question=5)},
                                    r"test.jsonl, line 1: bad question: record '4' has a int, expected a string"),
    "a JSON nesting too deep": (
        "jsonl", {"test": '{"id": "4", "labels": ' + "[" * 100_000 + "]" * 100_000 + "}\n"},
        r"test.jsonl, line 1: not a JSON record: nested deeper than the JSON reader follows"),
    "a number of 5,000 digits": ("jsonl", {"test": '{"id": "4", "labels": [' + "7" * 5000 + "]}\n"},
                                 r"test.jsonl, line 1: not a JSON record: holds a number of 5,000 digits"),
    # ---- a split that a config's selection leaves empty (cause 7): datasets cannot load a split of 0 rows
    "no multi-label record in validation": (
        "jsonl", {"validation": json.dumps(GOOD["validation"][0], ensure_ascii=False) + "\n"},
        r"validation.jsonl: none of its 1 record\(s\) is one the 'multi_label' config selects, so that config's "
        r"'validation' split would be empty \(a split of 0 rows cannot be loaded\)"),
    "no MASSIVE-aligned record in test": (
        "jsonl", {"test": record_line() + record_line(id="8", question="Кино и музыка?", labels=["кино", "музыка"])},
        r"test.jsonl: none of its 2 record\(s\) is one the 'massive_aligned' config selects, so that config's 'test' "
        r"split would be empty"),
    # ---- one normalisation for duplicate detection across splits (cause 6)
    **{f"test question equal to a train one but for {what}": (
        "jsonl", {"test": json.dumps({"id": "4", "question": question, "answer": "", "labels": ["кино"]},
                                     ensure_ascii=False) + "\n"},
        r"test.jsonl, line 1: record '4' is in split 'test' but its question text is also in split 'train' at "
        r"train.jsonl:1 \(record '1'\)")
       for what, question in (("case", "какую ПЕСНЮ послушать?"), ("punctuation", "Какую песню послушать!!"),
                              ("a zero-width space", "Какую пес\u200bню послушать?"),
                              ("NFD", unicodedata.normalize("NFD", "Какую песню послушать?")),
                              ("spaces", "  Какую   песню\tпослушать ?"))},
    "ё for е": ("jsonl", {"train": '{"id": "1", "question": "Кто поёт лучше всех?", "answer": "", '
                                   '"labels": ["музыка"]}\n',
                          "test": '{"id": "4", "question": "Кто поет лучше всех?", "answer": "", '
                                  '"labels": ["кино"]}\n'},
                r"test.jsonl, line 1: record '4' is in split 'test' but its question text is also in split 'train'"),
}


@pytest.mark.parametrize("layout, replaced, message", CASES.values(), ids=CASES)
def test_bad_raw_input_is_a_named_error(tmp_path, capsys, layout, replaced, message):
    folder = (tsv_folder if layout == "tsv" else jsonl_folder)(tmp_path, **replaced)
    before = snapshot(folder)
    code = ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("ruqtopics export: error:")]
    assert len(error_lines) == 1 and "Traceback" not in err and len(error_lines[0]) < 400, err[:1000]
    assert re.search(message, error_lines[0]), error_lines[0]
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # no output, no staging folder


def test_skip_counts_bad_records_but_an_emptied_split_is_an_error(tmp_path, capsys):
    bad = '{"id": "9", "question": "Вопрос\\udc00", "answer": "", "labels": ["кино"]}\n'
    folder = jsonl_folder(tmp_path, test=bad + '{"id": "4", "question": "Какой фильм?", "labels": ["кино"]}\n'
                          + more_test())
    args = ["export", "--data-dir", str(folder), "--on-bad-record", "skip"]
    assert ruqtopics.main(args + ["--output-dir", str(tmp_path / "out")]) == 0
    assert "skipped (unencodable text): 1" in capsys.readouterr().out
    (folder / "test.jsonl").write_text(bad, encoding="utf-8")
    assert ruqtopics.main(args + ["--output-dir", str(tmp_path / "out2")]) == 1
    assert "test.jsonl: none of its 1 records is left after skipping bad ones" in capsys.readouterr().err


def test_documentation_and_hidden_files_may_sit_beside_the_raw_files_but_a_folder_not(tmp_path, capsys):
    folder = jsonl_folder(tmp_path, **{"README.md": "# notes\n", "LICENSE": "CC BY-SA 4.0\n", ".DS_Store": "",
                                       "__MACOSX.jsonl": ""})
    (folder / ".git").mkdir()
    args = ["export", "--data-dir", str(folder), "--output-dir"]
    assert ruqtopics.main(args + [str(tmp_path / "out")]) == 0
    (folder / "old").mkdir()
    assert ruqtopics.main(args + [str(tmp_path / "out2")]) == 1
    assert "raw: holds ['old/'] beside the canonical layout" in capsys.readouterr().err


def test_mixed_label_kinds_fail_under_skip_too(tmp_path, capsys):
    """Which kind is right cannot be guessed (ids may index another label list), so no record is skipped for it."""
    folder = jsonl_folder(tmp_path, test=record_line(labels=[14]) + more_test())
    args = ["export", "--data-dir", str(folder), "--on-bad-record", "skip", "--output-dir", str(tmp_path / "out")]
    assert ruqtopics.main(args) == 1
    assert "test.jsonl, line 1: mixed labels: record '4' gives class ids" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_skip_counts_control_characters_and_keeps_tabs_and_newlines(tmp_path, capsys):
    folder = jsonl_folder(tmp_path, test=record_line(question="Какой фильм?\x00") + record_line(
        id="9", question="Какой\tфильм\r\nпосмотреть?") + more_test())
    args = ["export", "--data-dir", str(folder), "--on-bad-record", "skip", "--output-dir", str(tmp_path / "out")]
    assert ruqtopics.main(args) == 0
    out = capsys.readouterr().out
    assert "skipped (control character): 1" in out and "single_label     train 2  validation 1  test 2" in out
    questions = pd.read_parquet(tmp_path / "out" / "multi_label").question.tolist() + pd.read_parquet(
        tmp_path / "out" / "single_label").question.tolist()
    assert "Какой\tфильм\r\nпосмотреть?" in questions and not any("\x00" in q for q in questions)


def test_skip_counts_texts_over_the_length_limit_and_bad_label_ids(tmp_path, capsys):
    folder = tsv_folder(tmp_path, test="text\tlabel_id\nКакой фильм?\t14\n" + "я" * 200_000 + "\t14\n"
                                       + "Ещё вопрос?\t14\nНовости?\t2\nФильм о музыке?\t14;0\nМетка?\t²\n")
    args = ["export", "--data-dir", str(folder), "--on-bad-record", "skip", "--output-dir", str(tmp_path / "out")]
    assert ruqtopics.main(args) == 0
    out = capsys.readouterr().out
    assert "skipped (text too long): 1" in out and "skipped (bad label_id): 1" in out
    assert "single_label     train 1  validation 1  test 3" in out  # the records after the long one are read


def test_a_raw_file_that_is_a_dangling_link_is_named(tmp_path, capsys):
    folder = jsonl_folder(tmp_path)
    (folder / "validation.jsonl").unlink()
    (folder / "validation.jsonl").symlink_to(tmp_path / "moved.jsonl")
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(tmp_path / "out")]) == 1
    assert re.search(r"raw/validation.jsonl: cannot be read \(No such file or directory, a symbolic link to "
                     r"'.*moved.jsonl'\)$", capsys.readouterr().err.strip())


def test_a_folder_of_neither_layout_says_what_it_holds(tmp_path, capsys):
    folder = jsonl_folder(tmp_path)
    for path in folder.iterdir():
        path.rename(path.with_name(path.name + ".gz"))
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.strip().endswith(
        "nor DeepPavlov's (train.csv, val.csv, test.csv); it holds ['test.jsonl.gz', 'train.jsonl.gz', "
        "'validation.jsonl.gz']")


def test_a_raw_file_that_is_a_pipe_is_refused_before_it_is_read(tmp_path):
    """A FIFO would be read once, and waited on forever when read again (to name the record a test question
    repeats). Run in a process of its own, with a writer waiting on the FIFO."""
    folder = jsonl_folder(tmp_path)
    before = snapshot(folder)
    (folder / "validation.jsonl").rename(tmp_path / "validation.jsonl")
    os.mkfifo(folder / "validation.jsonl")
    writer = subprocess.Popen(["bash", "-c", 'exec cat "$0" > "$1"', str(tmp_path / "validation.jsonl"),
                               str(folder / "validation.jsonl")])
    try:
        done = run_subprocess([sys.executable, "-m", "ruqtopics_kit", "export", "--data-dir", str(folder),
                               "--output-dir", str(tmp_path / "out")], timeout=120)
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert re.search(r"raw/validation.jsonl: a pipe, not a regular file: a raw file may be read more than once",
                     done.stderr.strip().splitlines()[-1]), done.stderr
    (folder / "validation.jsonl").unlink()
    (tmp_path / "validation.jsonl").rename(folder / "validation.jsonl")
    assert snapshot(folder) == before and not (tmp_path / "out").exists()


def test_both_layouts_in_one_folder_is_an_error(tmp_path, capsys):
    folder = jsonl_folder(tmp_path)
    (folder / "train.csv").write_text("text\tlabel_id\nВопрос\t0\n", encoding="utf-8")
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(tmp_path / "out")]) == 1
    assert re.search(r"raw: holds both the canonical layout \(train.jsonl\) and DeepPavlov's \(train.csv\); keep one",
                     capsys.readouterr().err)


def test_a_utf8_bom_is_read_as_pandas_reads_it(tmp_path):
    """A BOM before the header (Excel writes one) is no part of the first column's name, as for pandas."""
    from ruqtopics_kit.dataset.raw import ReadReport, read_batches

    path = tmp_path / "train.csv"
    path.write_bytes("\ufeffid\ttext\tlabel_id\nq7\tВопрос\t0\n".encode())
    rows = [row for batch in read_batches(path, "train", ReadReport()) for row in batch.to_pylist()]
    assert rows == [{"id": "q7", "question": "Вопрос", "answer": "", "labels": [0]}]
    assert list(pd.read_csv(path, sep="\t").columns) == ["id", "text", "label_id"]


def test_skip_counts_cross_split_duplicates_and_keeps_the_stored_text(tmp_path, capsys):
    from ruqtopics_kit.dataset.raw import ReadReport, read_batches

    leak = '{"id": "9", "question": "КАКУЮ песню послушать", "answer": "", "labels": ["кино"]}\n'
    folder = jsonl_folder(tmp_path, test=leak + '{"id": "4", "question": "Какой  фильм?", "labels": ["кино"]}\n'
                          + more_test())
    args = ["export", "--data-dir", str(folder), "--on-bad-record", "skip", "--output-dir", str(tmp_path / "out")]
    assert ruqtopics.main(args) == 0
    assert "skipped (cross-split duplicate): 1" in capsys.readouterr().out
    report = ReadReport()
    rows = [row for split in ("train", "test") for batch in read_batches(folder / f"{split}.jsonl", split, report,
                                                                           "skip") for row in batch.to_pylist()]
    assert "Какой  фильм?" in [row["question"] for row in rows]  # stored as it was written


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
