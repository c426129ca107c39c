"""RQ jobs. Thin on purpose: load by id, call a service, commit, then send.

Jobs run inside an application context. In the worker process the app is built
once at start (workers.worker) and handed to :func:`set_app`; in inline mode the
web app runs the job in a fresh context of its own. Every job is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from matchmaker.db import db

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
    with app.app_context():
        yield


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
    """The sweeper: hand over jobs whose after-commit dispatch failed (Redis was down)."""
    from matchmaker.tasks import dispatch_pending

    with job_context():
        return dispatch_pending()
