"""The kit's optional parts (pyproject's extras): a step that needs one that is not installed says, in one line,
what to install, instead of a ModuleNotFoundError traceback."""

from __future__ import annotations

import importlib
from types import ModuleType

from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.core.provenance import KIT_NAME


class MissingExtraError(KitError, RuntimeError):
    """A step needs a package of one of the kit's extras, and it is not installed."""


def require(module: str, extra: str, step: str) -> ModuleType:
    """`module` imported, or MissingExtraError naming the `pip install` of `extra` that brings it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        top = module.split(".")[0]
        if (error.name or "").split(".")[0] != top:  # the package is there and needs something else: not ours
            raise
        raise MissingExtraError(f"{step} needs {top}, which is not installed: pip install '{KIT_NAME}[{extra}]' "
                                f"(or pip install {top})") from None
