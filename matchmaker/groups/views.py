"""HTTP for groups: organizers create, edit and archive them; residents join and leave.

Who sees what: anyone may read a group's page and its member *count*; the
member *names* are shown only to the group's members and to the organizers of
its organization. Joining and leaving are instant (a POST with a CSRF token).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from matchmaker.auth.forms import EmptyForm, require_button_press
from matchmaker.db import db
from matchmaker.groups import services
from matchmaker.groups.forms import GroupForm
from matchmaker.models import Group, Organization
from matchmaker.orgs import services as org_services
from matchmaker.orgs.access import org_or_404
from matchmaker.rosters.services import when_label

bp = Blueprint("groups", __name__)

_PREFIX = "/organizations/<slug>/groups"


def _is_organizer(org: Organization) -> bool:
    return org_services.membership_of(db.session, org, current_user) is not None


def _organizer_or_403(org: Organization) -> None:
    if not _is_organizer(org):
        abort(403, "Only the people who run this organization can change its groups.")


def _group_or_404(org: Organization, group_slug: str) -> Group:
    group = services.get_by_slug(db.session, org, group_slug)
    if group is None:
        abort(404)
    return group


@bp.app_context_processor
def _group_helpers():
    """``groups_of(org)`` for the organization's public page (active groups only)."""
    return {"groups_of": lambda org: services.groups_of(db.session, org)}


# --- public -----------------------------------------------------------------------------------

@bp.get(f"{_PREFIX}/")
def index(slug: str):
    org = org_or_404(slug)
    organizer = _is_organizer(org)
    groups = services.groups_of(db.session, org, include_archived=organizer)
    return render_template("groups/index.html", org=org, groups=groups, is_organizer=organizer)


@bp.get(f"{_PREFIX}/<group_slug>")
def show(slug: str, group_slug: str):
    org = org_or_404(slug)
    group = _group_or_404(org, group_slug)
    organizer = _is_organizer(org)
    member = services.membership(db.session, group, current_user)
    if group.archived_at is not None and not (organizer or member):
        abort(404)
    names = services.member_names(db.session, group) if (organizer or member) else None
    meetups = services.next_meetups(db.session, group)
    return render_template(
        "groups/show.html", org=org, group=group, is_organizer=organizer, member=member,
        member_names=names, member_count=services.member_count(db.session, group),
        regular_count=services.regular_count(db.session, group),
        regular_min=services.REGULAR_MIN_MEETUPS,
        meetups=[(m, when_label(m.occurrence)) for m in meetups],
        paragraphs=org_services.description_paragraphs(group.description),
        form=EmptyForm(),
    )


# --- residents ----------------------------------------------------------------------------------

@bp.post(f"{_PREFIX}/<group_slug>/join")
@login_required
def join(slug: str, group_slug: str):
    org = org_or_404(slug)
    group = _group_or_404(org, group_slug)
    require_button_press()
    try:
        joined = services.join(db.session, group, current_user._get_current_object())
    except services.GroupError as exc:
        db.session.rollback()
        abort(400, str(exc))
    db.session.commit()
    flash(f"Welcome to {group.name}! You can leave at any time." if joined
          else f"You are already a member of {group.name}.", "success")
    return redirect(url_for("groups.show", slug=org.slug, group_slug=group.slug))


@bp.post(f"{_PREFIX}/<group_slug>/leave")
@login_required
def leave(slug: str, group_slug: str):
    org = org_or_404(slug)
    group = _group_or_404(org, group_slug)
    require_button_press()
    left = services.leave(db.session, group, current_user._get_current_object())
    db.session.commit()
    flash(f"You have left {group.name}. Places you signed up for stay booked."
          if left else f"You are not a member of {group.name}.", "success")
    return redirect(url_for("groups.show", slug=org.slug, group_slug=group.slug))


# --- organizers -----------------------------------------------------------------------------------

def _save(org: Organization, group: Group | None):
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            if group is None:
                group = services.create_group(db.session, org, **form.values())
            else:
                services.update_group(db.session, group, **form.values())
        except services.GroupError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            db.session.commit()
            flash("The group is saved.", "success")
            return redirect(url_for("groups.show", slug=org.slug, group_slug=group.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("groups/form.html", form=form, org=org, group=group), status


@bp.route(f"{_PREFIX}/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    org = org_or_404(slug)
    _organizer_or_403(org)
    return _save(org, None)


@bp.route(f"{_PREFIX}/<group_slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, group_slug: str):
    org = org_or_404(slug)
    _organizer_or_403(org)
    return _save(org, _group_or_404(org, group_slug))


@bp.post(f"{_PREFIX}/<group_slug>/archive")
@login_required
def archive(slug: str, group_slug: str):
    org = org_or_404(slug)
    _organizer_or_403(org)
    group = _group_or_404(org, group_slug)
    require_button_press()
    services.archive_group(db.session, group)
    db.session.commit()
    flash(f"{group.name} is archived: it no longer shows on {org.name}'s page and takes no "
          "new members. You can bring it back at any time.", "success")
    return redirect(url_for("groups.show", slug=org.slug, group_slug=group.slug))


@bp.post(f"{_PREFIX}/<group_slug>/restore")
@login_required
def restore(slug: str, group_slug: str):
    org = org_or_404(slug)
    _organizer_or_403(org)
    group = _group_or_404(org, group_slug)
    require_button_press()
    services.restore_group(db.session, group)
    db.session.commit()
    flash(f"{group.name} is active again.", "success")
    return redirect(url_for("groups.show", slug=org.slug, group_slug=group.slug))
