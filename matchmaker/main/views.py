"""Home and static informational pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from matchmaker.db import db
from matchmaker.models import Organization

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    org_count = db.session.scalar(select(func.count()).select_from(Organization)) or 0
    return render_template("main/index.html", org_count=org_count)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. No database, no Redis: cheap enough to call
    every few seconds, and the load benchmark's "trivial endpoint"."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness: the database and Redis answer. 200, or 503 naming what is down."""
    from matchmaker.main.readiness import check

    checks = check()
    ready = all(state in {"ok", "not configured"} for state in checks.values())
    return checks, 200 if ready else 503
