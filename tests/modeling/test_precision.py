"""`auto` precision: bf16 where the device computes it natively, in train.py and evaluate_massive.py alike."""

import pytest
import torch

from ruqtopics_kit.massive.inference import resolve_autocast
from ruqtopics_kit.modeling.precision import has_native_bf16
from ruqtopics_kit.training.session import resolve_mixed_precision


@pytest.fixture
def cpu_with(monkeypatch):
    """Pretend the CPU has exactly the named features (and that there is no GPU)."""
    def set_features(*features: str) -> None:
        for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
            monkeypatch.setattr(torch.cpu, probe, lambda probe=probe: probe in features)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
        monkeypatch.delenv("ACCELERATE_USE_CPU", raising=False)
    return set_features


@pytest.mark.parametrize("features, native", [((), False), (("_is_avx512_bf16_supported",), True),
                                              (("_is_amx_tile_supported",), True)])
def test_native_bf16_on_a_cpu_follows_its_features(cpu_with, features, native):
    cpu_with(*features)
    assert has_native_bf16("cpu") is native
    assert resolve_mixed_precision("auto") == ("bf16" if native else "no")
    assert resolve_autocast("auto", torch.device("cpu")) == (torch.bfloat16 if native else None)


def test_a_torch_without_the_probe_means_no_native_bf16(monkeypatch):
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert has_native_bf16("cpu") is False


def test_no_gpu_means_no_native_bf16_on_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert has_native_bf16("cuda") is False and has_native_bf16("mps") is False


def test_an_explicit_choice_wins_over_the_hardware(cpu_with):
    cpu_with("_is_avx512_bf16_supported")
    assert resolve_mixed_precision("no") == "no"
    assert resolve_autocast("float32", torch.device("cpu")) is None
    cpu_with()
    assert resolve_mixed_precision("bf16") == "bf16"
    assert resolve_autocast("bfloat16", torch.device("cpu")) == torch.bfloat16


def test_accelerate_launch_settings_win_over_auto(cpu_with, monkeypatch):
    cpu_with("_is_avx512_bf16_supported")
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "no")
    assert resolve_mixed_precision("auto") is None  # accelerate reads its own setting


def test_a_forced_cpu_run_is_judged_by_the_cpu(cpu_with, monkeypatch):
    cpu_with()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_mixed_precision("auto") == "bf16"  # the GPU's bf16
    for truthy in ("true", "1", "yes"):  # every spelling accelerate itself takes
        monkeypatch.setenv("ACCELERATE_USE_CPU", truthy)
        assert resolve_mixed_precision("auto") == "no"  # the CPU, which lacks it
