"""Periodic work for ``rq cron workers/cron_config.py --url $REDIS_URL``.

Run exactly one cron process (run it from the project root: rq adds ``.`` to the
import path). rq cron only enqueues; workers run the jobs, in the queue named by
RQ_QUEUE, as the web app does.
"""

import os

from rq import cron

from matchmaker.config import Config
from workers import digest_jobs, followup_jobs, jobs, matching_jobs, reminder_jobs

QUEUE = os.environ.get("RQ_QUEUE") or Config.RQ_QUEUE

# Jobs whose after-commit hand-over failed (Redis briefly down) are retried here.
cron.register(jobs.dispatch_pending_jobs, queue_name=QUEUE, interval=60,
              name="dispatch-pending-jobs")

# Recurring shifts are materialised a few weeks ahead; top them up every night.
cron.register(jobs.extend_recurring_shifts, queue_name=QUEUE, cron="0 3 * * *",
              name="extend-recurring-shifts")

# Every resident's suggestions from scratch, split into per-region shard jobs.
cron.register(matching_jobs.nightly_rematch, queue_name=QUEUE, cron="30 2 * * *",
              name="nightly-rematch")

# Reminders the day before and ~2 hours before; each sign-up's reminder is sent once.
cron.register(reminder_jobs.send_due_reminders, queue_name=QUEUE, interval=300,
              name="send-due-reminders")

# Two days after a date with unmarked sign-ups: ask organizers, then residents (once each).
cron.register(reminder_jobs.send_attendance_asks, queue_name=QUEUE, cron="17 * * * *",
              name="send-attendance-asks")

# After the event: a thank-you or a kind "we missed you", once per marked sign-up.
cron.register(followup_jobs.send_followups, queue_name=QUEUE, interval=900,
              name="send-followups")

# First-timer buddies: introduce newcomers to a regular going to the same date.
cron.register(followup_jobs.introduce_buddies, queue_name=QUEUE, interval=900,
              name="introduce-buddies")

# Weekly digests: everyone whose local send time has come, in batches; plus a
# sweep of rows a crash or a temporary SMTP failure left unsent.
cron.register(digest_jobs.plan_digests, queue_name=QUEUE, cron="*/15 * * * *",
              name="plan-digests")
