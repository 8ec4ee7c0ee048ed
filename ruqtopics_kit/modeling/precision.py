"""Which precision `auto` means, in train.py and evaluate_massive.py alike: bf16 where the hardware has it.

bf16 autocast keeps float32 weights, reductions, softmax and layer norms and runs the matrix products in
bf16: the usual mixed-precision recipe for fine-tuning and inference (what it changes in the sample's scores
is measured in docs/benchmarks.md). It pays only where bf16 products are native: a CUDA
GPU that supports bf16 (Ampere and later), or a CPU with AVX512-BF16 or AMX; elsewhere torch emulates them
and they are slower than float32, so `auto` stays float32 there.
"""

from __future__ import annotations

import torch


def has_native_bf16(device_type: str) -> bool:
    """Whether bf16 matrix products run natively (faster than float32) on this machine's `device_type`."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        return _cpu_feature("_is_avx512_bf16_supported") or _cpu_feature("_is_amx_tile_supported")
    return False


def _cpu_feature(probe: str) -> bool:
    """torch's own CPU feature probe (private in torch.cpu, hence the guard): False where this torch lacks it."""
    check = getattr(torch.cpu, probe, None)
    return bool(check()) if check else False
