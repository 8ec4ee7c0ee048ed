"""MASSIVE readers: every accepted copy yields the same records; bad copies fail naming what and where."""

import gzip
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from checkout import ROOT
from fixtures.massive.builders import (
    archive_with,
    expected_records,
    line,
    official_rows,
    write_amazon_science_copy,
    write_mteb_copy,
    write_official_folder,
)

from ruqtopics_kit.massive import MassiveDataError, read_massive, readers
from ruqtopics_kit.massive.hub_copies import AMAZON_SCIENCE, HUB_REVISION, MTEB

SAMPLE = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"
SAMPLE_LOCALES = ["de-DE", "en-US", "ja-JP", "pl-PL", "ru-RU", "sw-KE"]


@pytest.fixture(scope="module")
def rows():
    return official_rows(SAMPLE)


@pytest.fixture(scope="module")
def copies(rows, tmp_path_factory):
    """The bundled sample in every layout the readers accept."""
    base = tmp_path_factory.mktemp("massive_copies")
    extracted = write_official_folder(SAMPLE, base / "extracted")
    return {"archive": SAMPLE, "folder": extracted, "version folder": extracted / "1.1",
            "data folder": extracted / "1.1" / "data",
            "AmazonScience parquet": write_amazon_science_copy(rows, base / "amazon_science"),
            "mteb parquet": write_mteb_copy(rows, base / "mteb_parquet"),
            "mteb jsonl": write_mteb_copy(rows, base / "mteb_jsonl", file_format="jsonl")}


# ---- the same records from every copy ---------------------------------------------------------------------

@pytest.mark.parametrize("copy", ["archive", "folder", "version folder", "data folder", "AmazonScience parquet",
                                  "mteb parquet", "mteb jsonl"])
@pytest.mark.parametrize("split", ["test", "dev"])
def test_every_copy_yields_the_same_records(copies, rows, copy, split):
    massive = read_massive(copies[copy], split=split)
    got = {locale: sorted(records) for locale, records in massive.records.items()}
    expected = expected_records(rows, split)
    if copy.startswith("mteb"):  # scenarios only: compare without the intent
        expected = {loc: [r[:4] + (None,) + r[5:] for r in records] for loc, records in expected.items()}
    assert got == expected
    assert massive.locales == SAMPLE_LOCALES and massive.split == split


@pytest.mark.parametrize("copy, kind, version, has_intents", [
    ("archive", "official archive", "1.1", True), ("folder", "official folder", "1.1", True),
    ("data folder", "official folder", "1.1", True), ("AmazonScience parquet", AMAZON_SCIENCE, "1.1", True),
    ("mteb parquet", MTEB, "1.0", False)])
def test_each_copy_says_what_it_is(copies, copy, kind, version, has_intents):
    massive = read_massive(copies[copy], locales=["ru-RU"])
    assert (massive.kind, massive.version, massive.has_intents) == (kind, version, has_intents)


def test_mmnlu22_records_are_skipped_and_counted(copies):
    massive = read_massive(copies["archive"])
    assert massive.held_out == {locale: 2 for locale in SAMPLE_LOCALES}
    assert all(r.partition == "test" and r.scenario for records in massive.records.values() for r in records)


def test_requested_locales_only_in_sorted_order(copies):
    for copy in ("archive", "AmazonScience parquet"):
        assert read_massive(copies[copy], locales=["ru-RU", "en-US", "ru-RU"]).locales == ["en-US", "ru-RU"]


def test_classlabel_integers_are_mapped_by_the_names_in_the_parquet_metadata(copies):
    path = copies["AmazonScience parquet"] / "ru-RU" / "test" / "0000.parquet"
    schema = pq.read_schema(path)
    assert pa.types.is_integer(schema.field("scenario").type)
    names = json.loads(schema.metadata[b"huggingface"])["info"]["features"]["scenario"]["names"]
    assert names != sorted(names)  # shuffled, so that positional decoding would be wrong
    assert {r.scenario for r in read_massive(path.parents[2], locales=["ru-RU"]).records["ru-RU"]} >= {"music"}


def test_a_hub_id_downloads_the_requested_parquet_files(copies, tmp_path, monkeypatch):
    calls = []

    def fake_snapshot_download(repo_id, *, repo_type, revision, allow_patterns):
        calls.append((repo_id, repo_type, revision, allow_patterns))
        snapshot = tmp_path / "snapshots" / "0123abcd"
        for source in copies["AmazonScience parquet"].rglob("*.parquet"):
            relative = source.relative_to(copies["AmazonScience parquet"])
            if any(Path(relative).match(pattern) for pattern in allow_patterns):
                (snapshot / relative).parent.mkdir(parents=True, exist_ok=True)
                (snapshot / relative).write_bytes(source.read_bytes())
        return str(snapshot)

    monkeypatch.setattr("huggingface_hub.snapshot_download", fake_snapshot_download)
    massive = read_massive("AmazonScience/massive", split="dev", locales=["ru-RU", "en-US"])
    [(repo_id, repo_type, revision, patterns)] = calls
    assert (repo_id, repo_type, revision) == ("AmazonScience/massive", "dataset", HUB_REVISION)
    assert set(patterns) == {"ru-RU/validation/*.parquet", "ru/validation/*.parquet", "en-US/validation/*.parquet",
                             "en/validation/*.parquet"}
    assert massive.locales == ["en-US", "ru-RU"] and massive.revision == "0123abcd"
    assert massive.kind == AMAZON_SCIENCE and all(r.partition == "dev" for r in massive.records["ru-RU"])


def test_a_hub_id_that_cannot_be_downloaded_is_a_clear_error():
    with pytest.raises(MassiveDataError, match=r"mteb/amazon_massive_scenario: cannot be downloaded .*local copy"):
        read_massive("mteb/amazon_massive_scenario", locales=["ru-RU"])  # HF_HUB_OFFLINE=1, nothing cached


def test_mteb_subset_and_locale_folders_both_work_and_the_code_wins(rows, tmp_path):
    root = write_mteb_copy({"ru-RU": rows["ru-RU"]}, tmp_path)
    (root / "ru").rename(root / "ru-RU")
    write_mteb_copy({"ru-RU": rows["ru-RU"][:5]}, tmp_path)  # a stale short-name copy beside it
    assert len(read_massive(root, split="train").records["ru-RU"]) == 72


# ---- bad input ---------------------------------------------------------------------------------------------

def test_a_locale_missing_from_the_archive_names_what_the_archive_has(copies):
    with pytest.raises(MassiveDataError, match=r"amazon-massive-dataset-1.1.tar.gz: has no locale fr-FR, it-IT; "
                                               r"it has de-DE, en-US, ja-JP, pl-PL, ru-RU, sw-KE"):
        read_massive(copies["archive"], locales=["ru-RU", "fr-FR", "it-IT"])


@pytest.mark.parametrize("copy", ["folder", "AmazonScience parquet"])
def test_a_locale_missing_from_a_folder_is_an_error_too(copies, copy):
    with pytest.raises(MassiveDataError, match="has no locale fr-FR"):
        read_massive(copies[copy], locales=["fr-FR"])


def test_an_unknown_locale_code_is_an_error_listing_the_real_ones():
    with pytest.raises(ValueError, match=r"unknown MASSIVE locale\(s\) 'ru-Ru', 'sl-SI'; MASSIVE 1.1 has af-ZA"):
        read_massive(SAMPLE, locales=["ru-Ru", "sl-SI"])


@pytest.mark.parametrize("damage", ["truncated", "not gzip"])
def test_a_corrupt_archive_is_an_error_naming_it(tmp_path, damage):
    path = tmp_path / "amazon-massive-dataset-1.1.tar.gz"
    data = SAMPLE.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"this is not an archive" * 100)
    with pytest.raises(MassiveDataError, match=rf"{path}: is not a readable MASSIVE archive"):
        read_massive(path)


def test_a_line_that_is_not_json_names_the_member_and_line(tmp_path):
    path = archive_with(tmp_path / "massive.tar.gz",
                        {"1.1/data/ru-RU.jsonl": line(id="1") + line(id="2") + '{"id": "3", "utt": \n'})
    with pytest.raises(MassiveDataError, match=r"massive.tar.gz:1.1/data/ru-RU.jsonl, line 3: not valid JSON"):
        read_massive(path)


def test_a_line_that_is_not_json_in_a_folder_names_the_file_and_line(tmp_path):
    data = tmp_path / "1.0" / "data"
    data.mkdir(parents=True)
    (data / "en-US.jsonl").write_text(line(locale="en-US") + "[1, 2]\n", encoding="utf-8")
    with pytest.raises(MassiveDataError, match=r"1.0/data/en-US.jsonl, line 2: expected a JSON object, got list"):
        read_massive(tmp_path)


def test_an_unknown_scenario_is_named_with_its_line(tmp_path):
    path = archive_with(tmp_path / "massive.tar.gz",
                        {"1.1/data/ru-RU.jsonl": line() + line(scenario="shopping", intent="shopping_buy")})
    with pytest.raises(MassiveDataError, match=r"ru-RU.jsonl, line 2: unknown scenario 'shopping'; MASSIVE's 18 "
                                               r"scenarios are alarm, audio"):
        read_massive(path)


def test_an_unknown_scenario_in_a_hub_copy_is_named_with_its_row(rows, tmp_path):
    records = [dict(r) for r in rows["ru-RU"]]
    records[3]["scenario"] = "shopping"
    root = write_mteb_copy({"ru-RU": records}, tmp_path)
    with pytest.raises(MassiveDataError, match=r"ru/test/0000.parquet, row 4: unknown scenario 'shopping'"):
        read_massive(root)


@pytest.mark.parametrize("fields, problem", [
    ({"locale": "en-US"}, "a record of locale 'en-US' in the file of 'ru-RU'"),
    ({"partition": "validation"}, "unknown partition 'validation'"),
    ({"utt": None}, r"missing or non-string field\(s\) utt")])
def test_malformed_records_are_named(tmp_path, fields, problem):
    path = archive_with(tmp_path / "massive.tar.gz", {"1.1/data/ru-RU.jsonl": line(**fields)})
    with pytest.raises(MassiveDataError, match=rf"ru-RU.jsonl, line 1: {problem}"):
        read_massive(path)


def test_classlabel_integers_without_names_cannot_be_mapped(tmp_path):
    path = tmp_path / "ru-RU" / "test" / "0000.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({"id": ["1"], "scenario": [3], "intent": [7], "utt": ["включи песню"]}), path)
    with pytest.raises(MassiveDataError, match=r"column 'scenario' holds integers but the file carries no "
                                               r"ClassLabel names"):
        read_massive(tmp_path)


def test_a_hub_copy_without_the_split_says_which_splits_it_has(rows, tmp_path):
    root = write_mteb_copy({"ru-RU": [r for r in rows["ru-RU"] if r["partition"] == "train"]}, tmp_path)
    with pytest.raises(MassiveDataError, match=r"has no 'test' files .*; it has train"):
        read_massive(root)


def test_a_folder_with_no_copy_of_massive_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(MassiveDataError, match="holds no copy of MASSIVE"):
        read_massive(tmp_path)


def test_a_source_that_is_neither_file_folder_nor_hub_id():
    with pytest.raises(FileNotFoundError, match="neither a file, a folder nor a Hub dataset id"):
        read_massive("no/such/place")


def test_an_archive_with_two_releases_is_an_error(tmp_path):
    path = archive_with(tmp_path / "massive.tar.gz", {"1.0/data/ru-RU.jsonl": line(),
                                                      "1.1/data/en-US.jsonl": line(locale="en-US")})
    with pytest.raises(MassiveDataError, match=r"holds several MASSIVE releases \(1.0, 1.1\)"):
        read_massive(path)


def test_unsafe_members_are_never_followed_or_written(tmp_path, monkeypatch):
    """Nothing is extracted: traversal names, absolute names and links are ignored, and no file appears."""
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "outside"
    outside.write_text("secret\n")
    path = archive_with(tmp_path / "evil.tar.gz",
                        {"1.1/data/ru-RU.jsonl": line(), "../evil.jsonl": line(), "/tmp/evil-massive.jsonl": line(),
                         "1.1/data/../../evil.jsonl": line()})
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    massive = read_massive(path)
    assert massive.locales == ["ru-RU"]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not Path("/tmp/evil-massive.jsonl").exists()


def test_a_locale_member_that_is_a_link_is_an_error_never_followed(tmp_path, monkeypatch):
    """A link named as a locale file would silently leave its locale out: it is named instead, and not followed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outside").write_text("secret\n")
    path = archive_with(tmp_path / "evil.tar.gz", {"1.1/data/ru-RU.jsonl": line()},
                        links={"1.1/data/fr-FR.jsonl": "../../outside"})
    with pytest.raises(MassiveDataError, match=r"evil.tar.gz:1.1/data/fr-FR.jsonl: is a link to ../../outside: "
                                                r"MASSIVE archives hold their locale files as plain files"):
        read_massive(path)


def test_an_archive_of_a_near_miss_layout_names_what_it_holds(tmp_path):
    path = archive_with(tmp_path / "massive.tar.gz", {"massive/ru-RU.jsonl": line(), "massive/en-US.jsonl": line()})
    with pytest.raises(MassiveDataError, match=r"holds no <version>/data/<locale>.jsonl member; it holds "
                                                r"massive/ru-RU.jsonl, massive/en-US.jsonl"):
        read_massive(path)


def test_a_folder_of_a_near_miss_layout_names_what_it_holds(tmp_path):
    (tmp_path / "Data").mkdir()
    for locale in ("ru-RU", "en-US"):
        (tmp_path / "Data" / f"{locale}.jsonl").write_text(line(locale=locale), encoding="utf-8")
    with pytest.raises(MassiveDataError, match=r"holds no copy of MASSIVE: .*; it holds Data/en-US.jsonl, "
                                                r"Data/ru-RU.jsonl$"):
        read_massive(tmp_path)


@pytest.mark.parametrize("source", ["./massive.tar.gz", "data/amazon-massive-dataset-1.1.tar.gz", "~/massive"])
def test_a_missing_path_is_named_as_such_never_looked_up_on_the_hub(source, monkeypatch):
    monkeypatch.setattr(readers, "download_hub_copy", lambda *_: pytest.fail("looked up on the Hub"))
    with pytest.raises(FileNotFoundError, match=rf"massive source '{re.escape(source)}' does not exist"):
        read_massive(source)


def test_folder_locale_files_that_are_compressed_links_or_folders_are_named(tmp_path):
    data = tmp_path / "1.1" / "data"
    data.mkdir(parents=True)
    (data / "en-US.jsonl").write_text(line(locale="en-US"), encoding="utf-8")
    (data / "ru-RU.jsonl.gz").write_bytes(gzip.compress(line().encode()))
    with pytest.raises(MassiveDataError, match=r"ru-RU.jsonl.gz: is compressed: the kit reads plain"):
        read_massive(tmp_path)
    (data / "ru-RU.jsonl.gz").unlink()
    (data / "ru-RU.jsonl").symlink_to(tmp_path / "gone.jsonl")
    with pytest.raises(MassiveDataError, match=r"ru-RU.jsonl: is a link to .*gone.jsonl, which does not exist"):
        read_massive(tmp_path)
    (data / "ru-RU.jsonl").unlink()
    (data / "ru-RU.jsonl").mkdir()
    with pytest.raises(MassiveDataError, match=r"ru-RU.jsonl: is a folder, not a locale file"):
        read_massive(tmp_path)


@pytest.mark.parametrize("other", ["ru-RU.JSONL", "RU-RU.jsonl", "ru-RU.Jsonl"])
def test_a_locale_file_named_in_another_case_is_named_not_left_out(tmp_path, other):
    """Beside ru-RU.jsonl (a second copy of the locale) or alone, in a folder or an archive."""
    data = tmp_path / "1.1" / "data"
    data.mkdir(parents=True)
    (data / "ru-RU.jsonl").write_text(line(), encoding="utf-8")
    (data / other).write_text(line(id="2"), encoding="utf-8")
    misnamed = rf"{re.escape(other)}: differs only in case from MASSIVE's names \(<version>/data/<locale>.jsonl, "
    with pytest.raises(MassiveDataError, match=misnamed):
        read_massive(tmp_path)
    (data / "ru-RU.jsonl").unlink()
    with pytest.raises(MassiveDataError, match=misnamed):
        read_massive(tmp_path)
    archive = archive_with(tmp_path / "massive.tar.gz", {"1.1/data/ru-RU.jsonl": line(),
                                                         f"1.1/data/{other}": line(id="2")})
    with pytest.raises(MassiveDataError, match=rf"massive.tar.gz:1.1/data/{misnamed}"):
        read_massive(archive)
    archive = archive_with(tmp_path / "folder.tar.gz", {"1.1/data/ru-RU.jsonl": line(), "1.1/Data/ru-RU.jsonl": line()})
    with pytest.raises(MassiveDataError, match=r"folder.tar.gz:1.1/Data/ru-RU.jsonl: differs only in case"):
        read_massive(archive)


def test_an_empty_utterance_is_an_error(tmp_path):
    path = archive_with(tmp_path / "massive.tar.gz", {"1.1/data/ru-RU.jsonl": line() + line(id="2", utt="  ")})
    with pytest.raises(MassiveDataError, match=r"ru-RU.jsonl, line 2: record '2' has an empty utterance"):
        read_massive(path)
