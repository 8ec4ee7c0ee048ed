"""train.py's command (`python train.py`, `ruqtopics train`): options and output folder checked first.

They are checked before torch, accelerate and transformers' models are imported, which takes seconds of CPU
(docs/benchmarks.md, "Test suite"), so that `--help`, a mistyped option or an output folder that holds something
else is answered fast. The run itself is `loop.train`, which checks the folder again under its lock.
"""

from __future__ import annotations

from pathlib import Path

from ruqtopics_kit.core.config_files import card_tags
from ruqtopics_kit.core.errors import InvalidParameterError
from ruqtopics_kit.core.output_dir import check_not_input, lock_path
from ruqtopics_kit.training.config import TrainingConfig, resolve_batch
from ruqtopics_kit.training.launcher import launched_processes
from ruqtopics_kit.training.outputs import inspect_output_dir
from ruqtopics_kit.training.trackers import check_trackers


def check_before_training(config: TrainingConfig) -> TrainingConfig:
    """The config with its batch resolved for the launched processes, once the output folder is known to be no
    input and to hold nothing but this run (or another run's, with --overwrite-output-dir), a push is known not to
    publish the synthetic sample, and the trackers are installed; a named error otherwise."""
    config = option_checked(resolve_batch, config, launched_processes())
    check_not_input(config.output_dir, {"--backbone": config.backbone, "--dataset": config.dataset})
    check_dataset_card(config.dataset)
    refuse_synthetic_push(config)
    if not lock_path(config.output_dir).exists():  # else another run may be writing it: loop.train says so
        inspect_output_dir(config)
    option_checked(check_trackers, config.report_to)  # imports accelerate (and torch), which training needs next
    return config


def option_checked(check, *args):
    """`check(*args)`, whose ValueError is about an option's value: a usage error."""
    try:
        return check(*args)
    except ValueError as error:
        raise InvalidParameterError(str(error)) from None


def check_dataset_card(dataset: str) -> None:
    """A local --dataset folder's card, whose YAML `datasets` reads (its configs) and the kit (its tags): one that
    neither can read is named now, not by a YAML traceback from load_dataset."""
    card = Path(dataset) / "README.md"
    if card.is_file():
        card_tags(card)


def refuse_synthetic_push(config) -> None:
    """--push-to-hub of a model trained on the kit's synthetic sample stops before training (imports only then)."""
    if config.push_to_hub:
        from ruqtopics_kit.dataset.export import SYNTHETIC_PUSH_REFUSED
        from ruqtopics_kit.training.card import is_synthetic

        if is_synthetic(config.dataset):
            raise ValueError(SYNTHETIC_PUSH_REFUSED)
