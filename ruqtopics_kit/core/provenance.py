"""What made a published file, for the cards: the release kit (name, version, the paper it reproduces) and the
versions of the libraries that wrote or will read the files."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ruqtopics_kit import __version__

KIT_NAME = "ruqtopics-kit"  # the distribution name (pyproject.toml)
LIBRARIES = ("transformers", "torch", "datasets", "accelerate", "tokenizers", "huggingface_hub")


def kit_reference() -> str:
    """Markdown naming the kit and its version. The kit has no public repository address yet, so the cards
    name it and link the paper it reproduces (`facts.paper.PAPER_URL`) rather than print a placeholder URL."""
    return f"the RuQTopics release kit (`{KIT_NAME}` {__version__})"


def library_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """Installed version of each library (libraries that are not installed are left out)."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
