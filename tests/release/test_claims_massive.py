"""The claim that switching Russian backbones does not alter the six-class MASSIVE ru-RU results, tested pairwise
from the evaluations' per-utterance predictions (hand-made, with known paired counts)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from ruqtopics_kit.release.claims import write_claims

N = 600
BACKBONES = {"rubert": "rubert-base-conversational", "distil": "distilrubert-base-conversational",
             "tiny": "distilrubert-tiny-conversational"}


def add_six_class_model(release: Path, name: str, right: np.ndarray | None) -> None:
    folder = release / "hub" / name
    folder.mkdir(parents=True)
    (folder / "training_args.json").write_text(json.dumps({
        "backbone": BACKBONES[name], "dataset_config_name": "massive_aligned", "text_mode": "question", "seed": 42}),
        encoding="utf-8")
    if right is None:
        return
    massive = release / "massive" / name
    massive.mkdir(parents=True)
    labels = np.array(["погода", "музыка"])[np.arange(N) % 2]
    other = np.where(labels == "погода", "музыка", "погода")
    frame = pd.DataFrame({"locale": "ru-RU", "id": [str(i) for i in range(N)], "scenario": "weather",
                          "intent": "weather_query", "label": labels, "prediction": np.where(right, labels, other),
                          "prediction_full_argmax": labels})
    frame = pd.concat([frame, frame.assign(locale="en-US", prediction=labels)])  # other locales are left out
    frame.sample(frac=1, random_state=0).to_parquet(massive / "predictions.parquet", index=False)


def rows_of(release: Path) -> dict[str, dict]:
    claims = json.loads((release / "claims.json").read_text(encoding="utf-8"))["claims"]
    return {row["subject"]: row for row in claims if row["claim"] == "russian_backbones_same_six_class"}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    release = tmp_path_factory.mktemp("massive_claims") / "release"
    right = np.arange(N) % 10 < 8  # 480 of 600
    distil = right.copy()
    distil[:2] = False  # 2 fewer right: no significant change, a narrow interval
    tiny = right.copy()
    tiny[:60] = False  # 48 fewer right
    add_six_class_model(release, "rubert", right)
    add_six_class_model(release, "distil", distil)
    add_six_class_model(release, "tiny", tiny)
    write_claims(release, n_resamples=100)
    return release


def test_backbones_that_agree_support_and_one_that_differs_contradicts(release):
    rows = rows_of(release)
    same = rows["distilrubert-base-conversational vs rubert-base-conversational on MASSIVE ru-RU"]
    assert same["verdict"] == "supports" and same["run"] == pytest.approx(-2 / N, rel=1e-5)
    assert same["p_value"] == pytest.approx(scipy.stats.binomtest(0, 2, 0.5).pvalue, rel=1e-5)
    assert -0.03 < same["run_interval"][0] < same["run_interval"][1] < 0.03
    differs = rows["distilrubert-tiny-conversational vs rubert-base-conversational on MASSIVE ru-RU"]
    assert differs["verdict"] == "contradicts" and differs["run"] == pytest.approx(-48 / N, rel=1e-5)
    assert differs["p_value"] == pytest.approx(scipy.stats.binomtest(0, 48, 0.5).pvalue, rel=1e-5)
    assert rows["distilrubert-base-conversational vs distilrubert-tiny-conversational on MASSIVE ru-RU"]["verdict"] \
        == "contradicts"
    assert rows["overall"]["verdict"] == "contradicts" and "2 of 3 rows contradict" in rows["overall"]["why"]


def test_without_predictions_the_claim_cannot_be_tested(tmp_path):
    release = tmp_path / "release"
    add_six_class_model(release, "rubert", np.ones(N, dtype=bool))
    add_six_class_model(release, "distil", None)
    write_claims(release, n_resamples=100)
    rows = rows_of(release)
    assert rows["-"]["verdict"] == "cannot test" and "massive/distil/predictions.parquet is missing" in rows["-"]["why"]
    assert rows["overall"]["verdict"] == "cannot test"
