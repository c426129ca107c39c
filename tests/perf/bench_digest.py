"""Benchmark: compose, render and send 100,000 resident digests with the project's workers.

Run (PostgreSQL and Redis must be up; the database is created and dropped here):

    .venv/bin/python -m tests.perf.bench_digest [--people 100000] [--workers 6] [--batch 500]

What it does, in one run:

1. creates the PostgreSQL database ``mm_d_bench`` and fills it with N residents,
   each due *now* (profile weekday/hour = the current UTC hour), with five
   precomputed recommendations each, inserted straight into the matcher's
   ``recommendations`` table (the real ``top_for_user`` reads them), plus one
   commitment for every tenth resident and a few open small acts;
2. starts an aiosmtpd sink in a separate process (it only counts messages);
3. **ceiling**: raw ``smtplib`` sending one fixed, pre-rendered digest over one
   connection to that sink, 3 rounds; the median rate is the ceiling;
4. **digests**: ``sending.plan`` (the cron job's own function) enqueues batches
   on a Redis queue of its own (DB 9), ``--workers`` real ``python -m
   workers.worker --burst`` processes (forking RQ workers) run them; timed from
   the plan until the last outbox row is sent. Prints the throughput, the median
   of per-batch rates, and the ratio to the ceiling.

Targets (issue 6): at least 50% of the ceiling, 100,000 digests in at most 5 minutes.
Not collected by pytest (no ``test_`` names).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.orm import Session

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
SMALL_ACTS = 5
OPPORTUNITIES = 200


# --- database ------------------------------------------------------------------------------------

def create_database(name: str, admin_url: str = PG_ADMIN_URL) -> str:
    """(Re)create an empty PostgreSQL database with every table; returns its URL."""
    import matchmaker.models  # noqa: F401
    from matchmaker.db import Base, make_engine

    admin = create_engine(admin_url.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rstrip("/") + f"/{name}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def drop_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    admin = create_engine(admin_url.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def populate(url: str, people: int, now: datetime, *, recommendations: int = 5) -> None:
    """N residents due at ``now`` with precomputed recommendations (Core bulk inserts;
    columns left out get the models' own defaults)."""
    from matchmaker.db import make_engine
    from matchmaker.models import (
        Membership,
        Occurrence,
        Opportunity,
        Organization,
        Profile,
        Recommendation,
        Signup,
        User,
    )

    engine = make_engine(url)
    start = now + timedelta(days=2)
    with engine.begin() as conn:
        owner = conn.execute(insert(User).returning(User.id), [{
            "email": "owner@bench.example", "display_name": "Bench Owner", "password_hash": "x",
            "role": "organizer", "email_verified_at": now}]).scalar_one()
        org = conn.execute(insert(Organization).returning(Organization.id), [{
            "name": "Bench Pantry", "name_key": "bench pantry", "slug": "bench-pantry"}]
        ).scalar_one()
        conn.execute(insert(Membership), [{"organization_id": org, "user_id": owner,
                                           "role": "owner"}])
        # The few opportunities go through the ORM, so derived columns stay right.
        with Session(bind=conn, join_transaction_mode="create_savepoint") as orm:
            occ_rows = []
            for i in range(OPPORTUNITIES + SMALL_ACTS):
                small = i >= OPPORTUNITIES
                minutes = 10 if small else 60 + 30 * (i % 4)
                begins = now - timedelta(days=1) if small else start + timedelta(hours=i % 120)
                ends = now + timedelta(days=20) if small else begins + timedelta(minutes=minutes)
                opp = Opportunity(
                    organization_id=org, title=f"{'Small act' if small else 'Shift'} {i}",
                    kind="small_act" if small else "one_off", status="published",
                    duration_minutes=minutes, capacity=10000,
                    published_at=now - timedelta(days=1), timezone="UTC",
                    place_label="Bench Hall", start_local=begins.replace(tzinfo=None))
                occ = Occurrence(starts_at=begins, ends_at=ends, capacity=10000)
                opp.occurrences = [occ]
                orm.add(opp)
                occ_rows.append(occ)
            orm.flush()
            occ_ids = [o.id for o in occ_rows]
            orm.commit()
        shift_occs = occ_ids[:OPPORTUNITIES]
        chunk = 5000
        for first in range(0, people, chunk):
            rows = [{"email": f"r{n}@bench.example", "display_name": f"Resident {n}",
                     "password_hash": "x", "role": "resident", "email_verified_at": now}
                    for n in range(first, min(first + chunk, people))]
            ids = conn.execute(insert(User).returning(User.id, sort_by_parameter_order=True),
                               rows).scalars().all()
            conn.execute(insert(Profile), [{
                "user_id": uid, "timezone": "UTC", "weekly_minutes": 240,
                "max_commitments_per_week": 3, "digest_weekday": now.weekday(),
                "digest_hour": now.hour, "digest_frequency": "weekly"} for uid in ids])
            recs = []
            for uid in ids:
                for rank in range(1, recommendations + 1):
                    occ = shift_occs[(uid * 7 + rank * 13) % len(shift_occs)]
                    recs.append({"user_id": uid, "occurrence_id": occ, "score": 1 - rank / 10,
                                 "rank": rank, "reasons": ["Food security", "about 2 km",
                                                           "Saturday morning"],
                                 "waitlist": False, "computed_at": now})
            # The same occurrence can come up twice for one person; keep the first.
            seen, unique = set(), []
            for rec in recs:
                key = (rec["user_id"], rec["occurrence_id"])
                if key not in seen:
                    seen.add(key)
                    unique.append(rec)
            conn.execute(insert(Recommendation), unique)
            conn.execute(insert(Signup), [{
                "occurrence_id": shift_occs[uid % len(shift_occs)], "user_id": uid,
                "status": "confirmed", "confirmed_at": now} for uid in ids if uid % 10 == 0])
        conn.execute(text("ANALYZE"))
    engine.dispose()


# --- the SMTP sink -------------------------------------------------------------------------------

class _CountingHandler:
    def __init__(self, counter) -> None:
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _run_sink(port: int, counter, ready) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def start_sink():
    """An aiosmtpd sink in its own process: (process, port, shared message counter)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    counter = ctx.Value("l", 0)
    ready = ctx.Event()
    proc = ctx.Process(target=_run_sink, args=(port, counter, ready), daemon=True)
    proc.start()
    ready.wait(30)
    return proc, port, counter


def ceiling(port: int, message: bytes, count: int) -> float:
    """Messages per second of raw smtplib sending one pre-rendered message."""
    conn = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for _ in range(count):
        conn.sendmail("hello@bench.example", ["r1@bench.example"], message)
    elapsed = time.perf_counter() - started
    conn.quit()
    return count / elapsed


# --- the run -------------------------------------------------------------------------------------

def _sample_message(app) -> bytes:
    """One real digest, rendered by the project, as the fixed message of the ceiling."""
    from matchmaker.db import db
    from matchmaker.digests import sending
    from matchmaker.models import User

    with app.app_context():
        renderer = sending.DigestRenderer(db.session)
        user = db.session.scalar(select(User).where(User.email == "r1@bench.example"))
        digest = renderer.compose(user, "resident", "bench")
        email = renderer.render(digest, "resident")
        msg = email.to_message(app.config["MAIL_FROM"], "bench.example")
        return msg.as_bytes().replace(b"\n", b"\r\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_digest")
    parser.add_argument("--people", type=int, default=100_000)
    # A worker spends about half of each message waiting on the sink's and
    # PostgreSQL's replies, so three per core keep both cores busy.
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--ceiling-count", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from redis import Redis

    from matchmaker import create_app
    from matchmaker.config import PROJECT_ROOT
    from matchmaker.db import db
    from matchmaker.digests import sending
    from matchmaker.models import DigestOutbox
    from matchmaker.tasks import enqueue

    print(f"load before: {os.getloadavg()}", flush=True)
    name = "mm_d_bench"
    url = create_database(name)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    t0 = time.perf_counter()
    populate(url, args.people, now)
    print(f"populated {args.people:,} residents in {time.perf_counter() - t0:.1f}s", flush=True)

    sink, port, counter = start_sink()
    queue = f"mm-d-bench-{uuid.uuid4().hex[:8]}"
    settings = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "RQ_QUEUE": queue,
                "SMTP_URL": f"smtp://127.0.0.1:{port}", "SECRET_KEY": "bench-secret",
                "BASE_URL": "https://matchmaker.example", "DIGEST_BATCH_SIZE": str(args.batch)}
    app = create_app(**{**settings, "DIGEST_BATCH_SIZE": args.batch})
    env = {**os.environ, **settings, "INSTANCE_PATH": f"/tmp/{queue}"}
    redis = Redis.from_url(REDIS_URL)
    try:
        message = _sample_message(app)
        rates = [ceiling(port, message, args.ceiling_count) for _ in range(3)]
        top = statistics.median(rates)
        print(f"ceiling (raw smtplib, one pre-rendered {len(message):,}-byte message): "
              f"median {top:,.0f} msg/s over 3 x {args.ceiling_count:,} "
              f"({', '.join(f'{r:,.0f}' for r in rates)})", flush=True)

        before = counter.value
        started = time.perf_counter()
        with app.app_context():
            result = sending.plan(db.session, now + timedelta(seconds=30),
                                  batch_size=args.batch, kinds=["resident"],
                                  enqueue=lambda job, ids: enqueue(job, ids))
        planned_at = time.perf_counter()
        workers = [subprocess.Popen([sys.executable, "-m", "workers.worker", "--burst", queue],
                                    cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
                   for _ in range(args.workers)]
        for proc in workers:
            proc.wait()
        elapsed = time.perf_counter() - started
        sent = counter.value - before
        with app.app_context():
            stats = dict(db.session.execute(select(DigestOutbox.status, func.count())
                                            .group_by(DigestOutbox.status)).all())
        from rq import Queue
        from rq.registry import FinishedJobRegistry

        per_batch = []
        for job in Queue(queue, connection=redis).job_class.fetch_many(
                FinishedJobRegistry(queue, connection=redis).get_job_ids(), connection=redis):
            if job and job.started_at and job.ended_at and job.return_value():
                secs = (job.ended_at - job.started_at).total_seconds()
                per_batch.append(job.return_value()["sent"] / secs if secs else 0)
        rate = sent / elapsed
        print(f"digests: {result.planned:,} planned in {result.batches} batches "
              f"(plan took {planned_at - started:.1f}s); {sent:,} received by the sink in "
              f"{elapsed:.1f}s with {args.workers} workers -> {rate:,.0f} digests/s", flush=True)
        if per_batch:
            print(f"median per-batch rate (one worker): {statistics.median(per_batch):,.0f} "
                  f"digests/s over {len(per_batch)} batches", flush=True)
        print(f"outbox: {stats}", flush=True)
        print(f"ratio to the ceiling: {rate / top:.0%} (target >= 50%); "
              f"projected time for 100,000: {100_000 / rate / 60:.1f} min (target <= 5)",
              flush=True)
        print(f"load after: {os.getloadavg()}", flush=True)
    finally:
        sink.terminate()
        from tests.integration.test_jobs import _cleanup_queue

        _cleanup_queue(redis, queue)
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(env["INSTANCE_PATH"], ignore_errors=True)
        if not args.keep:
            drop_database(name)


if __name__ == "__main__":
    main()
