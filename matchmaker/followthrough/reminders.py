"""Reminders before each date: the day before and about two hours before.

A cron-enqueued sweep (:func:`due_reminders`) lists confirmed sign-ups whose
reminder is due; :func:`send_reminder` then *claims* the sign-up with
``UPDATE ... SET <kind>_sent_at = now WHERE <kind>_sent_at IS NULL`` and sends
only if that update changed a row, so two sweeps running at once can never both
send. If the mail server refuses, the claim is undone so the next sweep retries.

Each organization sets the two lead times (``reminder_early_hours``,
``reminder_late_minutes``; 0 switches one off). A reminder is skipped when the
person only got their place after its moment (the confirmation just told them),
and the early one is skipped once the late one is due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager

from matchmaker import holds
from matchmaker.db import db, utcnow
from matchmaker.followthrough.passing import pass_token
from matchmaker.mail import MailError, send_email
from matchmaker.models import (
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Organization,
    Signup,
    SignupStatus,
)
from matchmaker.signups import services as signup_services
from matchmaker.signups.links import opportunity_link
from matchmaker.urls import external_url

log = logging.getLogger(__name__)

EARLY, LATE = "early", "late"
#: kind -> (email template, guard column)
KINDS = {
    EARLY: ("reminder_early", "reminder_early_sent_at"),
    LATE: ("reminder_late", "reminder_late_sent_at"),
}


def lead_times(org: Organization) -> dict[str, timedelta | None]:
    early = org.reminder_early_hours or 0
    late = org.reminder_late_minutes or 0
    return {EARLY: timedelta(hours=early) if early else None,
            LATE: timedelta(minutes=late) if late else None}


def due_kind(signup: Signup, occ: Occurrence, org: Organization, now: datetime) -> str | None:
    """Which reminder (if any) is due now for this confirmed sign-up. Pure."""
    if now >= occ.starts_at:
        return None
    leads = lead_times(org)
    confirmed_at = signup.confirmed_at or signup.created_at
    late = leads[LATE]
    if late is not None and now >= occ.starts_at - late:
        if signup.reminder_late_sent_at is None and confirmed_at < occ.starts_at - late:
            return LATE
        return None
    early = leads[EARLY]
    if (early is not None and now >= occ.starts_at - early
            and signup.reminder_early_sent_at is None and confirmed_at < occ.starts_at - early):
        return EARLY
    return None


def due_reminders(session: Session, now: datetime | None = None) -> list[tuple[int, str]]:
    """``[(signup_id, kind)]`` of every reminder due now and not yet sent."""
    now = now or utcnow()
    longest = session.scalar(select(func.max(Organization.reminder_early_hours))) or 0
    horizon = now + max(timedelta(hours=longest), timedelta(minutes=720))
    rows = session.scalars(
        select(Signup)
        .join(Signup.occurrence).join(Occurrence.opportunity).join(Opportunity.organization)
        .options(contains_eager(Signup.occurrence).contains_eager(Occurrence.opportunity)
                 .contains_eager(Opportunity.organization))
        .where(Signup.status == SignupStatus.CONFIRMED,
               Occurrence.starts_at > now, Occurrence.starts_at <= horizon,
               Occurrence.cancelled_at.is_(None),
               Opportunity.status == OpportunityStatus.PUBLISHED,
               Opportunity.kind != OpportunityKind.SMALL_ACT,
               (Signup.reminder_early_sent_at.is_(None)
                | Signup.reminder_late_sent_at.is_(None)))
        .order_by(Occurrence.starts_at, Signup.id)
    ).unique().all()
    due = []
    for signup in rows:
        occ = signup.occurrence
        kind = due_kind(signup, occ, occ.opportunity.organization, now)
        if kind:
            due.append((signup.id, kind))
    return due


def claim(session: Session, model, row_id: int, column: str, now: datetime) -> int | None:
    """Atomically set ``column`` if it is empty; the hold id if this caller won, else None.

    Committed at once (with its hold, see matchmaker.holds), so a concurrent sweep
    waiting on the row sees it set, and a worker dying mid-send loses nothing.
    """
    result = session.execute(
        update(model).where(model.id == row_id, getattr(model, column).is_(None))
        .values({column: now}).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        return None
    hold_id = holds.hold(session, holds.clear_column, model.__tablename__, row_id, column)
    session.commit()
    return hold_id


def send_reminder(signup_id: int, kind: str, now: datetime | None = None) -> bool:
    """Send one reminder if it is still due and nobody sent it. True if sent."""
    template, column = KINDS[kind]
    session = db.session
    now = now or utcnow()
    signup = session.get(Signup, signup_id)
    if signup is None or signup.status != SignupStatus.CONFIRMED:
        return False
    occ = signup.occurrence
    if occ.cancelled_at is not None or due_kind(signup, occ, occ.opportunity.organization,
                                                now) != kind:
        return False
    hold_id = claim(session, Signup, signup_id, column, now)
    if hold_id is None:
        log.info("sign-up %s: %s reminder already claimed", signup_id, kind)
        return False
    session.refresh(signup)
    opp = occ.opportunity
    try:
        send_email(
            template, signup.user.email,
            user=signup.user, signup=signup, occurrence=occ, opportunity=opp,
            when=signup_services.format_span(occ), link=opportunity_link(occ),
            pass_link=external_url("followthrough.pass_spot", token=pass_token(signup)),
            commitments_link=external_url("signups.commitments"),
        )
    except MailError:
        holds.give_back(session, hold_id)
        raise
    holds.settle(session, hold_id)
    return True
