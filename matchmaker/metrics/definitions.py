"""What each dashboard figure means, and the arithmetic on counts. Pure: no Flask, no SQL.

These figures are the product's north star, so each has one precise definition,
written here, shown on the page (:data:`HELP`) and held by the tests
(tests/unit/test_metrics_definitions.py, tests/integration/test_metrics.py).

Words used below
----------------
*Scope*: one opportunity, one group (every opportunity posted for the group), one
organization, or the whole platform. A sign-up is in scope when its occurrence
belongs to an opportunity in scope.

*Period*: the last 30, 90 or 365 days up to now: ``start <= starts_at < now``,
where ``starts_at`` is when the occurrence starts. A sign-up belongs to the
period its occurrence starts in, whenever the person signed up. (For a small act
the occurrence starts when its "do it by" window opens.)

*Attended act*: a sign-up that holds a place (status ``confirmed``) and is marked
``attended`` (by the organizer's roster, the check-in code, or the resident). Its
date is when its occurrence starts.

The figures
-----------
Sign-ups
    The number of (resident, occurrence) pairs in scope, for occurrences starting
    in the period. A resident has at most one sign-up per occurrence (signing up
    again after passing a spot on reuses it), and every sign-up was confirmed or
    on the waiting list when made, so *every* row counts once, whatever became of
    it. The page splits the total by what it is now: has a place (confirmed),
    still waiting (waitlisted), passed their spot on (released), and cancelled by
    the organization (cancelled).

Show-up rate and no-show rate
    Over sign-ups that hold a place (confirmed) on occurrences in the period that
    have already *ended* (``ends_at <= now``): ``attended / (attended + no-show)``
    and ``no-show / (attended + no-show)``; together they make 100 %. Sign-ups
    not marked yet are reported separately as "not marked yet" and never count
    as no-shows; places on occurrences that have not ended yet are "still to
    come". A spot passed on (released), a waiting-list place or a cancelled
    occurrence is never in either rate. With nothing marked the rates are
    "no figure yet", never 0 % and never a division by zero.

First-timers
    Residents whose first attended act *in this scope* (ever, not only in the
    period) starts in the period.

First-timers who came back within 30 / 60 days
    Of those first-timers, the share with another attended act in the same scope
    starting after their first one and at most 30 (60) days after it. A
    first-timer is only judged once those 30 (60) days have fully passed
    (first act + 30 days <= now); until then they are counted as "too early to
    tell" and are in neither the top nor the bottom of the share.

Regulars
    Residents with 3 or more attended acts in this scope, counted up to now (the
    figure does not depend on the period).

Cohort chart
    Residents grouped by the calendar month (UTC) of their first attended act in
    this scope ("cohort"); for each cohort, the share of its residents with at
    least one attended act in scope in the 1st, 2nd, 3rd ... calendar month after
    that month. It always covers cohorts from the last 12 months (the current
    month included), whatever the period, because coming back takes months to
    show. The current month is still running, so its figures can still rise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: Period choices offered on the page, in days, with their labels.
PERIODS: dict[int, str] = {30: "Last 30 days", 90: "Last 90 days", 365: "Last 365 days"}
DEFAULT_PERIOD_DAYS = 90
#: "Came back within N days" windows.
RETURN_WINDOWS: tuple[int, ...] = (30, 60)
#: Attended acts that make a resident a regular.
REGULAR_MIN_ACTS = 3
#: How many monthly cohorts the chart shows (the current month included).
COHORT_MONTHS = 12

#: The help text shown next to each figure on the page and in the CSV. Keep it
#: in step with the module docstring above.
HELP: dict[str, str] = {
    "period": (
        "Figures cover activities that started in the chosen period, up to now. A sign-up "
        "counts in the period its activity starts in, whenever the person signed up."),
    "signups": (
        "Each person counts once per date they signed up for, whatever became of the "
        "sign-up: it is split below into people with a place, people still waiting, people "
        "who passed their spot on, and places cancelled by the organization."),
    "show_up_rate": (
        "Of the people with a place on dates that are over and have been marked, the share "
        "marked as came. Sign-ups not marked yet are shown separately and never count as "
        "no-shows. A spot passed on early never counts."),
    "no_show_rate": (
        "Of the people with a place on dates that are over and have been marked, the share "
        "marked as did not come. Show-up rate and no-show rate add up to 100%."),
    "not_marked": (
        "People with a place on a date that is over, whom nobody has marked yet. They are "
        "left out of both rates until someone marks them."),
    "first_timers": (
        "People whose very first time here (first date marked as came, ever) falls in the "
        "period."),
    "came_back": (
        "Of those first-timers, the share who came again, to another date here, within 30 "
        "(or 60) days after their first time. Someone whose first time was less than 30 (60) "
        "days ago is “too early to tell” and is not counted either way yet."),
    "regulars": (
        "People who came 3 or more times here, counted up to today (this does not depend on "
        "the period)."),
    "cohorts": (
        "People grouped by the month of their first time here. Each row shows the share of "
        "that month's newcomers who came at least once in the 1st, 2nd, 3rd… month after. "
        "Always the last 12 months, whatever the period; the current month is still "
        "running."),
    "privacy": (
        "These are totals only. No one's name or personal record of showing up is shown "
        "here or in the download."),
}


class PeriodError(ValueError):
    """A period the page does not offer; ``str(exc)`` says which ones it does."""


def parse_period(value: str | None) -> int:
    """The period in days from the ``days`` query parameter; missing means the default."""
    if value is None or value == "":
        return DEFAULT_PERIOD_DAYS
    try:
        days = int(value)
    except ValueError:
        days = None
    if days not in PERIODS:
        choices = ", ".join(str(d) for d in PERIODS)
        raise PeriodError(f"The period must be one of {choices} days.")
    return days


@dataclass(frozen=True)
class Period:
    days: int
    start: datetime
    end: datetime

    @classmethod
    def ending(cls, now: datetime, days: int) -> Period:
        return cls(days=days, start=now - timedelta(days=days), end=now)

    @property
    def label(self) -> str:
        return PERIODS.get(self.days, f"Last {self.days} days")


# --- rates -----------------------------------------------------------------------------------

def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by (shown as "no figure")."""
    return part / whole if whole else None


def percent(value: float | None) -> str:
    """'67%' (rounded half up), or "no figure yet" when there is nothing to divide by."""
    if value is None:
        return "no figure yet"
    return f"{int(value * 100 + 0.5)}%"


@dataclass(frozen=True)
class SignupCounts:
    """Sign-ups in scope for occurrences starting in the period (see module docstring)."""

    total: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    released: int = 0
    cancelled: int = 0
    #: Confirmed, on occurrences that have ended:
    attended: int = 0
    no_show: int = 0
    not_marked: int = 0
    #: Confirmed, on occurrences that have not ended yet.
    still_to_come: int = 0

    @property
    def marked(self) -> int:
        return self.attended + self.no_show

    @property
    def show_up_rate(self) -> float | None:
        return share(self.attended, self.marked)

    @property
    def no_show_rate(self) -> float | None:
        return share(self.no_show, self.marked)


@dataclass(frozen=True)
class ReturnCounts:
    """First-timers who came back within ``window_days``."""

    window_days: int
    #: First-timers whose window has fully passed (the denominator).
    judged: int = 0
    came_back: int = 0
    too_early: int = 0

    @property
    def rate(self) -> float | None:
        return share(self.came_back, self.judged)


@dataclass(frozen=True)
class FirstTimers:
    total: int = 0
    returns: tuple[ReturnCounts, ...] = ()


# --- cohorts ---------------------------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def month_number(moment: datetime) -> int:
    """Months since year 0 (``year * 12 + month - 1``): the SQL side computes the same."""
    return moment.year * 12 + moment.month - 1


def month_label(number: int) -> str:
    return f"{_MONTHS[number % 12]} {number // 12}"


@dataclass(frozen=True)
class Cohort:
    """Residents whose first attended act was in ``month`` (a :func:`month_number`)."""

    month: int
    size: int
    #: ``returned[k - 1]`` = how many came in month +k, for each month +k up to now.
    returned: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def shares(self) -> tuple[float | None, ...]:
        return tuple(share(n, self.size) for n in self.returned)


def cohort_matrix(rows, first_month: int, current_month: int) -> list[Cohort]:
    """Cohorts ``first_month .. current_month`` from ``(cohort, offset, people)`` rows.

    ``offset`` 0 is the cohort's own month, so its count is the cohort's size;
    offsets past ``current_month`` cannot happen and are ignored. Every month in
    the range gets a row (size 0 when nobody started then), oldest first; a
    cohort has one "returned" count per month after it that has begun.
    """
    counts: dict[tuple[int, int], int] = {}
    for cohort, offset, people in rows:
        counts[(int(cohort), int(offset))] = int(people)
    return [
        Cohort(month=m, size=counts.get((m, 0), 0),
               returned=tuple(counts.get((m, k), 0) for k in range(1, current_month - m + 1)))
        for m in range(first_month, current_month + 1)
    ]


# --- the whole page --------------------------------------------------------------------------

@dataclass(frozen=True)
class Dashboard:
    scope_label: str
    period: Period
    signups: SignupCounts
    first_timers: FirstTimers
    regulars: int
    cohorts: list[Cohort] = field(default_factory=list)

    @property
    def cohort_offsets(self) -> int:
        """How many "month +k" columns the chart and table need."""
        return max((len(c.returned) for c in self.cohorts), default=0)


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def csv_rows(board: Dashboard) -> list[list[str]]:
    """The dashboard as spreadsheet rows: figure, value, definition; then the cohort table.

    Cells are plain strings; the caller makes them formula-safe when writing.
    """
    s, ft = board.signups, board.first_timers
    rows: list[list[str]] = [
        ["Figures for", board.scope_label, ""],
        ["Period", f"{_day(board.period.start)} to {_day(board.period.end)} (UTC)",
         HELP["period"]],
        [],
        ["Figure", "Value", "How it is counted"],
        ["Sign-ups", str(s.total), HELP["signups"]],
        ["  with a place", str(s.confirmed), ""],
        ["  still on the waiting list", str(s.waitlisted), ""],
        ["  passed their spot on", str(s.released), ""],
        ["  cancelled by the organization", str(s.cancelled), ""],
        ["Show-up rate", percent(s.show_up_rate), HELP["show_up_rate"]],
        ["  came", str(s.attended), ""],
        ["No-show rate", percent(s.no_show_rate), HELP["no_show_rate"]],
        ["  did not come", str(s.no_show), ""],
        ["Not marked yet", str(s.not_marked), HELP["not_marked"]],
        ["Places on dates still to come", str(s.still_to_come), ""],
        ["First-timers", str(ft.total), HELP["first_timers"]],
    ]
    for r in ft.returns:
        rows.append([f"First-timers who came back within {r.window_days} days",
                     percent(r.rate), HELP["came_back"] if r is ft.returns[0] else ""])
        rows.append(["  came back", str(r.came_back), ""])
        rows.append(["  out of", str(r.judged), ""])
        rows.append(["  too early to tell", str(r.too_early), ""])
    rows.append(["Regulars", str(board.regulars), HELP["regulars"]])
    rows.append([])
    rows.append(["Cohorts", "", HELP["cohorts"]])
    rows.append(["Month of first time", "People"]
                + [f"Month +{k}" for k in range(1, board.cohort_offsets + 1)])
    for c in board.cohorts:
        rows.append([c.label, str(c.size)]
                    + [percent(v) if c.size else "" for v in c.shares])
    return rows
