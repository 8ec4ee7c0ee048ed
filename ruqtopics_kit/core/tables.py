"""Markdown tables, written one way everywhere: `pandas.DataFrame.to_markdown` (tabulate's pipe format); and the
CSV tables the kit writes, read back strictly (`read_csv_table`): pandas reads a table cut short without a word
(the missing fields of its last row are NaN), so a file that does not end its last line, a row with fewer or more
fields than the header, a column named twice and a missing column are errors naming the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def markdown_table(frame: pd.DataFrame, *, floatfmt: str = ".4f", intfmt: str = "",
                   text_align: Sequence[str] | None = None) -> str:
    """`frame` as a GitHub Markdown table, without its index; missing values (NaN, None) as empty cells.

    Numbers are right-aligned and formatted with `floatfmt` and `intfmt` (`","` for thousands separators), text is
    left-aligned. With `text_align` ("left"/"right" per column) the cells are taken as already formatted text and
    shown exactly as they are (no number parsing), aligned as given.
    """
    shown = frame.astype(object).where(frame.notna(), None)
    if text_align is not None:
        return shown.to_markdown(index=False, tablefmt="pipe", missingval="", disable_numparse=True,
                                 colalign=list(text_align))
    return shown.to_markdown(index=False, tablefmt="pipe", missingval="", floatfmt=floatfmt, intfmt=intfmt)


def read_csv_table(path: str | Path, *, required: Sequence[str] = (), **read_csv_options) -> pd.DataFrame:
    """The CSV table at `path` (read by pandas with `read_csv_options`), or a ValueError starting with the path and
    saying what is wrong: not UTF-8, not CSV, cut short, a column twice, a `required` column missing."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        table = pd.read_csv(io.StringIO(text), **read_csv_options)
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not valid UTF-8 ({error.reason} at byte {error.start})") from None
    except ValueError as error:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise ValueError(f"{path}: cannot be read as a CSV table ({' '.join(str(error).split())})") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    uneven = next((number for number, row in enumerate(rows[1:], start=2) if row and len(row) != len(header)), None)
    repeated = sorted({name for name in header if header.count(name) > 1})
    missing = [name for name in required if name not in header]
    if not text.endswith("\n") or uneven:
        raise ValueError(f"{path}: cut short or damaged: " + (f"line {uneven} has {len(rows[uneven - 1])} fields, the "
                                                              f"header {len(header)}" if uneven else
                                                              "its last line does not end"))
    if repeated or missing:
        raise ValueError(f"{path}: " + (f"names the column(s) {', '.join(repeated)} more than once" if repeated
                                        else f"lacks the column(s) {', '.join(missing)}"))
    return table
