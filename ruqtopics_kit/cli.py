"""`ruqtopics COMMAND ...` (or `python -m ruqtopics_kit COMMAND ...`): every command of the kit.

The top-level scripts (`ruqtopics.py`, `train.py`, `evaluate_massive.py`) and `python -m analysis` run the
same code; each command's module is imported only when that command runs, so `--help` stays fast.
"""

from __future__ import annotations

import sys
from importlib import import_module

from ruqtopics_kit.core.processes import skip_exit_collection

# command -> (module, function, one-line summary)
COMMANDS = {
    "prepare": ("ruqtopics_kit.dataset.commands", "prepare_main",
                "turn a Yandex Q dump into the canonical raw layout (train/validation/test.jsonl)"),
    "export": ("ruqtopics_kit.dataset.commands", "export_main",
               "write the script-free Hub dataset repository (Parquet + card), optionally push it"),
    "train": ("ruqtopics_kit.training", "main", "fine-tune a backbone; the output folder is a Hub model repository"),
    "evaluate-massive": ("ruqtopics_kit.massive.evaluate", "main", "per-locale results of a model on MASSIVE"),
    "analysis": ("ruqtopics_kit.analysis.command", "main",
                 "correlate per-locale MASSIVE scores with pretraining size and distance from Russian"),
    "grid": ("ruqtopics_kit.release.grid", "main", "train a grid of configs, skipping finished runs"),
    "release": ("ruqtopics_kit.release.pipeline", "main", "the end-to-end release (raw data to Hub repositories "
                                                          "and a report)"),
    "claims": ("ruqtopics_kit.release.claims", "main", "the paper's claims recomputed from a release folder "
                                                       "(claims.json and report.md's section)"),
}


def usage(prog: str) -> str:
    width = max(map(len, COMMANDS))
    lines = [f"usage: {prog} COMMAND [options]   ({prog} COMMAND --help for a command's options)", "",
             "commands:"]
    lines += [f"  {name:{width}s}  {summary}" for name, (_, _, summary) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "ruqtopics") -> int:
    skip_exit_collection()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog))
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"{usage(prog)}\n\n{prog}: error: unknown command {argv[0]!r}", file=sys.stderr)
        return 2
    module, function, _ = COMMANDS[argv[0]]
    return getattr(import_module(module), function)(argv[1:])
