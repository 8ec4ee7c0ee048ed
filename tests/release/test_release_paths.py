"""A release whose inputs lie elsewhere on the machine (data, MASSIVE copy, grid and backbone in a user's folder,
the release in another): what it publishes (report.md, claims.json, every repository, evaluation and analysis
file) names no local path: nothing absolute, no user's folder, no `../` out of the release."""

import getpass
import re
import shutil
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit import cli

pytestmark = pytest.mark.slow  # one six-class model trained

RELATIVE = re.compile(r"(?:\.\./)+[^\s\"',|)\]]*")


def published(release: Path) -> list[Path]:
    """Every file the release publishes or reports: not the training state (.NAME.work/), the steps' stamps
    (.release/), the run logs or the sample backbone (work/)."""
    return [path for path in sorted(release.rglob("*")) if path.is_file() and path.suffix != ".log"
            and not any(part.startswith(".") or part == "work" for part in path.relative_to(release).parts)]


def test_inputs_outside_the_release_leave_no_local_path_in_what_it_publishes(tmp_path, tiny_backbone):
    inputs = tmp_path / "home" / "someone" / "inputs"  # the user's folder, far from the release
    shutil.copytree(ROOT / "data" / "sample", inputs / "raw")
    shutil.copytree(tiny_backbone, inputs / "backbone")
    (inputs / "grid").mkdir()
    shutil.copy(ROOT / "configs" / "sample" / "tiny-massive_aligned-question.yaml", inputs / "grid")
    shutil.copy(ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz", inputs / "massive.tar.gz")
    release = tmp_path / "elsewhere" / "release"
    assert cli.main(["release", "--data-dir", str(inputs / "raw"), "--massive", str(inputs / "massive.tar.gz"),
                     "--grid", str(inputs / "grid"), "--backbone", str(inputs / "backbone"),
                     "--output-dir", str(release)]) == 0

    files = published(release)
    assert {release / "report.md", release / "claims.json"} <= set(files)
    local = [str(tmp_path), str(tmp_path.resolve()), "/home/", str(ROOT), str(Path.home()), f"/{getpass.getuser()}/"]
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        assert not [place for place in local if place in text], path
        escaping = [found for found in RELATIVE.findall(text)
                    if not (path.parent / found).resolve().is_relative_to(release.resolve())]
        assert escaping == [], path
    for name in ("report.md", "claims.json"):
        assert "../" not in (release / name).read_text(encoding="utf-8"), name
