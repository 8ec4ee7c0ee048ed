"""`ruqtopics analysis` (`python -m analysis` in a checkout): the correlation of per-locale MASSIVE scores with
pretraining size and distance from Russian, the protocol options the release passes on to it
(`add_analysis_protocol`, `analysis_protocol`), and `ruqtopics distances`, which recomputes the cached distances."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ruqtopics_kit.cli.command import Command
from ruqtopics_kit.cli.options import add_aliases, add_output_dir, add_overwrite, add_resampling, switch

# option dest -> analysis Options field, for the options that decide what is computed (the release's too)
ANALYSIS_PROTOCOL = {"size_proxy": "size_proxy", "exponent": "exponent", "absent_languages": "absent_languages",
                     "metric": "metric", "n_resamples": "n_bootstrap", "seed": "seed"}


def add_analysis_protocol(parser: argparse.ArgumentParser, *, resampling: bool = True) -> None:
    """What is computed: the size proxy and its smoothing, the languages absent from mBERT, the metric, the
    bootstrap (and its seed)."""
    from ruqtopics_kit.analysis.pipeline import ABSENT_LANGUAGE_TREATMENTS, Options
    from ruqtopics_kit.analysis.sizes import PROXY_PREFIXES

    defaults = Options()
    parser.add_argument("--size-proxy", choices=tuple(PROXY_PREFIXES), default=defaults.size_proxy,
                        help="Wikipedia articles, compressed dump bytes, or tokens (default: %(default)s)")
    parser.add_argument("--exponent", type=float, default=defaults.exponent,
                        help="smoothing size**exponent; rank statistics do not depend on it (default: %(default)s)")
    parser.add_argument("--absent-languages", choices=ABSENT_LANGUAGE_TREATMENTS, default=defaults.absent_languages,
                        help="languages absent from mBERT (am-ET, km-KH): size 0, or left out (default: %(default)s)")
    parser.add_argument("--metric", default=defaults.metric,
                        help="results column to correlate (default: %(default)s)")
    if resampling:
        add_resampling(parser, default=defaults.n_bootstrap, help="bootstrap resamples for the 95%% intervals",
                       seed_help="seed of the bootstrap and the plots' jitter")


def analysis_protocol(args: argparse.Namespace) -> dict:
    """The protocol options of `args` as the analysis' `run` keyword arguments."""
    return {field: getattr(args, dest) for dest, field in ANALYSIS_PROTOCOL.items()}


def add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", required=True, type=Path,
                        help="per-locale results CSV (ruqtopics evaluate-massive)")
    add_output_dir(parser, help="directory to create (all or nothing)")
    add_analysis_protocol(parser)
    parser.add_argument("--sizes", type=Path, default=None,
                        help="a sizes table of your own with the columns of the shipped wiki_sizes.csv")
    switch(parser, "--allow-missing-locales", help="accept results for a subset of the 51 MASSIVE 1.0 locales")


def run_analysis(args: argparse.Namespace) -> int:
    from ruqtopics_kit.analysis import run

    summary = run(args.results, args.output_dir, **analysis_protocol(args), sizes=args.sizes,
                  allow_missing_locales=args.allow_missing_locales, overwrite=args.overwrite_output_dir)
    headline = next(row for row in summary["correlations"]
                    if row["predictor"] == "size" and row["method"] == "spearman")
    statistic = headline["statistic"]
    undefined = statistic is None or math.isnan(statistic)  # the note says why
    rho = headline["note"] if undefined else f"{statistic:.3f}, p = {headline['p_value']:.3e}"
    print(f"{summary['n_locales']} locales: Spearman rho({summary['metric']}, {summary['size']['label']}) = {rho}; "
          f"wrote {args.output_dir}/")
    return 0


def add_distances_arguments(parser: argparse.ArgumentParser) -> None:
    from ruqtopics_kit.analysis.distances import DISTANCES_FILE

    add_aliases(parser, parser.add_argument(
        "--output-file", type=Path, default=DISTANCES_FILE, metavar="CSV",
        help="CSV to write; its provenance goes beside it (default: the packaged cache)"), "--output")
    add_overwrite(parser, help="replace an existing --output-file and its provenance (the packaged cache too)")


def run_distances(args: argparse.Namespace) -> int:
    from ruqtopics_kit.analysis.distances import check_output_file, compute_distances, write_distances

    check_output_file(args.output_file, overwrite=args.overwrite_output_dir)
    write_distances(compute_distances(), args.output_file)
    print(f"wrote {args.output_file}")
    return 0


ANALYSIS = Command("analysis", "correlate per-locale MASSIVE scores with pretraining size and distance from Russian",
                   add_analysis_arguments, run_analysis,
                   description="Correlate per-locale MASSIVE scores with mBERT pretraining size and distance from "
                               "Russian.\nRecompute the cached linguistic distances with: ruqtopics distances "
                               "--overwrite-output-dir")
DISTANCES = Command("distances", "recompute the cached URIEL+ distances from Russian of MASSIVE's languages "
                                 "(needs urielplus)", add_distances_arguments, run_distances)
