"""Every copy of MASSIVE the kit accepts, read by `read_massive`, which tells which one it was given:

- official archive `amazon-massive-dataset-<version>.tar.gz`: members `<version>/data/<locale>.jsonl`, with
  scenario and intent as names;
- official folder: the extracted `<version>/data/<locale>.jsonl`; pass the folder holding `<version>/`, the
  version folder or `data/`;
- AmazonScience/massive: `<locale>/<split>/*.parquet`, scenario and intent as ClassLabel integers;
- mteb/amazon_massive_scenario: `<subset>/<split>/*.parquet` or `<subset>/<split>.jsonl`, `label` the scenario name;
- the Hub id of one of these two, downloaded from its `refs/convert/parquet` branch.

`massive.official` reads the official release, `massive.hub_copies` the Hub copies; every reader yields the
records of `massive.records`, checked alike.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from ruqtopics_kit.core.errors import check_choice
from ruqtopics_kit.massive.hub_copies import download_hub_copy, hub_copy_files, read_hub_copy
from ruqtopics_kit.massive.locales import check_locales
from ruqtopics_kit.massive.official import official_data_dir, read_archive, read_official_folder
from ruqtopics_kit.massive.records import SPLITS, MassiveDataError, MassiveSplit, first_few

HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")
LOCAL_SHAPE = re.compile(r"^[.~/]|\.(tar|tgz|gz|zip|jsonl|json|parquet)$", re.IGNORECASE)  # a path
NEAR_MISS = re.compile(r"\.(jsonl|parquet)(\.\w+)?$", re.IGNORECASE)  # a file of MASSIVE in another layout


def read_massive(source: str | Path, *, split: str = "test", locales: Sequence[str] | None = None) -> MassiveSplit:
    """The `split` of `locales` (None: every locale the copy has) from a copy of MASSIVE.

    `source` is an official archive, a folder (official or Hub-copy layout) or a Hub dataset id.
    """
    check_choice("split", split, SPLITS)
    wanted = None if locales is None else check_locales(list(locales))
    path = Path(source)
    if path.is_file():
        return read_archive(path, split, wanted)
    if path.is_dir():
        return _read_folder(path, split, wanted, source=str(source))
    check_source(source)
    folder = download_hub_copy(str(source), split, wanted)
    massive = read_hub_copy(folder, split, wanted, source=str(source))
    massive.revision = folder.name
    return massive


def check_source(source: str | Path) -> None:
    """FileNotFoundError, naming `source`, unless it exists or is a Hub dataset id (owner/name): what the release
    checks before any work. A name of a local path's shape (`./x`, `data/massive.tar.gz`) is never a Hub id, so a
    mistyped path is named as missing, not looked up on the Hub."""
    text = str(source)
    if Path(source).exists() or HUB_ID.fullmatch(text) and not LOCAL_SHAPE.search(text):
        return
    if LOCAL_SHAPE.search(text) or Path(source).is_symlink():
        raise FileNotFoundError(f"massive source {text!r} does not exist (no such file or folder)")
    raise FileNotFoundError(f"massive source {text!r} is neither a file, a folder nor a Hub dataset id (owner/name)")


def _read_folder(root: Path, split: str, wanted: list[str] | None, *, source: str) -> MassiveSplit:
    data_dir = official_data_dir(root)
    if data_dir is not None:
        return read_official_folder(data_dir, split, wanted, source=source)
    if hub_copy_files(root):
        return read_hub_copy(root, split, wanted, source=source)
    raise MassiveDataError(str(root), "holds no copy of MASSIVE: expected <version>/data/<locale>.jsonl (the "
                                      f"official release) or <locale>/<split>/*.parquet (a Hub copy){_found(root)}")


def _found(root: Path) -> str:
    """What a folder of another layout holds that looks like MASSIVE's files (the first few, as the archive reader
    names a near-miss archive's members), or nothing."""
    files = (path for path in root.rglob("*") if NEAR_MISS.search(path.name))
    shown = sorted(path.relative_to(root).as_posix() for path in itertools.islice(files, 4))
    return f"; it holds {first_few(shown)}" if shown else ""
