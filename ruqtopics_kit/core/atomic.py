"""Write a directory or a file all at once: build it beside the target, then rename it into place.

What comes out is like any file the user writes: its modes follow the umask (tempfile's 0600/0700 are only
for the time it is being built). A write that fails (a full disk, a read-only folder, ...) leaves nothing
behind and raises `WriteError`, which names the target, the file and the cause.

Writers of weights fail with more than OSError: `WRITE_FAULTS` names what they raise, and `WriteError` says the
OS's reason of safetensors' error in words.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from safetensors import SafetensorError

from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.output_dir import check_output_path, check_overwrite

# What writing weights raises on a full disk or a read-only folder: OSError; torch.save's
# RuntimeError("basic_ios::clear: iostream error"); safetensors' SafetensorError, no OSError, raised by
# transformers' save_pretrained, accelerate's save_state and safetensors' save_model ("Error while serializing: I/O
# error: No space left on device (os error 28)").
WRITE_FAULTS = (OSError, RuntimeError, SafetensorError)
_SERIALIZING_IO_ERROR = re.compile(r"Error while serializing: I/O error: .*\(os error (\d+)\)")


class WriteError(KitError, OSError):
    """Writing an output failed; nothing half-written was left. `str()` is one line for the user."""

    def __init__(self, target: str | Path, error: BaseException, *, staging: Path | None = None):
        fault = os_error(error)
        code = fault.errno if fault is not None else None
        self.message = f"could not write {target}: {describe_write_error(error, staging, Path(target))}"
        if staging is not None:
            self.message += "; nothing was written (the partial output was removed)"
        super().__init__(code, self.message)

    def __str__(self) -> str:
        return self.message


def os_error(error: BaseException) -> OSError | None:
    """`error` as the OSError it reports: itself, or the OS's error that a safetensors write error carries in its
    text only; None for any other error (a safetensors error reading a file is no write fault)."""
    if isinstance(error, OSError):
        return error
    found = _SERIALIZING_IO_ERROR.match(str(error)) if isinstance(error, SafetensorError) else None
    return OSError(int(found[1]), os.strerror(int(found[1]))) if found else None


def describe_write_error(error: BaseException, staging: Path | None = None, target: Path | None = None) -> str:
    """The cause of a failed write in words: the OS's reason and the file, with the staging folder's name
    replaced by the target's (the user never sees the temporary name)."""
    error = os_error(error) or error
    if isinstance(error, OSError) and error.strerror:
        cause = error.strerror
        filename = error.filename
        if filename is not None:
            filename = str(filename)
            if staging is not None and target is not None:
                filename = filename.replace(str(staging), str(target))
            cause += f" ({filename})"
        return cause
    cause = str(error) or type(error).__name__  # e.g. torch's "basic_ios::clear: iostream error"
    free = _free_megabytes(target)
    return cause if free is None else f"{cause} ({free} MB free on that disk)"


def _free_megabytes(path: Path | None) -> int | None:
    """Free space where `path` is (or would be), a hint when a library reports a write error without its cause."""
    while path is not None and not path.exists():
        path = path.parent if path.parent != path else None
    return None if path is None else shutil.disk_usage(path).free // 2**20


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (os.umask can only set it)."""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        status = Path("/proc/self/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def _user_modes(path: Path, *, directory: bool) -> None:
    """Give `path` (made by tempfile, 0700/0600) the modes a plain mkdir/open would have given it."""
    path.chmod((0o777 if directory else 0o666) & ~_umask())


def give_user_modes(path: Path) -> None:
    """Give `path`, and everything below it if it is a folder, the modes of the umask. The safetensors writer
    (used by transformers and accelerate) leaves 0600 files that other users could not read."""
    for entry in [path, *path.rglob("*")] if path.is_dir() else [path]:
        _user_modes(entry, directory=entry.is_dir())


def _is_about_an_input(error: OSError, staging: Path) -> bool:
    """An OSError naming a file outside the staging folder is about an input: it is not a write fault."""
    filename = error.filename
    return filename is not None and not str(Path(filename).absolute()).startswith(str(staging))


def check_replaceable(target: Path) -> None:
    """An earlier output is replaced only if all of it can be deleted (each of its folders writable), checked
    before anything is written: else the new output would take its place and the old one stay behind, hidden."""
    for folder, _, _ in os.walk(target):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise WriteError(target, PermissionError(errno.EACCES, f"the earlier output cannot be replaced: its "
                                                                   f"folder {folder} is not writable"))


@contextlib.contextmanager
def atomic_directory(target: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes `target` only if the block succeeds.

    On an exception the temporary directory is removed and `target` is untouched; an OSError (or a safetensors
    write error) while writing becomes a `WriteError`. An existing `target` is an error unless `overwrite`, in
    which case it is replaced after the new one is complete; a `target` that is a file or a symbolic link is
    always an error.
    """
    target = Path(target)
    check_output_path(target)
    check_overwrite(target, overwrite)
    if target.exists():
        check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)).absolute()
        _user_modes(staging, directory=True)
    except OSError as error:
        raise WriteError(target, error) from error
    try:
        yield staging
        if target.exists():
            retired = staging.with_suffix(".old")
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired)
        else:
            os.replace(staging, target)
    except WriteError:
        raise
    except (OSError, SafetensorError) as error:
        fault = os_error(error)
        if fault is None or _is_about_an_input(fault, staging):
            raise
        raise WriteError(target, error, staging=staging) from error
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file through a temporary file in the same directory and a rename."""
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        _user_modes(Path(temporary), directory=False)
        os.replace(temporary, path)
    except OSError as error:
        raise WriteError(path, error, staging=None if temporary is None else Path(temporary)) from error
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
