"""HTTP for posting opportunities: organizer pages and the public detail page.

Organizer pages live under /organizations/<slug>/opportunities/ and are only for
people with a Membership in that organization (anyone else signed in gets 403,
anyone signed out is sent to sign in). An opportunity reached through another
organization's slug is 404: the URL must name the organization that owns it.
The public page /opportunities/<id> shows published and cancelled opportunities
to everyone; a draft only to its own organizers (404 for anyone else, so drafts
cannot even be discovered).
"""

from __future__ import annotations

from functools import lru_cache

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

from matchmaker import vocab
from matchmaker.auth.forms import EmptyForm
from matchmaker.db import db
from matchmaker.models import Group, Opportunity, OpportunityStatus, Organization
from matchmaker.opportunities import display, services
from matchmaker.opportunities.forms import OpportunityForm
from matchmaker.opportunities.markdown import render_markdown
from matchmaker.opportunities.schema import validate

bp = Blueprint("opportunities", __name__)

_ORG = "/organizations/<slug>/opportunities"
#: How many upcoming dates the public page lists.
DATES_SHOWN = 8


@bp.app_template_filter("markdown")
@lru_cache(maxsize=1024)
def _markdown_filter(text: str):
    # A description is read far more often than it changes, and parsing plus
    # sanitising one costs milliseconds; the output depends on the text alone.
    return render_markdown(text)


@bp.app_context_processor
def _display_helpers():
    """Time, length and seat wording for any template (the sign-up box uses them too)."""
    return {"when_words": display.when_words, "duration_words": display.duration_words,
            "seats_words": display.seats_words, "day_words": display.day_words}


# --- loading and permission -------------------------------------------------------------

def _org_as_organizer(slug: str) -> Organization:
    """The organization, if the signed-in person runs it: 404 unknown, 403 not theirs."""
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        abort(404)
    if not services.is_organizer(db.session, current_user, org.id):
        abort(403, "Only the people who run this organization can see and change its "
                   "opportunities.")
    return org


def _opportunity_of(org: Organization, opportunity_id: int) -> Opportunity:
    opp = db.session.get(Opportunity, opportunity_id)
    if opp is None or opp.organization_id != org.id:
        abort(404)
    return opp


def _groups(org: Organization) -> list[Group]:
    return list(db.session.scalars(
        select(Group).where(Group.organization_id == org.id, Group.archived_at.is_(None))
        .order_by(Group.name)))


def _form(org: Organization, **kwargs) -> OpportunityForm:
    return OpportunityForm(**kwargs).setup(current_app.config["DEFAULT_TIMEZONE"], _groups(org))


def _save(form: OpportunityForm, save) -> Opportunity | None:
    """Convert, validate and call ``save(data)``; on any problem, show it and roll back."""
    data, errors = form.to_input()
    errors = {**validate(data), **errors}  # a "not a number" beats "out of range"
    if not errors:
        try:
            return save(data)
        except services.OpportunityError as exc:
            errors = exc.errors
    db.session.rollback()
    form.show_errors(errors)
    return None


def _form_page(form: OpportunityForm, org: Organization, opp: Opportunity | None):
    status = 400 if form.is_submitted() else 200
    return render_template("opportunities/form.html", form=form, org=org, opp=opp,
                           tile_url=current_app.config.get("MAP_TILE_URL", "")), status


# --- organizer pages --------------------------------------------------------------------

@bp.get(f"{_ORG}/")
@login_required
def manage(slug: str):
    org = _org_as_organizer(slug)
    opportunities = list(db.session.scalars(services.organization_opportunities(org)))
    sections = [
        ("Drafts", "Only you and your co-organizers can see these.",
         [o for o in opportunities if o.status == OpportunityStatus.DRAFT]),
        ("Published", "Anyone can find these and sign up.",
         [o for o in opportunities if o.status == OpportunityStatus.PUBLISHED]),
        ("Cancelled", "Kept so you can copy them.",
         [o for o in opportunities if o.status == OpportunityStatus.CANCELLED]),
    ]
    return render_template("opportunities/manage.html", org=org, sections=sections,
                           button_form=EmptyForm(), upcoming=services.upcoming_occurrences)


@bp.route(f"{_ORG}/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    org = _org_as_organizer(slug)
    form = _form(org)
    if form.validate_on_submit():
        author = current_user._get_current_object()
        opp = _save(form, lambda data: services.create_opportunity(db.session, org, author, data))
        if opp is not None:
            db.session.commit()
            flash("Saved as a draft. Check the page below, then publish it when you are ready.",
                  "success")
            return redirect(url_for("opportunities.detail", id=opp.id))
    return _form_page(form, org, None)


@bp.route(f"{_ORG}/<int:opportunity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, opportunity_id: int):
    org = _org_as_organizer(slug)
    opp = _opportunity_of(org, opportunity_id)
    if opp.status == OpportunityStatus.CANCELLED:
        flash("This opportunity was cancelled, so it cannot be changed. You can copy it "
              "to post it again.", "error")
        return redirect(url_for("opportunities.manage", slug=org.slug))
    form = _form(org)
    if request.method == "GET":
        form.fill(services.to_input(opp))
        form.setup(current_app.config["DEFAULT_TIMEZONE"], _groups(org))
    elif form.validate_on_submit():
        saved = _save(form, lambda data: services.update_opportunity(db.session, opp, data))
        if saved is not None:
            db.session.commit()
            flash("Your changes are saved.", "success")
            return redirect(url_for("opportunities.detail", id=opp.id))
    return _form_page(form, org, opp)


@bp.post(f"{_ORG}/<int:opportunity_id>/publish")
@login_required
def publish(slug: str, opportunity_id: int):
    org = _org_as_organizer(slug)
    opp = _opportunity_of(org, opportunity_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.publish(db.session, opp)
    except services.OpportunityError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("opportunities.manage", slug=org.slug)), 303
    db.session.commit()
    flash("Published. People can now find it and sign up.", "success")
    return redirect(url_for("opportunities.detail", id=opp.id)), 303


@bp.post(f"{_ORG}/<int:opportunity_id>/copy")
@login_required
def copy(slug: str, opportunity_id: int):
    org = _org_as_organizer(slug)
    opp = _opportunity_of(org, opportunity_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    new = services.copy_opportunity(db.session, opp, current_user._get_current_object())
    db.session.commit()
    flash("Here is your copy, saved as a draft. Change the dates, then publish it.", "success")
    return redirect(url_for("opportunities.edit", slug=org.slug, opportunity_id=new.id)), 303


@bp.route(f"{_ORG}/<int:opportunity_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(slug: str, opportunity_id: int):
    """GET asks to confirm (saying how many people will be told); POST cancels."""
    org = _org_as_organizer(slug)
    opp = _opportunity_of(org, opportunity_id)
    if opp.status == OpportunityStatus.CANCELLED:
        flash("This opportunity is already cancelled.", "success")
        return redirect(url_for("opportunities.manage", slug=org.slug))
    form = EmptyForm()
    if form.validate_on_submit():
        told = services.cancel_opportunity(db.session, opp, current_user._get_current_object())
        db.session.commit()
        flash(f"Cancelled. We are emailing the {_people(told)} who had signed up."
              if told else "Cancelled. Nobody had signed up, so nobody needs to be told.",
              "success")
        return redirect(url_for("opportunities.manage", slug=org.slug)), 303
    return render_template("opportunities/cancel.html", org=org, opp=opp, form=form,
                           people=services.people_to_tell(db.session, opp),
                           people_words=_people), 400 if form.is_submitted() else 200


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


# --- public -----------------------------------------------------------------------------

@bp.get("/opportunities/<int:id>")
def detail(id: int):
    opp = db.session.get(Opportunity, id)
    if opp is None:
        abort(404)
    is_organizer = services.is_organizer(db.session, current_user, opp.organization_id)
    if opp.status == OpportunityStatus.DRAFT and not is_organizer:
        abort(404)
    upcoming = services.upcoming_occurrences(opp)
    return render_template(
        "opportunities/detail.html", opp=opp, org=opp.organization, is_organizer=is_organizer,
        occurrences=upcoming[:DATES_SHOWN], more_dates=max(len(upcoming) - DATES_SHOWN, 0),
        labels=vocab.labels, vocab=vocab,
    )
