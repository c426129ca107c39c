"""Finding opportunities: the public list (and its optional map), filters and sorting.

Anyone may browse; no sign-in. The list is the page: a plain GET form and
links, so it works without JavaScript. ``static/js/browse_map.js`` adds a map
from the cards' data- attributes when it can.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from matchmaker import vocab
from matchmaker.browse import cache, query
from matchmaker.browse.params import DAY_KEYS
from matchmaker.browse.services import card, read_request
from matchmaker.db import db, utcnow

bp = Blueprint("browse", __name__)
bp.record_once(lambda state: cache.init_app(state.app))


def opportunity_url(opportunity_id: int) -> str:
    """The opportunity's own page (``opportunities.detail``)."""
    return url_for("opportunities.detail", id=opportunity_id)


def page_url(page: int) -> str:
    """This same search, on another page: every filter kept."""
    args = {k: v for k, v in request.args.lists() if k != "page"}
    return url_for("browse.index", **args, page=page)


@bp.get("/opportunities")
@cache.anonymous_page
def index():
    parsed = read_request(db.session, request.args, current_user,
                          current_app.config["DEFAULT_TIMEZONE"])
    now = utcnow()
    page = query.paginate(db.session, query.search(db.session, parsed.filters, now), parsed.page)
    profile = current_user.profile if current_user.is_authenticated else None
    has_home = profile is not None and profile.home_lat is not None
    status = 400 if parsed.errors else 200
    return render_template(
        "browse/index.html", parsed=parsed, f=parsed.filters, errors=parsed.errors, page=page,
        cards=[card(row, now) for row in page.items], args=request.args,
        has_home=has_home, home_label=profile.home_label if has_home else "",
        causes=vocab.CAUSES, days=list(zip(DAY_KEYS, vocab.WEEKDAYS, strict=True)),
        times=query.TIMES_OF_DAY, durations=query.DURATIONS, formats=query.SOCIAL_FORMATS,
        access=query.ACCESS, sorts=query.SORTS, opportunity_url=opportunity_url,
        page_url=page_url, tile_url=current_app.config.get("MAP_TILE_URL", ""),
    ), status
