"""Settings from environment variables, with safe defaults for a local run.

The app, the RQ worker, the CLI and ``alembic upgrade head`` all call
:func:`load_config`, so one environment configures every process the same way.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:  # fail at start-up with the name, not deep in a request
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one kept in instance/ for local runs.

    Generating a fresh key on every start would log everyone out on each restart,
    so the local default is written once to ``instance/secret_key``.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass
class Config:
    """Every setting the project reads. Field names are the Flask config keys."""

    #: SQLAlchemy URL. Default: a SQLite file in instance/.
    DATABASE_URL: str = ""
    #: Redis URL. Empty means jobs run inline in the web process (local runs only).
    REDIS_URL: str = ""
    #: ``smtp://user:pass@host:port`` (``smtps://`` for TLS, ``?starttls=1`` for STARTTLS).
    #: Empty means mail goes to the file outbox in instance/outbox/.
    SMTP_URL: str = ""
    MAIL_FROM: str = "matchmaker <hello@matchmaker.localhost>"
    SECRET_KEY: str = ""
    #: Absolute URL used in emails and feeds, where there is no request to ask.
    BASE_URL: str = "http://127.0.0.1:5000"
    #: ``gazetteer`` (offline, default) or ``nominatim``.
    GEOCODER: str = "gazetteer"
    NOMINATIM_USER_AGENT: str = "matchmaker"
    #: Country tried first for bare postcodes and ambiguous place names.
    DEFAULT_COUNTRY: str = "US"
    DEFAULT_TIMEZONE: str = "America/New_York"
    OUTBOX_DIR: str = ""
    #: Requests per IP against the login form.
    LOGIN_RATE_LIMIT: str = "10 per minute"
    #: Failed passwords in a row before an account is locked for LOCKOUT_MINUTES.
    LOCKOUT_THRESHOLD: int = 8
    LOCKOUT_MINUTES: int = 15
    #: A signed-in session ends after this long without use ...
    SESSION_IDLE_MINUTES: int = 60 * 24 * 3
    #: ... and in any case after this long.
    SESSION_ABSOLUTE_HOURS: int = 24 * 30
    EMAIL_TOKEN_HOURS: int = 48
    RESET_TOKEN_MINUTES: int = 60
    RQ_QUEUE: str = "default"
    #: At most this many "a new opportunity suits you" emails per resident in 7 days.
    MATCH_EMAILS_PER_WEEK: int = 2
    #: Overbooking stops (waiting-list moves only fill real places) this close to the start.
    OVERBOOK_NOTIFY_ONLY_HOURS: int = 24
    #: Self check-in is open from this long before the start to this long after the end.
    CHECKIN_OPENS_MINUTES: int = 30
    CHECKIN_CLOSES_MINUTES: int = 120
    #: Organizers are asked to mark who came this long after the end; people still
    #: unmarked are asked "did you go?" this long after that.
    ATTENDANCE_ASK_AFTER_HOURS: int = 48
    RESIDENT_ASK_AFTER_HOURS: int = 24
    #: Weekly digests: people per RQ job, and how long a row may stay unsent
    #: before the 15-minute sweep hands it to a worker again (crash recovery).
    DIGEST_BATCH_SIZE: int = 300
    DIGEST_RETRY_AFTER_SECONDS: int = 600
    #: Temporary (4xx) SMTP failures are retried this many times, waiting
    #: MAIL_RETRY_BACKOFF_MS, then twice that, and so on.
    MAIL_RETRY_ATTEMPTS: int = 3
    MAIL_RETRY_BACKOFF_MS: int = 1000
    #: The mailto: in List-Unsubscribe; empty means unsubscribe@<BASE_URL host>.
    UNSUBSCRIBE_MAILTO: str = ""
    #: Map tiles for the browse map ({z}/{x}/{y}, optional {s}). The page works without them.
    MAP_TILE_URL: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: Seconds the browse page for people not signed in is reused (matchmaker/browse/cache.py);
    #: 0 turns that off. None: 60, or off under TESTING.
    BROWSE_CACHE_SECONDS: int | None = None
    #: Reverse proxies in front of the app (gunicorn behind nginx: 1). Trusting
    #: X-Forwarded-* from more hops than exist would let clients fake their IP.
    PROXY_COUNT: int = 0
    #: ``json`` (one object per line, for log collectors) or ``text`` (for people).
    #: Empty: text under ``FLASK_DEBUG=1`` (``make run``), json otherwise.
    LOG_FORMAT: str = ""
    LOG_LEVEL: str = "INFO"
    #: None means "when BASE_URL is https", decided after overrides are applied.
    SESSION_COOKIE_SECURE: bool | None = None
    TESTING: bool = False
    DEBUG: bool = False
    extra: dict = field(default_factory=dict)

    def as_flask_mapping(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        data.update(self.extra)
        return data


def load_config(**overrides) -> Config:
    """Read the environment once. ``overrides`` win (tests use them)."""
    env = os.environ
    cfg = Config(
        DATABASE_URL=env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'matchmaker.sqlite3'}",
        REDIS_URL=env.get("REDIS_URL", ""),
        SMTP_URL=env.get("SMTP_URL", ""),
        MAIL_FROM=env.get("MAIL_FROM", Config.MAIL_FROM),
        SECRET_KEY="",  # nosec B106 - empty placeholder: filled from the environment below
        BASE_URL=env.get("BASE_URL", Config.BASE_URL).rstrip("/"),
        GEOCODER=env.get("GEOCODER", Config.GEOCODER),
        NOMINATIM_USER_AGENT=env.get("NOMINATIM_USER_AGENT", Config.NOMINATIM_USER_AGENT),
        DEFAULT_COUNTRY=env.get("DEFAULT_COUNTRY", Config.DEFAULT_COUNTRY),
        DEFAULT_TIMEZONE=env.get("DEFAULT_TIMEZONE", Config.DEFAULT_TIMEZONE),
        OUTBOX_DIR=env.get("OUTBOX_DIR") or str(INSTANCE_DIR / "outbox"),
        LOGIN_RATE_LIMIT=env.get("LOGIN_RATE_LIMIT", Config.LOGIN_RATE_LIMIT),
        LOCKOUT_THRESHOLD=_int("LOCKOUT_THRESHOLD", Config.LOCKOUT_THRESHOLD),
        LOCKOUT_MINUTES=_int("LOCKOUT_MINUTES", Config.LOCKOUT_MINUTES),
        SESSION_IDLE_MINUTES=_int("SESSION_IDLE_MINUTES", Config.SESSION_IDLE_MINUTES),
        SESSION_ABSOLUTE_HOURS=_int("SESSION_ABSOLUTE_HOURS", Config.SESSION_ABSOLUTE_HOURS),
        RQ_QUEUE=env.get("RQ_QUEUE", Config.RQ_QUEUE),
        MATCH_EMAILS_PER_WEEK=_int("MATCH_EMAILS_PER_WEEK", Config.MATCH_EMAILS_PER_WEEK),
        OVERBOOK_NOTIFY_ONLY_HOURS=_int("OVERBOOK_NOTIFY_ONLY_HOURS",
                                        Config.OVERBOOK_NOTIFY_ONLY_HOURS),
        CHECKIN_OPENS_MINUTES=_int("CHECKIN_OPENS_MINUTES", Config.CHECKIN_OPENS_MINUTES),
        CHECKIN_CLOSES_MINUTES=_int("CHECKIN_CLOSES_MINUTES", Config.CHECKIN_CLOSES_MINUTES),
        ATTENDANCE_ASK_AFTER_HOURS=_int("ATTENDANCE_ASK_AFTER_HOURS",
                                        Config.ATTENDANCE_ASK_AFTER_HOURS),
        RESIDENT_ASK_AFTER_HOURS=_int("RESIDENT_ASK_AFTER_HOURS",
                                      Config.RESIDENT_ASK_AFTER_HOURS),
        DIGEST_BATCH_SIZE=_int("DIGEST_BATCH_SIZE", Config.DIGEST_BATCH_SIZE),
        DIGEST_RETRY_AFTER_SECONDS=_int("DIGEST_RETRY_AFTER_SECONDS",
                                        Config.DIGEST_RETRY_AFTER_SECONDS),
        MAIL_RETRY_ATTEMPTS=_int("MAIL_RETRY_ATTEMPTS", Config.MAIL_RETRY_ATTEMPTS),
        MAIL_RETRY_BACKOFF_MS=_int("MAIL_RETRY_BACKOFF_MS", Config.MAIL_RETRY_BACKOFF_MS),
        UNSUBSCRIBE_MAILTO=env.get("UNSUBSCRIBE_MAILTO", ""),
        MAP_TILE_URL=env.get("MAP_TILE_URL") or Config.MAP_TILE_URL,
        BROWSE_CACHE_SECONDS=(_int("BROWSE_CACHE_SECONDS", 0)
                              if env.get("BROWSE_CACHE_SECONDS") else None),
        PROXY_COUNT=_int("PROXY_COUNT", 0),
        LOG_FORMAT=env.get("LOG_FORMAT", "").strip().lower(),
        LOG_LEVEL=env.get("LOG_LEVEL", "").strip().upper() or Config.LOG_LEVEL,
        # `flask --debug run` / FLASK_DEBUG=1 (make run): known here, before create_app
        # registers the debug-only pages; Flask would only set app.debug afterwards.
        DEBUG=_bool(env.get("FLASK_DEBUG")),
        SESSION_COOKIE_SECURE=(
            _bool(env["SESSION_COOKIE_SECURE"]) if env.get("SESSION_COOKIE_SECURE") else None
        ),
    )
    for key, value in overrides.items():
        if hasattr(cfg, key) and key != "extra":
            setattr(cfg, key, value)
        else:
            cfg.extra[key] = value
    if not cfg.SECRET_KEY:
        cfg.SECRET_KEY = _secret_key()
    if cfg.SESSION_COOKIE_SECURE is None:
        # Secure cookies whenever the public URL is HTTPS.
        cfg.SESSION_COOKIE_SECURE = cfg.BASE_URL.startswith("https://")
    return cfg
