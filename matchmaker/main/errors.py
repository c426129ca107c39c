"""Error pages: a clear sentence and a way on, never a traceback.

API requests get JSON with the same status.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait after a 503 (the database was unreachable).
RETRY_AFTER_SECONDS = 30

MESSAGES = {
    400: ("Something in that request was not right", "Please go back and try again."),
    401: ("Please sign in", "You need to be signed in to do that."),
    403: ("That is not open to you", "Your account cannot see or change this page."),
    404: ("We could not find that page", "It may have moved, or the link may be incomplete."),
    405: ("That does not work here", "This page cannot be used that way."),
    413: ("That file is too large", "Please choose a smaller file."),
    429: ("Slow down a little", ("There were too many attempts in a short time. "
                                  "Please wait a minute and try again.")),
    500: ("Something went wrong on our side", "It is not your fault. Please try again in a moment."),
    503: ("We are briefly unavailable", "Please try again in a minute."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if _wants_json():
        from matchmaker.api.errors import error_body

        return error_body(status, detail or title), status
    return render_template("errors/error.html", status=status, title=title,
                           message=detail or message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return render_error(400, "This form had expired. Please go back, reload the page "
                                 "and send it again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        detail = exc.description if exc.code in (400, 403, 404) and _is_custom(exc) else None
        return render_error(exc.code, detail)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _db_down(exc: OperationalError | InterfaceError):
        log.error("database unavailable during %s %s: %s", request.method, request.path,
                  str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        _forget_broken_session()
        body, status = render_error(503)
        return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unhandled error during %s %s", request.method, request.path)
        return render_error(500)

    app.register_error_handler(InternalServerError, lambda exc: render_error(500))


def _forget_broken_session() -> None:
    """Drop the request's session (its connection is gone) and render as nobody.

    Nothing half-written survives: the transaction was never committed, and closing
    the session rolls back whatever the server still holds. The page is rendered
    for an anonymous visitor because the signed-in user's row would have to be
    reloaded from the database that just failed.
    """
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:  # the connection is already broken; the pool discards it
            log.debug("closing the broken session failed", exc_info=True)
    g._login_user = current_app.login_manager.anonymous_user()


def _is_custom(exc: HTTPException) -> bool:
    """True when code passed its own description to abort(), not werkzeug's default."""
    return exc.description != type(exc).description
