"""HTTP for the resident profile: one page to read and change it, no JavaScript needed."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker import vocab
from matchmaker.db import db
from matchmaker.profile import services
from matchmaker.profile.availability import Window, describe
from matchmaker.profile.forms import ProfileForm, initial_data

bp = Blueprint("profile", __name__, url_prefix="/profile")


@bp.route("/", methods=["GET", "POST"])
@login_required
def edit():
    user_id = current_user.id
    profile = services.get_profile(db.session, user_id)
    default_timezone = current_app.config["DEFAULT_TIMEZONE"]
    if request.method == "POST":
        form = ProfileForm(default_timezone=default_timezone)
    else:
        form = ProfileForm(data=initial_data(profile, default_timezone),
                           default_timezone=default_timezone)
        form.add_blank_rows()
    if form.validate_on_submit():
        try:
            result = services.save_profile(db.session, user_id, form.to_input())
        except services.ProfileError as exc:
            # The service changed no profile row; what may be pending is a geocoder
            # cache entry (a hit or a miss), which is worth keeping either way.
            db.session.commit()
            form.add_service_errors(exc.errors)
        else:
            db.session.commit()
            flash(_saved_message(result), "success")
            return redirect(url_for("profile.edit"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "profile/edit.html", form=form, profile=profile,
        free_times=_free_times(profile), welcome=request.args.get("welcome") == "1",
    ), status


def _saved_message(result: services.SaveResult) -> str:
    message = "Thank you — your profile is saved. You can change it any time."
    if result.joined_days:
        days = " and ".join(vocab.WEEKDAYS[d] for d in result.joined_days)
        message += f" Some free times on {days} overlapped, so we joined them into one."
    return message


def _free_times(profile) -> list[str]:
    if profile is None:
        return []
    return describe(Window(w.weekday, w.start_minute, w.end_minute) for w in profile.availability)
