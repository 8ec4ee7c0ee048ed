"""`ruqtopics grid` (train a grid of configs), `ruqtopics release` (the end-to-end release, passing the protocol
options of evaluate-massive and analysis on to its steps) and `ruqtopics claims` (the paper's claims of a release
folder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ruqtopics_kit.cli.analysis import add_analysis_protocol, analysis_protocol
from ruqtopics_kit.cli.command import Command
from ruqtopics_kit.cli.massive import add_massive_protocol, massive_protocol
from ruqtopics_kit.cli.options import add_hub, add_output_dir, add_resampling, switch
from ruqtopics_kit.core.errors import InvalidParameterError

RESUMED = ("stopped (its running train.py processes were stopped too, or its SLURM jobs were cancelled); rerun the "
           "same command to continue where it stopped")
TRAIN_OPTIONS = "TRAIN_OPTIONS"  # the grid's options after `--`, passed to every train run


def add_grid_arguments(parser: argparse.ArgumentParser) -> None:
    from ruqtopics_kit.release.grid import add_parallel_options, add_seeds_option
    from ruqtopics_kit.release.slurm import add_slurm_options

    parser.add_argument("configs", nargs="+", help="YAML configs: files, folders, glob patterns, or `sample`, "
                                                   "`paper`, `paper-deeppavlov` for the configs shipped with the kit")
    add_output_dir(parser, required=False, default=Path("runs"), overwrite=None, old=("--output-root",),
                   help="each run trains into OUTPUT_DIR/<config name> (default: runs); finished runs are skipped "
                        "and interrupted ones resumed, so there is nothing to overwrite")
    add_parallel_options(parser)
    add_seeds_option(parser)
    switch(parser, "--dry-run", help="print what would run, run nothing")
    add_slurm_options(parser)


def run_grid(args: argparse.Namespace) -> int:
    from ruqtopics_kit.core.output_dir import check_not_input, claim_output_dir
    from ruqtopics_kit.core.processes import signals_interrupt
    from ruqtopics_kit.release import grid

    config_files = grid.expand(args.configs)  # a missing config is a fault of the inputs (1), as everywhere
    runs = grid.plan(config_files, args.output_dir, getattr(args, TRAIN_OPTIONS), args.launch, seeds=args.seeds)
    devices, slurm = executor_options(args)
    for path in config_files:  # named one at a time: "the input config PATH"
        check_not_input(args.output_dir, {"config": path})
    with signals_interrupt(), claim_output_dir(args.output_dir):
        failed = grid.run_grid(runs, jobs=args.jobs, dry_run=args.dry_run, devices=devices, slurm=slurm)
    if failed:
        raise grid.GridError(f"{len(failed)} of {len(runs)} runs failed: "
                             f"{', '.join(run.label for run in failed)} (see their logs above)")
    return 0


def add_release_arguments(parser: argparse.ArgumentParser) -> None:
    from ruqtopics_kit.release.grid import add_parallel_options, add_seeds_option
    from ruqtopics_kit.release.slurm import add_slurm_options

    switch(parser, "--sample", help="use the bundled synthetic sample, the bundled MASSIVE sample, configs/sample and "
                                    "a tiny backbone built on the fly (the README's first command)")
    parser.add_argument("--data-dir", type=Path, help="raw RuQTopics data (canonical JSON Lines or DeepPavlov TSV)")
    parser.add_argument("--massive", help="MASSIVE: official archive or folder, a Hub copy's folder, or a Hub id")
    parser.add_argument("--grid", nargs="+",
                        help="training configs: YAML files, folders of them, glob patterns, or `paper`, "
                             "`paper-deeppavlov`, `sample` for the configs shipped with the kit (default with "
                             "--sample: sample)")
    parser.add_argument("--backbone", help="use this backbone for every config (a Hub id or local folder)")
    add_output_dir(parser, overwrite=None, help="where the repositories and report go (a release folder is "
                                                "continued, not overwritten: finished steps are skipped)")
    add_hub(parser, repo="--hub-org", license_help=(
        "licence id of the dataset for its card (see `ruqtopics export --help`; default: unknown, explained in the "
        "card). Model cards take their backbone's licence from the registry"), repo_help=(
        "Hub organisation or user of the repositories: every card's ids and loading code use it, pushed or not "
        "(default: %(default)s)"))
    training = parser.add_argument_group("training (as `ruqtopics grid`)")
    add_parallel_options(training)
    add_seeds_option(training)
    add_slurm_options(parser, wait_option=False)  # a group of its own
    add_massive_protocol(parser.add_argument_group("MASSIVE evaluation (as `ruqtopics evaluate-massive`); the "
                                                   "bootstrap options also apply to the analysis and the claims"))
    add_analysis_protocol(parser.add_argument_group("analysis (as `ruqtopics analysis`)"), resampling=False)


def parse_release(argv: list[str]):
    """`ruqtopics release`'s options as a `Release` (argparse's usage errors exit with status 2)."""
    parser = RELEASE.parser()
    from ruqtopics_kit.core.config_files import parse_with_config_file

    args = parse_with_config_file(parser, argv)
    try:
        return release_of(args)
    except InvalidParameterError as error:
        parser.error(str(error))


def release_of(args: argparse.Namespace):
    from ruqtopics_kit.core.hub import check_license_id, check_repo_id
    from ruqtopics_kit.facts.names import DATASET_NAME
    from ruqtopics_kit.release.grid import expand
    from ruqtopics_kit.release.pipeline import SAMPLE_DATA, SAMPLE_MASSIVE, Release

    if args.sample:
        args.data_dir = args.data_dir or SAMPLE_DATA
        args.massive = args.massive or str(SAMPLE_MASSIVE)
        args.grid = args.grid or ["sample"]
    check_repo_id("--hub-org", f"{args.hub_org}/{DATASET_NAME}")
    check_license_id("--license", args.license)
    missing = [flag for flag, value in (("--data-dir", args.data_dir), ("--massive", args.massive),
                                        ("--grid", args.grid)) if not value]
    if missing:
        raise InvalidParameterError(f"{', '.join(missing)} required (or --sample for the bundled sample)")
    grid = expand(args.grid)
    _check_inputs_exist(args)
    devices, slurm = executor_options(args)
    return Release(data_dir=args.data_dir, massive=args.massive, grid=grid, output_dir=args.output_dir,
                   org=args.hub_org, push=args.push_to_hub, private=args.hub_private, sample=args.sample,
                   license=args.license, backbone=args.backbone, massive_options=massive_protocol(args),
                   analysis_options=analysis_protocol(args), launch=args.launch, jobs=args.jobs, devices=devices,
                   seeds=args.seeds, slurm=slurm)


def executor_options(args: argparse.Namespace):
    """The grid's devices or SLURM options; a --gpus-per-run the machine cannot give is a usage error (2)."""
    from ruqtopics_kit.release import grid

    try:
        return grid.executor_options(args)
    except ValueError as error:
        raise InvalidParameterError(str(error)) from None


def _check_inputs_exist(args: argparse.Namespace) -> None:
    """A mistyped --massive or --backbone path is named before any work, not after hours of training."""
    from ruqtopics_kit.facts.backbones import resolve_backbone
    from ruqtopics_kit.massive.readers import check_source

    check_source(args.massive)
    if args.backbone is not None:
        resolve_backbone(args.backbone)


def run_release(args: argparse.Namespace) -> int:
    from ruqtopics_kit.core.extras import require
    from ruqtopics_kit.core.processes import signals_interrupt
    from ruqtopics_kit.release.pipeline import run_release

    release = release_of(args)
    require("matplotlib.figure", "analysis", "the release (its MASSIVE and correlation plots)")  # before training
    with signals_interrupt():
        report = run_release(release)
    print(f"\nDone. The report is at {report}")
    return 0


def add_claims_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("release_dir", type=Path, metavar="RELEASE_DIR",
                        help="the --output-dir of `ruqtopics release`; claims.json and report.md are written there")
    add_resampling(parser, default=None, help="bootstrap resamples (default: paper_claims.json's)")


def run_claims(args: argparse.Namespace) -> int:
    from ruqtopics_kit.release.claims import write_claims
    from ruqtopics_kit.release.claims.rendering import SECTION_TITLE
    from ruqtopics_kit.release.layout import CLAIMS_FILE, REPORT_FILE

    claims = write_claims(args.release_dir, n_resamples=args.n_resamples, seed=args.seed)
    for row in claims["claims"]:
        if row["role"] in ("member", "overall"):
            print(f"{row['verdict']:13s} {row['claim']:32s} {row['subject']}")
    print(f"wrote {args.release_dir / CLAIMS_FILE} and the '{SECTION_TITLE[3:]}' section of "
          f"{args.release_dir / REPORT_FILE}")
    return 0


def grid_description() -> str:
    from ruqtopics_kit.release import grid

    return grid.__doc__


def release_description() -> str:
    from ruqtopics_kit.release import pipeline

    return pipeline.__doc__


def claims_description() -> str:
    from ruqtopics_kit.release import claims

    return claims.__doc__


GRID = Command("grid", "train a grid of configs, skipping finished runs and resuming interrupted ones",
               add_grid_arguments, run_grid, stopped=RESUMED, passes_on=TRAIN_OPTIONS,
               description=grid_description)
RELEASE = Command("release", "the end-to-end release (raw data to Hub repositories and a report)",
                  add_release_arguments, run_release, stopped=RESUMED, description=release_description)
CLAIMS = Command("claims", "the paper's claims recomputed from a release folder (claims.json and report.md's "
                           "section)", add_claims_arguments, run_claims, description=claims_description)
