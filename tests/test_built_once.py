"""tests/built_once.py, which builds the shared sample release once per session: two workers of one `pytest -n 2`
session need the same fixtures at once, in a session of their own (a few tests that need no model)."""

import os
import subprocess
import sys

from checkout import ROOT

MODULE = '''
import os, time
import pytest
from built_once import built_once, changes

def build(folder, fails=False):
    with open(os.environ["BUILDS"], "a") as builds:
        builds.write(folder.name + "\\n")
    time.sleep(1)  # long enough for the other worker to wait for the lock
    if fails:
        raise ValueError("the build broke")
    folder.mkdir()
    (folder / "built.txt").write_text("yes")

@pytest.fixture(scope="session")
def good(tmp_path_factory, worker_id):
    yield built_once(tmp_path_factory, worker_id, "good", build)
    assert not changes(tmp_path_factory, worker_id, "good"), changes(tmp_path_factory, worker_id, "good")

@pytest.fixture(scope="session")
def broken(tmp_path_factory, worker_id):
    return built_once(tmp_path_factory, worker_id, "broken", lambda folder: build(folder, fails=True))

def test_good(good, worker_id):
    assert (good / "built.txt").read_text() == "yes"
    print("ran on", worker_id)

def test_broken(broken):
    pass
'''
CHANGES_IT = '''
def test_adds_a_file(good):
    (good / "extra.txt").write_text("no test may do this")
'''


def test_two_workers_build_once_a_failed_build_fails_on_both_and_a_change_is_an_error(tmp_path):
    (tmp_path / "test_one.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "test_two.py").write_text(MODULE + CHANGES_IT, encoding="utf-8")
    builds = tmp_path / "builds.txt"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    environment.update(PYTHONPATH=str(ROOT / "tests"), BUILDS=str(builds))
    session = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider",
                              "-rA", f"--basetemp={tmp_path / 'base'}", "test_one.py", "test_two.py"],
                             cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    out = session.stdout
    assert session.returncode == 1, out + session.stderr
    assert {"ran on gw0", "ran on gw1"} <= {line.strip() for line in out.splitlines()}, out  # both workers
    assert sorted(builds.read_text(encoding="utf-8").split()) == ["broken", "good"]  # once each
    errors = [line.split(" - ", 1)[1] for line in out.splitlines() if line.startswith("ERROR test_")]
    failed = sorted(error for error in errors if "extra.txt" not in error)
    assert len(failed) == 2 and failed[0].startswith("Failed: broken failed to build on another wo") and \
        failed[1] == "ValueError: the build broke", out  # on the worker that built it, and on the other
    assert "worker gw" in out.split("broken failed to build on another worker")[1].splitlines()[1]  # with its error
    assert 1 <= len([error for error in errors if "AssertionError: ['extra.txt']" in error]) <= 2, out
