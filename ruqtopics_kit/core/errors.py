"""The kit's errors: `KitError`, the base of every error the kit raises on purpose, and the convention for options
(scikit-learn's): name the parameter, what it accepts and what it got.

Every kit error class derives from `KitError` and keeps its builtin base (`RawDataError(KitError, ValueError)`,
`WriteError(KitError, OSError)`, ...), so `except ValueError` in a caller keeps working and the command-line
wrapper (`ruqtopics_kit.cli`) catches them all in one place. `InvalidParameterError` derives from ValueError and
TypeError as scikit-learn's does; on the command line it is a usage error (exit status 2), any other kit error a
fault (exit status 1).
"""

from __future__ import annotations

from collections.abc import Iterable


class KitError(Exception):
    """Base of the kit's own errors: an input, an option or a write that the message names, not a bug."""


class InvalidParameterError(KitError, ValueError, TypeError):
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
