"""HTTP for platform admins: checking organizations and marking them verified.

Every page here is for admins only: the blueprint's before_request guard sends
anonymous visitors to sign in and answers 403 to everyone else.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker.auth.forms import EmptyForm
from matchmaker.db import db
from matchmaker.models import Organization
from matchmaker.orgs import services
from matchmaker.security import safe_next

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
FILTERS = {"all": "All organizations, waiting ones first",
           "unverified": "Only those waiting to be verified"}


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


@bp.get("/organizations")
def organizations():
    show = request.args.get("show", "all")
    if show not in FILTERS:
        show = "all"
    page = services.paginate(db.session, services.admin_list(show),
                             request.args.get("page", 1, type=int), PER_PAGE)
    if page is None:
        abort(404)
    owners = services.owners_of(db.session, [org.id for org in page.items])
    return render_template("admin/organizations.html", page=page, show=show, filters=FILTERS,
                           owners=owners)


def _org_or_404(org_id: int) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        abort(404)
    return org


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("admin.organizations"))


@bp.post("/organizations/<int:org_id>/verify")
def verify_organization(org_id: int):
    org = _org_or_404(org_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.verify(db.session, org, current_user._get_current_object()):
        db.session.commit()
        flash(f"{org.name} is now verified.", "success")
    else:
        flash(f"{org.name} was already verified.", "info")
    return redirect(_back())


@bp.post("/organizations/<int:org_id>/unverify")
def unverify_organization(org_id: int):
    org = _org_or_404(org_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.unverify(db.session, org):
        db.session.commit()
        flash(f"{org.name} is no longer marked verified.", "success")
    else:
        flash(f"{org.name} was not verified.", "info")
    return redirect(_back())


# The operations page's routes are on this blueprint too (admins only, same guard).
from matchmaker.admin import operations_views  # noqa: F401
