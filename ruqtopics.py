"""RuQTopics: the `datasets` builder, and the commands that prepare and publish the dataset.

    python ruqtopics.py prepare --dump yandex_q.jsonl.gz --output-dir RAW
    python ruqtopics.py export --data-dir RAW --output-dir DIR [--push --repo-id ORG/ruqtopics]

(the same as `ruqtopics prepare` / `ruqtopics export`). The builder (`RuQTopics`, configs single_label,
multi_label, massive_aligned) is usable directly:
`RuQTopics(config_name="multi_label", data_dir=RAW).download_and_prepare()`. Users of the published
dataset need none of this: `load_dataset("ORG/ruqtopics", "single_label")` reads the exported Parquet.
"""

import sys

from ruqtopics_kit.cli import main as kit_main
from ruqtopics_kit.dataset.builder import RuQTopics, RuQTopicsConfig  # noqa: F401  (the builder, re-exported)

COMMANDS = ("prepare", "export")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        print(f"usage: python ruqtopics.py {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    return kit_main(argv, prog="python ruqtopics.py")


if __name__ == "__main__":
    sys.exit(main())
