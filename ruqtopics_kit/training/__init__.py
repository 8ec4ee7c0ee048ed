"""The accelerate trainer behind `ruqtopics train` (`train.py`): `command` checks the options and the output
folder before torch is imported, `session.setup` builds the run, `loop.train` runs it (its phases)."""

from ruqtopics_kit.training.config import TrainingConfig, parse_args

__all__ = ["TrainingConfig", "parse_args"]
