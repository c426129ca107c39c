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
    """Liveness and database reachability for load balancers and compose healthchecks."""
    db.session.execute(select(1))
    return {"status": "ok"}
