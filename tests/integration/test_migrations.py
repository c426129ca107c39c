"""The alembic revisions build exactly the schema the models describe, on both backends.

Each test migrates a fresh, empty database of its own (never the suite's shared
test database), compares the result with ``Base.metadata`` the way
``alembic revision --autogenerate`` would, and expects no difference. A failure
here means a model changed without a migration: run
``alembic -c migrations/alembic.ini revision --autogenerate -m "..."``.
"""

from __future__ import annotations

import uuid
from pprint import pformat

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

import matchmaker.models  # noqa: F401  (registers every table)
from matchmaker.config import PROJECT_ROOT
from matchmaker.db import Base, make_engine

ALEMBIC_INI = PROJECT_ROOT / "migrations" / "alembic.ini"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ALEMBIC_INI))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logging"] = False  # leave pytest's logging alone
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"expected one alembic head, found {heads}"
    return heads[0]


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True,
            })
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def check_upgrade_matches_models(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    assert current_revision(url) == head_revision()
    assert set(Base.metadata.tables) <= table_names(url)
    diff = schema_differences(url)
    assert diff == [], "the migrations and the models differ:\n" + pformat(diff)
    # Every revision can be undone, and redone.
    command.downgrade(alembic_config(url), "base")
    assert table_names(url) <= {"alembic_version"}
    command.upgrade(alembic_config(url), "head")
    assert schema_differences(url) == []


def test_there_is_exactly_one_head():
    head_revision()


def test_upgrade_on_empty_sqlite_matches_models(tmp_path):
    check_upgrade_matches_models(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")


def test_local_start_of_existing_occurrences_is_backfilled(tmp_path):
    # Occurrences written before revision 2b1f0c7d9e01 get their local weekday and
    # minute from their own start and their opportunity's timezone.
    url = f"sqlite:///{tmp_path / 'backfill.sqlite3'}"
    command.upgrade(alembic_config(url), "c0f805548990")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            stamp = "'2026-01-01 00:00:00'"
            conn.execute(text(
                "INSERT INTO organizations (id, name, name_key, slug, summary, description, "
                f"website, contact_email, area, created_at, updated_at) VALUES (1, 'O', 'o', "
                f"'o', '', '', '', '', '', {stamp}, {stamp})"))
            for opp_id, zone in ((1, "America/New_York"), (2, "Asia/Kolkata")):
                conn.execute(text(
                    "INSERT INTO opportunities (id, organization_id, title, description, kind, "
                    "status, is_remote, place_label, timezone, duration_minutes, capacity, "
                    "min_age, social_format, first_timer_friendly, what_to_bring, rrule, "
                    f"created_at, updated_at) VALUES ({opp_id}, 1, 't', '', 'one_off', "
                    f"'published', 0, '', '{zone}', 60, 5, 0, 'any', 1, '', '', {stamp}, "
                    f"{stamp})"))
                conn.execute(text(
                    "INSERT INTO occurrences (id, opportunity_id, starts_at, ends_at, capacity, "
                    f"confirmed_count) VALUES ({opp_id}, {opp_id}, '2026-12-05 14:30:00.000000', "
                    "'2026-12-05 15:30:00.000000', 5, 0)"))
        command.upgrade(alembic_config(url), "2b1f0c7d9e01")
        with engine.connect() as conn:
            got = conn.execute(text("SELECT id, local_weekday, local_minute FROM occurrences "
                                    "ORDER BY id")).all()
        # 14:30 UTC: 09:30 Saturday in New York, 20:00 Saturday in Kolkata (+05:30).
        assert [tuple(r) for r in got] == [(1, 5, 9 * 60 + 30), (2, 5, 20 * 60)]
    finally:
        engine.dispose()


@pytest.fixture
def fresh_postgres_url(postgres_url):
    """A brand-new empty PostgreSQL database, dropped afterwards."""
    name = f"mm_migrations_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_upgrade_on_empty_postgres_matches_models(fresh_postgres_url):
    check_upgrade_matches_models(fresh_postgres_url)


def test_flask_db_upgrade_command(tmp_path):
    from matchmaker import create_app

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = create_app(TESTING=True, DATABASE_URL=url, SECRET_KEY="x",
                     OUTBOX_DIR=str(tmp_path / "outbox"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert "database is up to date" in result.output
    assert current_revision(url) == head_revision()
    assert set(Base.metadata.tables) <= table_names(url)
    again = runner.invoke(args=["db-upgrade"])  # idempotent
    assert again.exit_code == 0
    with app.app_context():
        from matchmaker.db import db

        db.engine.dispose()
