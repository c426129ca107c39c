"""The emails organizations send: an invitation to help run one."""

from __future__ import annotations

import logging

from matchmaker.db import db, utcnow
from matchmaker.mail import send_email
from matchmaker.models import Invitation
from matchmaker.orgs import services
from matchmaker.urls import external_url

log = logging.getLogger(__name__)


def send_invitation(invitation_id: int) -> None:
    """Email the invitation link, once. Commits ``sent_at`` after the send.

    Safe to run twice: a row already sent, accepted, withdrawn or expired is
    skipped. If the mail server refuses, MailError propagates and ``sent_at``
    stays empty, so a retry sends it.
    """
    session = db.session
    inv = session.get(Invitation, invitation_id)
    if inv is None or inv.sent_at is not None or not inv.is_pending():
        log.info("invitation %s: nothing to send", invitation_id)
        return
    link = external_url("orgs.accept_invitation", token=services.invitation_token(inv))
    inviter = inv.invited_by
    send_email(
        "invitation", inv.email,
        invitation=inv, organization=inv.organization,
        inviter_name=inviter.display_name if inviter else "An organizer",
        link=link, expires_on=services.format_date(inv.expires_at),
        days=services.INVITATION_DAYS,
    )
    inv.sent_at = utcnow()
    session.commit()
