"""The `ruqtopics` console command: one table of commands, one dialect of options, one wrapper for faults.

Every command's --help is read (argparse's public API only: `parser_helpers`): an option concept spelled two ways
(visible), a shared option missing where its concept applies, a seed default other than the kit's, or an old spelling
shown in --help or parsed otherwise than today's fails here.
"""

import subprocess
import sys
from importlib.metadata import version

import pytest
from parser_helpers import help_entries
from train_helpers import run_train

from ruqtopics_kit import cli
from ruqtopics_kit.cli.command import Command
from ruqtopics_kit.core.config_files import takes_option
from ruqtopics_kit.core.errors import InvalidParameterError, KitError
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.core.resources import package_path

NAMES = [command.name for command in cli.COMMANDS]
# concept -> its one visible spelling per command, and the spellings it must not have (old ones or other styles)
CONCEPTS = {
    "output folder": ({"--output-dir", "--output-file"}, {"--output", "--output-root", "--out"}),
    "overwrite": ({"--overwrite-output-dir"}, {"--overwrite", "--force"}),
    "push": ({"--push-to-hub"}, {"--push", "--upload"}),
    "hub id": ({"--hub-model-id", "--hub-dataset-id", "--hub-org"}, {"--repo-id", "--org"}),
    "private": ({"--hub-private"}, {"--private", "--hub-private-repo"}),
    "resamples": ({"--n-resamples"}, {"--bootstrap", "--n-bootstrap", "--resamples"}),
    "massive split": ({"--massive-split"}, {"--split"}),
    "massive score": ({"--massive-score"}, {"--score"}),
}
# an old spelling (cli/options.py) -> today's, and a value for both
OLD_SPELLINGS = {"--output-root": ("--output-dir", ["out"]), "--output": ("--output-file", ["d.csv"]),
                 "--overwrite": ("--overwrite-output-dir", []), "--no-overwrite": ("--no-overwrite-output-dir", []),
                 "--push": ("--push-to-hub", []), "--no-push": ("--no-push-to-hub", []),
                 "--repo-id": ("--hub-dataset-id", ["a/b"]), "--org": ("--hub-org", ["acme"]),
                 "--private": ("--hub-private", []), "--no-private": ("--no-hub-private", []),
                 "--bootstrap": ("--n-resamples", ["5"]), "--n-bootstrap": ("--n-resamples", ["5"]),
                 "--split": ("--massive-split", ["dev"]), "--score": ("--massive-score", ["full"])}
REQUIRED = {"prepare": ["--dump", "d.jsonl", "--output-dir", "o"], "export": ["--data-dir", "d", "--output-dir", "o"],
            "train": ["--backbone", "b", "--dataset", "d", "--output-dir", "o"],
            "evaluate-massive": ["--model", "m", "--massive", "x", "--output-dir", "o"],
            "analysis": ["--results", "r.csv", "--output-dir", "o"], "distances": [], "grid": ["sample"],
            "release": ["--sample", "--output-dir", "o"], "claims": ["release"]}  # what each command requires
RESUMING = {"grid", "release"}  # their output folder is continued, never overwritten
RAW_READERS = {"prepare", "export"}


def visible_options(name: str) -> set[str]:
    """Every option shown in --help, `--a_b` read as `--a-b` (HfArgumentParser gives train's options both forms,
    as transformers' example scripts have them)."""
    return {flag.replace("_", "-") for flag in help_entries(cli.registry.command_named(name).parser())}


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ruqtopics COMMAND")
    for name in ("prepare", "export", "train", "evaluate-massive", "analysis", "distances", "grid", "release",
                 "claims"):
        assert f"\n  {name} " in out


def test_no_command_is_a_usage_error_on_stderr(capsys):
    assert cli.main([]) == 2
    captured = capsys.readouterr()
    assert not captured.out and captured.err.startswith("usage: ruqtopics COMMAND")


def test_an_unknown_command_is_named(capsys):
    assert cli.main(["trian"]) == 2
    assert "ruqtopics: error: unknown command 'trian'" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_each_command_has_its_own_help_and_version(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: ruqtopics {name} ")
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out == f"ruqtopics {name} {version('ruqtopics-kit')}\n"


def test_the_version_is_the_installed_one(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"ruqtopics {version('ruqtopics-kit')}\n"


@pytest.mark.parametrize("name", NAMES)
def test_one_spelling_per_concept(name):
    options = visible_options(name)
    for concept, (spellings, others) in CONCEPTS.items():
        assert not set(options) & others, f"{name}: {concept} spelled {sorted(set(options) & others)}"
        assert len(set(options) & spellings) <= 1, f"{name}: {concept} spelled {sorted(set(options) & spellings)}"


@pytest.mark.parametrize("name", NAMES)
def test_shared_options_where_their_concept_applies(name):
    options = visible_options(name)
    assert {"--config-file", "--version", "--help"} <= set(options), name
    if "--output-dir" in options and name not in RESUMING:
        assert "--overwrite-output-dir" in options, name
    if "--push-to-hub" in options:
        assert {"--hub-private", "--license"} <= set(options), name
        assert set(options) & CONCEPTS["hub id"][0], name
    if "--n-resamples" in options or "--seed" in options:
        assert {"--n-resamples", "--seed"} <= set(options) or name == "train", name
        seed = cli.registry.command_named(name).parser().get_default("seed")
        assert seed == DEFAULT_SEED, f"{name}: --seed defaults to {seed}"
    if name in RAW_READERS:
        assert "--on-bad-record" in options, name


def test_the_release_passes_the_protocol_options_on_to_its_steps():
    release = set(visible_options("release"))
    protocol = {"--locales", "--massive-split", "--mapping", "--massive-score", "--n-resamples", "--seed",
                "--size-proxy", "--exponent", "--absent-languages", "--metric"}
    assert protocol <= release, protocol - release
    assert protocol - {"--size-proxy", "--exponent", "--absent-languages", "--metric"} <= set(
        visible_options("evaluate-massive"))
    assert protocol - {"--locales", "--massive-split", "--mapping", "--massive-score"} <= set(
        visible_options("analysis"))


@pytest.mark.parametrize("name", NAMES)
def test_old_spellings_are_hidden_and_parse_as_todays_with_a_note(name, capsys):
    parser = cli.registry.command_named(name).parser
    for old in (old for old in OLD_SPELLINGS if takes_option(parser(), old)):
        new, values = OLD_SPELLINGS[old]
        assert old not in visible_options(name), f"{name}: {old} shown in --help"
        assert parser().parse_args([*REQUIRED[name], old, *values]) == parser().parse_args(
            [*REQUIRED[name], new, *values]), f"{name}: {old} is not {new}"
        note = f"ruqtopics {name}: note: {old} is deprecated and will be removed; use {new}\n"
        assert capsys.readouterr().err == note


def test_every_old_spelling_is_some_commands():
    parsers = [command.parser() for command in cli.COMMANDS]
    assert [old for old in OLD_SPELLINGS if not any(takes_option(parser, old) for parser in parsers)] == []
    assert not takes_option(cli.registry.command_named("grid").parser(), "--overwrite")  # it can say no


def test_an_old_spelling_works_and_says_which_to_use(capsys):
    parser = cli.registry.command_named("export").parser()
    args = parser.parse_args(["--data-dir", "d", "--output-dir", "o", "--overwrite", "--push", "--repo-id", "a/b"])
    assert args.overwrite_output_dir and args.push_to_hub and args.hub_dataset_id == "a/b"
    notes = capsys.readouterr().err.splitlines()
    assert notes == [f"ruqtopics export: note: {old} is deprecated and will be removed; use {new}"
                     for old, new in (("--overwrite", "--overwrite-output-dir"), ("--push", "--push-to-hub"),
                                      ("--repo-id", "--hub-dataset-id"))]


def failing(error: BaseException) -> Command:
    def run(args):
        raise error
    return Command("probe", "a probe", lambda parser: None, run)


@pytest.mark.parametrize("error, status", [(KitError("the input x is bad"), 1), (OSError("disk full"), 1),
                                           (KeyboardInterrupt(), 130)])
def test_the_wrapper_turns_each_fault_into_one_line_and_a_status(error, status, capsys):
    assert failing(error)([]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ruqtopics probe: ") and "Traceback" not in err


def test_a_refused_option_value_is_a_usage_error_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        failing(InvalidParameterError("--x must be positive; got -1"))([])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "ruqtopics probe: error: --x must be positive; got -1\n"


TOKEN = "hf_" + "aB3" * 11 + "c"  # the shape of a Hugging Face access token


@pytest.mark.parametrize("name", NAMES)
def test_a_mistyped_token_option_does_not_echo_the_token(name, capsys):
    """argparse quotes what it refuses; the token given to a misspelled --hub-token is masked in that line."""
    for argv in (["--hub-tok", "s3cret-value"], [f"--hub-tokn={TOKEN}"], ["--bogus", TOKEN]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([name, *REQUIRED[name], *argv])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and "unrecognized arguments: --" in err, err
        assert "s3cret" not in err and TOKEN not in err and "***" in err, err


def test_the_grid_does_not_echo_a_token_given_to_train_misspelled(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grid", "sample", "--", "--hub-tok", TOKEN])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "unrecognized arguments: --hub-tok ***" in err and TOKEN not in err, err


def test_an_unknown_command_does_not_echo_a_token(capsys):
    assert cli.main([f"--hub-token={TOKEN}", "train"]) == 2
    err = capsys.readouterr().err
    assert "unknown command '--hub-token=***'" in err and TOKEN not in err, err


def test_a_fault_message_does_not_show_a_token(capsys):
    assert failing(KitError(f"upload refused for token {TOKEN}"))([]) == 1
    assert capsys.readouterr().err == "ruqtopics probe: error: upload refused for token ***\n"


def output_folder_in_use(name, tmp_path) -> list[str]:
    inputs = {"prepare": ["--dump", str(tmp_path / "dump.jsonl")], "export": ["--data-dir", str(tmp_path)],
              "train": ["--backbone", "bert", "--dataset", "data"],
              "evaluate-massive": ["--model", "m", "--massive", "x"],
              "analysis": ["--results", str(tmp_path / "results.csv")], "release": ["--sample"]}[name]
    return [name, *inputs, "--output-dir", str(tmp_path / "out")]


@pytest.mark.parametrize("name", ["prepare", "export", "train", "evaluate-massive", "analysis", "release"])
def test_an_output_folder_that_holds_other_files_is_the_same_fault_everywhere(name, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("the user's", encoding="utf-8")
    assert cli.main(output_folder_in_use(name, tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ruqtopics {name}: error: ") and err.count("\n") == 1, err
    assert (tmp_path / "out" / "notes.txt").read_text(encoding="utf-8") == "the user's"


def missing_input(name, tmp_path) -> list[str]:
    missing = str(tmp_path / "missing.yaml")
    inputs = {"prepare": ["--dump", missing], "export": ["--data-dir", missing],
              "train": ["--backbone", "bert", "--dataset", missing],
              "evaluate-massive": ["--model", missing, "--massive", missing], "analysis": ["--results", missing],
              "grid": [missing], "release": ["--sample", "--grid", missing], "claims": [missing]}[name]
    return [name, *inputs, *(["--output-dir", str(tmp_path / "out")] if name != "claims" else [])]


@pytest.mark.parametrize("name", ["prepare", "export", "train", "evaluate-massive", "analysis", "grid", "release",
                                  "claims"])
def test_a_missing_input_is_the_same_fault_everywhere(name, tmp_path, capsys):
    argv = missing_input(name, tmp_path)
    # train has started accelerate when it reads its dataset: run_train resets its state for the next test
    assert (run_train(argv[1:]) if name == "train" else cli.main(argv)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ruqtopics {name}: error: ") and err.count("\n") == 1, err
    assert str(tmp_path / "missing.yaml") in err


@pytest.mark.parametrize("name", ["grid", "release"])
def test_two_configs_sharing_a_run_folder_are_the_same_fault_everywhere(name, tmp_path, capsys):
    config = sorted(package_path("configs", "sample").glob("*.yaml"))[0]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / config.name).write_bytes(config.read_bytes())
    configs = [str(config), str(tmp_path / "other" / config.name)]
    argv = {"grid": ["grid", *configs], "release": ["release", "--sample", "--grid", *configs]}[name]
    assert cli.main([*argv, "--output-dir", str(tmp_path / "out")]) == 1
    last = capsys.readouterr().err.splitlines()[-1]  # the release built its sample's dataset first
    assert last.startswith(f"ruqtopics {name}: error: ") and "would both train into" in last, last


def test_help_imports_none_of_the_heavy_libraries():
    probe = ("import sys\nfrom ruqtopics_kit.cli import main\nmain(['--help'])\n"
             "print(sorted(name for name in ('torch', 'transformers', 'datasets') if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("entry", [["-m", "ruqtopics_kit"], ["ruqtopics.py"], ["train.py"], ["evaluate_massive.py"],
                                   ["-m", "analysis"]])
def test_the_checkout_scripts_run_the_same_commands(entry):
    from checkout import ROOT

    done = subprocess.run([sys.executable, *entry, "--version"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("ruqtopics "), done.stderr[-2000:]


REFUSED = {"prepare": "on_bad_record: ignore", "export": "on_bad_record: ignore", "train": "learning_rate: abc",
           "evaluate-massive": "massive_split: validation", "analysis": "n_resamples: abc",
           "distances": "overwrite_output_dir: 5", "grid": "jobs: abc", "release": "jobs: abc", "claims": "seed: abc"}


@pytest.mark.parametrize("name", NAMES)
def test_a_fault_of_the_config_file_is_a_fault_of_an_input_file_in_every_command(name, tmp_path, capsys):
    """Status 1 and one line naming the file, as for any other input file (cli/command.py), never argparse's usage
    error 2: the file missing, a folder, not UTF-8, not YAML, a key twice, no mapping, a key that is no option of
    the command, a value that argparse refuses; `--config-file` without a value or twice stays a usage error."""
    assert set(REQUIRED) == set(REFUSED) == set(NAMES)
    faults = {"missing": None, "a folder": "", "not UTF-8": b"\xff\xfe", "not YAML": "seed:\t7\n",
              "a key twice": "seed: 1\nseed: 2\n", "no mapping": "- a\n- b\n", "unknown key": "bogus_key: 1\n",
              "refused value": REFUSED[name] + "\n"}
    for number, (fault, content) in enumerate(faults.items()):
        path = tmp_path / f"options{number}.yaml"
        if content == "":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        try:
            status = cli.main([name, "--config-file", str(path), *REQUIRED[name]])
        except SystemExit as exit_info:
            status = exit_info.code
        err = capsys.readouterr().err
        assert status == 1 and len(err.splitlines()) == 1, (fault, err)
        assert err.startswith(f"ruqtopics {name}: error: ") and str(path) in err, (fault, err)
        assert fault != "refused value" or f": option '{REFUSED[name].split(':')[0]}': argument --" in err, err
    for argv in (["--config-file"], ["--config-file", "a.yaml", "--config-file", "b.yaml"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([name, *REQUIRED[name], *argv])
        assert exit_info.value.code == 2
        assert capsys.readouterr().err.startswith(f"usage: ruqtopics {name} ")
