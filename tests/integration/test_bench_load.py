"""tests/perf/bench_load.py at a tiny size, so the load benchmark itself keeps working.

Needs PostgreSQL (TEST_DATABASE_URL: the benchmark builds its own database
``<that name>_load_smoke`` beside it and this test drops it), Redis
(TEST_REDIS_URL: the benchmark deletes only its own queue) and wrk. It checks
that every phase ran without errors and that sign-ups really reached the
database, not how fast anything was.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import require_service
from tests.perf import bench_load
from tests.perf.bench_digest import drop_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CONNECTIONS = 4


def test_tiny_run_measures_every_endpoint(postgres_url, redis_url):
    require_service("wrk", shutil.which("wrk") is not None, "apt-get install wrk")
    parts = urlsplit(postgres_url)
    name = parts.path.lstrip("/") + "_load_smoke"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    admin = urlunsplit(parts._replace(path="/"))
    try:
        results = bench_load.main([
            "--database-url", url, "--redis-url", redis_url, "--rebuild",
            "--opportunities", "60", "--residents", "40", "--logins", "3",
            "--connections", str(CONNECTIONS), "--duration", "1s", "--rounds", "2",
            "--warmup", "1s",
            "--seed", "7"])
        for phase in bench_load.PHASES:
            got = results[phase]
            assert got["requests"] > 0, phase
            assert got["errors"] == 0 and got["bad_status"] == 0, (phase, got)
            assert 0 < got["p50"] <= got["p95"] <= got["p99"], (phase, got)
        assert results["browse"]["vs_trivial"] > 0
        signups = results["sign-up"]
        # Requests still in flight when wrk stops (each of 2 rounds) land after it counted.
        assert signups["requests"] - 2 * CONNECTIONS <= signups["stored"] \
            <= signups["requests"] + 2 * CONNECTIONS
        # A second run finds the data in place instead of building it again.
        assert bench_load.ensure_database(url, 60, 40, rebuild=False) is False
    finally:
        drop_database(name, admin)
