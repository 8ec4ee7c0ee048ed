"""Session fixtures built once for a whole `pytest -n` session, whichever workers need them: pytest-xdist's recipe
"Making session-scoped fixtures execute only once". The first worker to need one builds it under a file lock in
the temporary folder that the session's workers share; the others wait for the lock, then use the folder it built.
A build that failed is not tried again: every other worker that needs it fails at once, with its error."""

import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def built_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
               build: Callable[[Path], object]) -> Path:
    """The folder `name` that `build(folder)` filled, in this session's shared temporary folder; `worker_id` is
    pytest-xdist's fixture ("master" without workers). Tests must not change what it holds: other workers read it."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the session's folder; each worker's basetemp is in it
    folder, done, failed = shared / name, shared / f"{name}.done", shared / f"{name}.failed"
    with FileLock(shared / f"{name}.lock"):
        if failed.exists():
            pytest.fail(f"{name} failed to build on another worker (its tests there show the traceback):\n"
                        f"{failed.read_text(encoding='utf-8')}", pytrace=False)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # left by a worker that died while building it
            try:
                build(folder)
            except BaseException as error:
                failed.write_text(f"worker {worker_id}: " + "".join(traceback.format_exception_only(error)),
                                  encoding="utf-8")
                raise
            done.write_text(worker_id, encoding="utf-8")
    return folder
