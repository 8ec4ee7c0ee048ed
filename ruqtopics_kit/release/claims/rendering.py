"""The claims as report.md's "Paper claims" section, and claims.json's numbers rounded for reading."""

from __future__ import annotations

import math

import pandas as pd

from ruqtopics_kit.core.tables import markdown_table
from ruqtopics_kit.dataset.text_modes import TEXT_MODES
from ruqtopics_kit.facts.names import REFERENCE_LOCALE
from ruqtopics_kit.release.claims.models import GRID_CONFIG
from ruqtopics_kit.release.layout import CLAIMS_FILE

SECTION_TITLE = "## Paper claims"
SIGNIFICANT_DIGITS = 6  # numbers in claims.json (p-values keep their exponent)


def rounded(value):
    """Floats to SIGNIFICANT_DIGITS significant digits (so that small p-values survive), recursively."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def _fmt(value, interval=None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return text + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval and None not in interval else "")


def _text_table(rows: list[dict], right: tuple[str, ...] = ()) -> str:
    """Cells already formatted (an interval beside its value, p-values in their own precision), shown as given."""
    frame = pd.DataFrame(rows).astype(str)
    return markdown_table(frame, text_align=["right" if column in right else "left" for column in frame.columns])


def render_section(claims: dict) -> str:
    rows = [{"claim": row["claim"], "subject": row["subject"], "role": row["role"], "paper": str(row["paper"] or ""),
             "this run": _fmt(row["run"], row["run_interval"]), "p": "" if row["p_value"] is None
             else f"{row['p_value']:.3g}", "verdict": row["verdict"], "why": row["why"]} for row in claims["claims"]]
    lines = _intro_lines(claims) + ["### Claims", "", _text_table(rows, right=("p",)), ""]
    lines += _rule_lines(claims["method"])
    lines += _grid_lines(claims["grid"]) + _spread_lines(claims["seeds"]["spread"])
    lines += _comparison_lines(claims["comparisons"])
    lines += _six_class_lines(claims["six_classes"])
    if claims["notes"]:
        lines += ["Notes:", "", *[f"- {note}" for note in claims["notes"]], ""]
    return "\n".join(lines)


def _intro_lines(claims: dict) -> list[str]:
    method, lines = claims["method"], [SECTION_TITLE, ""]
    if claims["synthetic"]:
        lines += ["**Synthetic sample: every verdict is `cannot test (synthetic sample)`.** The numbers below show "
                  "that the claims are computed, not what the paper found.", ""]
    return lines + [
        f"Recomputed from this release's files by `ruqtopics claims` ([`{CLAIMS_FILE}`]({CLAIMS_FILE})); the paper's "
        f"numbers and where each comes from are in `{claims['paper']['file']}`. The kit reproduces the paper's "
        f"comparisons on this run's models and judges them with rules of its own (below); the paper's Table 3 "
        f"numbers were not available, so the grid below is this run's. 95% intervals: accuracy "
        f"{method['intervals']['accuracy']}; accuracy differences {method['intervals']['accuracy_difference']}; "
        f"macro-F1 percentile bootstrap ({method['n_resamples']} resamples, paired for differences); p: McNemar's "
        f"exact test. Alpha {method['alpha']}.", "", f"Training seeds: {claims['seeds']['rule']}.", ""]


def _rule_lines(method: dict) -> list[str]:
    rules = [f"- `{name}` ({rule['kind']}): {rule['rule']}." + (f" Family: {rule['family']}." if "family" in rule
                                                                 else "")
             for name, rule in method["rules"].items() if isinstance(rule, dict)]
    return ["### How each verdict is reached", "", *rules, f"- overall: {method['rules']['overall']}",
            f"- locales: {method['locales']}", ""]


def _grid_lines(cells: list[dict]) -> list[str]:
    grid: dict[str, dict[str, str]] = {}
    for cell in cells:
        if cell["config"] == GRID_CONFIG:
            grid.setdefault(cell["backbone"], {})[cell["text_mode"]] = (
                f"{_fmt(cell['accuracy'], cell['accuracy_ci'])} / {_fmt(cell['macro_f1'], cell['macro_f1_ci'])}")
    if not grid:
        return []
    modes = [mode for mode in TEXT_MODES if any(mode in row for row in grid.values())]
    table = _text_table([{"backbone": backbone, **{mode: row.get(mode, "") for mode in modes}}
                         for backbone, row in sorted(grid.items())])
    return ["### Grid (the paper's Table 3): test accuracy / macro-F1 [95% interval]", "", table, ""]


def _spread_lines(spread: list[dict]) -> list[str]:
    if not spread:
        return []
    table = _text_table([{"config": row["config"], "backbone": row["backbone"], "text mode": row["text_mode"],
                          "seeds": ", ".join(map(str, row["seeds"])),
                          "accuracy mean (sd)": f"{row['accuracy_mean']:.3f} ({row['accuracy_sd']:.3f})",
                          "macro-F1 mean (sd)": f"{row['macro_f1_mean']:.3f} ({row['macro_f1_sd']:.3f})"}
                         for row in spread])
    return ["### Across training seeds: test scores", "", table, ""]


def _comparison_lines(comparisons: list[dict]) -> list[str]:
    if not comparisons:
        return []
    table = _text_table([{"a": c["a"], "b": c["b"], "n": c["n"],
                          "accuracy a - b": _fmt(c["accuracy_difference"], c["accuracy_difference_ci"]),
                          "macro-F1 a - b": _fmt(c["macro_f1_difference"], c["macro_f1_difference_ci"]),
                          "only a right": c["a_only_correct"], "only b right": c["b_only_correct"],
                          "McNemar p": f"{c['mcnemar_p']:.3g}"} for c in comparisons],
                        right=("n", "only a right", "only b right", "McNemar p"))
    return ["### Paired comparisons (same test questions)", "", table, ""]


def _six_class_lines(six_classes: list[dict]) -> list[str]:
    if not six_classes:
        return []
    table = _text_table([{"model": row["model"], "backbone": row["backbone"],
                          f"MASSIVE {REFERENCE_LOCALE} accuracy": _fmt(row["massive_ru_accuracy"],
                                                                     row["massive_ru_accuracy_ci"]),
                          "test-split accuracy": _fmt(row["test_accuracy"], row["test_accuracy_ci"]),
                          "paper": "about 0.85"} for row in six_classes])
    return ["### Six classes", "", table, ""]


def with_section(report: str, section: str) -> str:
    """`report` with its "Paper claims" section replaced by `section` (appended when it has none)."""
    start = report.find(f"\n{SECTION_TITLE}\n")
    if start < 0:
        return report.rstrip("\n") + "\n\n" + section
    end = report.find("\n## ", start + 1)
    return report[:start + 1] + section + (report[end:] if end >= 0 else "")
