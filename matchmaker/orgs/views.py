"""HTTP for organizations: forms in, one service call, one commit, then follow-up jobs.

Who may do what (see Membership): anyone may read the public pages; any member
(owner or co-organizer) may edit the page, invite people and withdraw or resend
invitations; only an owner may remove a co-organizer; anyone may leave except
the last owner.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker.auth.forms import EmptyForm, require_button_press
from matchmaker.db import db
from matchmaker.models import Invitation, Membership, Organization
from matchmaker.orgs import services
from matchmaker.orgs.access import membership_or_403, org_or_404
from matchmaker.orgs.forms import InviteForm, OrganizationForm
from matchmaker.security import limiter
from matchmaker.tasks import enqueue_after_commit

bp = Blueprint("orgs", __name__, url_prefix="/organizations")

PER_PAGE = 20


def _send_invitation(invitation_id: int) -> None:
    enqueue_after_commit("workers.jobs.send_invitation_email", invitation_id)


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


# --- public ---------------------------------------------------------------------------

@bp.get("/")
def index():
    page = services.paginate(db.session, services.public_list(), _page_number(), PER_PAGE)
    if page is None:
        abort(404)
    return render_template("orgs/index.html", page=page)


@bp.get("/<slug>")
def show(slug: str):
    org = org_or_404(slug)
    membership = services.membership_of(db.session, org, current_user)
    return render_template(
        "orgs/show.html", org=org, membership=membership,
        paragraphs=services.description_paragraphs(org.description),
    )


# --- your own -----------------------------------------------------------------------------

@bp.get("/mine")
@login_required
def mine():
    memberships = list(db.session.scalars(services.memberships_of_user(current_user)))
    invitations = services.invitations_for_email(db.session, current_user.email)
    links = {inv.id: url_for("orgs.accept_invitation", token=services.invitation_token(inv))
             for inv in invitations}
    return render_template("orgs/mine.html", memberships=memberships,
                           invitations=invitations, invitation_links=links)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not current_user.is_verified:
        return render_template("orgs/verify_first.html"), 403
    form = OrganizationForm()
    if request.method == "GET":
        form.contact_email.data = current_user.email
    if form.validate_on_submit():
        try:
            org = services.create_organization(
                db.session, current_user._get_current_object(), **form.values())
        except services.OrgError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{org.name} is on matchmaker. It shows as “not yet verified” until "
                  "someone from the matchmaker team has checked it.", "success")
            return redirect(url_for("orgs.show", slug=org.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("orgs/form.html", form=form, org=None), status


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    org = org_or_404(slug)
    membership_or_403(org)
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        try:
            services.update_organization(db.session, org, **form.values())
            services.update_follow_through(org, **form.follow_through())
        except services.OrgError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            db.session.commit()
            flash("Your changes are saved.", "success")
            return redirect(url_for("orgs.show", slug=org.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("orgs/form.html", form=form, org=org), status


# --- the team: members and invitations --------------------------------------------------------

def _render_team(org: Organization, membership: Membership, invite_form: InviteForm,
                 status: int = 200):
    return render_template(
        "orgs/team.html", org=org, membership=membership, form=invite_form,
        members=services.members(db.session, org),
        invitations=services.pending_invitations(db.session, org),
        days=services.INVITATION_DAYS,
    ), status


@bp.get("/<slug>/team")
@login_required
def team(slug: str):
    org = org_or_404(slug)
    return _render_team(org, membership_or_403(org), InviteForm())


@bp.post("/<slug>/team/invite")
@login_required
@limiter.limit("30 per hour")
def invite(slug: str):
    org = org_or_404(slug)
    membership = membership_or_403(org)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            inv = services.invite(db.session, org, current_user._get_current_object(),
                                  form.email.data)
        except services.OrgError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            _send_invitation(inv.id)
            db.session.commit()
            flash(f"We are sending an invitation to {inv.email}. It works for "
                  f"{services.INVITATION_DAYS} days.", "success")
            return redirect(url_for("orgs.team", slug=org.slug))
    return _render_team(org, membership, form, 400)


def _invitation_of(org: Organization, invitation_id: int) -> Invitation:
    inv = db.session.get(Invitation, invitation_id)
    if inv is None or inv.organization_id != org.id:
        abort(404)
    return inv


@bp.post("/<slug>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(slug: str, invitation_id: int):
    org = org_or_404(slug)
    membership_or_403(org)
    require_button_press()
    inv = _invitation_of(org, invitation_id)
    try:
        services.revoke_invitation(db.session, org, inv)
    except services.OrgError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"The invitation to {inv.email} is withdrawn; its link no longer works.", "success")
    return redirect(url_for("orgs.team", slug=org.slug))


@bp.post("/<slug>/invitations/<int:invitation_id>/resend")
@login_required
@limiter.limit("30 per hour")
def resend_invitation(slug: str, invitation_id: int):
    org = org_or_404(slug)
    membership_or_403(org)
    require_button_press()
    inv = _invitation_of(org, invitation_id)
    try:
        services.resend_invitation(db.session, org, inv)
    except services.OrgError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        _send_invitation(inv.id)
        db.session.commit()
        flash(f"We are sending the invitation to {inv.email} again. It now works until "
              f"{services.format_date(inv.expires_at)}.", "success")
    return redirect(url_for("orgs.team", slug=org.slug))


@bp.post("/<slug>/members/<int:membership_id>/remove")
@login_required
def remove_member(slug: str, membership_id: int):
    org = org_or_404(slug)
    me = membership_or_403(org)
    require_button_press()
    target = db.session.get(Membership, membership_id)
    if target is None or target.organization_id != org.id:
        abort(404)
    if not me.is_owner:
        abort(403, "Only the owner of this organization can remove co-organizers.")
    try:
        removed = services.remove_member(db.session, org, target, by=me)
    except services.OrgError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{removed.display_name} no longer helps run {org.name}.", "success")
    return redirect(url_for("orgs.team", slug=org.slug))


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    org = org_or_404(slug)
    me = membership_or_403(org)
    require_button_press()
    try:
        services.leave(db.session, org, me)
    except services.OrgError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("orgs.team", slug=org.slug))
    db.session.commit()
    flash(f"You no longer help run {org.name}.", "success")
    return redirect(url_for("orgs.mine"))


# --- accepting an invitation --------------------------------------------------------------------

@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    """Show who invites you to what, with an Accept button; accept on POST."""
    user = current_user._get_current_object()
    try:
        inv = services.invitation_from_token(db.session, token)
        services.check_invitee(inv, user)
    except services.InvitationProblem as exc:
        return _invitation_problem(exc)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            membership = services.accept_invitation(db.session, token, user)
        except services.InvitationProblem as exc:
            db.session.rollback()
            return _invitation_problem(exc)
        db.session.commit()
        org = membership.organization
        flash(f"Welcome to the team of {org.name}! You can now edit its page and invite "
              "others to help.", "success")
        return redirect(url_for("orgs.team", slug=org.slug))
    return render_template("orgs/invitation.html", invitation=inv, org=inv.organization,
                           form=form, expires_on=services.format_date(inv.expires_at)), (
        400 if form.is_submitted() else 200)


def _invitation_problem(exc: services.InvitationProblem):
    org = exc.invitation.organization if exc.invitation is not None else None
    is_member = org is not None and services.membership_of(db.session, org, current_user)
    return render_template("orgs/invitation_problem.html", problem=exc, org=org,
                           is_member=bool(is_member)), exc.status
