"""A short-lived cache of the browse page as people who are not signed in see it.

Most visits to ``/opportunities`` are anonymous and ask for a handful of
queries (the default page above all), so each web process keeps the rendered
HTML per query string (an LRU of ``ENTRIES``) and serves it again while it is
still right. An entry is served only while both hold:

* **the data version is unchanged.** Any commit that inserted, changed or deleted
  an opportunity, occurrence (seats taken: ``confirmed_count``), tag,
  organization or group bumps it, from the web process or a worker alike (the
  session events below). The version lives in Redis (one ``INCR``, seen by every
  process) and, for this process's own commits, in memory too: this process
  sees its own changes at once, and another process's within ``CHECK_EVERY``
  (0.2 s; asking Redis on every request cost more than the rest of a cached
  page on a busy two-core machine);
* **it is younger than ``BROWSE_CACHE_SECONDS``** (default 60; 0 turns the cache
  off; off under TESTING unless set). This bounds what no event sees: writes by
  other tools or raw SQL, bumps lost while Redis was down, and time itself (an
  occurrence that starts leaves the list).

If Redis cannot be read the page is built afresh (browsing never depends on
Redis). Never cached: signed-in people (their home, causes and "best fit" shape
the page), a request carrying flashed messages, anything but a 200, and a
response that changed the session.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import Flask, current_app, make_response, request, session
from flask_login import current_user
from sqlalchemy import event

from matchmaker.models import Group, Occurrence, Opportunity, OpportunityTag, Organization

log = logging.getLogger(__name__)

#: Rows whose change can change what a browse page shows.
WATCHED = (Opportunity, Occurrence, OpportunityTag, Organization, Group)
DEFAULT_SECONDS = 60
#: Pages kept per process (about 25 KB each).
ENTRIES = 256
#: Longer query strings are served uncached (nobody types them; a flood of them
#: would only evict the pages people do ask for).
MAX_KEY = 600
REDIS_KEY = "matchmaker:browse:data-version"
#: Seconds between two reads of the shared version by one process.
CHECK_EVERY = 0.2
_CHANGED = "browse_cache_changed"


class BrowseCache:
    """One app's entries and its local version counter (thread-safe for gthread workers)."""

    def __init__(self, app: Flask, seconds: int) -> None:
        self.app = app
        self.seconds = seconds
        self.local_version = 0
        #: key -> (expires at, data version, HTML)
        self.entries: OrderedDict[tuple, tuple[float, str, bytes]] = OrderedDict()
        self.lock = threading.Lock()
        #: Keys some thread is building again after their TTL ran out.
        self.rebuilding: set[tuple] = set()
        self.clock = time.monotonic   # tests move it on
        #: The shared version as last read (None: unknown) and when it was read.
        self.shared: int | None = None
        self.checked_at = float("-inf")

    def version(self) -> str | None:
        """The current data version; None when it cannot be known (Redis unreachable)."""
        from redis.exceptions import RedisError

        from matchmaker.tasks import redis_connection

        conn = redis_connection(self.app)
        if conn is None:
            return f"local:{self.local_version}"
        now = self.clock()
        if now - self.checked_at >= CHECK_EVERY:
            # A failed read is not retried before CHECK_EVERY either: Redis being
            # down must not add a connection attempt to every request.
            self.checked_at = now
            try:
                self.shared = int(conn.get(REDIS_KEY) or 0)
            except RedisError:
                self.shared = None
        if self.shared is None:
            return None
        return f"{self.shared}:{self.local_version}"

    def bump(self) -> None:
        from redis.exceptions import RedisError

        from matchmaker.tasks import redis_connection

        with self.lock:
            self.local_version += 1
            self.entries.clear()
        conn = redis_connection(self.app)
        if conn is not None:
            try:
                conn.incr(REDIS_KEY)
            except RedisError as exc:
                log.warning("browse cache: could not bump the shared data version (%s); other "
                            "processes may show the old list for up to %s s", exc, self.seconds)

    def get(self, key: tuple, version: str) -> bytes | None:
        """The page to serve, or None: then the caller builds it and calls ``done``.

        A page past its TTL whose data version still holds is rebuilt by one
        thread only; the process's other threads serve the previous page meanwhile
        (for the rebuild's few milliseconds), instead of all querying at once.
        A changed version is never served.
        """
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[1] != version:
                self.entries.pop(key, None)
                return None
            expires_at, _, body = entry
            self.entries.move_to_end(key)
            if self.clock() <= expires_at or key in self.rebuilding:
                return body
            self.rebuilding.add(key)
            return None

    def done(self, key: tuple) -> None:
        """The caller that got None from ``get`` has finished, stored a page or not."""
        with self.lock:
            self.rebuilding.discard(key)

    def put(self, key: tuple, version: str, body: bytes) -> None:
        with self.lock:
            # Each page lives 75-100% of the TTL: pages cached together (after a
            # restart or a change) would otherwise all be rebuilt in the same second.
            spread = random.uniform(0.75, 1.0)  # nosec B311 - spreads expiry times, no secret
            lifetime = self.seconds * spread
            self.entries[key] = (self.clock() + lifetime, version, body)
            self.entries.move_to_end(key)
            while len(self.entries) > ENTRIES:
                self.entries.popitem(last=False)


def _state() -> BrowseCache | None:
    cache = current_app.extensions.get("matchmaker.browse_cache")
    return cache if cache is not None and cache.seconds > 0 else None


def _key() -> tuple | None:
    """What the page depends on for an anonymous visitor; None when it must not be cached."""
    if request.method != "GET" or len(request.query_string) > MAX_KEY:
        return None
    if "_flashes" in session or current_user.is_authenticated:
        return None
    return (request.host, request.path, request.query_string)


def anonymous_page(view):
    """Serve ``view``'s HTML from the cache for visitors who are not signed in."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        cache = _state()
        key = _key() if cache is not None else None
        version = cache.version() if key is not None else None
        if version is None:
            return view(*args, **kwargs)
        body = cache.get(key, version)
        if body is not None:
            return current_app.response_class(body, mimetype="text/html")
        try:
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200 and not session.modified:
                cache.put(key, version, response.get_data())
        finally:
            cache.done(key)
        return response

    return wrapper


# --- knowing when the data changed -------------------------------------------------------

def _note_flush(session_, _flush_context) -> None:
    if any(isinstance(obj, WATCHED)
           for obj in (*session_.new, *session_.dirty, *session_.deleted)):
        session_.info[_CHANGED] = True


def _note_bulk(state) -> None:
    """Bulk ``update()``/``delete()``/``insert()`` of a watched model skip the flush."""
    if (state.is_update or state.is_delete or state.is_insert) and any(
            mapper.class_ in WATCHED for mapper in state.all_mappers):
        state.session.info[_CHANGED] = True


def init_app(app: Flask) -> None:
    seconds = app.config.get("BROWSE_CACHE_SECONDS")
    if seconds is None:
        seconds = 0 if app.testing else DEFAULT_SECONDS
    cache = BrowseCache(app, int(seconds))
    app.extensions["matchmaker.browse_cache"] = cache

    def after_commit(session_) -> None:
        if session_.info.pop(_CHANGED, False) and cache.seconds > 0:
            cache.bump()

    # Dirty objects are only known at flush time, the outcome only at commit; a
    # rolled-back change leaves the mark, which costs one needless bump at most.
    factory = app.extensions["matchmaker.db"].Session
    event.listen(factory, "after_flush", _note_flush)
    event.listen(factory, "do_orm_execute", _note_bulk)
    event.listen(factory, "after_commit", after_commit)
