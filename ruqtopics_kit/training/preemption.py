"""Stop at a checkpoint when asked: SIGUSR1 or SIGUSR2, the signals a scheduler sends before a time limit or a
preemption (SLURM's `--signal`, submitit's USR2), make train.py save a checkpoint after the optimizer step it is in
and exit with STOPPED_STATUS; `--resume-from-checkpoint latest` then goes on from that step, to the weights and
metrics an uninterrupted run reaches. SIGTERM and SIGINT still stop at once (the last checkpoint is what remains).

With several processes the request is agreed on after every optimizer step (one all-reduce of a flag), so that
every process stops at the same step, whichever of them got the signal.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGUSR1, signal.SIGUSR2)
STOPPED_STATUS = 3  # checkpoint saved, training not finished: resume it


class StopRequested(Exception):
    """Raised by the training loop once the checkpoint of a requested stop is saved."""


class StopRequest:
    def __init__(self) -> None:
        self.signal: str | None = None

    @contextlib.contextmanager
    def listening(self) -> Iterator[StopRequest]:
        """Within the block, STOP_SIGNALS set the request instead of ending the process (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def request(signum, frame):
            self.signal = signal.Signals(signum).name

        previous = {signum: signal.signal(signum, request) for signum in STOP_SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def due(self, accelerator) -> bool:
        """Whether any process was asked to stop (the same answer on every process)."""
        if accelerator.num_processes == 1:
            return self.signal is not None
        import torch

        flag = torch.tensor([self.signal is not None], dtype=torch.int32, device=accelerator.device)
        return bool(accelerator.reduce(flag, reduction="sum").item())
