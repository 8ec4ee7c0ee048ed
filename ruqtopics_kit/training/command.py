"""train.py's command (`python train.py`, `ruqtopics train`): options and output folder checked first.

They are checked before torch, accelerate and transformers' models are imported, which takes seconds of CPU
(docs/benchmarks.md, "Test suite"), so that `--help`, a mistyped option or an output folder that holds something
else is answered fast. The run itself is `loop.train`, which checks the folder again under its lock.
"""

from __future__ import annotations

import os
import sys

from ruqtopics_kit.core.output_dir import check_not_input, lock_path
from ruqtopics_kit.core.processes import skip_exit_collection
from ruqtopics_kit.training.config import parse_args, resolve_batch
from ruqtopics_kit.training.outputs import inspect_output_dir
from ruqtopics_kit.training.trackers import check_trackers


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when trained (or already finished), 2 for a problem found before training, 1 for a fault
    during it (a failed write names the file; a failed upload leaves the folder to retry)."""
    skip_exit_collection()
    config = parse_args(argv)
    try:
        config = resolve_batch(config, launched_processes())
        check_not_input(config.output_dir, {"--backbone": config.backbone, "--dataset": config.dataset})
        refuse_synthetic_push(config)
        if not lock_path(config.output_dir).exists():  # else another run may be writing it: loop.train says so
            inspect_output_dir(config)
        check_trackers(config.report_to)  # imports accelerate (and torch), which training needs next anyway
    except (ValueError, OSError) as error:
        return failed(error, status=2)
    from ruqtopics_kit.training.loop import train

    return train(config, failed)


def refuse_synthetic_push(config) -> None:
    """--push-to-hub of a model trained on the kit's synthetic sample stops before training (imports only then)."""
    if config.push_to_hub:
        from ruqtopics_kit.dataset.export import SYNTHETIC_PUSH_REFUSED
        from ruqtopics_kit.training.card import is_synthetic

        if is_synthetic(config.dataset):
            raise ValueError(SYNTHETIC_PUSH_REFUSED)


def launched_processes() -> int:
    """The processes of this run, as torchrun and `accelerate launch` tell each of them (WORLD_SIZE), read before
    accelerate is imported; `loop.setup` checks the total batch against accelerate's own count."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def failed(error: Exception, status: int) -> int:
    print(f"train.py: error: {error}", file=sys.stderr)
    return status
