"""HTTP for before and at the event: pass my spot on, check in, mark who came, "did you go?".

The email links (pass my spot on, did you go?) work without signing in: the
signed token is the permission. Their GET only shows a page with one button;
only the POST changes anything, so a mail scanner that opens every link never
gives a place away or records an answer.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from matchmaker.auth.forms import require_button_press
from matchmaker.db import db, utcnow
from matchmaker.followthrough import asks, attendance, checkin, passing, seating
from matchmaker.followthrough.passing import LinkError
from matchmaker.models import Occurrence, Organization
from matchmaker.orgs.access import organizer_occurrence
from matchmaker.rosters import services as roster_services
from matchmaker.security import limiter
from matchmaker.signups import services as signup_services
from matchmaker.tasks import enqueue_after_commit
from matchmaker.urls import MAX_ROW_ID, external_url

bp = Blueprint("followthrough", __name__)

_PREFIX = "/organizations/<slug>/occurrences/<int:occurrence_id>"


class CheckinForm(FlaskForm):
    code = StringField("Check-in code", description="The 6 letters and numbers on the sign "
                                                    "at the event, for example K7MX3Q.")


def _link_problem(exc: LinkError):
    return render_template("message.html", title=exc.title,
                           message=exc.message), exc.status


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


# --- pass my spot on --------------------------------------------------------------------------

@bp.route("/pass/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def pass_spot(token: str):
    try:
        signup = passing.check(db.session, token)
    except LinkError as exc:
        return _link_problem(exc)
    occ = signup.occurrence
    if request.method == "GET":
        return render_template("followthrough/event_pass.html", signup=signup, occ=occ,
                               opp=occ.opportunity, when=signup_services.format_span(occ))
    require_button_press()
    try:
        signup, promoted = passing.pass_on(db.session, token)
    except LinkError as exc:
        db.session.rollback()
        return _link_problem(exc)
    if promoted is not None:
        enqueue_after_commit("workers.jobs.send_signup_email", promoted.id, "promoted")
    db.session.commit()
    return render_template(
        "message.html", title="Thank you for letting us know",
        message=f"Your place for “{occ.opportunity.title}” is free for someone else now. "
                "There is no penalty for passing a spot on — we hope to see you another time.")


# --- "did you go?" ----------------------------------------------------------------------------

@bp.route("/attendance/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def answer(token: str):
    try:
        signup, reply = asks.check_answer(db.session, token)
    except LinkError as exc:
        return _link_problem(exc)
    occ = signup.occurrence
    if request.method == "GET":
        return render_template("followthrough/event_answer.html", signup=signup, occ=occ,
                               opp=occ.opportunity, when=signup_services.format_span(occ),
                               reply=reply)
    require_button_press()
    try:
        asks.record_answer(db.session, token)
    except LinkError as exc:
        db.session.rollback()
        return _link_problem(exc)
    db.session.commit()
    if reply == "yes":
        message = "Thank you for going, and for telling us. It made a difference."
    else:
        message = ("Thank you for telling us. Things come up — you are welcome back "
                   "whenever it suits you.")
    return render_template("message.html", title="Thank you", message=message)


# --- self check-in ----------------------------------------------------------------------------

def _render_checkin(form: CheckinForm, status: int = 200, occ: Occurrence | None = None):
    return render_template("followthrough/event_checkin.html", form=form), status


@bp.get("/checkin")
@bp.get("/checkin/<code>")
@login_required
def checkin_form(code: str = ""):
    form = CheckinForm()
    form.code.data = checkin.normalise(code) if code else ""
    return _render_checkin(form)


@bp.post("/checkin")
@login_required
@limiter.limit("10 per minute; 40 per hour", key_func=_per_user)
def checkin_submit():
    form = CheckinForm()
    if not form.validate_on_submit():
        form.form_errors.append("This form had expired. Please try again.")
        return _render_checkin(form, 400)
    try:
        result = checkin.check_in(db.session, current_user.id, form.code.data or "")
    except checkin.CheckinError as exc:
        db.session.rollback()
        form.code.errors = [exc.message]
        return _render_checkin(form, exc.status)
    db.session.commit()
    occ = result.signup.occurrence
    return render_template("followthrough/event_checked_in.html", occ=occ, opp=occ.opportunity,
                           already=result.already)


# --- organizer: the sign with the code, and marking who came ---------------------------------

def _org_and_occurrence(slug: str, occurrence_id: int) -> tuple[Organization, Occurrence]:
    return organizer_occurrence(
        slug, occurrence_id, "Only the people who run this organization can do this.")


@bp.get(f"{_PREFIX}/checkin")
@login_required
def checkin_sign(slug: str, occurrence_id: int):
    """A page to show (or print) at the event: the code in big letters and a QR code."""
    org, occ = _org_and_occurrence(slug, occurrence_id)
    code = checkin.ensure_code(db.session, occ)
    db.session.commit()
    url = external_url("followthrough.checkin_form", code=code)
    return render_template("followthrough/event_checkin_sign.html", org=org, occ=occ,
                           opp=occ.opportunity, when=roster_services.when_label(occ),
                           code=code, url=url, qr=checkin.qr_svg(url),
                           planned_extra=seating.planned_extra(db.session, occ, utcnow()))


@bp.post(f"{_PREFIX}/attendance")
@login_required
@limiter.limit("120 per hour", key_func=_per_user)
def mark_attendance(slug: str, occurrence_id: int):
    """The roster's bulk "came / didn't come" for the ticked people."""
    org, occ = _org_and_occurrence(slug, occurrence_id)
    require_button_press()
    value = request.form.get("mark")
    back = url_for("rosters.roster", slug=org.slug, occurrence_id=occ.id)
    if value not in attendance.VALUES:
        abort(400, "Please press “Came” or “Didn't come”.")
    # ASCII digits only ("²".isdigit() is true too), and an id a row can have.
    ids = [i for i in request.form.getlist("signup") if i.isascii() and i.isdigit()
           and len(i) <= 10 and int(i) <= MAX_ROW_ID]
    if not ids:
        flash("Please tick at least one person first.", "error")
        return redirect(back)
    count = attendance.mark_many(db.session, occ, ids, value)
    db.session.commit()
    word = "came" if value == "attended" else "didn't come"
    flash(f"Marked {count} {'person' if count == 1 else 'people'} as {word}.", "success")
    return redirect(back)
