"""MASSIVE's published per-locale counts: shipped as data with their source, recorded in results.json with the
actual counts, and a mismatch in a complete copy warned about (a subset is named as such)."""

import json
from pathlib import Path

import pytest
from checkout import ROOT
from fixtures.massive.builders import archive_with, classifier, line

from ruqtopics_kit.facts.labels import massive_aligned
from ruqtopics_kit.facts.mappings import load_mapping
from ruqtopics_kit.massive.counts import check_counts, count_warnings, published_counts
from ruqtopics_kit.massive.evaluate import evaluate_model

SAMPLE = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"
DEFAULT_TEST = {"music": 81, "cooking": 72, "news": 124, "transport": 124, "weather": 156, "social": 106}


def test_the_published_counts_are_data_with_their_source_and_add_up():
    counts = published_counts()
    assert "MTEB" in counts["source"] and "MassiveScenarioClassification" in counts["source"]
    assert counts["scenarios_of_default"]["test"] == DEFAULT_TEST
    for split in ("test", "dev"):
        assert sum(counts["scenarios_of_default"][split].values()) == counts["mappings"]["default"][split]
        mappings = counts["mappings"]
        # extended = default + takeaway/email + play_music
        assert mappings["extended"][split] == (mappings["takeaway_email"][split] + mappings["play_music"][split]
                                               - mappings["default"][split])
    assert counts["mappings"]["default"] == {"test": 663, "dev": 485}
    assert set(counts["mappings"]) == {path.stem for path in
                                       (Path(load_mapping().path).parent).glob("*.json")}


def test_warnings_only_for_a_complete_copy_that_differs():
    complete = check_counts("default", "test", {"ru-RU": 2974, "en-US": 2974}, {"ru-RU": 663, "en-US": 650})
    assert complete["locales"]["ru-RU"] == {"split_expected": 2974, "split_actual": 2974, "complete": True,
                                            "expected": 663, "actual": 663, "matches": True}
    assert complete["locales"]["en-US"]["matches"] is False
    (warning,) = count_warnings(complete)
    assert warning.startswith("Warning: en-US has 650 test utterances under mapping `default`, where MASSIVE has 663")
    subset = check_counts("default", "test", {"ru-RU": 198}, {"ru-RU": 150})
    assert count_warnings(subset) == ["The MASSIVE copy is a subset (198 of the 2,974 test utterances per locale): "
                                      "its counts are not checked against the published ones."]
    dropped = check_counts("default", "test", {"ru-RU": 2974, "en-US": 2000}, {"ru-RU": 663, "en-US": 440})
    assert [w.split(":")[0] for w in count_warnings(dropped)] == ["Warning"] and "en-US has 2,000" in \
        count_warnings(dropped)[0]
    assert check_counts(None, "test", {"ru-RU": 2974}, {"ru-RU": 5})["locales"]["ru-RU"]["matches"] is None
    assert check_counts("default", "train", {"ru-RU": 11514}, {"ru-RU": 5})["locales"]["ru-RU"]["matches"] is None


def full_locale_lines(weather: int) -> str:
    """A whole ru-RU test split (2,974 utterances) with the default scenarios' published counts, except weather."""
    lines, counts = [], {**DEFAULT_TEST, "weather": weather}
    for scenario, count in counts.items():
        lines += [line(id=f"{scenario}{i}", scenario=scenario, intent=f"{scenario}_query", utt=f"{scenario} {i}")
                  for i in range(count)]
    lines += [line(id=f"alarm{i}", scenario="alarm", intent="alarm_set", utt=f"alarm {i}")
              for i in range(2974 - len(lines))]
    return "".join(lines)


@pytest.mark.parametrize("weather, matches", [(156, True), (150, False)])
def test_results_json_records_expected_and_actual_counts(weather, matches, tiny_backbone, tmp_path):
    archive = archive_with(tmp_path / "amazon-massive-dataset-1.1.tar.gz",
                           {"1.1/data/ru-RU.jsonl": full_locale_lines(weather)})
    model = classifier(tiny_backbone, tmp_path / "model", list(massive_aligned().names))
    evaluate_model(model, archive, tmp_path / "out", bootstrap=100, progress=False)
    check = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["published_counts"]
    assert check["locales"]["ru-RU"] == {"split_expected": 2974, "split_actual": 2974, "complete": True,
                                         "expected": 663, "actual": 663 - 156 + weather, "matches": matches}
    assert len(count_warnings(check)) == (0 if matches else 1)


def test_the_sample_is_a_subset(tiny_backbone, tmp_path):
    model = classifier(tiny_backbone, tmp_path / "model", list(massive_aligned().names))
    evaluate_model(model, SAMPLE, tmp_path / "out", locales="ru-RU", bootstrap=100, progress=False)
    check = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["published_counts"]
    assert check["locales"]["ru-RU"]["complete"] is False
    assert count_warnings(check)[0].startswith("The MASSIVE copy is a subset")
