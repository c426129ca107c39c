"""Flask commands for operators and scripts."""

from __future__ import annotations

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply every alembic migration (alembic upgrade head)."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        from matchmaker.config import PROJECT_ROOT

        cfg = AlembicConfig(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
        cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
        command.upgrade(cfg, "head")
        click.echo("database is up to date")
