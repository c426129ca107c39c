"""The anonymous browse page cache (matchmaker/browse/cache.py): served again, but never stale.

Every test turns the cache on (it is off under TESTING) and first shows that the
page really is served from the cache — a change made behind the ORM's back (raw
SQL, which no event sees) stays invisible — so a test of invalidation cannot
pass merely because nothing was cached.
"""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import text

from matchmaker.browse import cache as browse_cache

SECONDS = 30


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BROWSE_CACHE_SECONDS": SECONDS}


@pytest.fixture
def anonymous(app):
    """A second client with no cookies: a visitor who is not signed in."""
    return app.test_client()


def _page(c, query: str = "") -> str:
    resp = c.get(f"/opportunities{query}")
    assert resp.status_code == 200
    return unescape(resp.get_data(as_text=True))


def _rename_behind_orm(session, opp, title: str) -> None:
    """A change no session event sees (another tool, raw SQL): only the TTL catches it."""
    session.execute(text("update opportunities set title = :t where id = :i"),
                    {"t": title, "i": opp.id})
    session.expire_all()   # requests in tests share this session; a new one would see it


def _cache(app) -> browse_cache.BrowseCache:
    return app.extensions["matchmaker.browse_cache"]


def test_page_is_reused_until_it_expires(app, session, anonymous, make_opportunity):
    opp = make_opportunity(title="Sort food at the pantry")
    assert "Sort food at the pantry" in _page(anonymous)
    _rename_behind_orm(session, opp, "Renamed quietly")
    assert "Sort food at the pantry" in _page(anonymous)        # served from the cache
    assert "Renamed quietly" in _page(anonymous, "?page=1")     # another query: built afresh
    now = _cache(app).clock()
    _cache(app).clock = lambda: now + SECONDS + 1
    assert "Renamed quietly" in _page(anonymous)                # too old: built afresh


def test_a_new_opportunity_appears_at_once(session, anonymous, make_opportunity):
    first = make_opportunity(title="Sort food at the pantry")
    assert "Sort food at the pantry" in _page(anonymous)
    _rename_behind_orm(session, first, "Renamed quietly")
    assert "Renamed quietly" not in _page(anonymous)            # cached
    make_opportunity(title="Walk dogs at the shelter")           # a commit through the ORM
    html = _page(anonymous)
    assert "Walk dogs at the shelter" in html and "Renamed quietly" in html


def test_a_full_occurrence_shows_as_full(client, anonymous, make_user, make_opportunity,
                                         login_as, post_form):
    occ = make_opportunity(title="Sort food", capacity=1).occurrences[0]
    html = _page(anonymous)
    assert "1 place left" in html and "Full" not in html
    login_as(make_user())
    resp = post_form(f"/occurrences/{occ.id}/signup", {}, page=f"/occurrences/{occ.id}")
    assert resp.status_code == 302
    html = _page(anonymous)
    assert "Full — you can join the waiting list" in html and "1 place left" not in html


def test_a_bulk_update_counts_as_a_change(session, anonymous, make_opportunity):
    from sqlalchemy import update

    from matchmaker.models import Occurrence

    occ = make_opportunity(title="Sort food", capacity=2).occurrences[0]
    assert "2 places left" in _page(anonymous)
    session.execute(update(Occurrence).where(Occurrence.id == occ.id).values(confirmed_count=2))
    session.commit()
    assert "Full — you can join the waiting list" in _page(anonymous)


def test_signed_in_people_never_get_the_anonymous_page(client, anonymous, make_user,
                                                       make_opportunity, login_as):
    make_opportunity()
    assert "Sign out" not in _page(anonymous)
    login_as(make_user())
    assert "Sign out" in _page(client)
    assert "Sign out" not in _page(anonymous)


def test_error_pages_are_not_kept(session, anonymous, make_opportunity):
    opp = make_opportunity(title="Sort food at the pantry")
    resp = anonymous.get("/opportunities?page=zero")
    assert resp.status_code == 400
    _rename_behind_orm(session, opp, "Renamed quietly")
    resp = anonymous.get("/opportunities?page=zero")
    assert resp.status_code == 400 and "Renamed quietly" in unescape(resp.get_data(as_text=True))


def test_zero_seconds_turns_it_off(app_config, engine):
    from matchmaker import create_app

    app = create_app(**{**app_config, "BROWSE_CACHE_SECONDS": 0})
    assert _cache(app).seconds == 0
    assert browse_cache.DEFAULT_SECONDS > 0
    testing_default = create_app(**{k: v for k, v in app_config.items()
                                    if k != "BROWSE_CACHE_SECONDS"})
    assert _cache(testing_default).seconds == 0


@pytest.mark.redis
def test_a_change_in_another_process_reaches_this_one(app_config, redis_url, app, session,
                                                      make_opportunity):
    """Two apps on one Redis stand for two gunicorn workers: a bump in one empties the other."""
    from matchmaker import create_app

    app.config["REDIS_URL"] = redis_url
    other = create_app(**{**app_config, "REDIS_URL": redis_url})
    opp = make_opportunity(title="Sort food at the pantry")
    c = app.test_client()
    assert "Sort food at the pantry" in _page(c)
    _rename_behind_orm(session, opp, "Renamed quietly")
    assert "Renamed quietly" not in _page(c)
    _cache(other).bump()                      # what a commit in the other worker does
    now = _cache(app).clock()
    _cache(app).clock = lambda: now + browse_cache.CHECK_EVERY   # not a TTL: 0.2 s, not 30
    assert "Renamed quietly" in _page(c)


def test_redis_unreachable_means_no_cache_not_an_error(app, session, make_opportunity):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"    # nothing listens on port 1
    app.extensions.pop("matchmaker.redis", None)
    opp = make_opportunity(title="Sort food at the pantry")
    c = app.test_client()
    assert "Sort food at the pantry" in _page(c)
    _rename_behind_orm(session, opp, "Renamed quietly")
    assert "Renamed quietly" in _page(c)
    app.extensions.pop("matchmaker.redis", None)


def test_after_the_ttl_one_thread_rebuilds_and_the_others_get_the_previous_page(app):
    cache = browse_cache.BrowseCache(app, SECONDS)
    now = [0.0]
    cache.clock = lambda: now[0]
    key = ("localhost", "/opportunities", b"")
    cache.put(key, "v1", b"old page")
    now[0] = SECONDS + 1
    assert cache.get(key, "v1") is None               # this request builds it again ...
    assert cache.get(key, "v1") == b"old page"        # ... the others meanwhile: no stampede
    cache.put(key, "v1", b"new page")
    cache.done(key)
    assert cache.get(key, "v1") == b"new page"
    assert cache.get(key, "v2") is None               # changed data: never the old page
    assert cache.get(key, "v2") is None               # nor to the next request


def test_the_environment_sets_the_seconds(monkeypatch):
    from matchmaker.config import load_config

    monkeypatch.setenv("BROWSE_CACHE_SECONDS", "5")
    assert load_config().BROWSE_CACHE_SECONDS == 5
    monkeypatch.setenv("BROWSE_CACHE_SECONDS", "")
    assert load_config().BROWSE_CACHE_SECONDS is None    # the default: 60, off under TESTING
    monkeypatch.setenv("BROWSE_CACHE_SECONDS", "soon")
    with pytest.raises(ValueError, match="BROWSE_CACHE_SECONDS"):
        load_config()
