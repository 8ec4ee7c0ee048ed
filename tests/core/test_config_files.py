"""`--config-file`: YAML keys become command-line tokens by their values' types, and the parser says which keys are
options; nothing of the kit reads argparse's private lists (`_actions`, `_action_groups`)."""

import argparse
import difflib
import re
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit.cli import registry
from ruqtopics_kit.core.config_files import CONFIG_FILE_FLAG, parse_with_config_file, read_config_file

PACKAGE = ROOT / "ruqtopics_kit"
BUNDLED = sorted((PACKAGE / "configs").rglob("*.yaml"))
OTHER_COMMANDS = {  # files of the other commands with many options: switches on and off, lists, old spellings
    "evaluate-massive": "model: m\nmassive: x\noutput-dir: o\nbatch_size: 8\nupdate-model-card: true\n"
                        "no_progress: false\nlocales: null\nn_bootstrap: 50\noverwrite: true\n",
    "release": "sample: true\ngrid: [a.yaml, b.yaml]\noutput_dir: out\norg: acme\nhub-private: true\npush: false\n"
               "seeds: 2\n",
    "grid": "output-root: runs\ndry-run: true\nseeds: 1,2\nno_wait: false\njobs: 2\n",
    "analysis": "results: r.csv\noutput_dir: o\nallow_missing_locales: true\nn_resamples: 100\n",
}


def test_no_module_reads_argparse_private_lists():
    private = re.compile(r"\._action(s|_groups)\b")
    assert [str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py")
            if private.search(path.read_text(encoding="utf-8"))] == []
    assert private.search("parser._actions") and private.search("parser._action_groups")  # the pattern finds them


def parsed_both_ways(name: str, path: Path, argv: list[str]) -> tuple[dict, dict]:
    """The namespace of `argv` after the file, by today's path and by the one it replaced (argparse's `_actions`)."""
    parser = registry.command_named(name).parser()
    new = vars(parse_with_config_file(parser, [CONFIG_FILE_FLAG, str(path), *argv]))
    old = vars(parser.parse_args(legacy_yaml_to_argv(path, registry.command_named(name).parser()) + argv))
    del old["config_file"]
    return new, old


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_bundled_config_file_parses_as_it_did_through_argparse_internals(path):
    argv = [] if "output_dir" in path.read_text(encoding="utf-8") else ["--output-dir", "out"]
    new, old = parsed_both_ways("train", path, argv)
    assert new == old and new["backbone"]


@pytest.mark.parametrize("name", sorted(OTHER_COMMANDS))
def test_the_other_commands_files_parse_as_they_did(name, tmp_path, capsys):
    path = tmp_path / f"{name}.yaml"
    path.write_text(OTHER_COMMANDS[name], encoding="utf-8")
    argv = ["sample"] if name == "grid" else []
    new, old = parsed_both_ways(name, path, argv)
    assert new == old
    assert len(new) > len(read_config_file(path))  # every option, not only the file's


def test_bundled_configs_are_found():
    assert len(BUNDLED) >= 16


def test_a_switch_turned_on_in_the_file_is_turned_off_on_the_command_line(tmp_path):
    path = tmp_path / "evaluation.yaml"
    path.write_text("model: m\nmassive: x\noutput-dir: o\nupdate_model_card: true\n", encoding="utf-8")
    parser = registry.command_named("evaluate-massive").parser
    assert parse_with_config_file(parser(), [CONFIG_FILE_FLAG, str(path)]).update_model_card is True
    assert parse_with_config_file(parser(), [CONFIG_FILE_FLAG, str(path), "--no-update-model-card"]
                                  ).update_model_card is False
    assert "--no-update-model-card" not in parser().format_help()  # hidden: it says the default


def test_a_list_for_a_single_value_is_named_even_where_a_positional_argument_would_take_the_rest(tmp_path, capsys):
    path = tmp_path / "grid.yaml"
    path.write_text("jobs: [1, 2]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        parse_with_config_file(registry.command_named("grid").parser(), [CONFIG_FILE_FLAG, str(path), "sample"])
    assert exit_info.value.code == 2
    assert f"{path}: option 'jobs' takes a single value; got [1, 2]" in capsys.readouterr().err


# ---- the path replaced (argparse's `_actions`), kept here to check the new one against -------------------------

def legacy_yaml_to_argv(path: Path, parser: argparse.ArgumentParser) -> list[str]:
    """A YAML config file as command-line tokens of `parser`."""
    values = read_config_file(path)
    options = {}  # dest -> its first option (a `--no-X` complement comes after `--X`), then each long spelling
    for action in parser._actions:  # argparse lists its options nowhere public
        if action.option_strings and action.dest not in ("help", "config_file", "version"):
            options.setdefault(action.dest, action)
    for action in parser._actions:  # an old spelling kept as an alias (`org` for `hub_org`) is a key too
        for flag in action.option_strings if action.dest in options else ():
            options.setdefault(flag.lstrip("-").replace("-", "_"), action)
    tokens = []
    for key, value in values.items():
        name = str(key).replace("-", "_")
        if name not in options:
            close = difflib.get_close_matches(name, options, n=1) or [
                option for option in options if name in option.split("_")][:1]  # config -> dataset_config_name
            raise ValueError(f"{path}: unknown option {key!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                                    f"; see {parser.prog} --help for the options"))
        if value is not None:
            tokens += _legacy_tokens(path, key, value, options[name], name)
    return tokens


def _legacy_tokens(path: Path, key, value, action: argparse.Action, name: str) -> list[str]:
    spelled = [option for option in action.option_strings if option.lstrip("-").replace("-", "_") == name]
    flag = (spelled or [option for option in action.option_strings if option.startswith("--")])[0]
    if _legacy_is_switch(action):
        if not isinstance(value, bool):
            raise ValueError(f"{path}: option {key!r} must be true or false; got {value!r}")
        if isinstance(action, argparse.BooleanOptionalAction):
            return [flag if value else f"--no-{flag[2:]}"]
        if action.nargs == "?":  # HfArgumentParser's bool: `--flag` alone or `--flag false`
            return [flag, str(value).lower()]
        default = False if action.default is argparse.SUPPRESS else action.default  # an alias has none of its own
        return [flag] if value != default else []  # store_true / store_false: set only when not the default
    if isinstance(value, list) and action.nargs in ("+", "*"):
        return [flag, *map(str, value)]
    if isinstance(value, (dict, list)):
        raise ValueError(f"{path}: option {key!r} takes a single value; got {value!r}")
    return [flag, str(value)]


def _legacy_is_switch(action: argparse.Action) -> bool:
    """An on/off option: argparse's own kinds, or HfArgumentParser's bool (an optional value, `const` True)."""
    return (isinstance(action, argparse.BooleanOptionalAction) or action.nargs == 0
            or (action.nargs == "?" and action.const is True))
