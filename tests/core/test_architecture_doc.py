"""docs/architecture.md stays true: every part of the package has its row in the table of parts, with the parts it
may import as tests/core/test_layering.py enforces them and every one of its modules named; every command and
every file of the release folder is named. A part, module, command or release file added without its line in the
document fails here, as an import that points up fails test_layering.
"""

import re

import pytest
from checkout import ROOT
from test_layering import ALLOWED

from ruqtopics_kit.cli import COMMANDS
from ruqtopics_kit.release import layout

DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "ruqtopics_kit"
PACKAGE_DATA = {"configs", "data", "templates"}  # read with importlib.resources, no code
ROW = re.compile(r"^\| `(\w+)(?:/|\.py)` \| (.*) \| (.*) \|$")


def rows() -> dict[str, tuple[str, str]]:
    """part -> (what it holds, what it may import), from the document's table of parts."""
    return {match[1]: (match[2], match[3]) for match in map(ROW.match, DOC.splitlines()) if match}


def parts() -> dict[str, list[str]]:
    """part -> the names of its modules, from the package itself."""
    found = {}
    for path in sorted(PACKAGE.iterdir()):
        if path.is_dir() and path.name not in PACKAGE_DATA and (path / "__init__.py").is_file():
            found[path.name] = sorted({module.stem for module in path.rglob("*.py")} - {"__init__"})
        elif path.suffix == ".py" and path.stem not in ("__init__", "__main__"):
            found[path.stem] = []
    return found


def may_import(text: str, part: str) -> set[str]:
    """The parts a row's last column names ("everything above": every part below this one in the layering)."""
    order = list(ALLOWED)
    if text.startswith("everything"):
        return set(order[:order.index(part)])
    if text.startswith("nothing"):
        return set()
    return {name.strip().split(" ")[0] for name in re.sub(r"\([^)]*\)", "", text).split(",")}


def test_the_table_has_a_row_for_every_part_and_no_other():
    assert sorted(rows()) == sorted(parts())
    assert sorted(ALLOWED) == sorted(parts())  # and test_layering knows every part


@pytest.mark.parametrize("part", sorted(parts()))
def test_each_row_names_what_its_part_may_import_as_the_layering_test_enforces(part):
    assert may_import(rows()[part][1], part) == ALLOWED[part]


@pytest.mark.parametrize("part", sorted(name for name, modules in parts().items() if modules))
def test_each_row_names_every_module_of_its_part(part):
    holds = rows()[part][0]
    assert [name for name in parts()[part] if f"`{name}`" not in holds and f"`{name}/`" not in holds] == []


def test_every_command_is_named():
    assert [command.name for command in COMMANDS if f"`{command.name}`" not in DOC] == []


def release_files() -> list[str]:
    """The file and folder names of the release folder, as `release.layout` and the modules it imports name them."""
    names = [value for name, value in vars(layout).items()
             if name.isupper() and isinstance(value, str) and name.endswith(("_FILE", "_DIR", "_CSV", "_JSON"))]
    assert len(names) >= 6  # the walk finds them
    return names


@pytest.mark.parametrize("name", release_files())
def test_every_file_of_the_release_folder_is_named(name):
    assert f"`{name}`" in DOC or f"`{name}/`" in DOC
