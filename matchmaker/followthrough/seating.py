"""Reliability-aware seats: the database side of :mod:`.overbooking`.

Called from :mod:`matchmaker.signups.services` while it holds the seat lock, so
the confirmed count read here cannot change before the decision is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.followthrough import overbooking
from matchmaker.followthrough.history import attendance_history
from matchmaker.followthrough.reliability import show_up_probability
from matchmaker.models import Occurrence, OpportunityKind, Signup, SignupStatus


def notify_only_window() -> timedelta:
    hours = current_app.config.get("OVERBOOK_NOTIFY_ONLY_HOURS", 24) if has_app_context() else 24
    return timedelta(hours=hours)


def overbooking_open(occ: Occurrence, now: datetime) -> bool:
    """May this occurrence hand out places beyond its capacity right now?"""
    opp = occ.opportunity
    return (bool(opp.allow_overbooking)
            and opp.kind != OpportunityKind.SMALL_ACT
            and occ.capacity >= overbooking.MIN_CAPACITY
            and not overbooking.notify_only(occ.starts_at, now, notify_only_window()))


def _probabilities(session: Session, user_ids: list[int], now: datetime) -> dict[int, float]:
    today = now.date()
    return {uid: show_up_probability(history, today)
            for uid, history in attendance_history(session, user_ids).items()}


def may_confirm(session: Session, occ: Occurrence, user_id: int, now: datetime) -> bool:
    """Is there a place for ``user_id``: a real one, or a safe overbooked one?

    The caller holds the lock on ``occ``.
    """
    if occ.confirmed_count < occ.capacity:
        return True
    if not overbooking_open(occ, now):
        return False
    confirmed_ids = list(session.scalars(select(Signup.user_id).where(
        Signup.occurrence_id == occ.id, Signup.status == SignupStatus.CONFIRMED)))
    probs = _probabilities(session, [*confirmed_ids, user_id], now)
    return overbooking.can_confirm_beyond_capacity(
        [probs[uid] for uid in confirmed_ids], occ.capacity, probs[user_id])


def record_confirmation(occ: Occurrence) -> None:
    """After ``confirmed_count`` went up: widen the allowance the constraint checks."""
    beyond = occ.confirmed_count - occ.capacity
    if beyond > (occ.overbook_allowance or 0):
        occ.overbook_allowance = beyond


def planned_extra(session: Session, occ: Occurrence, now: datetime) -> int:
    """How many confirmations beyond capacity the model would allow now (organizer view)."""
    if not overbooking_open(occ, now):
        return 0
    rows = session.execute(select(Signup.user_id, Signup.status).where(
        Signup.occurrence_id == occ.id,
        Signup.status.in_((SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)))
        .order_by(Signup.queued_at, Signup.id)).all()
    probs = _probabilities(session, [uid for uid, _ in rows], now)
    confirmed = [probs[uid] for uid, status in rows if status == SignupStatus.CONFIRMED]
    waiting = [probs[uid] for uid, status in rows if status == SignupStatus.WAITLISTED]
    return overbooking.extra_confirmations(confirmed, occ.capacity, candidates=waiting)
