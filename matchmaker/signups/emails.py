"""The three emails about a sign-up: you're in, you're on the waiting list, you moved up.

Each is sent by a job after the commit, and at most once: the job checks that the
sign-up is still in the state the email describes and that its ``*_sent_at``
column is empty, sends, then stamps the column and commits. If the mail server
refuses, MailError propagates and the column stays empty, so a retry sends it.
"""

from __future__ import annotations

import logging

from matchmaker.db import db, utcnow
from matchmaker.mail import send_email
from matchmaker.models import Signup, SignupStatus
from matchmaker.signups import services
from matchmaker.signups.calendar_events import signup_event
from matchmaker.signups.ics import build_calendar
from matchmaker.signups.links import opportunity_link
from matchmaker.urls import external_url

log = logging.getLogger(__name__)

#: kind -> (template, status the sign-up must still have, column guarding "sent once")
KINDS = {
    "confirmed": ("signup_confirmed", SignupStatus.CONFIRMED, "confirmation_sent_at"),
    "waitlisted": ("signup_waitlisted", SignupStatus.WAITLISTED, "waitlist_sent_at"),
    "promoted": ("promoted", SignupStatus.CONFIRMED, "promotion_sent_at"),
}


def send_signup_email(signup_id: int, kind: str) -> bool:
    """Send one sign-up email if it is still true and not yet sent. Returns True if sent."""
    template, status, column = KINDS[kind]
    session = db.session
    signup = session.get(Signup, signup_id)
    if signup is None or signup.status != status or getattr(signup, column) is not None:
        log.info("sign-up %s: no %s email to send", signup_id, kind)
        return False
    occ = signup.occurrence
    attachments = []
    if status == SignupStatus.CONFIRMED:
        # The calendar file travels with the email, so adding it is one tap even
        # for someone who never signs in to the site.
        ics = build_calendar([signup_event(signup)], stamp=utcnow())
        attachments.append((f"matchmaker-{signup.id}.ics", "text/calendar", ics))
    send_email(
        template, signup.user.email, attachments=attachments,
        user=signup.user, signup=signup, occurrence=occ, opportunity=occ.opportunity,
        when=services.format_span(occ),
        position=services.waitlist_position(session, signup),
        link=opportunity_link(occ),
        ics_link=external_url("signups.signup_ics", id=signup.id),
        commitments_link=external_url("signups.commitments"),
    )
    setattr(signup, column, utcnow())
    session.commit()
    return True
