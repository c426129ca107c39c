"""Logs for every process (web, worker, cron): one JSON object per line, or plain text.

Owns three things:

* the **log context**: a ``ContextVar`` of fields (``request_id``, ``job_id``, ...)
  that a filter copies onto every record, so a line logged deep inside a service
  still says which request or job it belongs to;
* the **request id**: taken from a sane incoming ``X-Request-ID`` (a proxy or load
  balancer may set one) or made here, echoed in the response header, stored with
  every job the request enqueues (see matchmaker.tasks), and bound again by the
  worker while that job runs (workers.jobs.job_context);
* one **request line** per request: method, path, status, duration_ms, user_id.

Privacy: log lines carry ids only, never emails, names or addresses. Paths are
logged without their query string (the admin digest preview takes an email there)
and with secret tokens replaced by the route's placeholder.

``LOG_FORMAT=json`` (the default outside debug) or ``text`` (``make run``).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
#: What an incoming request id may look like; anything else is replaced, so a
#: client cannot inject line breaks, markup or megabytes into the logs.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
FORMATS = ("json", "text")
#: Fields of every JSON line, in this order; extras (status, job_id, ...) follow.
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

_context: ContextVar[dict | None] = ContextVar("matchmaker_log_context", default=None)
request_log = logging.getLogger("matchmaker.request")


# --- the context ---------------------------------------------------------------------

def context() -> dict:
    return dict(_context.get() or {})


def current_request_id() -> str | None:
    return (_context.get() or {}).get("request_id")


@contextmanager
def bound(**fields) -> Iterator[None]:
    """Add fields to every line logged inside the block (None values are left out)."""
    token = _context.set(context() | {k: v for k, v in fields.items() if v is not None})
    try:
        yield
    finally:
        _context.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str:
    """The incoming id if it is short and plain, else a fresh one."""
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


class ContextFilter(logging.Filter):
    """Copy the log context onto each record (without overwriting explicit extras)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        if not hasattr(record, "request_id"):
            record.request_id = None
        return True


# --- formatters and the process-wide handler -------------------------------------------

class JsonLineFormatter(JsonFormatter):
    """python-json-logger with an ISO 8601 UTC time (milliseconds) as the first field."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


def make_formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonLineFormatter(JSON_FIELDS, rename_fields=JSON_RENAMES)
    if fmt == "text":
        return TextFormatter(TEXT_FORMAT)
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {fmt!r}")


def make_handler(fmt: str, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(fmt))
    handler.addFilter(ContextFilter())
    handler._matchmaker = True  # type: ignore[attr-defined]  (ours: replaced, not stacked)
    return handler


def configure(fmt: str = "json", level: str | int = "INFO",
              stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's records through one handler on the root logger.

    Calling it again replaces our handler rather than adding a second one (the
    worker and the CLI build the app, and so call this, more than once).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_matchmaker", False)]:
        root.removeHandler(old)
    handler = make_handler(fmt, stream)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def adopt(*names: str) -> None:
    """Drop the handlers a library put on its own loggers, so its lines reach ours.

    ``rq cron`` sets up text handlers on ``rq.cron`` before it reads the cron
    config; without this its lines would be printed twice, once not as JSON.
    """
    for name in names:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True


def configure_from_env(*adopted: str) -> None:
    """Logging for a process that builds no app (``rq cron`` reading its config).

    Reads LOG_FORMAT, LOG_LEVEL and FLASK_DEBUG as the app would. A process whose
    root logger already has handlers (a test run) is left alone.
    """
    import os

    if logging.getLogger().handlers:
        return
    debug = os.environ.get("FLASK_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    configure(format_for(debug, os.environ.get("LOG_FORMAT", "").strip()),
              os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO")
    adopt(*adopted)


def format_for(debug: bool, configured: str = "") -> str:
    fmt = (configured or ("text" if debug else "json")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {configured!r}")
    return fmt


# --- requests ----------------------------------------------------------------------------

def _start_request() -> None:
    g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.log_started = time.perf_counter()
    _context.set({"request_id": g.request_id})


def _logged_path() -> str:
    """The path without query string, secret tokens replaced by their placeholder."""
    path = request.path
    for key, value in (request.view_args or {}).items():
        if "token" in key and isinstance(value, str) and value:
            path = path.replace(value, f"<{key}>")
    return path


def _signed_in_user_id() -> int | None:
    # Only a user the request already loaded: logging must not add a query.
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    return None


def _finish_request(response):
    request_id = g.get("request_id")
    if request_id is None:  # a hook before ours answered; still give it an id
        _start_request()
        request_id = g.request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    duration_ms = round((time.perf_counter() - g.get("log_started", time.perf_counter())) * 1000, 1)
    fields = {"method": request.method, "path": _logged_path(), "status": response.status_code,
              "duration_ms": duration_ms}
    user_id = _signed_in_user_id()
    if user_id is not None:
        fields["user_id"] = user_id
    level = logging.WARNING if response.status_code >= 500 else logging.INFO
    request_log.log(level, "%s %s %s %.1fms", fields["method"], fields["path"],
                    fields["status"], duration_ms, extra=fields)
    return response


def _end_request(_exc: BaseException | None) -> None:
    _context.set(None)


def init_app(app: Flask) -> None:
    """Pick the format, set up the process's handler (not under tests), add the hooks."""
    fmt = format_for(app.debug, app.config.get("LOG_FORMAT", ""))
    app.config["LOG_FORMAT"] = fmt
    if not app.testing:  # tests capture logs themselves (caplog, make_handler)
        configure(fmt, app.config.get("LOG_LEVEL") or "INFO")
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
