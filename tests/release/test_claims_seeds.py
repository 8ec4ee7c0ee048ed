"""The claims of a grid trained with several seeds (`grid --seeds N`): per-seed paired tests, the verdict across
seeds, mean and spread; with one seed, the claims say that training variance is not covered."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.stats
from claims_helpers import synthetic_copy

from ruqtopics_kit.release.claims import write_claims
from ruqtopics_kit.release.claims.seeds import ONE_SEED, SEED_RULE

N_QUESTIONS, N_CLASSES = 400, 76
BACKBONE = "rubert-base-conversational"


def add_model(release: Path, name: str, text_mode: str, seed: int, right: np.ndarray) -> None:
    folder = release / "hub" / name
    folder.mkdir(parents=True)
    (folder / "training_args.json").write_text(json.dumps({
        "backbone": BACKBONE, "dataset_config_name": "single_label", "text_mode": text_mode, "seed": seed}),
        encoding="utf-8")
    gold = np.random.default_rng(0).integers(0, N_CLASSES, N_QUESTIONS)
    pq.write_table(pa.table({"id": [f"q{i}" for i in range(N_QUESTIONS)], "label": gold,
                             "prediction": np.where(right, gold, (gold + 1) % N_CLASSES)}),
                   folder / "test_predictions.parquet")


def right_first(count: int) -> np.ndarray:
    return np.arange(N_QUESTIONS) < count


@pytest.fixture(scope="module")
def seeded_release(tmp_path_factory) -> Path:
    """rubert question (0.80, 0.81, 0.79) against answer (about 0.5) and question_answer, which is as good as
    question with seed 42 but clearly worse with the two others."""
    release = tmp_path_factory.mktemp("seeded") / "release"
    for seed, suffix, question, answer, pair in ((42, "", 320, 200, 318), (43, "-seed43", 324, 204, 250),
                                                 (44, "-seed44", 316, 196, 240)):
        add_model(release, f"rubert-q{suffix}", "question", seed, right_first(question))
        add_model(release, f"rubert-a{suffix}", "answer", seed, right_first(answer))
        add_model(release, f"rubert-qa{suffix}", "question_answer", seed, right_first(pair))
    write_claims(release, n_resamples=200)
    return release


def claims_of(release: Path) -> dict:
    return json.loads((release / "claims.json").read_text(encoding="utf-8"))


def row_of(claims: dict, claim: str, subject: str) -> dict:
    return next(row for row in claims["claims"] if row["claim"] == claim and row["subject"] == subject)


def test_every_seed_agrees_so_the_claim_is_supported(seeded_release):
    claims = claims_of(seeded_release)
    row = row_of(claims, "question_beats_answer", f"{BACKBONE}: question vs answer")
    seeds = row["seeds"]
    assert [(pair["seed_a"], pair["seed_b"]) for pair in seeds["per_seed"]] == [(42, 42), (43, 43), (44, 44)]
    assert [pair["verdict"] for pair in seeds["per_seed"]] == ["supports"] * 3
    assert row["verdict"] == "supports" and "3 seeds (3 supports)" in row["why"]
    differences = [0.3, 0.3, 0.3]
    assert row["run"] == pytest.approx(np.mean(differences), rel=1e-5) and seeds["sd_difference"] == pytest.approx(0)
    assert seeds["t_test_p"] is None  # no spread: the t-test is undefined


def test_seeds_that_disagree_make_the_claim_inconclusive(seeded_release):
    claims = claims_of(seeded_release)
    row = row_of(claims, "question_beats_question_answer", f"{BACKBONE}: question vs question_answer")
    verdicts = [pair["verdict"] for pair in row["seeds"]["per_seed"]]
    assert verdicts == ["inconclusive", "supports", "supports"] and row["verdict"] == "inconclusive"
    differences = np.array([(320 - 318) / 400, (324 - 250) / 400, (316 - 240) / 400])
    assert row["run"] == pytest.approx(differences.mean(), rel=1e-5)  # claims.json: 6 significant digits
    assert row["seeds"]["sd_difference"] == pytest.approx(differences.std(ddof=1), rel=1e-5)
    assert row["p_value"] == pytest.approx(scipy.stats.ttest_1samp(differences, 0).pvalue, rel=1e-4)
    assert claims["method"]["seeds"] == SEED_RULE == claims["seeds"]["rule"]


def test_mean_and_spread_across_seeds_in_claims_and_report(seeded_release):
    spread = {row["text_mode"]: row for row in claims_of(seeded_release)["seeds"]["spread"]}
    accuracies = np.array([320, 324, 316]) / 400
    assert spread["question"]["seeds"] == [42, 43, 44]
    assert spread["question"]["accuracy_mean"] == pytest.approx(accuracies.mean(), rel=1e-5)
    assert spread["question"]["accuracy_sd"] == pytest.approx(accuracies.std(ddof=1), rel=1e-4)
    report = (seeded_release / "report.md").read_text(encoding="utf-8")
    assert "### Across training seeds: test scores" in report and "agreement across seeds" in report


def test_one_seed_says_training_variance_is_not_covered(tmp_path):
    release = tmp_path / "release"
    add_model(release, "rubert-q", "question", 42, right_first(320))
    add_model(release, "rubert-a", "answer", 42, right_first(200))
    claims = write_claims(release, n_resamples=100)
    assert claims["seeds"]["rule"] == ONE_SEED and "not training variance" in ONE_SEED
    assert "seeds" not in row_of(claims, "question_beats_answer", f"{BACKBONE}: question vs answer")
    assert f"Training seeds: {ONE_SEED}." in (release / "report.md").read_text(encoding="utf-8")


def test_a_synthetic_release_gives_no_verdict_for_any_seed(seeded_release, tmp_path):
    release = synthetic_copy(seeded_release, tmp_path / "release", "rubert-q")
    text = (release / "claims.json").read_text(encoding="utf-8")
    assert claims_of(release)["synthetic"] is True
    assert '"supports"' not in text and '"contradicts"' not in text  # not even a single seed's verdict
