"""The kit's error convention for options (scikit-learn's): name the parameter, what it accepts and what it got.

`InvalidParameterError` derives from ValueError and TypeError as scikit-learn's does, so `except ValueError` in a
caller keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable


class InvalidParameterError(ValueError, TypeError):
    """An option (a function argument or a command-line flag) has a value outside its allowed set."""


def check_choice(name: str, value, choices: Iterable, *, note: str = ""):
    """`value` if it is one of `choices`, else InvalidParameterError naming `name`, the choices and `value`.

    `note` adds what else is accepted or why the set is what it is, e.g. "(or a path to a JSON file)".
    """
    choices = list(choices)
    if value not in choices:
        allowed = ", ".join(repr(choice) for choice in choices)
        raise InvalidParameterError(f"The {name!r} parameter must be one of {allowed}{f' {note}' if note else ''}. "
                                    f"Got {value!r} instead.")
    return value
