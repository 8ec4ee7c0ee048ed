"""YAML config files for the commands with many options, one way for all of them (train, evaluate-massive, release),
and the YAML metadata of a Hub card read as strictly (`card_metadata`).

`--config-file FILE.yaml` holds the command's own options (names with dashes or underscores); options given on the
command line override the file; an unknown key, a key given twice, a second `--config-file` and a YAML syntax error
(a tab in the indentation, say) are errors naming the file, the key or the line.

Each key becomes the command-line tokens its value spells, placed before the real ones, so that the file's values
go through the same parsing and checks (argparse keeps the last occurrence of an option: the command line's; an
option given once per value, as `--sbatch`, adds the command line's values to the file's):
`key: true` is `--key`, `key: false` is `--no-key` (every switch has that complement, `add_switch_off`), any other
value `--key=VALUE`, and `null` leaves the option at its default. A list is the first spelling that the option turns
into a list of its items: `--key A B ...` (an option of many values), else `--key A --key B` (an option given once
per value, as `--sbatch`), else `--key=A,B` (one value holding a comma-separated list, as `--seeds` and
`--locales`; a list of one item is `A,`), each item taken whole by the one option (a list for a switch is an
error). Each key's tokens are parsed alone first (`_Checker`), so that a value argparse refuses is named with the
file and the key. Nothing here reads argparse's internals: a key is an option when the parser itself says so
(`takes_option`).

The file is an input of the command like any other, so a fault of the file exits with status 1 (`cli/command.py`),
one line `PROG: error: ...` naming the file (and the key or line), no usage: a file that is missing, unreadable or
not UTF-8, a YAML syntax error or a key given twice, a top level that is no mapping, a key that is no option of the
command, a value that argparse refuses for its option. A fault of the command line stays argparse's usage error,
status 2: `--config-file` without a value or given twice, an option of the command line refused, a required
option that neither the file nor the command line gives.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import re
from pathlib import Path

import yaml

CONFIG_FILE_FLAG = "--config-file"
NOT_KEYS = ("config_file", "help", "version")  # options of the command line only


def add_config_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(CONFIG_FILE_FLAG, type=Path, metavar="YAML",
                        help="YAML file with any of the options below (names with dashes or underscores); "
                             "options on the command line override it (--no-X turns off a switch it turns on)")


def add_switch_off(parser, *options: str, dest: str) -> argparse.Action:
    """`--no-X` for each spelling `--X` of a switch that is off by default: what a config file's `X: false` becomes
    and how the command line turns off a switch the file turned on. Hidden from --help: it says the default."""
    return parser.add_argument(*dict.fromkeys(f"--no-{option[2:]}" for option in options), action="store_false",
                               dest=dest, default=False, help=argparse.SUPPRESS)


def parse_with_config_file(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """`argv` parsed by `parser`, after the options of its `--config-file` if given: a fault of the file exits with
    status 1, one of the command line with argparse's 2 (see the module's docstring)."""
    pre = argparse.ArgumentParser(prog=parser.prog, add_help=False, allow_abbrev=False, exit_on_error=False)
    pre.add_argument(CONFIG_FILE_FLAG, type=Path, action="append")
    try:
        config_files = pre.parse_known_args(argv)[0].config_file or []
    except argparse.ArgumentError as error:  # `--config-file` without a value: the command's usage, not pre's
        parser.error(str(error))
    if len(config_files) > 1:
        parser.error(f"{CONFIG_FILE_FLAG} given {len(config_files)} times ({', '.join(map(str, config_files))}); "
                     f"give one (a second file would silently replace the first)")
    config_file = config_files[0] if config_files else None
    try:
        options = yaml_options(config_file, parser) if config_file else {}
    except (ValueError, OSError) as error:  # a fault of an input file: the kit's status 1, as cli/command.py's
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    namespace = parser.parse_args([token for tokens in options.values() for token in tokens] + list(argv))
    del namespace.config_file
    return namespace


def yaml_options(path: Path, parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """A YAML config file's options of `parser`: key -> the command-line tokens it spells, which argparse takes."""
    values = read_config_file(path)
    checker = _Checker(parser)
    flags, options = {}, {}
    for key, value in values.items():
        flag = f"--{str(key).replace('_', '-')}"
        if flag in flags:
            raise ValueError(f"{path}: option {key!r} is given twice (as {flags[flag]!r} too)")
        flags[flag] = key
        if str(key).replace("-", "_") in NOT_KEYS or not takes_option(parser, flag):
            raise ValueError(f"{path}: unknown option {key!r}" + _suggestion(str(key), parser))
        if isinstance(value, dict):
            raise ValueError(f"{path}: option {key!r} takes a value, not a mapping; got {value!r}")
        options[key] = checker.tokens(f"{path}: option {key!r}", flag, value)
    return options


def read_config_file(path: Path) -> dict:
    """The mapping of a YAML config file, read strictly: a key given twice in one mapping is an error (PyYAML
    keeps the last), and so is a file that is no mapping."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{CONFIG_FILE_FLAG} {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not valid UTF-8 ({error.reason} at byte {error.start})") from None
    except OSError as error:  # a folder, no permission
        raise OSError(f"{CONFIG_FILE_FLAG} {path} cannot be read: {error.strerror or error}") from None
    values = read_strict_yaml(text, path) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of option names to values; got {type(values).__name__}")
    return values


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


def card_metadata(path: str | Path) -> dict:
    """The YAML metadata of a Hub card (README.md): the block between its first two `---` lines, read strictly
    (`read_strict_yaml`), {} without one; a ValueError naming the card when it is not UTF-8, the block is never
    closed, or it is not valid YAML or not a mapping (huggingface_hub's loader says neither where nor which)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not valid UTF-8 ({error.reason} at byte {error.start})") from None
    start = next((number for number, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].rstrip() != "---":
        return {}
    end = next((number for number in range(start + 1, len(lines)) if lines[number].rstrip() == "---"), None)
    if end is None:
        raise ValueError(f"{path}: the YAML metadata opened by '---' on line {start + 1} is never closed by a "
                         f"'---' line")
    metadata = read_strict_yaml("\n".join(lines[start + 1:end]), path, first_line=start + 2) or {}
    if not isinstance(metadata, dict):
        lines = f"line {end}" if end == start + 2 else f"lines {start + 2}-{end}"
        raise ValueError(f"{path}: its YAML metadata ({lines}) is a {type(metadata).__name__}, not a mapping of "
                         f"keys to values")
    return metadata


def card_tags(path: str | Path) -> list:
    """The `tags` of a Hub card's metadata ([] without), read strictly (`card_metadata`); a list or a ValueError."""
    tags = card_metadata(path).get("tags") or []
    if not isinstance(tags, list):
        raise ValueError(f"{path}: its tags should be a list, got {tags!r}")
    return tags


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


def _spellings(flag: str, value) -> list[list[str]]:
    """The command-line tokens a key's value may spell, in the order tried (see the module's docstring)."""
    if value is None:
        return [[]]
    if isinstance(value, bool):
        return [[flag if value else f"--no-{flag[2:]}"]]
    if isinstance(value, list):
        items = list(map(str, value))
        repeated = [token for item in items for token in (flag, item)]
        joined = [f"{flag}={','.join(items)}{',' if len(items) == 1 else ''}"]
        return [[flag, *items]] + ([repeated, joined] if items else [])
    return [[f"{flag}={value}"]]


class _Refused(Exception):
    """argparse's error on a config file's tokens."""


class _Mark(argparse.Action):
    """A token of the checker's own: what the namespace holds when argparse reaches it."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, argparse.SUPPRESS, nargs=0, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        self.namespaces = []

    def __call__(self, parser, namespace, values, option_string=None):
        self.namespaces.append(dict(vars(namespace)))


class _Checker(argparse.ArgumentParser):
    """`parser`'s options (a child parser: `parents`) parsing one key's tokens at a time between two marks; its
    `error` raises instead of exiting (argparse documents overriding it), so that a refusal before the second mark
    is the key's (one after it, a required option missing, is not)."""

    MARK = "--config-file-mark"

    def __init__(self, parser: argparse.ArgumentParser):
        super().__init__(prog=parser.prog, parents=[parser], add_help=False, allow_abbrev=False)
        self.mark = self.add_argument(self.MARK, action=_Mark)

    def error(self, message: str):
        raise _Refused(message)

    def changes(self, tokens: list[str]) -> list:
        """The values argparse set anew for `tokens` (raises _Refused with argparse's message if it refused them)."""
        self.mark.namespaces.clear()
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # an old spelling's note: the parse proper says it
                self.parse_known_args([self.MARK, *tokens, self.MARK])
        except _Refused:
            if len(self.mark.namespaces) < 2:
                raise
        before, after = self.mark.namespaces
        return [value for dest, value in after.items() if value is not before.get(dest)]

    def tokens(self, where: str, flag: str, value) -> list[str]:
        """The first spelling of `value` that argparse takes (a list: as a list of its items), or a ValueError
        that starts with `where` (the file and the key)."""
        spellings, refusals = _spellings(flag, value), []  # per spelling: argparse's message, or None: not a list
        if value is False and not takes_option(self, spellings[0][0]):  # no `--no-key`: argparse would leave it
            raise ValueError(f"{where} is not a switch (set by true or false); got False")
        if isinstance(value, list) and takes_option(self, f"--no-{flag[2:]}"):  # else its items go to a positional
            raise ValueError(f"{where} is a switch (set by true or false); got {value!r}")
        for tokens in spellings:
            try:
                changed = self.changes(tokens)
            except _Refused as refused:
                refusals.append(str(refused))
                continue
            if not isinstance(value, list) or self._is_the_list(flag, tokens, changed, len(value)):
                return tokens
            refusals.append(None)
        if isinstance(value, bool):
            raise ValueError(f"{where} is not a switch (set by true or false); got {value!r}")
        if None not in refusals:
            raise ValueError(f"{where}: {refusals[-1]}")
        joined = f" (joined by commas: {refusals[-1]})" if len(refusals) > 1 and refusals[-1] else ""
        raise ValueError(f"{where} takes a single value; got {value!r}{joined}")  # taken, as one value

    def _is_the_list(self, flag: str, tokens: list[str], changed: list, length: int) -> bool:
        """Whether `tokens` set one option to a list of `length` items, every item its own: `--key A B` only where
        `--key A` alone is not the same (else B is left over, for the parse proper to refuse without naming the
        file), `--key A --key B` only where each item alone makes one (else `seeds: [42, "43,44"]` would be the
        seeds 43 and 44 of its last item)."""
        if len(changed) != 1 or not isinstance(changed[0], (list, tuple)) or len(changed[0]) != length:
            return False
        if tokens.count(flag) > 1:
            return all(self._one_value(flag, item) for item in tokens[1::2])
        return len(tokens) < 3 or self._changes_or_none(tokens[:2]) != changed

    def _one_value(self, flag: str, item: str) -> bool:
        changed = self._changes_or_none([flag, item])
        return changed is not None and self._is_the_list(flag, [flag, item], changed, 1)

    def _changes_or_none(self, tokens: list[str]) -> list | None:
        try:
            return self.changes(tokens)
        except _Refused:
            return None


def takes_option(parser: argparse.ArgumentParser, flag: str) -> bool:
    """Whether `parser` has the option `flag` (a hidden old spelling included). argparse refuses to add an option
    string that is taken (its documented `conflict_handler="error"`), tried on a child parser (`parents`) so that
    `parser` stays as it was."""
    child = argparse.ArgumentParser(parents=[parser], add_help=False)
    try:
        child.add_argument(flag, help=argparse.SUPPRESS)
    except argparse.ArgumentError:
        return True
    return False


def _suggestion(key: str, parser: argparse.ArgumentParser) -> str:
    """"; did you mean ...?" with the closest option that --help lists, or where to look."""
    name = key.replace("-", "_")
    listed = dict.fromkeys(flag[2:].replace("-", "_") for flag in re.findall(r"--\w[\w-]*", parser.format_help()))
    options = [option for option in listed
               if option not in NOT_KEYS and takes_option(parser, f"--{option.replace('_', '-')}")]
    close = difflib.get_close_matches(name, options, n=1) or [
        option for option in options if name in option.split("_")][:1]  # config -> dataset_config_name
    return f"; did you mean {close[0]!r}?" if close else f"; see {parser.prog} --help for the options"
