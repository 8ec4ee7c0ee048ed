"""DeepPavlov's tab-separated layout (`train.csv`, `val.csv`, `test.csv`), read as DeepPavlov reads it.

A header line names the columns: `text`, one label column (`label_id`: class ids; `labels` or `label`: class
names; several separated by `;`), and optionally `id` and `answer`. DeepPavlov reads these files with
`pandas.read_csv(path, sep="\t")` (its basic_classification_reader), so quoting is pandas' default: a field may
be quoted with ", a quote inside it doubled, as `to_csv` writes. Where pandas would silently read something
else than the file says (quotes dropped, a record split at a carriage return), the line is an error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from ruqtopics_kit.dataset.canonical import MAX_CHARS, RawDataError, did_you_mean, shown

DEEPPAVLOV_LABEL_SEPARATOR = ";"
TSV_COLUMNS = ("id", "text", "answer", "label_id", "labels", "label")
LABEL_COLUMNS = ("label_id", "labels", "label")
CLASS_ID = re.compile(r"[0-9]+")  # ASCII digits: str.isdigit() also takes "²", which int() refuses
Lines = Iterator[tuple[int, str]]  # numbered lines of a text file
TSV_DIALECT = dict(delimiter="\t", quotechar='"', doublequote=True, lineterminator="\n", strict=True)
QUOTING_PROBLEM = ("a field starts with a quote but is not quoted as pandas writes TSV, and pandas.read_csv "
                   "(DeepPavlov's reader) would silently drop its quotes; quote the whole field and double the "
                   "quotes inside, as pandas.to_csv(sep='\\t') does: \"\"\"Война и мир\"\" — кто автор?\"")


def _tsv_records(path: Path, lines: Lines) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each non-blank record of a TSV file, read as DeepPavlov (pandas) reads it.

    A record is taken either verbatim (no field starts with a quote) or exactly as pandas writes it (fields
    quoted where they must be); anything in between is an error instead of a guess. A file must end with a
    newline: a last line without one may have been cut short, and a cut line can still look valid (label
    `48` cut to `4`), so it is refused rather than read.
    """
    consumed: list[tuple[int, str]] = []  # the physical lines of the current record

    def physical_lines():
        for line_no, text in lines:
            consumed.append((line_no, text))
            yield text

    texts = physical_lines()
    reader = csv.reader(texts, **TSV_DIALECT)
    while True:
        consumed.clear()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            fields = _on_csv_error(path, consumed, error)
            reader = csv.reader(texts, **TSV_DIALECT)  # the next record starts on the next line
        line_no, raw = consumed[0][0], "".join(text for _, text in consumed)
        if not raw.strip():
            continue
        if not raw.endswith("\n"):
            raise RawDataError(path, consumed[-1][0], "the file does not end with a newline, so its last line may "
                                                      "be cut short (a label 48 cut to 4 still looks valid); if "
                                                      "the line is complete, end the file with a newline")
        raw = raw.removesuffix("\n").removesuffix("\r")
        if fields != raw.split("\t") and _as_pandas_writes(fields) != raw:
            raise RawDataError(path, line_no, QUOTING_PROBLEM)
        yield line_no, fields


def _on_csv_error(path: Path, consumed: list[tuple[int, str]], error: csv.Error) -> list[str]:
    """What a csv error means, named: a carriage return inside a line, a quoting problem, or a field longer than
    Python's csv module takes (131,072 characters: more than any text may hold, see canonical.MAX_CHARS). A
    verbatim record with such a field is read on, so that it is refused, or skipped, as the record with a text
    too long that it is; a quoted field that long is an error, since where it ends is unknown."""
    line_no = consumed[0][0] if consumed else None
    if "new-line character" in str(error):
        raise RawDataError(path, line_no, "holds a carriage return (\\r) inside a line, where pandas.read_csv "
                                          "(DeepPavlov's reader) would start a new record; remove it") from None
    if "field limit" not in str(error):
        raise RawDataError(path, line_no, QUOTING_PROBLEM) from None
    fields = "".join(text for _, text in consumed).removesuffix("\n").removesuffix("\r").split("\t")
    if len(consumed) > 1 or any(field.startswith('"') for field in fields):
        raise RawDataError(path, line_no, f"a quoted field is longer than the {csv.field_size_limit():,} characters "
                                          f"the TSV reader takes (no text may be longer than "
                                          f"{max(MAX_CHARS.values()):,})") from None
    return fields


def _as_pandas_writes(fields: list[str]) -> str:
    """One TSV record as `pandas.to_csv(sep="\t")` writes it (Python's csv writer, minimal quoting)."""
    buffer = io.StringIO()
    csv.writer(buffer, **TSV_DIALECT).writerow(fields)
    return buffer.getvalue().removesuffix("\n")


def deeppavlov_rows(path: Path, split: str, lines: Lines) -> Iterator[tuple[int, dict | ValueError]]:
    """The rows of DeepPavlov's TSV at `path`, whose `lines` these are; ids `<split>-<line>` where it has none.

    A record whose label_id cell holds no class ids comes as the ValueError saying so, a bad record like any
    other (skipped and counted with on_bad_record="skip"); a line that is not a record is an error."""
    records = _tsv_records(path, lines)
    header = next(records, (1, None))[1]
    if header is None:
        raise RawDataError(path, 1, "empty file: expected a header line")
    _check_header(path, header)
    label_column = next(name for name in LABEL_COLUMNS if name in header)
    for line_no, values in records:
        if len(values) != len(header):
            raise RawDataError(path, line_no, f"expected {len(header)} tab-separated fields, got {len(values)}")
        row = dict(zip(header, values))
        record_id = row["id"] if "id" in row else f"{split}-{line_no}"
        labels: list = row[label_column].split(DEEPPAVLOV_LABEL_SEPARATOR)
        if label_column == "label_id" and not all(CLASS_ID.fullmatch(cell) for cell in labels):
            yield line_no, ValueError(f"bad label_id: record {shown(record_id)} has {shown(row[label_column])}; "
                                      f"label_id must be integers (digits 0-9) separated by ';'")
            continue
        if label_column == "label_id":
            labels = [int(cell) for cell in labels]
        yield line_no, {"id": record_id, "question": row["text"], "answer": row.get("answer", ""), "labels": labels}


def _check_header(path: Path, header: list[str]) -> None:
    """A 'text' column, exactly one label column, no unknown or repeated column."""
    labels = [name for name in LABEL_COLUMNS if name in header]
    if "text" not in header or not labels:
        raise RawDataError(path, 1, f"header must have a 'text' column and one of 'label_id', 'labels', 'label'; "
                                    f"got {shown(header)}")
    if len(labels) > 1:
        raise RawDataError(path, 1, f"header has label columns {' and '.join(map(repr, labels))}; keep one (which "
                                    f"one is right cannot be guessed when they disagree)")
    unknown = [name for name in header if name not in TSV_COLUMNS]
    if unknown:
        raise RawDataError(path, 1, f"unknown column {shown(unknown[0])}{did_you_mean(unknown[0], TSV_COLUMNS)}; the "
                                    f"columns are {', '.join(TSV_COLUMNS)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RawDataError(path, 1, f"header names column(s) {', '.join(map(shown, repeated))} more than once")
