"""Errors raised at the public boundary of `ruqtopics_kit.analysis`.

Options follow the kit's convention (`ruqtopics_kit.core.errors`, scikit-learn's): a bad option is the core's
`InvalidParameterError`. `AnalysisInputError` is a `KitError` and a ValueError, so `except ValueError` in a
caller keeps working. Messages say what was expected, what was received, and how to fix it.
"""

from ruqtopics_kit.core.errors import KitError


class AnalysisInputError(KitError, ValueError):
    """A results, sizes or distances file cannot be used as it is; the message names the file and locales."""


def format_locales(locales) -> str:
    """A short, sorted list of locales for an error message."""
    locales = sorted(locales)
    shown = ", ".join(locales[:12])
    return shown if len(locales) <= 12 else f"{shown} and {len(locales) - 12} more"
