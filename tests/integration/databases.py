"""A throw-away PostgreSQL database for tests whose commits other processes must see.

The suite's own database runs every test inside a transaction that is rolled
back, invisible to worker processes or live servers; such tests make a fresh
database next to it (same server), with every table, and drop it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text

from matchmaker.db import Base, make_engine


@contextmanager
def fresh_postgres_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on ``server_url``'s server with every table; yield its URL."""
    import matchmaker.models  # noqa: F401  (registers every table)

    parts = urlsplit(server_url)
    admin = make_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        eng = make_engine(url)
        Base.metadata.create_all(eng)
        eng.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
