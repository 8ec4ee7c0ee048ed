"""Launchers as a user types them: `accelerate launch` that would train each process alone stops in one line.

accelerate 1.16 has no `--multi_cpu`: `--cpu --num_processes 2` starts one process, and `--multi_gpu` on a machine
without GPUs starts two that each train alone unless ACCELERATE_USE_CPU=1 (training/launcher.py). The command the
error gives, 2 ranks through `ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu`, trains in
tests/training/test_train_distributed.py.
"""

import pytest
from train_helpers import accelerate_launch, train_argv

from ruqtopics_kit.training.launcher import launch_arguments


@pytest.mark.slow  # starts train.py through the launcher
@pytest.mark.parametrize("flags, env", [(("--cpu",), {}), (("--multi_gpu",), {"CUDA_VISIBLE_DEVICES": ""})],
                         ids=["cpu-launcher-starts-one", "multi-gpu-without-a-gpu-trains-each-alone"])
def test_two_processes_asked_one_each_got_stops_with_the_working_command(flags, env, tiny_backbone, exported_sample,
                                                                         tmp_path):
    output = tmp_path / "out"
    result = accelerate_launch(*flags, "--num_processes", "2", "--main_process_port", "0", script="train.py",
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
