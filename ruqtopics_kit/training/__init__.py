"""The accelerate trainer behind `train.py` (see `loop.py` for the command and its phases)."""

from ruqtopics_kit.training.config import TrainingConfig, parse_args
from ruqtopics_kit.training.loop import main

__all__ = ["TrainingConfig", "main", "parse_args"]
