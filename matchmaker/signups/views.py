"""HTTP for signing up: the button, passing a spot on, "My commitments", calendars.

Views check who you are, call one service, commit once, then queue the email.
Sign-ups are private: anyone but their owner gets a 404, never a hint they exist.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from matchmaker.auth.forms import EmptyForm
from matchmaker.db import db, utcnow
from matchmaker.models import Occurrence, OpportunityStatus, Signup, User
from matchmaker.security import safe_next
from matchmaker.signups import services
from matchmaker.signups.calendar_events import signup_event
from matchmaker.signups.forms import SignupForm
from matchmaker.signups.ics import build_calendar
from matchmaker.signups.links import opportunity_path
from matchmaker.tasks import enqueue_after_commit
from matchmaker.tokens import make_token, read_token
from matchmaker.urls import external_url

bp = Blueprint("signups", __name__)

FEED_PURPOSE = "calendar-feed"
#: Feed links do not expire by age; "Make a new link" is how one is revoked.
FEED_MAX_AGE = 10 * 365 * 24 * 3600
#: HTTP status for each rule a sign-up can break.
ERROR_STATUS = {"not_open": 409, "started": 409, "too_young": 403}


def _email(signup_id: int, kind: str) -> None:
    enqueue_after_commit("workers.jobs.send_signup_email", signup_id, kind)


# --- the box on the opportunity page ------------------------------------------------------

@bp.app_context_processor
def _signup_box_helpers():
    def signup_box_state(occurrence: Occurrence) -> dict:
        """What the sign-up box shows for the current person and this occurrence."""
        signup = position = None
        if current_user.is_authenticated:
            signup = services.find_signup(db.session, occurrence.id, current_user.id)
            if signup is not None and signup.status not in services.ACTIVE:
                signup = None
            position = services.waitlist_position(db.session, signup) if signup else None
        return {"signup": signup, "position": position,
                "closed": utcnow() >= services.closes_at(occurrence)
                or occurrence.cancelled_at is not None}

    return {"signup_box_state": signup_box_state, "signup_when": services.format_span}


def _occurrence_or_404(occurrence_id: int) -> Occurrence:
    occ = db.session.get(Occurrence, occurrence_id)
    if occ is None or occ.opportunity.status == OpportunityStatus.DRAFT:
        abort(404)
    return occ


def _render_occurrence(occ: Occurrence, form: SignupForm | None = None, error: str = "",
                       status: int = 200):
    return render_template("signups/occurrence.html", occurrence=occ,
                           opportunity=occ.opportunity, form=form or SignupForm(),
                           error=error), status


@bp.get("/occurrences/<int:id>")
def occurrence(id: int):
    """One date of an opportunity with its sign-up box (also the fallback redirect target)."""
    return _render_occurrence(_occurrence_or_404(id))


# --- signing up and passing a spot on ----------------------------------------------------------

@bp.post("/occurrences/<int:id>/signup")
@login_required
def sign_up(id: int):
    occ = _occurrence_or_404(id)
    form = SignupForm()
    if not form.validate_on_submit():
        if not form.errors:  # only the CSRF token can fail without a field error
            abort(400, "This form had expired. Please go back, reload the page and try again.")
        return _render_occurrence(occ, form, status=400)
    try:
        result = services.sign_up(db.session, occ.id, current_user._get_current_object(),
                                  share_email=form.share_email.data,
                                  share_phone=form.share_phone.data or "")
    except services.SignupError as exc:
        db.session.rollback()
        if exc.code == "unverified":
            return render_template("signups/verify_first.html", occurrence=occ), 403
        if exc.code == "not_found":
            abort(404)
        return _render_occurrence(occ, form, error=str(exc), status=ERROR_STATUS[exc.code])
    if not result.already:
        _email(result.signup.id, result.status)
    db.session.commit()
    _flash_result(result, occ)
    return redirect(opportunity_path(occ))


def _flash_result(result: services.SignupResult, occ: Occurrence) -> None:
    title = occ.opportunity.title
    if result.already:
        flash(f"You are already on the list for “{title}” — nothing has changed.", "info")
    elif result.status == "confirmed":
        flash(f"You're in! Your place for “{title}” is saved. We have emailed you the "
              "details.", "success")
    else:
        flash(f"You're number {result.waitlist_position} on the waiting list for “{title}”. "
              "If a place opens up you move up automatically, and we will email you.",
              "success")
    for note in result.warnings:
        flash(f"Just so you know: {note}", "warning")


def _own_signup_or_404(signup_id: int) -> Signup:
    signup = services.get_own_signup(db.session, signup_id, current_user)
    if signup is None:
        abort(404)
    return signup


@bp.post("/signups/<int:id>/release")
@login_required
def release(id: int):
    signup = _own_signup_or_404(id)
    if not EmptyForm().validate_on_submit():
        abort(400, "This form had expired. Please go back, reload the page and try again.")
    was_active = signup.status in services.ACTIVE
    promoted = services.release(db.session, signup)
    if promoted is not None:
        _email(promoted.id, "promoted")
    db.session.commit()
    if was_active:
        flash(f"Thank you for letting us know. Your place for “"
              f"{signup.occurrence.opportunity.title}” is free for someone else now. "
              "There is no penalty for passing a spot on.", "success")
    return redirect(safe_next(request.form.get("next"), url_for("signups.commitments")))


# --- my commitments and calendars -------------------------------------------------------------

def feed_token(user: User) -> str:
    return make_token(FEED_PURPOSE, {"uid": user.id, "v": user.calendar_feed_version})


@bp.get("/me/commitments")
@login_required
def commitments():
    rows = list(db.session.scalars(services.commitments(db.session, current_user)))
    positions = {s.id: services.waitlist_position(db.session, s) for s in rows}
    return render_template(
        "signups/commitments.html", signups=rows, positions=positions,
        feed_url=external_url("signups.calendar_feed", token=feed_token(current_user)),
        opportunity_path=opportunity_path,
    )


@bp.post("/me/calendar/new-link")
@login_required
def new_calendar_link():
    if not EmptyForm().validate_on_submit():
        abort(400, "This form had expired. Please go back, reload the page and try again.")
    services.new_calendar_link(db.session, current_user._get_current_object())
    db.session.commit()
    flash("Here is your new calendar link. The old one has stopped working; if you had added "
          "it to a calendar app, add the new one instead.", "success")
    return redirect(url_for("signups.commitments") + "#calendar")


def _calendar_response(body: bytes, filename: str | None) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/signups/<int:id>.ics")
@login_required
def signup_ics(id: int):
    signup = _own_signup_or_404(id)
    body = build_calendar([signup_event(signup)], stamp=utcnow())
    return _calendar_response(body, f"matchmaker-{signup.id}.ics")


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The private feed: anyone with the link can read it, until it is replaced."""
    data = read_token(FEED_PURPOSE, token, FEED_MAX_AGE) or {}
    user = db.session.get(User, data["uid"]) if isinstance(data.get("uid"), int) else None
    if user is None or not user.is_active or data.get("v") != user.calendar_feed_version:
        abort(404)
    rows = db.session.scalars(services.commitments(db.session, user))
    body = build_calendar([signup_event(s) for s in rows], name="matchmaker: my commitments",
                          stamp=utcnow())
    return _calendar_response(body, None)
