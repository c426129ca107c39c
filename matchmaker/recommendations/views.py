"""HTTP for the "For you" page: the resident's ranked suggestions, with the reasons.

Reads the stored list (``queries.top_for_user``); a resident with nothing
stored yet (just joined, or jobs not run) gets theirs computed on the spot,
once, so the page is never empty for want of a job.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from matchmaker.db import db
from matchmaker.models import Profile
from matchmaker.recommendations.queries import has_recommendations, refresh_for_user, top_for_user
from matchmaker.signups.links import opportunity_path

bp = Blueprint("recommendations", __name__)

#: Suggestions on the page (the matcher keeps 10 per resident).
PAGE_SIZE = 10


@bp.get("/for-you")
@login_required
def for_you():
    session = db.session
    user_id = current_user.id
    profile = session.get(Profile, user_id)
    if profile is not None and not has_recommendations(session, user_id):
        refresh_for_user(session, user_id)
        session.commit()
    items = top_for_user(session, user_id, PAGE_SIZE) if profile is not None else []
    return render_template(
        "recommendations/for_you.html", items=items, profile=profile,
        has_home=profile is not None and profile.home_lat is not None,
        has_free_time=profile is not None and bool(profile.availability),
        opportunity_path=opportunity_path,
    )
