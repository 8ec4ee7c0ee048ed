"""`python -m analysis` end to end on a synthetic 51-locale results file."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from checkout import ROOT
from table_helpers import markdown_rows

from ruqtopics_kit import cli
from ruqtopics_kit.analysis import plots

FIXTURE = Path(__file__).parents[1] / "fixtures" / "analysis" / "results_51.csv"
OUTPUTS = [
    "correlations.csv",
    "correlations.md",
    "correlations.tex",
    "score_vs_genetic_distance.png",
    "score_vs_genetic_distance.svg",
    "score_vs_size.png",
    "score_vs_size.svg",
    "summary.json",
]


def reject_nan(constant):
    raise ValueError(f"non-strict JSON constant {constant}")


def test_cli_end_to_end(tmp_path):
    output = tmp_path / "analysis"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "--results",
            str(FIXTURE),
            "--output-dir",
            str(output),
            "--n-resamples",
            "200",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "51 locales: Spearman rho(accuracy, articles_2020_08^0.7) = " in completed.stdout
    assert sorted(p.name for p in output.iterdir()) == OUTPUTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis"]  # no staging directory left

    table = pd.read_csv(output / "correlations.csv")
    assert list(table.columns) == [
        "predictor",
        "method",
        "controls",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "n",
        "note",
        "locales",
    ]
    assert (table["locales"] == "massive_1.0").all()  # the paper's 51 locales, no other set to report
    assert set(table["predictor"]) == {"size", "genetic", "syntactic", "geographic", "featural"}
    assert (table["n"] == 51).all()
    headline = table[(table["predictor"] == "size") & (table["method"] == "spearman")].iloc[0]
    assert 0.5 < headline["statistic"] < 1 and headline["ci_low"] < headline["statistic"] < headline["ci_high"]

    summary = json.loads((output / "summary.json").read_text(encoding="utf-8"), parse_constant=reject_nan)
    assert summary["n_locales"] == 51 and sorted(summary["files"]) == OUTPUTS
    assert summary["absent_from_mbert"] == {"treatment": "zero", "locales": ["am-ET", "km-KH"]}
    assert ["zh-CN", "zh-TW"] in summary["ties"]["size"] and ["am-ET", "km-KH"] in summary["ties"]["size"]
    assert summary["versions"]["distances"]["library"] == "urielplus"
    assert math.isclose(summary["correlations"][0]["statistic"], headline["statistic"])

    markdown = (output / "correlations.md").read_text(encoding="utf-8")
    rows = markdown_rows(markdown)
    assert rows[0] == ["Predictor", "Statistic", "Value", "95% CI", "p", "n"]
    assert ["articles_2020_08^0.7", "Spearman ρ"] in [row[:2] for row in rows]
    assert "am-ET, km-KH): pretraining size set to 0" in markdown and "zh-CN = zh-TW" in markdown
    latex = (output / "correlations.tex").read_text(encoding="utf-8")
    assert r"\toprule" in latex and r"articles\_2020\_08\^{}0.7 & Spearman $\rho$ & " in latex
    assert (output / "score_vs_size.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "<svg" in (output / "score_vs_genetic_distance.svg").read_text(encoding="utf-8")


def test_a_rerun_writes_the_same_bytes(tmp_path):
    """Two runs on the same input give byte-identical files, the SVG plots included (no date, no random ids)."""
    for name in ("first", "second"):
        argv = ["analysis", "--results", str(FIXTURE), "--output-dir", str(tmp_path / name), "--n-resamples", "50"]
        assert cli.main(argv) == 0
    for name in OUTPUTS:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_pearson_on_log_size_by_hand(tmp_path):
    """Four locales whose log(1 + size) is 0, 1, 2, 3 (exponent 1): r = 0.8 and, with 2 degrees of freedom,
    p = 1 - r; the ranks give Spearman 0.8 as well, its p exact."""
    locales = ["ru-RU", "pl-PL", "de-DE", "ja-JP"]
    sizes = pd.DataFrame({"locale": locales, "articles_x": [math.expm1(k) for k in range(4)], "in_mbert": "yes"})
    sizes.to_csv(tmp_path / "sizes.csv", index=False)
    pd.DataFrame({"locale": locales, "accuracy": [0.1, 0.3, 0.2, 0.4]}).to_csv(tmp_path / "results.csv", index=False)
    assert (
        cli.main(
            [
                "analysis",
                "--results",
                str(tmp_path / "results.csv"),
                "--output-dir",
                str(tmp_path / "out"),
                "--sizes",
                str(tmp_path / "sizes.csv"),
                "--exponent",
                "1",
                "--allow-missing-locales",
                "--n-resamples",
                "50",
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "out" / "correlations.csv").set_index(["predictor", "method"])
    assert table.loc[("size", "pearson_log1p"), ["statistic", "p_value"]].tolist() == pytest.approx([0.8, 0.2])
    # Spearman's p is exact at n = 4: 8 of the 24 orderings have |rho| >= 0.8
    assert table.loc[("size", "spearman"), ["statistic", "p_value"]].tolist() == pytest.approx([0.8, 1 / 3])
    assert table.loc[("size", "partial_spearman"), "note"] == (
        "undefined: a partial Spearman needs at least 5 locales (n - 3 degrees of freedom); 4 given"
    )


def test_non_empty_output_dir_needs_overwrite(tmp_path, capsys):
    output = tmp_path / "out"
    output.mkdir()
    (output / "old.txt").write_text("keep me")
    arguments = ["analysis", "--results", str(FIXTURE), "--output-dir", str(output), "--n-resamples", "50"]
    assert cli.main(arguments) == 1
    error = capsys.readouterr().err
    assert "is not empty" in error and error.endswith("pass --overwrite-output-dir to replace it.\n"), error
    assert [p.name for p in output.iterdir()] == ["old.txt"]
    assert cli.main([*arguments, "--overwrite-output-dir"]) == 0
    assert sorted(p.name for p in output.iterdir()) == OUTPUTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch, capsys):
    def broken_save(figure, directory, stem):
        (directory / f"{stem}.png").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "save", broken_save)
    assert cli.main(["analysis", "--results", str(FIXTURE), "--output-dir", str(tmp_path / "out"), "--n-resamples",
                     "50"]) == 1
    message = f"could not write {tmp_path / 'out'}: No space left on device; nothing was written"
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_flags_exit_with_usage(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["analysis", "--results", str(FIXTURE), "--output-dir", str(tmp_path / "o"), "--size-proxy", "pages"])
    assert exited.value.code == 2
    assert "invalid choice: 'pages'" in capsys.readouterr().err
    assert cli.main(["analysis", "--results", str(tmp_path / "missing.csv"), "--output-dir", str(tmp_path / "o")]) == 1
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("argv, usage", [([], "usage: ruqtopics analysis"),
                                         (["distances"], "usage: ruqtopics distances")])
def test_the_checkout_entry_runs_both_analysis_commands(argv, usage):
    """`python -m analysis` is `ruqtopics analysis`, and `python -m analysis distances` (the command the packaged
    distance cache's provenance names) is `ruqtopics distances`."""
    shown = subprocess.run([sys.executable, "-m", "analysis", *argv, "--help"], cwd=ROOT, capture_output=True,
                           text=True, check=True)
    assert shown.stdout.startswith(usage)
