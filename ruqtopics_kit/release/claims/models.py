"""The release's models as the claims see them: the grid's cells (config, backbone, text mode) with their test
predictions and scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ruqtopics_kit.release.claims.inputs import ModelRun, find_models, load_predictions, paper
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
        self.alpha = paper()["decision"]["alpha"]
        self.runs = find_models(release_dir)
        loaded = {run.name: load_predictions(run) for run in self.runs if run.config in (GRID_CONFIG, SIX_CLASS_CONFIG)}
        self.frames: dict[str, pd.DataFrame] = {name: frame for name, frame in loaded.items() if frame is not None}
        self.notes = [f"{name} has no {PREDICTIONS_FILE} (trained by an older kit?): left out of the grid and the "
                      f"comparisons; retrain it to include it" for name, frame in loaded.items() if frame is None]
        self.grid = [score(run, self.frames[run.name], bootstrap) for run in self.runs if run.name in self.frames]
        self.cells = self._cells()

    def _cells(self) -> dict[Cell, ModelRun]:
        """Cell -> the model the claims use (the first by name when several share it)."""
        cells: dict[Cell, ModelRun] = {}
        for run in self.runs:
            if run.name not in self.frames:
                continue
            key = (run.config, run.backbone, run.text_mode)
            if key in cells:
                self.notes.append(f"{run.name} and {cells[key].name} share backbone, config and text mode; the "
                                  f"claims use {cells[key].name}")
                continue
            cells[key] = run
        return cells

    def backbones(self, config: str) -> list[str]:
        return sorted({backbone for cell_config, backbone, _ in self.cells if cell_config == config})

    def run_named(self, name: str) -> ModelRun | None:
        return next((run for run in self.runs if run.name == name), None)
