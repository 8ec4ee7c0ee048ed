"""The release's models as the claims see them: the grid's cells (config, backbone, text mode) with their test
predictions and scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ruqtopics_kit.facts.paper import paper_claims
from ruqtopics_kit.release.claims.inputs import ModelRun, find_models, is_synthetic, load_predictions
from ruqtopics_kit.release.claims.scores import score
from ruqtopics_kit.statistics import Bootstrap
from ruqtopics_kit.training.outputs import PREDICTIONS_FILE

GRID_CONFIG = "single_label"  # the paper's Table 3: 76 topics
SIX_CLASS_CONFIG = "massive_aligned"

Cell = tuple[str, str, str]  # (config, backbone, text mode)


class ReleaseModels:
    """A release folder's models, their predictions, the grid's scores and notes on what was left out."""

    def __init__(self, release_dir: Path, bootstrap: Bootstrap):
        self.release_dir, self.bootstrap = release_dir, bootstrap
        self.alpha = paper_claims()["decision"]["alpha"]
        self.runs = find_models(release_dir)
        loaded = {run.name: load_predictions(run) for run in self.runs if run.config in (GRID_CONFIG, SIX_CLASS_CONFIG)}
        self.frames: dict[str, pd.DataFrame] = {name: frame for name, frame in loaded.items() if frame is not None}
        self.notes = [f"{name} has no {PREDICTIONS_FILE} (trained by an older kit?): left out of the grid and the "
                      f"comparisons; retrain it to include it" for name, frame in loaded.items() if frame is None]
        self.grid = [score(run, self.frames[run.name], bootstrap) for run in self.runs if run.name in self.frames]
        self.seeds = self._seeds()
        self.cells = {cell: runs[0] for cell, runs in self.seeds.items()}
        self.synthetic = is_synthetic(release_dir)

    def _seeds(self) -> dict[Cell, list[ModelRun]]:
        """Cell -> its models, one per training seed (`grid --seeds`), by seed; of models that share a seed too,
        the first by name."""
        cells: dict[Cell, list[ModelRun]] = {}
        for run in self.runs:
            if run.name not in self.frames:
                continue
            runs = cells.setdefault((run.config, run.backbone, run.text_mode), [])
            twin = next((other for other in runs if other.seed == run.seed), None)
            if twin is not None:
                self.notes.append(f"{run.name} and {twin.name} share backbone, config, text mode and seed; the "
                                  f"claims use {twin.name}")
                continue
            runs.append(run)
        return {cell: sorted(runs, key=lambda run: (run.seed is None, run.seed or 0)) for cell, runs in cells.items()}

    def backbones(self, config: str) -> list[str]:
        return sorted({backbone for cell_config, backbone, _ in self.cells if cell_config == config})

    def run_named(self, name: str) -> ModelRun | None:
        return next((run for run in self.runs if run.name == name), None)
