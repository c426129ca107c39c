"""The JSON API under /api/v1, authenticated by personal API tokens (see api.auth).

Every route here is exempt from CSRF: requests carry a bearer token, never rely on
the session cookie, so a cross-site form cannot act on anyone's behalf. Views
follow the house pattern (one service call, one commit); every failure is an
``ApiError`` in the one error shape (api.errors). ``openapi.py`` documents the
shapes ``serialize.py`` produces; the tests check real responses against it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request, url_for
from sqlalchemy import select

from matchmaker.api.auth import token_required
from matchmaker.api.errors import ApiError, error_response
from matchmaker.api.inputs import json_body, opportunity_input
from matchmaker.api.openapi import openapi_document
from matchmaker.api.serialize import (
    card_json,
    occurrence_json,
    opportunity_json,
    recommendation_json,
    signup_json,
)
from matchmaker.browse import query
from matchmaker.browse.params import parse_int
from matchmaker.browse.services import card, read_request
from matchmaker.db import db, utcnow
from matchmaker.models import Occurrence, Opportunity, OpportunityStatus, Organization
from matchmaker.opportunities import services as opportunities
from matchmaker.security import csrf
from matchmaker.signups import services as signups
from matchmaker.tasks import enqueue_after_commit
from matchmaker.urls import MAX_ROW_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_PER_PAGE = 100
#: SignupError.code -> HTTP status.
SIGNUP_STATUS = {"unverified": 403, "not_found": 404, "not_open": 409, "started": 409,
                 "too_young": 403}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc)


@bp.get("/openapi.json")
def get_openapi():
    """The OpenAPI 3.1 description of this API (public, so tools can read it)."""
    return openapi_document()


@bp.get("/me")
@token_required
def get_me():
    """Who the token belongs to."""
    user = g.api_user
    return {"id": user.id, "email": user.email, "display_name": user.display_name,
            "role": str(user.role)}


# --- reading opportunities --------------------------------------------------------------

def _list_url(page: int, per_page: int) -> str:
    args = {k: v for k, v in request.args.lists() if k not in ("page", "per_page")}
    return url_for("api.list_opportunities", **args, page=page, per_page=per_page,
                   _external=True)


@bp.get("/opportunities")
@token_required
def list_opportunities():
    """The browse filters as query parameters, paginated."""
    parsed = read_request(db.session, request.args, g.api_user,
                          current_app.config["DEFAULT_TIMEZONE"])
    per_page = parse_int(request.args.get("per_page"), query.PER_PAGE, 1, MAX_PER_PAGE)
    if per_page is None:
        parsed.errors["per_page"] = f"Give a number from 1 to {MAX_PER_PAGE}."
    if parsed.errors:
        raise ApiError(400, "Some query parameters could not be used.", parsed.errors)
    now = utcnow()
    page = query.paginate(db.session, query.search(db.session, parsed.filters, now),
                          parsed.page, per_page)
    links = {"self": _list_url(page.page, per_page),
             "next": _list_url(page.page + 1, per_page) if page.has_next else None,
             "prev": _list_url(page.page - 1, per_page) if page.has_prev else None}
    return {"items": [card_json(card(row, now)) for row in page.items], "page": page.page,
            "per_page": per_page, "total": page.total, "pages": page.pages, "links": links}


def _opportunity_or_404(opportunity_id: int) -> Opportunity:
    """The opportunity if this token may see it: published, or run by the token's owner."""
    opp = db.session.get(Opportunity, opportunity_id)
    if opp is None or (opp.status != OpportunityStatus.PUBLISHED and not
                       opportunities.is_organizer(db.session, g.api_user, opp.organization_id)):
        raise ApiError(404, "There is no opportunity with that id.")
    return opp


def _detail(opp: Opportunity) -> dict:
    upcoming = opportunities.upcoming_occurrences(opp, now=utcnow())
    body = opportunity_json(opp, next_occurrence=upcoming[0] if upcoming else None)
    body["occurrences"] = [occurrence_json(o) for o in upcoming[:100]]
    return body


@bp.get("/opportunities/<int:opportunity_id>")
@token_required
def get_opportunity(opportunity_id: int):
    return _detail(_opportunity_or_404(opportunity_id))


# --- organizers: create, change, cancel ------------------------------------------------

def _organization_from(body: dict) -> Organization:
    ref = body.get("organization")
    org = None
    if isinstance(ref, int) and not isinstance(ref, bool):
        org = db.session.get(Organization, ref) if 0 < ref <= MAX_ROW_ID else None
    elif isinstance(ref, str) and ref.strip():
        org = db.session.scalar(select(Organization).where(Organization.slug == ref.strip()))
    else:
        raise ApiError(422, "Say which organization posts this.",
                       {"organization": "Give the organization's slug or id."})
    if org is None:
        raise ApiError(422, "There is no such organization.",
                       {"organization": "No organization has that slug or id."})
    return org


def _require_organizer(organization_id: int) -> None:
    if not opportunities.is_organizer(db.session, g.api_user, organization_id):
        raise ApiError(403, "Only the people who run this organization can do that.")


def _save(exc: opportunities.OpportunityError):
    raise ApiError(422, "Some fields need another look.", exc.errors) from exc


def _publish_flag(body: dict) -> bool:
    flag = body.get("publish", False)
    if not isinstance(flag, bool):
        raise ApiError(422, "Some fields need another look.",
                       {"publish": "Give true or false."})
    return flag


@bp.post("/opportunities")
@token_required
def create_opportunity():
    body = json_body()
    org = _organization_from(body)
    _require_organizer(org.id)
    publish = _publish_flag(body)
    data = opportunity_input(body)
    try:
        opp = opportunities.create_opportunity(db.session, org, g.api_user, data)
        if publish:
            opportunities.publish(db.session, opp)
    except opportunities.OpportunityError as exc:
        _save(exc)
    db.session.commit()
    response = _detail(opp)
    return response, 201, {"Location": url_for("api.get_opportunity", opportunity_id=opp.id)}


@bp.patch("/opportunities/<int:opportunity_id>")
@token_required
def update_opportunity(opportunity_id: int):
    opp = _opportunity_or_404(opportunity_id)
    _require_organizer(opp.organization_id)
    body = json_body()
    if "organization" in body:
        raise ApiError(422, "An opportunity cannot move to another organization.",
                       {"organization": "This cannot be changed."})
    if opp.status == OpportunityStatus.CANCELLED:
        raise ApiError(409, "This opportunity was cancelled and cannot be changed.")
    publish = _publish_flag(body)
    data = opportunity_input(body, opportunities.to_input(opp))
    try:
        opportunities.update_opportunity(db.session, opp, data)
        if publish:
            opportunities.publish(db.session, opp)
    except opportunities.OpportunityError as exc:
        _save(exc)
    db.session.commit()
    return _detail(opp)


@bp.delete("/opportunities/<int:opportunity_id>")
@token_required
def cancel_opportunity(opportunity_id: int):
    """Cancel (never delete): everyone signed up is told by email."""
    opp = _opportunity_or_404(opportunity_id)
    _require_organizer(opp.organization_id)
    told = opportunities.cancel_opportunity(db.session, opp, g.api_user)
    db.session.commit()
    return {"id": opp.id, "status": opp.status, "people_told": told}


# --- residents: sign up, pass a spot on ---------------------------------------------------

def _occurrence_for(opp: Opportunity, body: dict) -> Occurrence:
    raw = body.get("occurrence_id")
    upcoming = opportunities.upcoming_occurrences(opp, now=utcnow())
    if raw is None:
        if len(upcoming) == 1:
            return upcoming[0]
        raise ApiError(422, "This opportunity has several dates; say which one.",
                       {"occurrence_id": "Give the id of one of its occurrences."})
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ApiError(422, "Some fields need another look.",
                       {"occurrence_id": "Give the occurrence's id as a whole number."})
    found = next((o for o in opp.occurrences if o.id == raw), None)
    if found is None:
        raise ApiError(422, "That date is not one of this opportunity's.",
                       {"occurrence_id": "No occurrence of this opportunity has that id."})
    return found


@bp.post("/opportunities/<int:opportunity_id>/signups")
@token_required
def create_signup(opportunity_id: int):
    opp = _opportunity_or_404(opportunity_id)
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object as the request body (or no body).")
    occ = _occurrence_for(opp, body)
    try:
        result = signups.sign_up(db.session, occ.id, g.api_user)
    except signups.SignupError as exc:
        raise ApiError(SIGNUP_STATUS.get(exc.code, 409), str(exc), code=exc.code) from exc
    if not result.already:
        enqueue_after_commit("workers.jobs.send_signup_email", result.signup.id, result.status)
    db.session.commit()
    payload = {"id": result.signup.id, "status": result.status,
               "waitlist_position": result.waitlist_position, "warnings": result.warnings}
    return payload, 200 if result.already else 201


@bp.delete("/signups/<int:signup_id>")
@token_required
def release_signup(signup_id: int):
    """Pass the spot on: no penalty; the next person waiting moves up and is told."""
    signup = signups.get_own_signup(db.session, signup_id, g.api_user)
    if signup is None:
        raise ApiError(404, "You have no sign-up with that id.")
    promoted = signups.release(db.session, signup)
    if promoted is not None:
        enqueue_after_commit("workers.jobs.send_signup_email", promoted.id, "promoted")
    db.session.commit()
    return {"id": signup.id, "status": signup.status, "waitlist_position": None}


@bp.get("/me/signups")
@token_required
def my_signups():
    rows = list(db.session.scalars(signups.commitments(db.session, g.api_user)))
    return {"items": [signup_json(s, signups.waitlist_position(db.session, s)) for s in rows]}


#: Most suggestions one request returns (the matcher keeps 10 per resident).
MAX_RECOMMENDATIONS = 50


@bp.get("/me/recommendations")
@token_required
def my_recommendations():
    """The token owner's suggestions, best first, with the reasons (see the "For you" page)."""
    from matchmaker.recommendations.queries import top_for_user

    limit = parse_int(request.args.get("limit"), 10, 1, MAX_RECOMMENDATIONS)
    max_minutes = parse_int(request.args.get("max_minutes"), 0, 1, 1440)
    errors = {}
    if limit is None:
        errors["limit"] = f"Give a number from 1 to {MAX_RECOMMENDATIONS}."
    if max_minutes is None:
        errors["max_minutes"] = "Give a number of minutes from 1 to 1440."
    if errors:
        raise ApiError(400, "Some query parameters could not be used.", errors)
    views = top_for_user(db.session, g.api_user.id, limit, max_minutes=max_minutes or None)
    return {"items": [recommendation_json(v, i) for i, v in enumerate(views, start=1)]}
