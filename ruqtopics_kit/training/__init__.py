"""The accelerate trainer behind `train.py` (see `loop.py` for the command and its phases)."""

from .config import TrainingConfig, parse_args
from .loop import main

__all__ = ["TrainingConfig", "main", "parse_args"]
