"""Periodic work for ``rq cron workers/cron_config.py --url $REDIS_URL``.

Run exactly one cron process (run it from the project root: rq adds ``.`` to the
import path). rq cron only enqueues; workers run the jobs, in the queue named by
RQ_QUEUE, as the web app does.
"""

import os

from rq import cron

from matchmaker.config import Config
from workers import jobs

QUEUE = os.environ.get("RQ_QUEUE") or Config.RQ_QUEUE

# Jobs whose after-commit hand-over failed (Redis briefly down) are retried here.
cron.register(jobs.dispatch_pending_jobs, queue_name=QUEUE, interval=60,
              name="dispatch-pending-jobs")

# Recurring shifts are materialised a few weeks ahead; top them up every night.
cron.register(jobs.extend_recurring_shifts, queue_name=QUEUE, cron="0 3 * * *",
              name="extend-recurring-shifts")
