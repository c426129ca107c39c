"""'Download my data': every row about a person, as one JSON document.

Each :class:`Section` names a table and the columns by which a row belongs to
the person; the rows are read generically (every column, except secrets each
left out with a reason). ``tests/privacy`` walks the metadata and fails when a
table holding a user id is neither here nor in :data:`NOT_EXPORTED`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matchmaker.account.schema import job_names_person
from matchmaker.db import Base, utcnow
from matchmaker.models import (
    Occurrence,
    Opportunity,
    Organization,
    QueuedJob,
    RosterMessage,
    RosterMessageRecipient,
    Signup,
    User,
)

FORMAT = "matchmaker-personal-data/1"


@dataclass(frozen=True)
class Section:
    table: str
    #: Columns holding the person's id: a row is theirs when any of them is.
    by: tuple[str, ...]
    #: Columns holding an email address: a row is theirs when it is their address.
    by_email: tuple[str, ...] = ()
    #: Columns left out of the download, each with the reason.
    omit: dict[str, str] = field(default_factory=dict)
    #: What the section is, in plain words (written into the file).
    about: str = ""


_SECRET = "a one-way fingerprint of a secret; no use to you, and a risk if the file went astray"  # nosec B105 - the text shown in place of a secret

SECTIONS: tuple[Section, ...] = (
    Section("users", ("id",), omit={"password_hash": _SECRET},
            about="Your account: name, email address, when you joined and signed in."),
    Section("profiles", ("user_id",),
            about="Your profile. Your home is kept only as the middle of a square about "
                  "1 km wide, never as an address."),
    Section("profile_tags", ("user_id",), about="Causes, skills and access needs you chose."),
    Section("availability_windows", ("user_id",),
            about="Your free times each week (minutes after midnight, Monday is 0)."),
    Section("signups", ("user_id",),
            about="Everything you signed up for, with whether you went."),
    Section("reflections", ("user_id",), about="Your answers to “how did it feel?”."),
    Section("milestone_awards", ("user_id",), about="Your 1st, 3rd, 5th and 10th time."),
    Section("buddy_intros", ("newcomer_id", "regular_id"),
            about="Introductions between a first-timer and a regular."),
    Section("group_members", ("user_id",), about="Groups you joined."),
    Section("memberships", ("user_id",), about="Organizations you help to run."),
    Section("invitations", ("invited_by_id", "accepted_by_id"), by_email=("email",),
            about="Invitations to help run an organization, sent by you or to you."),
    Section("login_sessions", ("user_id",), omit={"token_hash": _SECRET},
            about="Where you are or were signed in."),
    Section("api_tokens", ("user_id",), omit={"token_hash": _SECRET},
            about="Personal API keys (the keys themselves are never stored)."),
    Section("recommendations", ("user_id",), about="What we suggest to you, and why."),
    Section("match_alerts", ("user_id",), about="“This suits you very well” emails."),
    Section("digest_outbox", ("user_id",), about="Your weekly emails: planned and sent."),
    Section("roster_message_recipients", ("user_id",),
            about="Messages organizers sent to everyone signed up (the texts are below)."),
    Section("roster_messages", ("sender_id",), about="Messages you sent as an organizer."),
    Section("opportunities", ("created_by_id",), about="Opportunities you posted."),
    Section("import_runs", ("created_by_id",),
            omit={"payload": "the spreadsheet you uploaded, which is the organization's list "
                             "of opportunities, not information about you"},
            about="Spreadsheets of opportunities you imported."),
    Section("organizations", ("verified_by_id",),
            about="Organizations you checked as a platform administrator."),
)

#: Person columns deliberately left out of the download, with the reason. Empty:
#: everything that holds a person's id is in a section above.
NOT_EXPORTED: dict[tuple[str, str], str] = {}


def plain(value):
    """A JSON-friendly value (dates as ISO 8601 text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(session: Session, section: Section, user: User) -> list[dict]:
    table = Base.metadata.tables[section.table]
    match = [table.c[name] == user.id for name in section.by]
    match += [table.c[name] == user.email for name in section.by_email]
    columns = [c for c in table.columns if c.name not in section.omit]
    primary = list(table.primary_key.columns)
    rows = session.execute(select(*columns).where(or_(*match)).order_by(*primary)).mappings()
    return [{key: plain(value) for key, value in row.items()} for row in rows]


def _signups_in_words(session: Session, user: User) -> list[dict]:
    rows = session.execute(
        select(Signup, Occurrence, Opportunity.title, Organization.name)
        .join(Occurrence, Signup.occurrence_id == Occurrence.id)
        .join(Opportunity, Occurrence.opportunity_id == Opportunity.id)
        .join(Organization, Opportunity.organization_id == Organization.id)
        .where(Signup.user_id == user.id).order_by(Occurrence.starts_at, Signup.id))
    return [{"what": title, "organization": org, "starts_at": plain(occ.starts_at),
             "ends_at": plain(occ.ends_at), "status": signup.status,
             "attendance": signup.attendance}
            for signup, occ, title, org in rows]


def _messages_received(session: Session, user: User) -> list[dict]:
    rows = session.execute(
        select(RosterMessage.subject, RosterMessage.body, RosterMessage.created_at,
               RosterMessageRecipient.sent_at)
        .join(RosterMessageRecipient, RosterMessageRecipient.message_id == RosterMessage.id)
        .where(RosterMessageRecipient.user_id == user.id).order_by(RosterMessage.id))
    return [{"subject": s, "body": b, "written_at": plain(w), "sent_at": plain(t)}
            for s, b, w, t in rows]


def _pending_jobs(session: Session, user: User) -> list[dict]:
    signup_ids = set(session.scalars(select(Signup.id).where(Signup.user_id == user.id)))
    rows = session.scalars(select(QueuedJob).where(QueuedJob.dispatched_at.is_(None))
                           .order_by(QueuedJob.id))
    return [{"task": job.func, "arguments": job.args, "created_at": plain(job.created_at),
             "run_at": plain(job.run_at)}
            for job in rows if job_names_person(job.func, job.args, user.id, signup_ids)]


def personal_data(session: Session, user: User) -> dict:
    """Everything stored about ``user``, ready for ``json.dumps``."""
    return {
        "format": FORMAT,
        "exported_at": plain(utcnow()),
        "about": "Everything matchmaker keeps about you. Times are in UTC. Each table "
                 "below is exactly as stored; “what we left out” lists the few secret "
                 "columns that are not included, and why.",
        "your_signups_in_words": _signups_in_words(session, user),
        "messages_sent_to_you": _messages_received(session, user),
        "emails_and_tasks_waiting": _pending_jobs(session, user),
        "tables": {s.table: {"about": s.about, "rows": _rows(session, s, user)}
                   for s in SECTIONS},
        "what_we_left_out": {f"{s.table}.{name}": why
                             for s in SECTIONS for name, why in s.omit.items()},
    }
