"""Every command ends without the interpreter's last garbage collections (`skip_exit_collection`)."""

import contextlib
import gc
import subprocess
import sys
from types import SimpleNamespace

import pytest
from checkout import ROOT

from ruqtopics_kit import cli
from ruqtopics_kit.core import processes

EXIT_PROBE = """
import atexit, gc
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))  # runs after the later ones
from ruqtopics_kit.core.processes import skip_exit_collection
before = atexit._ncallbacks()
skip_exit_collection()
skip_exit_collection()
print("registered:", atexit._ncallbacks() - before)
"""


def test_the_objects_are_frozen_after_the_other_exit_functions_once_per_process():
    done = subprocess.run([sys.executable, "-c", EXIT_PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["registered: 1", "frozen at exit: True"]


@pytest.mark.parametrize("command", [command.name for command in cli.COMMANDS])
def test_every_command_skips_the_collection_at_exit(command, monkeypatch, capsys):
    registered = []
    monkeypatch.setattr(processes, "atexit", SimpleNamespace(register=registered.append))  # this module's only
    processes.skip_exit_collection.cache_clear()
    try:
        with contextlib.suppress(SystemExit):  # argparse's --help exits; the kit's own usage returns 0
            cli.main([command, "--help"])
    finally:
        processes.skip_exit_collection.cache_clear()  # this process registers again at its next command
    assert registered == [gc.freeze]
