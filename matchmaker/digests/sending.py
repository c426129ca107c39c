"""Planning and sending digests, exactly once per (person, kind, period).

The plan (run every 15 minutes by ``rq cron``):

1. find everyone whose local send time has come (:mod:`.schedule`);
2. INSERT their outbox rows with ON CONFLICT DO NOTHING and **commit**: only the
   rows that are new come back, so re-triggering a period plans nothing;
3. enqueue the new row ids in batches; workers run batches in parallel.

Sending a batch:

* take the batch's rows with one PostgreSQL advisory lock each (session-level,
  one query): two workers holding the same ids (a batch re-enqueued by the
  sweep) never both send a row; a worker that dies (even SIGKILL) loses its
  connection and with it the locks, and the rows can be taken again;
* read the rows still pending and everything their digests need in a few
  queries for the whole batch;
* per row: compose, render, hand to the SMTP server over the batch's one
  connection, then commit ``sent_at`` with one UPDATE before the next message.
  A crash between the server's "250 OK" and that commit is the only way to
  send twice: at most one duplicate per crash.

The sweep (same cron tick) re-enqueues rows left pending by a crash or a
temporary failure, and gives up on rows older than the schedule's ``MAX_LATE``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Engine, and_, bindparam, func, select, text, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker.db import db, utcnow
from matchmaker.digests import compose, schedule
from matchmaker.mail import (
    Email,
    EmailTemplates,
    MailError,
    PermanentMailError,
    TemporaryMailError,
    get_mailer,
)
from matchmaker.models import DigestKind, DigestOutbox, DigestStatus, Membership, Profile, User

log = logging.getLogger(__name__)

JOB = "workers.digest_jobs.send_digest_batch"
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
    # One cached statement run with many parameter sets: SQLAlchemy sends them as
    # multi-row VALUES pages ("insertmanyvalues") instead of compiling a statement
    # of thousands of literal rows per call.
    stmt = (insert(_outbox).on_conflict_do_nothing(index_elements=["user_id", "kind", "period"])
            .returning(_outbox.c.id))
    new_ids = list(session.scalars(stmt, [
        {"user_id": d.user_id, "kind": kind, "period": d.period, "status": DigestStatus.PENDING,
         "created_at": now, "attempts": 0, "last_error": "", "message_id": ""} for d in due]))
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
        self._templates: dict[str, EmailTemplates] = {}
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
        name = TEMPLATES[DigestKind(kind)]
        if name not in self._templates:
            self._templates[name] = EmailTemplates(name)
        email = self._templates[name].render(digest.email, d=digest)
        token = self.links.token(digest.user_id)
        # RFC 2369 + RFC 8058: an HTTPS link a mail client may POST to in one
        # click, and a mailto for clients that only do mail.
        email.headers["List-Unsubscribe"] = (
            f"<{self.links.unsubscribe(digest.user_id)}>, "
            f"<mailto:{self.unsubscribe_mailbox}?subject=unsubscribe%20{token}>")
        email.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return email


#: Key space of the digest's advisory locks (the first int of pg_try_advisory_lock).
_LOCK_SPACE = 0x6D6D6467  # "mmdg"
_LOCK = text("SELECT t.id FROM unnest(CAST(:ids AS integer[])) AS t(id) "
             "WHERE pg_try_advisory_lock(:space, t.id)")
_UNLOCK = text("SELECT pg_advisory_unlock(:space, t.id) "
               "FROM unnest(CAST(:ids AS integer[])) AS t(id)")
_outbox = DigestOutbox.__table__
_users = User.__table__


@contextmanager
def _batch_session(session: Session) -> Iterator[Session]:
    """A session on one connection held for the whole batch.

    In a worker (session bound to the engine) this is a connection of its own in
    autocommit mode, so marking a row sent is a single UPDATE, one round trip,
    with no pool check-out (and pre-ping) per message. Its commits do not wait
    for the WAL flush (``synchronous_commit = off``, reset before the connection
    goes back to the pool): the commit is still atomic and visible at once, and a
    worker crash loses nothing; only a crash of PostgreSQL itself could lose the
    last few ``sent_at`` marks, and those few people would get their digest twice.
    Tests bind the session to one connection already; it is used as it is.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        yield session
        return
    if isinstance(bind, Engine):
        conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
        own = Session(bind=conn, expire_on_commit=False)
    else:
        conn, own = None, session
    own.execute(text("SET synchronous_commit = off"))
    try:
        yield own
    finally:
        try:
            own.rollback()
            own.execute(text("RESET synchronous_commit"))
            own.commit()
        finally:
            if conn is not None:
                own.close()
                conn.close()


def _claim(session: Session, outbox_ids: list[int]) -> list[int]:
    """Take this batch's rows for the whole batch; returns the ids we hold.

    PostgreSQL: one session-level advisory lock per row, taken in one query. Two
    workers with the same id (a batch re-enqueued by the sweep) never both send
    it; a worker that dies, even by SIGKILL, loses its connection and with it the
    locks, so the rows can be taken again. Locks outlive the per-message commits,
    unlike ``FOR UPDATE``. Other databases (SQLite, local runs) have one worker.
    """
    ids = sorted(set(outbox_ids))
    if session.get_bind().dialect.name != "postgresql" or not ids:
        return ids
    held = sorted(session.scalars(_LOCK, {"ids": ids, "space": _LOCK_SPACE}))
    session.commit()  # statuses are read after this, in a snapshot newer than the locks
    return held


def _release(session: Session, held: list[int]) -> None:
    if held and session.get_bind().dialect.name == "postgresql":
        try:
            session.rollback()
            session.execute(_UNLOCK, {"ids": held, "space": _LOCK_SPACE}).all()
            session.commit()
        except Exception:
            # A broken connection is closed, and its locks end with it; do not
            # hide the error that brought us here.
            log.exception("could not release the locks of a digest batch")


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
    """Send the digests of these outbox rows over one mail connection.

    Everything the batch needs is read up front in a few queries; then per row:
    compose (plain Python), render, hand to the SMTP server, and commit the row
    as sent with one UPDATE before the next message goes out. A crash between
    the server's "250 OK" and that commit is the only way to send twice: at most
    one duplicate per crash.
    """
    result = BatchResult()
    with _batch_session(db.session) as session:
        held = _claim(session, outbox_ids)
        try:
            rows = session.execute(
                select(_outbox.c.id, _outbox.c.user_id, _outbox.c.kind, _outbox.c.period,
                       _outbox.c.attempts)
                .where(_outbox.c.id.in_(held), _outbox.c.status == DigestStatus.PENDING)
                .order_by(_outbox.c.id)).all() if held else []
            result.not_pending = len(outbox_ids) - len(rows)
            renderer = DigestRenderer(session, now)
            renderer.load([r.user_id for r in rows])
            session.commit()  # end the read; each row then gets a short transaction
            _send_rows(session, renderer, rows, result)
        finally:
            _release(session, held)
    return result


def _send_rows(session: Session, renderer: DigestRenderer, rows, result: BatchResult) -> None:
    config = current_app.config
    with get_mailer().connection(attempts=config.get("MAIL_RETRY_ATTEMPTS", 3),
                                 backoff=config.get("MAIL_RETRY_BACKOFF_MS", 1000) / 1000
                                 ) as conn:
        for row in rows:
            try:
                _send_one(session, renderer, conn, row, result)
            except Exception:
                session.rollback()
                raise


def _mark(session: Session, row_id: int, **values) -> None:
    """One UPDATE of one outbox row, committed at once (Core: no unit of work)."""
    session.execute(update(_outbox).where(_outbox.c.id == row_id).values(**values))
    session.commit()


#: The per-message statement, built once (its compiled form is cached by SQLAlchemy).
_MARK_SENT = (update(_outbox).where(_outbox.c.id == bindparam("row_id"))
              .values(status=DigestStatus.SENT, sent_at=bindparam("sent_at"),
                      attempts=bindparam("attempts"), message_id=bindparam("message_id"),
                      last_error=""))
#: The same for PostgreSQL, handed to psycopg as it is (it prepares it server-side
#: after a few runs): the statement runs once per message of every batch.
_MARK_SENT_PG = ("UPDATE digest_outbox SET status = 'sent', sent_at = %s, attempts = %s, "
                 "message_id = %s, last_error = '' WHERE id = %s")


def _mark_sent(session: Session, row_id: int, attempts: int, message_id: str) -> None:
    """Record that the server accepted the message, committed before the next one goes."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.execute(_MARK_SENT_PG, (utcnow(), attempts, message_id, row_id))
    else:
        connection.execute(_MARK_SENT, {"row_id": row_id, "sent_at": utcnow(),
                                        "attempts": attempts, "message_id": message_id})
    session.commit()


def _send_one(session: Session, renderer: DigestRenderer, conn, row,
              result: BatchResult) -> None:
    user = renderer.users.get(row.user_id)
    reason = _why_not(user, row.kind)
    if reason:
        _mark(session, row.id, status=DigestStatus.SKIPPED, last_error=reason)
        result.skipped += 1
        return
    digest = renderer.compose(user, row.kind, row.period)
    if digest.is_empty:
        _mark(session, row.id, status=DigestStatus.EMPTY)
        result.empty += 1
        return
    email = renderer.render(digest, row.kind)
    try:
        message_id = conn.send(email)
    except PermanentMailError as exc:
        # The address does not take mail: stop until the person fixes it.
        now = utcnow()
        session.execute(update(_users).where(_users.c.id == user.id).values(
            email_bouncing_at=now, email_bounce_reason=str(exc)[:300]))
        set_committed_value(user, "email_bouncing_at", now)  # later rows see it too
        _mark(session, row.id, status=DigestStatus.SKIPPED, attempts=row.attempts + 1,
              last_error=f"bounced: {exc}"[:500])
        result.skipped += 1
        log.warning("digest %s: %s is bouncing (%s)", row.id, user.email, exc)
        return
    except (TemporaryMailError, MailError) as exc:
        # Stays pending: the sweep tries again later.
        _mark(session, row.id, attempts=row.attempts + 1, last_error=str(exc)[:500])
        result.failed += 1
        log.warning("digest %s not sent, will retry: %s", row.id, exc)
        return
    _mark_sent(session, row.id, row.attempts + 1, message_id[:200])
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

