"""RQ jobs for matching: thin, as every job here (load by id, call services, commit, send).

* ``match_opportunity(opportunity_id)`` — a published opportunity was created or
  edited: update the lists it changes, then email strong matches (opt-in, capped).
* ``rematch_resident(user_id)`` — a profile changed: that resident's list.
* ``nightly_rematch()`` — plan per-region shards and enqueue one
  ``rematch_shard(spec)`` job each, so several workers share the night's work.

Each returns a plain dict of counts (RQ keeps it as the job's result) and is
safe to run twice: lists are replaced, never appended to, and each alert email
is guarded by its ``match_alerts`` row.
"""

from __future__ import annotations

import logging
import os
import socket

from matchmaker.db import db
from workers.jobs import job_context

log = logging.getLogger(__name__)

#: Residents per nightly shard (a shard is one RQ job: about a second of matching).
SHARD_SIZE = 5_000


def _worker_name() -> str:
    """Which worker ran the job (RQ's name when inside a worker; host:pid otherwise)."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None and job.worker_name:
        return job.worker_name
    return f"{socket.gethostname()}:{os.getpid()}"


def match_opportunity(opportunity_id: int) -> dict:
    from matchmaker.recommendations.emails import send_strong_match_alerts
    from matchmaker.recommendations.services import match_opportunity as match

    with job_context():
        session = db.session
        result = match(session, opportunity_id)
        session.commit()
        emails = send_strong_match_alerts(session, result.strong)
        out = result.report.as_dict() | {"emails": emails}
        log.info("match_opportunity %s: %s", opportunity_id, out)
        return out


def rematch_resident(user_id: int) -> dict:
    from matchmaker.recommendations.services import rematch_user

    with job_context():
        report = rematch_user(db.session, user_id)
        db.session.commit()
        return report.as_dict()


def rematch_shard(shard_spec: dict) -> dict:
    from matchmaker.recommendations.services import rematch_where, shard_where

    with job_context():
        report = rematch_where(db.session, shard_where(shard_spec))
        db.session.commit()
        out = report.as_dict() | {"shard": shard_spec.get("shard"), "worker": _worker_name()}
        log.info("rematch_shard %s: %s", shard_spec, out)
        return out


def nightly_rematch(per_shard: int | None = None) -> dict:
    """Enqueue one ``rematch_shard`` per region; workers run them in parallel."""
    from matchmaker.recommendations.services import plan_shards
    from matchmaker.tasks import enqueue

    with job_context():
        shards = plan_shards(db.session, per_shard or SHARD_SIZE)
        db.session.rollback()  # read only; the shard jobs open their own sessions
        job_ids = [enqueue(rematch_shard, spec, job_id=None) for spec in shards]
        return {"shards": len(shards), "jobs": [j for j in job_ids if j]}
