"""Weekly free-time windows: the pure rules the form and the service share."""

from __future__ import annotations

import pytest

from matchmaker.profile.availability import (
    MAX_WINDOWS,
    Window,
    WindowError,
    check_minute,
    check_window,
    clock,
    describe,
    merge_windows,
)


def test_check_window_accepts_quarter_hours_and_midnight_end():
    assert check_window(5, 9 * 60, 12 * 60) == Window(5, 540, 720)
    assert check_window(0, 20 * 60, 0) == Window(0, 1200, 1440)  # "until 00:00" = midnight
    assert check_window(6, 0, 1440) == Window(6, 0, 1440)


@pytest.mark.parametrize(("weekday", "start", "end", "message"), [
    (7, 540, 600, "day of the week"),
    (-1, 540, 600, "day of the week"),
    (0, 600, 540, "later than the start"),
    (0, 600, 600, "later than the start"),
    (0, 22 * 60, 2 * 60, "add one row until 00:00"),
    (0, 545, 600, "quarter hour"),
    (0, 540, 1500, "time of day"),
    (0, -15, 600, "time of day"),
])
def test_check_window_rejects_with_a_clear_message(weekday, start, end, message):
    with pytest.raises(WindowError, match=message):
        check_window(weekday, start, end)


def test_check_minute():
    assert check_minute(0) == 0 and check_minute(1440) == 1440
    with pytest.raises(WindowError):
        check_minute(1441)


def test_merge_joins_overlapping_and_touching_windows_per_day():
    windows = [Window(5, 600, 720), Window(5, 540, 660), Window(5, 720, 780),
               Window(5, 900, 960), Window(0, 540, 600), Window(0, 540, 600), Window(1, 600, 660)]
    merged, joined = merge_windows(windows)
    assert merged == [Window(0, 540, 600), Window(1, 600, 660), Window(5, 540, 780),
                      Window(5, 900, 960)]
    assert joined == [0, 5]


def test_merge_leaves_separate_windows_alone():
    windows = [Window(2, 540, 600), Window(3, 540, 600)]
    assert merge_windows(windows) == (windows, [])


def test_merge_limits_the_number_of_windows():
    many = [Window(d, h * 60, h * 60 + 30) for d in range(7) for h in range(5)]
    with pytest.raises(WindowError, match=str(MAX_WINDOWS)):
        merge_windows(many)


def test_describe_one_line_per_day():
    lines = describe([Window(5, 840, 960), Window(0, 1080, 1440), Window(5, 540, 720)])
    assert lines == ["Monday 18:00–24:00", "Saturday 09:00–12:00 and 14:00–16:00"]
    assert clock(570) == "09:30"
