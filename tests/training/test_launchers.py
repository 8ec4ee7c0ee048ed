"""Launchers as a user types them: `accelerate launch` with 2 CPU processes trains 2 ranks, or stops in one line.

accelerate 1.16 has no `--multi_cpu`: `--cpu --num_processes 2` starts one process, and `--multi_gpu` on a machine
without GPUs starts two that each train alone unless ACCELERATE_USE_CPU=1 (training/launcher.py).
"""

import pytest
from train_helpers import files_under, python, read_json, run_subprocess, train_argv

from ruqtopics_kit.training.checkpoints import work_dir
from ruqtopics_kit.training.launcher import launch_arguments

ACCELERATE = python("-m", "accelerate.commands.accelerate_cli", "launch")


def launch(*launcher_flags: str, argv: list[str], **env: str):
    return run_subprocess([*ACCELERATE, *launcher_flags, "--num_machines", "1", "--mixed_precision", "no",
                           "--dynamo_backend", "no", "train.py", *argv], **env)


@pytest.mark.slow  # trains through the launcher
def test_two_cpu_processes_through_accelerate_launch_train_two_ranks(tiny_backbone, exported_sample, tmp_path):
    output = tmp_path / "two"
    result = launch("--multi_gpu", "--num_processes", "2", "--main_process_port", "0",
                    argv=train_argv(tiny_backbone, exported_sample, output, "--per-device-train-batch-size", "8"),
                    ACCELERATE_USE_CPU="1")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    run = read_json(output / "all_results.json")["run"]
    assert run["num_processes"] == 2 and run["effective_batch_size"] == 16
    # each rank saved its random state in the checkpoint: both took part in every step
    assert {"checkpoints/step_6/random_states_0.pkl", "checkpoints/step_6/random_states_1.pkl"} <= files_under(
        work_dir(output))


@pytest.mark.slow  # starts train.py through the launcher
@pytest.mark.parametrize("flags, env", [(("--cpu",), {}), (("--multi_gpu",), {"CUDA_VISIBLE_DEVICES": ""})],
                         ids=["cpu-launcher-starts-one", "multi-gpu-without-a-gpu-trains-each-alone"])
def test_two_processes_asked_one_each_got_stops_with_the_working_command(flags, env, tiny_backbone, exported_sample,
                                                                         tmp_path):
    output = tmp_path / "out"
    result = launch(*flags, "--num_processes", "2", "--main_process_port", "0",
                    argv=train_argv(tiny_backbone, exported_sample, output), **env)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ruqtopics train: error:")]
    assert errors and all("ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2" in e for e in errors)
    assert "ruqtopics_kit" not in result.stderr  # no traceback of ours (the launcher prints its own on exit 2)
    assert not (output / "model.safetensors").exists()


@pytest.mark.parametrize("command, arguments", [
    (["/v/bin/python", "/v/bin/accelerate", "launch", "--cpu", "train.py"], ["--cpu", "train.py"]),
    (["/v/bin/accelerate-launch", "x.py"], ["x.py"]),
    (["python", "-m", "accelerate.commands.accelerate_cli", "launch", "x.py"], ["x.py"]),
    (["python", "train.py", "launch"], None),
    (["/v/bin/accelerate", "config"], None),
])
def test_launch_arguments_are_what_follows_accelerate_launch(command, arguments):
    assert launch_arguments(command) == arguments
