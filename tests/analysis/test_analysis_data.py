"""The data shipped in ruqtopics_kit/data/analysis: locales, language codes checked by name, sizes, cached distances."""

import logging
from importlib.metadata import version

import pandas as pd
import pytest

from ruqtopics_kit import cli
from ruqtopics_kit.analysis.distances import (
    DISTANCE_KINDS,
    DISTANCES_FILE,
    check_language_names,
    compute_distances,
    glottolog_names,
    load_distances,
    load_provenance,
    provenance_path,
)
from ruqtopics_kit.analysis.locales import paper_locales
from ruqtopics_kit.analysis.sizes import DEFAULT_SIZES_FILE, load_sizes
from ruqtopics_kit.facts.massive import locale_table


def test_paper_locales_are_the_51_of_massive_1_0():
    locales = paper_locales()
    assert len(locales) == 51
    assert "ca-ES" not in locales and "sl-SL" in locales and "sl-SI" not in locales
    assert sorted(locale_table().index) == sorted([*locales, "ca-ES"])


def test_every_language_code_names_the_language_the_table_says():
    check_language_names(locale_table())


@pytest.mark.parametrize(
    "locale, code, name",
    [
        ("zh-CN", "cmn", "Mandarin Chinese"),
        ("zh-TW", "cmn", "Mandarin Chinese"),
        ("ar-SA", "arb", "Standard Arabic"),
        ("fa-IR", "pes", "Western Farsi"),
        ("nb-NO", "nob", "Norwegian Bokmål"),
        ("mn-MN", "khk", "Halh Mongolian"),
        ("sl-SL", "slv", "Slovenian"),
        ("ru-RU", "rus", "Russian"),
    ],
)
def test_language_of_locale(locale, code, name):
    row = locale_table().loc[locale]
    assert (row["iso639_3"], row["language"]) == (code, name)
    assert glottolog_names([code]) == {code: name}


def test_the_name_check_catches_mtebs_cmo_for_mandarin():
    assert glottolog_names(["cmo"]) == {"cmo": "Central Mnong"}
    wrong = locale_table().loc[["zh-CN"]].assign(iso639_3="cmo")
    with pytest.raises(ValueError, match="zh-CN.*cmo.*Mandarin Chinese.*Central Mnong"):
        check_language_names(wrong)


def test_shipped_sizes_table():
    sizes = load_sizes(DEFAULT_SIZES_FILE, "articles")
    assert sizes.column == "articles_2020_08"
    assert sorted(sizes.sizes.index) == sorted(locale_table().index)
    assert sorted(sizes.in_mbert.index[~sizes.in_mbert]) == ["am-ET", "km-KH"]
    assert sizes.sizes["zh-CN"] == sizes.sizes["zh-TW"]  # one Wikipedia
    assert load_sizes(None, "bytes").column == "dump_bz2_bytes_2020_10_01"
    assert load_sizes(None, "tokens").column == "tokens_2020_10_01"


def test_cached_distances():
    distances = load_distances()
    assert sorted(distances.index) == sorted(locale_table().index)
    assert distances.loc["ru-RU", "genetic"] == 0.0
    genetic = distances["genetic"]
    assert genetic["pl-PL"] == genetic["sl-SL"] == pytest.approx(0.53, abs=0.005)
    assert genetic["lv-LV"] == pytest.approx(0.61, abs=0.005)
    assert genetic["hy-AM"] == genetic["sq-AL"] == pytest.approx(0.81, abs=0.005)
    assert genetic[["de-DE", "en-US", "fr-FR", "es-ES", "nb-NO"]].between(0.85, 0.91).all()
    assert (genetic[["ja-JP", "zh-CN", "fi-FI", "ar-SA", "az-AZ"]] == 1.0).all()
    assert provenance_path(DISTANCES_FILE).name == "distances.provenance.json"
    provenance = load_provenance()
    assert provenance["library"] == "urielplus" and provenance["kinds"] == list(DISTANCE_KINDS)


@pytest.fixture(scope="module")
def recomputed():
    """Three locales recomputed with the installed urielplus (offline, a few seconds)."""
    cached = load_provenance()["version"]
    if version("urielplus") != cached:
        pytest.skip(
            f"cache made with urielplus {cached}, {version('urielplus')} installed: run python -m analysis distances"
        )
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    frame = compute_distances(["ru-RU", "pl-PL", "nb-NO"])
    assert (root.handlers, root.level) == (handlers, level)  # urielplus' basicConfig undone
    return frame


def test_recomputing_reproduces_the_cache(recomputed):
    cached = load_distances().loc[recomputed.index]
    pd.testing.assert_frame_equal(recomputed[list(DISTANCE_KINDS)], cached, check_exact=False, atol=1e-4)
    assert recomputed.loc["nb-NO", "uriel_code"] == "nor"


def test_distances_command_writes_cache_and_provenance(recomputed, tmp_path, monkeypatch):
    from ruqtopics_kit.analysis import distances

    monkeypatch.setattr(distances, "compute_distances", lambda: recomputed)
    target = tmp_path / "d.csv"
    assert cli.main(["distances", "--output-file", str(target)]) == 0
    assert load_distances(target).equals(recomputed[list(DISTANCE_KINDS)])
    assert load_provenance(target)["version"] == version("urielplus")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "d.provenance.json"]
    target.write_text("an earlier table\n", encoding="utf-8")
    assert cli.main(["distances", "--output-file", str(target), "--overwrite-output-dir"]) == 0
    assert load_distances(target).equals(recomputed[list(DISTANCE_KINDS)])
