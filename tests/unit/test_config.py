"""Configuration is read from the environment the same way by every process."""

from __future__ import annotations

import pytest

from matchmaker.config import load_config


def test_defaults_are_local_and_safe(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "BASE_URL", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config(SECRET_KEY="x")
    assert cfg.DATABASE_URL.startswith("sqlite:///") and cfg.DATABASE_URL.endswith(".sqlite3")
    assert cfg.REDIS_URL == "" and cfg.SMTP_URL == ""
    assert cfg.GEOCODER == "gazetteer"
    assert cfg.SESSION_COOKIE_SECURE is False


def test_environment_wins(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://h:6379/0")
    monkeypatch.setenv("BASE_URL", "https://example.org/")
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "4")
    cfg = load_config(SECRET_KEY="x")
    assert cfg.DATABASE_URL == "postgresql+psycopg://u@h/db"
    assert cfg.REDIS_URL == "redis://h:6379/0"
    assert cfg.BASE_URL == "https://example.org"
    assert cfg.LOCKOUT_THRESHOLD == 4
    assert cfg.SESSION_COOKIE_SECURE is True  # https public URL -> secure cookies


def test_bad_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("LOCKOUT_MINUTES", "ten")
    with pytest.raises(ValueError, match="LOCKOUT_MINUTES"):
        load_config(SECRET_KEY="x")


def test_secret_key_from_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_config().SECRET_KEY == "from-env"
