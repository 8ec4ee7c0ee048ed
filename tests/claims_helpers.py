"""Shared by the claims tests: a release folder made to look as if it came from the synthetic sample."""

from __future__ import annotations

import shutil
from pathlib import Path

from ruqtopics_kit.facts.names import SYNTHETIC_TAG
from ruqtopics_kit.release.claims import write_claims


def synthetic_copy(release: Path, destination: Path, model: str) -> Path:
    """`release` copied to `destination` with `model`'s card tagged as the synthetic sample, claims rewritten."""
    shutil.copytree(release, destination)
    (destination / "hub" / model / "README.md").write_text(f"---\ntags:\n- {SYNTHETIC_TAG}\n---\n# card\n",
                                                           encoding="utf-8")
    write_claims(destination, n_resamples=50)
    return destination
