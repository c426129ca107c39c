"""Who may act on an organization: the lookups every organizer-only view starts with."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from matchmaker.db import db
from matchmaker.models import Membership, Occurrence, Organization
from matchmaker.orgs import services

DEFAULT_FORBIDDEN = ("Only the people who run this organization can change it. If you help "
                     "run it, ask one of its organizers to invite you.")


def org_or_404(slug: str) -> Organization:
    org = services.get_by_slug(db.session, slug)
    if org is None:
        abort(404)
    return org


def membership_or_403(org: Organization, message: str = DEFAULT_FORBIDDEN) -> Membership:
    """The current user's membership; 403 for anyone who does not help run ``org``."""
    membership = services.membership_of(db.session, org, current_user)
    if membership is None:
        abort(403, message)
    return membership


def organizer_occurrence(slug: str, occurrence_id: int,
                         message: str = DEFAULT_FORBIDDEN) -> tuple[Organization, Occurrence]:
    """An occurrence of ``slug``'s organization, for one of its organizers only.

    404 for an unknown organization or an occurrence of another organization
    (never reveal which), 403 for someone who does not help run it.
    """
    from matchmaker.rosters.services import occurrence_of_org

    org = org_or_404(slug)
    membership_or_403(org, message)
    occ = occurrence_of_org(db.session, org.id, occurrence_id)
    if occ is None:
        abort(404)
    return org, occ
