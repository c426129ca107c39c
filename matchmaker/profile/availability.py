"""Weekly free time as windows: pure rules shared by the form and the service.

A window is a weekday (0 = Monday) and a span of minutes from local midnight in
the resident's own timezone, on a 15-minute grid. "Until midnight" is minute
1440; a window never crosses midnight (two rows say it instead). Overlapping or
touching windows on one day are merged, so the matcher sees each free stretch once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matchmaker.vocab import WEEKDAYS

GRID_MINUTES = 15
DAY_MINUTES = 24 * 60
#: Rows a form may send: generous (four a day), but bounded.
MAX_WINDOWS = 28


class WindowError(ValueError):
    """A window that cannot be right; the message is meant for the person."""


@dataclass(frozen=True, order=True)
class Window:
    weekday: int
    start_minute: int
    end_minute: int


def clock(minutes: int) -> str:
    """600 -> "10:00"; 1440 -> "24:00" (the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_minute(minute: int) -> int:
    """``minute`` if it is a time of day on the grid, else WindowError."""
    if not 0 <= minute <= DAY_MINUTES:
        raise WindowError("Please enter a time of day, like 09:30.")
    if minute % GRID_MINUTES:
        raise WindowError("Please use times on the quarter hour, like 09:00, 09:15 or 09:30.")
    return minute


def check_window(weekday: int, start: int, end: int) -> Window:
    """A valid window, or WindowError saying what to change.

    ``end == 0`` means midnight at the end of the day (a time input cannot say 24:00).
    """
    if not 0 <= weekday <= 6:
        raise WindowError("Please choose a day of the week.")
    check_minute(start)
    end = check_minute(end) or DAY_MINUTES
    if start >= end:
        raise WindowError("The end time must be later than the start time. For late nights, "
                          "add one row until 00:00 and another from 00:00.")
    return Window(weekday, start, end)


def merge_windows(windows: Iterable[Window]) -> tuple[list[Window], list[int]]:
    """Sorted windows with overlapping or touching ones on a day joined.

    Returns the windows and the weekdays where something was joined (so the
    page can say so). Raises WindowError when more than MAX_WINDOWS remain.
    """
    merged: list[Window] = []
    joined_days: list[int] = []
    for window in sorted(windows):
        last = merged[-1] if merged else None
        if last and last.weekday == window.weekday and window.start_minute <= last.end_minute:
            merged[-1] = Window(last.weekday, last.start_minute,
                                max(last.end_minute, window.end_minute))
            if window.weekday not in joined_days:
                joined_days.append(window.weekday)
        else:
            merged.append(window)
    if len(merged) > MAX_WINDOWS:
        raise WindowError(f"Please list at most {MAX_WINDOWS} free times.")
    return merged, joined_days


def describe(windows: Iterable[Window]) -> list[str]:
    """One line per day: "Saturday 09:00–12:00 and 14:00–16:00"."""
    by_day: dict[int, list[Window]] = {}
    for window in sorted(windows):
        by_day.setdefault(window.weekday, []).append(window)
    return [
        WEEKDAYS[day] + " " + " and ".join(
            f"{clock(w.start_minute)}–{clock(w.end_minute)}" for w in day_windows)
        for day, day_windows in by_day.items()
    ]
