"""HTTP for digests: the Emails settings page, this week's digest in the browser,
an admin preview of anyone's, and the one-click unsubscribe link (RFC 8058)."""

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
from sqlalchemy import select

from matchmaker.auth.forms import require_button_press
from matchmaker.db import db, utcnow
from matchmaker.digests import compose, schedule, sending
from matchmaker.digests.forms import EmailSettingsForm
from matchmaker.models import DigestKind, Profile, User
from matchmaker.security import csrf
from matchmaker.tokens import read_token

bp = Blueprint("digests", __name__)

#: Unsubscribe links in old emails keep working for this long.
UNSUBSCRIBE_MAX_AGE = 5 * 365 * 24 * 3600


def _profile_for(user: User) -> Profile:
    """The person's profile, created with defaults if they never filled one in
    (organizers, say): digest settings live there."""
    if user.profile is None:
        user.profile = Profile(timezone=current_app.config.get("DEFAULT_TIMEZONE") or "UTC")
        db.session.flush()
    return user.profile


@bp.route("/me/emails", methods=["GET", "POST"])
@login_required
def settings():
    user = db.session.get(User, current_user.id)
    profile = user.profile
    form = EmailSettingsForm(obj=profile) if profile else EmailSettingsForm()
    if form.validate_on_submit():
        profile = _profile_for(user)
        form.populate_obj(profile)
        db.session.commit()
        flash("Thank you — your email settings are saved.", "success")
        return redirect(url_for("digests.settings"), code=303)
    status = 400 if form.is_submitted() else 200
    pref = schedule.Preference(
        user.id, (profile.timezone if profile else "") or current_app.config["DEFAULT_TIMEZONE"],
        profile.digest_weekday if profile else 6, profile.digest_hour if profile else 17,
        profile.digest_frequency if profile else "weekly")
    next_at = schedule.next_send_moment(pref, utcnow())
    next_local = next_at.astimezone(schedule.zone(pref.timezone)) if next_at else None
    return render_template("digests/settings.html", form=form, user=user, next_local=next_local,
                           zone_name=pref.timezone.replace("_", " ")), status


@bp.post("/me/emails/bouncing")
@login_required
def clear_bouncing():
    require_button_press()
    user = db.session.get(User, current_user.id)
    user.email_bouncing_at = None
    user.email_bounce_reason = ""
    db.session.commit()
    flash("Thank you — we will try your address again.", "success")
    return redirect(url_for("digests.settings"), code=303)


def _render_digest_page(user: User, *, preview: bool):
    renderer = sending.DigestRenderer(db.session)
    period = sending.current_period(user)
    resident = renderer.compose(user, DigestKind.RESIDENT, period) if user.profile else None
    organizer = (renderer.compose(user, DigestKind.ORGANIZER, period)
                 if sending.is_organizer(db.session, user.id) else None)
    return render_template("digests/this_week.html", person=user, resident=resident,
                           organizer=organizer, preview=preview, web=True)


@bp.get("/me/digest")
@login_required
def this_week():
    return _render_digest_page(db.session.get(User, current_user.id), preview=False)


@bp.get("/admin/digests")
@login_required
def admin_find():
    """The admin page's "preview someone's weekly email" form: an address -> their preview."""
    if not current_user.is_admin:
        abort(403)
    email = (request.args.get("email") or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    if user is None:
        message = ("Nobody has that email address here. Check the spelling and try again."
                   if email else "Please type the email address of the person.")
        return render_template("message.html", title="Nobody to preview", message=message), (
            404 if email else 400)
    return redirect(url_for("digests.admin_preview", user_id=user.id))


@bp.get("/admin/digests/<int:user_id>")
@login_required
def admin_preview(user_id: int):
    if not current_user.is_admin:
        abort(403)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return _render_digest_page(user, preview=True)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET shows a confirm page; POST (the page's button, or a mail client's
    RFC 8058 one-click POST, with no session and no CSRF token) switches the
    weekly emails off. The signed token is the only credential; doing it twice
    changes nothing more."""
    from flask import request

    data = read_token(compose.UNSUBSCRIBE_PURPOSE, token, UNSUBSCRIBE_MAX_AGE)
    user = db.session.get(User, data.get("u")) if data and isinstance(data.get("u"), int) \
        else None
    if user is None:
        return render_template("digests/unsubscribe.html", state="invalid"), 404
    if request.method == "POST":
        profile = _profile_for(user)
        profile.digest_frequency = "off"
        db.session.commit()
        return render_template("digests/unsubscribe.html", state="done", token=token)
    already = user.profile is not None and user.profile.digest_frequency == "off"
    return render_template("digests/unsubscribe.html", state="done" if already else "confirm",
                           token=token)
