"""Bad input to train.py, backbones and the JSON files of a model folder: one case per class, each exit 2 with one
line naming the folder or file and the problem, every input unchanged, nothing written (issue 11, item 2)."""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from train_helpers import ROOT, run_train, train_argv


def snapshot(folder: Path) -> dict[str, str]:
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.rglob("*")) if f.is_file()}


def backbone_without_tokenizer(backbone: Path, tmp: Path) -> tuple[Path, Path, list[str]]:
    copy = shutil.copytree(backbone, tmp / "bert")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (copy / name).unlink(missing_ok=True)
    return copy, copy, []


def backbone_cut_short(backbone: Path, tmp: Path) -> tuple[Path, Path, list[str]]:
    copy = shutil.copytree(backbone, tmp / "bert")
    weights = (copy / "model.safetensors").read_bytes()
    (copy / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    return copy, copy, []


def damaged_training_args(backbone: Path, tmp: Path) -> tuple[Path, Path, list[str]]:
    output = tmp / "out"
    output.mkdir()
    (output / "training_args.json").write_text('{"backbone": "bert",\n', encoding="utf-8")
    return backbone, output, []


def damaged_trainer_state(backbone: Path, tmp: Path) -> tuple[Path, Path, list[str]]:
    checkpoint = tmp / "elsewhere" / "step_3"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text('{"progress": {"completed_steps": 3}, "run": ', encoding="utf-8")
    return backbone, checkpoint.parent, ["--resume-from-checkpoint", str(checkpoint)]


CASES = {
    "backbone without tokenizer files": (backbone_without_tokenizer,
                                         r"--backbone '.*bert': .*bert has no tokenizer files \(missing tokenizer.json "
                                         r"or vocab.txt\)"),
    "backbone weights cut short": (backbone_cut_short, r"bert/model.safetensors cannot be read: cut short or corrupt"),
    "damaged training_args.json": (damaged_training_args,
                                   r"out/training_args.json: damaged, not valid JSON "
                                   r"\(Expecting property name enclosed in double quotes, line 2 column 1\)"),
    "damaged trainer_state.json": (damaged_trainer_state, r"step_3/trainer_state.json: damaged, not valid JSON"),
}


@pytest.mark.parametrize("make, message", CASES.values(), ids=CASES)
def test_bad_model_input_is_a_named_error(tiny_backbone, exported_sample, tmp_path, capsys, make, message):
    backbone, watched, extra = make(tiny_backbone, tmp_path)
    before = snapshot(watched), snapshot(exported_sample)
    output = watched if watched.name == "out" else tmp_path / "out"
    assert run_train(train_argv(backbone, exported_sample, output, *extra)) == 1
    err = capsys.readouterr().err
    errors = [text for text in err.splitlines() if text.startswith("ruqtopics train: error:")]
    assert "Traceback" not in err and len(errors) == 1 and re.search(message, errors[0]), err
    assert (snapshot(watched), snapshot(exported_sample)) == before
    assert output == watched or not output.exists()


def test_options_and_output_folder_are_checked_before_the_heavy_imports(tmp_path):
    """`--help`, a bad option or a folder that holds something else answers before torch is imported (~6 s)."""
    (tmp_path / "notes.txt").write_text("not a train.py run", encoding="utf-8")
    probe = ("import sys\nfrom ruqtopics_kit.cli import main\nstatus = main(['train', *sys.argv[1:]])\n"
             "print('torch imported' if 'torch' in sys.modules else 'torch not imported', status)")
    done = subprocess.run([sys.executable, "-c", probe, "--backbone", "bert", "--dataset", "data",
                           "--output-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "torch not imported 1", done.stdout + done.stderr[-2000:]
    assert "is not empty and holds no training_args.json" in done.stderr


def copy_with_a_question(dataset: Path, folder: Path, question: str) -> Path:
    """A copy of the exported `dataset` (same folder name, same file names) whose first single_label training
    question is `question`."""
    import pyarrow.parquet as pq

    copy = shutil.copytree(dataset, folder / dataset.name)
    shard = next((copy / "single_label").glob("train-*.parquet"))
    table = pq.read_table(shard)
    questions = table.column("question").to_pylist()
    column = table.schema.get_field_index("question")
    table = table.set_column(column, table.schema.field(column), [[question, *questions[1:]]])
    pq.write_table(table, shard)
    return copy


def test_two_dataset_folders_of_one_name_load_their_own_content(exported_sample, tmp_path):
    """datasets keys a local folder's Arrow cache by its name and card, not its content: without a cache of the
    folder's own content the second copy would load the first one's questions."""
    from ruqtopics_kit.facts.labels import for_config
    from ruqtopics_kit.training.config import parse_args
    from ruqtopics_kit.training.data import load_splits
    from ruqtopics_kit.training.outputs import input_fingerprints

    loaded = []
    for name in ("first", "second"):
        copy = copy_with_a_question(exported_sample, tmp_path / name, f"Вопрос из копии {name}?")
        config = parse_args(train_argv(copy, copy, tmp_path / f"out-{name}"))
        content = input_fingerprints(config)["dataset"]
        loaded.append(load_splits(config, for_config("single_label"), content)["train"][0]["question"])
    assert loaded == ["Вопрос из копии first?", "Вопрос из копии second?"]


def test_a_damaged_dataset_shard_is_a_named_error(tiny_backbone, exported_sample, tmp_path, capsys):
    copy = shutil.copytree(exported_sample, tmp_path / "damaged" / exported_sample.name)
    shard = next((copy / "single_label").glob("train-*.parquet"))
    shard.write_bytes(shard.read_bytes()[:2000])
    assert run_train(train_argv(tiny_backbone, copy, tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith(
        f"ruqtopics train: error: --dataset '{copy}' (config 'single_label') could not be loaded: "), err
    assert "Parquet magic bytes not found" in err.splitlines()[-1] and not (tmp_path / "out").exists()
