"""Where a sign-up's pages live, for views and emails alike.

The opportunity page belongs to the opportunities feature; until its
``opportunities.detail`` endpoint exists, the occurrence page here stands in.
"""

from __future__ import annotations

from flask import url_for
from werkzeug.routing import BuildError

from matchmaker.models import Occurrence
from matchmaker.urls import external_url


def opportunity_path(occ: Occurrence) -> str:
    try:
        return url_for("opportunities.detail", id=occ.opportunity_id)
    except BuildError:
        return url_for("signups.occurrence", id=occ.id)


def opportunity_link(occ: Occurrence) -> str:
    """The absolute link, for emails and calendar files (no request needed)."""
    try:
        return external_url("opportunities.detail", id=occ.opportunity_id)
    except BuildError:
        return external_url("signups.occurrence", id=occ.id)
