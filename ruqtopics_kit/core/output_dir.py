"""Every command's output folder: never one of its inputs, and one writer at a time.

`claim_output_dir(output, inputs)` is the one check all commands run before they write anything: an output
path that is a file or a symbolic link is refused as it is (never renamed, replaced or followed: the kit replaces
its output folder as a whole, which would take the user's file, or the folder the link points to, with it); an
output folder that is, contains or lies inside an input is refused (`--overwrite-output-dir` replaces the output
folder, which would delete the input), and the folder is locked for the command's lifetime, so a second run into
it stops.
The lock is an OS file lock (`filelock`) on a sibling `.NAME.lock`, removed on exit: the OS releases the lock
when the process ends, however it ends, so the file a killed run leaves behind never blocks the next one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from filelock import FileLock, Timeout

from ruqtopics_kit.core.errors import KitError


class OutputDirError(KitError, FileExistsError):
    """The output folder cannot be used: it overlaps an input, another run is writing into it, its folder is not
    writable, or it exists and is not to be overwritten."""

    def __init__(self, message: str):
        super().__init__(errno.EEXIST, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def local_path(value: str | Path | None) -> Path | None:
    """`value` as an absolute local path when it names an existing file or folder (not a Hub id), else None."""
    if value is None or str(value) == "":
        return None
    path = Path(value).expanduser()
    return path.resolve() if path.exists() else None


def check_output_path(output: str | Path) -> None:
    """Refuse an `output` path that is a symbolic link or something other than a folder (see the module docstring)."""
    path = Path(output).expanduser()
    if path.is_symlink():
        raise OutputDirError(f"the output folder {output} is a symbolic link (to {os.readlink(path)}); the kit "
                             f"replaces its output folder as a whole and follows no link into that: give the "
                             f"folder itself or a new path")
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"the output folder {output} is a file, not a folder; it was left as it is: choose "
                             f"another output folder")


def check_overwrite(output: str | Path, overwrite: bool) -> None:
    """The kit's one policy for an earlier output (a folder or a file): replaced only with --overwrite-output-dir."""
    if Path(output).expanduser().exists() and not overwrite:
        raise OutputDirError(f"{output} already exists; pass --overwrite-output-dir to replace it")


def check_not_input(output: str | Path, inputs: Mapping[str, str | Path | None]) -> None:
    """Refuse an `output` folder that is a file or a link (`check_output_path`), or that is, contains or lies
    inside one of `inputs` ({option: path or id}).

    Inputs that are not local paths (Hub ids, registry names, None) cannot overlap and are ignored.
    """
    check_output_path(output)
    target = Path(output).expanduser().resolve()
    for option, value in inputs.items():
        source = local_path(value)
        if source is None:
            continue
        if target == source:
            relation = "is"
        elif source.is_relative_to(target):
            relation = "contains"
        elif target.is_relative_to(source):
            relation = "lies inside"
        else:
            continue
        raise OutputDirError(f"the output folder {output} {relation} the input {option} {value}: writing it would "
                             f"change or delete what this command reads (with --overwrite-output-dir or not); "
                             f"choose an output folder outside the inputs")


def lock_path(output: str | Path) -> Path:
    """The lock file of an output folder: `.NAME.lock` beside it (the folder itself is replaced on success)."""
    output = Path(output).expanduser().resolve()
    return output.parent / f".{output.name}.lock"


@contextlib.contextmanager
def output_lock(output: str | Path) -> Iterator[Path]:
    """Hold the output folder's lock for the block; another holder (another run) is an `OutputDirError`."""
    path = lock_path(output)
    lock = FileLock(path, timeout=0, thread_local=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        refused = _cannot_create(path)  # filelock retries an open it cannot make until it times out
        if refused is not None:
            raise OutputDirError(_cannot_write_beside(output, path.parent, refused)) from None
        raise OutputDirError(f"the output folder {output} is in use by another run (it holds {path}); wait for it "
                             f"to finish or choose another output folder") from None
    except OSError as error:  # a folder of another user, a read-only disk, a file where a folder should be
        raise OutputDirError(_cannot_write_beside(output, path.parent, error)) from None
    try:
        yield path
    finally:  # unlinked while still held: a peer that opened it meanwhile sees the unlinked file and retries
        path.unlink(missing_ok=True)
        lock.release()


def _cannot_create(path: Path) -> OSError | None:
    """The error creating the lock file `path` raises, or None when it exists (a holder made it) or can be made."""
    if path.exists():
        return None
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:  # a holder made it meanwhile
        return None
    except OSError as error:  # /proc, /sys: a folder that holds no new file
        return error
    path.unlink(missing_ok=True)
    return None


def _cannot_write_beside(output: str | Path, folder: Path, error: OSError) -> str:
    """Why the output folder cannot be made in `folder` (its nearest existing path, the one refused), in words."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    if not folder.is_dir():
        what = f"the path {folder} is a file, not a folder"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"the folder {folder} is not writable ({error.strerror or error})"
    else:
        made = f" such as {Path(error.filename).name}" if error.filename else ""  # the lock file, a subfolder
        what = f"the folder {folder} cannot hold new files{made} ({error.strerror or error})"
    return f"the output folder {output} cannot be written: {what}; choose an output folder where you may write"


@contextlib.contextmanager
def claim_output_dir(output: str | Path, inputs: Mapping[str, str | Path | None] | None = None) -> Iterator[Path]:
    """Check that `output` is none of `inputs`, then hold its lock for the block (see the module docstring)."""
    check_not_input(output, inputs or {})
    with output_lock(output) as path:
        yield path


PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the installed or checked-out ruqtopics_kit folder


LOCAL_PREFIX = "<local>"  # how a published file names a local input outside the output's grandparent


def portable_path(value: str | Path | None, output: str | Path) -> str | None:
    """How a published file written into `output` names an input: never by an absolute local path.

    A file shipped in the package (bundled sample, configs, packaged data) is named from the package's folder
    (`ruqtopics_kit/data/sample`, whatever link led to it); another local path under the output's grandparent
    (the release folder, for a model in `RELEASE/hub/NAME`) relative to `output` (`../ruqtopics`,
    `../../work/tiny-backbone`); a local path elsewhere by its name alone (`<local>/my-backbone`: never
    `../../home/<user>/...`); anything else (a Hub id, a registry name) as it is.
    """
    path = local_path(value)
    if path is None:
        return None if value is None else str(value)
    if path.is_relative_to(PACKAGE_DIR):
        return path.relative_to(PACKAGE_DIR.parent).as_posix()
    output = Path(output).expanduser().resolve()
    if path.is_relative_to(output.parent.parent):
        return Path(os.path.relpath(path, output)).as_posix()
    return f"{LOCAL_PREFIX}/{path.name}"
