"""Linguistic distance of each locale's language from Russian, from URIEL+ (the `urielplus` package).

The distances are cached in `data/distances.csv` (with `data/distances.provenance.json` naming the library
version) so that the analysis and its tests need neither urielplus' start-up time nor its exact version.
`ruqtopics distances --overwrite-output-dir` (`python -m analysis distances` in a checkout) recomputes the cache.
urielplus reads only the databases bundled in its wheel; it never touches the network.

Each distance is URIEL+'s angular distance between the two languages' feature vectors, in [0, 1]:
genetic (Glottolog family-tree membership), syntactic (WALS/SSWL/Grambank syntax features), geographic
(URIEL's geographic feature vector, not kilometres) and featural (all typological features). Values are
rounded to 4 decimals, as URIEL+ itself rounds angular distances.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from ruqtopics_kit.analysis.locales import DATA_DIR
from ruqtopics_kit.analysis.tables import index_by_locale, numeric_column, read_table, require_columns
from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.extras import require
from ruqtopics_kit.core.output_dir import OutputDirError, check_overwrite
from ruqtopics_kit.facts.massive import locale_table
from ruqtopics_kit.facts.names import REFERENCE_LOCALE

DISTANCE_KINDS = ("genetic", "syntactic", "geographic", "featural")
DISTANCES_FILE = DATA_DIR / "distances.csv"
DISTANCE_METRIC = "angular"  # URIEL+'s default; set explicitly so a changed default cannot alter the cache
DECIMALS = 4


def provenance_path(distances_path: Path) -> Path:
    return Path(distances_path).with_suffix(".provenance.json")


def load_distances(path: Path = DISTANCES_FILE) -> pd.DataFrame:
    """The cached distances, indexed by locale, one float column per kind."""
    frame = read_table(path, "distances")
    require_columns(frame, ["locale", *DISTANCE_KINDS], path, "distances")
    frame = index_by_locale(frame, path, "distances")
    return pd.DataFrame(
        {kind: numeric_column(frame, kind, path, "distances", low=0, high=1) for kind in DISTANCE_KINDS}
    )


def load_provenance(path: Path = DISTANCES_FILE) -> dict:
    return json.loads(provenance_path(path).read_text(encoding="utf-8"))


@contextmanager
def _urielplus_quietly():
    """urielplus calls logging.basicConfig(level=INFO) when imported and logs every distance it computes;
    keep both out of the caller's logging."""
    root = logging.getLogger()
    handlers, level, disabled = list(root.handlers), root.level, root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(disabled)
        root.handlers[:] = handlers
        root.setLevel(level)


def glottolog_names(iso_codes) -> dict[str, str | None]:
    """The Glottolog name urielplus' bundled tables give each ISO 639-3 code (None when it has none)."""
    urielplus = require("urielplus", "analysis", "recomputing the URIEL+ distances")

    tables = Path(urielplus.__file__).parent / "database" / "urielplus_csvs"
    glottocodes = pd.read_csv(tables / "uriel_glottocode_map.csv").set_index("iso_code")["glottocode"]
    names = pd.read_csv(tables / "lang_fam_geo.csv").set_index("language_id")["language_name"]
    return {code: names.get(glottocodes.get(code)) for code in iso_codes}


def check_language_names(languages: pd.DataFrame) -> None:
    """Fail when a locale's ISO 639-3 code does not name the language the table says (mteb's cmo-for-Mandarin
    kind of mistake)."""
    names = glottolog_names(languages["iso639_3"])
    wrong = {
        locale: (row.iso639_3, row.language, names[row.iso639_3])
        for locale, row in languages.iterrows()
        if names[row.iso639_3] != row.language
    }
    if wrong:
        raise ValueError(f"Language codes whose Glottolog name differs from massive_locales.csv: {wrong}.")


def compute_distances(locales=None) -> pd.DataFrame:
    """Distances from Russian for `locales` (default: every locale of the locale table), with URIEL+."""
    languages = locale_table()
    if locales is not None:
        languages = languages.loc[list(locales)]
    check_language_names(languages)
    reference = locale_table().at[REFERENCE_LOCALE, "uriel_code"]
    with _urielplus_quietly():
        from urielplus.urielplus import URIELPlus

        uriel = URIELPlus()
        uriel.set_distance_metric(DISTANCE_METRIC)
        frame = pd.DataFrame(
            {
                kind: [
                    round(float(uriel.new_distance(kind, [reference, code])), DECIMALS)
                    for code in languages["uriel_code"]
                ]
                for kind in DISTANCE_KINDS
            },
            index=languages.index,
        )
    frame.insert(0, "uriel_code", languages["uriel_code"])
    return frame


def check_output_file(path: Path, overwrite: bool = False) -> None:
    """Refuse, before the distances are computed, an --output-file (or its provenance beside it) that is a
    symbolic link or not a regular file (it would be replaced by a file, never followed, and the link lost), or
    that exists without `overwrite` (--overwrite-output-dir, as every command's output)."""
    for target in (Path(path), provenance_path(Path(path))):
        if target.is_symlink() or target.exists() and not target.is_file():
            what = f"a symbolic link (to {os.readlink(target)})" if target.is_symlink() else "not a regular file"
            raise OutputDirError(f"{target} is {what}; it was left as it is: choose another --output-file")
        check_overwrite(target, overwrite)


def write_distances(frame: pd.DataFrame, path: Path = DISTANCES_FILE) -> None:
    """Write the cache and its provenance, each replaced in one step."""
    provenance = {
        "library": "urielplus",
        "version": version("urielplus"),
        "distance_metric": DISTANCE_METRIC,
        "reference": {"locale": REFERENCE_LOCALE, "uriel_code": locale_table().at[REFERENCE_LOCALE, "uriel_code"]},
        "kinds": list(DISTANCE_KINDS),
        "decimals": DECIMALS,
        "language_codes": "ruqtopics_kit/data/massive_locales.csv, column uriel_code",
        "command": "ruqtopics distances",
    }
    atomic_write_text(Path(path), frame.to_csv(index_label="locale", lineterminator="\n"))
    atomic_write_text(provenance_path(path), json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")
