"""Periodic work for ``rq cron workers/cron_config.py`` (run exactly one cron process).

rq cron only enqueues; workers run the jobs.
"""

from rq import cron

from workers import jobs

# Jobs whose after-commit hand-over failed (Redis briefly down) are retried here.
cron.register(jobs.dispatch_pending_jobs, queue_name="default", interval=60,
              name="dispatch-pending-jobs")
