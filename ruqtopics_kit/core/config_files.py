"""YAML config files for the commands with many options, one way for all of them (train, evaluate-massive, release).

`--config-file FILE.yaml` holds the command's own options (names with dashes or underscores); options given on the
command line override the file; an unknown key, a key given twice, a second `--config-file` and a YAML syntax error
(a tab in the indentation, say) are errors naming the file, the key or the line. The file is turned into
command-line tokens placed before the real ones, so that its values go through the same parsing and checks
(argparse keeps the last occurrence of an option: the command line's).
"""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path

import yaml

CONFIG_FILE_FLAG = "--config-file"


def add_config_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(CONFIG_FILE_FLAG, type=Path, metavar="YAML",
                        help="YAML file with any of the options below (names with dashes or underscores); "
                             "options on the command line override it")


def parse_with_config_file(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """`argv` parsed by `parser`, after the options of its `--config-file` if given; problems exit with status 2."""
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument(CONFIG_FILE_FLAG, type=Path, action="append")
    config_files = pre.parse_known_args(argv)[0].config_file or []
    if len(config_files) > 1:
        parser.error(f"{CONFIG_FILE_FLAG} given {len(config_files)} times ({', '.join(map(str, config_files))}); "
                     f"give one (a second file would silently replace the first)")
    config_file = config_files[0] if config_files else None
    try:
        file_argv = yaml_to_argv(config_file, parser) if config_file else []
    except (ValueError, OSError) as error:
        parser.error(str(error))
    namespace = parser.parse_args(file_argv + list(argv))
    del namespace.config_file
    return namespace


def yaml_to_argv(path: Path, parser: argparse.ArgumentParser) -> list[str]:
    """A YAML config file as command-line tokens of `parser`."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{CONFIG_FILE_FLAG} {path} does not exist")
    values = read_strict_yaml(Path(path).read_text(encoding="utf-8"), path) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of option names to values; got {type(values).__name__}")
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
            tokens += _tokens(path, key, value, options[name], name)
    return tokens


def read_strict_yaml(text: str, path: str | Path, *, first_line: int = 1):
    """The YAML value of `text` (read from `path`, where its first line is line `first_line`), as yaml.safe_load
    reads it except that a key given twice is an error: a ValueError naming the file, the line and the problem."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + first_line}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"{path}: not valid YAML{where}: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from None


class _StrictLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a key given twice in one mapping is an error (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _tokens(path: Path, key, value, action: argparse.Action, name: str) -> list[str]:
    spelled = [option for option in action.option_strings if option.lstrip("-").replace("-", "_") == name]
    flag = (spelled or [option for option in action.option_strings if option.startswith("--")])[0]
    if _is_switch(action):
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


def _is_switch(action: argparse.Action) -> bool:
    """An on/off option: argparse's own kinds, or HfArgumentParser's bool (an optional value, `const` True)."""
    return (isinstance(action, argparse.BooleanOptionalAction) or action.nargs == 0
            or (action.nargs == "?" and action.const is True))
