"""Session fixtures built once for a whole `pytest -n` session, whichever workers need them: pytest-xdist's recipe
"Making session-scoped fixtures execute only once". The first worker to need one builds it under a file lock in
the temporary folder that the session's workers share; the others wait for the lock, then use the folder it built.
A build that failed is not tried again: every other worker that needs it fails at once, with its error. Tests on
several workers read the folder at once, so none may change it: `changes` says what did."""

import json
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def _shared(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    basetemp = tmp_path_factory.getbasetemp()
    return basetemp if worker_id == "master" else basetemp.parent  # the session's folder holds each worker's


def built_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
               build: Callable[[Path], object]) -> Path:
    """The folder `name` that `build(folder)` filled, in this session's shared temporary folder; `worker_id` is
    pytest-xdist's fixture ("master" without workers)."""
    shared = _shared(tmp_path_factory, worker_id)
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
            done.write_text(json.dumps(_listing(folder)), encoding="utf-8")
    return folder


def changes(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str) -> list[str]:
    """The paths under the folder `name` added, removed or written to since it was built."""
    shared = _shared(tmp_path_factory, worker_id)
    built, now = json.loads((shared / f"{name}.done").read_text(encoding="utf-8")), _listing(shared / name)
    return sorted(path for path in built.keys() | now.keys() if built.get(path) != now.get(path))


def _listing(folder: Path) -> dict[str, list[int]]:
    """Every path under `folder`: its size and modification time (nanoseconds), as written to JSON."""
    return {path.relative_to(folder).as_posix(): [path.lstat().st_size, path.lstat().st_mtime_ns]
            for path in folder.rglob("*")}
