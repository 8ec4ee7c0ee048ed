"""Resumable steps: a finished step is skipped, and a stamp that cannot be trusted (cut short by a full disk,
edited) makes its step run again, with the log naming the stamp and what is wrong with it."""

import re

import pytest

from ruqtopics_kit.release.steps import Steps

DAMAGED_STAMPS = {
    "cut short": (lambda text: text[: len(text) // 2], r"damaged, not valid JSON \(.*line \d+ column \d+\)"),
    "empty": (lambda text: "", r"damaged, not valid JSON \(Expecting value, line 1 column 1\)"),
    "not UTF-8": (lambda text: "\udcff" + text, r"damaged, not valid UTF-8"),
    "a list": (lambda text: "[1, 2]\n", r"damaged, expected a JSON object with inputs; got list"),
    "a key twice": (lambda text: text.replace('"step":', '"run": "x", "step":', 1),
                    r"duplicate key 'run' in one object"),
    "run not a string": (lambda text: text.replace('"run": "', '"run": 7, "was": "', 1),
                         r"damaged, not a stamp the kit wrote \(run, outputs\)"),
    "outputs not a mapping": (lambda text: text.replace('"outputs": {', '"outputs": [], "was": {', 1),
                              r"damaged, not a stamp the kit wrote"),
}


@pytest.mark.parametrize("damage", DAMAGED_STAMPS)
def test_a_damaged_stamp_runs_its_step_again_and_says_which_file(tmp_path, damage):
    change, problem = DAMAGED_STAMPS[damage]
    output = tmp_path / "release" / "out.txt"
    runs, logs = [], []

    def step():
        runs.append(1)
        output.write_text("done\n", encoding="utf-8")

    steps = Steps(tmp_path / "release" / ".release", log=logs.append)
    first = steps.run("export", {"data": 1}, step, outputs=[output])
    assert steps.run("export", {"data": 1}, step, outputs=[output]) == first and len(runs) == 1
    stamp = tmp_path / "release" / ".release" / "export.json"
    damaged = change(stamp.read_text(encoding="utf-8"))
    assert damaged != stamp.read_text(encoding="utf-8")
    stamp.write_bytes(damaged.encode("utf-8", "surrogateescape"))

    steps.run("export", {"data": 1}, step, outputs=[output])
    assert len(runs) == 2
    assert logs[-1].startswith(f"[run]  export ({stamp}: ") and logs[-1].endswith("; running it again)"), logs[-1]
    assert re.search(problem, logs[-1]), logs[-1]
    steps.run("export", {"data": 1}, step, outputs=[output])  # the stamp written again is sound
    assert len(runs) == 2 and logs[-1] == "[skip] export: done with the same inputs"
