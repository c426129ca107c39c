"""Jinja helpers shared by pages and emails."""

from __future__ import annotations

from flask import Flask

from matchmaker import vocab


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(vocab=vocab)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.template_filter("minutes_as_time")
    def minutes_as_time(minutes: int) -> str:
        """600 -> '10:00'. Availability windows are stored as minutes from midnight."""
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    @app.template_filter("hours")
    def hours(minutes: int) -> str:
        h = minutes / 60
        return f"{h:g} hour" if h == 1 else f"{h:g} hours"
