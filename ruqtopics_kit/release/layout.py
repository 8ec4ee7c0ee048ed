"""The release folder as a typed contract: where each step's output lies, in one place.

    DIR/report.md, DIR/claims.json         the report and the recomputed claims
    DIR/hub/<dataset name>/                 the dataset repository (`export`)
    DIR/hub/<config name>/                  each model repository (`train`; all_results.json when finished)
    DIR/massive/<config name>/              each MASSIVE evaluation (`evaluate-massive`: results.csv, results.json)
    DIR/analysis/<config name>/             each correlation analysis (`analysis`: correlations.*, summary.json),
                                            or not_computed.txt when the data admit none
    DIR/work/, DIR/.release/                what the release builds for itself, and its steps' stamps

Each step's own files are named by the module that writes them (`training.outputs`, `massive.report`,
`analysis.report`); this module names the folders, the release's own files and `not_computed.txt`, which the
release writes in place of an analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ruqtopics_kit.analysis.report import CORRELATIONS_CSV, SUMMARY_FILE
from ruqtopics_kit.facts.names import DATASET_NAME
from ruqtopics_kit.massive.report import RESULTS_CSV, RESULTS_JSON
from ruqtopics_kit.training.outputs import RESULTS_FILE

REPORT_FILE = "report.md"
CLAIMS_FILE = "claims.json"
NOT_COMPUTED_FILE = "not_computed.txt"  # why the release has no analysis of a model
STATE_DIR = ".release"  # the steps' stamps: what marks a folder as a release's


@dataclass(frozen=True)
class ReleaseLayout:
    """The paths of one release folder, `root`."""

    root: Path

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def dataset_dir(self) -> Path:
        return self.hub_dir / DATASET_NAME

    @property
    def massive_root(self) -> Path:
        return self.root / "massive"

    @property
    def analysis_root(self) -> Path:
        return self.root / "analysis"

    @property
    def work_dir(self) -> Path:
        return self.root / "work"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def report(self) -> Path:
        return self.root / REPORT_FILE

    @property
    def claims(self) -> Path:
        return self.root / CLAIMS_FILE

    def model_dir(self, name: str) -> Path:
        return self.hub_dir / name

    def model_results(self, name: str) -> Path:
        """The model's all_results.json (written last: the model is finished when it exists)."""
        return self.model_dir(name) / RESULTS_FILE

    def massive_dir(self, name: str) -> Path:
        return self.massive_root / name

    def massive_results(self, name: str) -> Path:
        """The per-locale table (results.csv)."""
        return self.massive_dir(name) / RESULTS_CSV

    def massive_summary(self, name: str) -> Path:
        """The run's metadata and scores (results.json)."""
        return self.massive_dir(name) / RESULTS_JSON

    def analysis_dir(self, name: str) -> Path:
        return self.analysis_root / name

    def correlations(self, name: str) -> Path:
        return self.analysis_dir(name) / CORRELATIONS_CSV

    def analysis_summary(self, name: str) -> Path:
        return self.analysis_dir(name) / SUMMARY_FILE

    def not_computed(self, name: str) -> Path:
        return self.analysis_dir(name) / NOT_COMPUTED_FILE

    def analysed_models(self) -> list[str]:
        """The models with an analysis folder (an analysis, or the reason there is none)."""
        return sorted(path.name for path in self.analysis_root.glob("*") if path.is_dir())
