"""Readers for every copy of MASSIVE the kit accepts; `read_massive` tells which one it was given.

- official archive `amazon-massive-dataset-<version>.tar.gz`: members `<version>/data/<locale>.jsonl`, with
  scenario and intent as names;
- official folder: the extracted `<version>/data/<locale>.jsonl`; pass the folder holding `<version>/`, the
  version folder or `data/`;
- AmazonScience/massive: `<locale>/<split>/*.parquet`, scenario and intent as ClassLabel integers whose names are in
  the Parquet schema metadata `huggingface`;
- mteb/amazon_massive_scenario: `<subset>/<split>/*.parquet` or `<subset>/<split>.jsonl`, `label` the scenario name.

The Hub copies' layout is that of their `refs/convert/parquet` branch (the Hub's own Parquet conversion, the
only Parquet `AmazonScience/massive` has since loading scripts were dropped); a Hub id downloads the files of the
requested locales and split from that branch into the Hugging Face cache and reads them as a folder. On the Hub
`<split>` is `train`, `validation` or `test` (MASSIVE's `dev` is `validation`), and `<subset>` is the locale code or
mteb's short name (`ru`, `zh-CN`; the code wins if both exist). Which copy a folder holds is told by its columns:
`utt` and `scenario` (AmazonScience/massive) or `text` and `label` (mteb). Their MASSIVE release is not in the
files: AmazonScience/massive was built from 1.1 (it has ca-ES), mteb/amazon_massive_scenario from 1.0 (51 locales).

The archive is read as a stream, member by member; nothing is extracted, so no member path reaches the file
system, and members not named `<version>/data/<locale>.jsonl` are ignored; a member of that name that is a link or
a folder is an error (a locale is never left out without a word), and so is an archive without any such member
(the error names the locale files it has instead). In a folder, a locale file that is a link to nothing or a
folder is an error, and so are compressed locale files (`ru-RU.jsonl.gz`: the kit reads plain ones). Records of
the MMNLU-22 held-out set (no labels) are skipped and counted; an empty utterance is an error.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ruqtopics_kit.core.errors import check_choice
from ruqtopics_kit.core.jsonio import parse_object, unencodable, unencodable_text
from ruqtopics_kit.facts.massive import SCENARIOS
from ruqtopics_kit.massive.locales import check_locales, locale_of_subset, massive_locales, subset_names
from ruqtopics_kit.massive.records import (
    HELD_OUT_PARTITION,
    HUB_SPLITS,
    SPLITS,
    MassiveDataError,
    MassiveRecord,
    MassiveSplit,
)

LOCALE_PATTERN = r"[a-z]{2,3}-[A-Za-z]{2,4}"
VERSION_PATTERN = r"\d+(?:\.\d+)*"
ARCHIVE_MEMBER = re.compile(rf"(?:\./)?(?P<version>{VERSION_PATTERN})/data/(?P<locale>{LOCALE_PATTERN})\.jsonl")
HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")
HUB_REVISION = "refs/convert/parquet"
AMAZON_SCIENCE, MTEB = "AmazonScience/massive", "mteb/amazon_massive_scenario"
HUB_COPY_VERSIONS = {AMAZON_SCIENCE: "1.1", MTEB: "1.0"}
HUB_COPY_COLUMNS = {AMAZON_SCIENCE: {"id", "scenario", "intent", "utt"}, MTEB: {"id", "label", "text"}}
OFFICIAL_FIELDS = ("id", "locale", "partition", "scenario", "intent", "utt")


def read_massive(source: str | Path, *, split: str = "test", locales: Sequence[str] | None = None) -> MassiveSplit:
    """The `split` of `locales` (None: every locale the copy has) from a copy of MASSIVE.

    `source` is an official archive, a folder (official or Hub-copy layout) or a Hub dataset id.
    """
    check_choice("split", split, SPLITS)
    wanted = None if locales is None else check_locales(list(locales))
    path = Path(source)
    if path.is_file():
        return _read_archive(path, split, wanted)
    if path.is_dir():
        return _read_folder(path, split, wanted, source=str(source))
    if HUB_ID.fullmatch(str(source)):
        folder = _download(str(source), split, wanted)
        massive = _read_hub_copy(folder, split, wanted, source=str(source))
        massive.revision = folder.name
        return massive
    raise FileNotFoundError(f"massive source {str(source)!r} is neither a file, a folder nor a Hub dataset id "
                            f"(owner/name)")


# ---- selection and validation shared by every reader -----------------------------------------------------------

def _selected(present: Iterable[str], wanted: list[str] | None, where: str) -> list[str]:
    """The locales to read: `wanted`, each of which must be present, or every present one."""
    present = sorted(present)
    if wanted is None:
        if not present:
            raise MassiveDataError(where, "holds no MASSIVE locale")
        return present
    missing = [code for code in wanted if code not in present]
    if missing:
        raise MassiveDataError(where, f"has no locale {', '.join(missing)}; it has {', '.join(present) or 'none'}")
    return wanted


def _known_locale(code: str, where: str) -> str:
    if code not in massive_locales():
        raise MassiveDataError(where, f"unknown locale {code!r}; MASSIVE 1.1 has {', '.join(massive_locales())}")
    return code


def _check_scenario(scenario: object) -> str:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; MASSIVE's 18 scenarios are {', '.join(SCENARIOS)}")
    return scenario


def _version_of(name: str) -> str | None:
    return name if re.fullmatch(VERSION_PATTERN, name) else None


# ---- the official JSON Lines ---------------------------------------------------------------------------------

def _json_objects(lines: Iterable[bytes], where: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-blank line; anything but a JSON object with unique keys is an error
    naming the line, and so is a file without any."""
    found = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = parse_object(line)
        except ValueError as error:
            raise MassiveDataError(f"{where}, line {number}", str(error)) from None
        found = True
        yield number, row
    if not found:
        raise MassiveDataError(where, "holds no records (an empty file)")


def _official_records(lines: Iterable[bytes], where: str, locale: str, split: str) -> tuple[list[MassiveRecord], int]:
    """The records of `split` in one `<locale>.jsonl`, and the number of MMNLU-22 records skipped.

    An id is unique in its locale's file (whatever the partition): a repeated one is an error, not counted twice.
    """
    records, held_out, first_line = [], 0, {}
    for number, row in _json_objects(lines, where):
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
    return MassiveRecord(row["id"], locale, row["partition"], _check_scenario(row["scenario"]), row["intent"],
                         row["utt"])


def _official_split(source: str, kind: str, version: str | None, split: str,
                    parsed: dict[str, tuple[list[MassiveRecord], int]]) -> MassiveSplit:
    return MassiveSplit(source=source, kind=kind, version=version, split=split,
                        records={code: records for code, (records, _) in sorted(parsed.items())},
                        held_out=Counter({code: skipped for code, (_, skipped) in parsed.items() if skipped}))


def _read_archive(path: Path, split: str, wanted: list[str] | None) -> MassiveSplit:
    parsed, present, versions, near_misses = {}, [], set(), []
    try:
        with tarfile.open(path, mode="r|*") as archive:  # a stream: one pass, nothing extracted
            for member in archive:
                match = ARCHIVE_MEMBER.fullmatch(member.name)
                if not match:
                    if re.search(r"\.jsonl(\.\w+)?$", member.name):
                        near_misses.append(member.name)
                    continue
                where = f"{path}:{member.name}"
                if not member.isfile():
                    kind = f"a link to {member.linkname}" if member.issym() or member.islnk() else "not a file"
                    raise MassiveDataError(where, f"is {kind}: MASSIVE archives hold their locale files as plain "
                                                  f"files (repack it with the files themselves)")
                locale = _known_locale(match["locale"], where)
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
                                          f"{', '.join(near_misses[:3])}{', ...' if len(near_misses) > 3 else ''}")
    _selected(present, wanted, str(path))
    return _official_split(str(path), "official archive", versions.pop() if versions else None, split, parsed)


# ---- folders -------------------------------------------------------------------------------------------------

def _read_folder(root: Path, split: str, wanted: list[str] | None, *, source: str) -> MassiveSplit:
    data_dir = _official_data_dir(root)
    if data_dir is not None:
        return _read_official_folder(data_dir, split, wanted, source=source)
    if _hub_copy_files(root):
        return _read_hub_copy(root, split, wanted, source=source)
    raise MassiveDataError(str(root), "holds no copy of MASSIVE: expected <version>/data/<locale>.jsonl (the "
                                      "official release) or <locale>/<split>/*.parquet (a Hub copy)")


def _locale_files(folder: Path) -> list[Path]:
    """The `<locale>.jsonl` files of `folder`; a compressed one, or one that is no readable file, is an error."""
    compressed = sorted(p.name for p in folder.glob("*.jsonl.*") if re.fullmatch(LOCALE_PATTERN, p.name.split(".")[0]))
    if compressed:
        raise MassiveDataError(str(folder / compressed[0]), "is compressed: the kit reads plain <locale>.jsonl "
                                                            "files; decompress it (and its siblings) first")
    files = sorted(p for p in folder.glob("*.jsonl") if re.fullmatch(LOCALE_PATTERN, p.stem))
    for path in files:
        if not path.is_file():
            what = "a folder" if path.is_dir() else f"a link to {path.readlink()}, which does not exist" \
                if path.is_symlink() else "not a regular file"
            raise MassiveDataError(str(path), f"is {what}, not a locale file")
    return files


def _official_data_dir(root: Path) -> Path | None:
    """The folder of `<locale>.jsonl` files: `root` itself, `root/data` or the one `root/<version>/data`."""
    for candidate in (root, root / "data"):
        if _locale_files(candidate):
            return candidate
    releases = sorted(d for d in root.glob("*/data") if _version_of(d.parent.name) and _locale_files(d))
    if len(releases) > 1:
        raise MassiveDataError(str(root), f"holds several MASSIVE releases "
                                          f"({', '.join(d.parent.name for d in releases)}); pass one of them")
    return releases[0] if releases else None


def _read_official_folder(data_dir: Path, split: str, wanted: list[str] | None, *, source: str) -> MassiveSplit:
    files = {_known_locale(p.stem, str(p)): p for p in _locale_files(data_dir)}
    parsed = {}
    for locale in _selected(files, wanted, str(data_dir)):
        with open(files[locale], "rb") as handle:
            parsed[locale] = _official_records(handle, str(files[locale]), locale, split)
    version = _version_of(data_dir.parent.name if data_dir.name == "data" else data_dir.name)
    return _official_split(source, "official folder", version, split, parsed)


# ---- Hub copies ----------------------------------------------------------------------------------------------

def _hub_copy_files(root: Path) -> dict[tuple[str, str], list[Path]]:
    """Files by (locale, Hub split): `<subset>/<split>/*.parquet` and `<subset>/<split>.jsonl`.

    Folders that name no locale (such as the `all` config of AmazonScience/massive) are ignored; where a locale
    has both its code and its mteb subset name, the code wins.
    """
    by_subset = defaultdict(list)
    for path in list(root.glob("*/*/*.parquet")) + list(root.glob("*/*.jsonl")):
        subset, split = (path.parent.parent.name, path.parent.name) if path.suffix == ".parquet" else \
            (path.parent.name, path.stem)
        if split in HUB_SPLITS.values() and locale_of_subset(subset):
            by_subset[(subset, split)].append(path)
    files = {}
    code_first = sorted(by_subset, key=lambda key: locale_of_subset(key[0]) != key[0])
    for subset, split in code_first:
        files.setdefault((locale_of_subset(subset), split), sorted(by_subset[(subset, split)]))
    return files


def _read_hub_copy(root: Path, split: str, wanted: list[str] | None, *, source: str) -> MassiveSplit:
    files = _hub_copy_files(root)
    hub_split = HUB_SPLITS[split]
    in_split = {locale: paths for (locale, name), paths in files.items() if name == hub_split}
    if not in_split:
        present = sorted({name for _, name in files})
        raise MassiveDataError(str(root), f"has no {hub_split!r} files (Hub name of MASSIVE's {split!r}); "
                                          f"it has {', '.join(present) or 'none'}")
    kind = _hub_copy_kind(next(iter(in_split.values()))[0])
    records = {}
    for locale in _selected(in_split, wanted, str(root)):
        first_seen: dict[str, str] = {}  # id -> where, over all files of the locale's split
        records[locale] = [record for path in in_split[locale]
                           for record in _hub_copy_records(path, kind, locale, split, first_seen)]
    return MassiveSplit(source=source, kind=kind, version=HUB_COPY_VERSIONS[kind], split=split, records=records,
                        has_intents=kind == AMAZON_SCIENCE)


def _hub_copy_kind(path: Path) -> str:
    columns = set(_columns_of(path))
    for kind, needed in HUB_COPY_COLUMNS.items():
        if needed <= columns:
            return kind
    raise MassiveDataError(str(path), f"has columns {', '.join(sorted(columns))}; expected those of "
                                      f"{AMAZON_SCIENCE} ({', '.join(sorted(HUB_COPY_COLUMNS[AMAZON_SCIENCE]))}) "
                                      f"or {MTEB} ({', '.join(sorted(HUB_COPY_COLUMNS[MTEB]))})")


def _columns_of(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        try:
            return pq.read_schema(path).names
        except (pa.ArrowException, OSError) as error:
            raise MassiveDataError(str(path), f"is not a readable Parquet file ({error})") from None
    with open(path, "rb") as handle:
        return list(next(_json_objects(handle, str(path)), (0, {}))[1])


def _hub_copy_records(path: Path, kind: str, locale: str, split: str,
                      first_seen: dict[str, str]) -> list[MassiveRecord]:
    columns, class_names = _read_columns(path, HUB_COPY_COLUMNS[kind] | {"label_text"})
    missing = HUB_COPY_COLUMNS[kind] - set(columns)
    if missing:
        raise MassiveDataError(str(path), f"lacks column(s) {', '.join(sorted(missing))} of a {kind} copy")
    if kind == AMAZON_SCIENCE:
        scenarios = _names(columns, class_names, "scenario", path)
        intents = _names(columns, class_names, "intent", path)
        texts = columns["utt"]
    else:
        scenarios = _names(columns, class_names, "label", path, fallback="label_text")
        intents, texts = [None] * len(scenarios), columns["text"]
    if not texts:
        raise MassiveDataError(str(path), "holds no records (an empty file)")
    records = []
    for row, (record_id, scenario, intent, text) in enumerate(zip(columns["id"], scenarios, intents, texts), 1):
        try:
            records.append(MassiveRecord(_string("id", record_id), locale, split, _check_scenario(scenario), intent,
                                         _string("utterance", text)))
        except ValueError as error:
            raise MassiveDataError(f"{path}, row {row}", str(error)) from None
        if record_id in first_seen:
            raise MassiveDataError(f"{path}, row {row}", f"duplicate id {record_id!r} in locale {locale}, first "
                                                         f"seen at {first_seen[record_id]}")
        first_seen[record_id] = f"{path.name} row {row}"
    return records


def _string(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is {type(value).__name__}, not a string")
    if not value.strip():
        raise ValueError(f"{name} is empty")
    problem = unencodable(value)
    if problem:
        raise ValueError(f"{name} {problem}")
    return value


def _read_columns(path: Path, wanted: set[str]) -> tuple[dict[str, list], dict[str, list[str]]]:
    """Columns of a Parquet or JSON Lines file as lists, and the ClassLabel names a Parquet file carries."""
    if path.suffix == ".parquet":
        try:
            schema = pq.read_schema(path)
            table = pq.read_table(path, columns=[name for name in schema.names if name in wanted])
        except (pa.ArrowException, OSError) as error:
            raise MassiveDataError(str(path), f"is not a readable Parquet file ({error})") from None
        return {name: table.column(name).to_pylist() for name in table.column_names}, _class_label_names(schema)
    with open(path, "rb") as handle:
        rows = [row for _, row in _json_objects(handle, str(path))]
    present = wanted & {name for row in rows for name in row}
    return {name: [row.get(name) for row in rows] for name in present}, {}


def _class_label_names(schema: pa.Schema) -> dict[str, list[str]]:
    """ClassLabel names by column: the Features that `datasets` wrote into the schema metadata, read back by
    `datasets.Features.from_arrow_schema` (as `datasets`' own Parquet builder does)."""
    from datasets import ClassLabel, Features

    return {name: feature.names for name, feature in Features.from_arrow_schema(schema).items()
            if isinstance(feature, ClassLabel)}


def _names(columns: dict[str, list], class_names: dict[str, list[str]], column: str, path: Path,
           fallback: str | None = None) -> list[str]:
    """A label column as names: strings as they are, ClassLabel integers through the names the file carries."""
    values = columns[column]
    if all(isinstance(value, str) for value in values):
        return values
    if column in class_names:
        names = class_names[column]
        bad = next((row for row, value in enumerate(values, 1) if not (isinstance(value, int) and
                                                                     0 <= value < len(names))), None)
        if bad is not None:
            raise MassiveDataError(f"{path}, row {bad}", f"{column} {values[bad - 1]!r} is not a class id "
                                                         f"(0-{len(names) - 1})")
        return [names[value] for value in values]
    if fallback in columns:
        return _names(columns, class_names, fallback, path)
    raise MassiveDataError(str(path), f"column {column!r} holds integers but the file carries no ClassLabel names "
                                      f"(Parquet schema metadata 'huggingface'), so they cannot be mapped by name")


def _download(repo_id: str, split: str, wanted: list[str] | None) -> Path:
    """The Parquet files of `wanted` (every MASSIVE locale if None) and `split` from a Hub copy, via the cache."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    patterns = [f"{name}/{HUB_SPLITS[split]}/*.parquet" for code in (wanted or massive_locales())
                for name in subset_names(code)]
    try:
        return Path(snapshot_download(repo_id, repo_type="dataset", revision=HUB_REVISION, allow_patterns=patterns))
    except (HfHubHTTPError, OSError) as error:
        raise MassiveDataError(repo_id, f"cannot be downloaded from the Hub's {HUB_REVISION} branch "
                                        f"({type(error).__name__}: {error}); pass a local copy instead") from None
