"""`RuQTopics`: a `datasets` builder over the raw data, for local preparation.

`datasets` 4 and later no longer run loading scripts, so users load the exported Parquet repository
(`ruqtopics.py export`); this builder keeps the preparation reproducible and is usable directly:

    RuQTopics(config_name="multi_label", data_dir="data/sample").download_and_prepare()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import datasets

from ruqtopics_kit.dataset import features as per_config
from ruqtopics_kit.dataset.raw import SPLITS, ReadReport, detect_layout, read_batches
from ruqtopics_kit.facts.labels import CONFIG_NAMES
from ruqtopics_kit.facts.paper import CITATION, PAPER_URL

logger = datasets.utils.logging.get_logger(__name__)


@dataclass
class RuQTopicsConfig(datasets.BuilderConfig):
    """A RuQTopics config.

    Raw data comes from `data_dir` (canonical `*.jsonl` or DeepPavlov `*.csv`) or from `data_files`, a
    mapping of split name to a local path or URL (fetched by the download manager).
    `on_bad_record`: "error" (default) stops at the first bad record; "skip" skips bad records and logs
    how many of each problem it skipped.
    """

    on_bad_record: Literal["error", "skip"] = "error"


class RuQTopics(datasets.GeneratorBasedBuilder):
    BUILDER_CONFIG_CLASS = RuQTopicsConfig
    BUILDER_CONFIGS = [RuQTopicsConfig(name=name, description=per_config.DESCRIPTIONS[name]) for name in CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "single_label"

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=self.config.description, features=per_config.features(self.config.name),
                                    citation=CITATION, homepage=PAPER_URL)

    def _split_generators(self, dl_manager):
        if self.config.data_files:
            unknown = set(self.config.data_files) - set(SPLITS)
            if unknown:
                raise ValueError(f"data_files has splits {sorted(unknown)}; expected some of {list(SPLITS)}")
            files = {split: dl_manager.download(paths) for split, paths in self.config.data_files.items()}
        elif self.config.data_dir:
            files = {split: [str(path)] for split, path in detect_layout(self.config.data_dir).items()}
        else:
            raise ValueError("RuQTopics needs raw data: pass data_dir=<folder with train/validation/test files> "
                             "or data_files={'train': ..., 'validation': ..., 'test': ...}")
        report = ReadReport()  # one per build: ids and questions must be unique across all splits
        return [datasets.SplitGenerator(name=split, gen_kwargs={"files": _as_list(paths), "split": split,
                                                                 "report": report})
                for split, paths in files.items()]

    def _generate_examples(self, files: list[str], split: str, report: ReadReport):
        read = selected = 0
        for path in files:
            for batch in read_batches(path, split, report, self.config.on_bad_record):
                read += batch.num_rows
                for example in per_config.select(batch, self.config.name).to_pylist():
                    selected += 1
                    yield example["id"], example
        per_config.check_selected(self.config.name, split, selected, read, ", ".join(files))
        if report.skipped:
            logger.warning(f"{split}: skipped bad records: {dict(report.skipped)}")


def _as_list(paths) -> list[str]:
    return [str(paths)] if isinstance(paths, (str, Path)) else [str(path) for path in paths]
