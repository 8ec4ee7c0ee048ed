"""The checkout's folders, for every test and helper (tests/ is on sys.path through pyproject's `pythonpath`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
SAMPLE_DIR = ROOT / "data" / "sample"  # the bundled synthetic sample
