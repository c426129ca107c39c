"""A resident's own impact: hours given, streak, causes, organizations, people met.

Two halves. The top is pure (plain :class:`Act` values in, an :class:`Impact`
out) and unit-testable; the bottom loads those values from the database.

Everything here is about one person and shown to that person only: no
rankings, no comparison with anyone else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session, aliased

from matchmaker import vocab
from matchmaker.followthrough import streaks
from matchmaker.models import (
    Occurrence,
    Opportunity,
    OpportunityKind,
    Signup,
    SignupStatus,
    User,
)

#: How many months the chart on the impact page covers, this month included.
CHART_MONTHS = 12


@dataclass(frozen=True)
class Act:
    """One completed act: an attended, confirmed sign-up."""

    signup_id: int
    occurrence_id: int
    opportunity_id: int
    group_id: int | None
    organization_id: int
    organization_name: str
    title: str
    #: When it happened: the start of a timed occurrence; for a small act, when
    #: the resident said "I did it" (its window spans days or weeks).
    moment: datetime
    minutes: int
    causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Impact:
    acts: int
    minutes: int
    current_streak: int
    longest_streak: int
    #: (label, count), most frequent first.
    causes: list[tuple[str, int]]
    organizations: list[tuple[str, int]]
    people_met: int
    #: Share of marked confirmed sign-ups attended; None before any was marked.
    show_up_rate: float | None
    marked: int
    #: (first day of the month, acts) for the last CHART_MONTHS months, oldest first.
    monthly: list[tuple[date, int]] = field(default_factory=list)

    @property
    def hours_text(self) -> str:
        return hours_text(self.minutes)


def hours_text(minutes: int) -> str:
    """"2 hours", "1½ hours", "45 minutes": rounded to the half hour past the first hour."""
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    halves = round(minutes / 30)
    whole, half = divmod(halves, 2)
    text = f"{whole}{'½' if half else ''}"
    return f"{text} hour{'' if text == '1' else 's'}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def month_starts(now: datetime, zone: ZoneInfo, months: int = CHART_MONTHS) -> list[date]:
    """First days of the last ``months`` months in the resident's zone, oldest first."""
    local = now.astimezone(zone).date()
    year, month = local.year, local.month
    out = []
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def monthly_counts(moments: Iterable[datetime], now: datetime, zone: ZoneInfo,
                   months: int = CHART_MONTHS) -> list[tuple[date, int]]:
    """Acts per resident-local calendar month, for the chart (older acts left out)."""
    starts = month_starts(now, zone, months)
    counts = Counter(m.astimezone(zone).date().replace(day=1) for m in moments)
    return [(s, counts.get(s, 0)) for s in starts]


def summarize(acts: Sequence[Act], *, now: datetime, zone: ZoneInfo, people_met: int,
              show_up_rate: float | None, marked: int) -> Impact:
    moments = [a.moment for a in acts]
    causes = Counter(c for a in acts for c in a.causes)
    orgs = Counter(a.organization_name for a in acts)
    return Impact(
        acts=len(acts),
        minutes=sum(a.minutes for a in acts),
        current_streak=streaks.current_streak(moments, now, zone),
        longest_streak=streaks.longest_streak(moments, zone),
        causes=[(vocab.CAUSES.get(k, k), n) for k, n in _by_count(causes)],
        organizations=_by_count(orgs),
        people_met=people_met,
        show_up_rate=show_up_rate,
        marked=marked,
        monthly=monthly_counts(moments, now, zone),
    )


def _by_count(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].casefold()))


# --- loading from the database ------------------------------------------------------------------

def resident_zone(user: User, default: str = "UTC") -> ZoneInfo:
    """The resident's own zone (streak weeks and chart months are theirs), else ``default``."""
    for name in ((user.profile.timezone if user.profile else ""), default, "UTC"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def attended_clause():
    """SQL condition for a completed act: a confirmed sign-up marked attended."""
    return and_(Signup.status == SignupStatus.CONFIRMED, Signup.attendance == "attended")


def act_of(signup: Signup) -> Act:
    occ = signup.occurrence
    opp = occ.opportunity
    if opp.kind == OpportunityKind.SMALL_ACT:
        moment = min(max(signup.attendance_marked_at or occ.starts_at, occ.starts_at), occ.ends_at)
        minutes = opp.duration_minutes
    else:
        moment = occ.starts_at
        minutes = int((occ.ends_at - occ.starts_at).total_seconds() // 60)
    return Act(
        signup_id=signup.id, occurrence_id=occ.id, opportunity_id=opp.id, group_id=opp.group_id,
        organization_id=opp.organization_id, organization_name=opp.organization.name,
        title=opp.title, moment=moment, minutes=minutes,
        causes=tuple(t.value for t in opp.tags if t.kind == "cause"),
    )


def load_acts(session: Session, user_id: int) -> list[Act]:
    """Every completed act of the resident, oldest first."""
    rows = session.scalars(
        select(Signup).join(Signup.occurrence)
        .where(Signup.user_id == user_id, attended_clause())
        .order_by(Occurrence.starts_at, Signup.id)
    )
    acts = [act_of(s) for s in rows]
    acts.sort(key=lambda a: (a.moment, a.signup_id))
    return acts


def count_acts(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Signup)
                          .where(Signup.user_id == user_id, attended_clause())) or 0


def people_met(session: Session, user_id: int) -> int:
    """Distinct other residents who attended the same occurrences (small acts are done alone)."""
    mine = aliased(Signup)
    other = aliased(Signup)
    return session.scalar(
        select(func.count(distinct(other.user_id)))
        .select_from(mine)
        .join(other, and_(other.occurrence_id == mine.occurrence_id,
                          other.user_id != mine.user_id))
        .join(Occurrence, Occurrence.id == mine.occurrence_id)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .where(mine.user_id == user_id,
               mine.status == SignupStatus.CONFIRMED, mine.attendance == "attended",
               other.status == SignupStatus.CONFIRMED, other.attendance == "attended",
               Opportunity.kind != OpportunityKind.SMALL_ACT)
    ) or 0


def own_show_up(session: Session, user_id: int) -> tuple[float | None, int]:
    """The resident's own show-up rate and how many marked sign-ups it rests on."""
    from matchmaker.followthrough.history import attendance_history
    from matchmaker.followthrough.reliability import show_up_rate

    history = list(attendance_history(session, [user_id]).get(user_id, []))
    return show_up_rate(history), len(history)


def impact_for(session: Session, user: User, now: datetime, default_zone: str = "UTC") -> Impact:
    zone = resident_zone(user, default_zone)
    rate, marked = own_show_up(session, user.id)
    return summarize(load_acts(session, user.id), now=now, zone=zone,
                     people_met=people_met(session, user.id), show_up_rate=rate, marked=marked)

