"""Writing the matcher's results: replace a set of residents' rows, in bulk.

Replace, never merge: the rows of every resident given are deleted and their
new list inserted, in the caller's transaction, so a reader sees the old list
or the new one, never half of each. A resident with no matches ends with no
rows. PostgreSQL gets ``COPY ... FROM STDIN`` (psycopg's ``cursor.copy``): a
million rows is a few seconds instead of minutes; other backends (SQLite) get
one ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Integer, any_, bindparam, delete, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.matching import Match
from matchmaker.models import Recommendation

#: Ids per DELETE statement (bound parameters are limited per statement).
DELETE_CHUNK = 5_000
COLUMNS = ("user_id", "occurrence_id", "score", "rank", "reasons", "waitlist", "computed_at")


def delete_for_users(session: Session, user_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in user_ids})
    if session.connection().dialect.name == "postgresql":
        # one statement, one array parameter, whatever the number of residents
        session.execute(delete(Recommendation).where(
            Recommendation.user_id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))))
        return
    for i in range(0, len(ids), DELETE_CHUNK):
        session.execute(delete(Recommendation)
                        .where(Recommendation.user_id.in_(ids[i:i + DELETE_CHUNK])))


def replace_for_users(
    session: Session,
    matches: Mapping[int, Sequence[Match]],
    *,
    user_ids: Iterable[int] | None = None,
    computed_at: datetime | None = None,
) -> int:
    """Replace the rows of ``user_ids`` (default: the keys of ``matches``). Returns rows written.

    Flushes pending ORM changes first and writes through the session's own
    connection, so it is part of the caller's transaction (the caller commits).
    """
    computed_at = computed_at or utcnow()
    session.flush()
    delete_for_users(session, matches.keys() if user_ids is None else user_ids)
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return _copy(conn, matches, computed_at)
    data = [{"user_id": user_id, "occurrence_id": m.occurrence_id, "score": float(m.score),
             "rank": rank, "reasons": list(m.reasons), "waitlist": bool(m.waitlist),
             "computed_at": computed_at}
            for user_id, ms in matches.items() for rank, m in enumerate(ms, start=1)]
    if data:
        session.execute(insert(Recommendation), data)
    return len(data)


def _copy(conn, matches: Mapping[int, Sequence[Match]], computed_at: datetime) -> int:
    """COPY in text format, the lines built here and sent in large chunks.

    Building the text in Python is about twice as fast as ``write_row`` per
    row, and runs while the server works on the previous chunk (a queued
    writer thread). Text format needs backslashes doubled (JSON has them for
    quotes) and never sees a raw tab or newline (JSON escapes those).
    """
    from psycopg.copy import QueuedLibpqWriter

    stamp = computed_at.isoformat()
    reasons_text: dict[tuple, str] = {}
    n = 0
    raw = conn.connection.driver_connection
    sql = f"COPY recommendations ({', '.join(COLUMNS)}) FROM STDIN"
    # The queued writer sends from a thread: the server parses and indexes one
    # chunk while Python formats the next (about half the time is each side's).
    with raw.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
        lines: list[str] = []
        for user_id, ms in matches.items():
            uid = int(user_id)
            for rank, m in enumerate(ms, start=1):
                r = reasons_text.get(m.reasons)
                if r is None:
                    r = reasons_text[m.reasons] = json.dumps(
                        list(m.reasons), ensure_ascii=False).replace("\\", "\\\\")
                lines.append(f"{uid}\t{int(m.occurrence_id)}\t{float(m.score)!r}\t{rank}\t"
                             f"{r}\t{'t' if m.waitlist else 'f'}\t{stamp}\n")
            n += len(ms)
            if len(lines) >= 50_000:
                copy.write("".join(lines).encode())
                lines.clear()
        if lines:
            copy.write("".join(lines).encode())
    return n
