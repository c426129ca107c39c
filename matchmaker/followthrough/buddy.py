"""First-timer buddies: introduce a newcomer to a regular going to the same date.

Newcomers who come alone are the least likely to return. So a few days before
an occurrence, a resident who has never attended anything with the
organization and a *regular* (3 or more attended with it) who are both
confirmed, and who both said yes to buddies on their profile, get one email
each: "Maria has been 5 times and will look out for you". First names only; no
contact details change hands. The organization can switch this off.

Run by a cron sweep (:func:`sweep`). Exactly once per pair per occurrence: the
:class:`BuddyIntro` row is the guard (unique pair), and each side's email is
claimed with a conditional UPDATE before it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker import holds
from matchmaker.db import db, utcnow
from matchmaker.followthrough.after import first_name
from matchmaker.followthrough.impact import attended_clause
from matchmaker.mail import MailError, send_email
from matchmaker.models import (
    BuddyIntro,
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Organization,
    Profile,
    Signup,
    SignupStatus,
    User,
)
from matchmaker.signups.links import opportunity_link
from matchmaker.signups.services import format_span
from matchmaker.urls import external_url

log = logging.getLogger(__name__)

#: Introductions go out from this long before the start ...
HORIZON = timedelta(days=3)
#: ... until this long before it (later, an email is unlikely to be read in time).
CUTOFF = timedelta(hours=2)
#: Attended this many times with the organization (or its group) = a regular.
REGULAR_MIN = 3
#: A regular looks out for at most this many newcomers on one date.
PER_REGULAR = 2


# --- pure: who looks out for whom --------------------------------------------------------------

def plan_pairs(newcomers: Sequence[int], regulars: Sequence[tuple[int, int]],
               load: dict[int, int] | None = None,
               per_regular: int = PER_REGULAR) -> list[tuple[int, int]]:
    """(newcomer, regular) pairs: the most experienced regulars first, spread evenly.

    ``regulars`` are (user id, times attended); ``load`` is how many newcomers
    each regular already looks out for on this date. Newcomers left over when
    every regular is full are not introduced (better none than an overloaded one).
    """
    load = dict(load or {})
    ranked = sorted(regulars, key=lambda r: (-r[1], r[0]))
    pairs = []
    for newcomer in newcomers:
        free = [r for r, _ in ranked if r != newcomer and load.get(r, 0) < per_regular]
        if not free:
            break
        chosen = min(free, key=lambda r: load.get(r, 0))  # stable: ranked order breaks ties
        load[chosen] = load.get(chosen, 0) + 1
        pairs.append((newcomer, chosen))
    return pairs


# --- finding pairs -----------------------------------------------------------------------------

def _upcoming(now: datetime):
    return (Occurrence.starts_at > now + CUTOFF, Occurrence.starts_at <= now + HORIZON,
            Occurrence.cancelled_at.is_(None), Opportunity.status == OpportunityStatus.PUBLISHED,
            Opportunity.cancelled_at.is_(None), Opportunity.kind != OpportunityKind.SMALL_ACT,
            Organization.buddy_enabled.is_(True))


def due_occurrence_ids(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(
        select(Occurrence.id).join(Occurrence.opportunity)
        .join(Organization, Organization.id == Opportunity.organization_id)
        .where(*_upcoming(now))
        .order_by(Occurrence.starts_at, Occurrence.id)))


def _opted_in_going(session: Session, occurrence_id: int) -> list[int]:
    return list(session.scalars(
        select(Signup.user_id).join(Profile, Profile.user_id == Signup.user_id)
        .join(User, User.id == Signup.user_id)
        .where(Signup.occurrence_id == occurrence_id, Signup.status == SignupStatus.CONFIRMED,
               Profile.buddy_opt_in.is_(True), User.is_active.is_(True))
        .order_by(Signup.confirmed_at, Signup.id)))


def times_attended(session: Session, user_ids: Sequence[int], opp: Opportunity) -> dict[int, int]:
    """Attended sign-ups per person with the opportunity's organization, and with its
    group when it has one; the larger counts (a group's meetups are the organization's too,
    but a group may later move, so both are asked)."""
    def counts(condition) -> dict[int, int]:
        rows = session.execute(
            select(Signup.user_id, func.count(Signup.id))
            .join(Occurrence, Occurrence.id == Signup.occurrence_id)
            .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
            .where(Signup.user_id.in_(user_ids), attended_clause(), condition)
            .group_by(Signup.user_id))
        return {uid: int(n) for uid, n in rows}

    by_org = counts(Opportunity.organization_id == opp.organization_id)
    by_group = counts(Opportunity.group_id == opp.group_id) if opp.group_id else {}
    return {uid: max(by_org.get(uid, 0), by_group.get(uid, 0)) for uid in user_ids}


def introduce(session: Session, occurrence_id: int) -> list[BuddyIntro]:
    """Record the new pairs for one occurrence (flushes; the caller commits)."""
    occ = session.get(Occurrence, occurrence_id)
    if occ is None:
        return []
    going = _opted_in_going(session, occ.id)
    if len(going) < 2:
        return []
    times = times_attended(session, going, occ.opportunity)
    existing = list(session.scalars(select(BuddyIntro).where(
        BuddyIntro.occurrence_id == occ.id)))
    introduced = {b.newcomer_id for b in existing}
    load: dict[int, int] = {}
    for b in existing:
        load[b.regular_id] = load.get(b.regular_id, 0) + 1
    newcomers = [u for u in going if times[u] == 0 and u not in introduced]
    regulars = [(u, times[u]) for u in going if times[u] >= REGULAR_MIN]
    created = []
    for newcomer, regular in plan_pairs(newcomers, regulars, load):
        row = BuddyIntro(occurrence_id=occ.id, newcomer_id=newcomer, regular_id=regular,
                         regular_times=times[regular])
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another sweep recorded this pair first
            continue
        created.append(row)
    return created


# --- sending -------------------------------------------------------------------------------------

def _still_fits(session: Session, intro: BuddyIntro, now: datetime) -> bool:
    """Both still going and opted in, the organization still allows it, not started yet."""
    occ = session.get(Occurrence, intro.occurrence_id)
    opp = occ.opportunity if occ else None
    if (occ is None or occ.cancelled_at is not None or occ.starts_at <= now
            or not opp.organization.buddy_enabled):
        return False
    going = set(_opted_in_going(session, occ.id))
    return intro.newcomer_id in going and intro.regular_id in going


def _claim(session: Session, intro_id: int, column: str, now: datetime) -> bool:
    col = getattr(BuddyIntro, column)
    result = session.execute(update(BuddyIntro).where(BuddyIntro.id == intro_id, col.is_(None))
                             .values({column: now})
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _unclaim(session: Session, intro_id: int, column: str) -> None:
    session.execute(update(BuddyIntro).where(BuddyIntro.id == intro_id).values({column: None})
                    .execution_options(synchronize_session=False))


def send_intro(intro_id: int, now: datetime | None = None) -> int:
    """Send whichever of the two emails has not gone out. Returns how many were sent."""
    session = db.session
    now = now or utcnow()
    intro = session.get(BuddyIntro, intro_id)
    if intro is None or not _still_fits(session, intro, now):
        session.rollback()
        return 0
    occ = session.get(Occurrence, intro.occurrence_id)
    newcomer = session.get(User, intro.newcomer_id)
    regular = session.get(User, intro.regular_id)
    sides = (("newcomer_sent_at", "buddy_intro_newcomer", newcomer),
             ("regular_sent_at", "buddy_intro_regular", regular))
    sent = 0
    for column, template, to in sides:
        if not _claim(session, intro.id, column, now):
            session.rollback()
            continue
        hold_id = holds.hold(session, _unclaim, intro.id, column)
        session.commit()
        try:
            send_email(template, to.email, first=first_name(to), newcomer=first_name(newcomer),
                       regular=first_name(regular), times=intro.regular_times,
                       opportunity=occ.opportunity, occurrence=occ, when=format_span(occ),
                       link=opportunity_link(occ),
                       settings_link=external_url("digests.settings"))
        except MailError:
            log.exception("buddy intro %s: %s not sent; the next sweep retries", intro.id, column)
            holds.give_back(session, hold_id)
            continue
        holds.settle(session, hold_id)
        sent += 1
    return sent


def sweep(now: datetime | None = None) -> int:
    """Record new pairs for every date in the window, then send what is unsent."""
    session = db.session
    now = now or utcnow()
    for occurrence_id in due_occurrence_ids(session, now):
        introduce(session, occurrence_id)
        session.commit()
    pending = list(session.scalars(
        select(BuddyIntro.id).join(Occurrence, Occurrence.id == BuddyIntro.occurrence_id)
        .where(Occurrence.starts_at > now,
               (BuddyIntro.newcomer_sent_at.is_(None)) | (BuddyIntro.regular_sent_at.is_(None)))
        .order_by(BuddyIntro.id)))
    session.rollback()
    return sum(send_intro(intro_id, now) for intro_id in pending)
