"""HTTP after the event: "My impact", the optional reflection, "I did it" for small acts.

The impact page is the resident's own: it is only ever built for the signed-in
person (there is no URL with someone else's id), and their show-up rate appears
nowhere else. The reflection page works from the emailed link without signing
in; the link only shows a form, and only the button press saves, so a mail
scanner that opens links cannot answer on anyone's behalf.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from matchmaker.auth.forms import require_button_press
from matchmaker.db import db, utcnow
from matchmaker.followthrough import after, chart, impact
from matchmaker.models import Reflection
from matchmaker.security import safe_next
from matchmaker.signups import services as signup_services
from matchmaker.tokens import read_token

bp = Blueprint("after", __name__)


@bp.get("/me/impact", endpoint="impact")
@login_required
def impact_page():
    user = current_user._get_current_object()
    figures = impact.impact_for(db.session, user, utcnow(),
                                current_app.config.get("DEFAULT_TIMEZONE") or "UTC")
    # Safe to mark up: the chart escapes every value it writes into the SVG.
    svg = Markup(chart.acts_per_month_svg(figures.monthly))  # nosec B704 - escaped by chart.py
    return render_template("followthrough/after_impact.html", impact=figures, chart_svg=svg,
                           month_name=chart.month_name)


def _reflection_signup_or_404(token: str):
    data = read_token(after.REFLECTION_PURPOSE, token, after.REFLECTION_MAX_AGE)
    signup = after.reflection_signup(db.session, data)
    if signup is None:
        abort(404, "This link has expired or does not work any more. Thank you all the same!")
    return signup


@bp.route("/after/feel/<token>", methods=["GET", "POST"])
def reflect(token: str):
    signup = _reflection_signup_or_404(token)
    existing = db.session.get(Reflection, signup.id)
    if request.method == "POST":
        require_button_press()
        try:
            feeling = int(request.form.get("feeling", ""))
            after.save_reflection(db.session, signup, feeling, utcnow())
        except (ValueError, after.AfterError):
            db.session.rollback()
            return render_template("followthrough/after_reflect.html", signup=signup,
                                   feelings=after.FEELINGS, chosen=None, saved=False,
                                   error="Please choose one of the five answers."), 400
        db.session.commit()
        return render_template("followthrough/after_reflect.html", signup=signup,
                               feelings=after.FEELINGS, chosen=feeling, saved=True, error="")
    chosen = request.args.get("answer", type=int)
    if chosen not in after.FEELINGS:
        chosen = existing.feeling if existing else None
    return render_template("followthrough/after_reflect.html", signup=signup,
                           feelings=after.FEELINGS, chosen=chosen, saved=False, error="")


@bp.post("/me/signups/<int:id>/done")
@login_required
def mark_done(id: int):
    require_button_press()
    signup = signup_services.get_own_signup(db.session, id, current_user)
    if signup is None:
        abort(404)
    back = safe_next(request.form.get("next"), url_for("signups.commitments"))
    try:
        changed = after.mark_small_act_done(db.session, signup, utcnow())
    except after.AfterError as exc:
        db.session.rollback()
        abort(400, str(exc))
    db.session.commit()
    if changed:
        flash(f"Thank you! “{signup.occurrence.opportunity.title}” counts as done.", "success")
    return redirect(back), 303
