"""The nightly rematch on real infrastructure: shards as RQ jobs, two worker processes.

A PostgreSQL database of its own (commits must be visible to other processes),
Redis DB 5 with a queue of its own (only its keys are deleted afterwards), and
two ``python -m workers.worker`` processes started before the shards are queued.
Each shard job returns the name of the worker that ran it; the test shows both
workers took shards, and every resident was matched by exactly one shard.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from matchmaker.config import PROJECT_ROOT
from matchmaker.db import db, utcnow
from tests.integration.databases import fresh_postgres_database
from tests.integration.test_jobs import _cleanup_queue

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

REDIS_DB = 5
RESIDENTS = 30
PER_SHARD = 5
NY = "America/New_York"


@pytest.fixture(scope="module")
def shard_db_url(postgres_url):
    with fresh_postgres_database(postgres_url, f"mm_a_workers_{secrets.token_hex(4)}") as url:
        yield url


@pytest.fixture
def shard_queue(redis_url):
    from redis import Redis

    url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{REDIS_DB}"))
    conn = Redis.from_url(url)
    name = f"mm-a-match-{uuid.uuid4().hex[:10]}"
    yield url, conn, name
    _cleanup_queue(conn, name)
    conn.close()


@pytest.fixture
def shard_app(tmp_path, shard_db_url, shard_queue):
    from matchmaker import create_app

    url, _conn, name = shard_queue
    settings = {"DATABASE_URL": shard_db_url, "REDIS_URL": url, "RQ_QUEUE": name,
                "SMTP_URL": "", "SECRET_KEY": "shared-test-secret",
                "BASE_URL": "http://localhost"}
    app = create_app(TESTING=True, OUTBOX_DIR=str(tmp_path / "outbox"),
                     RATELIMIT_STORAGE_URI="memory://", **settings)
    env = {**os.environ, **settings, "INSTANCE_PATH": str(tmp_path / "instance"),
           "OUTBOX_DIR": str(tmp_path / "outbox")}
    with app.app_context():
        yield app, env
        db.session.rollback()
        db.engine.dispose()


def _seed(session) -> list[int]:
    """A strip of residents north to south, and one pantry shift they can all reach."""
    from datetime import timedelta

    from matchmaker.auth.services import create_user
    from matchmaker.models import (
        AvailabilityWindow,
        Membership,
        Occurrence,
        Opportunity,
        OpportunityTag,
        Organization,
        Profile,
        ProfileTag,
    )

    owner = create_user(session, "owner@example.org", "Owner", "a long enough password",
                        role="organizer", verified=True)
    org = Organization(name="Park Slope Food Pantry", slug="park-slope-food-pantry",
                       summary="", area="Brooklyn")
    session.add(org)
    session.flush()
    session.add(Membership(organization=org, user=owner, role="owner"))
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    opp = Opportunity(organization=org, title="Sort food", kind="one_off", status="published",
                      capacity=10, duration_minutes=60, lat=40.67, lon=-73.98,
                      place_label="Park Slope", timezone=NY, published_at=utcnow(),
                      start_local=start.replace(tzinfo=None))
    opp.tags = [OpportunityTag(kind="cause", value="food-security")]
    opp.occurrences = [Occurrence(starts_at=start, ends_at=start + timedelta(minutes=60),
                                  capacity=10)]
    session.add(opp)
    ids = []
    for i in range(RESIDENTS):
        user = create_user(session, f"r{i}@example.org", f"Resident {i}",
                           "a long enough password", verified=True)
        p = Profile(user_id=user.id, timezone=NY, home_lat=40.60 + 0.0025 * i,
                    home_lon=-73.98 + 0.001 * (i % 7), travel_radius_km=25.0,
                    weekly_minutes=300, max_commitments_per_week=3, is_adult=True)
        p.tags = [ProfileTag(kind="cause", value="food-security")]
        p.availability = [AvailabilityWindow(weekday=d, start_minute=0, end_minute=1440)
                          for d in range(7)]
        session.add(p)
        ids.append(user.id)
    session.commit()
    return ids


def _registered_workers(conn, name) -> int:
    from rq import Queue, Worker

    return len(Worker.all(connection=conn, queue=Queue(name, connection=conn)))


def test_nightly_shards_run_in_parallel_on_two_workers(shard_app, shard_queue):
    from rq.job import Job, JobStatus

    from matchmaker.models import Recommendation
    from workers.matching_jobs import nightly_rematch

    _app, env = shard_app
    _url, conn, name = shard_queue
    resident_ids = _seed(db.session)

    procs = [subprocess.Popen([sys.executable, "-m", "workers.worker", name],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while _registered_workers(conn, name) < 2:
            assert time.monotonic() < deadline, "the two workers did not start"
            assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
            time.sleep(0.2)

        planned = nightly_rematch(per_shard=PER_SHARD)
        assert planned["shards"] >= RESIDENTS // PER_SHARD
        jobs = [Job.fetch(j, connection=conn) for j in planned["jobs"]]
        assert len(jobs) == planned["shards"]
        deadline = time.monotonic() + 180
        while True:
            statuses = [j.get_status(refresh=True) for j in jobs]
            assert JobStatus.FAILED not in statuses, [j.exc_info for j in jobs]
            if all(s == JobStatus.FINISHED for s in statuses):
                break
            assert time.monotonic() < deadline, statuses
            time.sleep(0.2)
    finally:
        for p in procs:
            p.terminate()
        logs = [p.communicate(timeout=60)[0] for p in procs]

    for j in jobs:
        j.refresh()
    results = [j.return_value() for j in jobs]
    workers = {r["worker"] for r in results}
    assert len(workers) == 2, (workers, logs[0][-2000:], logs[1][-2000:])
    # ... at the same time: some shard on one worker overlapped a shard on the other
    spans = [(r["worker"], j.started_at, j.ended_at) for r, j in zip(results, jobs)]
    assert any(w1 != w2 and s1 < e2 and s2 < e1
               for w1, s1, e1 in spans for w2, s2, e2 in spans), spans
    # every resident in exactly one shard, and matched once
    assert sum(r["residents"] for r in results) == RESIDENTS
    assert sorted(r["shard"] for r in results) == list(range(len(results)))
    db.session.expire_all()
    counts = dict(db.session.execute(
        select(Recommendation.user_id, func.count()).group_by(Recommendation.user_id)).all())
    assert counts == {uid: 1 for uid in resident_ids}
