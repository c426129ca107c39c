"""Claims on one-off emails that a crash cannot lose.

Each one-off email (a reminder, an attendance ask, a thank-you, a buddy
introduction) is guarded by a column claimed with a conditional UPDATE and
committed *before* the send, so two workers never both send it. On a refusal
the sender gives the claim back. But a worker killed between the claim and the
send (SIGKILL, a lost machine) gives nothing back: the column says "sent", the
sweeps skip the row, and the email is silently lost.

So every claim is recorded here, in the same transaction, together with how to
undo it (a dotted function path and its arguments, like a queued job). A
successful send settles the hold; a refusal gives it back at once; a hold still
open after :data:`HOLD_TIMEOUT` belonged to a dead worker and is given back by
:func:`release_stale` (run by the every-minute sweeper), so the next sweep sends
the email. The one duplicate left possible is a worker dying after the mail
server accepted the message and before the settle committed: milliseconds,
against a window of the whole send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from matchmaker.db import Base, utcnow
from matchmaker.models import SendHold

log = logging.getLogger(__name__)

#: Longer than any send can take (SMTP retries with backoff, the RQ job timeout).
HOLD_TIMEOUT = timedelta(minutes=15)


def hold(session: Session, release: Callable, *args) -> int:
    """Record a claim made in this transaction; the caller's commit keeps both or neither."""
    from matchmaker.tasks import func_path

    row = SendHold(release=func_path(release), args=list(args))
    session.add(row)
    session.flush()
    return row.id


def settle(session: Session, hold_id: int) -> None:
    """The email went out: the claim stays, the hold goes."""
    session.execute(delete(SendHold).where(SendHold.id == hold_id)
                    .execution_options(synchronize_session=False))
    session.commit()


def give_back(session: Session, hold_id: int) -> None:
    """The email did not go out: undo the claim so the next sweep tries again."""
    session.rollback()
    row = session.get(SendHold, hold_id)
    if row is not None:
        _undo(session, row)
    session.commit()


def clear_column(session: Session, table: str, row_id: int, column: str) -> None:
    """The usual undo: set a row's guard column back to NULL."""
    t = Base.metadata.tables[table]
    session.execute(update(t).where(t.c.id == row_id).values({column: None}))


def release_stale(session: Session, now: datetime | None = None,
                  older_than: timedelta = HOLD_TIMEOUT) -> int:
    """Give back every claim whose worker died mid-send. Returns how many."""
    now = now or utcnow()
    rows = session.scalars(select(SendHold).where(SendHold.claimed_at <= now - older_than)
                           .order_by(SendHold.id).limit(500)).all()
    for row in rows:
        log.warning("email claim %s (%s%r) was never settled: giving it back for a resend",
                    row.id, row.release, tuple(row.args))
        _undo(session, row)
        session.commit()
    return len(rows)


def _undo(session: Session, row: SendHold) -> None:
    from matchmaker.tasks import resolve

    resolve(row.release)(session, *row.args)
    session.execute(delete(SendHold).where(SendHold.id == row.id)
                    .execution_options(synchronize_session=False))
