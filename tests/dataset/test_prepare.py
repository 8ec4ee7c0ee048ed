"""`prepare`: nested dumps mapped with --field, and every bad dump a one-line named error with nothing written."""

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from train_helpers import run_subprocess

import ruqtopics
from ruqtopics_kit.dataset.canonical import RawDataError
from ruqtopics_kit.dataset.prepare import FieldMap, prepare


def flat_records(n: int) -> list[dict]:
    return [{"id": i, "question": f"Вопрос номер {i} про музыку", "answer": "ответ", "tags": ["музыка"]}
            for i in range(n)]


def write_gzip(path: Path, lines: list[str]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    return path


def json_lines(records: list) -> list[str]:
    return [json.dumps(record) for record in records]  # \u escapes keep a lone surrogate


def entity(i: int, answers: int = 2) -> dict:
    """Shaped like a Yandex Q API question entity with its answers attached (an illustration: the public dump's
    exact field names could not be checked offline)."""
    return {"id": f"q{i:04d}", "title": f"Какую песню номер {i} послушать?", "description": None,
            "created": "2020-05-01T10:00:00Z", "author": {"id": "u1", "name": "Аня"},
            "tags": ([{"id": 10, "title": "музыка", "slug": "muzyka"}, {"id": 11, "title": "лайфхак", "slug": "x"}]
                     if i % 2 else
                     [{"id": 12, "title": "погода", "slug": "pogoda"}, {"id": 13, "title": "новости", "slug": "n"}]),
            "answers": [{"id": f"a{i}-{k}", "text": f"Ответ {k} на вопрос {i}", "votes": k} for k in range(answers)]}


ENTITY_FIELDS = ["question=title", "answer=answers.0.text", "tags=tags.*.title"]


def read_split_records(folder: Path) -> dict[str, dict]:
    return {record["id"]: record for split in ("train", "validation", "test")
            for record in map(json.loads, (folder / f"{split}.jsonl").read_text(encoding="utf-8").splitlines())}


# ---- --field NAME=PATH --------------------------------------------------------------------------------------

def test_field_paths_map_a_nested_entity(tmp_path):
    dump = write_gzip(tmp_path / "full.jsonl.gz", json_lines([entity(i) for i in range(60)]))
    summary = prepare(dump, tmp_path / "raw", fields=FieldMap.parse(ENTITY_FIELDS))
    kept = read_split_records(tmp_path / "raw")
    assert len(kept) == 60 and sum(count for outcome, count in summary.items() if "label" in outcome) == 60
    assert kept["q0001"] == {"id": "q0001", "question": "Какую песню номер 1 послушать?",
                             "answer": "Ответ 0 на вопрос 1", "labels": ["музыка"]}
    assert kept["q0002"]["labels"] == ["погода", "новости"]


def test_field_paths_walk_keys_indexes_and_wildcards():
    record = {"a": {"b": [{"c": 1}, {"c": 2}]}, "tags": [["x", "y"], ["z"]]}
    fields = FieldMap.parse(["id=a.b.1.c", "question=a.b.*.c", "answer=tags.0.1", "tags=tags.*.0"])
    assert fields.extract(record) == {"id": 2, "question": [1, 2], "answer": "y", "tags": ["x", "z"]}


@pytest.mark.parametrize("spec, message", [
    ("answer", "expects NAME=PATH"),
    ("label=tags", "NAME one of id, question, answer, tags"),
    ("answer=answers..text", "empty segment"),
])
def test_a_bad_field_spec_is_a_usage_error(tmp_path, capsys, spec, message):
    dump = write_gzip(tmp_path / "dump.jsonl.gz", json_lines(flat_records(30)))
    with pytest.raises(SystemExit) as exit_info:
        ruqtopics.main(["prepare", "--dump", str(dump), "--output-dir", str(tmp_path / "raw"), "--field", spec])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize("change, message", [
    ({"answers": []}, r"missing path: answers\.0 does not exist \(the list at answers has 0 item\(s\)\)"),
    ({"answers": [{"body": "Ответ"}]},
     r"missing path: answers\.0\.text does not exist \(no key 'text' at answers\.0\)"),
    ({"answers": None}, r"missing path: answers\.0 does not exist \(answers is null, not an object or a list\)"),
    ({"tags": [{"name": "музыка"}]}, r"missing path: tags\.0\.title does not exist"),
    ({"title": {"text": "?"}}, r"bad question: record 'q0003' has a dict"),
])
def test_a_path_missing_from_a_record_names_file_line_and_path(tmp_path, change, message):
    dump = write_gzip(tmp_path / "full.jsonl.gz", json_lines([entity(0), entity(1), entity(2), entity(3) | change]))
    with pytest.raises(RawDataError, match=r"full\.jsonl\.gz, line 4: " + message):
        prepare(dump, tmp_path / "raw", fields=FieldMap.parse(ENTITY_FIELDS))
    assert not (tmp_path / "raw").exists()


def test_skip_counts_records_without_the_path(tmp_path):
    records = [entity(i, answers=0 if i == 7 else 1) for i in range(60)]
    dump = write_gzip(tmp_path / "full.jsonl.gz", json_lines(records))
    summary = prepare(dump, tmp_path / "raw", fields=FieldMap.parse(ENTITY_FIELDS), on_bad_record="skip")
    assert summary["skipped: missing path"] == 1 and "q0007" not in read_split_records(tmp_path / "raw")


def test_skip_counts_texts_over_the_length_limit(tmp_path):
    records = flat_records(60) + [{"id": 60, "question": "Вопрос " * 2000, "answer": "", "tags": ["музыка"]}]
    dump = write_gzip(tmp_path / "dump.jsonl.gz", json_lines(records))
    summary = prepare(dump, tmp_path / "raw", on_bad_record="skip")
    assert summary["skipped: text too long"] == 1 and "60" not in read_split_records(tmp_path / "raw")
    assert sum(count for outcome, count in summary.items() if outcome.startswith(("train", "validation", "test"))) == 60


def test_a_duplicate_question_under_a_superscript_id_keeps_the_numeric_one(tmp_path):
    records = flat_records(60) + [{"id": "²", "question": "Вопрос номер 7 про музыку", "answer": "", "tags": ["кино"]}]
    summary = prepare(write_gzip(tmp_path / "dump.jsonl.gz", json_lines(records)), tmp_path / "raw")
    kept = read_split_records(tmp_path / "raw")
    assert summary["dropped: duplicate question"] == 1 and "²" not in kept and kept["7"]["labels"] == ["музыка"]


def test_a_question_of_punctuation_only_is_dropped_as_empty(tmp_path):
    records = flat_records(60) + [{"id": 60, "question": "?!\u200b", "answer": "", "tags": ["музыка"]}]
    summary = prepare(write_gzip(tmp_path / "dump.jsonl.gz", json_lines(records)), tmp_path / "raw")
    assert summary["dropped: empty question"] == 1 and "60" not in read_split_records(tmp_path / "raw")


def test_tags_as_objects_without_a_path_say_how_to_map_them(tmp_path):
    dump = write_gzip(tmp_path / "full.jsonl.gz", json_lines([entity(1)]))
    with pytest.raises(RawDataError, match=r"line 1: bad tags: .* --field tags=tags\.\*\.title"):
        prepare(dump, tmp_path / "raw", fields=FieldMap.parse(["question=title", "answer=answers.0.text"]))


# ---- bad dumps: one named error, nothing written ------------------------------------------------------------

def gzip_bytes(records: list) -> bytes:
    return gzip.compress("".join(line + "\n" for line in json_lines(records)).encode())


def corrupt(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


def with_record(**fields) -> bytes:
    return gzip_bytes(flat_records(40) + [{"id": 40, "question": "Вопрос", "answer": "ответ", "tags": ["музыка"]}
                                          | fields])


def with_line(line: str) -> bytes:
    return gzip.compress("".join(text + "\n" for text in json_lines(flat_records(40)) + [line]).encode())


BAD_DUMPS = {
    "corrupt gzip": (lambda: corrupt(gzip_bytes(flat_records(2000))), r"cannot be decompressed"),
    "truncated gzip": (lambda: gzip_bytes(flat_records(2000))[:-300], r"cannot be decompressed .*is the file complete"),
    "not gzip at all": (lambda: b"\x1f\x8b this is not a gzip stream", r"line 1: cannot be decompressed"),
    "0-byte dump": (lambda: b"", r"dump\.jsonl\.gz: empty file: the dump holds no records"),
    "empty gzip": (lambda: gzip.compress(b""), r"empty file: the dump holds no records"),
    "null id": (lambda: with_record(id=None), r"line 41: bad id: expected a non-empty string or an integer, got null"),
    "boolean id": (lambda: with_record(id=True), r"line 41: bad id: .*got a bool"),
    "numeric answer": (lambda: with_record(answer=42), r"line 41: bad answer: record '40' has a int \(42\)"),
    "null question": (lambda: with_record(question=None), r"line 41: bad question: record '40' has null"),
    "tags not a list": (lambda: with_record(tags="музыка"), r"line 41: bad tags: record '40' needs a list of strings"),
    "a numeric tag": (lambda: with_record(tags=["музыка", 7]), r"line 41: bad tags"),
    "lone surrogate": (lambda: with_record(question="Песня \ud83c?"),
                       r"line 41: unencodable text: record '40' has in its question '\\ud83c' at character 6"),
    "a NUL in a question": (lambda: with_record(question="Песня\x00?"),
                            r"line 41: control character: record '40' has '\\x00' \(U\+0000\) at character 5 of "
                            r"its question; a text may hold tab, newline and carriage return only"),
    "missing field": (lambda: gzip_bytes(flat_records(40) + [{"id": 40, "question": "q", "tags": []}]),
                      r"line 41: missing path: answer does not exist"),
    "duplicate id": (lambda: gzip_bytes(flat_records(40) + flat_records(1)),
                     r"line 41: duplicate id '0', first seen on line 1"),
    # ---- texts of any length (issue 24, cause 15); values quoted in a message are cut to a readable length
    "question over the length limit": (lambda: with_record(question="я" * 10_001),
                                       r"line 41: text too long: record '40' has 10,001 characters in its question; "
                                       r"the limit is 10,000"),
    "answer over the length limit": (lambda: with_record(answer="я" * 100_001),
                                     r"line 41: text too long: record '40' has 100,001 characters in its answer"),
    "id over the length limit": (lambda: with_record(id="x" * 5_000_000),
                                 r"line 41: text too long: record 'x+\.\.\.x+' has 5,000,000 characters in its id; "
                                 r"the limit is 256"),
    "100,000 tags that are objects": (lambda: with_record(tags=[{"title": "музыка"}] * 100_000),
                                      r"line 41: bad tags: .*, \.\.\.\] \(map a list of objects"),
    "a JSON nesting too deep": (lambda: with_line('{"id": 40, "tags": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                                r"line 41: not a JSON record: nested deeper than the JSON reader follows"),
    "a number of 5,000 digits": (lambda: with_line('{"id": ' + "7" * 5000 + "}"),
                                 r"line 41: not a JSON record: holds a number of 5,000 digits"),
    "a key twice": (lambda: with_line('{"id": 40, "question": "q", "question": "p", "answer": "", "tags": []}'),
                    r"line 41: duplicate key 'question' in one object"),
    "no topic anywhere": (lambda: gzip_bytes([{"id": 1, "question": "q", "answer": "", "tags": ["лайфхак"]}]),
                          r"0 record\(s\) with a RuQTopics topic .* leave the train and validation and test split"),
}


@pytest.mark.parametrize("case", BAD_DUMPS)
def test_a_bad_dump_is_one_named_line_and_nothing_is_written(tmp_path, capsys, case):
    make, message = BAD_DUMPS[case]
    dump = tmp_path / "dump.jsonl.gz"
    dump.write_bytes(make())
    before = dump.read_bytes()
    code = ruqtopics.main(["prepare", "--dump", str(dump), "--output-dir", str(tmp_path / "raw")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err and len(err) < 400
    assert err.startswith(f"ruqtopics prepare: error: {dump}")
    assert re.search(message, err), err
    assert dump.read_bytes() == before and sorted(path.name for path in tmp_path.iterdir()) == ["dump.jsonl.gz"]


def test_a_plain_dump_with_a_surrogate_escape_is_named_too(tmp_path):
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(json_lines(flat_records(40))) + '\n{"id": 40, "question": "q", "answer": "\\udc00", '
                    '"tags": ["музыка"]}\n', encoding="utf-8")
    with pytest.raises(RawDataError, match=r"dump\.jsonl, line 41: unencodable text: record '40' has in its answer"):
        prepare(dump, tmp_path / "raw")


def test_a_dump_that_does_not_exist_is_named(tmp_path, capsys):
    assert ruqtopics.main(["prepare", "--dump", str(tmp_path / "nope.jsonl.gz"), "--output-dir",
                           str(tmp_path / "raw")]) == 1
    assert "nope.jsonl.gz: cannot be read (No such file or directory)" in capsys.readouterr().err


@pytest.mark.parametrize("pipe", ["fifo", "process substitution"])
def test_a_dump_that_is_a_pipe_is_refused_before_it_is_read(tmp_path, pipe):
    """prepare reads its dump twice and a pipe only once: `--dump <(zcat ...)` said "empty file" on the second
    read, and a FIFO waited forever for a second writer. Run in a process of its own, with a real pipe."""
    dump = write_gzip(tmp_path / "dump.jsonl.gz", json_lines(flat_records(40)))
    before = dump.read_bytes()
    prepare_command = [sys.executable, "-m", "ruqtopics_kit", "prepare", "--output-dir", str(tmp_path / "raw")]
    writer = None
    if pipe == "fifo":
        fifo = tmp_path / "dump.fifo"
        os.mkfifo(fifo)
        writer = subprocess.Popen(["bash", "-c", 'exec cat "$0" > "$1"', str(dump), str(fifo)])  # waits for a reader
        command = [*prepare_command, "--dump", str(fifo)]
    else:
        command = ["bash", "-c", '"$@" --dump <(cat "$0")', str(dump), *prepare_command]
    try:
        done = run_subprocess(command, timeout=120)
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert re.search(r"^ruqtopics prepare: error: \S+: a pipe, not a regular file: prepare reads the dump twice",
                     done.stderr.strip().splitlines()[-1]), done.stderr
    assert dump.read_bytes() == before and not (tmp_path / "raw").exists()
