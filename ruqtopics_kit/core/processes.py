"""Child processes that stop with their parent (stopping the release or the grid stops its train.py runs), the
CPU threads each of several processes at once may use, and a command's exit without a last garbage collection.

Ctrl-C sends SIGINT to the whole foreground process group, but `kill PID` (SIGTERM) reaches the parent only,
and `subprocess.run` left the child training. Under `signals_interrupt()` SIGTERM raises KeyboardInterrupt
like SIGINT, and `run_child` passes the interruption on to the child (SIGTERM, which `accelerate launch` and
torchrun forward to their workers) and waits for it to end before re-raising.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence

CHILD_GRACE_S = 30  # how long a stopped child may take to exit before it is killed
_running: set[subprocess.Popen] = set()  # children of run_child still running (a grid runs several at once)
_running_lock = threading.Lock()


@functools.cache  # once per process, however many commands a process runs (the tests run many)
def skip_exit_collection() -> None:
    """Freeze every object once the other exit functions have run (they were registered later, so they run
    first): the interpreter's garbage collections while it tears down its modules then skip the hundreds of
    thousands of objects of torch, transformers and evaluate, and a command ends sooner (docs/benchmarks.md,
    "Ending a command"). Objects
    are still freed by reference counting; only reference cycles are left to the operating system, and Python
    does not promise to finalize those at exit anyway. Commands call it first thing."""
    atexit.register(gc.freeze)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises KeyboardInterrupt, as SIGINT does (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def threads_per_job(jobs: int) -> int:
    """The CPU cores this process may use, split between `jobs` processes at once (at least one thread each)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // jobs)


def run_child(command: Sequence[str], **popen_options) -> int:
    """Run `command` (options as for subprocess.Popen) and return its exit status; if this thread is
    interrupted, or `stop_children` is called, the child is stopped first."""
    with subprocess.Popen(list(command), **popen_options) as child:
        with _running_lock:
            _running.add(child)
        try:
            return child.wait()
        except BaseException:
            _stop([child])
            raise
        finally:
            with _running_lock:
                _running.discard(child)


def stop_children() -> None:
    """Stop every child that `run_child` is waiting for, in any thread (SIGTERM, then SIGKILL after a grace)."""
    with _running_lock:
        children = list(_running)
    _stop(children)


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        child.terminate()  # accelerate launch and torchrun pass SIGTERM on to their workers
    for child in children:
        try:
            child.wait(timeout=CHILD_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
