"""The `ruqtopics` console command: one entry point that lists and runs every command of the kit."""

import subprocess
import sys

import pytest

from ruqtopics_kit.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("prepare", "export", "train", "evaluate-massive", "analysis", "grid", "release", "claims"):
        assert f"  {name} " in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--output" in capsys.readouterr().out  # every command writes somewhere it is told


def test_an_unknown_command_is_named(capsys):
    assert main(["trian"]) == 2
    assert "unknown command 'trian'" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "ruqtopics_kit", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "evaluate-massive" in done.stdout
