"""After the event: one kind email per marked sign-up.

Attended -> a thank-you with the person's own impact (hours, streak, people
met), an optional "how did it feel?" (1-5, one click) and two or three next
suggestions, the same group's next meetup first. Reaching a 1st, 3rd, 5th or
10th completed act rides along in that same email as a short celebration, so a
milestone never arrives as a second message. No-show -> "we missed you" with an
easy way back, never a reproach, and nothing anyone else can see.

Exactly once per sign-up: :func:`claim` sets ``Signup.followup_sent_at`` with
a conditional UPDATE and commits *before* sending, so a second sweep running at
the same time finds nothing to claim. If the mail server refuses, the claim
(and any milestone it carried) is undone so the next sweep tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker import holds
from matchmaker.db import db, utcnow
from matchmaker.followthrough import impact, streaks
from matchmaker.mail import send_email
from matchmaker.models import (
    Group,
    MilestoneAward,
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Reflection,
    Signup,
    SignupStatus,
    User,
)
from matchmaker.models.followthrough_after import MILESTONES
from matchmaker.signups.links import opportunity_link
from matchmaker.signups.services import ACTIVE, format_span
from matchmaker.tokens import make_token
from matchmaker.urls import external_url

log = logging.getLogger(__name__)

#: Wait this long after a sign-up is marked, so an organizer can correct a slip
#: ("no-show" tapped instead of "came") before anyone is emailed.
MARK_GRACE = timedelta(minutes=30)
#: Never write about something marked longer ago than this (a late catch-up of
#: old rosters, or the first run after this feature was switched on).
MAX_AGE = timedelta(days=14)
#: How many next suggestions a thank-you carries.
SUGGESTIONS = 3
REFLECTION_PURPOSE = "reflection"
REFLECTION_MAX_AGE = 60 * 24 * 3600
FEELINGS = {1: "Not good", 2: "So-so", 3: "Okay", 4: "Good", 5: "Wonderful"}


@dataclass(frozen=True)
class Suggestion:
    title: str
    organization: str
    when: str
    link: str
    reason: str


def first_name(user: User) -> str:
    """The first word of the display name: all a buddy or a greeting needs."""
    parts = (user.display_name or "").split()
    return parts[0] if parts else "there"


# --- what is due ------------------------------------------------------------------------------

def due_signup_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Marked, confirmed sign-ups whose follow-up has not gone out, oldest mark first.

    A timed occurrence is followed up once it has ended (a check-in marks people
    at the start); a small act as soon as the grace period after "I did it" ends.
    """
    return list(session.scalars(
        select(Signup.id)
        .join(Occurrence, Occurrence.id == Signup.occurrence_id)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .where(Signup.status == SignupStatus.CONFIRMED,
               Signup.attendance.is_not(None),
               Signup.followup_sent_at.is_(None),
               Signup.attendance_marked_at <= now - MARK_GRACE,
               Signup.attendance_marked_at >= now - MAX_AGE,
               Occurrence.cancelled_at.is_(None),
               or_(Opportunity.kind == OpportunityKind.SMALL_ACT, Occurrence.ends_at <= now))
        .order_by(Signup.attendance_marked_at, Signup.id)
        .limit(limit)
    ))


def claim(session: Session, signup_id: int, now: datetime) -> bool:
    """Take the follow-up of one sign-up for this job. True for exactly one caller."""
    result = session.execute(
        update(Signup)
        .where(Signup.id == signup_id, Signup.followup_sent_at.is_(None),
               Signup.status == SignupStatus.CONFIRMED, Signup.attendance.is_not(None))
        .values(followup_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_claim(session: Session, signup_id: int) -> None:
    session.execute(update(Signup).where(Signup.id == signup_id)
                    .values(followup_sent_at=None, followup_kind="")
                    .execution_options(synchronize_session=False))
    session.execute(delete(MilestoneAward).where(MilestoneAward.signup_id == signup_id)
                    .execution_options(synchronize_session=False))


def award_milestone(session: Session, signup: Signup) -> int | None:
    """The milestone this act reaches (1, 3, 5 or 10), recorded once per person; else None.

    An act's number is its place among the person's completed acts in time order.
    The unique (user, milestone) key means a milestone is never celebrated twice,
    even if acts are marked out of order.
    """
    acts = impact.load_acts(session, signup.user_id)
    number = next((i for i, a in enumerate(acts, start=1) if a.signup_id == signup.id), None)
    if number not in MILESTONES:
        return None
    try:
        with session.begin_nested():
            session.add(MilestoneAward(user_id=signup.user_id, milestone=number,
                                       signup_id=signup.id))
    except IntegrityError:
        return None
    return number


# --- next steps ---------------------------------------------------------------------------------

def _open_for(user_id: int, now: datetime):
    """Conditions on Occurrence/Opportunity: upcoming, bookable, not already on it."""
    mine = select(Signup.occurrence_id).where(Signup.user_id == user_id,
                                               Signup.status.in_(ACTIVE))
    return (Occurrence.starts_at > now, Occurrence.cancelled_at.is_(None),
            Opportunity.status == OpportunityStatus.PUBLISHED,
            Opportunity.cancelled_at.is_(None), Occurrence.id.not_in(mine))


def next_of_group(session: Session, group_id: int | None, user_id: int,
                  now: datetime) -> Occurrence | None:
    if group_id is None:
        return None
    group = session.get(Group, group_id)
    if group is None or group.archived_at is not None:
        return None
    return session.scalar(
        select(Occurrence).join(Occurrence.opportunity)
        .where(Opportunity.group_id == group_id, *_open_for(user_id, now))
        .order_by(Occurrence.starts_at, Occurrence.id).limit(1))


def next_of_opportunity(session: Session, opportunity_id: int, user_id: int,
                        now: datetime) -> Occurrence | None:
    return session.scalar(
        select(Occurrence).join(Occurrence.opportunity)
        .where(Opportunity.id == opportunity_id, *_open_for(user_id, now))
        .order_by(Occurrence.starts_at, Occurrence.id).limit(1))


def _suggestion(occ: Occurrence, reason: str) -> Suggestion:
    opp = occ.opportunity
    return Suggestion(title=opp.title, organization=opp.organization.name,
                      when=format_span(occ), link=opportunity_link(occ), reason=reason)


def next_suggestions(session: Session, signup: Signup, now: datetime,
                     limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The same group's next meetup first, then the matcher's best for this person."""
    from matchmaker.recommendations.queries import top_for_user

    out: list[Suggestion] = []
    seen: set[int] = set()
    opp = signup.occurrence.opportunity
    group_next = next_of_group(session, opp.group_id, signup.user_id, now)
    if group_next is not None:
        out.append(_suggestion(group_next, f"Your group, {opp.group.name}, meets again"))
        seen.add(group_next.id)
    for rec in top_for_user(session, signup.user_id, limit=limit + 2, now=now) or []:
        if len(out) >= limit:
            break
        if rec.occurrence.id in seen:
            continue
        seen.add(rec.occurrence.id)
        out.append(_suggestion(rec.occurrence, rec.reasons[0] if rec.reasons else ""))
    return out[:limit]


def way_back(session: Session, signup: Signup, now: datetime) -> Suggestion | None:
    """For a missed date: the next date of the same thing, else the group's next meetup."""
    opp = signup.occurrence.opportunity
    occ = next_of_opportunity(session, opp.id, signup.user_id, now)
    if occ is not None:
        return _suggestion(occ, "The next date")
    occ = next_of_group(session, opp.group_id, signup.user_id, now)
    return _suggestion(occ, "Your group's next meetup") if occ is not None else None


def reflection_token(signup: Signup) -> str:
    return make_token(REFLECTION_PURPOSE, {"sid": signup.id, "uid": signup.user_id})


def reflection_links(signup: Signup) -> list[tuple[int, str, str]]:
    token = reflection_token(signup)
    return [(n, label, external_url("after.reflect", token=token, answer=n))
            for n, label in FEELINGS.items()]


# --- sending --------------------------------------------------------------------------------------

def send_followup(signup_id: int, now: datetime | None = None) -> str | None:
    """Send the one follow-up of a marked sign-up if nobody has. Returns its kind or None.

    Commits the claim before sending; on a send failure, undoes it and re-raises.
    """
    session = db.session
    now = now or utcnow()
    if not claim(session, signup_id, now):
        session.rollback()
        return None
    signup = session.get(Signup, signup_id)
    session.refresh(signup)
    kind = "thank_you" if signup.attendance == "attended" else "missed_you"
    signup.followup_kind = kind
    milestone = award_milestone(session, signup) if kind == "thank_you" else None
    hold_id = holds.hold(session, _release_claim, signup_id)
    session.commit()
    try:
        if kind == "thank_you":
            _send_thank_you(session, signup, milestone, now)
        else:
            _send_missed_you(session, signup, now)
    except Exception:
        holds.give_back(session, hold_id)
        raise
    holds.settle(session, hold_id)
    log.info("sign-up %s: %s sent", signup_id, kind)
    return kind


def _send_thank_you(session: Session, signup: Signup, milestone: int | None,
                    now: datetime) -> None:
    user = signup.user
    occ = signup.occurrence
    zone = impact.resident_zone(user, _default_zone())
    acts = impact.load_acts(session, user.id)
    moments = [a.moment for a in acts]
    send_email(
        "thank_you", user.email,
        user=user, first=first_name(user), opportunity=occ.opportunity, occurrence=occ,
        small_act=occ.opportunity.kind == OpportunityKind.SMALL_ACT,
        hours=impact.hours_text(sum(a.minutes for a in acts)), acts=len(acts),
        streak=streaks.current_streak(moments, now, zone),
        people_met=impact.people_met(session, user.id),
        milestone=milestone, milestone_text=impact.ordinal(milestone) if milestone else "",
        feelings=reflection_links(signup),
        suggestions=next_suggestions(session, signup, now),
        impact_link=external_url("after.impact"),
        browse_link=external_url("browse.index"),
    )


def _send_missed_you(session: Session, signup: Signup, now: datetime) -> None:
    user = signup.user
    occ = signup.occurrence
    send_email(
        "missed_you", user.email,
        user=user, first=first_name(user), opportunity=occ.opportunity, occurrence=occ,
        way_back=way_back(session, signup, now),
        browse_link=external_url("browse.index"),
    )


def _default_zone() -> str:
    from flask import current_app

    return current_app.config.get("DEFAULT_TIMEZONE") or "UTC"


def sweep(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send every due follow-up. Safe to run twice, and alongside itself."""
    from matchmaker.mail import MailError

    now = now or utcnow()
    ids = due_signup_ids(db.session, now, limit)
    db.session.rollback()
    counts = {"thank_you": 0, "missed_you": 0, "failed": 0}
    for signup_id in ids:
        try:
            kind = send_followup(signup_id, now)
        except MailError:
            log.exception("follow-up of sign-up %s not sent; the next sweep retries", signup_id)
            counts["failed"] += 1
            continue
        if kind:
            counts[kind] += 1
    return counts


# --- "I did it" and the reflection ------------------------------------------------------------

class AfterError(Exception):
    """A problem the person can understand; ``str(exc)`` is shown to them."""


def mark_small_act_done(session: Session, signup: Signup, now: datetime) -> bool:
    """The resident says they did a small act. Returns False if it was already marked.

    Only their own confirmed sign-up for a small act whose window is open (it may
    be marked up to a day after its do-by date, for someone who did it late at
    night). Flushes; the caller commits.
    """
    occ = signup.occurrence
    if occ.opportunity.kind != OpportunityKind.SMALL_ACT:
        raise AfterError("Only small acts can be marked as done here; the organizer "
                         "marks who came to a shift or event.")
    if signup.status != SignupStatus.CONFIRMED or occ.cancelled_at is not None:
        raise AfterError("This is no longer on your list, so it cannot be marked as done.")
    if now < occ.starts_at or now > occ.ends_at + timedelta(days=1):
        raise AfterError("This small act is not open any more.")
    if signup.attendance == "attended":
        return False
    signup.attendance = "attended"
    signup.attendance_marked_at = now
    signup.attendance_source = "resident"
    session.flush()
    return True


def reflection_signup(session: Session, data: dict | None) -> Signup | None:
    """The attended sign-up a reflection token names, or None if it no longer fits."""
    if not data:
        return None
    signup = session.get(Signup, data.get("sid"))
    if signup is None or signup.user_id != data.get("uid") or signup.attendance != "attended":
        return None
    return signup


def save_reflection(session: Session, signup: Signup, feeling: int, now: datetime) -> Reflection:
    """Store (or change) the answer. Flushes; the caller commits."""
    if feeling not in FEELINGS:
        raise AfterError("Please choose one of the five answers.")
    row = session.get(Reflection, signup.id)
    if row is None:
        row = Reflection(signup_id=signup.id, user_id=signup.user_id, feeling=feeling,
                         answered_at=now)
        session.add(row)
    else:
        row.feeling = feeling
        row.answered_at = now
    session.flush()
    return row
