"""The correlation table as CSV, Markdown and LaTeX (the summary goes out as strict JSON through the core)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ruqtopics_kit.analysis.correlations import PAPER_LOCALES
from ruqtopics_kit.core.tables import markdown_table

# the files of an analysis folder (the release and the claims read them by these names)
CORRELATIONS_CSV, CORRELATIONS_MD, CORRELATIONS_TEX = "correlations.csv", "correlations.md", "correlations.tex"
SUMMARY_FILE = "summary.json"
SCORE_VS_SIZE_PLOT, SCORE_VS_DISTANCE_PLOT = "score_vs_size", "score_vs_genetic_distance"  # .png and .svg

# method -> (Markdown label, LaTeX label)
METHOD_LABELS = {
    "spearman": ("Spearman ρ", r"Spearman $\rho$"),
    "kendall": ("Kendall τ-b", r"Kendall $\tau_b$"),
    "pearson_log1p": ("Pearson r on log(1 + size)", r"Pearson $r$ on $\log(1+\mathrm{size})$"),
    "pearson": ("Pearson r on size", r"Pearson $r$ on size"),
    "partial_spearman": ("partial Spearman ρ, {held} held fixed", r"partial Spearman $\rho$, {held} held fixed"),
}
HEADER = ("Predictor", "Statistic", "Value", "95% CI", "p", "n")
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "^": r"\^{}",
    "~": r"\~{}",
}


HELD_FIXED = {"genetic": "genetic distance", "smoothed_size": "size"}  # the partial rows' control columns
ALL_LOCALES_LABEL = " (all locales, beyond the paper's 51)"


def predictor_label(predictor: str, size_label: str, locales: str = PAPER_LOCALES) -> str:
    label = size_label if predictor == "size" else f"{predictor} distance from Russian"
    return label + ("" if locales == PAPER_LOCALES else ALL_LOCALES_LABEL)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, lineterminator="\n")


def write_markdown(table: pd.DataFrame, summary: dict, path: Path) -> None:
    cells = pd.DataFrame(_cells(table, summary["size"]["label"], latex=False), columns=list(HEADER))
    lines = [
        "# Per-locale score against pretraining size and linguistic distance",
        "",
        f"`{summary['metric']}` of {summary['n_locales']} locales from `{summary['inputs']['results']}`.",
        "",
        markdown_table(cells, text_align=["left", "left", "right", "right", "right", "right"]),
        "",
        *(f"- {note}" for note in summary["notes"]),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_latex(table: pd.DataFrame, summary: dict, path: Path) -> None:
    """A booktabs table (needs \\usepackage{booktabs})."""
    header = " & ".join(_latex_escape(h) for h in HEADER[:-2]) + r" & $p$ & $n$ \\"
    caption = _latex_escape(
        f"{summary['metric']} of {summary['n_locales']} MASSIVE locales against pretraining size "
        f"({summary['size']['label']}) and distance from Russian. 95% CI: percentile bootstrap over locales."
    )
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{llrrrr}",
        r"\toprule",
        header,
        r"\midrule",
        *(" & ".join(cells) + r" \\" for cells in _cells(table, summary["size"]["label"], latex=True)),
        r"\bottomrule",
        r"\end{tabular}",
        rf"\caption{{{caption}}}",
        r"\end{table}",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def _cells(table: pd.DataFrame, size_label: str, *, latex: bool) -> list[tuple[str, ...]]:
    text = _latex_escape if latex else str
    math_mode = (lambda formula: f"${formula}$") if latex else str  # a LaTeX minus sign, not a hyphen
    return [
        (
            text(predictor_label(row.predictor, size_label, row.locales)),
            _method_label(row, latex=latex),
            text(row.note) if math.isnan(row.statistic) else math_mode(f"{row.statistic:.3f}"),
            _interval_cell(row, text, math_mode),
            "" if math.isnan(row.p_value) else math_mode(_p_value(row.p_value, latex=latex)),
            str(row.n),
        )
        for row in table.itertuples()
    ]


def _interval_cell(row, text, math_mode) -> str:
    """The interval, or why a defined statistic has none (too few locales for the bootstrap)."""
    if not math.isnan(row.ci_low):
        return math_mode(f"[{row.ci_low:.3f}, {row.ci_high:.3f}]")
    return "" if math.isnan(row.statistic) else text(row.note)


def _method_label(row, *, latex: bool) -> str:
    label = METHOD_LABELS[row.method][1 if latex else 0]
    return label.replace("{held}", HELD_FIXED.get(row.controls, row.controls)) if row.controls else label


def _p_value(p: float, *, latex: bool) -> str:
    """Three decimals down to 0.001, then four significant digits in scientific notation (2.998e-11)."""
    if p >= 1e-3:
        return f"{p:.3f}"
    mantissa, exponent = f"{p:.3e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}" if latex else f"{p:.3e}"


def _latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)
