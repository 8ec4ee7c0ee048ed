"""The sample release published, then used by repo id through a real Hub-API HTTP server on 127.0.0.1.

The release's repositories are pushed (`release --push`'s upload call) to the in-process fake Hub, which takes
uploads; what it received is mirrored into olah (tests/hub_server.py), a self-hosted Hub mirror that serves it over
HTTP, with a tiny backbone and two Hub-layout copies of the MASSIVE sample. Every user command then runs in a
fresh process whose HF_ENDPOINT is that server, online (HF_HUB_OFFLINE unset) with an empty cache, and with no route but
127.0.0.1: `load_dataset` of every config (and streaming), `pipeline(model=...)`, train.py and evaluate_massive.py
by repo id. A fresh process is how users run them, and the only clean way to point huggingface_hub, datasets and
transformers at another endpoint (they read HF_ENDPOINT and HF_HUB_OFFLINE when imported).

Not covered, and why:
- uploads over HTTP: olah takes none (the upload side is the fake's, tests/fake_hub.py, behind the real client);
- LFS and Xet storage: the mirror serves every file as a plain git blob, as the fake stores inline uploads;
- three server-side gaps of olah's offline mirror are closed by the fixture (tests/olah_patches.py): it answers
  401 RepositoryNotFound instead of 404 for a path missing at `main` (transformers probes
  `additional_chat_templates/` and optional tokenizer files) because it resolves `main` only from its cache of
  upstream answers; it ignores `Range`; it cannot route a revision with a slash (`refs/convert/parquet`, the
  branch MASSIVE's Hub copies are read from). The clients' code path is untouched.
"""

import csv
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import datasets
import pytest
from checkout import ROOT
from fake_hub import ENDPOINT as FAKE_ENDPOINT
from fake_hub import FakeHub
from fixtures.massive.builders import official_rows, write_amazon_science_copy, write_mteb_copy
from hub_server import OlahServer
from transformers import pipeline

from ruqtopics_kit.core.hub import upload_folder
from ruqtopics_kit.release.pipeline import SAMPLE_MASSIVE

pytestmark = pytest.mark.slow  # the shared sample release, and commands in fresh processes

ORG = "acme"  # the sample release's --org (tests/conftest.py)
MODEL = f"{ORG}/tiny-massive_aligned-question"
BACKBONE = f"{ORG}/tiny-bert"
MASSIVE_COPIES = {"amazon_science": f"{ORG}/massive", "mteb": f"{ORG}/amazon_massive_scenario"}
CONFIGS = ("single_label", "multi_label", "massive_aligned")
QUESTION = "Какую песню послушать вечером?"


def publish(release, root: Path) -> FakeHub:
    """Every repository folder of the release uploaded to the fake as `release --push` uploads it (its push step's
    call, core.hub.upload_folder); rerunning the release itself on a copy would retrain (paths differ)."""
    hub = FakeHub(root / "fake_hub")
    with hub, pytest.MonkeyPatch.context() as env:
        env.setenv("HF_ENDPOINT", FAKE_ENDPOINT)
        env.setenv("HF_TOKEN", "hf_fake")
        env.setenv("HF_HOME", str(root / "hf_home"))
        # every repository folder; the hidden .NAME.work/ folders beside the models hold their training state
        for folder in sorted(p for p in release.layout.hub_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            repo_type = "dataset" if folder == release.layout.dataset_dir else "model"
            upload_folder(folder, release.repo_id(folder.name), repo_type=repo_type, commit_message="Release")
    return hub


def massive_copies(root: Path) -> dict[str, Path]:
    """The bundled MASSIVE sample in the layouts of AmazonScience/massive and mteb/amazon_massive_scenario."""
    rows = official_rows(SAMPLE_MASSIVE)
    folders = {"amazon_science": write_amazon_science_copy(rows, root / "amazon_science"),
               "mteb": write_mteb_copy(rows, root / "mteb")}
    for layout, folder in folders.items():
        (folder / "README.md").write_text(f"Synthetic MASSIVE sample, {layout} layout (tests).\n", encoding="utf-8")
    return folders


@pytest.fixture(scope="module")
def hub(sample_release, tmp_path_factory):
    """olah serving the published release, the tiny backbone and two MASSIVE copies, for this module."""
    release, _ = sample_release
    root = tmp_path_factory.mktemp("hub_round_trip")
    published = publish(release, root)
    server = OlahServer(root / "olah")
    for repo_type, repo_id in sorted(published.repos):
        server.add_repo(published.repo_dir(repo_id, repo_type), repo_id, repo_type)
    server.add_repo(release.layout.work_dir / "tiny-backbone", BACKBONE, "model")  # built, not published
    for layout, folder in massive_copies(root / "massive").items():
        # As on the Hub: Parquet only on the `refs/convert/parquet` branch, which the kit reads.
        server.add_repo(folder, MASSIVE_COPIES[layout], "dataset", branches=("main", "refs/convert/parquet"))
        server.remove_from_branch(MASSIVE_COPIES[layout], "dataset", "*.parquet")
    with server:
        yield server, published, release


def run_as_user(server: OlahServer, command: list[str], home: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=home, env=server.client_env(home / "hf_home"), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-4000:]}\nserver:\n{server.log_tail()}"
    return done


def requested(server: OlahServer, repo_path: str) -> set[int]:
    """HTTP statuses the server answered for requests that name `repo_path` (e.g. `datasets/acme/ruqtopics`)."""
    return {int(status) for line, status in server.requests() if repo_path in line}


USER_CODE = textwrap.dedent("""
    import json, sys
    from datasets import load_dataset
    from transformers import pipeline

    configs, model, question = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
    out = {}
    for config in configs:
        dataset = load_dataset("acme/ruqtopics", config)
        streamed = load_dataset("acme/ruqtopics", config, streaming=True)
        out[config] = {"rows": {split: dataset[split].to_list() for split in dataset},
                       "features": dataset["train"].features.to_dict(),
                       "streamed": {split: list(streamed[split]) for split in streamed}}
    classify = pipeline("text-classification", model=model, top_k=None)
    out["pipeline"] = classify([question])[0]
    print(json.dumps(out, ensure_ascii=False))
""")


def test_load_dataset_and_pipeline_by_repo_id(hub, tmp_path):
    server, published, release = hub
    done = run_as_user(server, [sys.executable, "-c", USER_CODE, ",".join(CONFIGS), MODEL, QUESTION], tmp_path)
    got = json.loads(done.stdout.splitlines()[-1])
    for config in CONFIGS:  # what the server handed out is what was uploaded, downloaded or streamed
        local = datasets.load_dataset(str(published.repo_dir(f"{ORG}/ruqtopics", "dataset")), config)
        assert got[config]["features"] == local["train"].features.to_dict()
        assert got[config]["rows"] == {split: local[split].to_list() for split in local}
        assert got[config]["streamed"] == got[config]["rows"]
    names = datasets.Features.from_dict(got["massive_aligned"]["features"])["label"].names
    assert names[0] == "музыка" and len(names) == 6
    local_model = release.layout.hub_dir / MODEL.split("/")[1]
    expected = pipeline("text-classification", model=str(local_model), top_k=None)([QUESTION])[0]
    assert {r["label"] for r in got["pipeline"]} == set(names)
    scores = {r["label"]: r["score"] for r in got["pipeline"]}
    assert scores == pytest.approx({r["label"]: r["score"] for r in expected})  # the same weights
    assert requested(server, f"datasets/{ORG}/ruqtopics") >= {200} and requested(server, MODEL) >= {200}


def test_train_by_repo_id_on_the_hub_backbone_and_dataset(hub, tmp_path):
    server, published, _ = hub
    output = tmp_path / "model"
    run_as_user(server, [sys.executable, str(ROOT / "train.py"), "--backbone", BACKBONE,
                         "--dataset", f"{ORG}/ruqtopics", "--dataset-config-name", "massive_aligned",
                         "--num-train-epochs", "1",
                         "--per-device-train-batch-size", "32", "--learning-rate", "1e-3", "--max-length", "32",
                         "--checkpointing-steps", "none", "--report-to", "none", "--mixed-precision", "no",
                         "--output-dir", str(output)], tmp_path)
    results = json.loads((output / "all_results.json").read_text(encoding="utf-8"))
    train_rows = datasets.load_dataset(str(published.repo_dir(f"{ORG}/ruqtopics", "dataset")), "massive_aligned",
                                       split="train").num_rows
    assert results["completed_steps"] == math.ceil(train_rows / 32)  # one epoch of the served train split
    args = json.loads((output / "training_args.json").read_text(encoding="utf-8"))
    assert args["backbone"] == BACKBONE and args["dataset"] == f"{ORG}/ruqtopics"
    assert f"datasets/{ORG}/ruqtopics" in (output / "README.md").read_text(encoding="utf-8")
    assert 200 in requested(server, f"{BACKBONE}/resolve/")


@pytest.mark.parametrize("layout", sorted(MASSIVE_COPIES))
def test_evaluate_massive_by_repo_id(hub, tmp_path, layout):
    """The Hub copy gives the numbers the release computed from the official archive, with the same model."""
    server, _, release = hub
    output = tmp_path / "massive"
    run_as_user(server, [sys.executable, str(ROOT / "evaluate_massive.py"), "--model", MODEL, "--n-resamples", "200",
                         "--massive", MASSIVE_COPIES[layout], "--output-dir", str(output), "--no-progress"], tmp_path)
    expected = release.layout.massive_results(MODEL.split("/")[1])
    assert accuracies(output / "results.csv") == accuracies(expected)
    summary = json.loads((output / "results.json").read_text(encoding="utf-8"))
    assert summary["massive"]["source"] == MASSIVE_COPIES[layout]
    assert 200 in requested(server, f"datasets/{MASSIVE_COPIES[layout]}/resolve/")


def accuracies(path: Path) -> dict[str, tuple[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return {row["locale"]: (row["n_utterances"], row["accuracy"]) for row in csv.DictReader(handle)}
