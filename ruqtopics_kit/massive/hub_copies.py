"""The Hub copies of MASSIVE: AmazonScience/massive (`<locale>/<split>/*.parquet`, scenario and intent as
ClassLabel integers whose names are in the Parquet schema metadata `huggingface`) and mteb/amazon_massive_scenario
(`<subset>/<split>/*.parquet` or `<subset>/<split>.jsonl`, `label` the scenario name).

Their layout is that of their `refs/convert/parquet` branch (the Hub's own Parquet conversion, the only Parquet
`AmazonScience/massive` has since loading scripts were dropped); a Hub id downloads the files of the requested
locales and split from that branch into the Hugging Face cache, then read as a folder. On the Hub `<split>` is
`train`, `validation` or `test` (MASSIVE's `dev` is `validation`), and `<subset>` is the locale code or mteb's short
name (`ru`, `zh-CN`; the code wins if both exist). Which copy a folder holds is told by its columns: `utt` and
`scenario` (AmazonScience/massive) or `text` and `label` (mteb). Their MASSIVE release is not in the files:
AmazonScience/massive was built from 1.1 (it has ca-ES), mteb/amazon_massive_scenario from 1.0 (51 locales).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ruqtopics_kit.core.jsonio import unencodable
from ruqtopics_kit.massive.locales import locale_of_subset, massive_locales, subset_names
from ruqtopics_kit.massive.records import (
    HUB_SPLITS,
    MassiveDataError,
    MassiveRecord,
    MassiveSplit,
    check_scenario,
    json_objects,
    select_locales,
)

HUB_REVISION = "refs/convert/parquet"
AMAZON_SCIENCE, MTEB = "AmazonScience/massive", "mteb/amazon_massive_scenario"
HUB_COPY_VERSIONS = {AMAZON_SCIENCE: "1.1", MTEB: "1.0"}
HUB_COPY_COLUMNS = {AMAZON_SCIENCE: {"id", "scenario", "intent", "utt"}, MTEB: {"id", "label", "text"}}


def hub_copy_files(root: Path) -> dict[tuple[str, str], list[Path]]:
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


def read_hub_copy(root: Path, split: str, wanted: list[str] | None, *, source: str) -> MassiveSplit:
    files = hub_copy_files(root)
    hub_split = HUB_SPLITS[split]
    in_split = {locale: paths for (locale, name), paths in files.items() if name == hub_split}
    if not in_split:
        present = sorted({name for _, name in files})
        raise MassiveDataError(str(root), f"has no {hub_split!r} files (Hub name of MASSIVE's {split!r}); "
                                          f"it has {', '.join(present) or 'none'}")
    kind = _hub_copy_kind(next(iter(in_split.values()))[0])
    records = {}
    for locale in select_locales(in_split, wanted, str(root)):
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
        return list(next(json_objects(handle, str(path)), (0, {}))[1])


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
            records.append(MassiveRecord(_string("id", record_id), locale, split, check_scenario(scenario), intent,
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
        rows = [row for _, row in json_objects(handle, str(path))]
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


def download_hub_copy(repo_id: str, split: str, wanted: list[str] | None) -> Path:
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
