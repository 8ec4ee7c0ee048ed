"""`--torch-compile`: the compiled model trains what the plain one trains, saves plain weights, and resumes.

The tests compile with the `aot_eager` backend: it runs TorchDynamo's graph capture and AOTAutograd's joint
forward and backward graphs (what inductor compiles), then executes those graphs with the ordinary kernels.
Inductor itself works on a CPU with a C++ compiler, but generating and compiling its C++ kernels took minutes
for the tiny backbone on 2 shared cores; benchmarks/bench_train.py times inductor (docs/benchmarks.md).
"""

import shutil

import pytest
import torch
from train_helpers import dropout_free_copy, read_json, run_train, train_argv, weights

from ruqtopics_kit.training.checkpoints import checkpoints_dir, completed_checkpoints, work_dir
from ruqtopics_kit.training.data import BucketPadding, bucket_lengths

COMPILE = ["--torch-compile", "--torch-compile-backend", "aot_eager"]
KEEP_BOTH_CHECKPOINTS = ["--checkpoints-total-limit", "2"]  # steps 3 and 6
# Every batch padded to 8 tokens, one shape: one graph capture per run instead of one per bucket length (12 s
# against 20 s); the padding to four lengths is tested below.
ONE_SHAPE = ["--max-length", "8"]

pytestmark = pytest.mark.slow  # trains models


@pytest.fixture(scope="module")
def runs(tiny_backbone, exported_sample, tmp_path_factory):
    """Without dropout (so that only float rounding can differ): an eager run and a compiled run of 6 steps."""
    base = tmp_path_factory.mktemp("compile")
    backbone = dropout_free_copy(tiny_backbone, base)
    eager = train_argv(backbone, exported_sample, base / "eager", *ONE_SHAPE, *KEEP_BOTH_CHECKPOINTS)
    compiled = train_argv(backbone, exported_sample, base / "compiled", *ONE_SHAPE, *COMPILE)
    assert run_train(eager) == 0
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    assert run_train(compiled) == 0
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0, "nothing was compiled"
    return base, backbone, eager


def assert_close(expected: dict, actual: dict) -> None:
    assert expected.keys() == actual.keys()  # in particular, no `_orig_mod.` prefixes
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=1e-4, atol=1e-5, msg=name)


def assert_same_scores(expected: dict, actual: dict) -> None:
    for split in ("validation", "test"):
        assert actual[split] == pytest.approx(expected[split], abs=1e-4), split


def test_the_compiled_model_trains_the_plain_models_weights(runs):
    base, _, _ = runs
    assert_close(weights(base / "eager"), weights(base / "compiled"))
    assert_close(weights(checkpoints_dir(base / "eager"), "best_model.safetensors"),
                 weights(checkpoints_dir(base / "compiled"), "best_model.safetensors"))
    assert_same_scores(read_json(base / "eager" / "all_results.json"),
                       read_json(base / "compiled" / "all_results.json"))
    assert read_json(base / "compiled" / "all_results.json")["run"]["config"]["torch_compile"] is True


def test_a_compiled_run_resumes_a_checkpoint(runs):
    """A checkpoint holds the plain module's state, so a compiled run resumes one saved by a plain run."""
    base, _, eager = runs
    resumed = base / "resumed"
    shutil.copytree(base / "eager", resumed)
    shutil.copytree(work_dir(base / "eager"), work_dir(resumed))
    (resumed / "all_results.json").unlink()  # the run is unfinished again, at its step-3 checkpoint
    shutil.rmtree(completed_checkpoints(resumed)[-1])
    argv = [*train_argv(*_backbone_and_dataset(eager), resumed, *ONE_SHAPE, *KEEP_BOTH_CHECKPOINTS), *COMPILE,
            "--resume-from-checkpoint", "latest"]
    torch._dynamo.reset()
    assert run_train(argv) == 0
    assert_close(weights(base / "eager"), weights(resumed))
    assert_same_scores(read_json(base / "eager" / "all_results.json"), read_json(resumed / "all_results.json"))
    assert read_json(resumed / "all_results.json")["completed_steps"] == 6


def _backbone_and_dataset(argv: list[str]) -> tuple[str, str]:
    return argv[argv.index("--backbone") + 1], argv[argv.index("--dataset") + 1]


def test_batches_are_padded_to_four_lengths(tiny_backbone):
    from transformers import AutoTokenizer

    assert bucket_lengths(32) == (8, 16, 24, 32)
    assert bucket_lengths(128) == (32, 64, 96, 128)
    assert bucket_lengths(100) == (32, 56, 80, 100)  # never beyond --max-length
    assert bucket_lengths(8) == (8,)
    collate = BucketPadding(AutoTokenizer.from_pretrained(tiny_backbone), 32)
    for longest, padded in ((1, 8), (8, 8), (9, 16), (17, 24), (25, 32), (32, 32)):
        features = [{"input_ids": [5] * longest, "attention_mask": [1] * longest},
                    {"input_ids": [5], "attention_mask": [1]}]
        batch = collate(features)
        assert batch["input_ids"].shape == (2, padded) and batch["attention_mask"].sum() == longest + 1
