"""Shared fixtures and the schedule of `pytest -n` (pytest-xdist, on by default in pyproject.toml). Every test runs
offline: HF_HUB_OFFLINE=1 is set before any Hugging Face import."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Variables that would point a Hugging Face library at the user's files instead of HF_HOME's (or hold their token).
USER_HF_VARIABLES = ("HF_TOKEN", "HF_TOKEN_PATH", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE",
                     "HF_DATASETS_CACHE", "HF_EVALUATE_CACHE", "HF_METRICS_CACHE", "HF_MODULES_CACHE",
                     "HF_ASSETS_CACHE", "HF_XET_CACHE", "TRANSFORMERS_CACHE", "HF_DATASETS_DOWNLOADED_DATASETS_PATH")


def _isolate_hugging_face_home() -> Path:
    """Caches and tokens of the user's machine are kept out of the tests: every process of the session (pytest's,
    and the commands its tests start, which inherit the environment) gets a Hugging Face home of its own, set
    before any Hugging Face library is imported, since huggingface_hub, datasets and evaluate read their folders
    once, at import. Removed when pytest ends (`pytest_unconfigure`)."""
    home = Path(tempfile.mkdtemp(prefix="ruqtopics-tests-hf-home-"))
    os.environ["HF_HOME"] = str(home)
    for variable in USER_HF_VARIABLES:
        os.environ.pop(variable, None)
    return home


HF_HOME = _isolate_hugging_face_home()

# tests/ and the checkout are on sys.path: pyproject's pythonpath
import pytest  # noqa: E402
from built_once import built_once, changes  # noqa: E402
from checkout import SAMPLE_DIR  # noqa: E402
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
# Handed out first under `pytest -n`, in this order: the modules that take longest (docs/benchmarks.md, "Test suite").
LONGEST_MODULES = ("tests/release/test_slurm.py", "tests/hub/test_hub_round_trip.py")


def _module_rank(module: str, items: list[pytest.Item]) -> tuple[int, int]:
    """Where the tests of `module` go in the order of the tests, which pytest-xdist keeps (`--no-loadscope-reorder`
    in pyproject.toml) when it hands out the modules (`--dist loadfile`: a module's tests on one worker): the longest
    modules, the other slow ones, those that use the shared sample release (built by then, by the first of them:
    tests/built_once.py), the rest. So no worker is left with a slow module at the end while the others idle, and
    none waits for the release while another builds it."""
    if module in LONGEST_MODULES:
        return 0, LONGEST_MODULES.index(module)
    if any(SHARED_RELEASE in item.fixturenames for item in items):
        return 2, 0
    return (1 if any(item.get_closest_marker("slow") for item in items) else 3), 0


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(HF_HOME, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [module for module in LONGEST_MODULES if not (config.rootpath / module).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: LONGEST_MODULES names modules that do not exist: {missing}")
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ranks = {module: _module_rank(module, in_module) for module, in_module in modules.items()}
    items.sort(key=lambda item: ranks[item.nodeid.split("::", 1)[0]])  # stable: a module's tests keep their order


@pytest.fixture(autouse=True)
def _fresh_accelerate_state():
    """accelerate keeps one AcceleratorState per process, and refuses an Accelerator whose precision differs from
    it. A command that a test runs in this process (a fault-table row, say, which may stop midway) must not decide
    what the next test's training may ask for: the singletons are reset after every test, as accelerate's own
    tests do."""
    yield
    state = sys.modules.get("accelerate.state")
    if state is not None:
        state.AcceleratorState._reset_state(reset_partial_state=True)
        state.GradientState._reset_state()


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


def _sample_release_in(folder: Path):
    from ruqtopics_kit.cli.release import parse_release
    from ruqtopics_kit.release.pipeline import SAMPLE_GRID

    grid = [str(SAMPLE_GRID / name) for name in SAMPLE_RELEASE_GRID]
    return parse_release(["--sample", "--output-dir", str(folder / "out"), "--grid", *grid, "--hub-org", "acme"])


@pytest.fixture(scope="session")
def sample_release(tmp_path_factory, worker_id):
    """The README's first command on a two-config grid (slow: it trains two models), run once for the whole
    session, by the first worker that needs it (tests/built_once.py). Yields (release, report path). Tests must not
    change its folders, which tests on other workers read at the same time (`release_copy` in
    tests/release/test_release.py copies it): each worker's session ends in an error if one did."""
    from ruqtopics_kit.release.pipeline import run_release

    folder = built_once(tmp_path_factory, worker_id, SHARED_RELEASE,
                        lambda folder: run_release(_sample_release_in(folder), log=print))
    release = _sample_release_in(folder)
    yield release, release.layout.report
    changed = changes(tmp_path_factory, worker_id, SHARED_RELEASE)
    assert not changed, f"tests changed the shared sample release, which other tests read: {changed[:20]}"


@pytest.fixture
def fake_hub(tmp_path):
    """An in-process fake Hub; `HfApi(endpoint=fake_hub_endpoint)` talks to it."""
    with FakeHub(tmp_path / "fake_hub") as hub:
        yield hub
