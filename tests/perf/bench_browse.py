"""Benchmark: the browse query on PostgreSQL with 20,000 upcoming opportunities.

    .venv/bin/python -m tests.perf.bench_browse [--opportunities N] [--queries N]

Creates its own database (``bench_browse_<pid>`` on BENCH_POSTGRES_URL, default
the local server), fills it with opportunities spread over New York, runs a few
hundred varied browse queries (search + count + page, i.e. what one page view
does) and prints p50/p95 server-side time, then the EXPLAIN (ANALYZE) plans of
the typical shapes, which show the indexes at work. The database is dropped at
the end. Target: p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.browse import query
from matchmaker.browse.query import BrowseFilters
from matchmaker.db import Base, make_engine, utcnow
from matchmaker.models import Occurrence, Opportunity, OpportunityTag, Organization
from matchmaker.models.opportunity import local_start

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CENTRE = (40.70, -73.95)


def fill_opportunities(session: Session, n: int, rng: random.Random) -> None:
    """n published opportunities over New York with tags and occurrences (Core inserts).

    Also used by ``bench_load``, which serves the same data through gunicorn.
    """
    now = utcnow().replace(microsecond=0)
    # Core inserts of the models (not raw SQL), so columns added later get their defaults.
    session.execute(insert(Organization), [
        {"name": f"Org {g}", "name_key": f"org {g}", "slug": f"org-{g}", "area": "NYC"}
        for g in range(1, 401)])
    causes = list(vocab.CAUSES)
    formats = list(vocab.OPPORTUNITY_FORMATS)
    opp_rows, tag_rows = [], []
    for i in range(1, n + 1):
        kind = rng.choices(["one_off", "shifts", "small_act"], [6, 3, 1])[0]
        remote = kind == "small_act" or rng.random() < 0.05
        lat = None if remote else CENTRE[0] + rng.uniform(-0.35, 0.35)
        lon = None if remote else CENTRE[1] + rng.uniform(-0.45, 0.45)
        opp_rows.append({
            "id": i, "org": rng.randint(1, 400), "title": f"Opportunity {i} "
            + rng.choice(["pantry shift", "park clean-up", "reading buddy", "call a neighbour",
                          "sort donations", "tutor maths", "walk dogs"]),
            "kind": kind, "remote": remote, "lat": lat, "lon": lon,
            "duration": 10 if kind == "small_act" else rng.choice([30, 60, 120, 180, 240]),
            "format": rng.choice(formats), "first": rng.random() < 0.7,
            "tz": rng.choice(["America/New_York"] * 5 + ["America/Chicago"]),
        })
        for cause in rng.sample(causes, rng.randint(1, 3)):
            tag_rows.append({"o": i, "k": "cause", "v": cause})
        if rng.random() < 0.3:
            tag_rows.append({"o": i, "k": "access", "v": rng.choice(["step-free", "seated"])})
    session.execute(insert(Opportunity), [{
        "id": r["id"], "organization_id": r["org"], "title": r["title"],
        "description": "A kind thing to do nearby.", "kind": r["kind"], "status": "published",
        "is_remote": r["remote"], "place_label": "New York", "lat": r["lat"], "lon": r["lon"],
        "timezone": r["tz"], "duration_minutes": r["duration"], "capacity": 10, "min_age": 0,
        "social_format": r["format"], "first_timer_friendly": r["first"], "published_at": now,
    } for r in opp_rows])
    session.execute(insert(OpportunityTag), [
        {"opportunity_id": t["o"], "kind": t["k"], "value": t["v"]} for t in tag_rows])
    occ_rows = []
    for row in opp_rows:
        first = now + timedelta(hours=rng.randint(1, 24 * 60))
        count = 6 if row["kind"] == "shifts" else 1
        for k in range(count):
            start = first + timedelta(days=7 * k)
            end = start + timedelta(minutes=row["duration"])
            if row["kind"] == "small_act":
                start, end = now - timedelta(days=1), now + timedelta(days=rng.randint(1, 30))
            weekday, minute = local_start(start, row["tz"])
            occ_rows.append({"o": row["id"], "s": start, "e": end,
                             "c": rng.randint(0, 10), "w": weekday, "m": minute})
    session.execute(insert(Occurrence), [
        {"opportunity_id": r["o"], "starts_at": r["s"], "ends_at": r["e"], "capacity": 10,
         "confirmed_count": r["c"], "local_weekday": r["w"], "local_minute": r["m"]}
        for r in occ_rows])
    session.commit()
    conn = session.connection()
    conn.execute(text("ANALYZE"))
    session.commit()
    print(f"filled: {n} opportunities, {len(occ_rows)} occurrences, {len(tag_rows)} tags")


def _random_filters(rng: random.Random) -> BrowseFilters:
    kw: dict = {}
    if rng.random() < 0.6:
        kw["near"] = (CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.2, 0.2))
        kw["radius_km"] = rng.choice([2, 5, 10, 25])
        kw["sort"] = rng.choice(["nearest", "soonest", "best"])
    if rng.random() < 0.3:
        kw["causes"] = tuple(rng.sample(list(vocab.CAUSES), rng.randint(1, 2)))
    if rng.random() < 0.2:
        kw["q"] = rng.choice(["pantry", "dogs", "neighbour", "Org 12", "maths"])
    if rng.random() < 0.2:
        start = date.today() + timedelta(days=rng.randint(0, 30))
        kw["date_from"], kw["date_to"] = start, start + timedelta(days=rng.randint(0, 14))
    if rng.random() < 0.2:
        kw["weekdays"] = (5, 6)
    if rng.random() < 0.2:
        kw["times_of_day"] = (rng.choice(["morning", "afternoon", "evening"]),)
    if rng.random() < 0.15:
        kw["duration"] = rng.choice(["short", "medium", "long"])
    if rng.random() < 0.1:
        kw["access"] = ("step-free",)
    if rng.random() < 0.2:
        kw["first_timer"] = True
    if rng.random() < 0.05:
        kw["remote"] = True
    if rng.random() < 0.05:
        kw["small_acts"] = True
    if kw.get("sort") == "best":
        kw["fit_causes"] = ("food-security", "animals")
    return BrowseFilters(**kw)


def _explain(session: Session, label: str, filters: BrowseFilters) -> None:
    # The page query; loading the 20 rows it names afterwards is 20 primary-key lookups.
    stmt = query.search(session, filters, utcnow()).keys.limit(query.PER_PAGE)
    compiled = stmt.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
    print(f"\n--- EXPLAIN ANALYZE: {label} ---")
    print("\n".join(plan))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    import matchmaker.models  # noqa: F401  (registers every table)

    name = f"bench_browse_{os.getpid()}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = SERVER.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        rng = random.Random(20250614)
        with Session(engine) as session:
            fill_opportunities(session, args.opportunities, rng)
        timings = []
        with Session(engine) as session:
            for _ in range(20):  # warm the caches and the statement cache
                query.paginate(session, query.search(session, _random_filters(rng), utcnow()), 1)
            for _ in range(args.queries):
                filters = _random_filters(rng)
                page = rng.choice([1, 1, 1, 2, 3])
                t0 = time.perf_counter()
                query.paginate(session, query.search(session, filters, utcnow()), page)
                timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            p50 = statistics.median(timings)
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"\nbrowse page (count + 20 rows), {len(timings)} varied queries: "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms "
                  f"(target p95 <= 50 ms: {'OK' if p95 <= 50 else 'MISSED'})")
            _explain(session, "no filters, soonest", BrowseFilters())
            _explain(session, "near (5 km), nearest", BrowseFilters(
                near=(40.70, -73.95), radius_km=5, sort="nearest"))
            _explain(session, "near (5 km) + cause + weekend", BrowseFilters(
                near=(40.70, -73.95), radius_km=5, causes=("animals",), weekdays=(5, 6)))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
