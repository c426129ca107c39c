"""Benchmark of the matching engine on a synthetic metro area (not a timed test).

Run:  .venv/bin/python -m tests.perf.bench_matching [--residents N] [--occurrences N]

A seeded metro area of about 60 x 60 km around lower Manhattan, denser in the
centre: 100,000 residents (radius 2–25 km, 3–6 causes, 2–6 weekly windows,
New York time) and 20,000 occurrences over the next 28 days (a daylight-saving
change falls inside them). Prints:

* the full rematch (top 10 per resident, all hard constraints, explained),
  median of 3 runs, including building both indexes from the dataclasses;
* peak memory (process peak RSS, and the tracemalloc peak of one rematch);
* ``residents_for_occurrence`` median latency over 200 new occurrences: the
  residents whose top 10 it enters (cutoffs from the rematch), and, for
  comparison, every resident it suits with explanations;
* persisting every resident's top 10 (about 1,000,000 rows) on PostgreSQL with
  ``matchmaker.recommendations.store`` (COPY), in a database of its own
  (``--pg-url``, default mm_bench_a; its tables are dropped and re-created);
* the naive way (per resident: a bounding-box filter over every occurrence in
  plain Python, then the same hard constraints and score one pair at a time,
  from tests/unit/matching_reference.py), measured on 1,000 residents and
  scaled linearly to all of them, and the ratio.

Not collected by pytest: the file name does not start with ``test_`` and there
are no test functions.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np

from matchmaker.matching import (
    Occurrence,
    OccurrenceIndex,
    Resident,
    ResidentIndex,
    kth_scores,
    rank,
    residents_for_occurrence,
)
from matchmaker.vocab import CAUSES, SKILLS

CENTRE = (40.7128, -74.0060)
HALF_KM = 30.0
KM_PER_DEG_LAT = 111.2
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)   # New York springs forward on 9 March
TZ = "America/New_York"
CAUSE_KEYS = sorted(CAUSES)
SKILL_KEYS = sorted(SKILLS)
FORMATS = ["one_on_one", "small_group", "big_group", "solo_remote"]
PREFS = ["any", "any", "one_on_one", "small_group", "big_group", "solo_remote"]


def points(rng: np.random.Generator, n: int) -> np.ndarray:
    """(lat, lon) for n points: half around the centre (sigma 6 km), half uniform."""
    dense = rng.random(n) < 0.5
    xy = np.where(dense[:, None], rng.normal(0.0, 6.0, (n, 2)),
                  rng.uniform(-HALF_KM, HALF_KM, (n, 2)))
    xy = np.clip(xy, -HALF_KM, HALF_KM)
    lat = CENTRE[0] + xy[:, 1] / KM_PER_DEG_LAT
    lon = CENTRE[1] + xy[:, 0] / (KM_PER_DEG_LAT * math.cos(math.radians(CENTRE[0])))
    return np.round(np.stack([lat, lon], axis=1), 4)          # coarse, like stored homes


def make_occurrences(rng: np.random.Generator, n: int, first_id: int = 0,
                     n_residents: int = 100_000) -> list[Occurrence]:
    n_opps, n_orgs = max(1, n // 10), max(1, n // 50)
    opp_org = rng.integers(0, n_orgs, n_opps)
    opp_group = np.where(rng.random(n_opps) < 0.5, np.arange(n_opps), -1)
    opp_causes = [frozenset(rng.choice(CAUSE_KEYS, rng.integers(1, 3), replace=False).tolist())
                  for _ in range(n_opps)]
    opp_skills = [frozenset(rng.choice(SKILL_KEYS, rng.integers(0, 3), replace=False).tolist())
                  for _ in range(n_opps)]
    opp_format = rng.integers(0, 4, n_opps)
    where = points(rng, n)
    kind = rng.choice(4, n, p=[0.88, 0.05, 0.05, 0.02])   # timed, timed remote, small, small remote
    day = rng.integers(0, 28, n)
    hour = rng.choice(np.arange(8, 21), n)
    minute = rng.choice([0, 15, 30, 45], n)
    length = rng.choice([60, 90, 120, 180, 240], n)
    out = []
    # about local midnight in New York on the first day
    base = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC) + timedelta(hours=5)
    for i in range(n):
        o = int(rng.integers(0, n_opps))
        capacity = int(rng.integers(1, 16))
        seats = int(rng.integers(0, capacity + 1))
        going = frozenset(rng.integers(0, n_residents, min(capacity - seats, 10)).tolist())
        kw = {}
        if kind[i] in (0, 1):
            start = base + timedelta(days=int(day[i]), hours=int(hour[i]), minutes=int(minute[i]))
            kw.update(start=start, end=start + timedelta(minutes=int(length[i])))
        else:
            kw.update(do_by=base + timedelta(days=int(day[i]) + 1),
                      effort_minutes=int(rng.choice([10, 15, 30])))
        remote = kind[i] in (1, 3)
        out.append(Occurrence(
            id=first_id + i, opportunity_id=o, organization_id=int(opp_org[o]),
            group_id=int(opp_group[o]) if opp_group[o] >= 0 else None,
            causes=opp_causes[o], skills=opp_skills[o],
            place=None if remote else (float(where[i, 0]), float(where[i, 1])), remote=remote,
            seats_left=seats, capacity=capacity,
            social_format="solo_remote" if remote else FORMATS[int(opp_format[o])],
            access=frozenset(t for t, p in (("step-free", 0.6), ("seated", 0.3))
                             if rng.random() < p),
            demands=frozenset(t for t, p in (("heavy-lifting", 0.15), ("outdoors", 0.3))
                              if rng.random() < p),
            min_age=int(rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 16, 18])),
            first_timer_friendly=bool(rng.random() < 0.5), going_ids=going,
            organization_name=f"Organization {int(opp_org[o])}",
            group_name=f"Group {int(opp_group[o])}" if opp_group[o] >= 0 else "",
            **kw,
        ))
    return out


def make_residents(rng: np.random.Generator, n: int, n_occ: int) -> list[Resident]:
    homes = points(rng, n)
    n_orgs, n_opps = max(1, n_occ // 50), max(1, n_occ // 10)
    monday = NOW.date() - timedelta(days=NOW.weekday())
    out = []
    for i in range(n):
        windows = []
        for _ in range(int(rng.integers(2, 7))):
            start = int(rng.choice(np.arange(7, 21))) * 60 + int(rng.choice([0, 30]))
            end = min(1440, start + int(rng.integers(2, 6)) * 60)
            windows.append((int(rng.integers(0, 7)), start, end))
        committed = {}
        if rng.random() < 0.3:
            committed[monday] = (float(rng.choice([30, 60, 90])), 1)
        busy = ()
        if rng.random() < 0.2:
            t0 = NOW + timedelta(hours=int(rng.integers(0, 27 * 24)))
            busy = ((t0, t0 + timedelta(hours=2)),)
        first_timer = bool(rng.random() < 0.3)
        out.append(Resident(
            id=i, timezone=TZ,
            causes=frozenset(rng.choice(CAUSE_KEYS, rng.integers(3, 7), replace=False).tolist()),
            skills=frozenset(rng.choice(SKILL_KEYS, rng.integers(1, 5), replace=False).tolist()),
            windows=tuple(windows),
            home=(float(homes[i, 0]), float(homes[i, 1])),
            travel_radius_km=float(rng.uniform(2, 25)),
            remote_ok=bool(rng.random() < 0.6),
            weekly_budget_minutes=float(rng.choice([60, 120, 180, 240, 360])),
            weekly_commitment_cap=int(rng.integers(1, 5)),
            committed=committed, busy=busy,
            social_format=PREFS[int(rng.integers(0, len(PREFS)))],
            access_needs=frozenset({"step-free"}) if rng.random() < 0.05 else (
                frozenset({"no-heavy-lifting"}) if rng.random() < 0.1 else frozenset()),
            is_adult=bool(rng.random() < 0.95),
            returned_organization_ids=frozenset() if first_timer else frozenset(
                rng.integers(0, n_orgs, rng.integers(0, 3)).tolist()),
            returned_group_ids=frozenset() if first_timer else frozenset(
                rng.integers(0, n_opps, rng.integers(0, 3)).tolist()),
            served_with_ids=frozenset() if first_timer else frozenset(
                rng.integers(0, n, rng.integers(0, 6)).tolist()),
            first_timer=first_timer,
            signed_up_occurrence_ids=frozenset(rng.integers(0, n_occ, rng.integers(0, 3)).tolist()),
        ))
    return out


def naive_rank(residents, occurrences, now, k=10):
    """What a developer would write first: a bounding box per resident, then pair by pair."""
    from tests.unit.matching_reference import assess, prepare, variety

    res_list, occ_list, _ = prepare(residents, occurrences)
    out = {}
    for rr in res_list:
        found = []
        if rr.home is not None:
            lat0, lon0 = rr.home
            dlat = rr.radius / KM_PER_DEG_LAT
            dlon = rr.radius / (KM_PER_DEG_LAT * max(0.01, math.cos(math.radians(lat0))))
        for ro in occ_list:
            if ro.place is not None:
                if rr.home is None:
                    continue
                lat, lon = ro.place
                if abs(lat - lat0) > dlat or abs(lon - lon0) > dlon:
                    continue
            got = assess(rr, ro, now)
            if got is not None:
                found.append((ro.src, got))
        found.sort(key=lambda item: (-item[1][0], item[0].id))
        out[rr.src.id] = variety(found, k)
    return out


def bench_database(url: str):
    """A fresh schema in the benchmark's own PostgreSQL database (created if missing).

    Users and occurrences are inserted for every id the rematch uses, so the
    recommendations' foreign keys are checked as in production (not timed).
    """
    from urllib.parse import urlsplit, urlunsplit

    from sqlalchemy import text

    import matchmaker.models  # noqa: F401  (registers every table)
    from matchmaker.db import Base, make_engine

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = make_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("select 1 from pg_database where datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url)
    with engine.begin() as conn:   # the whole schema: whatever an older run left behind
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    return engine


def _filled(table, rows: list[dict]) -> list[dict]:
    """Give required columns nobody named a plain value (0, "", False): the schema grows."""
    from sqlalchemy import Boolean, Integer, String

    extra = {}
    for col in table.columns:
        if col.nullable or col.default is not None or col.server_default is not None \
                or col.primary_key or col.name in rows[0]:
            continue
        extra[col.name] = (False if isinstance(col.type, Boolean) else
                           0 if isinstance(col.type, Integer) else
                           "" if isinstance(col.type, String) else None)
    return [{**extra, **r} for r in rows] if extra else rows


def seed_rows(engine, resident_ids, occurrence_ids) -> None:
    """One user per resident id and one occurrence per occurrence id (Core inserts)."""
    from sqlalchemy import insert

    from matchmaker.models import Occurrence as OccurrenceRow
    from matchmaker.models import Opportunity, Organization, User

    def add(conn, table, rows: list[dict]) -> None:
        conn.execute(insert(table), _filled(table, rows))

    start = NOW + timedelta(days=1)
    with engine.begin() as conn:
        add(conn, Organization.__table__, [{
            "id": 1, "name": "Bench", "name_key": "bench", "slug": "bench", "summary": "",
            "area": ""}])
        add(conn, Opportunity.__table__, [{
            "id": 1, "organization_id": 1, "title": "Bench", "status": "published"}])
        ids = list(resident_ids)
        for i in range(0, len(ids), 20_000):
            add(conn, User.__table__, [
                {"id": rid, "email": f"r{rid}@bench.example", "display_name": f"R{rid}",
                 "password_hash": "x"} for rid in ids[i:i + 20_000]])
        add(conn, OccurrenceRow.__table__, [
            {"id": oid, "opportunity_id": 1, "starts_at": start + timedelta(minutes=k),
             "ends_at": start + timedelta(minutes=k + 60), "capacity": 10}
            for k, oid in enumerate(occurrence_ids)])


def persist_benchmark(url: str, matches: dict, occurrence_ids, runs: int) -> dict:
    """Time ``store.replace_for_users`` for every resident (COPY), first into an empty
    table, then replacing what is there (delete + COPY), each committed."""
    from sqlalchemy.orm import Session

    from matchmaker.recommendations import store

    engine = bench_database(url)
    t = time.perf_counter()
    seed_rows(engine, matches.keys(), occurrence_ids)
    print(f"  persistence: seeded {len(matches):,} users and {len(occurrence_ids):,} "
          f"occurrences in {time.perf_counter() - t:.1f} s (not timed)", flush=True)
    first, replace, n = None, [], 0
    for run in range(runs + 1):
        with Session(engine) as session:
            t0 = time.perf_counter()
            n = store.replace_for_users(session, matches, computed_at=NOW)
            session.commit()
            dt = time.perf_counter() - t0
        if run == 0:
            first = dt
        else:
            replace.append(dt)
        print(f"  persist run: {n:,} rows in {dt:.2f} s "
              f"({'empty table' if run == 0 else 'replacing the previous rows'})", flush=True)
    engine.dispose()
    return {"rows": n, "first": first, "replace": statistics.median(replace) if replace else None,
            "runs": len(replace)}


def mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.0f} MiB"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, default=100_000)
    ap.add_argument("--occurrences", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--naive", type=int, default=1_000, help="residents for the naive way (0: skip it)")
    ap.add_argument("--seed", type=int, default=20250303)
    ap.add_argument("--workers", type=int, default=None, help="threads (default: CPUs, max 4)")
    ap.add_argument("--pg-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/mm_bench_a"),
        help="PostgreSQL database of the benchmark's own (its tables are dropped)")
    ap.add_argument("--persist-runs", type=int, default=3,
                    help="timed replacements of every resident's rows (0: skip persistence)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    occurrences = make_occurrences(rng, args.occurrences, n_residents=args.residents)
    residents = make_residents(rng, args.residents, args.occurrences)
    new_occurrences = make_occurrences(np.random.default_rng(args.seed + 1), 200,
                                       first_id=10**9, n_residents=args.residents)
    print(f"synthetic data: {args.residents:,} residents, {args.occurrences:,} occurrences "
          f"({time.perf_counter() - t:.1f} s to generate, not timed)", flush=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    load_before = os.getloadavg()

    # full rematch, from dataclasses, median of N
    times, cpu_times, build_times = [], [], []
    result = None
    for _ in range(args.runs):
        result = None                       # never two results alive at once
        t0, c0 = time.perf_counter(), time.process_time()
        ri = ResidentIndex(residents)
        oi = OccurrenceIndex(occurrences)
        t1 = time.perf_counter()
        result = rank(ri, oi, NOW, 10, workers=args.workers)
        t2, c2 = time.perf_counter(), time.process_time()
        times.append(t2 - t0)
        cpu_times.append(c2 - c0)
        build_times.append(t1 - t0)
        print(f"  full rematch run: {t2 - t0:.2f} s wall, {c2 - c0:.2f} s CPU "
              f"(indexes {t1 - t0:.2f} s, rank {t2 - t1:.2f} s)", flush=True)
    full = statistics.median(times)
    n_matches = sum(len(v) for v in result.matches.values())
    with_any = sum(1 for v in result.matches.values() if v)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    cutoffs = kth_scores(ri, result, 10)
    persisted = None
    if args.persist_runs > 0:
        persisted = persist_benchmark(args.pg_url, result.matches, [o.id for o in occurrences],
                                      args.persist_runs)
    del result

    # one more run under tracemalloc: the rematch's own peak allocation
    tracemalloc.start()
    rank(ResidentIndex(residents), OccurrenceIndex(occurrences), NOW, 10, workers=args.workers)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # a new occurrence -> the residents whose top 10 it enters (and: everyone it suits)
    residents_for_occurrence(new_occurrences[0], ri, NOW)          # builds the lookups once
    lat, lat_all, updated, suited = [], [], [], []
    for occ in new_occurrences:
        t0 = time.perf_counter()
        got = residents_for_occurrence(occ, ri, NOW, cutoffs=cutoffs)
        lat.append(time.perf_counter() - t0)
        updated.append(len(got.residents))
        t0 = time.perf_counter()
        got = residents_for_occurrence(occ, ri, NOW)
        lat_all.append(time.perf_counter() - t0)
        suited.append(len(got.residents))
    reverse_ms = statistics.median(lat) * 1000
    load_after = os.getloadavg()

    # the naive way, on a sample of residents, scaled linearly
    sample = residents[: args.naive]
    if sample:
        t0 = time.perf_counter()
        naive = naive_rank(sample, occurrences, NOW, 10)
        naive_sample = time.perf_counter() - t0
        engine = rank(sample, OccurrenceIndex(occurrences), NOW, 10).matches
        agree = sum(1 for r in sample if [o.id for o, _ in naive[r.id]]
                    == [m.occurrence_id for m in engine[r.id]])
        naive_full = naive_sample * len(residents) / len(sample)
        ratio = naive_full / full

    print()
    print("=" * 72)
    print("matching benchmark — tests/perf/bench_matching.py")
    print(f"  data            {args.residents:,} residents, {args.occurrences:,} occurrences, "
          f"28 days, 60x60 km, seed {args.seed}")
    print(f"  machine         {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"numpy {np.__version__}")
    print(f"  full rematch    {full:.2f} s median of {args.runs} (target <= 10 s), "
          f"{statistics.median(cpu_times):.2f} s CPU, {args.workers or 'default'} threads; "
          f"of which building indexes from the dataclasses {statistics.median(build_times):.2f} s")
    print(f"                  {n_matches:,} matches, {with_any:,} residents with at least one")
    print(f"  peak memory     process peak RSS {mib(rss_peak)} (before the rematch: "
          f"{mib(rss_before)}; target <= 1.5 GB); tracemalloc peak of one rematch "
          f"{mib(traced_peak)}")
    print(f"  new occurrence  residents to update (its score reaches their 10th best): median "
          f"{reverse_ms:.1f} ms, p95 {np.percentile(lat, 95) * 1000:.1f} ms over "
          f"{len(new_occurrences)} (target <= 20 ms); "
          f"median {int(statistics.median(updated)):,} residents")
    print(f"                  every resident it suits, explained: median "
          f"{statistics.median(lat_all) * 1000:.1f} ms; "
          f"median {int(statistics.median(suited)):,} residents")
    if sample:
        print(f"  naive way       {naive_sample:.1f} s for {len(sample):,} residents -> "
              f"{naive_full:,.0f} s scaled linearly to {len(residents):,} (an estimate); "
              f"same top 10 as the engine for {agree:,} of {len(sample):,}")
        print(f"  ratio           naive / engine = {ratio:,.0f}x")
    if persisted:
        print(f"  persistence     {persisted['rows']:,} rows on PostgreSQL (COPY, with keys, "
              f"indexes and foreign keys): {persisted['first']:.2f} s into an empty table; "
              f"replacing them (delete + COPY, one transaction) {persisted['replace']:.2f} s "
              f"median of {persisted['runs']} (target <= 20 s)")
    print(f"  load average    {load_before[0]:.1f} before, {load_after[0]:.1f} after "
          f"(other work on this shared machine slows wall-clock figures)")
    print("=" * 72)


if __name__ == "__main__":
    main()
