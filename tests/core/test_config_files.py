"""`--config-file`: YAML keys become command-line tokens by their values' types, and the parser says which keys are
options; nothing of the kit or its tests reads argparse's private lists (`_actions`, `_action_groups`, ...).

Before the old path (argparse's `_actions`) went, the new one gave equal namespaces on the 36 bundled configs and a
file per command (the commit "--config-file without argparse internals; every switch has --no-X")."""

import re
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit.cli import registry
from ruqtopics_kit.core.config_files import CONFIG_FILE_FLAG, parse_with_config_file
from ruqtopics_kit.massive.config import EvaluationConfig

PACKAGE = ROOT / "ruqtopics_kit"


def parse_file(tmp_path, name: str, text: str, *argv: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_with_config_file(registry.command_named(name).parser(), [CONFIG_FILE_FLAG, str(path), *argv])


def test_switches_lists_and_old_spellings_of_every_kind_of_command(tmp_path, capsys):
    release = parse_file(tmp_path, "release", "sample: true\ngrid: [a.yaml, b.yaml]\noutput_dir: out\norg: acme\n"
                                              "hub-private: true\npush: false\n")
    assert (release.sample, release.grid, release.hub_org, release.hub_private, release.push_to_hub) == (
        True, ["a.yaml", "b.yaml"], "acme", True, False)
    assert capsys.readouterr().err.count("--no-push is deprecated and will be removed; use --no-push-to-hub") == 1
    grid = parse_file(tmp_path, "grid", "output-root: runs\ndry-run: true\nno_wait: false\njobs: 2\n", "sample")
    assert (str(grid.output_dir), grid.dry_run, grid.no_wait, grid.jobs, grid.configs) == (
        "runs", True, False, 2, ["sample"])
    analysis = parse_file(tmp_path, "analysis", "results: r.csv\noutput_dir: o\nallow_missing_locales: true\n",
                          "--no-allow-missing-locales")
    assert analysis.allow_missing_locales is False  # the command line wins


def test_no_module_or_test_reads_argparse_private_lists():
    private = re.compile(r"\._(actions|action_groups|option_string_actions)\b")
    sources = [*PACKAGE.rglob("*.py"), *(path for path in (ROOT / "tests").rglob("*.py") if path != Path(__file__))]
    assert [str(path.relative_to(ROOT)) for path in sources if private.search(path.read_text(encoding="utf-8"))] == []
    assert all(private.search(f"parser._{name}") for name in ("actions", "action_groups", "option_string_actions"))


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
    assert exit_info.value.code == 1
    assert f"{path}: option 'jobs' takes a single value; got [1, 2]" in capsys.readouterr().err



@pytest.mark.parametrize("name, text, argv, wrong", [
    ("train", "learning_rate: abc\n", [],
     "option 'learning_rate': argument --learning_rate/--learning-rate: invalid float value: 'abc'"),
    ("train", "num_train_epochs: [1, 2]\n", [], "option 'num_train_epochs' takes a single value; got [1, 2] (joined "
     "by commas: argument --num_train_epochs/--num-train-epochs: invalid int value: '1,2')"),
    ("train", "report_to: []\n", [], "option 'report_to': argument --report_to/--report-to: expected one argument"),
    ("evaluate-massive", "massive_split: validation\n", ["--model", "m"],
     "option 'massive_split': argument --massive-split: invalid choice: 'validation' (choose from 'test', 'dev', "
     "'train')"),
    ("grid", "jobs: true\n", ["sample"], "option 'jobs' is not a switch (set by true or false); got True"),
    ("grid", "output-root: [a, b]\n", ["sample"], "option 'output-root' takes a single value; got ['a', 'b']"),
    ("release", "org: [a, b]\n", ["--sample"], "option 'org' takes a single value; got ['a', 'b']"),
])
def test_a_value_argparse_refuses_is_named_with_the_file_and_the_key(tmp_path, capsys, name, text, argv, wrong):
    """Typed values, choices and lists of one-value options (old spellings too, and where a positional argument
    would have taken a list's rest): one line naming the file and the key, status 1 (a fault of an input file)."""
    with pytest.raises(SystemExit) as exit_info:
        parse_file(tmp_path, name, text, *argv)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"ruqtopics {name}: error: {tmp_path / name}.yaml: {wrong}"


def test_a_fault_of_the_command_line_is_not_put_on_the_file(tmp_path, capsys):
    for argv, message in ((["--learning-rate", "abc"], "argument --learning_rate/--learning-rate: invalid float "
                                                        "value: 'abc'"),
                          ([], "the following arguments are required: --backbone")):
        with pytest.raises(SystemExit):
            parse_file(tmp_path, "train", "dataset: d\noutput_dir: o\nlearning_rate: 3e-5\n", *argv)
        assert capsys.readouterr().err.splitlines()[-1] == f"ruqtopics train: error: {message}"


def test_a_list_for_an_option_of_a_comma_separated_list_is_that_list(tmp_path, capsys):
    """grid's `--seeds N|LIST`: `seeds: [42, 43]` is `--seeds 42,43`, `[7]` one seed (not 7 of them), a number still
    a number; an option that keeps the joined text as one value (`--backbone`) still takes a single value."""
    parser = registry.command_named("grid").parser
    spelled = parse_with_config_file(parser(), ["sample", "--seeds", "42,43"])
    assert parse_file(tmp_path, "grid", "seeds: [42, 43]\n", "sample") == spelled
    assert (parse_file(tmp_path, "grid", "seeds: [7]\n", "sample").seeds,
            parse_file(tmp_path, "grid", "seeds: 3\n", "sample").seeds) == ((7,), 3)
    for name, text, argv, wrong in (
            ("grid", "seeds: [42, 42]\n", ["sample"],
             "option 'seeds' takes a single value; got [42, 42] (joined by commas: argument --seeds: expected "
             "distinct non-negative integer seeds such as 42,43,44; got '42,42')"),
            ("release", "backbone: [a, b]\n", ["--sample"], "option 'backbone' takes a single value; got ['a', 'b']")):
        with pytest.raises(SystemExit):
            parse_file(tmp_path, name, text, *argv)
        assert capsys.readouterr().err.splitlines()[-1] == f"ruqtopics {name}: error: {tmp_path / name}.yaml: {wrong}"


@pytest.mark.parametrize("name, text, argv, spelled", [
    ("grid", "sbatch: [partition=a, time=1:00]\n", ["sample"], ["--sbatch", "partition=a", "--sbatch", "time=1:00"]),
    ("prepare", "field: [question=q, answer=a]\n", ["--dump", "d", "--output-dir", "o"],
     ["--field", "question=q", "--field", "answer=a"]),
    ("evaluate-massive", "locales: [ru-RU, en-US]\n", ["--model", "m", "--massive", "x", "--output-dir", "o"],
     ["--locales", "ru-RU,en-US"]),
    ("release", "locales: [ru-RU]\n", ["--sample", "--output-dir", "o"], ["--locales", "ru-RU"]),
])
def test_a_list_for_an_option_given_once_per_value_or_of_locales_is_that_list(tmp_path, name, text, argv, spelled):
    """An option given once per value (`--sbatch`, `--field`) takes every item of a YAML list, not the first
    only; `locales: [ru-RU, en-US]` is `--locales ru-RU,en-US`."""
    parser = registry.command_named(name).parser
    assert parse_file(tmp_path, name, text, *argv) == parse_with_config_file(parser(), [*argv, *spelled])


@pytest.mark.parametrize("name, text, argv, wrong", [
    ("grid", "seeds: [42, '43,44']\n", ["sample"], "option 'seeds' takes a single value; got [42, '43,44']"),
    ("evaluate-massive", "locales: [ru-RU, 'en-US,de-DE']\n", ["--model", "m", "--massive", "x", "--output-dir", "o"],
     "option 'locales' takes a single value; got ['ru-RU', 'en-US,de-DE']"),
    ("evaluate-massive", "locales: ['ru-RU,en-US', de-DE]\n", ["--model", "m", "--massive", "x", "--output-dir", "o"],
     "option 'locales' takes a single value; got ['ru-RU,en-US', 'de-DE']"),
    ("grid", "dry_run: [x, y]\n", ["sample"], "option 'dry_run' is a switch (set by true or false); got ['x', 'y']"),
])
def test_a_list_is_never_taken_in_part(tmp_path, capsys, name, text, argv, wrong):
    """No item is lost to a later one (`--seeds 42 --seeds 43,44` is the seeds 43 and 44), left over for argparse
    to refuse without the file's name, or taken by a positional argument (a switch takes no value)."""
    with pytest.raises(SystemExit) as exit_info:
        parse_file(tmp_path, name, text, *argv)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"ruqtopics {name}: error: {tmp_path / name}.yaml: "
                                                               f"{wrong}")


def test_locales_all_may_be_a_list_of_one(tmp_path):
    argv = ["--model", "m", "--massive", "x", "--output-dir", "o"]
    locales = parse_file(tmp_path, "evaluate-massive", "locales: [all]\n", *argv).locales
    assert EvaluationConfig(model="m", massive="x", output_dir="o", locales=locales).locale_list is None  # all
