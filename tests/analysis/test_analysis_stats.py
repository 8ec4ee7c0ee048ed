"""Hand-computed cases for every statistic the analysis uses (ruqtopics_kit.statistics) and the paper's p-value."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from ruqtopics_kit.analysis.correlations import correlation_table
from ruqtopics_kit.analysis.distances import load_distances
from ruqtopics_kit.analysis.pipeline import Options, analysis_frame
from ruqtopics_kit.analysis.results import Results
from ruqtopics_kit.analysis.sizes import load_sizes
from ruqtopics_kit.analysis.tables import tie_groups
from ruqtopics_kit.statistics import (
    BOOTSTRAP_MIN_N,
    bootstrap_spearman_interval,
    kendall,
    monotone_trend,
    partial_spearman,
    pearson,
    spearman,
    t_test_p_value,
)

X = [1, 2, 3, 4, 5]
Y = [2, 1, 4, 3, 5]  # two adjacent swaps: sum d^2 = 4


def student_t3_two_sided(t):
    """Two-sided p of Student's t with 3 degrees of freedom, in closed form (no scipy)."""
    u = abs(t) / math.sqrt(3)
    return 1 - (2 / math.pi) * (u / (1 + u * u) + math.atan(u))


def test_spearman_by_hand():
    result = spearman(X, Y)
    assert result.statistic == pytest.approx(1 - 6 * 4 / (5 * 24))  # 0.8
    t = 0.8 * math.sqrt(3 / (1 - 0.64))
    assert student_t3_two_sided(t) == pytest.approx(0.104088, abs=1e-6)  # the t approximation, used above n = 7
    assert result.p_value == pytest.approx(16 / 120)  # exact: 16 of the 120 orderings have |rho| >= 0.8
    assert result.n == 5


def test_kendall_by_hand_exact_p():
    result = kendall(X, Y)
    assert result.statistic == pytest.approx((8 - 2) / 10)  # 8 concordant, 2 discordant pairs
    # exact null: 1, 4 and 9 of the 120 permutations of 5 have 0, 1 and 2 inversions
    assert result.p_value == pytest.approx(2 * (1 + 4 + 9) / 120)


def test_kendall_tau_b_corrects_for_ties():
    # 4 concordant, 0 discordant, one pair tied in x only, one tied in y only: 4 / sqrt(5 * 5)
    assert kendall([1, 1, 2, 3], [1, 2, 3, 3]).statistic == pytest.approx(0.8)


def test_pearson_by_hand():
    result = pearson([0, 1, 2, 3], [1, 3, 2, 4])
    assert result.statistic == pytest.approx(4 / 5)  # sum dx dy = 4, sum dx^2 = sum dy^2 = 5
    assert result.p_value == pytest.approx(0.2)  # with 2 degrees of freedom p = 1 - |r|


def test_partial_spearman_by_hand_and_by_residuals():
    z = [1, 3, 2, 5, 4]  # r_xz = 0.8, r_yz = 0.3
    expected = (0.8 - 0.8 * 0.3) / math.sqrt((1 - 0.64) * (1 - 0.09))
    result = partial_spearman(X, Y, z)
    assert result.statistic == pytest.approx(expected)  # 0.978399
    assert result.p_value == pytest.approx(1 - expected)  # t with n - 3 = 2 degrees of freedom

    def residuals(a):
        design = np.column_stack([np.ones(5), scipy_stats.rankdata(z)])
        ranks = scipy_stats.rankdata(a)
        return ranks - design @ np.linalg.lstsq(design, ranks, rcond=None)[0]

    assert result.statistic == pytest.approx(np.corrcoef(residuals(X), residuals(Y))[0, 1])


def test_t_test_p_value_is_what_scipy_spearmanr_reports():
    rng = np.random.default_rng(1)
    x = rng.normal(size=30)
    y = x + rng.normal(size=30)
    result = scipy_stats.spearmanr(x, y)
    assert t_test_p_value(result.statistic, 30) == pytest.approx(result.pvalue, rel=1e-12)


def test_paper_p_value_from_rho_and_n():
    """rho = 0.773 at n = 51 gives 2.998e-11; the paper printed 2.997e-11, which needs the unrounded rho in
    (0.773003, 0.773006). No other n comes near, so the paper used the 51 locales of MASSIVE 1.0."""
    assert f"{t_test_p_value(0.773, 51):.3e}" == "2.998e-11"
    assert f"{t_test_p_value(0.773004, 51):.3e}" == "2.997e-11"
    assert f"{t_test_p_value(0.7730029, 51):.3e}" == "2.998e-11"
    assert f"{t_test_p_value(0.7730065, 51):.3e}" == "2.996e-11"
    for n, printed in [(49, "7.601e-11"), (50, "4.773e-11"), (52, "1.884e-11")]:
        assert f"{t_test_p_value(0.773, n):.3e}" == printed
    # without ties rho = 1 - S/22100 (S even); the values nearest 0.773 cannot give the printed p
    assert [f"{t_test_p_value(1 - s / 22100, 51):.3e}" for s in (5014, 5016, 5018)] == [
        "2.964e-11",
        "2.989e-11",
        "3.015e-11",
    ]


def test_bootstrap_interval_is_scipys_paired_bootstrap_and_is_reproducible():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    y = x + rng.normal(size=20)
    low, high = bootstrap_spearman_interval(x, y, n_resamples=300, seed=7)
    expected = scipy_stats.bootstrap((x, y), lambda a, b: scipy_stats.spearmanr(a, b).statistic, paired=True,
                                     vectorized=False, n_resamples=300, method="percentile",
                                     rng=np.random.default_rng(7)).confidence_interval
    assert (low, high) == pytest.approx((expected.low, expected.high))
    picks = np.random.default_rng(7).integers(0, 20, size=(300, 20))  # the same draws as before scipy did them
    rhos = np.array([scipy_stats.spearmanr(x[p], y[p]).statistic for p in picks])
    assert (low, high) == pytest.approx(tuple(np.percentile(rhos, [2.5, 97.5])))
    assert low < spearman(x, y).statistic < high
    assert bootstrap_spearman_interval(x, y, n_resamples=300, seed=7) == (low, high)
    assert bootstrap_spearman_interval(x, y, n_resamples=300, seed=8) != (low, high)


def test_partial_spearman_interval_resamples_the_same_locales_for_all_three():
    rng = np.random.default_rng(1)
    z = rng.normal(size=25)
    x, y = z + rng.normal(size=25), z + rng.normal(size=25)
    low, high = bootstrap_spearman_interval(x, y, n_resamples=300, seed=3, control=z)
    picks = np.random.default_rng(3).integers(0, 25, size=(300, 25))
    partials = np.array([partial_spearman(x[p], y[p], z[p]).statistic for p in picks])
    assert (low, high) == pytest.approx(tuple(np.percentile(partials, [2.5, 97.5])))
    assert low < partial_spearman(x, y, z).statistic < high
    assert (low, high) != bootstrap_spearman_interval(x, y, n_resamples=300, seed=3)  # the marginal one differs


def test_bootstrap_leaves_out_resamples_with_a_constant_variable():
    # x ties 8 of its 10 locales: about one resample in 10 draws only those and has no rho
    x, y = np.array([1] * 8 + [2, 3]), np.arange(10)
    low, high = bootstrap_spearman_interval(x, y, n_resamples=200, seed=0)
    assert -1 <= low <= high <= 1
    picks = np.random.default_rng(0).integers(0, 10, size=(200, 10))
    with pytest.warns(scipy_stats.ConstantInputWarning):  # the resamples that draw only the tied locales
        rhos = np.array([scipy_stats.spearmanr(x[p], y[p]).statistic for p in picks])
    assert np.isnan(rhos).any() and (low, high) == pytest.approx(np.percentile(rhos[np.isfinite(rhos)], [2.5, 97.5]))


@pytest.mark.parametrize("n", [3, 6, BOOTSTRAP_MIN_N - 1])
def test_too_few_locales_get_no_interval_rather_than_a_degenerate_one(n):
    # the audit's cases: at n = 3 the interval was [-1, -1], at n = 6 its upper end was the estimate
    x = np.arange(n, dtype=float)
    y = x + np.random.default_rng(n).normal(size=n)
    low, high = bootstrap_spearman_interval(x, y, n_resamples=300, seed=0)
    assert np.isnan(low) and np.isnan(high)
    low, high = bootstrap_spearman_interval(x, y, n_resamples=300, seed=0, control=-x ** 2)
    assert np.isnan(low) and np.isnan(high)
    x, y = np.arange(BOOTSTRAP_MIN_N, dtype=float), np.arange(BOOTSTRAP_MIN_N, dtype=float)[::-1] % 4
    assert np.isfinite(bootstrap_spearman_interval(x, y, n_resamples=300, seed=0)).all()


def test_monotone_trend_pools_ties_and_violators():
    xs, fit = monotone_trend([1, 2, 3], [1, 3, 2], increasing=True)
    assert xs.tolist() == [1, 2, 3] and fit.tolist() == pytest.approx([1, 2.5, 2.5])
    xs, fit = monotone_trend([1, 2, 2, 3], [3, 1, 2, 1], increasing=True)
    assert xs.tolist() == [1, 2, 3] and fit.tolist() == pytest.approx([1.75] * 3)  # (3 + 2 * 1.5 + 1) / 4
    _, fit = monotone_trend([1, 2, 2, 3], [3, 1, 2, 1], increasing=False)
    assert fit.tolist() == pytest.approx([3, 1.5, 1])


def test_tie_groups():
    assert tie_groups({"b": 1.0, "a": 1.0, "c": 0.5, "d": 0.2, "e": 0.2}) == [["d", "e"], ["a", "b"]]
    assert tie_groups({"a": 1.0, "b": 2.0}) == []


def paper_frame(exponent, absent_languages="zero"):
    """All 51 MASSIVE 1.0 locales, with a score that is a strictly increasing function of the zeroed
    Wikipedia article count (ties in size give tied scores)."""
    sizes = load_sizes(None, "articles")
    locales = [locale for locale in sizes.sizes.index if locale != "ca-ES"]
    zeroed = sizes.sizes[locales].where(sizes.in_mbert[locales], 0.0)
    scores = 0.1 + 0.8 * zeroed.rank() / len(zeroed)
    options = Options(exponent=exponent, absent_languages=absent_languages)
    return analysis_frame(
        Results(path="synthetic.csv", metric="accuracy", scores=scores), sizes, load_distances(), options
    )


@pytest.mark.parametrize("absent_languages, n", [("zero", 51), ("drop", 49)])
def test_rank_statistics_do_not_depend_on_the_exponent(absent_languages, n):
    tables = [
        correlation_table(paper_frame(e, absent_languages), n_bootstrap=200, seed=0).set_index(["predictor", "method"])
        for e in (0.3, 0.7, 2.0)
    ]
    for table in tables:
        # the score was built from the zeroed sizes: ranking raw Wikipedia sizes (am-ET above km-KH) or
        # anything else would not give exactly 1
        assert table.loc[("size", "spearman"), "statistic"] == pytest.approx(1.0, abs=1e-12)
        assert table.loc[("size", "kendall"), "statistic"] == pytest.approx(1.0, abs=1e-12)
        assert table.loc[("size", "spearman"), "n"] == n
    rank_rows = [("size", "spearman"), ("size", "kendall"), ("size", "partial_spearman"), ("genetic", "spearman")]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(other.loc[rank_rows], tables[0].loc[rank_rows])
        assert other.loc[("size", "pearson"), "statistic"] != pytest.approx(
            tables[0].loc[("size", "pearson"), "statistic"]
        )


def test_spearman_at_small_n_is_exact():
    """Three locales in the same order: the exact two-sided p is 2/3! = 1/3 (scipy's t approximation says 0)."""
    from ruqtopics_kit.statistics import spearman

    assert spearman([0.1, 0.2, 0.3], [5, 6, 7]).p_value == pytest.approx(1 / 3)


def test_a_partial_correlation_needs_five_locales(recwarn):
    import pandas as pd

    from ruqtopics_kit.analysis.correlations import correlation_table, row_specs

    columns = {column for spec in row_specs() for column in (spec.column, spec.controls) if column}
    orders = [[3.0, 1.0, 2.0], [1.0, 3.0, 2.0], [2.0, 3.0, 1.0]]  # ranks that are neither constant nor equal
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.7]}
                         | {column: orders[i % 3] for i, column in enumerate(sorted(columns))})
    table = correlation_table(frame, n_bootstrap=20, seed=0)
    partial = table[table["method"] == "partial_spearman"]
    assert len(partial) and partial["statistic"].isna().all()
    assert partial["note"].str.contains("a partial Spearman needs at least 5 locales").all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_table_of_six_locales_says_why_its_spearman_rows_have_no_interval():
    from ruqtopics_kit.analysis.correlations import row_specs
    from ruqtopics_kit.analysis.report import _cells

    columns = sorted({column for spec in row_specs() for column in (spec.column, spec.controls) if column})
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.7, 0.6, 0.8, 0.4]}
                         | {column: rng.permutation(6).astype(float) for column in columns})
    table = correlation_table(frame, n_bootstrap=50, seed=0)
    spearman_rows = table[table["method"].isin(["spearman", "partial_spearman"]) & table["statistic"].notna()]
    assert len(spearman_rows) and spearman_rows[["ci_low", "ci_high"]].isna().all().all()
    assert (spearman_rows["note"] == f"no interval: the bootstrap needs at least {BOOTSTRAP_MIN_N} locales, "
                                     f"6 given").all()
    cells = dict(zip(table.index, _cells(table, "size", latex=False), strict=True))
    assert {cells[i][3] for i in spearman_rows.index} == {spearman_rows["note"].iloc[0]}
