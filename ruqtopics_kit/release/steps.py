"""Resumable pipeline steps: a step whose inputs are unchanged since it last finished, and whose outputs are still
what it wrote, is skipped.

Each finished step leaves a stamp `<state_dir>/<name>.json` with the fingerprint of its inputs and the content hash
of every file of its outputs. A rerun after a crash redoes only the steps without a matching stamp; a step that
crashed left no stamp (and its outputs are written atomically by the step itself). A step whose outputs are gone,
incomplete or changed since it finished (a deleted shard, weights or results file) runs again, and so do the
steps that use them: a step's key, which later steps take as an input, changes every time the step runs. Files
that a later step rewrites on purpose (the dataset card, which lists the models) are checked for being there only.
A damaged stamp (cut short, edited) is no stamp: its step runs again and the log says which file was damaged.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from ruqtopics_kit.core.atomic import atomic_write_text
from ruqtopics_kit.core.fingerprints import file_digests, fingerprint
from ruqtopics_kit.core.jsonio import read_json_object


def _manifest(outputs: list[Path], rewritten: Iterable[str], root: Path) -> dict[str, dict[str, str]]:
    """Every output file's content hash, by output (named relative to `root`: stamps hold no local path)."""
    return {os.path.relpath(path, root): file_digests(path, rewritten) if path.exists() else {} for path in outputs}


def _read_stamp(stamp: Path) -> tuple[dict, str | None]:
    """What a step's stamp records ({} without one), and why a damaged one is not trusted (None if it is sound)."""
    if not stamp.is_file():
        return {}, None
    try:
        done = read_json_object(stamp, ("inputs",))
    except ValueError as error:
        return {}, f"{error}; running it again"
    outputs = done.get("outputs", {})
    if not (isinstance(done.get("run", ""), str) and isinstance(outputs, dict)
            and all(isinstance(files, dict) for files in outputs.values())):
        return {}, f"{stamp}: damaged, not a stamp the kit wrote (run, outputs); running it again"
    return done, None


def _changed_output(done: dict, outputs: list[Path], rewritten: tuple[str, ...], root: Path) -> str | None:
    """Why the outputs are no longer what the step wrote (a phrase naming the file), or None."""
    for path in outputs:
        if not path.exists():
            return f"its output {path} is gone"
        for name in rewritten:
            if path.is_dir() and not (path / name).exists():
                return f"its output {path / name} is gone"
    recorded = done.get("outputs")
    if recorded is None:
        return None if not outputs else "its stamp records no output files"
    for output, (folder, files) in zip(outputs, _manifest(outputs, rewritten, root).items(), strict=True):
        before = recorded.get(folder, {})
        for name in sorted(set(before) | set(files)):
            if before.get(name) != files.get(name):
                where = output / name if output.is_dir() else output
                state = "is gone" if name not in files else "is new" if name not in before else "changed"
                return f"its output {where} {state} since it finished"
    return None


class Steps:
    def __init__(self, state_dir: Path, log: Callable[[str], None] = print):
        self.state_dir, self.log = Path(state_dir), log
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def _stamp(self, name: str) -> Path:
        return self.state_dir / f"{name.replace('/', '__')}.json"

    def run(self, name: str, inputs: object, action: Callable[[], object], outputs: Iterable[Path] = (),
            rewritten: tuple[str, ...] = ()) -> str:
        """Run `action` unless `name` already finished with the same `inputs` and its `outputs` are as it left
        them (files named in `rewritten`, relative to an output folder, need only exist); return the step's key
        (what later steps record as their input)."""
        key, outputs = fingerprint(inputs), [Path(path) for path in outputs]
        stamp = self._stamp(name)
        done, damaged = _read_stamp(stamp)
        root = self.state_dir.parent
        changed = _changed_output(done, outputs, rewritten, root) if done.get("inputs") == key else damaged
        if done.get("inputs") == key and "run" in done and changed is None:
            self.log(f"[skip] {name}: done with the same inputs")
            return done["run"]
        self.log(f"[run]  {name}" + (f" ({changed})" if changed else ""))
        action()
        run = fingerprint({"inputs": key, "run": uuid.uuid4().hex})
        atomic_write_text(stamp, json.dumps({"step": name, "inputs": key, "run": run,
                                             "outputs": _manifest(outputs, rewritten, root)}, indent=1))
        return run
