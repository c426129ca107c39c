"""Periodic work for ``rq cron workers/cron_config.py --url $REDIS_URL``.

Run exactly one cron process (run it from the project root: rq adds ``.`` to the
import path). rq cron only enqueues; workers run the jobs, in the queue named by
RQ_QUEUE, as the web app does.

Each job carries its name in ``meta["cron"]``: the worker records the run in the
``cron_runs`` table (workers.jobs.job_context), which the admin operations page shows.
"""

import os

from rq import cron

from matchmaker import logs
from matchmaker.config import Config
from workers import digest_jobs, followup_jobs, jobs, matching_jobs, reminder_jobs

QUEUE = os.environ.get("RQ_QUEUE") or Config.RQ_QUEUE

# The cron process builds no app: its lines (rq.cron's included) get the app's format here.
logs.configure_from_env("rq.cron")


def every(func, name: str, **schedule) -> None:
    """Register ``func`` under ``name`` with ``interval=`` seconds or a ``cron=`` line."""
    cron.register(func, queue_name=QUEUE, name=name, meta={"cron": name}, **schedule)


# Jobs whose after-commit hand-over failed (Redis briefly down) are retried here.
every(jobs.dispatch_pending_jobs, "dispatch-pending-jobs", interval=60)

# Recurring shifts are materialised a few weeks ahead; top them up every night.
every(jobs.extend_recurring_shifts, "extend-recurring-shifts", cron="0 3 * * *")

# Every resident's suggestions from scratch, split into per-region shard jobs.
every(matching_jobs.nightly_rematch, "nightly-rematch", cron="30 2 * * *")

# Reminders the day before and ~2 hours before; each sign-up's reminder is sent once.
every(reminder_jobs.send_due_reminders, "send-due-reminders", interval=300)

# Two days after a date with unmarked sign-ups: ask organizers, then residents (once each).
every(reminder_jobs.send_attendance_asks, "send-attendance-asks", cron="17 * * * *")

# After the event: a thank-you or a kind "we missed you", once per marked sign-up.
every(followup_jobs.send_followups, "send-followups", interval=900)

# First-timer buddies: introduce newcomers to a regular going to the same date.
every(followup_jobs.introduce_buddies, "introduce-buddies", interval=900)

# Weekly digests: everyone whose local send time has come, in batches; plus a
# sweep of rows a crash or a temporary SMTP failure left unsent.
every(digest_jobs.plan_digests, "plan-digests", cron="*/15 * * * *")
