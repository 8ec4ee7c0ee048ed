"""The core's one home for each shared fact: strict JSON, Markdown tables, option errors, the citation."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from checkout import ROOT
from table_helpers import markdown_rows

from ruqtopics_kit.core.config_files import parse_with_config_file
from ruqtopics_kit.core.errors import InvalidParameterError, check_choice
from ruqtopics_kit.core.jsonio import strict_json, write_json
from ruqtopics_kit.core.tables import markdown_table
from ruqtopics_kit.facts.paper import CITATION
from ruqtopics_kit.metrics import load_topic_metric


def test_strict_json_writes_every_non_finite_number_as_null(tmp_path):
    value = {"nan": float("nan"), "inf": [float("inf"), -np.inf], 3: (np.float32(0.5), np.int64(7), np.bool_(True))}
    text = strict_json(value)
    assert json.loads(text, parse_constant=pytest.fail) == {"nan": None, "inf": [None, None], "3": [0.5, 7, True]}
    assert text.endswith("}\n") and "Ü" in strict_json({"name": "Ü"})  # UTF-8, not \\u escapes
    write_json(tmp_path / "out" / "x.json", value)
    assert (tmp_path / "out" / "x.json").read_text(encoding="utf-8") == text


def test_markdown_tables_align_numbers_right_and_leave_missing_values_empty():
    frame = pd.DataFrame({"model": ["a", "b"], "accuracy": [0.5, np.nan], "n": [1200, 3]})
    text = markdown_table(frame, intfmt=",")
    assert text.splitlines()[1] == "|:--------|-----------:|------:|"
    assert markdown_rows(text) == [["model", "accuracy", "n"], ["a", "0.5000", "1,200"], ["b", "", "3"]]


def test_markdown_tables_of_formatted_text_keep_the_text_as_it_is():
    frame = pd.DataFrame({"p": ["0.100", "2.998e-11"], "n": ["51", "6"]})
    text = markdown_table(frame, text_align=["right", "left"])
    assert markdown_rows(text) == [["p", "n"], ["0.100", "51"], ["2.998e-11", "6"]]
    assert text.splitlines()[1] == "|----------:|:----|"


def test_choices_are_checked_with_one_message_shape():
    assert check_choice("split", "test", ("test", "dev")) == "test"
    with pytest.raises(InvalidParameterError, match=re.escape(
            "The 'split' parameter must be one of 'test', 'dev' (or a file). Got 'val' instead.")):
        check_choice("split", "val", ("test", "dev"), note="(or a file)")
    assert issubclass(InvalidParameterError, ValueError)


def test_one_citation_everywhere():
    assert load_topic_metric(multi_label=False).citation == CITATION  # evaluate.load imports it from the kit
    assert f"```bibtex\n{CITATION}```" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Zapiski Nauchnykh Seminarov POMI" in CITATION and "arXiv:2306.07797" in CITATION


def test_every_command_with_many_options_reads_the_same_yaml_config_files(tmp_path, capsys):
    from ruqtopics_kit.cli.massive import EVALUATE_MASSIVE
    from ruqtopics_kit.cli.release import parse_release as release_args

    evaluation_parser = EVALUATE_MASSIVE.parser

    evaluation = tmp_path / "evaluation.yaml"
    evaluation.write_text("model: m\nmassive: x\noutput-dir: o\nbatch_size: 8\nupdate-model-card: true\n"
                          "no_progress: false\nlocales: null\n", encoding="utf-8")
    options = parse_with_config_file(evaluation_parser(), ["--config-file", str(evaluation), "--batch-size", "16"])
    assert (options.model, options.batch_size, options.update_model_card, options.no_progress) == ("m", 16, True, False)
    assert options.locales == "all" and not hasattr(options, "config_file")
    release = tmp_path / "release.yaml"
    release.write_text(f"sample: true\ngrid: [{ROOT / 'configs/sample/tiny-single_label-question.yaml'}]\n"
                       f"output_dir: {tmp_path / 'out'}\norg: acme\nhub-private: true\n", encoding="utf-8")
    planned = release_args(["--config-file", str(release), "--hub-org", "other"])
    assert "--org is deprecated and will be removed; use --hub-org" in capsys.readouterr().err  # the file's key
    assert planned.sample and planned.org == "other" and planned.private and [p.name for p in planned.grid] == [
        "tiny-single_label-question.yaml"]
    evaluation.write_text("model: m\nbach_size: 8\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        parse_with_config_file(evaluation_parser(), ["--config-file", str(evaluation)])
    assert exit_info.value.code == 1
    assert "unknown option 'bach_size'; did you mean 'batch_size'" in capsys.readouterr().err
