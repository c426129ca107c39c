"""What /readyz checks: can this process reach its database and its Redis?

Each check answers "ok", "not configured" (Redis in inline mode) or "unreachable";
the reason goes to the log, not to the (public) response.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import select

from matchmaker.db import db
from matchmaker.tasks import redis_connection

log = logging.getLogger(__name__)


def database() -> str:
    try:
        db.session.execute(select(1))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness: database unreachable: %s", _first_line(exc))
        with contextlib.suppress(Exception):  # the connection is already broken
            db.session.rollback()
        return "unreachable"


def redis() -> str:
    conn = redis_connection()
    if conn is None:
        return "not configured"
    try:
        conn.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: redis unreachable: %s", _first_line(exc))
        return "unreachable"


def check() -> dict[str, str]:
    return {"database": database(), "redis": redis()}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
