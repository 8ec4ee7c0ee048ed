"""A launcher that asked for several processes and got one each: stop before training, saying what works.

Two ways it happens on a machine without GPUs (accelerate 1.16, checked by tests/training/test_launchers.py):

- `accelerate launch --cpu --num_processes 2 train.py` starts ONE process: its simple launcher runs several CPU
  processes only through mpirun (`--mpirun_hostfile`), and it passes the count on to no environment variable, so
  the count is read from the launcher's own command line (its parser, `launch_command_parser`). accelerate 1.16
  has no `--multi_cpu` flag.
- `accelerate launch --multi_gpu --num_processes 2 train.py` (or `torchrun --nproc_per_node 2`) starts two
  processes (WORLD_SIZE=2), but without a GPU backend and without ACCELERATE_USE_CPU each Accelerator trains alone
  on the whole data set, and both write the same output folder.

What works on CPUs: ACCELERATE_USE_CPU=1 with torchrun's launcher (`accelerate launch --multi_gpu` is torchrun),
which makes accelerate use gloo (MULTI_CPU).
"""

from __future__ import annotations

import os
from pathlib import Path

CPU_COMMAND = "ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes {n} train.py ..."


def launched_processes() -> int:
    """The processes of this run, as torchrun and `accelerate launch` tell each of them (WORLD_SIZE), read before
    accelerate is imported; `loop.setup` checks the total batch against accelerate's own count."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def check_launch(num_processes: int) -> None:
    """ValueError, one line, when the launcher asked for more processes than accelerate runs together."""
    world_size = launched_processes()
    if world_size > num_processes:
        raise ValueError(f"the launcher started {world_size} processes (WORLD_SIZE) but accelerate trains each alone "
                         f"(no GPU backend, ACCELERATE_USE_CPU unset): on CPUs run "
                         f"{CPU_COMMAND.format(n=world_size)}")
    asked = accelerate_launch_processes()
    if asked > num_processes:
        raise ValueError(f"accelerate launch --num_processes {asked} started {num_processes} process(es) (its --cpu "
                         f"launcher runs one without mpirun): on CPUs run {CPU_COMMAND.format(n=asked)}")


def accelerate_launch_processes() -> int:
    """The --num_processes of the `accelerate launch` that started this process directly (1 for any other parent)."""
    import psutil  # an accelerate dependency

    try:
        command = psutil.Process().parent().cmdline()
    except (psutil.Error, AttributeError):  # no parent any more, or one we may not read
        return 1
    arguments = launch_arguments(command)
    if arguments is None:
        return 1
    from accelerate.commands.launch import launch_command_parser

    try:
        parsed, _ = launch_command_parser().parse_known_args(arguments)
    except SystemExit:  # a command line its parser refuses: not one that started us
        return 1
    return parsed.num_processes or 1


def launch_arguments(command: list[str]) -> list[str] | None:
    """What follows `accelerate launch` (or `accelerate-launch`) in a command line; None for another command."""
    for position, word in enumerate(command):
        name = Path(word).name
        if name in ("accelerate", "accelerate.commands.accelerate_cli") and command[position + 1:position + 2] == [
                "launch"]:
            return command[position + 2:]
        if name == "accelerate-launch" or word == "accelerate.commands.launch":
            return command[position + 1:]
    return None
