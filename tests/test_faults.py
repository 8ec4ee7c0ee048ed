"""Fault injection: every class of bad input, misuse and fault ends in a named error, with nothing lost.

One parametrised case per class (a representative input each). Each case runs a command as the user would
(`ruqtopics COMMAND ...`, in this process) and checks the exit status, that stderr ends with one line naming
the file and the problem (no traceback), and that the inputs and any earlier outputs are byte for byte
unchanged. Add a case: append a `Fault` to CASES; `make` builds the inputs in `tmp_path` and returns the
command line and the paths that must not change.
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit import cli
from ruqtopics_kit.core.output_dir import output_lock
from ruqtopics_kit.training.checkpoints import checkpoints_dir

SAMPLE = ROOT / "data" / "sample"
MASSIVE_SAMPLE = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"


@dataclass(frozen=True)
class Invocation:
    argv: list[str]
    protected: list[Path]  # inputs and earlier outputs: byte for byte the same afterwards
    leftovers_in: Path | None = None  # a folder that must hold no temporary file or folder afterwards


@dataclass(frozen=True)
class Fault:
    id: str
    make: Callable[[Path, pytest.FixtureRequest], Invocation]
    status: int
    message: str  # regex searched in the last line of stderr


def tree_digest(path: Path) -> dict[str, str]:
    """Every file under `path` (or the file itself) by relative name and content hash; {} if it is gone."""
    if path.is_file():
        return {path.name: hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()}
    return {p.relative_to(path).as_posix(): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def raw_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    shutil.copytree(SAMPLE, folder)
    return folder


def write_dump(path: Path) -> Path:
    """A valid dump with records in every split (prepare refuses a dump that leaves a split empty)."""
    records = [{"id": str(number), "question": f"Какую песню послушать {number}?", "answer": "Любую.",
                "tags": ["музыка"]} for number in range(40)]
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def results_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "massive"
    folder.mkdir()
    (folder / "results.csv").write_text("locale,accuracy\nru-RU,0.5\n", encoding="utf-8")
    return folder


# ---- 3. no command deletes what it reads ----------------------------------------------------------------

def export_into_its_data_dir(tmp_path, request):
    raw = raw_copy(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(raw), "--overwrite-output-dir"], [raw])


def export_inside_its_data_dir(tmp_path, request):
    raw = raw_copy(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(raw / "hub"),
                       "--overwrite-output-dir"], [raw])


def prepare_into_the_folder_of_its_dump(tmp_path, request):
    folder = tmp_path / "dumps"
    folder.mkdir()
    dump = write_dump(folder / "dump.jsonl")
    return Invocation(["prepare", "--dump", str(dump), "--output-dir", str(folder), "--overwrite-output-dir"], [folder])


def evaluate_into_the_model(tmp_path, request):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    return Invocation(["evaluate-massive", "--model", str(model), "--massive", str(tmp_path / "massive.tar.gz"),
                       "--output-dir", str(model), "--overwrite-output-dir"], [model])


def analysis_into_the_results_folder(tmp_path, request):
    folder = results_folder(tmp_path)
    return Invocation(["analysis", "--results", str(folder / "results.csv"), "--output-dir", str(folder),
                       "--overwrite-output-dir"], [folder])


def train_into_the_backbone(tmp_path, request):
    backbone = tmp_path / "backbone"
    fresh_logging(request)
    shutil.copytree(request.getfixturevalue("tiny_backbone"), backbone)
    return Invocation(["train", "--backbone", str(backbone), "--dataset", str(tmp_path / "dataset"),
                       "--output-dir", str(backbone), "--overwrite-output-dir"], [backbone])


def release_around_its_data(tmp_path, request):
    raw = raw_copy(tmp_path)
    return Invocation(["release", "--data-dir", str(raw), "--massive", str(MASSIVE_SAMPLE),
                       "--grid", str(ROOT / "configs" / "sample"), "--output-dir", str(tmp_path)], [raw])


def export_into_a_folder_in_use(tmp_path, request):
    raw, out = raw_copy(tmp_path), tmp_path / "out"
    lock = output_lock(out)
    lock.__enter__()
    request.addfinalizer(lambda: lock.__exit__(None, None, None))
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(out)], [raw], leftovers_in=tmp_path)



# ---- an output path that is a file or a symbolic link is refused: never renamed, never followed ----------

def a_file(tmp_path: Path, name: str = "out") -> Path:
    path = tmp_path / name
    path.write_text("the user's notes\n", encoding="utf-8")
    return path


def a_link_to_a_folder(tmp_path: Path, name: str = "out") -> Path:
    """A symbolic link to a folder of the user's own files (which writing through the link would replace)."""
    folder = tmp_path / "the_users_folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me\n", encoding="utf-8")
    link = tmp_path / name
    link.symlink_to(folder, target_is_directory=True)
    return link


def export_over_a_file(tmp_path, request):
    raw, out = raw_copy(tmp_path), a_file(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(out), "--overwrite-output-dir"],
                      [raw, out],
                      leftovers_in=tmp_path)


def export_below_a_file(tmp_path, request):
    raw, blocker = raw_copy(tmp_path), a_file(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(blocker / "sub" / "out")],
                      [raw, blocker], leftovers_in=tmp_path)


def export_into_proc(tmp_path, request):
    """/proc holds no new file: filelock reports that as a lock it timed out on, not as the OSError it is."""
    raw = raw_copy(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", "/proc/ruqtopics-out"], [raw],
                      leftovers_in=tmp_path)


def export_through_a_symlink(tmp_path, request):
    raw, out = raw_copy(tmp_path), a_link_to_a_folder(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(out), "--overwrite-output-dir"],
                      [raw, out.resolve()], leftovers_in=tmp_path)


def prepare_over_a_file(tmp_path, request):
    dump, out = write_dump(tmp_path / "dump.jsonl"), a_file(tmp_path)
    return Invocation(["prepare", "--dump", str(dump), "--output-dir", str(out), "--overwrite-output-dir"], [dump, out],
                      leftovers_in=tmp_path)


def analysis_through_a_symlink(tmp_path, request):
    folder, out = results_folder(tmp_path), a_link_to_a_folder(tmp_path)
    return Invocation(["analysis", "--results", str(folder / "results.csv"), "--output-dir", str(out),
                       "--overwrite-output-dir"], [folder, out.resolve()], leftovers_in=tmp_path)


def train_through_a_symlink(tmp_path, request):
    out = a_link_to_a_folder(tmp_path)
    argv = train_argv(request, request.getfixturevalue("exported_sample"), out)
    return Invocation(argv + ["--overwrite-output-dir"], [out.resolve()], leftovers_in=tmp_path)


def release_over_a_file(tmp_path, request):
    out = a_file(tmp_path)
    return Invocation(["release", "--sample", "--output-dir", str(out)], [out], leftovers_in=tmp_path)


def release_into_a_users_folder(tmp_path, request):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("# my own report\n", encoding="utf-8")
    return Invocation(["release", "--sample", "--output-dir", str(out)], [out], leftovers_in=tmp_path)


def release_over_a_release_whose_dataset_card_is_damaged(tmp_path, request):
    """An earlier release (its .release/ stamps) whose dataset card was hand-edited into invalid YAML: the dataset
    step only checks that the card is there, and linking the models read it with a YAML traceback."""
    out = tmp_path / "out"
    (out / ".release").mkdir(parents=True)
    (out / "hub" / "ruqtopics").mkdir(parents=True)
    (out / "hub" / "ruqtopics" / "README.md").write_text("---\nconfigs: [a\n---\n", encoding="utf-8")
    return Invocation(["release", "--sample", "--output-dir", str(out)], [out], leftovers_in=tmp_path)


def a_release_folder(tmp_path: Path, results: str) -> Path:
    """The smallest folder `ruqtopics claims` reads: one six-class model and its MASSIVE results.csv."""
    release = tmp_path / "release"
    (release / "hub" / "six").mkdir(parents=True)
    (release / "hub" / "six" / "training_args.json").write_text(json.dumps(
        {"backbone": "rubert-base-conversational", "dataset_config_name": "massive_aligned", "text_mode": "question"}),
        encoding="utf-8")
    (release / "massive" / "six").mkdir(parents=True)
    (release / "massive" / "six" / "results.csv").write_text(results, encoding="utf-8")
    return release


def claims_of_a_malformed_results_csv(tmp_path, request):
    release = a_release_folder(tmp_path, 'locale,accuracy\nru-RU,"0.5\n')  # a quote never closed
    return Invocation(["claims", str(release)], [release], leftovers_in=release)


def claims_into_an_unwritable_folder(tmp_path, request):
    from ruqtopics_kit.core import atomic

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    release = a_release_folder(tmp_path, "locale,accuracy,accuracy_ci_low,accuracy_ci_high\nru-RU,0.5,0.4,0.6\n")
    request.getfixturevalue("monkeypatch").setattr(atomic.tempfile, "mkstemp", refused)
    return Invocation(["claims", str(release)], [release], leftovers_in=release)


GOOD_RESULTS = "locale,accuracy,accuracy_ci_low,accuracy_ci_high\nru-RU,0.5,0.4,0.6\n"


def claims_of_a_release_with(relative: str, content: str | bytes, results: str = GOOD_RESULTS):
    """`ruqtopics claims` of the smallest release folder with its file `relative` holding `content`."""
    def make(tmp_path, request):
        release = a_release_folder(tmp_path, results)
        path = release / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return Invocation(["claims", str(release)], [release], leftovers_in=release)
    return make


def claims_of_a_missing_folder(tmp_path, request):
    return Invocation(["claims", str(tmp_path / "release")], [], leftovers_in=tmp_path)


def grid_through_a_symlink(tmp_path, request):
    out = a_link_to_a_folder(tmp_path)
    return Invocation(["grid", "sample", "--output-dir", str(out), "--dry-run"], [out.resolve()],
                      leftovers_in=tmp_path)


# ---- 6. faults are named and leave nothing half-written ---------------------------------------------------

def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def export_on_a_full_disk(tmp_path, request):
    import datasets.arrow_writer

    raw, out = raw_copy(tmp_path), tmp_path / "out"
    request.getfixturevalue("monkeypatch").setattr(datasets.arrow_writer.ParquetWriter, "write_table", no_space)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(out)], [raw], leftovers_in=tmp_path)


def export_over_an_earlier_export_on_a_full_disk(tmp_path, request):
    from ruqtopics_kit.dataset import export

    raw, out = raw_copy(tmp_path), tmp_path / "out"
    export.export_dataset(raw, out)
    request.getfixturevalue("monkeypatch").setattr(export, "_write_card", no_space)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(out), "--overwrite-output-dir"],
                      [raw, out],
                      leftovers_in=tmp_path)


class FullDiskFile:
    """A text file whose writes fail as on a full disk."""

    def write(self, text):
        no_space()

    def close(self):
        pass


def open_full_disk(path, mode="r", *args, **kwargs):
    """`open`, except that files opened for writing are on a full disk."""
    return FullDiskFile() if "w" in mode else open(path, mode, *args, **kwargs)


def prepare_on_a_full_disk(tmp_path, request):
    import ruqtopics_kit.dataset.prepare as prepare

    dump = write_dump(tmp_path / "dump.jsonl")
    request.getfixturevalue("monkeypatch").setattr(prepare, "open", open_full_disk, raising=False)
    return Invocation(["prepare", "--dump", str(dump), "--output-dir", str(tmp_path / "raw")], [dump],
                      leftovers_in=tmp_path)


def analysis_on_a_full_disk(tmp_path, request):
    from ruqtopics_kit.analysis import pipeline

    folder = tmp_path / "analysis_input"
    shutil.copytree(ROOT / "tests" / "fixtures" / "analysis", folder)
    results = next(folder.rglob("*.csv"))
    request.getfixturevalue("monkeypatch").setattr(pipeline, "_write_outputs", no_space)
    return Invocation(["analysis", "--results", str(results), "--output-dir", str(tmp_path / "out"),
                       "--allow-missing-locales"], [folder], leftovers_in=tmp_path)


def export_push_that_fails(tmp_path, request):
    raw, out = raw_copy(tmp_path), tmp_path / "out"
    (raw / "README.md").unlink()  # the sample's records, no longer marked as the synthetic sample (never pushed)
    hub = request.getfixturevalue("fake_hub")
    request.getfixturevalue("monkeypatch").setenv("HF_ENDPOINT", "https://hub.fake")
    hub.fail_next_commits = 1
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(out), "--push-to-hub",
                       "--hub-dataset-id", "org/ds"],
                      [raw])


def export_push_of_the_sample(tmp_path, request):
    raw = raw_copy(tmp_path)
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(tmp_path / "out"), "--push-to-hub",
                       "--hub-dataset-id", "org/ds"], [raw])


def fresh_logging(request) -> None:
    """train's logging goes to this test's stderr, and its handler goes away with the test (a handler left on
    the root logger would write into the closed stream of a finished test)."""
    import logging

    request.getfixturevalue("monkeypatch").setattr(logging.getLogger(), "handlers", [])


def train_argv(request, dataset: Path, output: Path) -> list[str]:
    from train_helpers import FAST

    fresh_logging(request)
    return ["train", "--backbone", str(request.getfixturevalue("tiny_backbone")), "--dataset", str(dataset),
            "--output-dir", str(output), *FAST]


def train_on_a_full_disk_while_checkpointing(tmp_path, request):
    from accelerate import Accelerator

    def iostream_error(*args, **kwargs):  # what torch.save raises when the disk fills up
        raise RuntimeError("basic_ios::clear: iostream error")

    dataset = request.getfixturevalue("exported_sample")
    request.getfixturevalue("monkeypatch").setattr(Accelerator, "save_state", iostream_error)
    return Invocation(train_argv(request, dataset, tmp_path / "run"), [dataset],
                      leftovers_in=checkpoints_dir(tmp_path / "run"))


def resume_on_other_data(tmp_path, request):
    from train_helpers import run_train

    from ruqtopics_kit.dataset.export import export_dataset

    dataset, run = tmp_path / "dataset", tmp_path / "run"
    shutil.copytree(request.getfixturevalue("exported_sample"), dataset)
    assert run_train(train_argv(request, dataset, run)[1:]) == 0
    (run / "all_results.json").unlink()  # as if killed after its last checkpoint
    raw = raw_copy(tmp_path)
    with open(raw / "train.jsonl", "a", encoding="utf-8") as handle:  # one more training record
        handle.write(json.dumps({"id": "extra-1", "question": "Что почитать?", "answer": "", "labels": ["музыка"]},
                                ensure_ascii=False) + "\n")
    export_dataset(raw, dataset, overwrite=True)
    return Invocation(train_argv(request, dataset, run) + ["--resume-from-checkpoint", "latest"], [dataset, run])


def train_over_its_finished_run_without_weights(tmp_path, request):
    from train_helpers import run_train

    dataset, run = request.getfixturevalue("exported_sample"), tmp_path / "run"
    assert run_train(train_argv(request, dataset, run)[1:]) == 0
    (run / "model.safetensors").unlink()  # the run is no longer complete: never "already finished"
    return Invocation(train_argv(request, dataset, run), [dataset, run])


def a_small_disk(tmp_path: Path, request, size: str) -> Path:
    """A tmpfs of `size` mounted in `tmp_path` for this test: a real full disk. A skip where no tmpfs can be
    mounted (mounting needs root, in a container that allows it)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                                 capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount program here to mount a small tmpfs (a real full disk)")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (a real full disk) here: {mounted.stderr.strip()}")
    request.addfinalizer(lambda: subprocess.run(["umount", str(disk)], check=True))
    return disk


def train_on_a_full_disk_while_saving_weights(tmp_path, request):
    """200 KB: training_args.json fits, the tiny backbone's best weights (310 KB, through safetensors) do not."""
    dataset, run = request.getfixturevalue("exported_sample"), a_small_disk(tmp_path, request, "200k") / "run"
    return Invocation(train_argv(request, dataset, run), [dataset], leftovers_in=checkpoints_dir(run))


def safetensors_on_a_full_disk(*args, **kwargs):
    from safetensors import SafetensorError

    # safetensors' own words on a full disk (a tmpfs filled up), an error that is no OSError
    raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")


def train_on_a_full_disk_while_writing_the_repository(tmp_path, request):
    import transformers.modeling_utils

    dataset, run = request.getfixturevalue("exported_sample"), tmp_path / "run"
    request.getfixturevalue("monkeypatch").setattr(transformers.modeling_utils, "safe_save_file",
                                                   safetensors_on_a_full_disk)
    return Invocation(train_argv(request, dataset, run), [dataset], leftovers_in=run)


def release_on_a_full_disk_while_building_the_backbone(tmp_path, request):
    import transformers.modeling_utils

    request.getfixturevalue("monkeypatch").setattr(transformers.modeling_utils, "safe_save_file",
                                                   safetensors_on_a_full_disk)
    return Invocation(["release", "--sample", "--output-dir", str(tmp_path / "out")], [],
                      leftovers_in=tmp_path / "out" / "work")


def train_on_a_dataset_whose_card_is(card: str):
    """train --dataset a copy of the exported sample whose README.md (read by `datasets` and the kit) is `card`."""
    def make(tmp_path, request):
        dataset = tmp_path / "dataset"
        shutil.copytree(request.getfixturevalue("exported_sample"), dataset)
        (dataset / "README.md").write_text(card, encoding="utf-8")
        return Invocation(train_argv(request, dataset, tmp_path / "run"), [dataset], leftovers_in=tmp_path)
    return make


# ---- config files: strict YAML -------------------------------------------------------------------------------

def train_with_a_config(text: str, twice: bool = False):
    def make(tmp_path, request):
        config = tmp_path / "run.yaml"
        config.write_text(text, encoding="utf-8")
        argv = ["train", "--config-file", str(config), "--output-dir", str(tmp_path / "run")]
        return Invocation(argv + (["--config-file", str(config)] if twice else []), [config], leftovers_in=tmp_path)
    return make


def analysis_of_a_table_with_a_column_twice(tmp_path, request):
    folder = tmp_path / "massive"
    folder.mkdir()
    (folder / "results.csv").write_text("locale,accuracy,accuracy\nru-RU,0.5,0.9\n", encoding="utf-8")
    return Invocation(["analysis", "--results", str(folder / "results.csv"), "--output-dir", str(tmp_path / "out")],
                      [folder], leftovers_in=tmp_path)


def evaluate_with_a_mapping_that_names_a_scenario_twice(tmp_path, request):
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"name": "m", "scenarios": {"music": "музыка", "music": "кино"}}', encoding="utf-8")
    return Invocation(["evaluate-massive", "--model", str(tmp_path / "model"), "--massive", "none", "--mapping",
                       str(mapping), "--output-dir", str(tmp_path / "out")], [mapping], leftovers_in=tmp_path)


def evaluate_with_a_card(card: str):
    """evaluate-massive --update-model-card on a six-class model whose README.md is `card`."""
    def make(tmp_path, request):
        from fixtures.massive.builders import classifier

        from ruqtopics_kit.facts.labels import massive_aligned

        model = classifier(request.getfixturevalue("tiny_backbone"), tmp_path / "model", list(massive_aligned().names))
        (model / "README.md").write_text(card, encoding="utf-8")
        return Invocation(["evaluate-massive", "--model", str(model), "--massive", str(MASSIVE_SAMPLE),
                           "--output-dir", str(tmp_path / "out"), "--update-model-card"], [model],
                          leftovers_in=tmp_path)
    return make


# ---- options checked before any work ---------------------------------------------------------------------------

def release_with(*options: str):
    def make(tmp_path, request):
        return Invocation(["release", "--sample", "--output-dir", str(tmp_path / "out"), *options], [],
                          leftovers_in=tmp_path)
    return make


def export_with(*options: str):
    def make(tmp_path, request):
        raw = raw_copy(tmp_path)
        return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(tmp_path / "out"), *options], [raw],
                          leftovers_in=tmp_path)
    return make


def train_in_fp16_on_a_cpu(tmp_path, request):
    import torch

    if torch.cuda.is_available():
        pytest.skip("fp16 is valid on this machine's GPU")
    dataset = request.getfixturevalue("exported_sample")
    return Invocation(train_argv(request, dataset, tmp_path / "run") + ["--mixed-precision", "fp16"], [dataset],
                      leftovers_in=tmp_path)


def train_with(*options: str):
    def make(tmp_path, request):
        dataset = request.getfixturevalue("exported_sample")
        return Invocation(train_argv(request, dataset, tmp_path / "run") + list(options), [dataset],
                          leftovers_in=tmp_path)
    return make


def distances_into_a_symlink(tmp_path, request):
    mine = tmp_path / "mine.csv"
    mine.write_text("the user's table\n", encoding="utf-8")
    (tmp_path / "distances.csv").symlink_to(mine)
    return Invocation(["distances", "--output-file", str(tmp_path / "distances.csv")], [mine],
                      leftovers_in=tmp_path)


def distances_over_an_existing_file(tmp_path, request):
    mine = tmp_path / "distances.csv"
    mine.write_text("the user's table\n", encoding="utf-8")
    return Invocation(["distances", "--output-file", str(mine)], [mine], leftovers_in=tmp_path)


def grid_into_the_folder_of_its_configs(tmp_path, request):
    configs = tmp_path / "configs"
    configs.mkdir()
    shutil.copy(ROOT / "configs" / "sample" / "tiny-single_label-question.yaml", configs)
    return Invocation(["grid", str(configs), "--output-dir", str(configs), "--", "--backbone", "b", "--dataset", "d"],
                      [configs])


# ---- raw data the kit was never shown ---------------------------------------------------------------------------

def export_of_a_10mb_question(tmp_path, request):
    raw = raw_copy(tmp_path)
    with open(raw / "validation.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "huge", "question": "я" * 5 * 2**20, "answer": "", "labels": ["кино"]},
                                ensure_ascii=False) + "\n")
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(tmp_path / "out")], [raw],
                      leftovers_in=tmp_path)


def prepare_of_a_10mb_answer(tmp_path, request):
    dump = write_dump(tmp_path / "dump.jsonl")
    with open(dump, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "huge", "question": "Что?", "answer": "я" * 10 * 2**20, "tags": ["кино"]},
                                ensure_ascii=False) + "\n")
    return Invocation(["prepare", "--dump", str(dump), "--output-dir", str(tmp_path / "raw")], [dump],
                      leftovers_in=tmp_path)


def export_of_a_split_a_config_leaves_empty(tmp_path, request):
    raw = raw_copy(tmp_path)
    lines = (raw / "test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (raw / "test.jsonl").write_text("".join(line for line in lines if len(json.loads(line)["labels"]) == 1),
                                    encoding="utf-8")
    return Invocation(["export", "--data-dir", str(raw), "--output-dir", str(tmp_path / "out")], [raw],
                      leftovers_in=tmp_path)


def grid_with_a_missing_launcher(tmp_path, request):
    return Invocation(["grid", "sample", "--output-dir", str(tmp_path / "out"), "--launch", "nosuchlauncher --x"],
                      [], leftovers_in=tmp_path)


CASES = [
    Fault("export-output-is-its-data-dir", export_into_its_data_dir, 1, r"output folder .* is the input --data-dir"),
    Fault("export-output-inside-its-data-dir", export_inside_its_data_dir, 1, r"lies inside the input --data-dir"),
    Fault("prepare-output-contains-its-dump", prepare_into_the_folder_of_its_dump, 1, r"contains the input --dump"),
    Fault("evaluate-output-is-the-model", evaluate_into_the_model, 1, r"is the input --model"),
    Fault("analysis-output-holds-its-results", analysis_into_the_results_folder, 1, r"contains the input --results"),
    Fault("train-output-is-the-backbone", train_into_the_backbone, 1, r"is the input --backbone"),
    Fault("release-output-contains-its-data", release_around_its_data, 1, r"contains the input --data-dir"),
    Fault("second-writer-into-a-folder-in-use", export_into_a_folder_in_use, 1, r"out is in use by another run"),
    Fault("export-disk-full", export_on_a_full_disk, 1, r"could not write .*out: No space left on device"),
    Fault("export-disk-full-over-earlier-output", export_over_an_earlier_export_on_a_full_disk, 1,
          r"could not write .*out: No space left on device; nothing was written"),
    Fault("prepare-disk-full", prepare_on_a_full_disk, 1, r"could not write .*raw: No space left on device"),
    Fault("analysis-disk-full", analysis_on_a_full_disk, 1, r"could not write .*out: No space left on device"),
    Fault("train-disk-full-while-checkpointing", train_on_a_full_disk_while_checkpointing, 1,
          r"could not write .*checkpoints/step_3: basic_ios::clear: iostream error \(\d+ MB free on that disk\); "
          r"nothing was written"),
    Fault("train-disk-full-while-saving-weights", train_on_a_full_disk_while_saving_weights, 1,
          r"could not write .*disk/\.run\.work/checkpoints/best_model\.safetensors: No space left on device$"),
    Fault("train-disk-full-while-writing-the-repository", train_on_a_full_disk_while_writing_the_repository, 1,
          r"could not write .*run: No space left on device; nothing was written"),
    Fault("release-disk-full-while-building-the-backbone", release_on_a_full_disk_while_building_the_backbone, 1,
          r"could not write .*out/work/tiny-backbone: No space left on device; nothing was written"),
    Fault("train-dataset-card-yaml-error", train_on_a_dataset_whose_card_is("---\nconfigs: [a\n---\n"), 1,
          r"dataset/README\.md: not valid YAML at line 2, column 12: expected ',' or '\]'"),
    Fault("train-dataset-card-tags-not-a-list", train_on_a_dataset_whose_card_is("---\ntags: 5\n---\n"), 1,
          r"dataset/README\.md: its tags should be a list, got 5$"),
    Fault("resume-on-other-data", resume_on_other_data, 1,  # the sample's single_label train split + 1
          r"trained on other data than --dataset now holds: split train has 1934 rows \(trained on 1933\)"),
    Fault("train-over-a-finished-run-without-weights", train_over_its_finished_run_without_weights, 1,
          r"run holds this run finished, but stale: its model.safetensors is missing; pass --overwrite-output-dir"),
    Fault("config-file-with-a-tab", train_with_a_config("backbone: b\ndataset: d\nseed:\t7\n"), 1,
          r"run.yaml: not valid YAML at line 3, column 6: found character '\\t' that cannot start any token"),
    Fault("config-file-syntax-error", train_with_a_config("backbone: [b\ndataset: d\n"), 1,
          r"run.yaml: not valid YAML at line 2, column 8: expected ',' or '\]', but got ':'"),
    Fault("config-file-key-twice", train_with_a_config("backbone: b\ndataset: d\nseed: 1\nseed: 2\n"), 1,
          r"run.yaml: not valid YAML at line 4, column 1: key 'seed' is given twice"),
    Fault("config-file-given-twice", train_with_a_config("backbone: b\ndataset: d\n", twice=True), 2,
          r"--config-file given 2 times \(.*run.yaml, .*run.yaml\); give one"),
    Fault("config-file-value-of-another-type", train_with_a_config("backbone: b\ndataset: d\nlearning_rate: abc\n"), 1,
          r"run.yaml: option 'learning_rate': argument --learning_rate/--learning-rate: invalid float value: 'abc'$"),
    Fault("analysis-results-column-twice", analysis_of_a_table_with_a_column_twice, 1,
          r"results.csv' names the column\(s\) \['accuracy'\] more than once"),
    Fault("evaluate-mapping-key-twice", evaluate_with_a_mapping_that_names_a_scenario_twice, 1,
          r"mapping.json' cannot be read as JSON \(duplicate key 'music' in one object"),
    Fault("evaluate-card-yaml-syntax-error", evaluate_with_a_card("---\nlicense: [mit\n---\n# A model\n"), 1,
          r"model/README.md: not valid YAML at line 2, column 14: expected ',' or '\]'"),
    Fault("evaluate-card-metadata-a-list", evaluate_with_a_card("---\n- a\n- b\n---\n# A model\n"), 1,
          r"model/README.md: its YAML metadata \(lines 2-3\) is a list, not a mapping"),
    Fault("evaluate-card-metadata-never-closed", evaluate_with_a_card("---\nlicense: mit\n# A model\n"), 1,
          r"model/README.md: the YAML metadata opened by '---' on line 1 is never closed"),
    Fault("evaluate-card-key-twice", evaluate_with_a_card("---\ntags: [a]\ntags: [b]\n---\n"), 1,
          r"model/README.md: not valid YAML at line 3, column 1: key 'tags' is given twice"),
    Fault("evaluate-card-model-index-not-a-list", evaluate_with_a_card("---\nmodel-index: 5\n---\n"), 1,
          r"model/README.md: model-index should be a non-empty list, got 5$"),
    Fault("evaluate-card-model-index-value-not-a-number", evaluate_with_a_card(
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
        "    dataset: {type: d, name: D}\n    metrics: [{type: accuracy, value: high}]\n---\n"), 1,
          r"model/README.md: model-index\[0\].results\[0\].metrics\[0\].value should be a number, got 'high'$"),
    Fault("evaluate-card-model-index-without-name", evaluate_with_a_card(
        "---\nmodel-index:\n- results: []\n---\n"), 1,
          r"model/README.md: model-index\[0\].name is missing \(expected a string\)$"),
    Fault("evaluate-card-tags-not-a-list", evaluate_with_a_card("---\ntags: 5\n---\n"), 1,
          r"model/README.md: its YAML metadata is no model card metadata"),
    Fault("release-org-with-a-space", release_with("--org", "my org"), 2,
          r"--hub-org 'my org/ruqtopics' is no Hub repository id ORG/NAME"),
    Fault("release-org-with-a-slash", release_with("--org", "a/b"), 2,
          r"--hub-org 'a/b/ruqtopics' is no Hub repository id ORG/NAME: expected ORG/NAME"),
    Fault("release-org-empty", release_with("--org", ""), 2, r"--hub-org '/ruqtopics' is no Hub repository id"),
    Fault("release-massive-path-missing", release_with("--massive", "missing/massive.tar.gz"), 1,
          r"massive source 'missing/massive.tar.gz' does not exist \(no such file or folder\)$"),
    Fault("release-backbone-path-missing", release_with("--backbone", "./missing-backbone"), 1,
          r"--backbone './missing-backbone': missing-backbone does not exist"),
    Fault("release-license-not-an-id", release_with("--license", "CC BY 4.0"), 2,
          r"--license 'CC BY 4.0' is no Hub licence id"),
    Fault("export-repo-id-three-parts", export_with("--repo-id", "a/b/c"), 2,
          r"--hub-dataset-id 'a/b/c' is no Hub repository id ORG/NAME"),
    Fault("export-license-not-an-id", export_with("--license", "MIT License"), 2,
          r"--license 'MIT License' is no Hub licence id"),
    Fault("train-fp16-on-a-cpu", train_in_fp16_on_a_cpu, 2, r"--mixed-precision fp16 needs a GPU"),
    Fault("train-hub-model-id-with-a-space", train_with("--hub-model-id", "my org/model"), 2,
          r"--hub-model-id 'my org/model' is no Hub repository id ORG/NAME"),
    Fault("train-license-not-an-id", train_with("--license", "Apache 2.0"), 2,
          r"--license 'Apache 2.0' is no Hub licence id"),
    Fault("grid-launch-program-missing", grid_with_a_missing_launcher, 2,
          r"--launch 'nosuchlauncher --x': no program 'nosuchlauncher' on PATH"),
    Fault("push-fails", export_push_that_fails, 1, r"uploading .*out to org/ds failed: .*uploading it again retries"),
    Fault("push-of-the-synthetic-sample", export_push_of_the_sample, 1,
          r"refused to push: the data are the kit's synthetic sample"),
    Fault("export-output-is-a-file", export_over_a_file, 1, r"output folder .*out is a file"),
    Fault("export-output-below-a-file", export_below_a_file, 1,
          r"output folder .*out/sub/out cannot be written: the path .*out is a file, not a folder"),
    Fault("export-output-in-proc", export_into_proc, 1,
          r"output folder /proc/ruqtopics-out cannot be written: the folder /proc cannot hold new files such as "
          r"\.ruqtopics-out\.lock \(No such file or directory\)"),
    Fault("export-output-is-a-symlink", export_through_a_symlink, 1, r"output folder .*out is a symbolic link"),
    Fault("prepare-output-is-a-file", prepare_over_a_file, 1, r"output folder .*out is a file"),
    Fault("export-question-over-the-length-limit", export_of_a_10mb_question, 1,
          r"validation.jsonl, line 384: text too long: record 'huge' has 5,242,880 characters in its question; the "
          r"limit is 10,000"),
    Fault("export-split-left-empty-by-a-config", export_of_a_split_a_config_leaves_empty, 1,
          r"test.jsonl: none of its 243 record\(s\) is one the 'multi_label' config selects, so that config's 'test' "
          r"split would be empty"),
    Fault("prepare-answer-over-the-length-limit", prepare_of_a_10mb_answer, 1,
          r"dump.jsonl, line 41: text too long: record 'huge' has 10,485,760 characters in its answer; the limit is "
          r"100,000"),
    Fault("analysis-output-is-a-symlink", analysis_through_a_symlink, 1, r"output folder .*out is a symbolic link"),
    Fault("train-output-is-a-symlink", train_through_a_symlink, 1, r"output folder .*out is a symbolic link"),
    Fault("release-output-is-a-file", release_over_a_file, 1, r"output folder .*out is a file"),
    Fault("release-into-a-folder-that-is-no-release", release_into_a_users_folder, 1,
          r"output folder .*out is not empty and holds no release \(no \.release/\)"),
    Fault("claims-results-csv-cut-short", claims_of_a_release_with(
        "massive/six/results.csv", GOOD_RESULTS + "de-DE,0.5,0.4,0.6"), 1,
          r"^ruqtopics claims: error: .*massive/six/results\.csv: cut short or damaged: its last line does not end$"),
    Fault("claims-results-csv-row-short", claims_of_a_release_with(
        "massive/six/results.csv", "locale,accuracy,accuracy_ci_low,accuracy_ci_high\nru-RU,0.5\n"), 1,
          r"massive/six/results\.csv: cut short or damaged: line 2 has 2 fields, the header 4$"),
    Fault("claims-results-csv-empty", claims_of_a_release_with("massive/six/results.csv", ""), 1,
          r"massive/six/results\.csv: cannot be read as a CSV table \(No columns to parse from file\)$"),
    Fault("claims-results-csv-locale-twice", claims_of_a_release_with(
        "massive/six/results.csv", GOOD_RESULTS + "ru-RU,0.9,0.8,0.95\n"), 1,
          r"massive/six/results\.csv: has 2 rows for ru-RU; an evaluation has one per locale$"),
    Fault("claims-training-args-a-list", claims_of_a_release_with("hub/six/training_args.json", "[1, 2]\n"), 1,
          r"hub/six/training_args\.json: damaged, expected a JSON object with keys; got list$"),
    Fault("claims-training-args-cut-short", claims_of_a_release_with("hub/six/training_args.json", '{"backb'), 1,
          r"hub/six/training_args\.json: damaged, not valid JSON \(Unterminated string .*, line 1 column 2\)$"),
    Fault("claims-card-yaml-error", claims_of_a_release_with("hub/six/README.md", "---\ntags: [a\n---\n"), 1,
          r"hub/six/README\.md: not valid YAML at line 2, column 9: expected ',' or '\]'"),
    Fault("claims-card-tags-not-a-list", claims_of_a_release_with("hub/six/README.md", "---\ntags: 5\n---\n"), 1,
          r"hub/six/README\.md: its tags should be a list, got 5$"),
    Fault("claims-correlations-cut-short", claims_of_a_release_with(
        "analysis/six/correlations.csv", "predictor,method,controls,statistic,p_value,ci_low,ci_high,n\nsize,spe"), 1,
          r"analysis/six/correlations\.csv: cut short or damaged: line 2 has 2 fields, the header 8$"),
    Fault("claims-report-not-utf8", claims_of_a_release_with("report.md", b"# Report \xff\n"), 1,
          r"release/report\.md: not valid UTF-8 \(invalid start byte at byte 9\)$"),
    Fault("claims-of-a-missing-folder", claims_of_a_missing_folder, 1, r"claims: error: .*release: does not exist$"),
    Fault("release-over-a-damaged-dataset-card", release_over_a_release_whose_dataset_card_is_damaged, 1,
          r"hub/ruqtopics/README\.md: not valid YAML at line 2, column 12: .*; delete it and run the release again"),
    Fault("distances-output-is-a-symlink", distances_into_a_symlink, 1,
          r"distances.csv is a symbolic link \(to .*mine.csv\); it was left as it is"),
    Fault("distances-output-file-exists", distances_over_an_existing_file, 1,
          r"distances: error: .*distances.csv already exists; pass --overwrite-output-dir to replace it$"),
    Fault("grid-output-holds-its-configs", grid_into_the_folder_of_its_configs, 1,
          r"output folder .*configs contains the input config .*configs/tiny-single_label-question.yaml: writing"),
    Fault("grid-output-is-a-symlink", grid_through_a_symlink, 1, r"output folder .*out is a symbolic link"),
    Fault("claims-malformed-results-csv", claims_of_a_malformed_results_csv, 1,
          r"^ruqtopics claims: error: .*massive/six/results\.csv: cannot be read as a CSV table \(.*EOF inside string"),
    Fault("claims-unwritable-release-folder", claims_into_an_unwritable_folder, 1,
          r"^ruqtopics claims: error: could not write .*release/claims\.json: Permission denied"),
]


def quiet_stale_log_handlers(monkeypatch) -> None:
    """Libraries bind their log handlers to the stderr of the test that first logged; pytest closes it after
    that test, and logging then prints "--- Logging error ---" with a traceback that is no output of the
    command under test. logging.raiseExceptions=False is logging's own switch for such handler errors."""
    import logging

    monkeypatch.setattr(logging, "raiseExceptions", False)


def children(folder: Path | None) -> list[Path]:
    return list(folder.iterdir()) if folder is not None and folder.is_dir() else []


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault_is_named_and_loses_nothing(case: Fault, tmp_path, request, capsys, monkeypatch):
    invocation = case.make(tmp_path, request)
    quiet_stale_log_handlers(monkeypatch)
    before = {path: tree_digest(path) for path in invocation.protected}
    leftovers_before = set(children(invocation.leftovers_in))
    capsys.readouterr()

    try:
        status = cli.main(invocation.argv)
    except SystemExit as exit:  # argparse's parser.error
        status = exit.code

    err = capsys.readouterr().err
    assert status == case.status, err
    assert "Traceback" not in err, err
    last_line = err.strip().splitlines()[-1]
    assert re.search(case.message, last_line), last_line
    assert {path: tree_digest(path) for path in invocation.protected} == before
    if invocation.leftovers_in:
        new = set(children(invocation.leftovers_in)) - leftovers_before
        assert not [path.name for path in new if path.name.endswith((".tmp", ".old")) or path.name == "out"]
