"""MASSIVE's facts: its 18 scenarios, and its locales as data: `ruqtopics_kit/data/massive_locales.csv`, one row
per locale of MASSIVE 1.1 (52).

One table for MASSIVE evaluation (`ruqtopics_kit.massive.locales`) and the correlation analysis
(`ruqtopics_kit.analysis.locales`). Columns:
- `locale`: MASSIVE's code (note `sl-SL`, not `sl-SI`);
- `language`: the Glottolog name of the locale's language as shipped by urielplus (`uriel_glottocode_map.csv`,
  `lang_fam_geo.csv`; tests/analysis/test_analysis_data.py checks every name, so a wrong code such as mteb's `cmo`
  for Mandarin cannot slip through);
- `iso639_3`: its ISO 639-3 code, the individual language (Mandarin `cmn`, not `cmo`, which is Central Mnong;
  Arabic `arb`, Persian `pes`, Malay `zsm`, Mongolian `khk`, Albanian `als`, Swahili `swh`, Azerbaijani `azj`,
  Norwegian Bokmål `nob`);
- `script`: ISO 15924 script of MASSIVE's utterances (zh-CN `Hans`, zh-TW `Hant`);
- `massive_release`: the release that introduced the locale: `1.0` (51 locales) or `1.1` (ca-ES);
- `mteb_subset`: the subset name of `mteb/amazon_massive_scenario` (two letters, except zh-CN and zh-TW; empty for
  ca-ES, which that 1.0-based copy lacks);
- `uriel_code`: the code whose URIEL+ vectors the analysis uses; equal to `iso639_3` except where `note` says why
  not (az-AZ and nb-NO use their macrolanguages, whose URIEL+ 1.3.2 vectors are complete).
Sources: the MASSIVE 1.1 archive's file names (alexa/massive), mteb's `MassiveScenarioClassification`, and
urielplus 1.3.2 for the language names and URIEL+ codes.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ruqtopics_kit.core.resources import package_path

LOCALES_FILE = package_path("data", "massive_locales.csv")

# The 18 scenarios of MASSIVE (alexa/massive); an intent is "{scenario}_{name}".
SCENARIOS = ("alarm", "audio", "calendar", "cooking", "datetime", "email", "general", "iot", "lists", "music",
             "news", "play", "qa", "recommendation", "social", "takeaway", "transport", "weather")


@cache
def locale_table() -> pd.DataFrame:
    """The locale table, indexed by locale in the file's (alphabetical) order, every column a string."""
    return pd.read_csv(LOCALES_FILE, dtype=str, keep_default_na=False).set_index("locale")
