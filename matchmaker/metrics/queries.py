"""Counting the dashboard figures in SQL: a handful of aggregate queries per page.

Every figure is a GROUP BY / COUNT in the database; Python only receives totals
(and, for the cohort chart, at most one row per (cohort month, month after)).
The meaning of each figure is in :mod:`matchmaker.metrics.definitions`.

Date arithmetic differs between SQLite (timestamps stored as UTC text) and
PostgreSQL (timestamptz), so two tiny SQL constructs compile per dialect:
:class:`month_number` and :class:`seconds_between`. Everything else is plain
``select()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from matchmaker.metrics import definitions as d
from matchmaker.models import Occurrence, Opportunity, Signup, SignupStatus

# --- per-dialect date arithmetic ---------------------------------------------------------------

class month_number(FunctionElement):
    """``year * 12 + month - 1`` of a UTC timestamp, as :func:`definitions.month_number`."""

    type = Integer()
    name = "month_number"
    inherit_cache = True


@compiles(month_number, "sqlite")
def _month_number_sqlite(element, compiler, **kw):
    col = compiler.process(element.clauses, **kw)
    return (f"(CAST(strftime('%Y', {col}) AS INTEGER) * 12 "
            f"+ CAST(strftime('%m', {col}) AS INTEGER) - 1)")


@compiles(month_number, "postgresql")
def _month_number_postgresql(element, compiler, **kw):
    col = compiler.process(element.clauses, **kw)
    # AT TIME ZONE 'UTC': months are UTC months whatever the session's TimeZone is.
    return (f"(CAST(EXTRACT(YEAR FROM ({col}) AT TIME ZONE 'UTC') AS INTEGER) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM ({col}) AT TIME ZONE 'UTC') AS INTEGER) - 1)")


class seconds_between(FunctionElement):
    """Whole seconds from the first timestamp to the second (integer-exact on both)."""

    type = Integer()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    early, late = (compiler.process(c, **kw) for c in element.clauses)
    return (f"(CAST(strftime('%s', {late}) AS INTEGER) "
            f"- CAST(strftime('%s', {early}) AS INTEGER))")


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw):
    early, late = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({late}) - ({early})) AS BIGINT)"


# --- scope ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What the figures are about; no id set means the whole platform."""

    label: str
    organization_id: int | None = None
    group_id: int | None = None
    opportunity_id: int | None = None

    def criteria(self) -> list:
        where = []
        if self.organization_id is not None:
            where.append(Opportunity.organization_id == self.organization_id)
        if self.group_id is not None:
            where.append(Opportunity.group_id == self.group_id)
        if self.opportunity_id is not None:
            where.append(Opportunity.id == self.opportunity_id)
        return where


def _in_scope(stmt, scope: Scope):
    return (stmt.join(Occurrence, Signup.occurrence_id == Occurrence.id)
            .join(Opportunity, Occurrence.opportunity_id == Opportunity.id)
            .where(*scope.criteria()))


def _attended_acts(scope: Scope, *columns):
    """Attended acts in scope (confirmed and marked attended), one row each."""
    return _in_scope(select(Signup.user_id, *columns), scope).where(
        Signup.status == SignupStatus.CONFIRMED, Signup.attendance == "attended")


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- the figures ------------------------------------------------------------------------------

def signup_counts(session: Session, scope: Scope, period: d.Period) -> d.SignupCounts:
    confirmed = Signup.status == SignupStatus.CONFIRMED
    over = and_(confirmed, Occurrence.ends_at <= period.end)
    stmt = _in_scope(select(
        func.count(Signup.id),
        _count_if(confirmed),
        _count_if(Signup.status == SignupStatus.WAITLISTED),
        _count_if(Signup.status == SignupStatus.RELEASED),
        _count_if(Signup.status == SignupStatus.CANCELLED),
        _count_if(and_(over, Signup.attendance == "attended")),
        _count_if(and_(over, Signup.attendance == "no_show")),
        _count_if(and_(over, Signup.attendance.is_(None))),
        _count_if(and_(confirmed, Occurrence.ends_at > period.end)),
    ), scope).where(Occurrence.starts_at >= period.start, Occurrence.starts_at < period.end)
    row = session.execute(stmt).one()
    return d.SignupCounts(*(int(v or 0) for v in row))


def first_timer_counts(session: Session, scope: Scope, period: d.Period) -> d.FirstTimers:
    acts = _attended_acts(scope, Occurrence.starts_at.label("at")).subquery("acts")
    firsts = (select(acts.c.user_id, func.min(acts.c.at).label("first_at"))
              .group_by(acts.c.user_id).subquery("firsts"))
    later = acts.alias("later")
    # Each first-timer of the period with the start of their next attended act (or NULL).
    pairs = (
        select(firsts.c.user_id, firsts.c.first_at, func.min(later.c.at).label("next_at"))
        .select_from(firsts)
        .outerjoin(later, and_(later.c.user_id == firsts.c.user_id,
                               later.c.at > firsts.c.first_at))
        .where(firsts.c.first_at >= period.start, firsts.c.first_at < period.end)
        .group_by(firsts.c.user_id, firsts.c.first_at)
    ).subquery("pairs")
    columns = [func.count()]
    for days in d.RETURN_WINDOWS:
        cutoff = period.end - timedelta(days=days)
        judged = pairs.c.first_at <= cutoff
        back = and_(judged, pairs.c.next_at.is_not(None),
                    seconds_between(pairs.c.first_at, pairs.c.next_at) <= days * 86400)
        columns += [_count_if(judged), _count_if(back)]
    row = session.execute(select(*columns).select_from(pairs)).one()
    total = int(row[0] or 0)
    returns = []
    for i, days in enumerate(d.RETURN_WINDOWS):
        judged, back = int(row[1 + 2 * i] or 0), int(row[2 + 2 * i] or 0)
        returns.append(d.ReturnCounts(window_days=days, judged=judged, came_back=back,
                                      too_early=total - judged))
    return d.FirstTimers(total=total, returns=tuple(returns))


def regular_count(session: Session, scope: Scope) -> int:
    regulars = (_attended_acts(scope).group_by(Signup.user_id)
                .having(func.count(Signup.id) >= d.REGULAR_MIN_ACTS)).subquery()
    return int(session.scalar(select(func.count()).select_from(regulars)) or 0)


def cohort_rows(session: Session, scope: Scope, first_month: int) -> list[tuple[int, int, int]]:
    """``(cohort month, months after, people)`` for cohorts from ``first_month`` on."""
    acts = _attended_acts(scope, month_number(Occurrence.starts_at).label("month")).subquery()
    firsts = (select(acts.c.user_id, func.min(acts.c.month).label("cohort"))
              .group_by(acts.c.user_id).subquery())
    after = (acts.c.month - firsts.c.cohort).label("months_after")
    stmt = (select(firsts.c.cohort, after, func.count(func.distinct(acts.c.user_id)))
            .join(acts, acts.c.user_id == firsts.c.user_id)
            .where(firsts.c.cohort >= first_month)
            .group_by(firsts.c.cohort, after))
    return [(int(c), int(o), int(n)) for c, o, n in session.execute(stmt)]


def load_dashboard(session: Session, scope: Scope, period: d.Period) -> d.Dashboard:
    current = d.month_number(period.end)
    first = current - d.COHORT_MONTHS + 1
    return d.Dashboard(
        scope_label=scope.label,
        period=period,
        signups=signup_counts(session, scope, period),
        first_timers=first_timer_counts(session, scope, period),
        regulars=regular_count(session, scope),
        cohorts=d.cohort_matrix(cohort_rows(session, scope, first), first, current),
    )
