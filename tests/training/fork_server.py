"""A fork server for train.py runs (tests/training/test_train_resume.py): `python tests/training/fork_server.py`.

It imports the trainer once and runs nothing itself, as multiprocessing's "forkserver" start method does; each line
on stdin is a batch of jobs ({name: {"argv": [...], "log": PATH, "kill_where": ..., "kill_after": N}}), each forked
into a fresh `ruqtopics train` process without the seconds of imports, all at once; their exit statuses come back
as one JSON line on stdout (-9: killed by SIGKILL). A job may kill itself with SIGKILL after a chosen number of
calls: after an optimizer step, while a checkpoint is being saved (before its rename), or while the finished
repository is being moved into place.
"""

import json
import os
import signal
import sys
import traceback

import ruqtopics_kit.training.loop  # noqa: F401  torch, accelerate, transformers: imported once, before any fork
from ruqtopics_kit.cli import main


def killing(function, after: int, counts=lambda *args: True):
    """`function`, which kills this process with SIGKILL once it has been called `after` times (that count)."""
    calls = 0

    def wrapper(*args, **kwargs):
        nonlocal calls
        result = function(*args, **kwargs)
        calls += counts(*args)
        if calls == after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper


def install_kill(kill_where: str, kill_after: int) -> None:
    if kill_where == "optimizer step":
        import torch

        torch.optim.AdamW.step = killing(torch.optim.AdamW.step, kill_after)
    elif kill_where == "checkpoint save":
        import accelerate

        accelerate.Accelerator.save_state = killing(accelerate.Accelerator.save_state, kill_after)
    elif kill_where == "repository move":
        os.replace = killing(os.replace, kill_after, counts=lambda source, *rest: ".repository.tmp" in str(source))


def run(argv: list[str], log: str, kill_where: str | None = None, kill_after: int = 0) -> int:
    """One job, in the forked child: its stdout and stderr to `log`."""
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(output, 1)
    os.dup2(output, 2)
    if kill_where:
        install_kill(kill_where, kill_after)
    return main(["train", *argv])


def fork(job: dict) -> int:
    """The pid of a child that runs `job` and exits with its status (argparse's too; 1 after a traceback)."""
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        status = run(**job)
    except SystemExit as stop:  # argparse's errors
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve() -> None:
    for line in sys.stdin:  # one batch of jobs per line, run at once; their exit statuses as one line back
        children = {fork(job): name for name, job in json.loads(line).items()}
        statuses = {children[pid]: os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in list(children)}
        print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    serve()
