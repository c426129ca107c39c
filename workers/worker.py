"""Worker entry point: ``python -m workers.worker [queue ...]``.

Builds the Flask app once, before the first job, then runs an RQ worker with the
scheduler enabled (jobs queued with a run-at time need it).
"""

from __future__ import annotations

import logging
import sys

from rq import Worker

from matchmaker import create_app
from matchmaker.tasks import get_queue, redis_connection
from workers import jobs


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    app = create_app()
    if not app.config["REDIS_URL"]:
        print("workers.worker: REDIS_URL is not set; without Redis jobs run inline "
              "in the web process and no worker is needed.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    jobs.set_app(app)
    conn = redis_connection(app)
    queues = [get_queue(app, name) for name in (argv or [app.config["RQ_QUEUE"]])]
    worker = Worker(queues, connection=conn)
    worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
