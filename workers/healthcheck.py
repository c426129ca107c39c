"""Container healthchecks for the RQ processes: ``python -m workers.healthcheck worker|cron``.

Healthy means the process on *this* host (container) is registered in Redis
and its heartbeat is recent, which proves both that it is alive and that it can
reach Redis. Exit status 0 = healthy, 1 = not (docker compose reads only that).
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import UTC, datetime, timedelta

from redis import Redis

#: An idle worker blocks on Redis for up to worker_ttl - 15 s between heartbeats.
WORKER_STALE_AFTER = timedelta(seconds=420 + 60)
#: rq cron heartbeats at least once per loop; its own registry TTL is 120 s.
CRON_STALE_AFTER = timedelta(seconds=120)


def worker_is_healthy(conn: Redis, hostname: str, now: datetime | None = None) -> bool:
    from rq import Worker

    now = now or datetime.now(UTC)
    for worker in Worker.all(connection=conn):
        beat = worker.last_heartbeat
        if worker.hostname == hostname and beat is not None:
            beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
            if now - beat < WORKER_STALE_AFTER:
                return True
    return False


def cron_is_healthy(conn: Redis, hostname: str, now: datetime | None = None) -> bool:
    from rq import cron_scheduler_registry

    now = now or datetime.now(UTC)
    key = cron_scheduler_registry.get_registry_key()
    for name, score in conn.zrange(key, 0, -1, withscores=True):
        name = name.decode() if isinstance(name, bytes) else name
        beat = datetime.fromtimestamp(score, UTC)
        if name.startswith(f"{hostname}:") and now - beat < CRON_STALE_AFTER:
            return True
    return False


CHECKS = {"worker": worker_is_healthy, "cron": cron_is_healthy}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in CHECKS:
        print("usage: python -m workers.healthcheck worker|cron", file=sys.stderr)
        return 2
    url = os.environ.get("REDIS_URL")
    if not url:
        print("REDIS_URL is not set", file=sys.stderr)
        return 1
    try:
        conn = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        healthy = CHECKS[argv[0]](conn, socket.gethostname())
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", with the reason
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if not healthy:
        print(f"unhealthy: no live {argv[0]} of {socket.gethostname()} in Redis", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
