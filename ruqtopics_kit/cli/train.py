"""`ruqtopics train` (`python train.py`, `accelerate launch train.py`): fine-tune a backbone.

Its options are transformers' example-script names, declared as dataclass fields in `training.config` and parsed by
HfArgumentParser; they and the output folder are checked before torch is imported (`training.command`).
"""

from __future__ import annotations

import argparse

from ruqtopics_kit.cli.command import Command, no_arguments
from ruqtopics_kit.core.errors import InvalidParameterError


def train_parser(**kwargs) -> argparse.ArgumentParser:
    from ruqtopics_kit.training.config import build_parser

    return build_parser(**kwargs)


def run_train(args: argparse.Namespace) -> int:
    from ruqtopics_kit.training.command import check_before_training
    from ruqtopics_kit.training.config import TrainingConfig

    try:
        config = TrainingConfig(**vars(args))
    except ValueError as error:  # a value argparse alone cannot check
        raise InvalidParameterError(str(error)) from None
    config = check_before_training(config)
    from ruqtopics_kit.training.loop import train  # torch, accelerate, transformers' models: seconds

    return train(config)


TRAIN = Command("train", "fine-tune a backbone; the output folder is a Hub model repository", no_arguments,
                run_train, make_parser=train_parser)
