"""HTTP for the dashboards: per organization, opportunity and group, and platform-wide.

Who may look: the people who run the organization (any member), and platform
admins, who also get the whole-platform page. Everyone else signed in gets 403;
an opportunity or group of another organization is a 404 even through your own
organization's address. The pages show totals only, never a person.

Each page has a ``.csv`` twin with the same figures; ``?days=30|90|365`` picks
the period (default 90), anything else is a 400 that says what is allowed.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.db import db, utcnow
from matchmaker.groups import services as group_services
from matchmaker.metrics import definitions as d
from matchmaker.metrics.chart import cohort_svg
from matchmaker.metrics.export import dashboard_csv
from matchmaker.metrics.queries import Scope, load_dashboard
from matchmaker.models import Group, Opportunity, OpportunityStatus, Organization
from matchmaker.orgs.access import membership_or_403, org_or_404
from matchmaker.orgs.services import slugify

bp = Blueprint("metrics", __name__)

# Each page has two rules; the HTML one is registered first (decorators apply bottom
# up) so url_for() without ``fmt`` builds the page, and ``fmt="csv"`` the download.

_ORG = "/organizations/<slug>/dashboard"
FORBIDDEN = "Only the people who run this organization can see its figures."


def _period() -> d.Period:
    try:
        days = d.parse_period(request.args.get("days"))
    except d.PeriodError as exc:
        abort(400, str(exc))
    return d.Period.ending(utcnow(), days)


def _org_for_dashboard(slug: str) -> Organization:
    org = org_or_404(slug)
    if not current_user.is_admin:
        membership_or_403(org, FORBIDDEN)
    return org


def _respond(scope: Scope, fmt: str, endpoint: str, filename: str, *, org=None, group=None,
             opportunity=None, parts=None, **url_args):
    period = _period()
    board = load_dashboard(db.session, scope, period)
    if fmt == "csv":
        name = f"figures-{slugify(filename) or 'matchmaker'}-{period.days}-days-{period.end:%Y-%m-%d}.csv"
        return Response(dashboard_csv(board), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        })
    return render_template(
        "metrics/dashboard.html", board=board, help=d.HELP, percent=d.percent,
        periods=d.PERIODS, org=org, group=group, opportunity=opportunity, parts=parts,
        chart=cohort_svg(board.cohorts, scope_label=scope.label),
        period_url=lambda days: url_for(endpoint, days=days, **url_args),
        csv_url=url_for(endpoint, fmt="csv", days=period.days, **url_args),
        regular_min=d.REGULAR_MIN_ACTS,
    )


def _org_parts(org: Organization) -> dict:
    """Links to the per-opportunity and per-group pages (names of things, never of people)."""
    opportunities = db.session.scalars(
        select(Opportunity).where(Opportunity.organization_id == org.id,
                                  Opportunity.status != OpportunityStatus.DRAFT)
        .order_by(Opportunity.title, Opportunity.id))
    groups = group_services.groups_of(db.session, org, include_archived=True)
    return {"opportunities": list(opportunities), "groups": groups}


@bp.get(f"{_ORG}.csv", defaults={"fmt": "csv"})
@bp.get(_ORG, defaults={"fmt": "html"})
@login_required
def organization(slug: str, fmt: str):
    org = _org_for_dashboard(slug)
    return _respond(Scope(label=org.name, organization_id=org.id), fmt,
                    "metrics.organization", org.name, org=org, parts=_org_parts(org),
                    slug=org.slug)


@bp.get(f"{_ORG}/opportunities/<int:opportunity_id>.csv", defaults={"fmt": "csv"})
@bp.get(f"{_ORG}/opportunities/<int:opportunity_id>", defaults={"fmt": "html"})
@login_required
def opportunity(slug: str, opportunity_id: int, fmt: str):
    org = _org_for_dashboard(slug)
    opp = db.session.get(Opportunity, opportunity_id)
    if opp is None or opp.organization_id != org.id:
        abort(404)
    return _respond(Scope(label=opp.title, organization_id=org.id, opportunity_id=opp.id), fmt,
                    "metrics.opportunity", opp.title, org=org, opportunity=opp,
                    slug=org.slug, opportunity_id=opp.id)


@bp.get(f"{_ORG}/groups/<group_slug>.csv", defaults={"fmt": "csv"})
@bp.get(f"{_ORG}/groups/<group_slug>", defaults={"fmt": "html"})
@login_required
def group(slug: str, group_slug: str, fmt: str):
    org = _org_for_dashboard(slug)
    grp: Group | None = group_services.get_by_slug(db.session, org, group_slug)
    if grp is None:
        abort(404)
    return _respond(Scope(label=grp.name, organization_id=org.id, group_id=grp.id), fmt,
                    "metrics.group", grp.name, org=org, group=grp,
                    slug=org.slug, group_slug=grp.slug)


@bp.get("/admin/dashboard.csv", defaults={"fmt": "csv"})
@bp.get("/admin/dashboard", defaults={"fmt": "html"})
@login_required
def platform(fmt: str):
    if not current_user.is_admin:
        abort(403)
    return _respond(Scope(label="The whole platform"), fmt, "metrics.platform", "platform")
