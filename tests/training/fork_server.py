"""A fork server for train.py runs: `python tests/training/fork_server.py [--socket PATH]`.

It imports the trainer once and runs nothing itself, as multiprocessing's "forkserver" start method does; each
run is forked into a fresh `ruqtopics train` process without the seconds of imports. It serves until its stdin
ends, then waits for its runs, and it stays single-threaded, since forking a process with threads is unsafe.

Without --socket (tests/training/test_train_resume.py), each line on stdin is a batch of jobs ({name: {"argv":
[...], "log": PATH, "kill_where": ..., "kill_after": N}}), forked all at once; their exit statuses come back as one
JSON line on stdout (-9: killed by SIGKILL). A job may kill itself with SIGKILL after a chosen number of calls:
after an optimizer step, while a checkpoint is being saved (before its rename), or while the finished repository is
being moved into place.

With --socket (tests/release/test_grid.py), it prints "ready" once it listens at PATH, a Unix socket, and each
connection is one run of `fork_client.py`, the light program that the grid launches as its `python -m
ruqtopics_kit train`: the client sends its arguments, working directory and environment and passes its stdin,
stdout and stderr; the forked run takes them over (and OMP_NUM_THREADS as torch's threads: torch was imported
here, and reads the variable no more), and the server replies its pid, then its exit status once it has reaped it.
"""

import contextlib
import json
import os
import select
import signal
import socket
import sys
import traceback

import torch

import ruqtopics_kit.training.loop  # noqa: F401  torch, accelerate, transformers: imported once, before any fork
from ruqtopics_kit.cli import main
from ruqtopics_kit.core.processes import skip_exit_collection

TRAIN_MODULE = ["-m", "ruqtopics_kit", "train"]  # what the grid's launcher is given


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


def fork(job, *args, **kwargs) -> int:
    """The pid of a child that runs `job(*args, **kwargs)` and exits with its status (argparse's too; 1 after a
    traceback)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        status = job(*args, **kwargs)
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
        children = {fork(run, **job): name for name, job in json.loads(line).items()}
        statuses = {children[pid]: os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in list(children)}
        print(json.dumps(statuses), flush=True)


def run_request(request: dict, streams: list[int], server_fds: list[int]) -> int:
    """A client's run, in the forked child: its streams, working directory, environment and CPU threads."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in server_fds:
        os.close(fd)
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if "OMP_NUM_THREADS" in os.environ:
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    argv = request["argv"]
    if argv[:len(TRAIN_MODULE)] != TRAIN_MODULE:
        print(f"fork server: runs only {' '.join(TRAIN_MODULE)} ...; got {argv}", file=sys.stderr)
        return 2
    return main(["train", *argv[len(TRAIN_MODULE):]])


def accept(listener: socket.socket, server_fds: list[int], children: dict[int, socket.socket]) \
        -> tuple[int, socket.socket] | None:
    """A client's run forked, and its pid sent back; None when the client went away before it was answered."""
    connection, _ = listener.accept()
    try:
        _, streams, _, _ = socket.recv_fds(connection, 1, 3)
        with connection.makefile("rb") as lines:
            request = json.loads(lines.readline())
        connections = [other.fileno() for other in (*children.values(), connection)]
        pid = fork(run_request, request, streams, [*server_fds, *connections])
        for fd in streams:
            os.close(fd)
        connection.sendall(f"{pid}\n".encode())
        return pid, connection
    except (OSError, ValueError):
        connection.close()
        return None


def serve_socket(path: str) -> None:
    """One forked run per connection, as many at once as there are clients; waits for them once stdin ends."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    wake, woken = os.pipe()  # SIGCHLD writes a byte here, which ends the wait in select
    os.set_blocking(woken, False)
    signal.set_wakeup_fd(woken)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    server_fds = [listener.fileno(), wake, woken, 0]
    children: dict[int, socket.socket] = {}
    print("ready", flush=True)
    serving = True
    while serving or children:
        readable, _, _ = select.select([wake, *([listener, 0] if serving else [])], [], [])
        if wake in readable:
            os.read(wake, 512)
        if listener in readable and (accepted := accept(listener, server_fds, children)):
            children[accepted[0]] = accepted[1]
        if 0 in readable and not os.read(0, 512):
            serving = False
        reap(children)
    listener.close()
    os.unlink(path)


def reap(children: dict[int, socket.socket]) -> None:
    """Each ended run's exit status sent to its client (-N: killed by signal N)."""
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if not pid:
            return
        connection = children.pop(pid, None)  # None: a run whose client went away before it was answered
        if connection is not None:
            with connection, contextlib.suppress(OSError):  # OSError: the client was killed
                connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


if __name__ == "__main__":
    skip_exit_collection()  # the server ends as the kit's commands do, without a last collection of torch's objects
    if sys.argv[1:2] == ["--socket"]:
        serve_socket(sys.argv[2])
    else:
        serve()
