"""HTTP for the admin operations page: queues, failed jobs, outboxes, cron runs.

Routes live on the admin blueprint (its before_request guard admits admins only);
matchmaker.admin.views imports this module so they are registered with it.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for

from matchmaker.admin import operations
from matchmaker.admin.views import bp
from matchmaker.auth.forms import EmptyForm
from matchmaker.db import db, utcnow
from matchmaker.tasks import redis_connection


def _rq_queues():
    """The RQ queues, or None in inline mode (no REDIS_URL)."""
    conn = redis_connection()
    return None if conn is None else operations.queues(conn, current_app.config["RQ_QUEUE"])


@bp.get("/operations", endpoint="operations")
def operations_page():
    from redis.exceptions import RedisError

    now = utcnow()
    rq_queues, redis_error = None, ""
    depths, failed, workers = [], [], 0
    try:
        rq_queues = _rq_queues()
        if rq_queues is not None:
            depths = operations.queue_depths(rq_queues)
            failed = operations.failed_jobs(rq_queues)
            workers = operations.worker_count(redis_connection())
    except RedisError as exc:  # the page is most needed when Redis is in trouble
        redis_error = f"{type(exc).__name__}: {exc}"[:300]
    return render_template(
        "admin/operations.html", now=now, inline=not current_app.config.get("REDIS_URL"),
        redis_error=redis_error, depths=depths, failed=failed, workers=workers,
        job_outbox=operations.job_outbox(db.session, now),
        digest_outbox=operations.digest_outbox(db.session),
        cron_runs=operations.cron_runs(db.session), form=EmptyForm(),
        age=lambda when: operations.describe_age(None if when is None else now - when),
    )


def _failed_job_action(queue_name: str, job_id: str, action) -> None:
    """Run ``action(queue, job_id)`` on a job in that queue's failed registry, else 404."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    rq_queues = _rq_queues()
    queue = None if rq_queues is None else operations.find_failed(rq_queues, queue_name, job_id)
    if queue is None:
        abort(404)
    action(queue, job_id)


@bp.post("/operations/failed/<queue_name>/<job_id>/retry")
def retry_failed_job(queue_name: str, job_id: str):
    _failed_job_action(queue_name, job_id, operations.retry_failed)
    flash(f"Job {job_id} is queued again.", "success")
    return redirect(url_for("admin.operations"))


@bp.post("/operations/failed/<queue_name>/<job_id>/delete")
def delete_failed_job(queue_name: str, job_id: str):
    _failed_job_action(queue_name, job_id, operations.delete_failed)
    flash(f"Job {job_id} is deleted.", "success")
    return redirect(url_for("admin.operations"))
