"""The "a new opportunity suits you very well" email (opt-in, capped per week).

Rules, in order: the resident opted in (``Profile.notify_strong_matches``) and
is active; they were never told about this occurrence (one ``MatchAlert`` row
per resident and occurrence, unique); fewer than ``MATCH_EMAILS_PER_WEEK`` such
emails went to them in the last seven days. The row is claimed and committed
before the send and stamped ``sent_at`` after it: a job run twice finds the
stamp and sends nothing; a send that failed leaves the stamp empty, and the
next run retries it (within the cap).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.mail import send_email
from matchmaker.models import MatchAlert, Occurrence, Profile, User
from matchmaker.signups.links import opportunity_link
from matchmaker.signups.services import format_span
from matchmaker.urls import external_url

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)


def sent_this_week(session: Session, user_id: int, now: datetime) -> int:
    return session.scalar(
        select(func.count()).select_from(MatchAlert)
        .where(MatchAlert.user_id == user_id, MatchAlert.sent_at.is_not(None),
               MatchAlert.sent_at > now - WEEK)
    ) or 0


def _claim(session: Session, user_id: int, occurrence_id: int) -> MatchAlert | None:
    """The alert row to send, or None if this occurrence was already emailed.

    Also None when another date of the same opportunity was emailed: a weekly
    shift is one piece of news, not one email a week.
    """
    alert = session.scalar(select(MatchAlert).where(MatchAlert.user_id == user_id,
                                                    MatchAlert.occurrence_id == occurrence_id))
    if alert is not None:
        return None if alert.sent_at is not None else alert
    same_opportunity = select(Occurrence.opportunity_id).where(
        Occurrence.id == occurrence_id).scalar_subquery()
    if session.scalar(select(MatchAlert.id).join(Occurrence)
                      .where(MatchAlert.user_id == user_id, MatchAlert.sent_at.is_not(None),
                             Occurrence.opportunity_id == same_opportunity).limit(1)):
        return None
    alert = MatchAlert(user_id=user_id, occurrence_id=occurrence_id)
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:  # another job claimed it a moment ago
        return None
    session.commit()
    return alert


def send_strong_match_alerts(session: Session, strong: dict, *, now: datetime | None = None) -> int:
    """Email each opted-in resident about their strong match. Returns emails sent.

    ``strong`` is ``{user_id: (occurrence_id, score, reasons)}`` from
    ``services.match_opportunity``. Commits (claims and stamps) as it goes.
    """
    now = now or utcnow()
    cap = int(current_app.config.get("MATCH_EMAILS_PER_WEEK", 2))
    if not strong or cap <= 0:
        return 0
    opted_in = set(session.scalars(
        select(Profile.user_id).join(User, User.id == Profile.user_id)
        .where(Profile.user_id.in_(sorted(strong)), Profile.notify_strong_matches.is_(True),
               User.is_active.is_(True))).all())
    sent = 0
    for user_id in sorted(opted_in):
        occurrence_id, _score, reasons = strong[user_id]
        if sent_this_week(session, user_id, now) >= cap:
            log.info("match alert for user %s not sent: %d this week already", user_id, cap)
            continue
        alert = _claim(session, user_id, occurrence_id)
        if alert is None:
            continue
        user = session.get(User, user_id)
        occ = session.get(Occurrence, occurrence_id)
        send_email(
            "strong_match", user.email, user=user, occurrence=occ, opportunity=occ.opportunity,
            when=format_span(occ), reasons=list(reasons), link=opportunity_link(occ),
            for_you_link=external_url("recommendations.for_you"),
            settings_link=external_url("digests.settings"), cap=cap,
        )
        alert.sent_at = now
        session.commit()
        sent += 1
    return sent
