"""Organizers' rosters per occurrence: who is coming, CSV export, emailing them.

Only organizers of the occurrence's organization get in: anyone else signed in
gets 403, and an occurrence that is not this organization's is a 404 (so an
organizer cannot reach another organization's roster through their own slug).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker.db import db
from matchmaker.models import Occurrence, Organization
from matchmaker.orgs.access import organizer_occurrence
from matchmaker.rosters import services
from matchmaker.rosters.forms import RosterMessageForm
from matchmaker.security import limiter
from matchmaker.tasks import enqueue_after_commit

bp = Blueprint("rosters", __name__)

_PREFIX = "/organizations/<slug>/occurrences/<int:occurrence_id>"


def _org_and_occurrence(slug: str, occurrence_id: int) -> tuple[Organization, Occurrence]:
    return organizer_occurrence(
        slug, occurrence_id, "Only the people who run this organization can see who signed up.")


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


@bp.get(f"{_PREFIX}/roster")
@login_required
def roster(slug: str, occurrence_id: int):
    org, occ = _org_and_occurrence(slug, occurrence_id)
    return render_template("rosters/roster.html", org=org, occ=occ, opp=occ.opportunity,
                           when=services.when_label(occ),
                           roster=services.load_roster(db.session, occ))


@bp.get(f"{_PREFIX}/roster.csv")
@login_required
def roster_csv(slug: str, occurrence_id: int):
    _org, occ = _org_and_occurrence(slug, occurrence_id)
    body = services.roster_csv(services.load_roster(db.session, occ))
    filename = f"roster-{occ.opportunity_id}-{occ.starts_at:%Y-%m-%d}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",  # names and phone numbers: never in a shared cache
    })


def _render_compose(org, occ, form, status=200):
    return render_template("rosters/message.html", org=org, occ=occ, opp=occ.opportunity,
                           when=services.when_label(occ), form=form), status


@bp.route(f"{_PREFIX}/roster/message", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", key_func=_per_user, methods=["POST"])
def message(slug: str, occurrence_id: int):
    """Write → preview (with how many people get it) → send. The send is the only write."""
    org, occ = _org_and_occurrence(slug, occurrence_id)
    form = RosterMessageForm()
    if request.method == "GET":
        form.key.data = secrets.token_urlsafe(24)
        return _render_compose(org, occ, form)
    if not form.validate_on_submit():
        return _render_compose(org, occ, form, 400)
    if "change" in request.form:
        return _render_compose(org, occ, form)
    if "send" not in request.form:
        count = len(services.recipient_ids(db.session, occ, form.audience.data))
        return render_template("rosters/message_preview.html", org=org, occ=occ,
                               opp=occ.opportunity, when=services.when_label(occ), form=form,
                               count=count, audience=services.AUDIENCES[form.audience.data],
                               paragraphs=[p for p in form.body.data.split("\n\n") if p.strip()])
    return _send(org, occ, form)


def _send(org, occ, form):
    try:
        msg, created = services.create_message(
            db.session, occ, current_user._get_current_object(), key=form.key.data or "",
            subject=form.subject.data, body=form.body.data, audience=form.audience.data,
            allow_replies=form.allow_replies.data)
    except services.RosterError as exc:
        db.session.rollback()
        if exc.field:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            form.form_errors.append(str(exc))
        return _render_compose(org, occ, form, 400)
    if created:
        enqueue_after_commit("workers.jobs.send_roster_message", msg.id)
        count = len(msg.recipients)
        db.session.commit()
        flash(f"Your message is on its way to {count} "
              f"{'person' if count == 1 else 'people'}.", "success")
    else:
        flash("This message was already sent, so we did not send it again.", "success")
    return redirect(url_for("rosters.roster", slug=org.slug, occurrence_id=occ.id))
