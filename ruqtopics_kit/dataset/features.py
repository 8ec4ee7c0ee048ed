"""The three RuQTopics dataset configs: their features, and how each selects its records.

`select` works on Arrow batches of canonical records (see `canonical.py`), so the builder and the Hub export
apply exactly the same selection, and refuse the same way (`check_selected`) a split that a config's selection
leaves empty: `datasets` cannot load a split of 0 rows ("corresponds to no data"), and training needs train and
validation, so every config has records in all three splits or the data is refused.
"""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ruqtopics_kit.dataset.canonical import RawDataError
from ruqtopics_kit.facts.labels import all_topics, check_config_name, for_config, label_column

DESCRIPTIONS = {
    "single_label": "Questions with exactly one of the 76 topics.",
    "multi_label": "Questions with two or more of the 76 topics.",
    "massive_aligned": "Single-label questions of the six topics that match MASSIVE scenarios "
                       "(music, cooking, news, transport, weather, social).",
}


def features(config_name: str) -> datasets.Features:
    labels = for_config(config_name).class_label()
    label = datasets.List(labels) if config_name == "multi_label" else labels
    return datasets.Features({"id": datasets.Value("string"), "question": datasets.Value("string"),
                              "answer": datasets.Value("string"), label_column(config_name): label})


def _remap_to(config_name: str) -> np.ndarray:
    """For each of the 76 class ids, its id in the config's label set, or -1 if the config lacks it."""
    topics, target = all_topics(), for_config(config_name)
    return np.array([target.id_of(name) if name in target else -1 for name in topics.names])


def selected_rows(batch: pa.RecordBatch | pa.Table, config_name: str) -> np.ndarray:
    """Which rows of a batch of canonical records `config_name` selects (a boolean per row)."""
    check_config_name(config_name)
    counts = pc.list_value_length(batch["labels"]).to_numpy(zero_copy_only=False)
    if config_name == "multi_label":
        return counts >= 2
    first = pc.list_element(batch["labels"], 0).to_numpy(zero_copy_only=False)  # every record has a label
    return (counts == 1) & (_remap_to(config_name)[first] >= 0)


def select(batch: pa.RecordBatch | pa.Table, config_name: str) -> pa.Table:
    """The records of `config_name` in a batch of canonical records, with the config's label column."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    rows = pa.array(selected_rows(table, config_name))
    text, labels = table.select(["id", "question", "answer"]).filter(rows), table["labels"].filter(rows)
    if config_name == "multi_label":
        return text.append_column("labels", labels)
    label = _remap_to(config_name)[pc.list_flatten(labels).to_numpy()]
    return text.append_column("label", pa.array(label, pa.int64()))


def check_selected(config_name: str, split: str, selected: int, read: int, source: str) -> None:
    """A RawDataError naming `source` (the split's raw files) when the config selected none of its `read` records."""
    if not selected:
        raise RawDataError(source, None, f"none of its {read} record(s) is one the {config_name!r} config selects, "
                                         f"so that config's {split!r} split would be empty (a split of 0 rows "
                                         f"cannot be loaded); every config needs records in train, validation and "
                                         f"test (see DESCRIPTIONS in dataset/features.py)")
