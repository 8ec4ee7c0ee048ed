"""RuQTopics in a checkout: `python ruqtopics.py COMMAND ...` is `ruqtopics COMMAND ...` (prepare, export, ...), and
`from ruqtopics import RuQTopics` is the `datasets` builder (configs single_label, multi_label, massive_aligned:
`RuQTopics(config_name="multi_label", data_dir=RAW).download_and_prepare()`), imported only when asked for, so that
`--help` does not import datasets. Users of the published dataset need none of this:
`load_dataset("ORG/ruqtopics", "single_label")` reads the exported Parquet.
"""

import sys

from ruqtopics_kit.cli import main

BUILDER = ("RuQTopics", "RuQTopicsConfig")  # in ruqtopics_kit/dataset/builder.py


def __getattr__(name: str):
    if name in BUILDER:
        from ruqtopics_kit.dataset import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'ruqtopics' has no attribute {name!r}")


if __name__ == "__main__":
    sys.exit(main())
