"""Scatter plots of the per-locale score, each with its monotone (isotonic) trend, as PNG and SVG.

Figures are built with matplotlib's object-oriented API (`Figure`, no pyplot), which renders with the Agg
and SVG canvases and leaves the caller's matplotlib backend and global state alone.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ruqtopics_kit.core.extras import require
from ruqtopics_kit.statistics import monotone_trend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GENETIC_JITTER = 0.01  # half-width of the horizontal jitter; most languages share genetic distance 1.0


def plot_score_vs_size(frame: pd.DataFrame, spearman_row, *, size_label: str, metric: str) -> Figure:
    """Log x axis of size + 1, so that languages absent from mBERT (size 0) sit at 1, at the far left."""
    x = frame["smoothed_size"].to_numpy() + 1
    figure, axes = _scatter_with_trend(frame, x, x, spearman_row, metric=metric)
    axes.set_xscale("log")
    axes.set_xlabel(f"{size_label} + 1 (log scale)")
    return figure


def plot_score_vs_genetic_distance(frame: pd.DataFrame, spearman_row, *, metric: str, seed: int) -> Figure:
    """Points are jittered horizontally (seeded) so that the many languages at distance 1.0 stay readable;
    the trend uses the exact distances."""
    x = frame["genetic"].to_numpy()
    jitter = np.random.default_rng(seed).uniform(-GENETIC_JITTER, GENETIC_JITTER, size=len(x))
    figure, axes = _scatter_with_trend(frame, x, x + jitter, spearman_row, metric=metric)
    axes.set_xlabel(f"genetic distance from Russian (URIEL+; points jittered by up to ±{GENETIC_JITTER})")
    return figure


def save(figure: Figure, directory: Path, stem: str) -> list[str]:
    """The figure as `stem`.png and `stem`.svg. The SVG has no date, and its element ids are salted with the stem
    (matplotlib's `svg.hashsalt`) instead of a random uuid, so that a rerun writes the same bytes."""
    from matplotlib import rc_context

    names = [f"{stem}.png", f"{stem}.svg"]
    figure.savefig(directory / names[0], dpi=150)
    with rc_context({"svg.hashsalt": stem}):
        figure.savefig(directory / names[1], metadata={"Date": None})
    return names


def _scatter_with_trend(frame: pd.DataFrame, x_exact, x_shown, spearman_row, *, metric: str):
    figure = require("matplotlib.figure", "analysis", "the analysis plots").Figure(figsize=(10, 6.5))
    # Fixed margins, room for the legend at the right: every text outside the axes has a bounded length, and
    # matplotlib's constrained layout, which measures them all at each save, took a third of an analysis run.
    figure.subplots_adjust(left=0.07, right=0.8, bottom=0.09, top=0.93)
    axes = figure.add_subplot()
    score = frame["score"].to_numpy()
    in_mbert = frame["in_mbert"].to_numpy()
    axes.scatter(x_shown[in_mbert], score[in_mbert], s=18, color="tab:blue", label="in mBERT")
    if not in_mbert.all():
        axes.scatter(
            x_shown[~in_mbert],
            score[~in_mbert],
            s=18,
            facecolors="none",
            edgecolors="tab:red",
            label="not in mBERT",
        )
    for locale, xi, yi in zip(frame.index, x_shown, score):
        axes.annotate(locale, (xi, yi), xytext=(3, 2), textcoords="offset points", fontsize=6)
    increasing = not spearman_row.statistic < 0
    trend_x, trend_y = monotone_trend(x_exact, score, increasing=increasing)
    # The isotonic fit is defined at the observed x only: mark those values and join them with straight lines.
    axes.plot(trend_x, trend_y, "o-", markersize=3, color="tab:orange", label="monotone (isotonic) fit")
    axes.set_ylabel(metric)
    axes.set_title(_caption(spearman_row))
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # beside the axes: covers no point
    return figure, axes


def _caption(row) -> str:
    if math.isnan(row.statistic):
        return f"Spearman ρ {row.note}"
    return f"Spearman ρ = {row.statistic:.3f} (p = {row.p_value:.3g}), n = {row.n}"
