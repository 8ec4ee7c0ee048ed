"""Training data: load the exported dataset, check its classes, tokenize it once, and batch it cheaply.

Everything per-example is computed once in `Dataset.map` (token ids, lengths, float multi-hot targets), so a
training step only pads. Batches are grouped by length (less padding) in an order that depends on the seed
and the epoch alone, which makes a resumed run see exactly the batches of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import datasets
import numpy as np
import torch
from datasets.exceptions import DatasetGenerationError
from torch.utils.data import DataLoader, Sampler

from ruqtopics_kit.core.fingerprints import file_digests, fingerprint
from ruqtopics_kit.dataset.text_modes import encode
from ruqtopics_kit.facts.labels import LabelSet, label_column
from ruqtopics_kit.training.config import TrainingConfig

REQUIRED_SPLITS = ("train", "validation")  # validation picks the best model and the multi-label threshold
MODEL_COLUMNS = ("input_ids", "token_type_ids", "attention_mask", "labels")


def load_splits(config: TrainingConfig, labels: LabelSet, content: str | None) -> datasets.DatasetDict:
    """The train/validation(/test) splits of `config.dataset`, checked against the config's label set. `content`
    is the dataset's fingerprint as the run records it (`outputs.input_fingerprints`)."""
    try:
        dataset = datasets.load_dataset(config.dataset, config.dataset_config_name, revision=config.dataset_revision,
                                        cache_dir=_content_cache_dir(config.dataset, content))
    except (FileNotFoundError, ValueError, ConnectionError, DatasetGenerationError) as error:
        kind = OSError if isinstance(error, (FileNotFoundError, ConnectionError)) else ValueError
        cause = error.__cause__ if isinstance(error, DatasetGenerationError) and error.__cause__ else error
        raise kind(f"--dataset {config.dataset!r} (config {config.dataset_config_name!r}) could not be loaded: "
                   f"{str(cause).rstrip('.')}. Expected a folder written by `ruqtopics export` or its Hub "
                   f"id.") from error
    missing = [split for split in REQUIRED_SPLITS if split not in dataset]
    if missing:
        raise ValueError(f"--dataset {config.dataset!r} config {config.dataset_config_name!r} has no "
                         f"{' or '.join(missing)} split; found {', '.join(dataset) or 'none'}. Training needs train "
                         f"and validation.")
    empty = [split for split, part in dataset.items() if part.num_rows == 0]
    if empty:
        raise ValueError(f"--dataset {config.dataset!r} config {config.dataset_config_name!r}: split(s) "
                         f"{', '.join(empty)} are empty")
    check_label_names(dataset["train"].features, config, labels)
    dataset = datasets.DatasetDict({split: dataset[split] for split in ("train", "validation", "test")
                                    if split in dataset})
    return _truncate(dataset, config)


def _content_cache_dir(dataset: str, content: str | None) -> str | None:
    """For a local folder, a datasets cache of its own content (None, datasets' default, for a Hub id): `content`,
    the hash of its data files, and its card. datasets keys the Arrow cache of a local folder with a card's
    `configs` by the folder's name, card and file names, not by the files' content: another folder of the same
    name, or this one exported again with corrected data, would silently load the Arrow files of the first
    (datasets 5.2)."""
    path = Path(dataset).expanduser()
    if not path.is_dir():
        return None
    card = path / "README.md"
    key = fingerprint([content, file_digests(card) if card.is_file() else None])
    return str(Path(datasets.config.HF_DATASETS_CACHE) / "ruqtopics-local" / key)


def data_fingerprint(dataset: datasets.DatasetDict) -> dict[str, dict]:
    """What a checkpoint records of the data it trained on, per split: the row count and a hash of the content.

    The hash is over the bytes of the Arrow files `load_dataset` read the split from (the same data give the
    same files; datasets' own fingerprint of a local folder changes with the files' modification times). A
    split held in memory, without files, falls back to datasets' fingerprint.
    """
    fingerprints = {}
    for split, part in dataset.items():
        files = sorted(entry["filename"] for entry in part.cache_files)
        if files:
            digest = hashlib.blake2b(digest_size=16)
            for name in files:
                with open(name, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            content = digest.hexdigest()
        else:
            content = part._fingerprint
        fingerprints[split] = {"rows": part.num_rows, "content": content}
    return fingerprints


def check_same_data(saved: dict | None, current: dict[str, dict], checkpoint) -> None:
    """Refuse to resume a checkpoint on other data than it was trained on, naming what differs."""
    if saved is None:  # a checkpoint from before fingerprints were recorded
        return
    differences = []
    for split in sorted(set(saved) | set(current)):
        old, new = saved.get(split), current.get(split)
        if old is None or new is None:
            differences.append(f"split {split} {'is new' if old is None else 'is missing'}")
        elif old["rows"] != new["rows"]:
            differences.append(f"split {split} has {new['rows']} rows (trained on {old['rows']})")
        elif old["content"] != new["content"]:
            differences.append(f"split {split} has other content ({old['rows']} rows both)")
    if differences:
        raise ValueError(f"checkpoint {checkpoint} was trained on other data than --dataset now holds: "
                         f"{'; '.join(differences)}. Resume with the data it was trained on, or pass "
                         f"--overwrite-output-dir to train afresh on these")


def check_label_names(features: datasets.Features, config: TrainingConfig, labels: LabelSet) -> None:
    """The dataset's ClassLabel names must be the config's label set, in the same order."""
    column = label_column(config.dataset_config_name)
    if column not in features:
        raise ValueError(f"--dataset-config-name {config.dataset_config_name} expects a label column {column!r}; "
                         f"the dataset has columns {', '.join(features)}. Did you pick the wrong "
                         f"--dataset-config-name?")
    feature = features[column]
    feature = getattr(feature, "feature", feature)  # List(ClassLabel) for multi_label
    names = tuple(getattr(feature, "names", None) or ())
    if names == labels.names:
        return
    if not names:
        raise ValueError(f"the {column!r} column of --dataset {config.dataset!r} is {feature}, not a ClassLabel "
                         f"with class names; export the data with `ruqtopics.py export`")
    pairs = enumerate(zip(names, labels.names, strict=False))
    first = next((i for i, (found, expected) in pairs if found != expected), min(len(names), len(labels)))
    found = names[first] if first < len(names) else "(none)"
    expected = labels.names[first] if first < len(labels) else "(none)"
    raise ValueError(f"the class names of --dataset {config.dataset!r} do not match --dataset-config-name "
                     f"{config.dataset_config_name} ({len(names)} names found, {len(labels)} expected; first "
                     f"difference at id {first}: {found!r} instead of {expected!r}). Use the dataset's matching "
                     f"--dataset-config-name, or re-export it.")


def _truncate(dataset: datasets.DatasetDict, config: TrainingConfig) -> datasets.DatasetDict:
    limits = {"train": config.max_train_samples, "validation": config.max_eval_samples, "test": config.max_eval_samples}
    return datasets.DatasetDict({split: part.select(range(min(limits[split], part.num_rows)))
                                 if limits[split] else part for split, part in dataset.items()})


def tokenize(dataset: datasets.DatasetDict, tokenizer, config: TrainingConfig, max_length: int,
             num_labels: int) -> datasets.DatasetDict:
    """Model inputs, `length` and `labels` (class id, or float multi-hot for multi-label) for every split."""
    column = label_column(config.dataset_config_name)

    def encode_batch(batch: dict) -> dict:
        encoded = encode(tokenizer, batch["question"], batch["answer"], config.text_mode, max_length)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        encoded["labels"] = multi_hot(batch[column], num_labels) if config.multi_label else batch[column]
        return encoded

    return dataset.map(encode_batch, batched=True, remove_columns=dataset["train"].column_names,
                       features=_tokenized_features(tokenizer, config, num_labels),
                       desc=f"Tokenizing ({config.text_mode}, max {max_length} tokens)")


def _tokenized_features(tokenizer, config: TrainingConfig, num_labels: int) -> datasets.Features:
    """Declared, not inferred: `labels` replaces a column of the same name, whose ClassLabel type `map` would keep."""
    inputs = {name: datasets.List(datasets.Value("int32")) for name in tokenizer.model_input_names}
    labels = (datasets.List(datasets.Value("float32"), length=num_labels) if config.multi_label
              else datasets.Value("int64"))
    return datasets.Features({**inputs, "length": datasets.Value("int32"), "labels": labels})


def multi_hot(label_lists: list[list[int]], num_labels: int) -> np.ndarray:
    """Float32 multi-hot rows: BCEWithLogitsLoss needs float targets (int ones fail in transformers)."""
    hot = np.zeros((len(label_lists), num_labels), dtype=np.float32)
    for row, ids in enumerate(label_lists):
        hot[row, ids] = 1.0
    return hot


class LengthGroupedSampler(Sampler[int]):
    """Example indices in a random order where each run of `group_size` indices has similar lengths.

    As transformers' LengthGroupedSampler: shuffle, cut into mega-batches of about 50 groups, sort each by
    length, cut into groups. Then the groups are shuffled (so lengths do not fall steadily within a
    mega-batch) and the group holding the longest example goes first (an out-of-memory error shows at once).

    The order is a function of (seed, epoch) only, set with `set_epoch`: a resumed run replays exactly the
    uninterrupted run's batches, and every process computes the same order. `group_size` is the effective
    batch (per-device batch x processes x accumulation): accelerate deals consecutive per-device batches to
    the processes, so one optimizer step of N processes, or of N accumulated micro-batches, sees the same
    examples as one process with an N times larger batch.

    Not transformers' own LengthGroupedSampler: its order comes from a torch generator's running state (no
    set_epoch, not saved in accelerate's checkpoints, so a resumed run would not replay the same batches), and it
    moves only the longest example, not its group, to the front.
    """

    def __init__(self, lengths, group_size: int, seed: int):
        self.lengths = np.asarray(lengths)
        self.group_size = group_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        return iter(self.order().tolist())

    def order(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.epoch])
        n = len(self.lengths)
        mega = max(1, min(n // (self.group_size * 4), 50)) * self.group_size
        shuffled = rng.permutation(n)
        by_length = [chunk[np.argsort(-self.lengths[chunk], kind="stable")] for chunk in np.split(
            shuffled, range(mega, n, mega))]
        groups = [group for chunk in by_length for group in np.split(chunk, range(self.group_size, len(chunk),
                                                                                  self.group_size))]
        full = [g for g in groups if len(g) == self.group_size]
        rest = [g for g in groups if len(g) < self.group_size]  # the last mega-batch's remainder: kept last
        full = [full[i] for i in rng.permutation(len(full))]
        if full:
            longest = int(np.argmax([self.lengths[g].max() for g in full]))
            full[0], full[longest] = full[longest], full[0]
        return np.concatenate(full + rest)


def bucket_lengths(max_length: int, buckets: int = 4) -> tuple[int, ...]:
    """`buckets` padded lengths up to `max_length`, multiples of 8 but the last (32 -> 8, 16, 24, 32)."""
    return tuple(sorted({min(max_length, math.ceil(max_length * i / buckets / 8) * 8) for i in range(1, buckets + 1)}))


class BucketPadding:
    """`DataCollatorWithPadding` to the shortest of a few fixed lengths that holds the batch's longest example.

    A compiled model is compiled again for each new input shape; with four lengths (and the last, shorter
    batch) the shapes soon repeat, and on a GPU `reduce-overhead` records one CUDA graph per shape.
    """

    def __init__(self, tokenizer, max_length: int):
        from transformers import DataCollatorWithPadding

        self.lengths = bucket_lengths(max_length)
        self.collators = {length: DataCollatorWithPadding(tokenizer, padding="max_length", max_length=length)
                          for length in self.lengths}

    def __call__(self, features: list[dict]) -> dict:
        longest = max(len(feature["input_ids"]) for feature in features)
        return self.collators[next(length for length in self.lengths if length >= longest)](features)
def evaluation_order(part: datasets.Dataset) -> list[int]:
    """The order in which an evaluation loader yields a split's examples (dataset positions): longest first,
    so that an out-of-memory error shows at once; the test predictions are mapped back to ids with it."""
    return np.argsort(-np.asarray(part["length"]), kind="stable").tolist()


def test_examples(splits: datasets.DatasetDict, tokenized: datasets.DatasetDict) -> tuple[list[str], list[int]] | None:
    """The test split's ids in dataset order (row positions where it has no `id` column) and the evaluation
    order of its examples: what maps the test predictions back to their examples. None without a test split."""
    if "test" not in tokenized:
        return None
    test = splits["test"]
    ids = test["id"] if "id" in test.column_names else [str(position) for position in range(test.num_rows)]
    return list(ids), evaluation_order(tokenized["test"])


def dataloaders(tokenized: datasets.DatasetDict, collator, config: TrainingConfig,
                num_processes: int) -> tuple[DataLoader, dict[str, DataLoader]]:
    """The training loader (length-grouped) and one loader per evaluation split (longest first)."""
    columns = [c for c in MODEL_COLUMNS if c in tokenized["train"].column_names]
    train = tokenized["train"]
    effective_batch = config.per_device_train_batch_size * num_processes * config.gradient_accumulation_steps
    sampler = LengthGroupedSampler(train["length"], effective_batch, config.seed)
    # A private generator: creating a DataLoader iterator draws a seed from it, and drawing from the global
    # RNG instead would shift the dropout masks of a resumed run (the global RNG is part of the checkpoint).
    shared = dict(collate_fn=collator, num_workers=config.dataloader_num_workers,
                  pin_memory=torch.cuda.is_available())
    train_loader = DataLoader(train.select_columns(columns), batch_size=config.per_device_train_batch_size,
                              sampler=sampler, generator=torch.Generator().manual_seed(0), **shared)
    evaluation = {split: DataLoader(part.select_columns(columns), batch_size=config.per_device_eval_batch_size,
                                    sampler=evaluation_order(part), generator=torch.Generator().manual_seed(0),
                                    **shared)
                  for split, part in tokenized.items() if split != "train"}
    return train_loader, evaluation
