"""MASSIVE's official release: the archive `amazon-massive-dataset-<version>.tar.gz` (members
`<version>/data/<locale>.jsonl`, scenario and intent as names) and the folder it extracts to.

The archive is read as a stream, member by member; nothing is extracted, so no member path reaches the file
system, and members not named `<version>/data/<locale>.jsonl` are ignored; a member of that name that is a link or
a folder is an error (a locale is never left out without a word), and so is an archive without any such member
(the error names the locale files it has instead). In a folder, a locale file that is a link to nothing or a
folder is an error, and so are compressed locale files (`ru-RU.jsonl.gz`: the kit reads plain ones). A locale
file named in another case (`ru-RU.JSONL`), in the archive or the folder, is an error, not a file left out. Records of
the MMNLU-22 held-out set (no labels) are skipped and counted; an empty utterance is an error.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ruqtopics_kit.core.jsonio import unencodable_text
from ruqtopics_kit.massive.records import (
    HELD_OUT_PARTITION,
    SPLITS,
    MassiveDataError,
    MassiveRecord,
    MassiveSplit,
    check_scenario,
    first_few,
    json_objects,
    known_locale,
    select_locales,
)

LOCALE_PATTERN = r"[a-z]{2,3}-[A-Za-z]{2,4}"
VERSION_PATTERN = r"\d+(?:\.\d+)*"
ARCHIVE_MEMBER = re.compile(rf"(?:\./)?(?P<version>{VERSION_PATTERN})/data/(?P<locale>{LOCALE_PATTERN})\.jsonl")
OFFICIAL_FIELDS = ("id", "locale", "partition", "scenario", "intent", "utt")
LOCALE_FILE = re.compile(rf"{LOCALE_PATTERN}\.jsonl")
MISNAMED = ("differs only in case from MASSIVE's names (<version>/data/<locale>.jsonl, such as 1.1/data/ru-RU.jsonl): "
            "rename it, or remove it if it repeats a locale")


def misnamed(name: str, pattern: re.Pattern = LOCALE_FILE) -> bool:
    """A locale file's name (or archive member's path) in another case (`ru-RU.JSONL`, `RU-RU.jsonl`): an error,
    where reading only the exact name would leave the file out without a word, or read one of two copies."""
    return pattern.fullmatch(name) is None and pattern.fullmatch(name.lower()) is not None


def _version_of(name: str) -> str | None:
    return name if re.fullmatch(VERSION_PATTERN, name) else None


def _official_records(lines: Iterable[bytes], where: str, locale: str, split: str) -> tuple[list[MassiveRecord], int]:
    """The records of `split` in one `<locale>.jsonl`, and the number of MMNLU-22 records skipped.

    An id is unique in its locale's file (whatever the partition): a repeated one is an error, not counted twice.
    """
    records, held_out, first_line = [], 0, {}
    for number, row in json_objects(lines, where):
        if row.get("partition") == HELD_OUT_PARTITION:
            held_out += 1
            continue
        try:
            record = _official_record(row, locale)
        except ValueError as error:
            raise MassiveDataError(f"{where}, line {number}", str(error)) from None
        if record.id in first_line:
            raise MassiveDataError(f"{where}, line {number}", f"duplicate id {record.id!r}, first seen on line "
                                                             f"{first_line[record.id]}")
        first_line[record.id] = number
        if record.partition == split:
            records.append(record)
    if not records:
        raise MassiveDataError(where, f"holds no {split!r} records")
    return records, held_out


def _official_record(row: dict, locale: str) -> MassiveRecord:
    missing = [key for key in OFFICIAL_FIELDS if not isinstance(row.get(key), str)]
    if missing:
        raise ValueError(f"missing or non-string field(s) {', '.join(missing)}")
    if row["locale"] != locale:
        raise ValueError(f"a record of locale {row['locale']!r} in the file of {locale!r}")
    if row["partition"] not in SPLITS:
        raise ValueError(f"unknown partition {row['partition']!r}; expected one of {', '.join(SPLITS)} "
                         f"or {HELD_OUT_PARTITION}")
    problem = unencodable_text({key: row[key] for key in OFFICIAL_FIELDS})
    if problem:
        raise ValueError(problem)
    if not row["utt"].strip():
        raise ValueError(f"record {row['id']!r} has an empty utterance (it would be scored as a guess)")
    return MassiveRecord(row["id"], locale, row["partition"], check_scenario(row["scenario"]), row["intent"],
                         row["utt"])


def _official_split(source: str, kind: str, version: str | None, split: str,
                    parsed: dict[str, tuple[list[MassiveRecord], int]]) -> MassiveSplit:
    return MassiveSplit(source=source, kind=kind, version=version, split=split,
                        records={code: records for code, (records, _) in sorted(parsed.items())},
                        held_out=Counter({code: skipped for code, (_, skipped) in parsed.items() if skipped}))


def read_archive(path: Path, split: str, wanted: list[str] | None) -> MassiveSplit:
    parsed, present, versions, near_misses = {}, [], set(), []
    try:
        with tarfile.open(path, mode="r|*") as archive:  # a stream: one pass, nothing extracted
            for member in archive:
                match = ARCHIVE_MEMBER.fullmatch(member.name)
                if not match:
                    if misnamed(member.name, ARCHIVE_MEMBER):
                        raise MassiveDataError(f"{path}:{member.name}", MISNAMED)
                    if re.search(r"\.jsonl(\.\w+)?$", member.name):
                        near_misses.append(member.name)
                    continue
                where = f"{path}:{member.name}"
                if not member.isfile():
                    kind = f"a link to {member.linkname}" if member.issym() or member.islnk() else "not a file"
                    raise MassiveDataError(where, f"is {kind}: MASSIVE archives hold their locale files as plain "
                                                  f"files (repack it with the files themselves)")
                locale = known_locale(match["locale"], where)
                if locale in present:
                    raise MassiveDataError(where, f"{path.name} holds locale {locale} twice")
                present.append(locale)
                versions.add(match["version"])
                if wanted is None or locale in wanted:
                    parsed[locale] = _official_records(archive.extractfile(member), where, locale, split)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise MassiveDataError(str(path), f"is not a readable MASSIVE archive (a .tar.gz holding "
                                          f"<version>/data/<locale>.jsonl): {error}") from None
    if len(versions) > 1:
        raise MassiveDataError(str(path), f"holds several MASSIVE releases ({', '.join(sorted(versions))})")
    if not present and near_misses:
        raise MassiveDataError(str(path), f"holds no <version>/data/<locale>.jsonl member; it holds "
                                          f"{first_few(near_misses)}")
    select_locales(present, wanted, str(path))
    return _official_split(str(path), "official archive", versions.pop() if versions else None, split, parsed)


# ---- the extracted folder ------------------------------------------------------------------------------------

def locale_files(folder: Path) -> list[Path]:
    """The `<locale>.jsonl` files of `folder`; a compressed one, or one that is no readable file, is an error."""
    compressed = sorted(p.name for p in folder.glob("*.jsonl.*") if re.fullmatch(LOCALE_PATTERN, p.name.split(".")[0]))
    if compressed:
        raise MassiveDataError(str(folder / compressed[0]), "is compressed: the kit reads plain <locale>.jsonl "
                                                            "files; decompress it (and its siblings) first")
    wrongly_named = sorted(p for p in folder.glob("*") if misnamed(p.name))
    if wrongly_named:
        raise MassiveDataError(str(wrongly_named[0]), MISNAMED)
    files = sorted(p for p in folder.glob("*.jsonl") if LOCALE_FILE.fullmatch(p.name))
    for path in files:
        if not path.is_file():
            what = "a folder" if path.is_dir() else f"a link to {path.readlink()}, which does not exist" \
                if path.is_symlink() else "not a regular file"
            raise MassiveDataError(str(path), f"is {what}, not a locale file")
    return files


def official_data_dir(root: Path) -> Path | None:
    """The folder of `<locale>.jsonl` files: `root` itself, `root/data` or the one `root/<version>/data`."""
    for candidate in (root, root / "data"):
        if locale_files(candidate):
            return candidate
    releases = sorted(d for d in root.glob("*/data") if _version_of(d.parent.name) and locale_files(d))
    if len(releases) > 1:
        raise MassiveDataError(str(root), f"holds several MASSIVE releases "
                                          f"({', '.join(d.parent.name for d in releases)}); pass one of them")
    return releases[0] if releases else None


def read_official_folder(data_dir: Path, split: str, wanted: list[str] | None, *, source: str) -> MassiveSplit:
    files = {known_locale(p.stem, str(p)): p for p in locale_files(data_dir)}
    parsed = {}
    for locale in select_locales(files, wanted, str(data_dir)):
        with open(files[locale], "rb") as handle:
            parsed[locale] = _official_records(handle, str(files[locale]), locale, split)
    version = _version_of(data_dir.parent.name if data_dir.name == "data" else data_dir.name)
    return _official_split(source, "official folder", version, split, parsed)


