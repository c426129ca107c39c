"""After the event, when nobody marked who came: ask, once each.

``ATTENDANCE_ASK_AFTER_HOURS`` (2 days) after an occurrence ends with confirmed
sign-ups still unmarked, its organizers are asked once to mark the roster
(guard: ``Occurrence.attendance_ask_sent_at``). ``RESIDENT_ASK_AFTER_HOURS``
(a day) after that, each person still unmarked is asked "did you go?" once
(guard: ``Signup.attendance_ask_sent_at``), with two signed one-click links that
open a confirm page (so link-prefetching mail scanners change nothing).

Both guards are claimed with a conditional UPDATE before sending (see
:func:`matchmaker.followthrough.reminders.claim`). Small acts have no roster
to mark at a place, so they are not part of this.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from matchmaker import holds
from matchmaker.db import db, utcnow
from matchmaker.followthrough.attendance import mark
from matchmaker.followthrough.passing import FORGED, LinkError
from matchmaker.followthrough.reminders import claim
from matchmaker.mail import MailError, send_email
from matchmaker.models import (
    Membership,
    Occurrence,
    Opportunity,
    OpportunityKind,
    Signup,
    SignupStatus,
    User,
)
from matchmaker.signups import services as signup_services
from matchmaker.signups.links import opportunity_link
from matchmaker.tokens import fingerprint, make_token, read_token
from matchmaker.urls import external_url

log = logging.getLogger(__name__)

PURPOSE = "attendance-answer"
MAX_AGE_SECONDS = 60 * 60 * 24 * 30
#: Nobody is asked about something older than this (e.g. on the first deploy).
LOOK_BACK = timedelta(days=30)
ANSWERS = {"yes": "attended", "no": "no_show"}


def _hours(name: str, default: int) -> timedelta:
    return timedelta(hours=current_app.config.get(name, default))


def _unmarked():
    return exists().where(Signup.occurrence_id == Occurrence.id,
                          Signup.status == SignupStatus.CONFIRMED,
                          Signup.attendance.is_(None))


def occurrences_to_ask_organizers(session: Session, now: datetime) -> list[int]:
    after = _hours("ATTENDANCE_ASK_AFTER_HOURS", 48)
    return list(session.scalars(
        select(Occurrence.id).join(Occurrence.opportunity)
        .where(Occurrence.ends_at <= now - after, Occurrence.ends_at > now - after - LOOK_BACK,
               Occurrence.cancelled_at.is_(None), Occurrence.attendance_ask_sent_at.is_(None),
               Opportunity.kind != OpportunityKind.SMALL_ACT, _unmarked())
        .order_by(Occurrence.id)))


def signups_to_ask_residents(session: Session, now: datetime) -> list[int]:
    after = _hours("RESIDENT_ASK_AFTER_HOURS", 24)
    return list(session.scalars(
        select(Signup.id).join(Signup.occurrence)
        .where(Occurrence.attendance_ask_sent_at.is_not(None),
               Occurrence.attendance_ask_sent_at <= now - after,
               Occurrence.cancelled_at.is_(None),
               Signup.status == SignupStatus.CONFIRMED, Signup.attendance.is_(None),
               Signup.attendance_ask_sent_at.is_(None))
        .order_by(Signup.id)))


def ask_organizers(occurrence_id: int, now: datetime | None = None) -> int:
    """Email every organizer of the occurrence once. Returns how many emails went out."""
    session = db.session
    now = now or utcnow()
    occ = session.get(Occurrence, occurrence_id)
    if occ is None or occurrence_id not in occurrences_to_ask_organizers(session, now):
        return 0
    hold_id = claim(session, Occurrence, occurrence_id, "attendance_ask_sent_at", now)
    if hold_id is None:
        return 0
    occ = session.get(Occurrence, occurrence_id)
    opp = occ.opportunity
    members = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                              .where(Membership.organization_id == opp.organization_id)
                              .order_by(User.id)).all()
    unmarked = session.scalar(select(func.count()).select_from(Signup).where(
        Signup.occurrence_id == occ.id, Signup.status == SignupStatus.CONFIRMED,
        Signup.attendance.is_(None)))
    roster_link = external_url("rosters.roster", slug=opp.organization.slug,
                               occurrence_id=occ.id)
    sent = 0
    for member in members:
        try:
            send_email("attendance_ask_organizer", member.email, user=member, occurrence=occ,
                       opportunity=opp, when=signup_services.format_span(occ),
                       unmarked=unmarked, roster_link=roster_link)
            sent += 1
        except MailError:
            if sent == 0:  # nobody has it yet: let the next sweep try again
                holds.give_back(session, hold_id)
                raise
            log.exception("attendance ask to organizer %s of occurrence %s failed",
                          member.id, occurrence_id)
    holds.settle(session, hold_id)
    return sent


# --- "did you go?" ------------------------------------------------------------------------

def _state(signup: Signup) -> str:
    return fingerprint(signup.id, signup.status, signup.confirmed_at, signup.attendance)


def answer_token(signup: Signup, answer: str) -> str:
    return make_token(PURPOSE, {"s": signup.id, "a": answer, "f": _state(signup)})


def ask_resident(signup_id: int, now: datetime | None = None) -> bool:
    session = db.session
    now = now or utcnow()
    if signup_id not in signups_to_ask_residents(session, now):
        return False
    hold_id = claim(session, Signup, signup_id, "attendance_ask_sent_at", now)
    if hold_id is None:
        return False
    signup = session.get(Signup, signup_id)
    occ = signup.occurrence
    try:
        send_email("attendance_ask_resident", signup.user.email, user=signup.user,
                   occurrence=occ, opportunity=occ.opportunity,
                   when=signup_services.format_span(occ), link=opportunity_link(occ),
                   yes_link=external_url("followthrough.answer",
                                         token=answer_token(signup, "yes")),
                   no_link=external_url("followthrough.answer",
                                        token=answer_token(signup, "no")))
    except MailError:
        holds.give_back(session, hold_id)
        raise
    holds.settle(session, hold_id)
    return True


def check_answer(session: Session, token: str) -> tuple[Signup, str]:
    """(sign-up, "yes"|"no") for a valid answer link, else :class:`LinkError`."""
    data = read_token(PURPOSE, token, MAX_AGE_SECONDS)
    if data is None or not isinstance(data.get("s"), int) or data.get("a") not in ANSWERS:
        raise FORGED
    signup = session.get(Signup, data["s"])
    if signup is None:
        raise FORGED
    if signup.attendance is not None or data.get("f") != _state(signup):
        raise LinkError(410, "Thank you — we already know",
                        "This has already been answered, so there is nothing more to do.")
    if signup.status != SignupStatus.CONFIRMED:
        raise FORGED
    return signup, data["a"]


def record_answer(session: Session, token: str) -> tuple[Signup, str]:
    signup, answer = check_answer(session, token)
    mark(signup, ANSWERS[answer], "resident")
    session.flush()
    return signup, answer
