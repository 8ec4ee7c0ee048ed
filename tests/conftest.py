"""Shared fixtures and the schedule of `pytest -n` (pytest-xdist, on by default in pyproject.toml). Every test runs
offline: HF_HUB_OFFLINE=1 is set before any Hugging Face import."""

import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
from checkout import SAMPLE_DIR  # noqa: E402  (tests/ and the checkout are on sys.path: pyproject's pythonpath)
from fake_hub import FakeHub  # noqa: E402
from sample_backbone import build_sample_backbone  # noqa: E402

from ruqtopics_kit.core.processes import skip_exit_collection, threads_per_job  # noqa: E402


def _share_the_cores_between_workers() -> None:
    """Each pytest-xdist worker, and every process its tests start, gets its share of the CPU threads. torch's
    default of one thread per core in every process oversubscribes the cores, and the tiny models' steps then
    run 10-100x slower (OpenMP threads spin-waiting for each other). Before torch is imported: it reads this once."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads_per_job(workers)))


_share_the_cores_between_workers()
skip_exit_collection()  # pytest's processes end as the kit's commands do, about 1 s sooner each

SHARED_RELEASE = "sample_release"  # the session fixture below that several modules use
SHARED_RELEASE_MODULES = {"tests/hub/test_hub_round_trip.py", "tests/release/test_claims.py",
                          "tests/release/test_release.py"}


def schedule_unit(nodeid: str) -> str:
    """What `pytest -n` runs on one worker: a test's module, or all the modules of the shared sample release."""
    module = nodeid.split("::", 1)[0]
    return SHARED_RELEASE if module in SHARED_RELEASE_MODULES else module


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, those of the shared sample release (the longest) before all, so that under `pytest -n`
    no worker is left with a slow module at the end while the others idle. (`--no-loadscope-reorder` in
    pyproject.toml keeps this order; pytest-xdist would otherwise hand out the modules with the most tests first.)"""
    for item in items:
        if SHARED_RELEASE in item.fixturenames and schedule_unit(item.nodeid) != SHARED_RELEASE:
            raise pytest.UsageError(f"{item.nodeid} uses {SHARED_RELEASE}: add its module to SHARED_RELEASE_MODULES "
                                    "in tests/conftest.py, so that pytest -n builds the release once")
    items.sort(key=lambda item: (SHARED_RELEASE not in item.fixturenames, item.get_closest_marker("slow") is None))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook, called in the controlling process
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile` (pyproject.toml): every module on one worker, so that its module fixtures are built once,
    and here the modules of the shared sample release together as one unit, so that it is built once. (Grouping
    by `xdist_group` marks cannot do this: pytest-xdist 3.8 renames node ids for it, which pytest 9.2 ignores.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return schedule_unit(nodeid)

    return ModuleScheduling(config, log)


@pytest.fixture(autouse=True)
def _isolated_hf_home(tmp_path_factory, monkeypatch):
    """Keep caches and tokens of the user's machine out of the tests."""
    home = tmp_path_factory.getbasetemp() / "hf_home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory) -> Path:
    """A 2-layer BERT with random weights and a WordPiece tokenizer trained on the sample text."""
    return build_sample_backbone(tmp_path_factory.mktemp("tiny_backbone") / "bert")


@pytest.fixture(scope="session")
def exported_sample(tmp_path_factory) -> Path:
    """The sample exported as a Hub dataset repository (all three configs)."""
    from ruqtopics_kit.dataset.export import export_dataset

    output = tmp_path_factory.mktemp("exported") / "ruqtopics"
    export_dataset(SAMPLE_DIR, output)
    return output


SAMPLE_RELEASE_GRID = ["tiny-massive_aligned-question.yaml", "tiny-multi_label-question.yaml"]


@pytest.fixture(scope="session")
def sample_release(tmp_path_factory):
    """The README's first command on a two-config grid, run once for the whole session (slow: it trains two
    models). Returns (release, report path, log lines). Tests must not modify its folders."""
    from ruqtopics_kit.cli.release import parse_release
    from ruqtopics_kit.release.pipeline import SAMPLE_GRID, run_release

    output = tmp_path_factory.mktemp("release") / "out"
    grid = [str(SAMPLE_GRID / name) for name in SAMPLE_RELEASE_GRID]
    release = parse_release(["--sample", "--output-dir", str(output), "--grid", *grid, "--hub-org", "acme"])
    logs = []
    report = run_release(release, log=logs.append)
    return release, report, logs


@pytest.fixture
def fake_hub(tmp_path):
    """An in-process fake Hub; `HfApi(endpoint=fake_hub_endpoint)` talks to it."""
    with FakeHub(tmp_path / "fake_hub") as hub:
        yield hub
