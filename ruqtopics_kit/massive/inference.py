"""Batched inference of a sequence classifier over many short texts.

What makes it fast (compare `benchmarks/bench_evaluate_massive.py` against `transformers.pipeline`):
- one batched call of the fast tokenizer per list of texts, no padding at that stage;
- batches of texts of similar length (sorted by token count, longest first so that an out-of-memory error
  comes at once), each padded only to its own longest text, and the logits put back in input order;
- `torch.inference_mode`, bf16 autocast where the device computes bf16 natively (a CUDA GPU that has it, a CPU
  with AVX512-BF16 or AMX: about twice as fast there, logits a little further from float32), and the
  attention implementation transformers picks (SDPA where the architecture has it);
- logits stay on the device until the end, so the GPU is not synchronised after every batch.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from tqdm.auto import tqdm

from ruqtopics_kit.facts.backbones import resolve_backbone
from ruqtopics_kit.massive.config import check_precision
from ruqtopics_kit.modeling.backbones import load_tokenizer, load_trained_classifier
from ruqtopics_kit.modeling.precision import has_native_bf16


def resolve_device(device: str) -> torch.device:
    """`auto` is CUDA when available, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was requested but CUDA is not available; use 'cpu' or 'auto'")
    return resolved


def resolve_autocast(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for `precision`: `auto` is bf16 where `device` computes it natively, else float32 (None)."""
    if check_precision(precision) == "auto":
        precision = "bfloat16" if has_native_bf16(device.type) else "float32"
    return torch.bfloat16 if precision == "bfloat16" else None


def load_classifier(name_or_path: str, device: torch.device):
    """The tokenizer and the model (in eval mode, on `device`) of a trained sequence classifier, checked by the
    kit's one model loader (tokenizer files present, head matching the config, weights complete)."""
    model = resolve_backbone(name_or_path, option="--model")
    return load_tokenizer(model), load_trained_classifier(model).to(device).eval()


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids of every text, special tokens included, truncated to `max_length`; one batched call."""
    return tokenizer(texts, truncation=True, max_length=max_length, return_attention_mask=False,
                     return_token_type_ids=False)["input_ids"]


# How evaluate_massive.py encodes an utterance for a model trained in each text mode (config.json records the mode).
UTTERANCE_RULES = {"question": "the utterance as the question",
                   "answer": "the utterance as the answer",
                   "question_answer": "the utterance as the question of a sentence pair whose answer is empty"}
UNRECORDED_RULE = "the utterance alone (the model's config.json records no text mode)"


def encode_utterances(tokenizer, texts: list[str], text_mode: str | None,
                      max_length: int) -> tuple[list[list[int]], list[list[int]] | None]:
    """Token ids and segment ids of utterances encoded as the model read its training texts (`text_modes.encode`);
    text_mode None (not recorded) encodes the utterance alone."""
    from ruqtopics_kit.dataset.text_modes import encode as encode_records

    empty = [""] * len(texts)
    questions, answers = (empty, texts) if text_mode == "answer" else (texts, empty)
    encoded = encode_records(tokenizer, questions, answers, text_mode or "question", max_length)
    return encoded["input_ids"], encoded.get("token_type_ids")


def padded(sequences: list[list[int]], pad_id: int,
           token_types: list[list[int]] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """`input_ids` padded to the longest sequence, its `attention_mask`, and `token_type_ids` if given.

    Not `tokenizer.pad` (what training's DataCollatorWithPadding calls): per batch it is tens of times slower than
    this one numpy fill, enough to add a sizeable share to a small model's evaluation time (docs/benchmarks.md,
    "Padding a batch", `benchmarks/bench_padding.py`).
    """
    width = max(map(len, sequences))
    input_ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(sequences), width), dtype=np.int64)
    types = None if token_types is None else np.zeros((len(sequences), width), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        input_ids[row, :len(sequence)] = sequence
        attention_mask[row, :len(sequence)] = 1
        if types is not None:
            types[row, :len(sequence)] = token_types[row]
    return torch.from_numpy(input_ids), torch.from_numpy(attention_mask), \
        None if types is None else torch.from_numpy(types)


def predict_logits(model, sequences: list[list[int]], *, pad_id: int, batch_size: int, device: torch.device,
                   autocast_dtype: torch.dtype | None = None, progress: bool = True, description: str = "inference",
                   token_types: list[list[int]] | None = None) -> np.ndarray:
    """Logits (float32, one row per sequence, in input order) of `model` on token-id `sequences` (with their
    `token_types`, segment ids, for sentence pairs)."""
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    order = np.argsort(-lengths, kind="stable")
    on_cuda = device.type == "cuda"
    autocast = torch.autocast(device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext()
    outputs = []
    with torch.inference_mode(), autocast, tqdm(total=len(sequences), unit="utt", desc=description,
                                                disable=not progress) as bar:
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = padded([sequences[i] for i in rows], pad_id,
                           None if token_types is None else [token_types[i] for i in rows])
            inputs = {name: tensor.pin_memory() if on_cuda else tensor for name, tensor in
                      zip(("input_ids", "attention_mask", "token_type_ids"), batch, strict=True) if tensor is not None}
            logits = model(**{name: tensor.to(device, non_blocking=True) for name, tensor in inputs.items()}).logits
            outputs.append(logits.float())
            bar.update(len(rows))
    result = np.empty((len(sequences), model.config.num_labels), dtype=np.float32)
    if outputs:
        result[order] = torch.cat(outputs).cpu().numpy()
    return result
