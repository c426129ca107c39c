"""Signing up for an occurrence: seats, the waiting list, passing a spot on.

Every change to who holds a seat happens under THE LOCK: the occurrence row is
locked (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a no-op UPDATE takes
the database write lock, since SQLite serialises writers anyway) *before*
availability is read again, and ``confirmed_count`` and the sign-up row change in
that same transaction. Two people pressing "Sign up" for the last seat therefore
queue on the lock, and the second one sees the seat already gone.

Services flush and never commit; the caller commits once and then the lock is
released. Emails are the caller's business (see :mod:`matchmaker.signups.emails`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from matchmaker.db import utcnow
from matchmaker.followthrough import seating
from matchmaker.models import (
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Signup,
    SignupStatus,
    User,
)

#: Statuses that hold a place on the roster (a seat or a place in line).
ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
#: Age from which we rely on the resident's "I am 18 or over" answer.
ADULT_AGE = 18


class SignupError(Exception):
    """A sign-up the rules do not allow. ``code`` lets views pick a page and status.

    Codes: ``unverified`` (email not confirmed), ``not_found``, ``not_open``
    (draft or cancelled), ``started`` (too late), ``too_young``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class SignupResult:
    signup: Signup
    status: str  # "confirmed" | "waitlisted"
    waitlist_position: int | None = None
    #: Gentle notes (overlaps, weekly budget); they never block a sign-up.
    warnings: list[str] = field(default_factory=list)
    #: True when they were already on the roster and nothing changed.
    already: bool = False


# --- the lock ---------------------------------------------------------------------------

def _locking_enabled() -> bool:
    """``SIGNUP_LOCKING=False`` exists only so a control test can show overbooking."""
    return not has_app_context() or current_app.config.get("SIGNUP_LOCKING", True)


def lock_occurrence(session: Session, occurrence_id: int) -> Occurrence | None:
    """Take the seat lock and return the occurrence with fresh values (None if missing)."""
    stmt = select(Occurrence).where(Occurrence.id == occurrence_id).execution_options(
        populate_existing=True)
    if not _locking_enabled():
        occ = session.scalar(stmt)
        # Test-only: widen the read-then-write window of the unlocked path.
        pause = current_app.config.get("SIGNUP_RACE_SLEEP", 0) if has_app_context() else 0
        if pause:
            time.sleep(pause)
        return occ
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE; a write takes the database lock up front instead
        # of a read lock that would have to be upgraded (and could fail) later.
        session.execute(update(Occurrence).where(Occurrence.id == occurrence_id)
                        .values(confirmed_count=Occurrence.confirmed_count))
    return session.scalar(stmt.with_for_update())


# --- reading ------------------------------------------------------------------------------

def is_small_act(occ: Occurrence) -> bool:
    return occ.opportunity.kind == OpportunityKind.SMALL_ACT


def closes_at(occ: Occurrence) -> datetime:
    """Last moment to sign up: the start, or for a small act the end of its do-by day."""
    return occ.ends_at if is_small_act(occ) else occ.starts_at


def find_signup(session: Session, occurrence_id: int, user_id: int) -> Signup | None:
    return session.scalar(select(Signup).where(
        Signup.occurrence_id == occurrence_id, Signup.user_id == user_id))


def waitlist_position(session: Session, signup: Signup) -> int | None:
    """1 for the next in line; None unless the sign-up is waiting. FIFO by (queued_at, id)."""
    if signup.status != SignupStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count()).select_from(Signup).where(
            Signup.occurrence_id == signup.occurrence_id,
            Signup.status == SignupStatus.WAITLISTED,
            or_(Signup.queued_at < signup.queued_at,
                and_(Signup.queued_at == signup.queued_at, Signup.id < signup.id)),
        )
    )
    return int(ahead or 0) + 1


def commitments(session: Session, user: User, now: datetime | None = None) -> Select:
    """The resident's upcoming confirmed and waiting sign-ups, soonest first.

    Returns a ``Select`` of :class:`Signup` (occurrence and opportunity loaded) so
    the page and the API can paginate it.
    """
    now = now or utcnow()
    return (
        select(Signup)
        .join(Signup.occurrence)
        .join(Occurrence.opportunity)
        .options(contains_eager(Signup.occurrence).contains_eager(Occurrence.opportunity))
        .where(
            Signup.user_id == user.id,
            Signup.status.in_(ACTIVE),
            Occurrence.ends_at > now,
            Occurrence.cancelled_at.is_(None),
            Opportunity.status == OpportunityStatus.PUBLISHED,
        )
        .order_by(Occurrence.starts_at, Signup.id)
    )


# --- rules ----------------------------------------------------------------------------------

def _check_open(occ: Occurrence | None, user: User, now: datetime) -> Occurrence:
    if occ is None:
        raise SignupError("not_found", "We could not find that date.")
    opp = occ.opportunity
    if (opp.status != OpportunityStatus.PUBLISHED or opp.cancelled_at is not None
            or occ.cancelled_at is not None):
        raise SignupError("not_open", "Sorry — this is not taking sign-ups: the organizer "
                                      "has cancelled it or not published it yet.")
    if now >= closes_at(occ):
        raise SignupError("started", "Sorry — sign-ups for this have closed, because it "
                                     "has already started or its date has passed.")
    if opp.min_age >= ADULT_AGE and not (user.profile and user.profile.is_adult):
        raise SignupError(
            "too_young",
            f"This is for people aged {opp.min_age} or over. If you are, please tick "
            "“I am 18 or over” on your profile page, then sign up again.")
    return occ


def _user_zone(user: User) -> ZoneInfo:
    name = (user.profile.timezone if user.profile else "") or (
        current_app.config.get("DEFAULT_TIMEZONE") if has_app_context() else "") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _minutes(occ: Occurrence) -> int:
    """Time a commitment asks for: the stated effort of a small act, else its length."""
    if is_small_act(occ):
        return occ.opportunity.duration_minutes
    return int((occ.ends_at - occ.starts_at).total_seconds() // 60)


def _moment(occ: Occurrence, signed_up_at: datetime) -> datetime:
    """When a commitment "happens" for the weekly budget: a small act, when taken on."""
    return max(signed_up_at, occ.starts_at) if is_small_act(occ) else occ.starts_at


def warnings_for(session: Session, user: User, occ: Occurrence, now: datetime) -> list[str]:
    """Kind notes when this sign-up overlaps another or passes the weekly budget."""
    others = [s for s in session.scalars(commitments(session, user, now))
              if s.occurrence_id != occ.id]
    notes: list[str] = []
    if not is_small_act(occ):
        clash = [s for s in others if not is_small_act(s.occurrence)
                 and s.occurrence.starts_at < occ.ends_at and occ.starts_at < s.occurrence.ends_at]
        if clash:
            notes.append(f"This overlaps with “{clash[0].occurrence.opportunity.title}”, which "
                         "you have also signed up for. If you cannot do both, you can pass one "
                         "place on from “My commitments”.")
    profile = user.profile
    if profile is None:
        return notes
    zone = _user_zone(user)
    week = _moment(occ, now).astimezone(zone).isocalendar()[:2]
    same_week = [s for s in others
                 if _moment(s.occurrence, s.queued_at).astimezone(zone).isocalendar()[:2] == week]
    minutes = sum(_minutes(s.occurrence) for s in same_week) + _minutes(occ)
    if minutes > profile.weekly_minutes:
        notes.append(f"That week this brings you to about {_hours(minutes)}, more than the "
                     f"{_hours(profile.weekly_minutes)} you said suits you. Please only keep it "
                     "if it still feels good.")
    if len(same_week) + 1 > profile.max_commitments_per_week:
        notes.append(f"That week you now have {len(same_week) + 1} commitments; you said "
                     f"{profile.max_commitments_per_week} a week suits you. It is fine to say no "
                     "to some things.")
    return notes


def _hours(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    h = round(minutes / 60, 1)
    return f"{h:g} hour" if h == 1 else f"{h:g} hours"


# --- changing --------------------------------------------------------------------------------

def _result(session: Session, signup: Signup, warnings: list[str],
            already: bool = False) -> SignupResult:
    return SignupResult(signup=signup, status=str(signup.status),
                        waitlist_position=waitlist_position(session, signup),
                        warnings=warnings, already=already)


def sign_up(session: Session, occurrence_id: int, user: User, *, share_email: bool = False,
            share_phone: str = "", now: datetime | None = None) -> SignupResult:
    """Put ``user`` on the occurrence: a seat while any are left, else the waiting list.

    Idempotent: someone already on the roster gets their existing row back. A
    released or cancelled row is taken up again (new place in line). Raises
    :class:`SignupError` when the rules say no. Flushes; the caller commits.
    """
    if not user.is_verified:
        raise SignupError("unverified", "Please confirm your email address first: open the "
                                        "link we sent you, then sign up again.")
    occ = _check_open(lock_occurrence(session, occurrence_id), user, now or utcnow())
    # The time is read after the lock, so the order in line is the order of the lock.
    now = now or utcnow()
    existing = find_signup(session, occ.id, user.id)
    if existing is not None:
        session.refresh(existing)
        if existing.status in ACTIVE:
            return _result(session, existing, [], already=True)
    warnings = warnings_for(session, user, occ, now)
    signup = existing or Signup(occurrence_id=occ.id, user_id=user.id, created_at=now)
    # A real place, or (if the organizer allows it) a safe overbooked one.
    confirmed = seating.may_confirm(session, occ, user.id, now)
    signup.status = SignupStatus.CONFIRMED if confirmed else SignupStatus.WAITLISTED
    signup.queued_at = now
    signup.confirmed_at = now if confirmed else None
    signup.released_at = None
    signup.share_email = bool(share_email)
    signup.share_phone = (share_phone or "").strip()[:40]
    signup.confirmation_sent_at = signup.waitlist_sent_at = signup.promotion_sent_at = None
    signup.reminder_early_sent_at = signup.reminder_late_sent_at = None
    signup.attendance_ask_sent_at = None
    if existing is None:
        try:
            with session.begin_nested():
                session.add(signup)
        except IntegrityError:
            # Only reachable without the lock: a twin request inserted first.
            return _result(session, find_signup(session, occ.id, user.id), [], already=True)
    if confirmed:
        occ.confirmed_count = occ.confirmed_count + 1
        seating.record_confirmation(occ)
    session.flush()
    return _result(session, signup, warnings)


def promote_waiting(session: Session, occ: Occurrence, now: datetime | None = None) -> list[Signup]:
    """Move people up from the waiting list, first in line first, while seats are free.

    The caller must hold the lock (:func:`lock_occurrence`). Nobody is promoted
    into something that has started or was cancelled.
    """
    now = now or utcnow()
    if occ.cancelled_at is not None or now >= closes_at(occ):
        return []
    promoted = []
    while True:
        nxt = session.scalar(
            select(Signup).where(Signup.occurrence_id == occ.id,
                                 Signup.status == SignupStatus.WAITLISTED)
            .order_by(Signup.queued_at, Signup.id).limit(1)
        )
        # Close to the start overbooking stops, so only real places are filled.
        if nxt is None or not seating.may_confirm(session, occ, nxt.user_id, now):
            break
        nxt.status = SignupStatus.CONFIRMED
        nxt.confirmed_at = now
        occ.confirmed_count = occ.confirmed_count + 1
        seating.record_confirmation(occ)
        session.flush()
        promoted.append(nxt)
    return promoted


def release(session: Session, signup: Signup, now: datetime | None = None) -> Signup | None:
    """"Pass my spot on": free the seat (or the place in line), with no penalty.

    Returns the sign-up that moved up into the freed seat, if any. Releasing twice
    is harmless. Flushes; the caller commits and sends the promotion email.
    """
    occ = lock_occurrence(session, signup.occurrence_id)
    now = now or utcnow()
    session.refresh(signup)
    if signup.status not in ACTIVE or occ is None:
        return None
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.status = SignupStatus.RELEASED
    signup.released_at = now
    if was_confirmed:
        occ.confirmed_count = max(occ.confirmed_count - 1, 0)
    session.flush()
    promoted = promote_waiting(session, occ, now) if was_confirmed else []
    return promoted[0] if promoted else None


def get_own_signup(session: Session, signup_id: int, user: User) -> Signup | None:
    """The sign-up if it belongs to ``user``; None otherwise (views answer 404 either way)."""
    signup = session.get(Signup, signup_id)
    if signup is None or signup.user_id != user.id:
        return None
    return signup


def new_calendar_link(session: Session, user: User) -> None:
    """Revoke the old private calendar URL: tokens carry the version number."""
    user.calendar_feed_version = (user.calendar_feed_version or 0) + 1
    session.flush()


def format_span(occ: Occurrence) -> str:
    """Plain words for when: "Saturday 14 June 2025, 9:00 am to 11:00 am (New York time)"."""
    opp = occ.opportunity
    try:
        zone = ZoneInfo(opp.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    start, end = occ.starts_at.astimezone(zone), occ.ends_at.astimezone(zone)
    place = opp.timezone.rsplit("/", 1)[-1].replace("_", " ")
    if is_small_act(occ):
        return f"Any time until {_day(end - timedelta(seconds=1))}"
    if start.date() == end.date():
        return f"{_day(start)}, {_clock(start)} to {_clock(end)} ({place} time)"
    return f"{_day(start)}, {_clock(start)} to {_day(end)}, {_clock(end)} ({place} time)"


def _day(dt: datetime) -> str:
    return f"{dt:%A} {dt.day} {dt:%B %Y}"


def _clock(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'am' if dt.hour < 12 else 'pm'}"
