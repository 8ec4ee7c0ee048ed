"""Errors raised at the public boundary of `analysis`.

Both derive from ValueError, so `except ValueError` in a caller keeps working (the scikit-learn convention).
Messages say what was expected, what was received, and how to fix it.
"""


class InvalidParameterError(ValueError, TypeError):
    """An option of `analysis.run` (or a CLI flag) has a value outside its allowed set."""


class AnalysisInputError(ValueError):
    """A results, sizes or distances file cannot be used as it is; the message names the file and locales."""


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InvalidParameterError(f"The {name!r} parameter must be one of {allowed}. Got {value!r} instead.")


def format_locales(locales) -> str:
    """A short, sorted list of locales for an error message."""
    locales = sorted(locales)
    shown = ", ".join(locales[:12])
    return shown if len(locales) <= 12 else f"{shown} and {len(locales) - 12} more"
