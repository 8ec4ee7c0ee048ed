"""The kit as users install it: a wheel, installed into an empty folder, runs the README's main job from a
folder outside the repository, with the checkout nowhere on sys.path."""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit.release.layout import ReleaseLayout
from ruqtopics_kit.training.outputs import TrainingResults

pytestmark = pytest.mark.slow  # builds a wheel and trains one tiny model for an epoch (about 20 s)

# what the build reads, with the checkout's entry points beside it (so that the test sees them stay out)
SOURCES = ["pyproject.toml", "README.md", "ruqtopics_kit", "analysis", "train.py", "ruqtopics.py",
           "evaluate_massive.py"]
CONFIG = "tiny-massive_aligned-question"  # a one-config grid: export, train, MASSIVE, analysis, report


def _pip(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args, "--no-index"],
                   cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built offline from a clean copy of the sources (no stale build/ of the checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    for name in SOURCES:
        source, copy = ROOT / name, work / "src" / name
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
    _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(work / "dist"), str(work / "src"), cwd=work)
    return next((work / "dist").glob("ruqtopics_kit-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """(interpreter, target): the wheel installed into an empty folder; an interpreter whose sys.path holds
    the dependencies of this environment but not its editable install of the kit (its .pth is never read)."""
    work = tmp_path_factory.mktemp("installed")
    target = work / "site"
    _pip("install", "--no-deps", "--target", str(target), str(wheel), cwd=work)
    venv.create(work / "venv", with_pip=False)
    interpreter = work / "venv" / "bin" / "python"
    site = subprocess.run([interpreter, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # a plain path line: the directory joins sys.path, its own .pth files (the editable finder) are not run
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return interpreter, target


def _run(installed, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    interpreter, target = installed
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    environment.update(PYTHONPATH=str(target), OMP_NUM_THREADS="1")
    return subprocess.run([str(interpreter), *args], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def test_the_wheel_holds_everything_the_kit_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ["ruqtopics_kit/templates/dataset_card/template.md", "ruqtopics_kit/templates/model_cards/template.md",
                 "ruqtopics_kit/data/sample/train.jsonl", "ruqtopics_kit/data/sample/README.md",
                 "ruqtopics_kit/data/massive_sample/amazon-massive-dataset-1.1.tar.gz",
                 "ruqtopics_kit/configs/sample/tiny-single_label-question.yaml",
                 "ruqtopics_kit/configs/paper/rubert-base-single_label-question.yaml",
                 "ruqtopics_kit/configs/paper-deeppavlov/rubert-base-single_label-question.yaml",
                 "ruqtopics_kit/data/labels.json", "ruqtopics_kit/data/backbones.json",
                 "ruqtopics_kit/data/massive_locales.csv", "ruqtopics_kit/data/massive_mappings/default.json",
                 "ruqtopics_kit/metrics/topic_classification/topic_classification.py",
                 "ruqtopics_kit/data/analysis/wiki_sizes.csv",
                 "ruqtopics_kit/data/analysis/distances.provenance.json"]:
        assert name in names, name
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"ruqtopics_kit"}  # no train.py, ruqtopics.py, evaluate_massive.py nor analysis/


def test_the_installed_kit_runs_the_release_outside_the_repository(installed, tmp_path):
    _, target = installed
    probe = _run(installed, "-c", "import json, sys, ruqtopics_kit; print(json.dumps({'kit': ruqtopics_kit.__file__, "
                                  "'path': sys.path, 'finders': [type(f).__name__ for f in sys.meta_path]}))",
                 cwd=tmp_path)
    where = json.loads(probe.stdout)
    assert Path(where["kit"]).is_relative_to(target)
    in_checkout = {entry for entry in where["path"] if entry and Path(entry).resolve().is_relative_to(ROOT)}
    assert in_checkout <= {sysconfig.get_paths()["purelib"]}  # this environment's dependencies, not the sources
    assert not [name for name in where["finders"] if "Editable" in name]

    config = tmp_path / f"{CONFIG}.yaml"  # the installed sample config, for one epoch (learning is checked elsewhere)
    shipped = (target / "ruqtopics_kit" / "configs" / "sample" / config.name).read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^num_train_epochs: \d+", "num_train_epochs: 1", shipped), encoding="utf-8")
    assert config.read_text(encoding="utf-8") != shipped
    result = _run(installed, "-m", "ruqtopics_kit", "release", "--sample", "--output-dir", "out", "--grid", str(config),
                  cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = ReleaseLayout(tmp_path / "out")  # the checkout's layout: the installed kit writes the same folder
    assert out.report.is_file() and (out.dataset_dir / "README.md").is_file()
    assert TrainingResults.read(out.model_results(CONFIG)).test
    assert out.massive_results(CONFIG).is_file()
