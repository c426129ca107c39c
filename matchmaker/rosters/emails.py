"""Sending an organizer's message to each person on a roster, once each."""

from __future__ import annotations

import logging

from sqlalchemy import select

from matchmaker.db import db, utcnow
from matchmaker.mail import get_mailer, render_email
from matchmaker.models import Occurrence, RosterMessage, RosterMessageRecipient, User
from matchmaker.rosters.services import when_label

log = logging.getLogger(__name__)


def send_roster_message(message_id: int) -> int:
    """Email every recipient not yet sent their copy. Returns how many were sent now.

    Each recipient's ``sent_at`` is committed right after their email goes out,
    so a retry after a failure half-way sends only to the rest. If the mail
    server refuses, MailError propagates and the job can be run again.
    """
    session = db.session
    message = session.get(RosterMessage, message_id)
    if message is None or message.sent_at is not None:
        log.info("roster message %s: nothing to send", message_id)
        return 0
    occ = session.get(Occurrence, message.occurrence_id)
    opp = occ.opportunity
    sender = session.get(User, message.sender_id) if message.sender_id else None
    pending = session.scalars(
        select(RosterMessageRecipient).where(RosterMessageRecipient.message_id == message.id,
                                             RosterMessageRecipient.sent_at.is_(None))
        .order_by(RosterMessageRecipient.id)).all()
    sent = 0
    for recipient in pending:
        user = session.get(User, recipient.user_id)
        if user is not None and user.is_active:
            email = render_email(
                "roster_message", user.email, message=message, recipient=user,
                paragraphs=[p for p in message.body.split("\n\n") if p.strip()],
                opportunity=opp, organization=opp.organization, when=when_label(occ),
                sender_name=sender.display_name if sender else opp.organization.name,
            )
            if message.reply_to:
                email.headers["Reply-To"] = message.reply_to
            get_mailer().send(email)
            sent += 1
        recipient.sent_at = utcnow()
        session.commit()
    message.sent_at = utcnow()
    session.commit()
    return sent
