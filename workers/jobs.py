"""RQ jobs. Thin on purpose: load by id, call a service, commit, then send.

Jobs run inside an application context. In the worker process the app is built
once at start (workers.worker) and handed to :func:`set_app`; in inline mode the
web app runs the job in a fresh context of its own. Every job is safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from matchmaker.db import db

log = logging.getLogger(__name__)
_app: Flask | None = None


def set_app(app: Flask) -> None:
    global _app
    _app = app


@contextmanager
def job_context() -> Iterator[None]:
    """An app context for one job: the caller's (inline) or the worker's own."""
    if has_app_context():
        app = current_app._get_current_object()
    elif _app is not None:
        app = _app
    else:
        # A worker started without workers.worker (e.g. plain `rq worker`): build once.
        from matchmaker import create_app

        set_app(create_app())
        app = _app
    with app.app_context(), _observed():
        try:
            yield
        except Exception as exc:
            _log_failure(exc)
            raise


@contextmanager
def _observed() -> Iterator[None]:
    """In a worker: log under the id of the request that queued the job, and record
    each run of a periodic job (its ``cron`` meta, set in workers/cron_config.py)."""
    from rq import get_current_job

    from matchmaker import logs
    from matchmaker.admin.operations import cron_run

    job = get_current_job()
    if job is None:  # inline: the request's own log context already carries its id
        yield
        return
    meta = job.meta or {}
    # A job nobody's request asked for (cron's) is its own story: its id ties its lines together.
    request_id = meta.get("request_id") or f"job-{job.id}"
    with logs.bound(request_id=request_id, job_id=job.id, job=job.func_name):
        if meta.get("cron"):
            with cron_run(meta["cron"]):
                yield
        else:
            yield


def _log_failure(exc: Exception) -> None:
    """One line saying which job failed, on what, and whether RQ will try it again.

    Job arguments are ids (never personal data), so they are safe to log; the
    traceback follows from RQ itself.
    """
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        log.error("inline job failed: %s: %s", type(exc).__name__, exc)
        return
    left = job.retries_left or 0
    log.error("job %s %s%r failed (%s): %s: %s", job.id, job.func_name, tuple(job.args),
              f"{left} retries left" if left else "no retries left", type(exc).__name__, exc)


def send_account_email(kind: str, user_id: int) -> None:
    from matchmaker.auth.emails import send_account_email as send
    from matchmaker.models import User

    with job_context():
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            return  # deleted or deactivated since the job was queued
        send(kind, user)


def send_invitation_email(invitation_id: int) -> None:
    from matchmaker.orgs.emails import send_invitation

    with job_context():
        send_invitation(invitation_id)


def dispatch_pending_jobs() -> int:
    """The sweeper: hand over jobs whose after-commit dispatch failed (Redis was down),
    and give back email claims whose worker died mid-send (matchmaker.holds)."""
    from matchmaker.db import db
    from matchmaker.holds import release_stale
    from matchmaker.tasks import dispatch_pending

    with job_context():
        release_stale(db.session)
        return dispatch_pending()


def send_roster_message(message_id: int) -> int:
    """An organizer's "email everyone signed up": each recipient once (see rosters.emails)."""
    from matchmaker.rosters.emails import send_roster_message as send

    with job_context():
        return send(message_id)


def send_cancellation_emails(opportunity_id: int) -> None:
    """Tell everyone signed up that the organizer cancelled the opportunity (once each)."""
    from matchmaker.opportunities.emails import send_cancellation_emails as send

    with job_context():
        send(opportunity_id)


def send_signup_email(signup_id: int, kind: str) -> None:
    """You're in / you're on the waiting list / a place opened up: each sent once."""
    from matchmaker.signups.emails import send_signup_email as send

    with job_context():
        send(signup_id, kind)


def import_opportunities(import_run_id: int) -> None:
    """Import a queued CSV upload row by row (commits progress as it goes)."""
    from matchmaker.imports.services import run_import

    with job_context():
        run_import(db.session, import_run_id)


def extend_recurring_shifts() -> int:
    """Nightly: add the next weeks' occurrences of recurring shifts (up to the horizon)."""
    from matchmaker.opportunities.services import extend_recurring

    with job_context():
        count = extend_recurring(db.session)
        db.session.commit()
        return count
