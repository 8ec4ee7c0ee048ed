"""Files shipped inside the installed package: card templates, the synthetic sample, the bundled MASSIVE
sample, the experiment configs, label and mapping data.

They are package data (`ruqtopics_kit/templates`, `ruqtopics_kit/data`, `ruqtopics_kit/configs`; the
top-level `dataset_card/`, `model_cards/`, `configs/` and `data/sample/` of a checkout are links to them), read
through `importlib.resources`, so a wheel install finds them exactly as a checkout does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_path(*parts: str, package: str = "ruqtopics_kit") -> Path:
    """The filesystem path of a file or folder shipped in `package` (datasets and tarfile need real paths)."""
    resource = files(package)
    for part in parts:
        resource = resource / part
    if not isinstance(resource, Path):
        raise RuntimeError(f"{package} is installed without real files ({resource!r}, e.g. inside a zip); "
                           f"install it with pip so that its data files are on disk")
    return resource
