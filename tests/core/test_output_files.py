"""Outputs are like any file the user writes (modes follow the umask); an output folder is never an input and
has one writer at a time; stopping a parent stops its child."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit.core.atomic import WriteError, atomic_directory, atomic_write_text
from ruqtopics_kit.core.output_dir import OutputDirError, check_not_input, output_lock, portable_path
from ruqtopics_kit.core.resources import package_path


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_atomic_outputs_get_the_modes_of_the_umask(tmp_path, umask):
    with atomic_directory(tmp_path / "repo") as staging:
        (staging / "model.safetensors").write_bytes(b"x")
    atomic_write_text(tmp_path / "report.md", "# report\n")
    assert mode(tmp_path / "repo") == 0o777 & ~umask  # 0755 under 022, 0700 under 077
    assert mode(tmp_path / "repo" / "model.safetensors") == 0o666 & ~umask
    assert mode(tmp_path / "report.md") == 0o666 & ~umask  # 0644 under 022, 0600 under 077


def test_a_safetensors_write_error_is_a_write_error_and_a_read_error_is_not(tmp_path):
    """safetensors' error is no OSError: on a full disk it is the output's fault, named in words (no errno); a
    damaged safetensors input read inside the block stays what it is."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file, save_file

    with pytest.raises(WriteError, match=r"^could not write .*out: No space left on device; nothing was written"):
        with atomic_directory(tmp_path / "out"):
            raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
    damaged = tmp_path / "damaged.safetensors"
    save_file({"w": torch.zeros(4)}, damaged)
    damaged.write_bytes(damaged.read_bytes()[:20])
    with pytest.raises(SafetensorError), atomic_directory(tmp_path / "out"):
        load_file(damaged)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["damaged.safetensors"]


@pytest.mark.parametrize("output, relation", [(".", "is"), ("..", "contains"), ("sub", "lies inside")])
def test_an_output_folder_overlapping_an_input_is_refused(tmp_path, output, relation):
    data = tmp_path / "a" / "data"
    data.mkdir(parents=True)
    with pytest.raises(OutputDirError, match=f"output folder .* {relation} the input --data-dir"):
        check_not_input(data / output, {"--data-dir": data, "--model": "org/model-id"})
    check_not_input(tmp_path / "b", {"--data-dir": data, "--model": "org/model-id"})  # beside it: fine


def test_a_second_writer_is_refused_and_a_killed_one_blocks_nothing(tmp_path):
    out = tmp_path / "out"
    with output_lock(out):
        with pytest.raises(OutputDirError, match="is in use by another run"):
            with output_lock(out):
                pass
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom ruqtopics_kit.core.output_dir import "
                               f"output_lock\nwith output_lock({str(out)!r}):\n    print('held', flush=True)\n"
                               "    time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(OutputDirError):
        with output_lock(out):
            pass
    holder.kill()
    holder.wait()
    with output_lock(out):  # the OS released the dead run's lock, though its lock file stayed
        pass
    assert not (tmp_path / ".out.lock").exists()


def test_published_paths_are_never_absolute(tmp_path):
    (tmp_path / "backbone").mkdir()
    assert portable_path(tmp_path / "backbone", tmp_path / "hub" / "model") == "../../backbone"
    # the bundled sample lives in the package (data/sample at the top of a checkout links to it)
    assert portable_path(package_path("data", "sample"), tmp_path) == "ruqtopics_kit/data/sample"
    assert portable_path(ROOT / "data" / "sample", tmp_path) == "ruqtopics_kit/data/sample"
    assert portable_path("org/model", tmp_path) == "org/model"


def test_published_paths_never_climb_out_of_the_outputs_grandparent(tmp_path):
    """Inputs beside the output (the release's layout) keep a relative path; one elsewhere on the machine
    (/home/<user>/...) is named by its folder alone, never by ../../../home/<user>/...."""
    far = tmp_path / "home" / "someone" / "data" / "my-backbone"
    far.mkdir(parents=True)
    output = tmp_path / "work" / "release" / "hub" / "model"
    (output.parent / "ruqtopics").mkdir(parents=True)
    assert portable_path(output.parent / "ruqtopics", output) == "../ruqtopics"
    assert portable_path(far, output) == "<local>/my-backbone"
    assert portable_path(far, tmp_path / "home" / "someone" / "data" / "run") == "../my-backbone"


def test_stopping_the_parent_stops_its_child(tmp_path):
    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    parent_code = ("import sys\nfrom ruqtopics_kit.core.processes import run_child, signals_interrupt\n"
                   f"with signals_interrupt():\n    run_child([sys.executable, '-c', {child!r}])")
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child_pid = int(pid_file.read_text())
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=60)
    assert parent.returncode != 0
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)
