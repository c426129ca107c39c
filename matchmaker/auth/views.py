"""HTTP for accounts: forms in, one service call, one commit, then follow-up jobs."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker.auth import services
from matchmaker.auth.forms import (
    ChangePasswordForm,
    EmptyForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from matchmaker.auth.login import end_session, start_session
from matchmaker.db import db
from matchmaker.security import limiter, safe_next
from matchmaker.tasks import enqueue_after_commit

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _send(kind: str, user_id: int) -> None:
    enqueue_after_commit("workers.jobs.send_account_email", kind, user_id)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, form.email.data, form.display_name.data, form.password.data
            )
        except services.AuthError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            start_session(user)
            _send("verify", user.id)
            db.session.commit()
            flash(f"Welcome, {user.display_name}! We sent a link to {user.email}: "
                  "open it to confirm your address.", "success")
            return redirect(url_for("profile.edit", welcome=1))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.email.data, form.password.data)
        except services.AuthError as exc:
            db.session.commit()  # keep the failure count
            form.form_errors.append(str(exc))
        else:
            start_session(user)
            db.session.commit()
            flash(f"Welcome back, {user.display_name}.", "success")
            return redirect(safe_next(form.next.data, url_for("main.index")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    end_session(current_user._get_current_object())
    db.session.commit()
    flash("You are signed out. See you soon.", "info")
    return redirect(url_for("main.index"))


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        user = services.confirm_email(db.session, token)
    except services.AuthError as exc:
        return render_template("message.html", title="Link not valid", message=str(exc)), 400
    db.session.commit()
    flash(f"Thank you — {user.email} is confirmed.", "success")
    if current_user.is_authenticated:
        return redirect(url_for("profile.edit"))
    return redirect(url_for("auth.login"))


@bp.post("/verify/resend")
@login_required
@limiter.limit("5 per hour")
def resend_verification():
    form = EmptyForm()
    if form.validate_on_submit() and not current_user.is_verified:
        _send("verify", current_user.id)
        db.session.commit()
        flash(f"We sent a new link to {current_user.email}.", "info")
    return redirect(safe_next(request.form.get("next"), url_for("profile.edit")))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(db.session, form.email.data)
        if user is not None and user.is_active:
            _send("reset", user.id)
            db.session.commit()
        # The same answer either way, so the form does not reveal who has an account.
        return render_template(
            "message.html", title="Check your email",
            message=f"If {form.email.data} has an account here, a link to choose a new "
                    "password is on its way. It works once, for one hour.",
        )
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(db.session, token)
    except services.AuthError as exc:
        return render_template("message.html", title="Link not valid", message=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(db.session, token, form.password.data)
        _send("password-changed", user.id)
        db.session.commit()
        flash("Your new password is saved. Please sign in with it.", "success")
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(
                db.session, user, form.current_password.data, form.password.data
            )
        except services.AuthError as exc:
            db.session.rollback()
            form.current_password.errors.append(str(exc))
        else:
            start_session(user)  # every other session ended; this one gets a new id
            _send("password-changed", user.id)
            db.session.commit()
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("profile.edit"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status
