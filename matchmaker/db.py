"""The data layer's plumbing: declarative base, engine, and one session per request or job.

Services flush and never commit; the request (or the job) commits once at its
boundary. ``db.session`` is the current unit of work, created lazily inside an
application context and closed when the context ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep alembic autogenerate diffs clean on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the offset, SQLite does not; normalising on the way in and
    out means code never compares a naive datetime with an aware one.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        # SQLite stores text; drop the offset so string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the per-backend settings this project relies on."""
    if url.startswith("sqlite"):
        if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, issue BEGIN so SAVEPOINTs behave
            # (SQLAlchemy's documented pysqlite recipe), and enforce foreign keys.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN")

        return engine
    # pre_ping: a connection dropped by the server is replaced, not handed to a request.
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class _AppDatabase:
    """The engine and session factory of one app (tests build several apps)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self.Session: sessionmaker[Session] = sessionmaker(bind=self.engine, expire_on_commit=False)


class Database:
    """Per-app engine and session factory, reached through the current app (``init_app``)."""

    def init_app(self, app: Flask) -> None:
        app.extensions["matchmaker.db"] = _AppDatabase(app.config["DATABASE_URL"])
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _state() -> _AppDatabase:
        if not has_app_context():
            raise RuntimeError("the database needs an application context")
        return current_app.extensions["matchmaker.db"]

    @property
    def engine(self) -> Engine:
        return self._state().engine

    @property
    def Session(self) -> sessionmaker[Session]:
        return self._state().Session

    @property
    def session(self) -> Session:
        """The unit of work of the current request, CLI command or job."""
        if "db_session" not in g:
            g.db_session = self._state().Session()
        return g.db_session

    def _close_session(self, exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error: the boundary for jobs and CLI commands."""
        session = self.session
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


db = Database()
