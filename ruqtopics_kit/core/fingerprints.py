"""Content fingerprints: what a finished step or training run records of its inputs and outputs, so that a rerun
verifies them instead of assuming that a file which exists is the one it made."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from ruqtopics_kit.core.output_dir import local_path


def _hash_file(path: Path, digest) -> None:
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def file_digests(root: Path, skip: Iterable[str] = ()) -> dict[str, str]:
    """Every file under `root` (or `root` itself) by its path relative to `root` and its content hash; files
    named in `skip` (relative paths) are left out."""
    root, skip = Path(root), set(skip)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    digests = {}
    for path in files:
        name = path.relative_to(root).as_posix() if root.is_dir() else path.name
        if name not in skip:
            digest = hashlib.blake2b(digest_size=16)
            _hash_file(path, digest)
            digests[name] = digest.hexdigest()
    return digests


def fingerprint_files(paths: Iterable[Path], skip: Iterable[str] = ()) -> str:
    """A content hash of files (and of every file under folders), independent of where they live."""
    return fingerprint([file_digests(Path(path), skip) for path in paths])


def fingerprint(value: object) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()


def input_fingerprint(value: str | Path | None, skip: Iterable[str] = ()) -> str | None:
    """An input as a finished run records it: a local file or folder by the hash of its content (so that the
    same data moved elsewhere still match, and corrected data do not), anything else (a Hub id, a registry
    name) as it is."""
    path = local_path(value)
    if path is None:
        return None if value is None else str(value)
    return fingerprint_files([path], skip)
