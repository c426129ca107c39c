"""Planning and sending digests, exactly once per (person, kind, period).

The plan (run every 15 minutes by ``rq cron``):

1. find everyone whose local send time has come (:mod:`.schedule`);
2. INSERT their outbox rows with ON CONFLICT DO NOTHING and **commit**: only the
   rows that are new come back, so re-triggering a period plans nothing;
3. enqueue the new row ids in batches; workers run batches in parallel.

Sending one row, in its own short transaction:

* lock it with ``SELECT ... FOR UPDATE SKIP LOCKED`` where it is still pending:
  two workers holding the same id (a batch re-enqueued by the sweep) never
  both send; a worker that dies (even SIGKILL) loses its connection, PostgreSQL
  drops the lock and rolls back, and the row is pending again;
* compose, render, hand to the SMTP server over the batch's one connection;
* set ``sent_at`` and commit. A crash between the server's "250 OK" and that
  commit is the only way to send twice: at most one duplicate per crash.

The sweep (same cron tick) re-enqueues rows left pending by a crash or a
temporary failure, and gives up on rows older than the schedule's ``MAX_LATE``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import Session, selectinload

from matchmaker.db import db, utcnow
from matchmaker.digests import compose, schedule
from matchmaker.mail import (
    Email,
    MailError,
    PermanentMailError,
    TemporaryMailError,
    get_mailer,
    render_email,
)
from matchmaker.models import DigestKind, DigestOutbox, DigestStatus, Membership, Profile, User

log = logging.getLogger(__name__)

JOB = "workers.digest_jobs.send_digest_batch"
_NO_FLUSH_WAIT = text("SET LOCAL synchronous_commit = off")
TEMPLATES = {DigestKind.RESIDENT: "digest_resident", DigestKind.ORGANIZER: "digest_organizer"}


# --- who is due ------------------------------------------------------------------------------------

def _mailable(stmt):
    """Only people we may email: active, confirmed address, not bouncing."""
    return stmt.where(User.is_active.is_(True), User.email_verified_at.is_not(None),
                      User.email_bouncing_at.is_(None))


def resident_preferences(session: Session) -> list[schedule.Preference]:
    rows = session.execute(_mailable(
        select(Profile.user_id, Profile.timezone, Profile.digest_weekday, Profile.digest_hour,
               Profile.digest_frequency)
        .join(User, User.id == Profile.user_id)
        .where(Profile.digest_frequency != "off")))
    return [schedule.Preference(*row) for row in rows]


def organizer_preferences(session: Session) -> list[schedule.Preference]:
    """Organizers use their own profile's digest time, or the defaults without one."""
    default_tz = current_app.config.get("DEFAULT_TIMEZONE") or "UTC"
    members = select(Membership.user_id).distinct().subquery()
    rows = session.execute(_mailable(
        select(User.id, Profile.timezone, Profile.digest_weekday, Profile.digest_hour,
               Profile.digest_frequency)
        .join(members, members.c.user_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)))
    return [schedule.Preference(uid, tz or default_tz, 6 if wd is None else wd,
                                17 if hour is None else hour, freq or "weekly")
            for uid, tz, wd, hour, freq in rows]


def _insert_rows(session: Session, kind: str, due: list[schedule.Due]) -> list[int]:
    """Insert outbox rows; returns the ids of those that did not exist yet."""
    if not due:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    new_ids: list[int] = []
    for chunk in schedule.batches(due, 2000):
        stmt = (insert(DigestOutbox)
                .values([{"user_id": d.user_id, "kind": kind, "period": d.period,
                          "status": DigestStatus.PENDING, "created_at": now, "attempts": 0,
                          "last_error": "", "message_id": ""} for d in chunk])
                .on_conflict_do_nothing(index_elements=["user_id", "kind", "period"])
                .returning(DigestOutbox.id))
        new_ids.extend(session.scalars(stmt).all())
    return sorted(new_ids)


@dataclass
class PlanResult:
    planned: int = 0
    batches: int = 0
    requeued: int = 0
    given_up: int = 0


def plan(session: Session, now: datetime | None = None, *, enqueue=None,
         batch_size: int | None = None, kinds: Iterable[str] = tuple(DigestKind)) -> PlanResult:
    """Record and enqueue everyone due now. Commits the outbox rows before enqueueing."""
    from matchmaker.tasks import enqueue as default_enqueue

    now = now or utcnow()
    enqueue = enqueue or default_enqueue
    batch_size = batch_size or current_app.config.get("DIGEST_BATCH_SIZE", 300)
    result = PlanResult()
    loaders = {DigestKind.RESIDENT: resident_preferences,
               DigestKind.ORGANIZER: organizer_preferences}
    planned: list[int] = []
    for kind in kinds:
        due = list(schedule.due_people(loaders[DigestKind(kind)](session), now))
        planned.extend(_insert_rows(session, kind, due))
    session.commit()  # the rows exist before any worker may send
    result.planned = len(planned)
    for batch in schedule.batches(planned, batch_size):
        enqueue(JOB, batch)
        result.batches += 1
    return result


def sweep(session: Session, now: datetime | None = None, *, retry_after: timedelta | None = None,
          enqueue=None, batch_size: int | None = None) -> PlanResult:
    """Re-enqueue rows still pending after ``retry_after``; give up on very old ones."""
    from matchmaker.tasks import enqueue as default_enqueue

    now = now or utcnow()
    enqueue = enqueue or default_enqueue
    batch_size = batch_size or current_app.config.get("DIGEST_BATCH_SIZE", 300)
    if retry_after is None:
        retry_after = timedelta(seconds=current_app.config.get("DIGEST_RETRY_AFTER_SECONDS", 600))
    result = PlanResult()
    old = (DigestOutbox.status == DigestStatus.PENDING) & (
        DigestOutbox.created_at < now - schedule.MAX_LATE)
    stale = session.scalars(select(DigestOutbox).where(old)).all()
    for row in stale:
        row.status = DigestStatus.SKIPPED
        row.last_error = (row.last_error + " | gave up: too late for this week").strip(" |")[-500:]
    result.given_up = len(stale)
    session.commit()
    ids = list(session.scalars(
        select(DigestOutbox.id).where(DigestOutbox.status == DigestStatus.PENDING,
                                      DigestOutbox.created_at <= now - retry_after)
        .order_by(DigestOutbox.id)))
    for batch in schedule.batches(ids, batch_size):
        enqueue(JOB, batch)
        result.batches += 1
    result.requeued = len(ids)
    return result


# --- sending --------------------------------------------------------------------------------------

@dataclass
class BatchResult:
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0
    not_pending: int = 0


class DigestRenderer:
    """Compose and render digests; per-batch caches (links, small acts) live here."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()
        self.links = compose.Links()
        self._small_acts: compose.SmallActs | None = None
        #: Loaded for a whole batch by :meth:`load`; None means "ask per person".
        self.batch: compose.Prefetch | None = None
        self.users: dict[int, User] = {}
        domain = current_app.extensions["matchmaker.mailer"].domain
        self.unsubscribe_mailbox = current_app.config.get("UNSUBSCRIBE_MAILTO") or \
            f"unsubscribe@{domain}"

    @property
    def small_acts(self) -> compose.SmallActs:
        if self._small_acts is None:
            self._small_acts = compose.SmallActs(self.session, self.now)
        return self._small_acts

    def compose(self, user: User, kind: str, period: str):
        if kind == DigestKind.ORGANIZER:
            return compose.compose_organizer(self.session, user, period, now=self.now,
                                             links=self.links)
        batch = self.batch if self.batch is not None and user.id in self.batch.commitments \
            else None
        return compose.compose_resident(self.session, user, period, now=self.now,
                                        links=self.links, small_acts=self.small_acts,
                                        batch=batch)

    def load(self, user_ids: list[int]) -> None:
        """Read the batch's people and their week in a few queries, up front."""
        ids = sorted(set(user_ids))
        self.users = {u.id: u for u in self.session.scalars(
            select(User).where(User.id.in_(ids)).options(selectinload(User.profile)))}
        self.batch = compose.prefetch(self.session, ids, self.now)

    def render(self, digest, kind: str) -> Email:
        email = render_email(TEMPLATES[DigestKind(kind)], digest.email, d=digest)
        token = self.links.token(digest.user_id)
        # RFC 2369 + RFC 8058: an HTTPS link a mail client may POST to in one
        # click, and a mailto for clients that only do mail.
        email.headers["List-Unsubscribe"] = (
            f"<{self.links.url('digests.unsubscribe', token=token)}>, "
            f"<mailto:{self.unsubscribe_mailbox}?subject=unsubscribe%20{token}>")
        email.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return email


def _lock_pending(session: Session, row_id: int) -> DigestOutbox | None:
    if session.get_bind().dialect.name == "postgresql":
        # Not waiting for the WAL flush of this row's commit: the commit is still
        # atomic and visible at once; only a crash of PostgreSQL itself could lose
        # the last few sent_at marks (= a few duplicates), never a worker crash.
        session.execute(_NO_FLUSH_WAIT)
    return session.scalars(
        select(DigestOutbox)
        .where(DigestOutbox.id == row_id, DigestOutbox.status == DigestStatus.PENDING)
        .with_for_update(skip_locked=True)).first()


def _why_not(user: User | None, kind: str) -> str:
    if user is None or not user.is_active:
        return "account closed"
    if user.email_bouncing_at is not None:
        return "address bouncing"
    profile = user.profile
    if profile is not None and profile.digest_frequency == "off":
        return "digests switched off"
    if kind == DigestKind.RESIDENT and profile is None:
        return "no profile"
    return ""


def send_batch(outbox_ids: list[int], *, now: datetime | None = None) -> BatchResult:
    """Send the digests of these outbox rows over one mail connection."""
    session = db.session
    result = BatchResult()
    renderer = DigestRenderer(session, now)
    renderer.load(list(session.scalars(
        select(DigestOutbox.user_id).where(DigestOutbox.id.in_(list(outbox_ids)),
                                           DigestOutbox.status == DigestStatus.PENDING))))
    session.commit()  # end the read; each row then gets a short transaction of its own
    _send_rows(session, renderer, outbox_ids, result)
    return result


def _send_rows(session: Session, renderer: DigestRenderer, outbox_ids: list[int],
               result: BatchResult) -> None:
    config = current_app.config
    with get_mailer().connection(attempts=config.get("MAIL_RETRY_ATTEMPTS", 3),
                                 backoff=config.get("MAIL_RETRY_BACKOFF_MS", 1000) / 1000
                                 ) as conn:
        for row_id in outbox_ids:
            try:
                _send_one(session, renderer, conn, row_id, result)
            except Exception:
                session.rollback()
                raise


def _send_one(session: Session, renderer: DigestRenderer, conn, row_id: int,
              result: BatchResult) -> None:
    row = _lock_pending(session, row_id)
    if row is None:  # sent, empty, skipped, or another worker holds it right now
        session.commit()  # (a rollback would expire the batch's preloaded rows)
        result.not_pending += 1
        return
    user = renderer.users.get(row.user_id) or session.scalars(
        select(User).where(User.id == row.user_id).options(selectinload(User.profile))).first()
    reason = _why_not(user, row.kind)
    if reason:
        row.status, row.last_error = DigestStatus.SKIPPED, reason
        session.commit()
        result.skipped += 1
        return
    digest = renderer.compose(user, row.kind, row.period)
    if digest.is_empty:
        row.status = DigestStatus.EMPTY
        session.commit()
        result.empty += 1
        return
    email = renderer.render(digest, row.kind)
    row.attempts += 1
    try:
        message_id = conn.send(email)
    except PermanentMailError as exc:
        # The address does not take mail: stop until the person fixes it.
        user.email_bouncing_at = utcnow()
        user.email_bounce_reason = str(exc)[:300]
        row.status, row.last_error = DigestStatus.SKIPPED, f"bounced: {exc}"[:500]
        session.commit()
        result.skipped += 1
        log.warning("digest %s: %s is bouncing (%s)", row.id, user.email, exc)
        return
    except (TemporaryMailError, MailError) as exc:
        row.last_error = str(exc)[:500]
        session.commit()  # stays pending: the sweep tries again later
        result.failed += 1
        log.warning("digest %s not sent, will retry: %s", row.id, exc)
        return
    row.status, row.sent_at = DigestStatus.SENT, utcnow()
    row.message_id = message_id[:200]
    row.last_error = ""
    session.commit()
    result.sent += 1


# --- for pages --------------------------------------------------------------------------------------

def current_period(user: User, now: datetime | None = None) -> str:
    now = now or utcnow()
    profile = user.profile
    tz = profile.timezone if profile else current_app.config.get("DEFAULT_TIMEZONE", "UTC")
    pref = schedule.Preference(user.id, tz or "UTC", profile.digest_weekday if profile else 6,
                               profile.digest_hour if profile else 17)
    return schedule.send_moment(pref, now)[0]


def is_organizer(session: Session, user_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Membership)
                               .where(Membership.user_id == user_id)))


def sent_count(session: Session, kind: str, periods: Iterable[str]) -> int:
    return session.scalar(select(func.count()).select_from(DigestOutbox).where(
        and_(DigestOutbox.kind == kind, DigestOutbox.period.in_(list(periods)),
             DigestOutbox.status == DigestStatus.SENT))) or 0

