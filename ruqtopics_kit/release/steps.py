"""Resumable pipeline steps: a step whose inputs are unchanged since it last finished is skipped.

Each finished step leaves a stamp `<state_dir>/<name>.json` with the fingerprint of its inputs. A rerun
after a crash redoes only the steps without a matching stamp; a step that crashed left no stamp (and its
outputs are written atomically by the step itself). A step whose outputs are gone (deleted after it
finished) runs again, and so do the steps that use them: a step's key, which later steps take as an input,
changes every time the step runs.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_write_text


def fingerprint_files(paths: Iterable[Path]) -> str:
    """A content hash of files (and of every file under folders), independent of where they live."""
    digest = hashlib.blake2b(digest_size=16)
    for root in paths:
        root = Path(root)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() if root.is_dir() else path.name.encode())
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def fingerprint(value: object) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()


class Steps:
    def __init__(self, state_dir: Path, log: Callable[[str], None] = print):
        self.state_dir, self.log = Path(state_dir), log
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def _stamp(self, name: str) -> Path:
        return self.state_dir / f"{name.replace('/', '__')}.json"

    def run(self, name: str, inputs: object, action: Callable[[], object], outputs: Iterable[Path] = ()) -> str:
        """Run `action` unless `name` already finished with the same `inputs` and its `outputs` are all there;
        return the step's key (what later steps record as their input)."""
        key = fingerprint(inputs)
        stamp = self._stamp(name)
        done = json.loads(stamp.read_text(encoding="utf-8")) if stamp.is_file() else {}
        missing = [str(path) for path in outputs if not Path(path).exists()]
        if done.get("inputs") == key and "run" in done and not missing:
            self.log(f"[skip] {name}: done with the same inputs")
            return done["run"]
        self.log(f"[run]  {name}" + (f" (its output {missing[0]} is gone)" if done and missing else ""))
        action()
        run = fingerprint({"inputs": key, "run": uuid.uuid4().hex})
        atomic_write_text(stamp, json.dumps({"step": name, "inputs": key, "run": run}, indent=1))
        return run
