"""Worker entry point: ``python -m workers.worker [--burst] [queue ...]``.

Builds the Flask app once, before the first job, then runs an RQ worker with the
scheduler enabled (jobs queued with a run-at time need it). Start as many
workers as the load needs; they share Redis and the database.

``--burst`` works through what is queued (and due) and exits: handy for tests and
for one-off catch-ups.
"""

from __future__ import annotations

import argparse
import logging
import sys

from rq import Worker

from matchmaker import create_app
from matchmaker.tasks import get_queue, redis_connection
from workers import jobs

#: How often (seconds) one of the workers cleans RQ's registries.
MAINTENANCE_SECONDS = 60


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workers.worker",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("queues", nargs="*", help="queue names (default: RQ_QUEUE)")
    parser.add_argument("--burst", action="store_true",
                        help="run what is queued, then exit instead of waiting for more")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = create_app()
    if not app.config["REDIS_URL"]:
        print("workers.worker: REDIS_URL is not set; without Redis jobs run inline "
              "in the web process and no worker is needed.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs.set_app(app)
    conn = redis_connection(app)
    queues = [get_queue(app, name) for name in (args.queues or [app.config["RQ_QUEUE"]])]
    # Maintenance re-queues the jobs of a worker that died mid-job (their heartbeat
    # ran out) when they have retries left; RQ's default of 10 minutes is slow.
    worker = Worker(queues, connection=conn, maintenance_interval=MAINTENANCE_SECONDS)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
