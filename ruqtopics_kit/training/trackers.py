"""`--report-to`: accelerate's trackers, with 'none' and 'all' as transformers reads them; a tracker named but not
installed stops the run before training (accelerate itself would only warn and train untracked)."""

from __future__ import annotations

from ruqtopics_kit.core.errors import InvalidParameterError


def tracker_names(report_to: str) -> list[str] | str:
    """The trackers to pass to `Accelerator(log_with=...)`: [] for 'none', 'all' for every installed one (none
    installed: no tracking, as in transformers), else the names given, comma-separated."""
    names = [name.strip() for name in report_to.split(",") if name.strip()]
    if not names or names == ["none"]:
        return []
    return "all" if "all" in names else names


def check_trackers(report_to: str) -> None:
    """InvalidParameterError for a name accelerate does not know, ValueError (one line, with the `pip install`)
    for one it knows that is not installed."""
    names = tracker_names(report_to)
    if names in ([], "all"):
        return
    from accelerate.tracking import LOGGER_TYPE_TO_CLASS, get_available_trackers

    unknown = [name for name in names if name not in LOGGER_TYPE_TO_CLASS]
    if unknown:
        raise InvalidParameterError(f"--report-to {report_to}: unknown tracker {unknown[0]!r}; accelerate has "
                                    f"{', '.join(sorted(LOGGER_TYPE_TO_CLASS))}, or 'all' or 'none'")
    available = {str(tracker) for tracker in get_available_trackers()}
    missing = [name for name in names if name not in available]
    if missing:
        raise ValueError(f"--report-to {report_to}: {' and '.join(missing)} not installed: pip install "
                         f"{' '.join(missing)} (or pass --report-to none)")
