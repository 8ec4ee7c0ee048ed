"""The end-to-end release: raw data to Hub-ready dataset and model repositories and a report.

    ruqtopics release --sample --output-dir release
    ruqtopics release --data-dir RAW --massive MASSIVE --grid configs/paper --output-dir DIR \
        [--push-to-hub --hub-org ORG] [--config-file FILE.yaml]

Steps, each skipped when it already finished with the same inputs and its outputs are as it left them (see
`steps.py`), so a rerun after a crash continues where it stopped; an interrupted training run resumes from its
last checkpoint:

1. export the dataset repository (`DIR/hub/ruqtopics`);
2. with `--sample` and no `--backbone`, build a tiny BERT backbone from the sample text (`DIR/work/tiny-backbone`);
3. train each config of the grid (`DIR/hub/<config name>`, one Hub model repository each) through the grid
   runner, which skips a finished run once verified (the same options, Hub ids, dataset and backbone content,
   its files complete), trains a stale one again and resumes an interrupted one;
4. evaluate each single-label model on MASSIVE (`DIR/massive/<config name>`) and add the per-locale
   results to its model card;
5. run the correlation analysis on each evaluation (`DIR/analysis/<config name>`);
6. link the cards (the dataset card lists the models) and write `DIR/report.md`;
7. recompute the paper's claims from these files: `DIR/claims.json` and the report's "Paper claims" section;
8. with `--push-to-hub`, upload every repository folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruqtopics_kit import __version__
from ruqtopics_kit.core.config_files import card_metadata
from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.fingerprints import fingerprint_files
from ruqtopics_kit.core.hub import upload_folder
from ruqtopics_kit.core.output_dir import claim_output_dir
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.dataset.export import SYNTHETIC_PUSH_REFUSED, export_dataset, is_synthetic_source, link_models
from ruqtopics_kit.dataset.raw import ReadReport, detect_layout, read_batches
from ruqtopics_kit.facts.names import DATASET_NAME, DEFAULT_ORG, SYNTHETIC_TAG
from ruqtopics_kit.release.claims import write_claims
from ruqtopics_kit.release.devices import DeviceSlots
from ruqtopics_kit.release.grid import (
    GridRun,
    Seeds,
    plan,
    run_grid,
)
from ruqtopics_kit.release.layout import STATE_DIR, ReleaseLayout
from ruqtopics_kit.release.report import write_report
from ruqtopics_kit.release.slurm import SlurmOptions
from ruqtopics_kit.release.steps import Steps
from ruqtopics_kit.training.outputs import RESULTS_FILE

SAMPLE_DATA = package_path("data", "sample")
SAMPLE_MASSIVE = package_path("data", "massive_sample", "amazon-massive-dataset-1.1.tar.gz")
SAMPLE_GRID = package_path("configs", "sample")
MASSIVE_CONFIGS = ("single_label", "massive_aligned")
# One layer of width 128 learns the sample's 76 classes in 15 epochs; the default 2 x 32 learned none of them in 60.
SAMPLE_BACKBONE_SIZE = dict(hidden_size=128, num_layers=1, num_heads=2)


class ReleaseError(KitError, RuntimeError):
    """A step of the release failed; the message says which and how to continue."""


@dataclass
class Release:
    data_dir: Path
    massive: Path | str
    grid: list[Path]
    output_dir: Path
    org: str = DEFAULT_ORG
    push: bool = False
    sample: bool = False
    license: str = "unknown"  # the dataset card's licence id (export --license)
    backbone: str | None = None  # overrides every config's backbone (the sample uses the tiny one)
    private: bool = False  # create the Hub repositories as private
    massive_options: dict = field(default_factory=dict)  # evaluate_model's protocol options (cli.massive)
    analysis_options: dict = field(default_factory=dict)  # the analysis' (cli.analysis); its seed is the claims'
    launch: str = "python"  # what runs each training (grid --launch)
    jobs: int = 1  # configs trained at once (grid --jobs)
    devices: DeviceSlots | None = None  # the GPUs of each of those runs (grid --gpus, --gpus-per-run)
    seeds: Seeds = 1  # seeds per config (grid --seeds)
    slurm: SlurmOptions | None = None  # train as SLURM jobs instead (grid --executor slurm)

    @property
    def layout(self) -> ReleaseLayout:
        return ReleaseLayout(self.output_dir)

    def repo_id(self, name: str) -> str:
        return f"{self.org}/{name}"


def run_release(release: Release, log=print) -> Path:
    """Run every step of `release`; return the path of the report. The output folder must not overlap an
    input, and is locked while the release runs (a second release into it stops). A push of the synthetic sample
    (or of data or a MASSIVE copy made from it) is refused before anything runs."""
    if release.push and (release.sample or is_synthetic_source(release.data_dir)
                         or (Path(release.massive).exists() and is_synthetic_source(release.massive))):
        raise ReleaseError(SYNTHETIC_PUSH_REFUSED)
    inputs = {"--data-dir": release.data_dir, "--massive": release.massive, "--backbone": release.backbone,
              **{f"--grid {path}": path for path in release.grid}}
    with claim_output_dir(release.output_dir, inputs):
        _check_is_a_release(release.output_dir)
        return _run_steps(release, log)


def _check_is_a_release(folder: Path) -> None:
    """The release writes into a new or empty folder, or into one of its own (to continue or redo it): never
    into a folder of other files, which it would overwrite (report.md, say)."""
    if folder.is_dir() and any(folder.iterdir()) and not ReleaseLayout(folder).state_dir.is_dir():
        raise ReleaseError(f"the output folder {folder} is not empty and holds no release (no {STATE_DIR}/); choose "
                           f"a new or empty folder, or the folder of an earlier release")


def _run_steps(release: Release, log) -> Path:
    layout = release.layout
    steps = Steps(layout.state_dir, log=log)
    raw_files = list(detect_layout(release.data_dir).values())
    _check_dataset_card(layout.dataset_dir / "README.md")
    dataset_repo = release.repo_id(DATASET_NAME)
    steps.run("dataset", {"raw": fingerprint_files(raw_files), "kit": __version__,
                          "repo_id": dataset_repo, "license": release.license},
              lambda: export_dataset(release.data_dir, layout.dataset_dir, overwrite=True,
                                     license=release.license, repo_id=dataset_repo),
              outputs=[layout.dataset_dir], rewritten=("README.md",))  # link_models rewrites the card
    backbone = release.backbone
    if release.sample and not backbone:  # a --backbone given with --sample is used instead
        backbone = str(layout.work_dir / "tiny-backbone")
        steps.run("backbone", {"sample": fingerprint_files(raw_files)},
                  lambda: _build_sample_backbone(release.data_dir, Path(backbone)), outputs=[Path(backbone)])
    runs = _train(release, backbone, log)  # each run verifies the dataset's and the backbone's content
    models = {run.output_dir.name: fingerprint_files([run.output_dir / RESULTS_FILE]) for run in runs}
    massive_key = fingerprint_files([Path(release.massive)]) if Path(release.massive).exists() else str(release.massive)
    evaluated = [run.output_dir.name for run in runs if run.config.dataset_config_name in MASSIVE_CONFIGS]
    for name in evaluated:
        inputs = {"model": models[name], "massive": massive_key, "options": release.massive_options}
        models[name] = steps.run(f"massive/{name}", inputs, lambda: _evaluate(release, name),
                                 outputs=[layout.massive_dir(name)])
        steps.run(f"analysis/{name}", {"evaluation": models[name], "options": release.analysis_options},
                  lambda: _analyse(release, name), outputs=[layout.analysis_dir(name)])
    link_models(layout.dataset_dir, [release.repo_id(name) for name in models])
    report = write_report(release, list(models), evaluated)
    write_claims(release.output_dir, seed=release.analysis_options.get("seed", DEFAULT_SEED))
    log(f"report: {report}")
    if release.push:
        push_repositories(release, list(models), steps, log)
    return report


def _check_dataset_card(card: Path) -> None:
    """The dataset card of an earlier run, which the dataset step only needs to find (the cards' links rewrite
    it): one that cannot be read stops the release before any work, saying how to have it written anew."""
    if card.is_file():
        try:
            card_metadata(card)
        except ValueError as error:
            raise ReleaseError(f"{error}; delete it and run the release again, which exports the dataset (and its "
                               f"card) anew") from None


def push_repositories(release: Release, models: list[str], steps: Steps, log) -> None:
    """`--push-to-hub`: upload the dataset and every model repository, each a resumable step; a folder whose card is
    tagged as the synthetic sample is refused (core.hub.upload_folder)."""
    layout = release.layout
    for folder in [layout.dataset_dir] + [layout.model_dir(name) for name in models]:
        repo_type = "dataset" if folder == layout.dataset_dir else "model"
        steps.run(f"push/{folder.name}", {"files": fingerprint_files([folder]), "org": release.org},
                  lambda: log(upload_folder(folder, release.repo_id(folder.name), repo_type=repo_type,
                                            private=release.private, refuse_tag=SYNTHETIC_TAG,
                                            commit_message="Release (ruqtopics release)")))


def _build_sample_backbone(data_dir: Path, output: Path) -> None:
    from ruqtopics_kit.core.atomic import atomic_directory
    from ruqtopics_kit.modeling.tiny_backbone import build_tiny_backbone

    texts, report = [], ReadReport()
    for split, path in detect_layout(data_dir).items():
        for batch in read_batches(path, split, report):
            for question, answer in zip(batch["question"].to_pylist(), batch["answer"].to_pylist(), strict=True):
                texts += [question, answer]
    with atomic_directory(output, overwrite=True) as staging:
        build_tiny_backbone(texts, staging, vocab_size=3000, **SAMPLE_BACKBONE_SIZE)


def _train(release: Release, backbone: str | None, log) -> list[GridRun]:
    """Train every config of the grid through the grid runner (`grid.py`): one child process per model (a clean
    accelerate state each), finished runs with the same options skipped, interrupted ones resumed."""
    extra = ["--dataset", str(release.layout.dataset_dir), "--dataset-repo-id", release.repo_id(DATASET_NAME),
             *(["--backbone", backbone] if backbone else [])]
    runs = plan(release.grid, release.layout.hub_dir, extra, launch=release.launch, hub_org=release.org,
                seeds=release.seeds)
    failed = run_grid(runs, jobs=release.jobs, devices=release.devices, slurm=release.slurm, log=log)
    if failed:
        raise ReleaseError(f"training failed for {', '.join(run.label for run in failed)} (the end of each "
                           f"run's log is above); run the release again to resume")
    return runs


def _evaluate(release: Release, name: str) -> None:
    from ruqtopics_kit.massive.evaluate import evaluate_model

    evaluate_model(release.layout.model_dir(name), release.massive, release.layout.massive_dir(name),
                   overwrite_output_dir=True, update_model_card=True, **release.massive_options)


def _analyse(release: Release, name: str) -> None:
    """Run the correlation analysis; when the data admit none (e.g. the same score in every locale), write
    the reason where the report looks for it instead of failing the whole release."""
    from ruqtopics_kit import analysis
    from ruqtopics_kit.core.atomic import atomic_directory

    layout = release.layout
    output, results = layout.analysis_dir(name), layout.massive_results(name)
    try:
        analysis.run(results, output, overwrite=True, allow_missing_locales=release.sample,
                     **release.analysis_options)
    except analysis.AnalysisInputError as reason:  # published: the results file named within the release
        text = str(reason).replace(str(results), results.relative_to(release.output_dir).as_posix())
        with atomic_directory(output, overwrite=True) as staging:
            (staging / layout.not_computed(name).name).write_text(f"{text}\n", encoding="utf-8")
