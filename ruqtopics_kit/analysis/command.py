"""Command line: `python -m analysis --results RESULTS.csv --output-dir DIR [options]`, and
`python -m analysis distances [--output FILE]` to recompute the cached URIEL+ distances."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruqtopics_kit.analysis.distances import DISTANCES_FILE, compute_distances, write_distances
from ruqtopics_kit.analysis.errors import AnalysisInputError
from ruqtopics_kit.analysis.pipeline import ABSENT_LANGUAGE_TREATMENTS, Options, run
from ruqtopics_kit.analysis.sizes import PROXY_PREFIXES
from ruqtopics_kit.core.errors import InvalidParameterError
from ruqtopics_kit.core.extras import MissingExtraError
from ruqtopics_kit.core.processes import skip_exit_collection


def correlation_parser() -> argparse.ArgumentParser:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Correlate per-locale MASSIVE scores with mBERT pretraining size and distance from Russian.",
        epilog="Recompute the cached linguistic distances with: python -m analysis distances [--output FILE]",
    )
    parser.add_argument("--results", required=True, type=Path, help="per-locale results CSV (evaluate_massive.py)")
    parser.add_argument("--output-dir", required=True, type=Path, help="directory to create (all or nothing)")
    parser.add_argument(
        "--size-proxy",
        choices=tuple(PROXY_PREFIXES),
        default=defaults.size_proxy,
        help="Wikipedia articles, compressed dump bytes, or tokens (default: %(default)s)",
    )
    parser.add_argument(
        "--exponent",
        type=float,
        default=defaults.exponent,
        help="smoothing size**exponent; rank statistics do not depend on it (default: %(default)s)",
    )
    parser.add_argument(
        "--absent-languages",
        choices=ABSENT_LANGUAGE_TREATMENTS,
        default=defaults.absent_languages,
        help="languages absent from mBERT (am-ET, km-KH): size 0, or left out (default: %(default)s)",
    )
    parser.add_argument("--metric", default=defaults.metric, help="results column to correlate (default: %(default)s)")
    parser.add_argument(
        "--sizes",
        type=Path,
        default=None,
        help="a sizes table of your own with the columns of the shipped wiki_sizes.csv",
    )
    parser.add_argument(
        "--allow-missing-locales", action="store_true", help="accept results for a subset of the 51 MASSIVE 1.0 locales"
    )
    parser.add_argument(
        "--n-bootstrap",
        type=int,
        default=defaults.n_bootstrap,
        help="bootstrap resamples for the 95%% intervals (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the bootstrap and plot jitter")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    return parser


def distances_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis distances",
        description="Recompute the URIEL+ distances from Russian of every MASSIVE locale's language.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DISTANCES_FILE,
        help="CSV to write; its provenance goes beside it (default: the packaged cache)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    skip_exit_collection()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["distances"]:
        args = distances_parser().parse_args(argv[1:])
        try:
            write_distances(compute_distances(), args.output)
        except MissingExtraError as e:
            distances_parser().error(str(e))
        print(f"wrote {args.output}")
        return 0
    parser = correlation_parser()
    args = vars(parser.parse_args(argv))
    results, output_dir = args.pop("results"), args.pop("output_dir")
    try:
        summary = run(results, output_dir, **args)
    except (AnalysisInputError, InvalidParameterError, MissingExtraError, OSError) as e:  # OSError: a failed write
        parser.error(str(e))
    headline = next(
        row for row in summary["correlations"] if row["predictor"] == "size" and row["method"] == "spearman"
    )
    rho = headline["note"] or f"{headline['statistic']:.3f}, p = {headline['p_value']:.3e}"
    print(
        f"{summary['n_locales']} locales: Spearman rho({summary['metric']}, {summary['size']['label']}) = {rho}; "
        f"wrote {output_dir}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
