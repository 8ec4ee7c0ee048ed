"""The dataset builder, the raw readers, `prepare`, and the Hub export (issue: dataset builder)."""

import gzip
import json
import re
from pathlib import Path

import datasets
import numpy as np
import pytest
from huggingface_hub import DatasetCard

import ruqtopics
from ruqtopics_kit.core.errors import InvalidParameterError
from ruqtopics_kit.dataset.builder import RuQTopics
from ruqtopics_kit.dataset.canonical import RawDataError
from ruqtopics_kit.dataset.export import EXAMPLE_CHARS, export_dataset, histogram_quantile
from ruqtopics_kit.dataset.prepare import prepare, split_of
from ruqtopics_kit.facts.labels import CONFIG_NAMES, all_topics, massive_aligned

TOPICS = all_topics()


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def raw_dir(tmp_path: Path, train=None, validation=None, test=None) -> Path:
    """A canonical raw layout with a few valid records per split, overridable per split."""
    default = {
        "train": [{"id": "1", "question": "Какую песню послушать?", "answer": "Любую.", "labels": ["музыка"]},
                  {"id": "2", "question": "Будет ли дождь?", "answer": "Да.", "labels": ["погода", "новости"]},
                  {"id": "3", "question": "Где купить самолёт?", "answer": "", "labels": ["самолёты"]}],
        "validation": [{"id": "4", "question": "Что приготовить?", "answer": "Суп.",
                        "labels": ["еда, напитки и кулинария"]},
                       {"id": "6", "question": "Что послушать в дороге?", "answer": "",
                        "labels": ["музыка", "транспорт"]}],
        "test": [{"id": "5", "question": "Какой фильм?", "answer": "Новый.", "labels": ["кино", "сериалы", "тв"]},
                 {"id": "7", "question": "Какие новости?", "answer": "", "labels": ["новости"]}],
    }  # every config selects records in every split
    folder = tmp_path / "raw"
    folder.mkdir(exist_ok=True)
    for split, records in {"train": train, "validation": validation, "test": test}.items():
        write_jsonl(folder / f"{split}.jsonl", default[split] if records is None else records)
    return folder


# ---- the exported repository loads like a Hub dataset ------------------------------------------------

@pytest.mark.parametrize("config_name, column, names", [
    ("single_label", "label", TOPICS.names),
    ("massive_aligned", "label", massive_aligned().names),
])
def test_single_label_configs_load_with_class_names(exported_sample, config_name, column, names):
    dataset = datasets.load_dataset(str(exported_sample), config_name)
    assert set(dataset) == {"train", "validation", "test"}
    feature = dataset["train"].features[column]
    assert isinstance(feature, datasets.ClassLabel) and tuple(feature.names) == names
    assert list(dataset["train"].features) == ["id", "question", "answer", column]


def test_multi_label_config_loads_as_list_of_class_labels(exported_sample):
    dataset = datasets.load_dataset(str(exported_sample), "multi_label")
    feature = dataset["train"].features["labels"]
    assert isinstance(feature, datasets.List) and tuple(feature.feature.names) == TOPICS.names
    assert all(len(labels) >= 2 for labels in dataset["train"]["labels"])
    assert "самолёты" in feature.feature.names  # ё kept, never normalised


def test_default_config_is_single_label(exported_sample):
    assert datasets.get_dataset_default_config_name(str(exported_sample)) == "single_label"
    assert sorted(datasets.get_dataset_config_names(str(exported_sample))) == sorted(CONFIG_NAMES)


def test_export_layout_matches_push_to_hub(exported_sample):
    files = sorted(p.relative_to(exported_sample).as_posix() for p in exported_sample.rglob("*") if p.is_file())
    expected = ["README.md"] + [f"{config}/{split}-00000-of-00001.parquet" for config in sorted(CONFIG_NAMES)
                                for split in ("test", "train", "validation")]
    assert files == expected


@pytest.mark.parametrize("config_name", CONFIG_NAMES)
def test_builder_and_export_give_the_same_records(exported_sample, sample_dir, tmp_path, config_name):
    builder = RuQTopics(config_name=config_name, data_dir=str(sample_dir), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    built = builder.as_dataset()
    exported = datasets.load_dataset(str(exported_sample), config_name)
    for split in ("train", "validation", "test"):
        assert built[split].features == exported[split].features
        assert built[split].to_list() == exported[split].to_list()


def test_card_counts_near_duplicates_per_split_and_config_and_cuts_a_long_example(tmp_path):
    long_question = "Вопрос про песни " + "я" * 5000
    train = [{"id": "11", "question": long_question, "answer": "", "labels": ["музыка"]},
             {"id": "12", "question": "Будет ли дождь?", "answer": "", "labels": ["погода", "новости"]},
             {"id": "13", "question": "будет ли ДОЖДЬ!!", "answer": "", "labels": ["погода", "новости"]},
             {"id": "14", "question": "Какую песню послушать?", "answer": "", "labels": ["музыка"]},
             {"id": "15", "question": "какую  песню, послушать", "answer": "", "labels": ["погода"]},
             {"id": "16", "question": "Какую пёсню послушать\u200b?", "answer": "", "labels": ["кино"]}]
    summary = export_dataset(raw_dir(tmp_path, train=train), tmp_path / "out")
    assert summary["near_duplicates"] == {"single_label": {"train": 2, "validation": 0, "test": 0},
                                          "multi_label": {"train": 1, "validation": 0, "test": 0},
                                          "massive_aligned": {"train": 1, "validation": 0, "test": 0}}
    card = DatasetCard.load(tmp_path / "out" / "README.md").text
    for row in ("| `single_label` | 2 | 0 | 0 |", "| `multi_label` | 1 | 0 | 0 |", "| `massive_aligned` | 1 | 0 | 0 |"):
        assert row in card.split("## Near-duplicate questions")[1].split("\n## ")[0]
    assert f'"question": "{long_question[:EXAMPLE_CHARS]}…"' in card and long_question[:EXAMPLE_CHARS + 1] not in card
    assert f"longer than {EXAMPLE_CHARS} characters is cut here" in card
    stored = datasets.load_dataset(str(tmp_path / "out"), "single_label", split="train")["question"]
    assert stored[0] == long_question and "какую  песню, послушать" in stored  # the data keep every text whole


def test_sample_covers_every_class_and_both_kinds(sample_dir, tmp_path):
    summary = export_dataset(sample_dir, tmp_path / "out")
    card = DatasetCard.load(tmp_path / "out" / "README.md")
    labels = datasets.load_dataset(str(tmp_path / "out"), "single_label")["train"]["label"]
    assert set(labels) == set(range(76))
    assert summary["records"]["multi_label"]["train"] > 0
    assert "SYNTHETIC" in card.text


def test_card_yaml_and_tables_come_from_the_data(exported_sample):
    card = DatasetCard.load(exported_sample / "README.md")
    info = {entry["config_name"]: entry for entry in card.data.dataset_info}
    sizes = {split["name"]: split["num_examples"] for split in info["multi_label"]["splits"]}
    dataset = datasets.load_dataset(str(exported_sample), "multi_label")
    assert sizes == {split: len(dataset[split]) for split in dataset}
    assert card.data.language == ["ru"] and card.data.license == "unknown"
    assert card.data.task_categories == ["text-classification"] and card.data.size_categories == ["1K<n<10K"]
    row = f"| `multi_label` | Questions with two or more of the 76 topics. | 76 | {sizes['train']} | "
    assert row in card.text
    words = [len(q.split()) for split in dataset for q in dataset[split]["question"]]
    assert f"| `multi_label` | question | {int(np.percentile(words, 50, method='lower'))} |" in card.text


@pytest.mark.parametrize("values", [[5], [1, 2, 3, 4], [3, 3, 9, 0, 12, 7, 7, 1]])
@pytest.mark.parametrize("q", [0.01, 0.5, 0.99])
def test_histogram_quantile_matches_numpy_lower_percentile(values, q):
    assert histogram_quantile(np.bincount(values), q) == int(np.percentile(values, 100 * q, method="lower"))


# ---- DeepPavlov's tab-separated layout ------------------------------------------------------------------

def test_deeppavlov_tsv_with_label_names_in_either_column(tmp_path):
    """`labels` and `label` both hold class names (label_id's class ids: test_dataset_bad_input.py); a folder
    whose files mix the two kinds is refused, by the builder as by export."""
    folder = tmp_path / "dp"
    folder.mkdir()
    (folder / "train.csv").write_text("text\tlabels\nКакую песню послушать?\tмузыка\nБудет ли дождь?\tпогода;новости\n",
                                      encoding="utf-8")
    (folder / "val.csv").write_text("text\tlabels\nЧто приготовить на ужин?\tеда, напитки и кулинария\n"
                                    "Что посмотреть и послушать?\tкино;музыка\n", encoding="utf-8")
    (folder / "test.csv").write_text("text\tlabel\nГде купить самолёт?\tсамолёты;транспорт\nКак доехать?\tтранспорт\n",
                                     encoding="utf-8")
    builder = RuQTopics(config_name="single_label", data_dir=str(folder), cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare()
    single = builder.as_dataset()
    assert single["train"].to_list() == [{"id": "train-2", "question": "Какую песню послушать?", "answer": "",
                                          "label": 0}]
    assert single["validation"]["label"] == [1]
    multi = RuQTopics(config_name="multi_label", data_dir=str(folder), cache_dir=str(tmp_path / "cache2"))
    multi.download_and_prepare()
    assert multi.as_dataset(split="test")["labels"] == [[TOPICS.id_of("самолёты"), 3]]
    (folder / "train.csv").write_text("text\tlabel_id\nКакую песню послушать?\t0\n", encoding="utf-8")
    with pytest.raises(datasets.exceptions.DatasetGenerationError) as caught:
        RuQTopics(config_name="single_label", data_dir=str(folder),
                  cache_dir=str(tmp_path / "c3")).download_and_prepare()
    assert re.search(r"val.csv, line 2: mixed labels: record 'validation-2' gives class names \(\['еда, напитки и "
                     r"кулинария'\]\), but record 'train-2' at train.csv:2 gave class ids", str(caught.value.__cause__))


# ---- prepare: dump -> canonical layout --------------------------------------------------------------------

def write_dump(path: Path, records: list) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def dump_records(n: int, start: int = 0) -> list:
    return [{"id": i, "question": f"Вопрос номер {i} про музыку", "answer": "ответ",
             "tags": ["музыка", "лайфхак"] if i % 3 else ["погода", "новости", "лайфхак"]}
            for i in range(start, start + n)]


def read_splits(folder: Path) -> dict:
    return {split: [json.loads(line) for line in (folder / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
            for split in ("train", "validation", "test")}


def test_prepare_filters_topics_dedups_and_splits_by_id(tmp_path):
    records = dump_records(200) + [
        {"id": 1000, "question": "Без темы", "answer": "", "tags": ["лайфхак"]},
        {"id": 5, "question": "Дубликат", "answer": "", "tags": ["музыка"]} | {"id": 999},
        {"id": 998, "question": "  Дубликат ", "answer": "другой", "tags": ["кино"]},
    ]
    summary = prepare(write_dump(tmp_path / "dump.jsonl.gz", records), tmp_path / "raw")
    splits = read_splits(tmp_path / "raw")
    kept = {r["id"]: (split, r) for split, rows in splits.items() for r in rows}
    assert summary["dropped: no RuQTopics topic"] == 1 and summary["dropped: duplicate question"] == 1
    assert kept["998"][1]["labels"] == ["кино"] and "999" not in kept  # smallest id kept
    assert kept["1"][1]["labels"] == ["музыка"] and kept["3"][1]["labels"] == ["погода", "новости"]
    assert all(split == split_of(record_id) for record_id, (split, _) in kept.items())
    questions = [{r["question"] for r in rows} for rows in splits.values()]
    assert not (questions[0] & questions[1] or questions[0] & questions[2] or questions[1] & questions[2])
    assert 0.7 < len(splits["train"]) / 202 < 0.9


def test_question_key_is_its_definition():
    """question_key's fast path for words of letters and digits gives what its definition says, character by
    character, for characters of every Unicode category (a sample of all code points) in and around words."""
    import unicodedata

    from ruqtopics_kit.dataset.canonical import question_key

    def definition(question: str) -> str:
        text = unicodedata.normalize("NFKC", question).casefold().replace("ё", "е")
        kept = "".join(char for char in text if char.isspace() or unicodedata.category(char)[0] not in "PC")
        return " ".join(kept.split())

    for code in range(0, 0x110000, 61):
        char = chr(code)
        for question in (char, f"Ёлка{char}", f"«{char}пёс»?", f"a {char} b", f"({char}1{char}),"):
            assert question_key(question) == definition(question), (hex(code), question)


def test_prepare_drops_questions_equal_but_for_case_punctuation_and_yo(tmp_path):
    """One question key for prepare and export (canonical.question_key); the smallest id's text is kept as is."""
    variants = ["Кто поёт «Звезду»?", "кто поет звезду", "КТО ПОЁТ ЗВЕЗДУ!", "Кто по\u0435\u0308т Звез\u200bду?"]
    records = dump_records(200) + [{"id": 900 + i, "question": text, "answer": "", "tags": ["музыка"]}
                                   for i, text in enumerate(variants)]
    summary = prepare(write_dump(tmp_path / "dump.jsonl.gz", records), tmp_path / "raw")
    kept = {r["id"]: r for rows in read_splits(tmp_path / "raw").values() for r in rows}
    assert summary["dropped: duplicate question"] == 3
    assert kept["900"]["question"] == "Кто поёт «Звезду»?" and not {"901", "902", "903"} & set(kept)


def test_prepare_splits_are_stable_when_records_are_added(tmp_path):
    prepare(write_dump(tmp_path / "a.jsonl.gz", dump_records(100)), tmp_path / "a")
    prepare(write_dump(tmp_path / "b.jsonl.gz", dump_records(300)), tmp_path / "b")
    before, after = read_splits(tmp_path / "a"), read_splits(tmp_path / "b")
    for split in before:
        assert {r["id"] for r in before[split]} <= {r["id"] for r in after[split]}


def test_prepare_rejects_duplicate_ids_and_bad_lines(tmp_path):
    with pytest.raises(RawDataError, match=r"dump.jsonl.gz, line 3: duplicate id '1', first seen on line 2"):
        prepare(write_dump(tmp_path / "dump.jsonl.gz", dump_records(2) + dump_records(1, start=1)), tmp_path / "x")
    (tmp_path / "bad.jsonl").write_text('{"id": 1, "question": "q", "answer": "", "tags": []}\n{"id": 2,\n')
    with pytest.raises(RawDataError, match=r"bad.jsonl, line 2: not valid JSON"):
        prepare(tmp_path / "bad.jsonl", tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_prepare_command_line(tmp_path, capsys):
    dump = write_dump(tmp_path / "dump.jsonl.gz", dump_records(30))
    assert ruqtopics.main(["prepare", "--dump", str(dump), "--output-dir", str(tmp_path / "raw")]) == 0
    assert "train: single-label" in capsys.readouterr().out


# ---- bad input: each error names the file, the line and the problem ---------------------------------------

def bad_line(tmp_path: Path, line: str) -> Path:
    folder = raw_dir(tmp_path)
    with open(folder / "train.jsonl", "a", encoding="utf-8") as handle:
        handle.write(line)
    return folder


@pytest.mark.parametrize("line, message", [
    ('{"id": "9", "question": "Вопрос", "answer": "", "labels": ["музыка"]', r"train.jsonl, line 4: line is truncated"),
    ('not json\n', r"train.jsonl, line 4: not valid JSON"),
    ('["a list"]\n', r"train.jsonl, line 4: expected a JSON object, got list"),
    ('{"id": "9", "question": "Вопрос", "answer": "", "labels": ["котики"]}\n',
     r"train.jsonl, line 4: unknown class: record '9' has 'котики'"),
    ('{"id": "9", "question": "Вопрос", "answer": "", "labels": [76]}\n',
     r"train.jsonl, line 4: unknown label_id: record '9' has 76, expected 0..75"),
    ('{"id": "9", "question": "  ", "answer": "", "labels": ["музыка"]}\n', r"train.jsonl, line 4: empty question"),
    ('{"id": "9", "question": "Вопрос", "answer": ""}\n', r"train.jsonl, line 4: missing field: labels"),
    ('{"id": "9", "question": "Вопрос", "answer": "", "labels": []}\n', r"train.jsonl, line 4: no labels"),
    ('{"id": "1", "question": "Новый вопрос", "answer": "", "labels": ["музыка"]}\n',
     r"train.jsonl, line 4: duplicate id '1', first seen at train.jsonl:1"),
])
def test_bad_records_are_located(tmp_path, line, message):
    with pytest.raises(RawDataError, match=message):
        export_dataset(bad_line(tmp_path, line), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))  # no staging directory left behind


def test_bad_utf8_names_its_line(tmp_path):
    folder = raw_dir(tmp_path)
    with open(folder / "validation.jsonl", "ab") as handle:
        handle.write(b'{"id": "9", "question": "\xd0\x28", "answer": "", "labels": ["\xd0\xbc"]}\n')
    with pytest.raises(RawDataError, match=r"validation.jsonl, line 3: is not valid UTF-8"):
        export_dataset(folder, tmp_path / "out")


def test_a_record_in_two_splits_is_an_error(tmp_path):
    folder = raw_dir(tmp_path, test=[{"id": "77", "question": "Какую песню послушать?", "answer": "",
                                      "labels": ["музыка"]}])
    with pytest.raises(RawDataError, match=r"test.jsonl, line 1: record '77' is in split 'test' but its question "
                                           r"text is also in split 'train' at train.jsonl:1"):
        export_dataset(folder, tmp_path / "out")


def test_the_builder_refuses_a_split_its_config_leaves_empty_as_export_does(tmp_path):
    folder = raw_dir(tmp_path, validation=[{"id": "4", "question": "Что приготовить?", "answer": "",
                                            "labels": ["еда, напитки и кулинария"]}])
    message = (r"validation.jsonl: none of its 1 record\(s\) is one the 'multi_label' config selects, so that "
               r"config's 'validation' split would be empty")
    with pytest.raises(RawDataError, match=message):
        export_dataset(folder, tmp_path / "out")
    builder = RuQTopics(config_name="multi_label", data_dir=str(folder), cache_dir=str(tmp_path / "cache"))
    with pytest.raises(datasets.exceptions.DatasetGenerationError) as caught:
        builder.download_and_prepare()
    assert re.search(message, str(caught.value.__cause__))
    single = RuQTopics(config_name="single_label", data_dir=str(folder), cache_dir=str(tmp_path / "cache"))
    single.download_and_prepare()  # the builder builds one config: one that selects records in every split builds
    assert single.as_dataset(split="validation").num_rows == 1


@pytest.mark.parametrize("on_bad_record", ["Error", "warn"])
def test_an_unknown_on_bad_record_is_refused_not_read_as_skip(tmp_path, on_bad_record):
    folder = raw_dir(tmp_path, test=[{"id": "9", "question": "Вопрос", "answer": "", "labels": ["котики"]}])
    with pytest.raises(InvalidParameterError, match=r"'on_bad_record' parameter must be one of 'error', 'skip'"):
        export_dataset(folder, tmp_path / "out", on_bad_record=on_bad_record)
    with pytest.raises(InvalidParameterError, match=r"'on_bad_record' parameter"):
        prepare(tmp_path / "dump.jsonl", tmp_path / "raw2", on_bad_record=on_bad_record)
    assert not (tmp_path / "out").exists() and not (tmp_path / "raw2").exists()


def test_the_builder_checks_across_splits_too(tmp_path):
    folder = raw_dir(tmp_path, test=[{"id": "2", "question": "Другой", "answer": "", "labels": ["музыка"]}])
    builder = RuQTopics(config_name="single_label", data_dir=str(folder), cache_dir=str(tmp_path / "cache"))
    with pytest.raises(datasets.exceptions.DatasetGenerationError) as caught:
        builder.download_and_prepare()
    assert "duplicate id '2', first seen at train.jsonl:2" in str(caught.value.__cause__)


def test_missing_and_unreadable_files(tmp_path):
    folder = raw_dir(tmp_path)
    (folder / "test.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match=r"found train.jsonl but not test.jsonl"):
        export_dataset(folder, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match=r"is not a directory"):
        export_dataset(tmp_path / "nowhere", tmp_path / "out")
    (folder / "test.jsonl").mkdir()
    with pytest.raises(RawDataError, match=r"test.jsonl: cannot be read"):
        export_dataset(folder, tmp_path / "out")


def test_skip_mode_counts_what_it_skipped(tmp_path):
    folder = bad_line(tmp_path, '{"id": "9", "question": "Вопрос", "answer": "", "labels": ["котики"]}\n'
                                '{"id": "10", "question": "", "answer": "", "labels": ["музыка"]}\n')
    summary = export_dataset(folder, tmp_path / "out", on_bad_record="skip")
    assert summary["skipped"] == {"unknown class": 1, "empty question": 1}
    assert summary["records"]["single_label"]["train"] == 2


def test_deeppavlov_bad_label_id_is_located(tmp_path):
    folder = tmp_path / "dp"
    folder.mkdir()
    for name in ("train.csv", "val.csv", "test.csv"):
        (folder / name).write_text("text\tlabel_id\nВопрос\t0\n", encoding="utf-8")
    (folder / "val.csv").write_text("text\tlabel_id\nВопрос два\tмузыка\n", encoding="utf-8")
    with pytest.raises(RawDataError, match=r"val.csv, line 2: bad label_id: record 'validation-2' has"):
        export_dataset(folder, tmp_path / "out")


# ---- atomic output and the command line ------------------------------------------------------------------

def test_export_never_leaves_a_partial_directory(tmp_path, monkeypatch):
    import ruqtopics_kit.dataset.export as hub_export

    def broken_card(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(hub_export, "_write_card", broken_card)
    with pytest.raises(RuntimeError, match="disk full"):
        export_dataset(raw_dir(tmp_path), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_export_refuses_to_overwrite_unless_asked(tmp_path, capsys):
    folder, out = raw_dir(tmp_path), tmp_path / "out"
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(out)]) == 0
    (out / "marker").write_text("old")
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and (out / "marker").exists()
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(out),
                           "--overwrite-output-dir"]) == 0
    assert not (out / "marker").exists() and (out / "README.md").exists()


def test_export_cli_reports_bad_input_without_traceback(tmp_path, capsys):
    folder = bad_line(tmp_path, "not json\n")
    assert ruqtopics.main(["export", "--data-dir", str(folder), "--output-dir", str(tmp_path / "out")]) == 1
    assert "train.jsonl, line 4: not valid JSON" in capsys.readouterr().err


# ---- --push against an in-process fake Hub ----------------------------------------------------------------

def test_push_uploads_the_repository_through_huggingface_hub(tmp_path, fake_hub, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.fake")
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token_123")
    out = tmp_path / "out"
    args = ["export", "--data-dir", str(raw_dir(tmp_path)), "--output-dir", str(out), "--push-to-hub",
            "--hub-dataset-id", "org/ruqtopics"]
    fake_hub.fail_next_commits = 1
    assert ruqtopics.main(args) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]  # one line, no traceback
    assert error.startswith(f"ruqtopics export: error: uploading {out} to org/ruqtopics failed: ") and "500" in error
    assert "uploading it again retries" in error and "add --overwrite-output-dir" in error
    local = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert fake_hub.files("org/ruqtopics", "dataset") == set() and "README.md" in local  # nothing lost

    assert ruqtopics.main(args[:-3] + ["--overwrite-output-dir"] + args[-3:]) == 0
    assert fake_hub.files("org/ruqtopics", "dataset") == local
    pushed_card = fake_hub.repo_dir("org/ruqtopics", "dataset") / "README.md"
    assert pushed_card.read_bytes() == (out / "README.md").read_bytes()
    assert "Bearer hf_not_a_real_token_123" in fake_hub.authorization_headers
    output = capsys.readouterr()
    assert "hf_not_a_real_token_123" not in output.out + output.err
    loaded = datasets.load_dataset(str(fake_hub.repo_dir("org/ruqtopics", "dataset")), "multi_label")
    assert set(loaded) == {"train", "validation", "test"}
    assert loaded["test"]["labels"] == [[TOPICS.id_of("кино"), TOPICS.id_of("сериалы"), TOPICS.id_of("тв")]]


def test_push_needs_a_repo_id(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ruqtopics.main(["export", "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "y"), "--push-to-hub"])
    assert exit_info.value.code == 2
    assert "--push-to-hub needs --hub-dataset-id ORG/NAME" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()


def test_builder_needs_raw_data(tmp_path):
    with pytest.raises(ValueError, match="RuQTopics needs raw data"):
        RuQTopics(config_name="single_label", cache_dir=str(tmp_path)).download_and_prepare()


@pytest.mark.parametrize("batch_size", [2, 10_000])
def test_duplicates_are_found_within_and_across_batches(tmp_path, monkeypatch, batch_size):
    import ruqtopics_kit.dataset.raw as raw

    monkeypatch.setattr(raw, "BATCH_SIZE", batch_size)
    records = [{"id": f"r{i}", "question": f"Вопрос {i}", "answer": "", "labels": ["музыка"]} for i in range(7)]
    folder = raw_dir(tmp_path, train=records + [dict(records[1], question="Другой вопрос")])
    with pytest.raises(RawDataError, match=r"train.jsonl, line 8: duplicate id 'r1', first seen at train.jsonl:2"):
        export_dataset(folder, tmp_path / "out")
    folder = raw_dir(tmp_path, train=records, test=[dict(records[5], id="99")])
    with pytest.raises(RawDataError, match=r"test.jsonl, line 1: record '99' is in split 'test' but its question "
                                           r"text is also in split 'train' at train.jsonl:6"):
        export_dataset(folder, tmp_path / "out")


def test_large_splits_are_sharded_like_push_to_hub(sample_dir, tmp_path, monkeypatch):
    import ruqtopics_kit.dataset.export as hub_export
    import ruqtopics_kit.dataset.raw as raw

    monkeypatch.setattr(raw, "BATCH_SIZE", 200)
    monkeypatch.setattr(hub_export, "ROW_GROUP_BYTES", 50_000)
    export_dataset(sample_dir, tmp_path / "out", max_shard_size=400_000)
    shards = sorted(p.name for p in (tmp_path / "out" / "single_label").iterdir())
    count = len([name for name in shards if name.startswith("train-")])
    assert count > 1 and f"train-00000-of-{count:05d}.parquet" in shards
    assert not [name for name in shards if name.startswith(".")]
    single = datasets.load_dataset(str(tmp_path / "out"), "single_label")
    builder = RuQTopics(config_name="single_label", data_dir=str(sample_dir), cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare()
    assert single["train"].to_list() == builder.as_dataset(split="train").to_list()
