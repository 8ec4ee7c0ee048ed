"""The kit's one statistics module against statsmodels, scipy and a published case."""

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from ruqtopics_kit.statistics import (
    PairedCounts,
    f1_from_counts,
    holm,
    macro_f1,
    mcnemar_exact_p,
    paired_difference_interval,
    proportion_interval,
    spearman_band,
    wilson_interval,
)


@pytest.mark.parametrize(("successes", "n"), [(0, 10), (63, 63), (1, 63), (320, 400), (5, 7)])
def test_proportion_intervals_are_statsmodels(successes, n):
    assert proportion_interval(successes, n) == pytest.approx(proportion_confint(successes, n, method="beta"))
    assert wilson_interval(successes, n) == pytest.approx(proportion_confint(successes, n, method="wilson"))
    assert proportion_interval(successes, n, 0.99) == pytest.approx(
        proportion_confint(successes, n, alpha=0.01, method="beta"))


def test_an_accuracy_at_the_edge_keeps_a_width():
    low, high = proportion_interval(63, 63)
    assert high == 1.0 and low == pytest.approx(0.9431, abs=1e-4)  # a percentile bootstrap gives [1, 1]


@pytest.mark.parametrize("table", [(59, 6, 16, 80), (10, 24, 6, 360), (0, 0, 5, 0), (30, 0, 0, 3)])
def test_mcnemar_exact_is_statsmodels(table):
    both, first_only, second_only, neither = table
    expected = mcnemar([[both, first_only], [second_only, neither]], exact=True).pvalue
    assert mcnemar_exact_p(first_only, second_only) == pytest.approx(min(expected, 1.0))


def test_newcombe_paired_interval_is_the_published_one():
    # Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017), chapter 8, the paired table
    # (59, 6; 16, 80): Newcombe's square-and-add interval -0.0621 (95% CI -0.1186 to -0.0046)
    counts = PairedCounts(both=59, first_only=6, second_only=16, neither=80)
    assert counts.difference == pytest.approx(-0.0621, abs=1e-4)
    assert paired_difference_interval(counts) == pytest.approx((-0.1186, -0.0046), abs=1e-4)


def test_paired_interval_at_the_edges_stays_inside_and_covers():
    everything = PairedCounts(both=63, first_only=0, second_only=0, neither=0)
    low, high = paired_difference_interval(everything)
    assert low < 0 < high and low >= -1 and high <= 1  # no difference seen, yet not a zero-width interval
    one_sided = PairedCounts(both=0, first_only=40, second_only=0, neither=0)
    assert paired_difference_interval(one_sided)[1] == 1.0 and paired_difference_interval(one_sided)[0] > 0.8
    right_a, right_b = np.arange(400) % 10 < 8, np.arange(400) % 10 < 6
    assert PairedCounts.of(right_a, right_b) == PairedCounts(240, 80, 0, 80)


def test_macro_f1_from_counts():
    assert f1_from_counts([2, 0, 0], [3, 1, 0], [2, 0, 0]).tolist() == pytest.approx([0.8, 0, 0])
    gold, predicted = np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1])
    assert macro_f1(gold, predicted) == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    assert macro_f1(gold, predicted, labels=[0, 1, 2, 5]) == pytest.approx((2 / 3 + 1 / 2) / 4)


def test_holm_is_statsmodels_and_keeps_the_order():
    p_values = [0.04, 0.001, 0.03, 0.2]
    assert holm(p_values) == pytest.approx(list(multipletests(p_values, method="holm")[1]))
    assert holm(p_values) == pytest.approx([0.09, 0.004, 0.09, 0.2]) and holm([]) == []


def test_the_papers_rho_has_its_own_sampling_band():
    low, high = spearman_band(0.773, 51)
    assert low < 0.773 < high and 0.6 < low < 0.66 and 0.85 < high < 0.88
