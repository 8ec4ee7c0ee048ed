"""A step that needs an extra that is not installed says in one line what to install (core/extras.py)."""

import sys

import pytest

from ruqtopics_kit.core.extras import MissingExtraError, require


def test_a_missing_extra_names_its_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails as if it were not installed
    monkeypatch.delitem(sys.modules, "matplotlib.figure", raising=False)
    with pytest.raises(MissingExtraError) as error:
        require("matplotlib.figure", "analysis", "the analysis plots")
    assert str(error.value) == ("the analysis plots needs matplotlib, which is not installed: "
                                "pip install 'ruqtopics-kit[analysis]' (or pip install matplotlib)")


def test_an_installed_module_is_returned():
    import json

    assert require("json", "analysis", "x") is json


def test_the_distances_command_says_it_in_one_line(monkeypatch, tmp_path, capsys):
    from ruqtopics_kit.cli import main

    monkeypatch.setitem(sys.modules, "urielplus", None)
    assert main(["distances", "--output-file", str(tmp_path / "distances.csv")]) == 1  # a fault, as every command's
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'ruqtopics-kit[analysis]' (or pip install urielplus)" in err
