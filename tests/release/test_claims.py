"""`ruqtopics claims`: the paper's claims from a release folder's files, on hand-made predictions with known
paired statistics (checked against scipy and by hand) and on the sample release."""

import json
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.stats
from claims_helpers import synthetic_copy
from statsmodels.stats.proportion import confint_proportions_2indep

from ruqtopics_kit import analysis, cli
from ruqtopics_kit.analysis.locales import paper_locales
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.facts.paper import paper_claims
from ruqtopics_kit.metrics import load_topic_metric
from ruqtopics_kit.release.claims import write_claims
from ruqtopics_kit.release.claims.inputs import ClaimsInputError, ModelRun
from ruqtopics_kit.release.claims.scores import compare
from ruqtopics_kit.statistics import Bootstrap, PairedCounts, macro_f1, mcnemar_exact_p, paired_difference_interval

N_QUESTIONS, N_CLASSES = 400, 76
BOOTSTRAP = Bootstrap(n_resamples=500, confidence_level=0.95, seed=0)


def strict_json(path: Path) -> dict:
    def reject(token):
        raise ValueError(f"non-strict JSON constant {token}")
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=reject)


def gold_labels() -> np.ndarray:
    return np.random.default_rng(0).integers(0, N_CLASSES, N_QUESTIONS)


def predictions_right_on(gold: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Predictions that are right exactly where `right` is True (wrong ones: the next class)."""
    return np.where(right, gold, (gold + 1) % N_CLASSES)


def frame_of(gold: np.ndarray, predicted: np.ndarray, ids=None) -> pd.DataFrame:
    ids = ids if ids is not None else [f"q{i}" for i in range(len(gold))]
    return pd.DataFrame({"label": gold, "prediction": predicted}, index=pd.Index(ids, name="id"))


def run_named(name: str) -> ModelRun:
    return ModelRun(name, Path(name), "b", "single_label", "question")


# ---- the statistics, against scipy and by hand ---------------------------------------------------------------

def test_mcnemar_exact_p_by_hand():
    # 8 questions only a gets right, 2 only b: p = 2 * P(Binomial(10, 1/2) <= 2) = 2 * (1 + 10 + 45) / 1024
    assert mcnemar_exact_p(8, 2) == pytest.approx(2 * sum(comb(10, k) for k in range(3)) / 2 ** 10)
    assert mcnemar_exact_p(2, 8) == mcnemar_exact_p(8, 2) == pytest.approx(0.109375)
    assert mcnemar_exact_p(5, 5) == 1.0 and mcnemar_exact_p(0, 0) == 1.0
    assert mcnemar_exact_p(6, 0) == pytest.approx(2 / 2 ** 6)


def test_macro_f1_is_the_project_metric():
    gold = gold_labels()
    predicted = np.where(np.arange(N_QUESTIONS) % 3 == 0, (gold + 5) % N_CLASSES, gold)
    expected = load_topic_metric(False).compute(predictions=predicted, references=gold)["macro_f1"]
    assert macro_f1(gold, predicted) == pytest.approx(expected)


def test_paired_comparison_matches_by_id_and_scipy():
    gold = gold_labels()
    right_a = np.arange(N_QUESTIONS) % 10 < 8  # 320 right
    right_b = right_a.copy()
    right_b[:30] = ~right_b[:30]  # of the first 30: 24 right in a become wrong, 6 wrong become right
    frames = {"a": frame_of(gold, predictions_right_on(gold, right_a)),
              "b": frame_of(gold, predictions_right_on(gold, right_b)).sample(frac=1, random_state=1)}  # other order
    result = compare(run_named("a"), run_named("b"), frames, BOOTSTRAP)
    assert (result["a_only_correct"], result["b_only_correct"]) == (24, 6)
    assert result["accuracy_difference"] == pytest.approx((24 - 6) / N_QUESTIONS)
    assert result["mcnemar_p"] == pytest.approx(scipy.stats.binomtest(24, 30, 0.5).pvalue)
    assert (result["both_correct"], result["neither_correct"]) == (296, 74)
    assert result["accuracy_difference_ci"] == pytest.approx(
        list(paired_difference_interval(PairedCounts(296, 24, 6, 74))))
    unpaired = confint_proportions_2indep(320 - 6, N_QUESTIONS, 320 - 24, N_QUESTIONS, method="newcomb")
    width = np.diff(result["accuracy_difference_ci"])[0]
    assert width < 0.5 * (unpaired[1] - unpaired[0])  # pairing removes the shared questions
    assert result["accuracy_difference_ci"][0] > 0
    assert result["macro_f1_difference_ci"][0] <= result["macro_f1_difference"] <= result["macro_f1_difference_ci"][1]


def test_different_test_sets_are_refused():
    gold = gold_labels()
    frames = {"a": frame_of(gold, gold), "b": frame_of(gold, gold, ids=[f"x{i}" for i in range(N_QUESTIONS)])}
    with pytest.raises(ClaimsInputError, match=r"its test questions differ from those of a \(800 ids in only one"):
        compare(run_named("a"), run_named("b"), frames, BOOTSTRAP)
    frames["b"] = frame_of((gold + 1) % N_CLASSES, gold)
    with pytest.raises(ClaimsInputError, match="other gold labels than a"):
        compare(run_named("a"), run_named("b"), frames, BOOTSTRAP)


# ---- a hand-made release folder -------------------------------------------------------------------------------

def add_model(release: Path, name: str, backbone: str, text_mode: str, predicted: np.ndarray | None,
              config: str = "single_label") -> None:
    folder = release / "hub" / name
    folder.mkdir(parents=True)
    (folder / "training_args.json").write_text(json.dumps({"backbone": backbone, "dataset_config_name": config,
                                                           "text_mode": text_mode}), encoding="utf-8")
    if predicted is not None:
        gold = gold_labels()
        table = pa.table({"id": [f"q{i}" for i in range(N_QUESTIONS)], "label": gold, "prediction": predicted,
                          "score": np.full(N_QUESTIONS, 0.5, dtype=np.float32)})
        pq.write_table(table, folder / "test_predictions.parquet")


def add_analysis(release: Path, name: str, rows: dict, missing_locales: list[str]) -> None:
    """A correlation table by hand: predictor -> (rho, p) or (rho, p, [low, high]); a predictor "genetic|size" is
    the partial Spearman of genetic distance controlling for size."""
    folder = release / "analysis" / name
    folder.mkdir(parents=True)
    frame = pd.DataFrame([{"predictor": predictor.split("|")[0], "method": "partial_spearman" if "|" in predictor
                           else "spearman", "controls": "smoothed_size" if "|" in predictor else "",
                           "statistic": row[0], "p_value": row[1],
                           "ci_low": row[2][0] if len(row) > 2 else row[0] - 0.1,
                           "ci_high": row[2][1] if len(row) > 2 else row[0] + 0.1, "n": 51 - len(missing_locales),
                           "note": "", "locales": "massive_1.0"} for predictor, row in rows.items()])
    frame.to_csv(folder / "correlations.csv", index=False)
    (folder / "summary.json").write_text(json.dumps({"missing_massive_1_0_locales": missing_locales}),
                                         encoding="utf-8")


@pytest.fixture(scope="module")
def handmade_release(tmp_path_factory) -> Path:
    release = tmp_path_factory.mktemp("handmade") / "release"
    gold = gold_labels()
    index = np.arange(N_QUESTIONS)
    question = index % 10 < 8  # 0.80
    add_model(release, "rubert-q", "rubert-base-conversational", "question", predictions_right_on(gold, question))
    add_model(release, "rubert-a", "rubert-base-conversational", "answer", predictions_right_on(gold, index % 2 == 0))
    near = question.copy()
    near[:3] = ~near[:3]
    add_model(release, "rubert-qa", "rubert-base-conversational", "question_answer", predictions_right_on(gold, near))
    distilled = question.copy()
    distilled[:4] = False  # 4 of the 320 right answers lost: a gap of 0.01
    add_model(release, "distil-q", "distilrubert-base-conversational", "question",
              predictions_right_on(gold, distilled))
    add_model(release, "mbert-q", "google-bert/bert-base-multilingual-cased", "question",
              predictions_right_on(gold, index % 10 < 7))
    add_model(release, "old-model", "rubert-base-conversational", "answer", None, config="massive_aligned")
    add_model(release, "rubert-six", "rubert-base-conversational", "question", predictions_right_on(gold, question),
              config="massive_aligned")
    (release / "massive" / "rubert-six").mkdir(parents=True)
    pd.DataFrame([{"locale": "ru-RU", "accuracy": 0.86, "accuracy_ci_low": 0.82, "accuracy_ci_high": 0.9},
                  {"locale": "en-US", "accuracy": 0.5, "accuracy_ci_low": 0.45, "accuracy_ci_high": 0.55}]).to_csv(
        release / "massive" / "rubert-six" / "results.csv", index=False)
    add_analysis(release, "mbert-q", {"size": (0.8, 1e-12), "genetic": (0.1, 0.3), "syntactic": (0.4, 0.01)}, [])
    add_analysis(release, "rubert-six", {"size": (0.5, 0.3)}, ["am-ET"] * 45)
    (release / "report.md").write_text("# RuQTopics release report\n\n## Models\n\ntable\n", encoding="utf-8")
    write_claims(release, n_resamples=500)
    return release


def verdicts(release: Path) -> dict[tuple[str, str], dict]:
    return {(row["claim"], row["subject"]): row for row in strict_json(release / "claims.json")["claims"]}


def test_verdicts_on_known_differences(handmade_release):
    rows = verdicts(handmade_release)
    answer = rows[("question_beats_answer", "rubert-base-conversational: question vs answer")]
    assert answer["verdict"] == "supports" and answer["run"] == pytest.approx(0.3) and answer["p_value"] < 1e-6
    qa = rows[("question_beats_question_answer", "rubert-base-conversational: question vs question_answer")]
    assert qa["verdict"] == "inconclusive" and "McNemar p" in qa["why"]
    distilled = rows[("distilled_near_full",
                      "question: rubert-base-conversational vs distilrubert-base-conversational")]
    assert distilled["verdict"] == "supports" and distilled["run"] == pytest.approx(0.01)
    assert distilled["decision_interval"][1] < 0.03 and distilled["decision_level"] == 0.95  # one pair tested
    six = rows[("six_class_accuracy", "rubert-six on MASSIVE ru-RU")]
    assert six["verdict"] == "supports" and six["run"] == 0.86 and six["paper"] == 0.85
    size = rows[("size_correlation", "mbert-q: size, rho against the paper's")]
    assert size["verdict"] == "supports" and size["paper"] == "rho 0.773 (band 0.627-0.867), n 51"
    assert rows[("size_correlation", "mbert-q: size, rho > 0")]["verdict"] == "supports"
    assert rows[("size_correlation", "overall")]["verdict"] == "supports"


def test_one_overall_verdict_per_claim_beside_its_rows(handmade_release):
    claims = strict_json(handmade_release / "claims.json")
    overall = {row["claim"]: row for row in claims["claims"] if row["role"] == "overall"}
    assert sorted(overall) == sorted(paper_claims()["claims"])
    # one backbone of the paper's four tested: the claim "for every backbone" cannot be supported by it alone
    assert overall["question_beats_answer"]["verdict"] == "inconclusive"
    assert "missing: distilrubert-base-conversational, distilrubert-tiny-conversational, mbert-cased" in \
        overall["question_beats_answer"]["why"]
    assert "Holm" in overall["question_beats_answer"]["why"]
    assert all(rule["rule"] for name, rule in claims["method"]["rules"].items() if name != "overall")
    assert claims["method"]["rules"]["size_correlation"]["kind"] == "estimate"
    assert claims["synthetic"] is False


def test_a_synthetic_release_gives_no_verdict(handmade_release, tmp_path):
    release = synthetic_copy(handmade_release, tmp_path / "release", "rubert-q")
    claims = strict_json(release / "claims.json")
    assert claims["synthetic"] is True
    found = {row["verdict"] for row in claims["claims"]}
    assert found == {"cannot test", "cannot test (synthetic sample)"}
    grid = {cell["model"]: cell["accuracy"] for cell in claims["grid"]}
    assert grid["rubert-q"] == 0.8  # the numbers are kept; only the verdicts say that they prove nothing
    assert "every verdict is `cannot test (synthetic sample)`" in (release / "report.md").read_text(encoding="utf-8")


def mbert_release(tmp_path: Path, rows: dict) -> dict[tuple[str, str], dict]:
    """A release of the paper's model for claim 4 (mBERT, single_label, question) with this correlation table."""
    release = tmp_path / "release"
    add_model(release, "mbert-q", "mbert-cased", "question", None)
    add_analysis(release, "mbert-q", rows, [])
    write_claims(release, n_resamples=50)
    return verdicts(release)


def test_a_rho_far_below_the_papers_does_not_support_it(tmp_path):
    rows = mbert_release(tmp_path, {"size": (0.298, 0.034, [0.03, 0.53])})
    estimate = rows[("size_correlation", "mbert-q: size, rho against the paper's")]
    assert estimate["verdict"] == "contradicts" and "lies outside 0.627-0.867" in estimate["why"]
    assert rows[("size_correlation", "mbert-q: size, rho > 0")]["verdict"] == "supports"  # significant, but small
    assert rows[("size_correlation", "overall")]["verdict"] != "supports"


def test_a_non_significant_rho_is_inconclusive_not_a_contradiction(tmp_path):
    rows = mbert_release(tmp_path, {"size": (0.251, 0.076, [-0.03, 0.50])})
    positive = rows[("size_correlation", "mbert-q: size, rho > 0")]
    assert positive["verdict"] == "inconclusive" and "not significant" in positive["why"]
    # a rho whose interval reaches the paper's band, yet is not significant: inconclusive on both counts
    rows = mbert_release(tmp_path / "wide", {"size": (0.251, 0.076, [-0.03, 0.70])})
    assert {rows[("size_correlation", subject)]["verdict"] for subject in
            ("mbert-q: size, rho against the paper's", "mbert-q: size, rho > 0", "overall")} == {"inconclusive"}


def test_no_effect_is_supported_only_within_the_equivalence_bound(tmp_path):
    rows = mbert_release(tmp_path, {"genetic|size": (0.05, 0.7, [-0.2, 0.25])})
    assert rows[("distance_not_significant", "mbert-q: genetic | size (partial)")]["verdict"] == "supports"
    rows = mbert_release(tmp_path / "wide", {"genetic|size": (0.05, 0.7, [-0.4, 0.45])})
    wide = rows[("distance_not_significant", "mbert-q: genetic | size (partial)")]
    assert wide["verdict"] == "inconclusive" and "no equivalence" in wide["why"]
    rows = mbert_release(tmp_path / "significant", {"genetic|size": (-0.4, 0.003, [-0.6, -0.15]),
                                                    "syntactic|size": (-0.5, 0.001, [-0.7, -0.2])})
    assert rows[("distance_not_significant", "mbert-q: genetic | size (partial)")]["verdict"] == "contradicts"
    exploratory = rows[("distance_not_significant", "mbert-q: syntactic | size (partial)")]
    assert exploratory["role"] == "exploratory"  # reported, not part of the claim's verdict
    assert rows[("distance_not_significant", "overall")]["verdict"] == "contradicts"


def test_accuracy_that_depends_on_size_alone_does_not_contradict_distance(tmp_path):
    """The issue's table: accuracy a monotone function of pretraining size (plus noise that keeps it from being
    exactly size's ranks). The marginal correlations with distance are significant for some kinds, through size;
    the claim's verdict uses the partial correlations controlling for size, so no `contradicts`."""
    sizes = pd.read_csv(package_path("data", "analysis", "wiki_sizes.csv")).set_index("locale")
    locales = sorted(set(paper_locales()))
    size = sizes.loc[locales, "articles_2020_08"].where(sizes.loc[locales, "in_mbert"] == "yes", 0).astype(float)
    noise = np.random.default_rng(0).normal(0, 0.01, len(locales))
    accuracy = 0.3 + 0.6 * size.rank(pct=True).to_numpy() + noise
    results = tmp_path / "results.csv"
    pd.DataFrame({"locale": locales, "accuracy": accuracy.clip(0, 1)}).to_csv(results, index=False)
    release = tmp_path / "release"
    add_model(release, "mbert-q", "mbert-cased", "question", None)
    analysis.run(results, release / "analysis" / "mbert-q", n_bootstrap=300)
    table = pd.read_csv(release / "analysis" / "mbert-q" / "correlations.csv")
    marginal = table[(table["method"] == "spearman") & (table["predictor"] != "size")]
    assert (marginal["p_value"] < 0.05).any()  # what made the old rule say `contradicts`
    write_claims(release, n_resamples=50)
    distance = [row for row in verdicts(release).values() if row["claim"] == "distance_not_significant"]
    assert len(distance) == 5 and all(row["verdict"] != "contradicts" for row in distance)


def test_untestable_claims_say_why(handmade_release):
    rows = verdicts(handmade_release)
    tiny = rows[("distilled_near_full", "question: rubert-base-conversational vs distilrubert-tiny-conversational")]
    assert tiny["verdict"] == "cannot test"
    assert tiny["why"] == "no single_label question model for backbone distilrubert-tiny-conversational in the grid"
    mbert_answer = rows[("question_beats_answer", "mbert-cased: question vs answer")]
    assert mbert_answer["why"] == "no single_label answer model for backbone mbert-cased in the grid"
    russian = rows[("size_correlation", "rubert-six")]
    assert russian["verdict"] == "cannot test" and russian["role"] == "other model"
    assert "not the paper's model for this claim (mbert-cased single_label question)" in russian["why"]
    assert all(row["why"] for row in rows.values())


def test_the_grid_and_the_notes(handmade_release):
    claims = strict_json(handmade_release / "claims.json")
    cell = next(cell for cell in claims["grid"] if cell["model"] == "rubert-q")
    assert (cell["backbone"], cell["text_mode"], cell["n"], cell["accuracy"]) == \
        ("rubert-base-conversational", "question", N_QUESTIONS, 0.8)
    assert cell["accuracy_ci"][0] < 0.8 < cell["accuracy_ci"][1]
    assert cell["macro_f1_ci"][0] <= cell["macro_f1"] <= cell["macro_f1_ci"][1]
    assert any("old-model has no test_predictions.parquet" in note for note in claims["notes"])
    assert claims["paper"]["file"] == "ruqtopics_kit/data/paper_claims.json"
    assert str(handmade_release) not in (handmade_release / "claims.json").read_text(encoding="utf-8")


def test_the_report_section_is_replaced_not_repeated(handmade_release):
    write_claims(handmade_release, n_resamples=500)
    report = (handmade_release / "report.md").read_text(encoding="utf-8")
    assert report.count("## Paper claims") == 1 and report.startswith("# RuQTopics release report\n\n## Models")
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in report.splitlines()
             if line.startswith("|")]
    assert "### Grid (the paper's Table 3)" in report
    assert any(row[0] == "rubert-base-conversational" and row[1].startswith("0.800 [") for row in cells)
    assert "### Paired comparisons" in report
    assert any(row[:3] == ["rubert-q", "rubert-a", "400"] and row[3].startswith("0.300 [") for row in cells)
    assert any(row[:3] == ["rubert-qa", "rubert-a", "400"] for row in cells)  # the third pair, no claim of its own


def test_command_line(handmade_release, tmp_path, capsys):
    assert cli.main(["claims", str(handmade_release), "--n-resamples", "200"]) == 0
    assert "supports      question_beats_answer" in capsys.readouterr().out
    assert cli.main(["claims", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no hub/ folder, so it is not a release folder" in err


def test_paper_numbers_are_data_with_provenance():
    numbers = paper_claims()
    for name, claim in numbers["claims"].items():
        assert claim["statement"] and claim["source"], name
    size = numbers["claims"]["size_correlation"]
    assert (size["rho"], size["p_value"], size["n"]) == (0.773, 2.997e-11, 51)
    assert numbers["claims"]["six_class_accuracy"]["value"] == 0.85


# ---- the sample release ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_sample_release_has_its_claims(sample_release):
    release, report = sample_release
    claims = strict_json(release.output_dir / "claims.json")
    assert claims["synthetic"] is True  # synthetic never passes for real: no supports, no contradicts
    assert {row["verdict"] for row in claims["claims"]} <= {"cannot test", "cannot test (synthetic sample)"}
    assert all(row["why"] for row in claims["claims"])
    six = next(row for row in claims["claims"] if row["claim"] == "six_class_accuracy")
    results = pd.read_csv(release.layout.massive_results("tiny-massive_aligned-question"))
    assert six["run"] == pytest.approx(results.set_index("locale").loc["ru-RU", "accuracy"])
    assert "is not one of the paper's Russian-only backbones" in six["why"]
    text = report.read_text(encoding="utf-8")
    assert "## Paper claims" in text and "every verdict is `cannot test (synthetic sample)`" in text
