"""Free time on the resident's own clock: windows, stretches, and when things happen.

What it owns, and the rules it decides (the tests read the same rules):

* **Free time is the union of the windows on the weekly clock.** Windows that
  overlap or touch are merged into one *stretch* — free 9–12 and 12–14 means
  free 9–14. The week is a circle: Saturday 20:00–24:00 plus Sunday 00:00–02:00
  is one stretch, and so is Sunday 22:00–24:00 plus Monday 00:00–02:00. So an
  occurrence that crosses local midnight fits when the windows on both sides
  of midnight join up; one window cannot cover it, because a window ends at
  24:00 at the latest.
* **An occurrence fits when its whole local span lies inside one stretch.**
  The span is read on the resident's wall clock with zoneinfo, at the
  occurrence's own date, so a 10:00 session is 10:00 in July and in January.
  If the clocks change during the occurrence, the span is read from
  ``start + the smaller offset`` to ``end + the larger offset``: when clocks go
  back the repeated hour is covered twice over, and when they go forward the
  skipped hour is simply jumped. That is a little strict in the hour the
  clocks go back, and never lets anything through that is outside free time.
* **Weeks are ISO weeks in local time** (Monday 00:00 to Sunday 24:00); a
  session counts in the week of its local start date, even if it runs past
  Sunday midnight.
* Times are whole seconds; fractions are rounded outwards (starts down, ends up).

Everything is integer seconds, so the window arithmetic is exact.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

DAY = 86_400
WEEK = 7 * DAY
#: 1970-01-01 was a Thursday: adding three days counts from Monday 1969-12-29.
_EPOCH_WEEKDAY = 3
#: Stand-in bounds for "free all week" (a stretch with no edges).
UNBOUNDED = 1 << 50
#: Occurrence times outside these years are treated as bad input.
_MIN_POSIX = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp())
_MAX_POSIX = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp())


@lru_cache(maxsize=1024)
def zone(name) -> ZoneInfo | None:
    """The ZoneInfo for an IANA name, or None when the name is not a real zone."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def posix_floor(dt) -> int | None:
    """Whole POSIX seconds, rounded down; None for anything that is not a usable datetime."""
    if not isinstance(dt, datetime):
        return None
    try:
        ts = _aware(dt).timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    t = math.floor(ts)
    return t if _MIN_POSIX <= t <= _MAX_POSIX else None


def posix_ceil(dt) -> int | None:
    """Whole POSIX seconds, rounded up; None for anything that is not a usable datetime."""
    if not isinstance(dt, datetime):
        return None
    try:
        ts = _aware(dt).timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    t = math.ceil(ts)
    return t if _MIN_POSIX <= t <= _MAX_POSIX else None


def utc_offsets(tz: ZoneInfo, times: np.ndarray) -> np.ndarray:
    """UTC offset in seconds at each POSIX time (exact: zoneinfo per distinct time)."""
    times = np.asarray(times, dtype=np.int64)
    if times.size == 0:
        return np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(times, return_inverse=True)
    fromts = datetime.fromtimestamp
    offs = np.fromiter(
        (fromts(int(t), tz).utcoffset().total_seconds() for t in uniq.tolist()),
        dtype=np.float64, count=uniq.size,
    ).astype(np.int64)
    return offs[inverse]


def offset_at(tz: ZoneInfo, t: int) -> int:
    return int(datetime.fromtimestamp(t, tz).utcoffset().total_seconds())


def week_frame(wall):
    """Seconds since the local Monday 00:00 of the week containing a wall-clock time."""
    return (wall + _EPOCH_WEEKDAY * DAY) % WEEK


def week_start_day(wall):
    """Day number (days since 1970-01-01) of the local Monday starting that week."""
    day = wall // DAY
    return day - (day + _EPOCH_WEEKDAY) % 7


def weekday_of(wall):
    return (wall // DAY + _EPOCH_WEEKDAY) % 7


class Projection:
    """Timed occurrences as seen on one timezone's clock (arrays, one per occurrence).

    ``lo``/``hi_rel``: the local span in seconds since the Monday 00:00 of the
    week the span starts in (``hi_rel`` may pass the end of that week).
    ``week_day``: day number of the Monday of the local start's ISO week.
    ``weekday``/``minute``: local start, for the words ("Saturday morning").
    """

    __slots__ = ("lo", "hi_rel", "week_day", "weekday", "minute")  # noqa: RUF023 - positional order

    def __init__(self, tz: ZoneInfo, start: np.ndarray, end: np.ndarray):
        off_s = utc_offsets(tz, start)
        off_e = utc_offsets(tz, end)
        lo = start + np.minimum(off_s, off_e)
        hi = end + np.maximum(off_s, off_e)
        self.lo = week_frame(lo)
        self.hi_rel = hi - lo + self.lo
        wall_start = start + off_s
        self.week_day = week_start_day(wall_start)
        self.weekday = weekday_of(wall_start)
        self.minute = (wall_start % DAY) // 60


def window_seconds(window) -> tuple[int, int] | None:
    """A window as (start, end) seconds since local Monday 00:00, or None when unusable."""
    try:
        wd, s, e = (window.weekday, window.start_minute, window.end_minute) \
            if hasattr(window, "weekday") else window
        if isinstance(wd, bool) or int(wd) != wd or not 0 <= wd <= 6:
            return None
        s = float(s)
        e = float(e)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(s) and math.isfinite(e)) or not (0 <= s < e <= 1440):
        return None
    base = int(wd) * DAY
    return base + round(s * 60), base + round(e * 60)


class Stretches:
    """Every resident's free stretches, and the lookup ranges built from them.

    Built for all residents at once with numpy (a segmented running maximum
    merges overlapping windows). Per resident, in CSR form:

    * ``A``, ``B``: merged stretches in week seconds; ``B`` may pass ``WEEK`` for
      a stretch that wraps from Sunday into Monday; a resident free all week
      has one stretch ``(-UNBOUNDED, UNBOUNDED)``.
    * ``t_lo``, ``t_hi``, ``t_A``, ``t_B``: the same stretches as ranges of
      possible span starts (``t_lo <= lo <= t_hi``) with the stretch bounds in
      that frame. A wrapping stretch gives two ranges (its Monday part is
      shifted back a week). Ranges of one resident never overlap and are
      sorted, so a span start finds at most one.
    * ``longest``: length of the longest stretch (for small acts' effort).
    """

    def __init__(self, n: int, res: np.ndarray, s: np.ndarray, e: np.ndarray):
        order = np.lexsort((s, res))
        res, s, e = res[order], s[order], e[order]
        span = 2 * WEEK
        if res.size:
            acc = np.maximum.accumulate(res * span + e)
            prev_end = np.empty_like(acc)
            prev_end[0] = -1
            prev_end[1:] = acc[:-1] - res[1:] * span
            new = np.ones(res.size, dtype=bool)
            new[1:] = (res[1:] != res[:-1]) | (s[1:] > prev_end[1:])
            starts = np.flatnonzero(new)
            ends = np.append(starts[1:], res.size) - 1
            st_res = res[starts]
            A = s[starts]
            B = acc[ends] - st_res * span
        else:
            st_res = A = B = np.zeros(0, dtype=np.int64)
        # Join a stretch ending at Sunday 24:00 with one starting at Monday 00:00.
        counts = np.bincount(st_res, minlength=n)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        first = ptr[:-1]
        last = ptr[1:] - 1
        has = counts > 0
        full = has & (counts == 1)
        full[full] = (A[first[full]] == 0) & (B[first[full]] == WEEK)
        wrap = has & (counts > 1)
        wrap[wrap] = (A[first[wrap]] == 0) & (B[last[wrap]] == WEEK)
        keep = np.ones(A.size, dtype=bool)
        wrap_idx = np.flatnonzero(wrap)
        B = B.copy()
        B[last[wrap_idx]] = WEEK + B[first[wrap_idx]]
        keep[first[wrap_idx]] = False
        A = A.copy()
        full_idx = first[full]
        A[full_idx] = -UNBOUNDED
        B[full_idx] = UNBOUNDED
        st_res, A, B = st_res[keep], A[keep], B[keep]
        counts = np.bincount(st_res, minlength=n)
        self.ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.ptr[1:])
        self.res, self.A, self.B = st_res, A, B
        length = np.minimum(B - A, UNBOUNDED)
        self.longest = np.zeros(n, dtype=np.int64)
        if st_res.size:
            np.maximum.at(self.longest, st_res, length)
        self._ranges(n)

    def _ranges(self, n: int) -> None:
        res, A, B = self.res, self.A, self.B
        is_full = A == -UNBOUNDED
        wraps = (B > WEEK) & ~is_full
        # main part of every stretch
        m_lo = np.where(is_full, 0, A)
        m_hi = np.where(is_full, WEEK - 1, np.minimum(B, WEEK - 1))
        # Monday part of wrapping stretches, seen from the following week
        w = np.flatnonzero(wraps)
        t_res = np.concatenate([res, res[w]])
        t_lo = np.concatenate([m_lo, np.zeros(w.size, dtype=np.int64)])
        t_hi = np.concatenate([m_hi, B[w] - WEEK])
        t_A = np.concatenate([A, A[w] - WEEK])
        t_B = np.concatenate([B, B[w] - WEEK])
        order = np.lexsort((t_lo, t_res))
        self.t_res = t_res[order]
        self.t_lo = t_lo[order]
        self.t_hi = t_hi[order]
        self.t_A = t_A[order]
        self.t_B = t_B[order]
        counts = np.bincount(self.t_res, minlength=n)
        self.t_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.t_ptr[1:])
