"""`run`: from a per-locale results file to the correlation table, its plots and a JSON summary."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from ruqtopics_kit.analysis import plots, report
from ruqtopics_kit.analysis.correlations import ALL_LOCALES, PAPER_LOCALES, correlation_table
from ruqtopics_kit.analysis.distances import DISTANCE_KINDS, DISTANCES_FILE, load_distances, load_provenance
from ruqtopics_kit.analysis.errors import AnalysisInputError, format_locales
from ruqtopics_kit.analysis.locales import paper_locales
from ruqtopics_kit.analysis.report import (
    CORRELATIONS_CSV,
    CORRELATIONS_MD,
    CORRELATIONS_TEX,
    SCORE_VS_DISTANCE_PLOT,
    SCORE_VS_SIZE_PLOT,
    SUMMARY_FILE,
)
from ruqtopics_kit.analysis.results import Results, load_results
from ruqtopics_kit.analysis.sizes import PROXY_PREFIXES, SizeTable, load_sizes
from ruqtopics_kit.analysis.tables import tie_groups
from ruqtopics_kit.core.atomic import atomic_directory
from ruqtopics_kit.core.errors import InvalidParameterError, check_choice
from ruqtopics_kit.core.jsonio import json_ready, write_json
from ruqtopics_kit.core.output_dir import claim_output_dir, portable_path
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.statistics import BOOTSTRAP_MIN_N, EXACT_MAX_N, PARTIAL_MIN_N

ABSENT_LANGUAGE_TREATMENTS = ("zero", "drop")
MIN_LOCALES = 3


@dataclass(frozen=True)
class Options:
    size_proxy: str = "articles"  # articles | bytes | tokens: which column of the sizes table
    exponent: float = 0.7  # size ** exponent, mBERT's sampling smoothing; rank statistics ignore it
    absent_languages: str = "zero"  # zero: languages not in mBERT get size 0; drop: leave them out
    metric: str = "accuracy"  # the results column to correlate
    sizes: str | os.PathLike | None = None  # a sizes table of your own; None: the shipped data/analysis/wiki_sizes.csv
    allow_missing_locales: bool = False  # accept results for a subset of the 51 MASSIVE 1.0 locales
    n_bootstrap: int = 10_000  # bootstrap resamples for the 95% interval of each Spearman rho
    seed: int = DEFAULT_SEED  # seeds the bootstrap and the plot jitter
    overwrite: bool = False  # replace a non-empty output directory

    def __post_init__(self):
        check_choice("size_proxy", self.size_proxy, tuple(PROXY_PREFIXES))
        check_choice("absent_languages", self.absent_languages, ABSENT_LANGUAGE_TREATMENTS)
        if (
            isinstance(self.exponent, bool)
            or not isinstance(self.exponent, (int, float))
            or not 0 < self.exponent < np.inf
        ):
            raise InvalidParameterError(
                "The 'exponent' parameter must be a finite number > 0 (a monotone smoothing). "
                f"Got {self.exponent!r} instead."
            )
        for name in ("n_bootstrap", "seed"):
            value, low = getattr(self, name), 1 if name == "n_bootstrap" else 0
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise InvalidParameterError(
                    f"The {name!r} parameter must be an integer >= {low}. Got {value!r} instead."
                )


def run(results_csv, output_dir, **options) -> dict:
    """Correlate per-locale scores with pretraining size and distance from Russian; write
    correlations.{csv,md,tex}, summary.json and the plots (PNG and SVG) to `output_dir`, all or nothing.

    Options are the fields of `Options`. Returns the summary that summary.json holds (undefined numbers as None)."""
    options = _options(options)
    output_dir = Path(output_dir)
    with claim_output_dir(output_dir, {"--results": results_csv, "--sizes": options.sizes}):
        return _run(results_csv, output_dir, options)


def _run(results_csv, output_dir: Path, options: Options) -> dict:
    _check_output_dir(output_dir, options.overwrite)
    results = load_results(results_csv, options.metric)
    sizes = load_sizes(options.sizes, options.size_proxy)
    frame = analysis_frame(results, sizes, load_distances(), options)
    table = correlation_tables(frame, options)
    summary = _summary(frame, table, results, sizes, options, output_dir)
    with atomic_directory(output_dir, overwrite=True) as staging:  # emptiness was checked above
        _write_outputs(staging, frame, table, summary, options)
    return json_ready(summary)


def correlation_tables(frame: pd.DataFrame, options: Options) -> pd.DataFrame:
    """The correlation table over the paper's locales (MASSIVE 1.0's); again over every locale analysed when the
    results hold others (ca-ES, MASSIVE 1.1 only), those rows marked `locales` = ALL_LOCALES."""
    paper = frame[frame.index.isin(paper_locales())]
    tables = []
    if len(paper) >= MIN_LOCALES and paper["score"].nunique() > 1:
        tables.append(correlation_table(paper, n_bootstrap=options.n_bootstrap, seed=options.seed,
                                        locales=PAPER_LOCALES))
    if len(paper) < len(frame):
        tables.append(correlation_table(frame, n_bootstrap=options.n_bootstrap, seed=options.seed,
                                        locales=ALL_LOCALES))
    return pd.concat(tables, ignore_index=True)


def _options(options: dict) -> Options:
    known = [f.name for f in fields(Options)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise InvalidParameterError(f"Unknown option(s) {unknown} for analysis.run. Valid options are {known}.")
    return Options(**options)


def analysis_frame(results: Results, sizes: SizeTable, distances: pd.DataFrame, options: Options) -> pd.DataFrame:
    """One row per locale analysed: score, raw and smoothed size, in_mbert and the distances."""
    locales = list(results.scores.index)
    _require_entries(results, sizes.sizes.index, f"size entry in the sizes file {str(sizes.path)!r}")
    _require_entries(results, distances.index, f"distance entry in {str(DISTANCES_FILE)!r}")
    in_mbert = sizes.in_mbert[locales]
    if options.absent_languages == "drop":
        locales = [locale for locale in locales if in_mbert[locale]]
    _check_coverage(locales, results, sizes, options)
    frame = pd.DataFrame(
        {"score": results.scores[locales], "size": sizes.sizes[locales], "in_mbert": in_mbert[locales]}
    )
    frame["smoothed_size"] = frame["size"].where(frame["in_mbert"], 0.0) ** options.exponent
    frame["log1p_smoothed_size"] = np.log1p(frame["smoothed_size"])
    frame = frame.join(distances.loc[locales, list(DISTANCE_KINDS)]).sort_index()
    _check_usable(frame, results)
    return frame


def _require_entries(results: Results, available, what: str) -> None:
    lacking = sorted(set(results.scores.index) - set(available))
    if lacking:
        raise AnalysisInputError(
            f"The results file {str(results.path)!r} has locale(s) with no {what}: {format_locales(lacking)}. "
            "Use MASSIVE locale codes (e.g. ru-RU, sl-SL), or add the locales to the table."
        )


def _check_coverage(locales: list[str], results: Results, sizes: SizeTable, options: Options) -> None:
    """The paper's table needs every MASSIVE 1.0 locale (less those dropped as absent from mBERT)."""
    dropped = set(sizes.in_mbert.index[~sizes.in_mbert]) if options.absent_languages == "drop" else set()
    missing = sorted(set(paper_locales()) - dropped - set(locales))
    if missing and not options.allow_missing_locales:
        raise AnalysisInputError(
            f"The results file {str(results.path)!r} lacks {len(missing)} of the {len(paper_locales())} MASSIVE 1.0 "
            f"locales: "
            f"{format_locales(missing)}. "
            "The paper's table is computed over all of them; to analyse a subset on purpose, pass "
            "--allow-missing-locales."
        )


def _check_usable(frame: pd.DataFrame, results: Results) -> None:
    if len(frame) < MIN_LOCALES:
        raise AnalysisInputError(
            f"A correlation needs at least {MIN_LOCALES} locales; {len(frame)} remain from {str(results.path)!r} "
            f"({format_locales(frame.index) or 'none'}). Evaluate more locales."
        )
    if frame["score"].nunique() < 2:
        raise AnalysisInputError(
            f"The column {results.metric!r} of {str(results.path)!r} has the same value for every locale analysed, "
            "so no correlation with it is defined."
        )


def _summary(frame: pd.DataFrame, table: pd.DataFrame, results: Results, sizes: SizeTable, options: Options,
             output_dir: Path) -> dict:
    """summary.json; it names its inputs by paths relative to `output_dir` (or to the kit), never absolute."""
    inputs = {name: portable_path(path, output_dir)
              for name, path in (("results", results.path), ("sizes", sizes.path), ("distances", DISTANCES_FILE))}
    absent = sorted(sizes.in_mbert.index[~sizes.in_mbert].intersection(results.scores.index))
    size_label = f"{sizes.column}^{options.exponent:g}"
    missing = sorted(set(paper_locales()) - set(results.scores.index))
    ties = {"score": tie_groups(frame["score"].to_dict()), "size": tie_groups(frame["smoothed_size"].to_dict())}
    ties.update({kind: tie_groups(frame[kind].to_dict()) for kind in DISTANCE_KINDS})
    summary = {
        "metric": options.metric,
        "n_locales": len(frame),
        "locales": list(frame.index),
        "locales_beyond_massive_1_0": sorted(set(frame.index) - set(paper_locales())),
        "missing_massive_1_0_locales": missing,
        "absent_from_mbert": {"treatment": options.absent_languages, "locales": absent},
        "size": {
            "proxy": options.size_proxy,
            "column": sizes.column,
            "exponent": options.exponent,
            "label": size_label,
            "pearson_log_transform": "log1p(size ** exponent)",
        },
        "ties": ties,
        "correlations": table.to_dict(orient="records"),
        "options": {**asdict(options), "sizes": inputs["sizes"]},
        "inputs": inputs,
        "versions": {
            "scipy": version("scipy"),
            "numpy": version("numpy"),
            "distances": load_provenance(),
        },
    }
    summary["notes"] = _notes(summary, options)
    return summary


def _notes(summary: dict, options: Options) -> list[str]:
    """What a reader of the table needs to know to interpret it, in words."""
    absent = summary["absent_from_mbert"]
    absent_text = format_locales(absent["locales"]) or "none among the locales analysed"
    ties = summary["ties"]
    provenance = summary["versions"]["distances"]
    notes = [
        f"Size: column `{summary['size']['column']}` of `{summary['inputs']['sizes']}`, smoothed as "
        f"size^{options.exponent:g}. A monotone smoothing cannot change a rank statistic (Spearman, Kendall, "
        "partial Spearman); it changes only the linear Pearson r and the plots. Pearson on log uses log(1 + size^e).",
        f"Languages absent from mBERT ({absent_text}): "
        + ("pretraining size set to 0." if absent["treatment"] == "zero" else "left out of the analysis."),
        "Ties get average ranks; Kendall's tau-b corrects for ties. Tied sizes: "
        + (_groups_text(ties["size"]) or "none")
        + f". Tied genetic distances: {_groups_text(ties['genetic']) or 'none'}.",
        f"95% intervals: percentile bootstrap over locales, {options.n_bootstrap} resamples, seed {options.seed}; "
        f"from {BOOTSTRAP_MIN_N} locales on (with fewer, the interval collapses onto a few values: none is given).",
        f"p-values: Spearman exact over every ordering of the locales up to n = {EXACT_MAX_N}, above and Pearson "
        f"from Student's t with n - 2 degrees of freedom (scipy); partial Spearman with n - 3, from n = "
        f"{PARTIAL_MIN_N} on (undefined below); Kendall from scipy.stats.kendalltau (exact for small n without ties). "
        f"Correlations need at least {MIN_LOCALES} locales.",
        f"Distances from Russian: URIEL+ ({provenance['library']} {provenance['version']}, "
        f"{provenance['distance_metric']} distance).",
    ]
    if summary["locales_beyond_massive_1_0"]:
        notes.append(
            f"{format_locales(summary['locales_beyond_massive_1_0'])}: outside the paper's set (the 51 MASSIVE 1.0 "
            f"locales). Rows with locales `{PAPER_LOCALES}` leave them out, as the paper's n = 51 does; rows with "
            f"locales `{ALL_LOCALES}` include them."
        )
    if summary["missing_massive_1_0_locales"]:
        notes.append(
            f"Subset analysis: {len(summary['missing_massive_1_0_locales'])} MASSIVE 1.0 locales have no result: "
            f"{format_locales(summary['missing_massive_1_0_locales'])}."
        )
    return notes


def _groups_text(groups: list[list[str]]) -> str:
    return "; ".join(
        " = ".join(group) if len(group) <= 4 else f"{len(group)} locales ({', '.join(group[:3])}, ...)"
        for group in groups
    )


def _write_outputs(directory: Path, frame: pd.DataFrame, table: pd.DataFrame, summary: dict, options: Options) -> None:
    """Write every output file into `directory`; the list of them goes into the summary."""
    report.write_csv(table, directory / CORRELATIONS_CSV)
    report.write_markdown(table, summary, directory / CORRELATIONS_MD)
    report.write_latex(table, summary, directory / CORRELATIONS_TEX)
    first = table["locales"].iloc[0]  # the paper's locales where they allow a table
    spearman = {row.predictor: row for row in table.itertuples() if row.method == "spearman" and row.locales == first}
    figures = {
        SCORE_VS_SIZE_PLOT: plots.plot_score_vs_size(
            frame, spearman["size"], size_label=summary["size"]["label"], metric=options.metric
        ),
        SCORE_VS_DISTANCE_PLOT: plots.plot_score_vs_genetic_distance(
            frame, spearman["genetic"], metric=options.metric, seed=options.seed
        ),
    }
    files = [CORRELATIONS_CSV, CORRELATIONS_MD, CORRELATIONS_TEX, SUMMARY_FILE]
    for stem, figure in figures.items():
        files += plots.save(figure, directory, stem)
    summary["files"] = files
    write_json(directory / SUMMARY_FILE, summary)


def _check_output_dir(output_dir: Path, overwrite: bool) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise AnalysisInputError(
            f"The output directory {str(output_dir)!r} exists and is not a directory. Choose another path."
        )
    if output_dir.is_dir() and any(output_dir.iterdir()) and not overwrite:
        raise AnalysisInputError(
            f"The output directory {str(output_dir)!r} is not empty. Choose a new directory, or pass "
            "--overwrite-output-dir to replace it."
        )
