"""MASSIVE data shipped with the kit: locales, scenario mappings, and the synthetic sample archive."""

import json

import pytest
from checkout import ROOT

from ruqtopics_kit.analysis.locales import paper_locales
from ruqtopics_kit.facts.labels import massive_aligned
from ruqtopics_kit.facts.mappings import bundled_mappings, load_mapping
from ruqtopics_kit.facts.massive import SCENARIOS
from ruqtopics_kit.massive import massive_locales
from ruqtopics_kit.massive.locales import locale_of_subset, subset_names

# ---- locales -----------------------------------------------------------------------------------------------

def test_the_52_locales_of_massive_1_1_with_ca_es_new_in_1_1():
    locales = massive_locales()
    assert len(locales) == 52 and "sl-SL" in locales and "sl-SI" not in locales
    assert [code for code, locale in locales.items() if not locale.in_massive_1_0] == ["ca-ES"]


@pytest.mark.parametrize("code, language, tag, subset", [
    ("ru-RU", "Russian", "rus-Cyrl", "ru"), ("zh-CN", "Mandarin Chinese", "cmn-Hans", "zh-CN"),
    ("zh-TW", "Mandarin Chinese", "cmn-Hant", "zh-TW"), ("mn-MN", "Halh Mongolian", "khk-Cyrl", "mn"),
    ("ja-JP", "Japanese", "jpn-Jpan", "ja"), ("nb-NO", "Norwegian Bokmål", "nob-Latn", "nb"),
    ("ca-ES", "Catalan", "cat-Latn", None)])
def test_language_names_and_tags_mean_what_they_say(code, language, tag, subset):
    """Meaning, not just membership: zh is Mandarin (cmn), never Central Mnong (cmo)."""
    locale = massive_locales()[code]
    assert (locale.language, locale.language_tag, locale.mteb_subset) == (language, tag, subset)


def test_the_analysis_reads_the_same_locale_table():
    assert paper_locales() == sorted(code for code, locale in massive_locales().items() if locale.in_massive_1_0)
    assert len(paper_locales()) == 51 and "ca-ES" in massive_locales()


def test_hub_subset_names_resolve_to_locales():
    assert locale_of_subset("ru") == locale_of_subset("ru-RU") == "ru-RU"
    assert locale_of_subset("zh-TW") == "zh-TW" and locale_of_subset("all") is None
    assert subset_names("ru-RU") == ["ru-RU", "ru"] and subset_names("ca-ES") == ["ca-ES"]


# ---- mappings ----------------------------------------------------------------------------------------------

def test_the_default_mapping_is_the_inferred_one_of_the_six_aligned_classes():
    mapping = load_mapping()
    assert mapping.name == "default" and "INFERRED" in mapping.provenance
    assert mapping.scenarios == {"music": "музыка", "cooking": "еда, напитки и кулинария", "news": "новости",
                                 "transport": "транспорт", "weather": "погода", "social": "медиа и коммуникации"}
    assert mapping.classes == list(massive_aligned().names) and mapping.intents == {}


def test_alternatives_are_selectable_by_name():
    assert bundled_mappings() == ["default", "extended", "play_music", "takeaway_email"]
    takeaway = load_mapping("takeaway_email")
    assert takeaway.class_of("takeaway", "takeaway_order") == "еда, напитки и кулинария"
    assert takeaway.class_of("email", "email_query") == "медиа и коммуникации"
    play = load_mapping("play_music")
    assert play.class_of("play", "play_music") == "музыка" and play.class_of("play", "play_radio") is None
    assert play.class_of("music", "music_query") == "музыка" and play.class_of("alarm", "alarm_set") is None


@pytest.mark.parametrize("name", ["default", "extended", "play_music", "takeaway_email"])
def test_every_bundled_mapping_documents_itself(name):
    body = json.loads((ROOT / "ruqtopics_kit" / "data" / "massive_mappings" / f"{name}.json").read_text("utf-8"))
    assert body["name"] == name and body["description"] and "INFERRED" in body["provenance"]
    assert set(body["scenarios"]) <= set(SCENARIOS)


def test_a_mapping_file_of_ones_own(tmp_path):
    path = tmp_path / "weather_only.json"
    path.write_text(json.dumps({"name": "weather_only", "scenarios": {"weather": "погода", "news": "новости"}}),
                    encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.name == "weather_only" and mapping.classes == ["новости", "погода"]


@pytest.mark.parametrize("body, problem", [
    ({"scenarios": {"shopping": "покупки"}}, "unknown scenario 'shopping'"),
    ({"scenarios": {"weather": "погода"}, "intents": {"playmusic": "музыка"}}, "intent 'playmusic' is not"),
    ({"scenarios": {"weather": "Погода"}}, "'Погода' is not one of the 76 RuQTopics classes .*did you mean 'погода'"),
    ({"scenarios": {"weather": "самолеты"}}, "'самолеты' is not .*did you mean 'самолёты'"),
    ({"scenarios": {}}, "maps nothing"),
    ({"scenarios": {"weather": "погода"}, "notes": "x"}, "unknown key"),
    ({"scenarios": ["weather"]}, "'scenarios' must be an object")])
def test_bad_mapping_files_are_named_with_the_problem(tmp_path, body, problem):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"mapping file '.*mine.json': {problem}"):
        load_mapping(path)


def test_an_unknown_mapping_name_lists_the_bundled_ones():
    with pytest.raises(ValueError, match=r"The 'mapping' parameter must be one of 'default', 'extended', "
                                         r"'play_music', 'takeaway_email' or a path to a JSON file. Got 'wide'"):
        load_mapping("wide")


# ---- the bundled synthetic sample --------------------------------------------------------------------------

def test_the_bundled_sample_is_what_the_generator_makes(tmp_path):
    from scripts.make_massive_sample import sample_records, write_archive

    bundled = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"
    assert write_archive(sample_records(seed=0), tmp_path / "again.tar.gz").read_bytes() == bundled.read_bytes()


def test_the_sample_has_records_with_and_without_judgments_and_an_mmnlu22_set():
    from fixtures.massive.builders import official_rows

    rows = official_rows(ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz")
    assert not any("judgments" in r or "slot_method" in r for r in rows["en-US"])
    assert all("judgments" in r and "slot_method" in r for r in rows["ru-RU"] if r["partition"] != "MMNLU-22")
    held_out = [r for r in rows["ru-RU"] if r["partition"] == "MMNLU-22"]
    assert len(held_out) == 2 and not any("scenario" in r or "intent" in r for r in held_out)
    assert [r["id"] for r in rows["ru-RU"]] == [r["id"] for r in rows["de-DE"]]  # ids parallel across locales
