"""Bad input to analysis.run: every error names the file and the locales, and nothing is written."""

import json
from pathlib import Path

import pandas as pd
import pytest

from ruqtopics_kit import analysis
from ruqtopics_kit.analysis import AnalysisInputError
from ruqtopics_kit.analysis.sizes import DEFAULT_SIZES_FILE
from ruqtopics_kit.core.errors import InvalidParameterError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "analysis" / "results_51.csv"
FAST = {"n_bootstrap": 50}


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def results_file(tmp_path, edit=lambda frame: frame) -> Path:
    """The 51-locale fixture, edited."""
    return write_csv(edit(pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)), tmp_path / "results.csv")


def sizes_file(tmp_path, edit) -> Path:
    return write_csv(edit(pd.read_csv(DEFAULT_SIZES_FILE, dtype=str, keep_default_na=False)), tmp_path / "sizes.csv")


def keep(*locales):
    return lambda frame: frame[frame["locale"].isin(locales)]


def drop(*locales):
    return lambda frame: frame[~frame["locale"].isin(locales)]


def append_copy(of, as_locale):
    return lambda frame: pd.concat([frame, frame[frame["locale"] == of].assign(locale=as_locale)])


def set_cell(locale, column, value):
    def edit(frame):
        frame.loc[frame["locale"] == locale, column] = value
        return frame

    return edit


def run_expecting_error(tmp_path, results, match, **options):
    output = tmp_path / "out"
    with pytest.raises(AnalysisInputError, match=match) as raised:
        analysis.run(results, output, **FAST, **options)
    assert isinstance(raised.value, ValueError)
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left behind
    return str(raised.value)


def test_missing_locales_are_an_error_that_names_them(tmp_path):
    message = run_expecting_error(
        tmp_path,
        results_file(tmp_path, drop("ru-RU", "ja-JP")),
        r"lacks 2 of the 51 MASSIVE 1\.0 locales: ja-JP, ru-RU",
    )
    assert message.endswith("pass --allow-missing-locales."), message  # the option, not a Python parameter


def test_a_subset_is_analysed_when_allowed_and_reported(tmp_path):
    summary = analysis.run(
        results_file(tmp_path, drop("ru-RU", "ja-JP")), tmp_path / "out", allow_missing_locales=True, **FAST
    )
    assert summary["n_locales"] == 49
    assert summary["missing_massive_1_0_locales"] == ["ja-JP", "ru-RU"]
    assert "ja-JP, ru-RU" in (tmp_path / "out" / "correlations.md").read_text(encoding="utf-8")


def test_drop_needs_no_results_for_languages_absent_from_mbert(tmp_path):
    summary = analysis.run(
        results_file(tmp_path, drop("am-ET", "km-KH")), tmp_path / "out", absent_languages="drop", **FAST
    )
    assert summary["n_locales"] == 49
    assert summary["absent_from_mbert"] == {"treatment": "drop", "locales": []}


def test_ca_es_is_used_when_present(tmp_path):
    summary = analysis.run(results_file(tmp_path, append_copy("es-ES", "ca-ES")), tmp_path / "out", **FAST)
    assert summary["n_locales"] == 52
    assert summary["locales_beyond_massive_1_0"] == ["ca-ES"]
    # the paper's set first (n 51, ca-ES left out), then every locale (n 52), marked as beyond the paper's set
    by_set = {(row["locales"], row["predictor"], row["method"]): row for row in summary["correlations"]}
    assert by_set[("massive_1.0", "size", "spearman")]["n"] == 51 and by_set[("all", "size", "spearman")]["n"] == 52
    assert any("ca-ES: outside the paper's set" in note for note in summary["notes"])
    markdown = (tmp_path / "out" / "correlations.md").read_text(encoding="utf-8")
    assert "(all locales, beyond the paper's 51)" in markdown


def test_duplicate_locale(tmp_path):
    run_expecting_error(
        tmp_path, results_file(tmp_path, append_copy("pl-PL", "pl-PL")), r"results\.csv.*more than one row.*pl-PL"
    )


@pytest.mark.parametrize("value", ["n/a", "", "0,85"])
def test_non_numeric_score(tmp_path, value):
    results = results_file(tmp_path, set_cell("de-DE", "accuracy", value))
    message = run_expecting_error(tmp_path, results, r"'accuracy'.*non-numeric or empty.*de-DE=")
    assert str(results) in message and repr(value) in message


def test_percentages_are_rejected_with_a_hint(tmp_path):
    results = results_file(tmp_path, set_cell("de-DE", "accuracy", "85.0"))
    run_expecting_error(tmp_path, results, r"must lie in \[0\.0, 1\.0\]; got de-DE='85\.0'.*divide them by 100")


def test_locale_without_a_size_entry(tmp_path):
    run_expecting_error(
        tmp_path,
        results_file(tmp_path, append_copy("sl-SL", "sl-SI")),
        r"no size entry in the sizes file .*wiki_sizes\.csv.*: sl-SI",
    )


def test_missing_metric_column(tmp_path):
    run_expecting_error(
        tmp_path, results_file(tmp_path), r"\['locale', 'macro_f1'\].*\['macro_f1'\] are missing", metric="macro_f1"
    )


def test_other_metric_column(tmp_path):
    with_f1 = results_file(tmp_path, lambda frame: frame.assign(macro_f1=frame["accuracy"]))
    summary = analysis.run(with_f1, tmp_path / "out", metric="macro_f1", **FAST)
    assert summary["metric"] == "macro_f1"


def test_results_file_that_does_not_exist_or_is_empty(tmp_path):
    run_expecting_error(tmp_path, tmp_path / "nope.csv", "does not exist")
    (tmp_path / "empty.csv").write_text("")
    run_expecting_error(tmp_path, tmp_path / "empty.csv", "not a readable comma-separated table")


def test_fewer_than_three_locales(tmp_path):
    results = results_file(tmp_path, keep("ru-RU", "pl-PL"))
    run_expecting_error(tmp_path, results, r"at least 3 locales; 2 remain.*pl-PL, ru-RU", allow_missing_locales=True)


def test_constant_score(tmp_path):
    results = results_file(tmp_path, lambda frame: frame.assign(accuracy="0.5"))
    run_expecting_error(tmp_path, results, "same value for every locale")


def test_constant_predictor_gives_an_undefined_row_not_an_error(tmp_path):
    results = results_file(tmp_path, keep("ja-JP", "ko-KR", "tr-TR", "zh-CN"))  # all at genetic distance 1.0
    summary = analysis.run(results, tmp_path / "out", allow_missing_locales=True, **FAST)
    rows = {(row["predictor"], row["method"]): row for row in summary["correlations"]}
    assert rows[("genetic", "spearman")]["note"] == "undefined: genetic is constant over the 4 locales"
    assert rows[("size", "partial_spearman")]["note"].startswith("undefined: genetic")
    assert rows[("size", "spearman")]["note"] == "no interval: the bootstrap needs at least 10 locales, 4 given"
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [r["statistic"] for r in on_disk["correlations"] if r["predictor"] == "genetic"] == [None, None, None]
    assert rows[("genetic", "partial_spearman")]["controls"] == "smoothed_size"


def test_own_sizes_table_with_a_dated_column(tmp_path):
    sizes = sizes_file(tmp_path, lambda frame: frame.rename(columns={"articles_2020_08": "articles_2018_10_11"}))
    summary = analysis.run(results_file(tmp_path), tmp_path / "out", sizes=sizes, **FAST)
    assert summary["size"]["column"] == "articles_2018_10_11"
    assert summary["inputs"]["sizes"] == "../" + sizes.name  # relative to the output folder: no local path


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda f: f.drop(columns="in_mbert"), r"sizes.csv' must have the columns \['locale', 'in_mbert'\]"),
        (
            lambda f: f.assign(articles_2018=f["articles_2020_08"]),
            r"exactly one column whose name starts with 'articles_'",
        ),
        (lambda f: f.drop(columns="articles_2020_08"), r"starts with 'articles_'.*got none"),
        (set_cell("th-TH", "in_mbert", "maybe"), r"'in_mbert'.*must be one of \['yes', 'cased_only', 'no'\].*th-TH"),
        (set_cell("ko-KR", "articles_2020_08", "-3"), r"'articles_2020_08'.*must lie in \[0, inf\]; got ko-KR='-3'"),
        (drop("fi-FI"), r"no size entry in the sizes file .*sizes\.csv.*: fi-FI"),
    ],
)
def test_bad_sizes_table(tmp_path, edit, match):
    run_expecting_error(tmp_path, results_file(tmp_path), match, sizes=sizes_file(tmp_path, edit))


@pytest.mark.parametrize(
    "options, match",
    [
        ({"size_proxy": "pages"}, r"'size_proxy' parameter must be one of 'articles', 'bytes', 'tokens'. Got 'pages'"),
        ({"absent_languages": "keep"}, r"'absent_languages' parameter must be one of 'zero', 'drop'"),
        ({"exponent": 0}, r"'exponent' parameter must be a finite number > 0.*Got 0 instead"),
        ({"exponent": True}, r"'exponent'"),
        ({"exponent": float("inf")}, r"'exponent'"),
        ({"n_bootstrap": 0}, r"'n_bootstrap' parameter must be an integer >= 1. Got 0 instead"),
        ({"seed": -1}, r"'seed' parameter must be an integer >= 0"),
        ({"bootstrap": 10}, r"Unknown option\(s\) \['bootstrap'\].*Valid options are"),
    ],
)
def test_bad_options(tmp_path, options, match):
    with pytest.raises(InvalidParameterError, match=match) as raised:
        analysis.run(results_file(tmp_path), tmp_path / "out", **options)
    assert isinstance(raised.value, ValueError)
    assert not (tmp_path / "out").exists()
