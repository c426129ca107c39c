"""The email an opportunity's people get when the organizer cancels it."""

from __future__ import annotations

import logging
from itertools import groupby

from sqlalchemy import select

from matchmaker.db import db, utcnow
from matchmaker.mail import send_email
from matchmaker.models import Occurrence, Opportunity, Signup, SignupStatus
from matchmaker.opportunities.display import when_words
from matchmaker.urls import external_url

log = logging.getLogger(__name__)


def send_cancellation_emails(opportunity_id: int) -> int:
    """Tell each person whose place was cancelled, one email per person (listing
    all their dates). Returns how many emails went out.

    Safe to run twice: ``Signup.cancellation_sent_at`` is committed after each
    person's email, and rows that have it are skipped. If the mail server refuses,
    the error propagates and the rest are retried with the job.
    """
    session = db.session
    opp = session.get(Opportunity, opportunity_id)
    if opp is None:
        return 0
    signups = session.scalars(
        select(Signup).join(Occurrence)
        .where(Occurrence.opportunity_id == opp.id, Signup.status == SignupStatus.CANCELLED,
               Signup.cancellation_sent_at.is_(None))
        .order_by(Signup.user_id, Occurrence.starts_at)
    ).all()
    sent = 0
    for _user_id, group in groupby(signups, key=lambda s: s.user_id):
        mine = list(group)
        person = mine[0].user
        if person.is_active:
            send_email(
                "opportunity_cancelled", person.email,
                person=person, opportunity=opp, organization=opp.organization,
                dates=[when_words(s.occurrence, opp) for s in mine],
                browse_link=external_url("main.index"),
            )
            sent += 1
        for signup in mine:
            signup.cancellation_sent_at = utcnow()
        session.commit()
    log.info("opportunity %s cancelled: %s people told", opportunity_id, sent)
    return sent
