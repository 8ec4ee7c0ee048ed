"""Markdown tables, written one way everywhere: `pandas.DataFrame.to_markdown` (tabulate's pipe format)."""

from __future__ import annotations

from collections.abc import Sequence

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
