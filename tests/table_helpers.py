"""Reading back the Markdown tables the kit writes (tabulate pads cells, so rows are compared cell by cell)."""


def markdown_rows(text: str) -> list[list[str]]:
    """The cells of every table row in `text` (header rows included, separator rows left out), stripped."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and line.endswith("|") and not set(line) <= set("|:- "):
            rows.append([cell.strip() for cell in line[1:-1].split("|")])
    return rows
