"""HTTP for a person's own data: what we keep, download it all, delete the account."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from matchmaker.account import deletion
from matchmaker.account.export import personal_data
from matchmaker.account.forms import DeleteAccountForm
from matchmaker.auth.passwords import verify_password
from matchmaker.db import db, utcnow
from matchmaker.security import limiter

bp = Blueprint("account", __name__)


def _password_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/me/data")
@login_required
def data():
    return render_template("account/data.html")


@bp.route("/me/data.json")
@login_required
def export():
    body = json.dumps(personal_data(db.session, current_user), indent=2, ensure_ascii=False)
    db.session.rollback()  # read only
    name = f"matchmaker-my-data-{utcnow():%Y-%m-%d}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, methods=["POST"])
def delete():
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    handovers = deletion.handovers(db.session, user)
    blocked = [h.organization for h in handovers if h.successor is None]
    if form.validate_on_submit():
        if blocked:
            return _page(form, handovers, blocked, 409)
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append("That password is not right. Please try again.")
            return _page(form, handovers, blocked, 400)
        deletion.delete_account(db.session, user)
        db.session.commit()
        logout_user()
        return redirect(url_for("account.deleted"), code=303)
    return _page(form, handovers, blocked, 400 if form.is_submitted() else 200)


def _page(form, handovers, blocked, status: int):
    return render_template("account/delete.html", form=form, handovers=handovers,
                           blocked=blocked), status


@bp.route("/account-deleted")
def deleted():
    return render_template("account/deleted.html")
