"""An output folder the user may not write: one named line (the folder, "not writable"), exit status 1, nothing
deleted. The kit's tests run as root, which no folder mode stops, so each command runs in a process of its own
whose root has lost the capabilities that override file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: setpriv),
as an ordinary user's process is: it still reads the checkout wherever it lies, which the user `nobody` may not."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checkout import ROOT

MODES_BIND = "-dac_override,-dac_read_search"  # root without them is held to the folders' modes
NO_OVERRIDE = ["setpriv", f"--bounding-set={MODES_BIND}", f"--inh-caps={MODES_BIND}"]


def digest(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.blake2b(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture
def held_to_modes(tmp_path):
    """(a base folder, a function running `ruqtopics ARGS` held to the folders' modes), or a skip."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv (for any other user the folders' modes already apply: see the cases)")
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*NO_OVERRIDE, sys.executable, "-m", "ruqtopics_kit", *args], cwd=ROOT,
                              env=environment, capture_output=True, text=True, timeout=300)

    probe = subprocess.run([*NO_OVERRIDE, sys.executable, "-c", "import ruqtopics_kit"], cwd=ROOT, env=environment,
                           capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr[-2000:]
    return tmp_path, run


def read_only(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "earlier.txt").write_text("an earlier output\n", encoding="utf-8")
    folder.chmod(0o555)
    return folder


def in_a_read_only_folder(base: Path) -> tuple[list[str], Path, str]:
    folder = read_only(base / "readonly")
    return (["export", "--data-dir", str(ROOT / "data" / "sample"), "--output-dir", str(folder / "out")], folder,
            f"the output folder {folder / 'out'} cannot be written: the folder {folder} is not writable "
            f"\\(Permission denied\\)")


def below_a_read_only_folder(base: Path) -> tuple[list[str], Path, str]:
    folder = read_only(base / "readonly")
    dump = base / "dump.jsonl"
    dump.write_text('{"id": "1", "question": "q", "answer": "", "tags": []}\n', encoding="utf-8")
    return (["prepare", "--dump", str(dump), "--output-dir", str(folder / "new" / "raw")], folder,
            f"the output folder {folder / 'new' / 'raw'} cannot be written: the folder {folder} is not writable")


def over_a_read_only_earlier_output(base: Path) -> tuple[list[str], Path, str]:
    """The parent is writable, the earlier output is not: replacing it would leave it behind, hidden."""
    writable = base / "outputs"
    writable.mkdir()
    out = read_only(writable / "out")
    return (["export", "--data-dir", str(ROOT / "data" / "sample"), "--output-dir", str(out),
             "--overwrite-output-dir"], writable,
            f"could not write {out}: the earlier output cannot be replaced: its folder {out} is not writable")


def over_a_run_with_a_read_only_folder(base: Path) -> tuple[list[str], Path, str]:
    """train deletes the earlier run itself: nothing of it may go when a part of it cannot."""
    run = base / "run"
    run.mkdir()
    (run / "training_args.json").write_text("{}\n", encoding="utf-8")
    read_only(run / "logs")
    return (["train", "--backbone", "b", "--dataset", "d", "--output-dir", str(run), "--overwrite-output-dir",
             "--report-to", "none"], run,
            f"could not write {run}: the earlier output cannot be replaced: its folder {run / 'logs'} is not writable")


CASES = {"output in a read-only folder": in_a_read_only_folder,
         "output below a read-only folder": below_a_read_only_folder,
         "overwrite a read-only earlier output": over_a_read_only_earlier_output,
         "train over a run holding a read-only folder": over_a_run_with_a_read_only_folder}


@pytest.mark.parametrize("case", CASES)
def test_an_unwritable_output_folder_is_named_and_nothing_is_lost(held_to_modes, case):
    base, run = held_to_modes
    argv, protected, message = CASES[case](base)
    before = digest(protected)
    done = run(*argv)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "Errno" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert re.search(f"^ruqtopics {argv[0]}: error: {message}", last), last
    assert digest(protected) == before
    assert not [path for path in protected.rglob("*") if path.name.endswith((".tmp", ".old"))]
