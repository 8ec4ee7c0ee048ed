"""The kit's statistics, in one place: F1 from counts, intervals, paired tests, multiplicity.

Used by the metric module (`metrics`), the MASSIVE evaluation (`massive`), the correlation study (`analysis`) and
the paper's claims (`release.claims`), so that an interval printed in results.csv, the report, claims.json and a
card is computed one way. The rules:

- a proportion (an accuracy): Clopper-Pearson's exact interval (`scipy.stats.binomtest(...).proportion_ci`), which
  keeps its coverage at the edges (63 of 63 right: [0.943, 1], where a percentile bootstrap gives [1, 1]);
- a difference of two proportions on the same items (paired): Newcombe's hybrid score interval (his method 10,
  Stat. Med. 1998;17:2635), built from the Wilson intervals of the two proportions and their correlation;
- McNemar's exact test: a two-sided binomial test on the items exactly one of the two gets right;
- statistics without a closed form (macro-F1, Spearman's rho) keep a percentile bootstrap (`Bootstrap`);
- a family of tests: Holm's step-down adjustment (statsmodels' `multipletests`);
- correlations (the analysis): Spearman, Kendall's tau-b, Pearson, partial Spearman, their bootstrap intervals.
  Ties get average ranks (scipy's default). Spearman's rho is then Pearson's r of the ranks, and its p-value is
  scipy's t-approximation, t = rho * sqrt((n - 2) / (1 - rho^2)) with n - 2 degrees of freedom, two-sided; that is
  how the paper's p = 2.997e-11 follows from rho = 0.773 at n = 51. Kendall's tau is tau-b, which corrects for
  ties in either variable.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.stats
from scipy import optimize, stats

CONFIDENCE = 0.95


# ---- F1 from counts ------------------------------------------------------------------------------------------

def f1_from_counts(true_positives, gold_counts, predicted_counts) -> np.ndarray:
    """Per-class F1 = 2TP / (2TP + FP + FN) = 2TP / (gold count + predicted count); 0 where both counts are 0."""
    true_positives = np.asarray(true_positives, dtype=float)
    denominator = np.asarray(gold_counts, dtype=float) + np.asarray(predicted_counts, dtype=float)
    return np.divide(2 * true_positives, denominator, out=np.zeros(np.shape(denominator), dtype=float),
                     where=denominator > 0)


def macro_f1(gold, predicted, labels=None) -> float:
    """Single-label macro-F1 of class ids: F1 averaged over `labels` when given (a class in it with no gold and no
    predicted item counts as 0), else over every class seen in `gold` or `predicted`."""
    gold, predicted = np.asarray(gold, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    labels = None if labels is None else np.asarray(labels, dtype=np.int64)
    size = int(max(gold.max(initial=-1), predicted.max(initial=-1), -1 if labels is None else labels.max())) + 1
    true_positives = np.bincount(gold[gold == predicted], minlength=size)
    gold_counts, predicted_counts = np.bincount(gold, minlength=size), np.bincount(predicted, minlength=size)
    classes = np.flatnonzero(gold_counts + predicted_counts) if labels is None else labels
    return float(f1_from_counts(true_positives[classes], gold_counts[classes], predicted_counts[classes]).mean())


def macro_f1_along(gold, predicted, labels, axis: int = -1) -> np.ndarray:
    """`macro_f1` over `labels` along `axis` of many samples at once (scipy.stats.bootstrap's vectorized form)."""
    gold, predicted = np.moveaxis(np.asarray(gold), axis, -1), np.moveaxis(np.asarray(predicted), axis, -1)
    per_class = [f1_from_counts(((gold == label) & (predicted == label)).sum(-1), (gold == label).sum(-1),
                                (predicted == label).sum(-1)) for label in labels]
    return np.mean(per_class, axis=0)


# ---- intervals -----------------------------------------------------------------------------------------------

def proportion_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Clopper-Pearson's exact interval of `successes` out of `n` (n > 0)."""
    interval = scipy.stats.binomtest(int(successes), int(n)).proportion_ci(confidence, method="exact")
    return float(interval.low), float(interval.high)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval of `successes` out of `n` (n > 0): the building block of Newcombe's intervals."""
    interval = scipy.stats.binomtest(int(successes), int(n)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class PairedCounts:
    """Two classifiers on the same items: how many both, only the first, only the second, neither got right."""

    both: int
    first_only: int
    second_only: int
    neither: int

    @classmethod
    def of(cls, right_first: np.ndarray, right_second: np.ndarray) -> PairedCounts:
        right_first, right_second = np.asarray(right_first, dtype=bool), np.asarray(right_second, dtype=bool)
        return cls(int((right_first & right_second).sum()), int((right_first & ~right_second).sum()),
                   int((~right_first & right_second).sum()), int((~right_first & ~right_second).sum()))

    @property
    def n(self) -> int:
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def difference(self) -> float:
        """First accuracy minus second accuracy."""
        return (self.first_only - self.second_only) / self.n


def paired_difference_interval(counts: PairedCounts, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) of the difference of two paired proportions, first minus
    second: the Wilson intervals of both proportions, combined with their correlation phi (continuity-corrected as
    Newcombe does: phi is 0 while the cross-product difference is between 0 and n / 2)."""
    n = counts.n
    first, second = counts.both + counts.first_only, counts.both + counts.second_only
    p1, p2 = first / n, second / n
    (l1, u1), (l2, u2) = wilson_interval(first, n, confidence), wilson_interval(second, n, confidence)
    margins = float(first) * (n - first) * second * (n - second)
    cross = counts.both * counts.neither - counts.first_only * counts.second_only
    corrected = cross - n / 2 if cross > n / 2 else min(cross, 0)
    phi = corrected / np.sqrt(margins) if margins > 0 else 0.0
    low = p1 - p2 - np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    high = p1 - p2 + np.sqrt(max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0))
    return float(max(low, -1.0)), float(min(high, 1.0))


def spearman_band(rho: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The sampling interval of a published Spearman rho at n, when only rho and n are known: Fisher's z with
    Fieller, Hartley and Pearson's standard error sqrt(1.06 / (n - 3)) for Spearman's rho."""
    z = scipy.stats.norm.ppf((1 + confidence) / 2) * np.sqrt(1.06 / (n - 3))
    centre = np.arctanh(rho)
    return float(np.tanh(centre - z)), float(np.tanh(centre + z))


@dataclass(frozen=True)
class Bootstrap:
    """scipy.stats.bootstrap with the kit's settings, for statistics without a closed-form interval (macro-F1):
    percentile intervals, a fixed seed, paired resampling when given several samples."""

    n_resamples: int
    confidence_level: float = CONFIDENCE
    seed: int | tuple[int, ...] = 0  # numpy's default_rng seed: an int, or several (the MASSIVE seed and locale)

    def interval(self, samples: tuple[np.ndarray, ...], statistic: Callable, *, vectorized: bool) -> list[float]:
        result = scipy.stats.bootstrap(samples, statistic, paired=len(samples) > 1, vectorized=vectorized,
                                       n_resamples=self.n_resamples, confidence_level=self.confidence_level,
                                       method="percentile", batch=100, rng=np.random.default_rng(self.seed))
        return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


# ---- tests ---------------------------------------------------------------------------------------------------

def mcnemar_exact_p(first_only: int, second_only: int) -> float:
    """McNemar's exact test: under no difference, each discordant item is equally likely to favour either
    classifier, so the count favouring one is Binomial(discordant, 1/2). 1.0 when no item is discordant."""
    discordant = first_only + second_only
    return float(scipy.stats.binomtest(first_only, discordant, 0.5).pvalue) if discordant else 1.0


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values of a family (statsmodels' multipletests), in the order given."""
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(p_values, method="holm")[1]]


# ---- correlations ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Correlation:
    statistic: float
    p_value: float
    n: int


EXACT_MAX_N = 7  # up to 7! = 5,040 orderings, Spearman's p is exact (scipy's t approximation says p = 0 at n = 3)
PARTIAL_MIN_N = 5  # a partial correlation's t has n - 3 degrees of freedom: none at n = 3, one at n = 4
# Below 10 locales a resample holds few distinct ones (about 63% of n), rho takes a handful of values and the
# percentile interval collapses onto them: [-1, -1] at n = 3, an upper end equal to the estimate at n = 6.
BOOTSTRAP_MIN_N = 10


def spearman(x, y) -> Correlation:
    """Spearman's rho; its p-value exact (every ordering of x against y) up to EXACT_MAX_N observations, from
    Student's t above (scipy)."""
    result = stats.spearmanr(x, y)
    p_value = _exact_spearman_p(x, y) if len(x) <= EXACT_MAX_N else result.pvalue
    return Correlation(float(result.statistic), float(p_value), len(x))


def _exact_spearman_p(x, y) -> float:
    """Two-sided permutation p-value of Spearman's rho over all n! pairings (`scipy.stats.permutation_test`)."""
    y_ranks = stats.rankdata(np.asarray(y, dtype=float))

    def rho(x_values, axis=-1):
        rows = np.atleast_2d(x_values)
        result = _row_pearson(stats.rankdata(rows, axis=-1), np.broadcast_to(y_ranks, rows.shape))
        return result if np.ndim(x_values) > 1 else result[0]

    return float(stats.permutation_test((np.asarray(x, dtype=float),), rho, permutation_type="pairings",
                                        n_resamples=np.inf, vectorized=True, alternative="two-sided").pvalue)


def kendall(x, y) -> Correlation:
    result = stats.kendalltau(x, y, variant="b")
    return Correlation(float(result.statistic), float(result.pvalue), len(x))


def pearson(x, y) -> Correlation:
    result = stats.pearsonr(x, y)
    return Correlation(float(result.statistic), float(result.pvalue), len(x))


def t_test_p_value(r: float, n: int, n_controls: int = 0) -> float:
    """Two-sided p-value of a (partial) correlation r over n observations with n_controls variables
    partialled out, from Student's t with n - 2 - n_controls degrees of freedom."""
    df = n - 2 - n_controls
    with np.errstate(divide="ignore"):  # |r| = 1: t is infinite and p is 0, as in scipy
        t = r * np.sqrt(df / (1.0 - r * r))
    return float(2 * stats.t.sf(abs(t), df))


def partial_spearman(x, y, z) -> Correlation:
    """Spearman correlation of x and y with z partialled out: rank all three, then the first-order partial
    correlation of the ranks, r_xy.z = (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2)), which equals the
    correlation of the residuals of x and y each regressed on z. p from t with n - 3 degrees of freedom."""
    r_xy, r_xz, r_yz = (spearman(a, b).statistic for a, b in ((x, y), (x, z), (y, z)))
    r = (r_xy - r_xz * r_yz) / np.sqrt((1 - r_xz**2) * (1 - r_yz**2))
    return Correlation(float(r), t_test_p_value(r, len(x), n_controls=1), len(x))


def bootstrap_spearman_interval(x, y, *, n_resamples: int, seed: int, confidence: float = CONFIDENCE,
                                control=None) -> tuple[float, float]:
    """Percentile bootstrap interval for Spearman's rho (with `control`, the partial Spearman of x and y controlling
    for it): `scipy.stats.bootstrap` resampling locales (pairs, or triples) with replacement, all resamples drawn at
    once from `default_rng(seed)`.

    Resamples in which a variable is constant have no rho and are left out; scipy's own interval would be NaN as
    soon as one of them occurs (as it does with a handful of locales), so the percentiles are taken here, over
    scipy's bootstrap distribution.

    Below BOOTSTRAP_MIN_N observations no interval is computed: (NaN, NaN), never a degenerate one."""
    if len(x) < BOOTSTRAP_MIN_N:
        return np.nan, np.nan
    samples = tuple(np.asarray(values, dtype=float) for values in ((x, y) if control is None else (x, y, control)))
    statistic = _row_spearman if control is None else _row_partial_spearman
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)  # the constant resamples, left out below
        rhos = stats.bootstrap(samples, statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                               method="percentile", confidence_level=confidence,
                               rng=np.random.default_rng(seed)).bootstrap_distribution
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(rhos[np.isfinite(rhos)], [tail, 100 - tail])
    return float(low), float(high)


def _row_partial_spearman(x: np.ndarray, y: np.ndarray, z: np.ndarray, axis: int = -1) -> np.ndarray:
    """The partial Spearman of x and y controlling for z, along `axis` of every resample; NaN where undefined."""
    r_xy, r_xz, r_yz = (_row_spearman(a, b, axis=axis) for a, b in ((x, y), (x, z), (y, z)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (r_xy - r_xz * r_yz) / np.sqrt((1 - r_xz**2) * (1 - r_yz**2))


def _row_spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho along `axis` of every resample of x with the same resample of y; NaN where one is constant."""
    return _row_pearson(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis))


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson's r of each row of a with the same row of b; NaN where a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / denominator


def monotone_trend(x, y, *, increasing: bool) -> tuple[np.ndarray, np.ndarray]:
    """The least-squares monotone fit of y on x (isotonic regression): the trend a rank correlation measures,
    without assuming a functional form. Points sharing an x are pooled first. Returns (distinct x, fit)."""
    xs, group, counts = np.unique(np.asarray(x, dtype=float), return_inverse=True, return_counts=True)
    means = np.bincount(group, weights=np.asarray(y, dtype=float)) / counts
    return xs, optimize.isotonic_regression(means, weights=counts, increasing=increasing).x
