"""The accelerate trainer behind `train.py`: `command.main` checks the options, `session.setup` builds the run,
`loop.train` runs it (its phases)."""

from ruqtopics_kit.training.command import main
from ruqtopics_kit.training.config import TrainingConfig, parse_args

__all__ = ["TrainingConfig", "main", "parse_args"]
