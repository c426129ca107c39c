"""'Delete my account': personal data goes everywhere; organizations keep anonymous counts.

What stays, and why. Organizations' figures (matchmaker.metrics) count sign-ups
and attendance, and some of them follow *one person* over time: first-timers
who came back within 30 days, regulars, the monthly cohorts. So the account row
becomes a **tombstone** instead of disappearing: every personal column is
overwritten (a random address in the reserved ``.invalid`` domain, a generic
name, no password, no profile, no contact details on any sign-up) and the past
sign-ups stay attached to it. The figures stay exactly as they were, and unique
keys (one sign-up per person and date) keep holding.

Two other shapes were rejected. A NULL ``signups.user_id`` would merge every
deleted person into one "person" in those per-person figures (and needs the
unique key relaxed). One shared tombstone for everyone breaks the unique key as
soon as two deleted people were at the same date. A per-person tombstone keeps
nothing that names the person: its id is a meaningless number, its creation
time is reset, and what it still links (which dates someone went to) is the
anonymous history the counts are made of. Nothing derived from the old address
or name is kept, so the row cannot be matched back to the person, and the
address is free to register again.

Every (table, column) that holds a person's id has an entry in :data:`PLAN`;
the tests walk the metadata and fail on a column without one.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from matchmaker.account.schema import job_names_person
from matchmaker.db import Base, utcnow
from matchmaker.models import (
    GeocodeCacheEntry,
    Invitation,
    Membership,
    Occurrence,
    Organization,
    Profile,
    QueuedJob,
    Role,
    Signup,
    User,
)
from matchmaker.signups import services as signup_services
from matchmaker.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

#: RFC 6761 reserves ``.invalid``: no mail server will ever accept an address in it,
#: and matchmaker.mail drops such messages before trying.
DELETED_DOMAIN = "deleted.invalid"
DELETED_NAME = "A former member"
#: Not an argon2 hash, so no password can ever match it.
NO_PASSWORD = "!"  # nosec B105 - a marker no argon2 hash equals, not a password


class Action(enum.StrEnum):
    DELETE = "delete the rows"
    FORGET = "keep the row, set the column to empty"
    KEEP = "keep, pointing at the anonymous tombstone"


#: What happens to each column that holds the person's id.
PLAN: dict[tuple[str, str], Action] = {
    ("users", "id"): Action.KEEP,                      # becomes the tombstone (below)
    ("signups", "user_id"): Action.KEEP,               # the organizations' counts; scrubbed
    ("profiles", "user_id"): Action.DELETE,
    ("profile_tags", "user_id"): Action.DELETE,
    ("availability_windows", "user_id"): Action.DELETE,
    ("login_sessions", "user_id"): Action.DELETE,      # signed out everywhere
    ("api_tokens", "user_id"): Action.DELETE,
    ("memberships", "user_id"): Action.DELETE,         # after any hand-over (see blockers)
    ("group_members", "user_id"): Action.DELETE,
    ("reflections", "user_id"): Action.DELETE,
    ("milestone_awards", "user_id"): Action.DELETE,
    ("buddy_intros", "newcomer_id"): Action.DELETE,
    ("buddy_intros", "regular_id"): Action.DELETE,
    ("recommendations", "user_id"): Action.DELETE,
    ("match_alerts", "user_id"): Action.DELETE,
    ("digest_outbox", "user_id"): Action.DELETE,       # pending digests are cancelled
    ("roster_message_recipients", "user_id"): Action.DELETE,
    # Messages they wrote as an organizer are their words (often signed with their
    # name and number); nothing shows old messages, and unsent ones are cancelled.
    ("roster_messages", "sender_id"): Action.DELETE,
    ("opportunities", "created_by_id"): Action.FORGET,  # the organization's, not theirs
    ("import_runs", "created_by_id"): Action.FORGET,
    ("organizations", "verified_by_id"): Action.FORGET,
    ("invitations", "invited_by_id"): Action.FORGET,
    ("invitations", "accepted_by_id"): Action.FORGET,
}

#: Personal columns of the rows that are kept, and the empty value each gets.
SCRUB_SIGNUPS = {"note": "", "share_phone": "", "share_email": False}


@dataclass(frozen=True)
class Handover:
    """An organization the person owns alone, and who takes it over (None: nobody can)."""

    organization: Organization
    successor: User | None


class DeletionBlocked(Exception):
    """The account cannot be deleted yet; the message says what to do first."""


def handovers(session: Session, user: User) -> list[Handover]:
    """Organizations ``user`` is the only owner of, each with the co-organizer who
    would take it over: the one who has helped run it longest."""
    out = []
    owned = session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                     Membership.role == "owner"))
    for mine in owned:
        others = session.scalars(
            select(Membership).where(Membership.organization_id == mine.organization_id,
                                     Membership.user_id != user.id)
            .order_by(Membership.created_at, Membership.id)).all()
        if any(m.role == "owner" for m in others):
            continue  # someone else owns it too: nothing to hand over
        successor = others[0].user if others else None
        out.append(Handover(mine.organization, successor))
    return out


def blocked_by(session: Session, user: User) -> list[Organization]:
    """Organizations run by ``user`` alone: they need a new owner before the account goes."""
    return [h.organization for h in handovers(session, user) if h.successor is None]


def _release_future_signups(session: Session, user: User, now) -> None:
    """Pass on every place and waiting-list spot for dates that have not started,
    through the usual service, so the next person in line moves up and is told.

    "Not started" is also the line the figures draw: they count dates that started
    in the period, so a date under way (or a small act whose window is open) keeps
    its sign-up, on the tombstone, and no figure moves."""
    upcoming = session.scalars(
        select(Signup).join(Occurrence, Signup.occurrence_id == Occurrence.id)
        .where(Signup.user_id == user.id, Signup.status.in_(signup_services.ACTIVE),
               Occurrence.starts_at > now)
        .order_by(Signup.id)).all()
    for signup in upcoming:
        promoted = signup_services.release(session, signup, now)
        if promoted is not None:
            enqueue_after_commit("workers.jobs.send_signup_email", promoted.id, "promoted",
                                 session=session)


def _cancel_pending_jobs(session: Session, user: User) -> int:
    signup_ids = set(session.scalars(select(Signup.id).where(Signup.user_id == user.id)))
    pending = session.scalars(select(QueuedJob).where(QueuedJob.dispatched_at.is_(None))).all()
    doomed = [job.id for job in pending
              if job_names_person(job.func, job.args, user.id, signup_ids)]
    if doomed:
        session.execute(delete(QueuedJob).where(QueuedJob.id.in_(doomed)))
    return len(doomed)


def _forget_home_lookups(session: Session, profile: Profile | None) -> None:
    """Drop cached geocoder answers for the person's home area.

    The cache has no owner column, but its key is the text someone typed. Every
    entry that resolved to their area (same label) or whose text is their label
    goes; the cache simply looks the place up again next time someone asks.
    """
    if profile is None or not profile.home_label:
        return
    from matchmaker.geo.text import normalise_query

    typed = normalise_query(profile.home_label)
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Keys are "<geocoder>:<text>", whichever geocoder answered.
    session.execute(delete(GeocodeCacheEntry).where(or_(
        GeocodeCacheEntry.label == profile.home_label,
        GeocodeCacheEntry.key.like(f"%:{escaped}", escape="\\"))))


def _apply_plan(session: Session, user_id: int) -> None:
    # Children before parents (profile_tags before profiles), so foreign keys hold.
    for table in reversed(Base.metadata.sorted_tables):
        for column in table.columns:
            action = PLAN.get((table.name, column.name))
            if action is Action.DELETE:
                session.execute(delete(table).where(column == user_id))
            elif action is Action.FORGET:
                session.execute(update(table).where(column == user_id).values({column.name: None}))


def _tombstone(session: Session, user_id: int, now) -> None:
    session.execute(update(User).where(User.id == user_id).values(
        email=f"deleted-{secrets.token_hex(12)}@{DELETED_DOMAIN}",
        display_name=DELETED_NAME, password_hash=NO_PASSWORD, role=Role.RESIDENT,
        created_at=now, email_verified_at=None, password_changed_at=now, failed_logins=0,
        locked_until=None, last_login_at=None, is_active=False,
        calendar_feed_version=User.calendar_feed_version + 1,  # old feed links stop working
        email_bouncing_at=None, email_bounce_reason="",
    ))


def delete_account(session: Session, user: User, now=None) -> None:
    """Remove ``user``'s personal data everywhere; flushes, never commits.

    Raises :class:`DeletionBlocked` (before changing anything) when they run an
    organization nobody else helps with. An organization with co-organizers is
    handed to the longest-serving one.
    """
    now = now or utcnow()
    plan = handovers(session, user)
    stuck = [h.organization.name for h in plan if h.successor is None]
    if stuck:
        raise DeletionBlocked(
            f"You are the only person running {', '.join(stuck)}. Please invite someone to "
            "help run it first, so it can be handed over to them.")
    for handover in plan:
        session.execute(update(Membership).where(
            Membership.organization_id == handover.organization.id,
            Membership.user_id == handover.successor.id).values(role="owner"))
    _release_future_signups(session, user, now)
    _cancel_pending_jobs(session, user)
    _forget_home_lookups(session, session.get(Profile, user.id))
    session.execute(delete(Invitation).where(Invitation.email == user.email))
    session.flush()
    user_id = user.id
    _apply_plan(session, user_id)
    session.execute(update(Signup).where(Signup.user_id == user_id).values(SCRUB_SIGNUPS))
    _tombstone(session, user_id, now)
    # The bulk statements bypassed the identity map: reload anything read again.
    session.expire_all()
    log.info("account %s deleted (tombstone kept for anonymous counts)", user_id)
